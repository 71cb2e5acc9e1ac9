"""Training throughput of the seed network (784-512-512-10, ReLU, dropout 0.2,
softmax cross-entropy, RMSprop, batch 128): one epoch of 60,000 rows of
Fashion-MNIST (synthetic data of the same shape when it is not installed),
with fastmlp and its peers in the same process:

- fastmlp with dtype="mixed_bfloat16" (on CPUs with AVX512_BF16): bfloat16
  GEMM operands, float32 accumulation, master weights, RMSprop state, loss;
- numpy: the same network written in numpy (matmuls by OpenBLAS), float32;
- PyTorch (when installed): nn.Sequential, RMSprop(alpha=0.9, eps=1e-7), and
  the same under torch.autocast("cpu", dtype=torch.bfloat16) (its recipe for
  bfloat16 training: linear layers in bfloat16, float32 parameters);
- JAX (when installed): the same step as one jit-compiled function
  (value_and_grad + RMSprop written out), float32;
- scikit-learn (when installed): MLPClassifier((512, 512), adam, batch 128),
  which has neither dropout nor RMSprop, so the closest it offers.

Libraries alternate epoch by epoch; each thread count runs in its own process
(OMP_NUM_THREADS / OPENBLAS_NUM_THREADS set before loading). Reported: the
median epoch time, samples/s, the share of the arithmetic floor (192.6 GFLOP
per epoch at the float32 FMA peak measured in the same run; for the bfloat16
rows, the 190.7 GFLOP of the products wider than 16 at the vdpbf16ps peak and
the rest at the FMA peak) and fastmlp's speedup over each peer; a warning when
an epoch's samples spread more than 20 % around their median. The ratio of the
two floors is the most mixed_bfloat16 could gain over float32 if an epoch did
nothing but its products.

--accuracy-epochs N then trains fastmlp float32 and mixed_bfloat16 from the
same seed for N epochs and prints each one's best test accuracy (once, after
the last thread count: the results do not depend on it).

    python bench/train.py [--threads 1 2] [--epochs 3] [--markdown]
    python bench/train.py --threads 2 --epochs 3 --accuracy-epochs 20 --markdown
"""
import time

import numpy as np

from common import (Peak, benchmark_main, fashion_mnist_or_synthetic, last_child, report, say,
                    spread, table, warn_if_spread)

BATCH = 128
EPOCH_GFLOP = 192.6  # forward + both backward GEMMs (no dX for layer 1), 469 steps
BF16_GFLOP = 190.7  # of which in bfloat16: the 784-512 and 512-512 layers' products


def glorot(rng, fan_in, fan_out):
    limit = np.sqrt(6 / (fan_in + fan_out))
    return rng.uniform(-limit, limit, (fan_in, fan_out)).astype(np.float32)


class FastmlpPeer:
    name = "fastmlp"
    dtype = "float32"

    def __init__(self, threads):
        import fastmlp as fm

        from fastmlp.demo import seed_network

        fm.set_num_threads(threads)
        fm.set_random_seed(0)
        # RMSprop, sparse categorical cross-entropy, accuracy
        self.model = seed_network(dtype=self.dtype)
        self.version = fm.__version__

    def epoch(self, x, y):
        self.model.fit(x, y, batch_size=BATCH, epochs=1, verbose=0)


class FastmlpBf16Peer(FastmlpPeer):
    name = "fastmlp mixed_bfloat16"
    dtype = "mixed_bfloat16"

    def __init__(self, threads):
        import fastmlp as fm

        if not fm._engine.bf16_supported():
            raise ImportError("this CPU lacks AVX512_BF16")
        super().__init__(threads)


