"""Kernel initializers with Keras 3's definitions (variance scaling)."""
import numpy as np

from ._validation import check_choice

# name -> (scale, mode, distribution) of Keras's VarianceScaling
_VARIANCE_SCALING = {
    "glorot_uniform": (1.0, "fan_avg", "uniform"),
    "glorot_normal": (1.0, "fan_avg", "truncated_normal"),
    "he_uniform": (2.0, "fan_in", "uniform"),
    "he_normal": (2.0, "fan_in", "truncated_normal"),
    "lecun_uniform": (1.0, "fan_in", "uniform"),
    "lecun_normal": (1.0, "fan_in", "truncated_normal"),
}
NAMES = list(_VARIANCE_SCALING) + ["zeros", "ones", "random_normal", "random_uniform"]

# stddev of a unit normal truncated to [-2, 2]
_TRUNCATED_STD = 0.87962566103423978


def get(name):
    return check_choice(name, "kernel_initializer", {n: n for n in NAMES})


def _truncated_normal(rng, stddev, shape):
    values = rng.standard_normal(shape)
    outside = np.abs(values) > 2
    while outside.any():
        values[outside] = rng.standard_normal(int(outside.sum()))
        outside = np.abs(values) > 2
    return values * stddev


def initial_kernel(name, fan_in, fan_out, rng):
    """A (fan_in, fan_out) float64 kernel drawn from `rng`."""
    shape = (fan_in, fan_out)
    if name == "zeros":
        return np.zeros(shape)
    if name == "ones":
        return np.ones(shape)
    if name == "random_normal":
        return rng.standard_normal(shape) * 0.05
    if name == "random_uniform":
        return rng.uniform(-0.05, 0.05, shape)
    scale, mode, distribution = _VARIANCE_SCALING[name]
    n = fan_in if mode == "fan_in" else (fan_in + fan_out) / 2.0
    if distribution == "uniform":
        limit = np.sqrt(3.0 * scale / n)
        return rng.uniform(-limit, limit, shape)
    return _truncated_normal(rng, np.sqrt(scale / n) / _TRUNCATED_STD, shape)
