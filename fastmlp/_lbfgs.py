"""Full-batch L-BFGS on the engine: scikit-learn's solver="lbfgs".

scipy's L-BFGS-B minimises the training objective over one flat vector of
parameters. The vector is in scikit-learn's order, every kernel then every
bias ([W0.ravel(), W1.ravel(), ..., b0, b1, ...]), not the engine's (W0, b0,
W1, b1, ...): L-BFGS-B sums its dot products in vector order, so the same
order is what gives scikit-learn's iterations. Each evaluation is one engine
call over the whole training set (loss and gradients, GIL released).

Used by fastmlp.estimators; needs scipy and threadpoolctl (dependencies of
scikit-learn).
"""
import numpy as np
import scipy
import scipy.optimize
from threadpoolctl import threadpool_limits

__all__ = ["FullBatchObjective", "minimize"]

# scipy 1.15 deprecated L-BFGS-B's iprint (it prints nothing since); before
# that, scikit-learn passes iprint=1 when verbose, else -1
_SCIPY_HAS_IPRINT = tuple(int(part) for part in scipy.__version__.split(".")[:2]) < (1, 15)


# Rows per piece of a whole-set evaluation: a piece's activations and their
# gradients take about this many bytes, so they stay in cache between the
# layers (on 50,000 rows, pieces of 1,000-4,000 rows run twice as fast as all
# rows at once); at least MIN_PIECE_ROWS so the GEMMs keep their speed.
PIECE_BYTES = 4 << 20
MIN_PIECE_ROWS = 256


def piece_rows(engine):
    """The rows of x the engine handles at a time in a whole-set evaluation.

    Chosen so that a piece's activations and their gradients take about
    ``PIECE_BYTES``, and never fewer than ``MIN_PIECE_ROWS`` rows.

    Parameters
    ----------
    engine : fastmlp._engine.Network
        The network evaluated.

    Returns
    -------
    int
        Rows per piece.
    """
    widths = [w.shape[1] for w, _ in engine.weights if w is not None]
    per_row = engine.params.itemsize * (engine.n_in + 2 * sum(widths))
    return max(MIN_PIECE_ROWS, PIECE_BYTES // per_row)


def full_batch_gradients(engine, x, targets, labels, weights, objective):
    """Loss and gradients over every row of x, in pieces, in one engine call
    (gradients left in engine.grads); the engine's step stats."""
    return engine.full_gradient(x, targets, labels, weights, objective, piece_rows(engine))


def _segments(engine):
    """(arena start, packed start, size) of each kernel and bias, in packed order."""
    base = engine.params.__array_interface__["data"][0]
    item = engine.params.itemsize
    dense = [(w, b) for w, b in engine.weights if w is not None]
    segments, packed = [], 0
    for part in [w for w, _ in dense] + [b for _, b in dense if b is not None]:
        start = (part.__array_interface__["data"][0] - base) // item
        segments.append((start, packed, part.size))
        packed += part.size
    return segments


class FullBatchObjective:
    """scikit-learn's L-BFGS objective of a network and its training data:
    f(θ) = (Σ_rows weight·loss / divisor + ½·α·Σ kernel²) / Σ weights (the
    engine reports the penalty already divided by Σ weights), and
    its gradient, with θ in scikit-learn's packed order.

    `divisor` is what scikit-learn divides the engine's per-row loss by
    (the number of outputs for the squared error, which scikit-learn averages
    over outputs while its gradient is that of the sum; 1 otherwise).
    Calling it writes θ into the network's parameters.
    """

    def __init__(self, engine, x, targets, labels, weights, objective, divisor=1.0):
        self.engine, self.objective, self.divisor = engine, objective, float(divisor)
        self.data = (x, targets, labels, weights)
        self.segments = _segments(engine)
        self.size = engine.params.size

    def packed_parameters(self):
        """The network's parameters as a packed vector, in scikit-learn's order.

        Returns
        -------
        numpy.ndarray
            A new vector of the network's dtype and length ``engine.params.size``:
            every kernel (raveled), then every bias.
        """
        out = np.empty(self.size, dtype=self.engine.params.dtype)
        params = self.engine.params
        for start, packed, size in self.segments:
            out[packed:packed + size] = params[start:start + size]
        return out

    def set_parameters(self, theta):
        """Write packed θ into the network's parameters, cast to their dtype.

        The values go straight into the engine's arena; no check is made.

        Parameters
        ----------
        theta : numpy.ndarray
            A vector in ``packed_parameters``'s order and length.
        """
        params = self.engine.params
        for start, packed, size in self.segments:
            params[start:start + size] = theta[packed:packed + size]

    def __call__(self, theta):
        """(f(θ), ∇f(θ) as a new float64 vector)."""
        self.set_parameters(theta)
        stats = full_batch_gradients(self.engine, *self.data, self.objective)
        value = stats["loss_sum"] / self.divisor / stats["weight_sum"] + stats["penalty"]
        grads, gradient = self.engine.grads, np.empty(self.size, dtype=np.float64)
        for start, packed, size in self.segments:
            gradient[packed:packed + size] = grads[start:start + size]
        return value, gradient


def minimize(objective, max_iter, max_fun, tol, verbose=False):
    """scipy's L-BFGS-B from the network's current parameters, with
    scikit-learn's options: gtol=tol, maxiter=max_iter, maxfun=max_fun and
    scipy's defaults otherwise. Returns scipy's OptimizeResult; the network
    holds the last point evaluated (the caller writes result.x)."""
    options = {"maxfun": max_fun, "maxiter": max_iter, "gtol": tol}
    if _SCIPY_HAS_IPRINT:
        options["iprint"] = 1 if (verbose is True or verbose >= 1) else -1
    # x0 in the network's dtype: scipy evaluates every point in x0's dtype, as
    # it does for scikit-learn's float32 networks. L-BFGS-B's own work (BLAS on
    # vectors of the parameters) is small; BLAS threads would only take the
    # cores from the engine's (measured: 1.4x slower fits at 2 threads).
    with threadpool_limits(limits=1, user_api="blas"):
        return scipy.optimize.minimize(objective, objective.packed_parameters(),
                                       method="L-BFGS-B", jac=True, options=options)