class NumpyPeer:
    """The seed network in numpy: what a careful user would write without a framework."""
    name = "numpy"

    def __init__(self, threads):
        rng = np.random.default_rng(0)
        self.rng = rng
        sizes = [(784, 512), (512, 512), (512, 10)]
        self.w = [glorot(rng, a, b) for a, b in sizes]
        self.b = [np.zeros(b, np.float32) for _, b in sizes]
        self.vw = [np.zeros_like(w) for w in self.w]
        self.vb = [np.zeros_like(b) for b in self.b]
        self.version = np.__version__

    def _rmsprop(self, param, grad, v, lr=0.001, rho=0.9, eps=1e-7):
        v *= rho
        v += (1 - rho) * grad * grad
        param -= lr * grad / np.sqrt(v + eps)

    def step(self, xb, yb):
        w, b, n = self.w, self.b, len(xb)
        h1 = xb @ w[0]
        h1 += b[0]
        np.maximum(h1, 0, out=h1)
        m1 = (self.rng.random(h1.shape, dtype=np.float32) >= 0.2) * np.float32(1.25)
        d1 = h1 * m1
        h2 = d1 @ w[1]
        h2 += b[1]
        np.maximum(h2, 0, out=h2)
        m2 = (self.rng.random(h2.shape, dtype=np.float32) >= 0.2) * np.float32(1.25)
        d2 = h2 * m2
        z = d2 @ w[2]
        z += b[2]
        z -= z.max(axis=1, keepdims=True)
        np.exp(z, out=z)
        z /= z.sum(axis=1, keepdims=True)
        z[np.arange(n), yb] -= 1
        z /= n
        grads = [None, None, (d2.T @ z, z.sum(axis=0))]
        g = z @ w[2].T
        g *= m2
        g *= h2 > 0
        grads[1] = (d1.T @ g, g.sum(axis=0))
        g = g @ w[1].T
        g *= m1
        g *= h1 > 0
        grads[0] = (xb.T @ g, g.sum(axis=0))
        for i, (gw, gb) in enumerate(grads):
            self._rmsprop(w[i], gw, self.vw[i])
            self._rmsprop(b[i], gb, self.vb[i])

    def epoch(self, x, y):
        order = self.rng.permutation(len(x))
        for start in range(0, len(x), BATCH):
            idx = order[start:start + BATCH]
            self.step(x[idx], y[idx])


class TorchPeer:
    name = "PyTorch"

    def __init__(self, threads):
        import torch

        torch.set_num_threads(threads)
        torch.manual_seed(0)
        nn = torch.nn
        self.torch = torch
        self.model = nn.Sequential(nn.Linear(784, 512), nn.ReLU(), nn.Dropout(0.2),
                                   nn.Linear(512, 512), nn.ReLU(), nn.Dropout(0.2),
                                   nn.Linear(512, 10))
        self.opt = torch.optim.RMSprop(self.model.parameters(), lr=0.001, alpha=0.9, eps=1e-7)
        self.loss = nn.CrossEntropyLoss()
        self.version = torch.__version__

    def epoch(self, x, y):
        torch = self.torch
        xt, yt = torch.from_numpy(x), torch.from_numpy(y)
        order = torch.randperm(len(x))
        self.model.train()
        for start in range(0, len(x), BATCH):
            idx = order[start:start + BATCH]
            self.opt.zero_grad(set_to_none=True)
            self.loss(self.model(xt[idx]), yt[idx]).backward()
            self.opt.step()


class TorchAutocastPeer(TorchPeer):
    name = "PyTorch autocast bf16"

    def epoch(self, x, y):
        with self.torch.autocast("cpu", dtype=self.torch.bfloat16):
            super().epoch(x, y)


class JaxPeer:
    """The seed step as one jit-compiled function: forward, value_and_grad,
    RMSprop, with dropout keys split per step."""
    name = "JAX jit"

    def __init__(self, threads):
        import jax  # XLA sizes its pool to the cores it may use (bench/common pins the child)
        import jax.numpy as jnp

        self.jax, self.jnp = jax, jnp
        rng = np.random.default_rng(0)
        sizes = [(784, 512), (512, 512), (512, 10)]
        self.params = [(jnp.asarray(glorot(rng, a, b)), jnp.zeros(b, jnp.float32))
                       for a, b in sizes]
        self.state = jax.tree_util.tree_map(jnp.zeros_like, self.params)
        self.key = jax.random.PRNGKey(0)
        self.version = jax.__version__

        def loss_fn(params, xb, yb, key):
            h = xb
            keys = jax.random.split(key, 2)
            for i, (w, b) in enumerate(params):
                h = h @ w + b
                if i < 2:
                    h = jax.nn.relu(h)
                    keep = jax.random.bernoulli(keys[i], 0.8, h.shape)
                    h = jnp.where(keep, h / 0.8, 0)
            logp = jax.nn.log_softmax(h)
            return -jnp.take_along_axis(logp, yb[:, None], axis=1).mean()

        def step(params, state, xb, yb, key):
            grads = jax.grad(loss_fn)(params, xb, yb, key)
            state = jax.tree_util.tree_map(lambda v, g: 0.9 * v + 0.1 * g * g, state, grads)
            params = jax.tree_util.tree_map(lambda p, g, v: p - 0.001 * g / jnp.sqrt(v + 1e-7),
                                            params, grads, state)
            return params, state

        self.step = jax.jit(step, donate_argnums=(0, 1))

    def epoch(self, x, y):
        jax, jnp = self.jax, self.jnp
        order = np.random.default_rng(len(x)).permutation(len(x))
        full = len(x) // BATCH * BATCH  # a last partial batch would compile a second step
        for start in range(0, full, BATCH):
            idx = order[start:start + BATCH]
            self.key, sub = jax.random.split(self.key)
            self.params, self.state = self.step(self.params, self.state, jnp.asarray(x[idx]),
                                                jnp.asarray(y[idx]), sub)
        jax.block_until_ready(self.params)


class SklearnPeer:
    name = "scikit-learn"

    def __init__(self, threads):
        import sklearn
        from sklearn.neural_network import MLPClassifier

        self.model = MLPClassifier(hidden_layer_sizes=(512, 512), solver="adam", alpha=0.0,
                                   batch_size=BATCH, learning_rate_init=0.001, max_iter=1,
                                   warm_start=True, random_state=0)
        self.version = sklearn.__version__

    def epoch(self, x, y):
        import warnings

        from sklearn.exceptions import ConvergenceWarning
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            self.model.fit(x, y)


def available_peers(threads):
    peers = [FastmlpPeer(threads)]
    for cls in (FastmlpBf16Peer, NumpyPeer, TorchPeer, TorchAutocastPeer, JaxPeer, SklearnPeer):
        try:
            peers.append(cls(threads))
        except ImportError as exc:
            print(f"({cls.name} skipped: {exc})")
    return peers


def accuracy_run(epochs):
    """Best-epoch test accuracy of fastmlp float32 and mixed_bfloat16, same seed."""
    import fastmlp as fm

    from fastmlp.demo import seed_network

    x, y, xt, yt, source = fashion_mnist_or_synthetic()
    dtypes = ["float32"] + (["mixed_bfloat16"] if fm._engine.bf16_supported() else [])
    best = {}
    for dtype in dtypes:
        fm.set_random_seed(0)
        model = seed_network(dtype=dtype)
        history = model.fit(x, y, batch_size=BATCH, epochs=epochs, verbose=0,
                            validation_data=(xt, yt))
        curve = history.history["val_accuracy"]
        best[dtype] = max(curve)
        say(f"{dtype}: best test accuracy {100 * best[dtype]:.2f} % (epoch "
            f"{curve.index(best[dtype]) + 1} of {epochs}), last {100 * curve[-1]:.2f} %")
    if len(best) == 2:
        print(f"mixed_bfloat16 − float32, best epoch: "
              f"{100 * (best['mixed_bfloat16'] - best['float32']):+.2f} points ({source})")


def is_bf16(name):
    """Whether a peer's products run in bfloat16 (its floor is the vdpbf16ps one)."""
    return "bfloat16" in name or "bf16" in name


def child(threads, epochs, markdown, accuracy_epochs):
    x, y, _, _, source = fashion_mnist_or_synthetic()
    peers = available_peers(threads)
    peak = Peak(threads)
    bf16_peak = Peak(threads, instruction="bf16") if any(is_bf16(p.name) for p in peers) else None
    for peer in peers:  # warm-up epoch: first-touch allocations, thread pools, caches
        peer.epoch(x, y)
    times = {peer.name: [] for peer in peers}
    for round_ in range(epochs):
        for peer in (peers if round_ % 2 == 0 else peers[::-1]):
            time.sleep(0.2)
            start = time.perf_counter()
            peer.epoch(x, y)
            times[peer.name].append(time.perf_counter() - start)
            say(f"{threads} thread(s), epoch {round_ + 1}/{epochs}: {peer.name} "
                f"{times[peer.name][-1]:.3f} s")
    peak.probe_again()
    floor = EPOCH_GFLOP / peak.gflops
    bf16_floor = None
    if bf16_peak is not None and bf16_peak.probe_again() > 0:  # 0: the CPU lacks vdpbf16ps
        bf16_floor = BF16_GFLOP / bf16_peak.gflops + (EPOCH_GFLOP - BF16_GFLOP) / peak.gflops
    medians = {name: float(np.median(t)) for name, t in times.items()}
    base = medians["fastmlp"]
    bf16 = medians.get("fastmlp mixed_bfloat16")
    print(f"\n## {threads} thread{'s' if threads > 1 else ''}: one epoch of {source} "
          f"({len(x)} rows, batch {BATCH}); FMA peak measured now {peak.gflops:.0f} GFLOPS, "
          f"so the arithmetic floor is {floor:.2f} s")
    if bf16_floor is not None:
        print(f"vdpbf16ps peak measured now {bf16_peak.gflops:.0f} GFLOPS: the mixed_bfloat16 "
              f"floor is {bf16_floor:.2f} s, so an epoch doing nothing but its products could "
              f"be at most {floor / bf16_floor:.2f}x faster in mixed_bfloat16 than in float32")
    print()
    rows = []
    for peer in peers:
        t = medians[peer.name]
        rows.append([f"{peer.name} {peer.version}", f"{t:.3f}", f"{len(x) / t:,.0f}",
                     f"{100 * bf16_floor / t:.0f}" if is_bf16(peer.name) and bf16_floor
                     else peak.percent(EPOCH_GFLOP / t, peer.name),
                     f"{100 * spread(times[peer.name]):.0f}",
                     f"{t / base:.2f}", "–" if bf16 is None else f"{t / bf16:.2f}"])
    table(["library", "epoch s (median)", "samples/s", "% of floor", "spread %",
           "fastmlp fp32 speedup", "fastmlp bf16 speedup"], rows, markdown)
    peak.note()
    warn_if_spread(times)
    report({"threads": threads, "medians": medians})
    if accuracy_epochs and last_child():  # the same bits at any thread count: run it once
        print()
        accuracy_run(accuracy_epochs)


def main():
    results = benchmark_main(__file__, __doc__, child,
                             [("--epochs", 3, "timed epochs per library"),
                              ("--accuracy-epochs", 0, "then train fastmlp float32 and "
                                                       "mixed_bfloat16 this many epochs for "
                                                       "their test accuracy")])
    if results is None:
        return
    by_threads = {r["threads"]: r["medians"] for r in results}
    if 1 in by_threads and 2 in by_threads:
        print("\nscaling from 1 to 2 threads (epoch time ratio):")
        for name in by_threads[1]:
            if name in by_threads[2]:
                print(f"  {name}: {by_threads[1][name] / by_threads[2][name]:.2f}x")


if __name__ == "__main__":
    main()
