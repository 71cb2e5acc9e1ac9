"""Every activation of fm.activations, and the layers Activation, ReLU,
LeakyReLU, ELU and Softmax: values against Keras 3's definitions written
independently with torch ops (not fastmlp's numpy functions), derivatives
against torch autograd in float64; on every SIMD path, in float32 and float64.

The engine's own entry points (_engine.act_forward / act_gradient) are checked
element by element; then the same activations inside models, through predict
and model._gradients.

Tolerances are multiples of the dtype's machine epsilon (eps, 1.19e-7 for
float32, 2.22e-16 for float64), applied to the float64 reference evaluated at
the very same (float32-rounded) inputs:
- values: |f − ref| ≤ 4·eps·|ref|; softmax (4 + |z − max z|/2)·eps·|ref| (the
  shift z − max z is rounded, and exp turns its absolute error into a relative
  one); gelu and its tanh form also get 4·eps·|z| absolute, as
  1 + erf(z/√2) cancels for z ≪ 0 in any floating-point evaluation of Keras's
  formula;
- derivatives g·f'(z): |error| ≤ 8·eps·(|g·f'| + |g|), i.e. relative to the
  incoming gradient (f' is computed from the rounded output y where that is
  cheaper, as sigmoid's y(1 − y)); gelu's tanh form 64·eps, its derivative
  cancelling like its value;
- in models (Dense → activation → Dense): predict within 32·eps of the output
  scale, model._gradients within 64·eps of each gradient's scale, the loss
  within 64·eps relative (measured: up to ~6, ~12 and ~10 eps).
"""
import math

import numpy as np
import pytest

import fastmlp as fm
from fastmlp import _engine
from fastmlp import activations as A

torch = pytest.importorskip("torch", reason="the references are written with torch ops")
F = torch.nn.functional

SELU_ALPHA = 1.6732632423543772848170429916717
SELU_LAMBDA = 1.0507009873554804934193349852946
DTYPES = [np.float32, np.float64]


@pytest.fixture(scope="module", autouse=True)
def _torch_single_thread():
    """Tiny tensors: torch's thread team would only wait on a busy machine."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)
# every name fm.activations takes, and the tanh form of gelu (an engine code without a name)
NAMES = list(A.NAMES) + ["gelu_tanh"]


def softplus(z):
    return F.relu(z) + torch.log1p(torch.exp(-z.abs()))


def reference(name, z, alpha=0.0, max_value=math.inf, threshold=0.0):
    """Keras 3's definition of each activation (keras/src/activations,
    backend/torch/nn.py), written with torch ops; z a float64 tensor."""
    if name == "linear":
        return z
    if name == "relu":  # Keras's ReLU(max_value, negative_slope=alpha, threshold)
        kept = torch.where(z > threshold, z, torch.zeros_like(z)).clamp(0, max_value)
        return kept - alpha * F.relu(threshold - z)
    if name == "leaky_relu":
        return torch.where(z > 0, z, alpha * z)
    if name == "sigmoid":
        return torch.sigmoid(z)
    if name == "tanh":
        return torch.tanh(z)
    if name == "softmax":
        return torch.softmax(z, dim=-1)
    if name == "exponential":
        return torch.exp(z)
    if name == "elu":
        return torch.where(z > 0, z, alpha * torch.expm1(z))
    if name == "selu":
        return SELU_LAMBDA * torch.where(z > 0, z, SELU_ALPHA * torch.expm1(z))
    if name == "softplus":  # log(1 + exp(z)); torch's F.softplus returns z itself above 20
        return softplus(z)
    if name == "softsign":
        return z / (1 + z.abs())
    if name in ("swish", "silu"):
        return z * torch.sigmoid(z)
    if name == "gelu":  # Keras's default: exact
        return 0.5 * z * (1 + torch.erf(z / math.sqrt(2)))
    if name == "gelu_tanh":
        return 0.5 * z * (1 + torch.tanh(math.sqrt(2 / math.pi) * (z + 0.044715 * z ** 3)))
    if name == "hard_sigmoid":  # Keras 3: relu6(x + 3) / 6 (not Keras 2's 0.2x + 0.5)
        return F.relu6(z + 3) / 6  # (F.hardsigmoid's float64 backward uses a float32 1/6)
    if name == "relu6":
        return z.clamp(0, 6)
    if name == "mish":
        return z * torch.tanh(softplus(z))
    raise KeyError(name)


def default_params(name):
    """(alpha, max_value, threshold) that the name means (Keras's defaults)."""
    return {"leaky_relu": (0.2, math.inf, 0.0), "elu": (1.0, math.inf, 0.0)}.get(
        name, (0.0, math.inf, 0.0))


def engine_tuple(name, params=None):
    alpha, max_value, threshold = params or default_params(name)
    return (A.CODES["swish" if name == "silu" else name], alpha, max_value, threshold)


def reference_and_vjp(name, z, g, params=None):
    """f(z) and g·f'(z) (the vector-Jacobian product for softmax) in float64."""
    zt = torch.tensor(np.asarray(z, np.float64), requires_grad=True)
    y = reference(name, zt, *(params or default_params(name)))
    (vjp,) = torch.autograd.grad((y * torch.tensor(np.asarray(g, np.float64))).sum(), zt)
    return y.detach().numpy(), vjp.numpy()


def forward_tolerance(name, z, ref, dtype):
    eps = np.finfo(dtype).eps
    tol = 4 * eps * np.abs(ref)
    if name == "softmax":  # exp(z − max z) with the shift rounded: |z − max z|·eps/2 more
        z64 = z.astype(np.float64)
        tol = tol + (z64.max(axis=-1, keepdims=True) - z64) / 2 * eps * np.abs(ref)
    if name in ("gelu", "gelu_tanh"):
        tol = tol + 4 * eps * np.abs(z.astype(np.float64))
    return np.maximum(tol, np.finfo(dtype).tiny)


def gradient_tolerance(name, g, vjp, dtype):
    eps = np.finfo(dtype).eps
    return (64 if name == "gelu_tanh" else 8) * eps * (np.abs(vjp) + np.abs(g.astype(np.float64)))


def grid(rng, dtype, kinks=(0.0,)):
    """Inputs over the interesting range (saturation included), 40 × 50, none
    within 1e-3 of a kink (where the derivative is a convention)."""
    z = np.concatenate([rng.uniform(-12, 12, 1200), rng.standard_normal(700),
                        np.linspace(-30, 30, 100)])
    for k in kinks:
        z = np.where(np.abs(z - k) < 1e-3, z + 2e-3, z)
    return z.reshape(40, 50).astype(dtype)


def assert_within(actual, expected, tol, what):
    err = np.abs(actual.astype(np.float64) - expected)
    worst = np.unravel_index(np.argmax(err / tol), err.shape)
    assert (err <= tol).all(), (f"{what}: error {err[worst]:.3g} > tolerance {tol[worst]:.3g} "
                                f"(value {expected[worst]!r})")


def kinks_of(name, params=None):
    alpha, max_value, threshold = params or default_params(name)
    return {"hard_sigmoid": (-3.0, 3.0), "relu6": (0.0, 6.0),
            "relu": (0.0, threshold) + ((max_value,) if math.isfinite(max_value) else ())
            }.get(name, (0.0,))


# ---------------------------------------------------------------- the names

def test_every_name_is_an_engine_activation_with_keras_defaults():
    """Each name maps to an engine code; silu is swish; the slopes are Keras 3's."""
    assert set(A.NAMES) >= {"linear", "relu", "leaky_relu", "sigmoid", "tanh", "softmax",
                            "exponential", "elu", "selu", "softplus", "softsign", "swish",
                            "silu", "gelu", "hard_sigmoid", "relu6", "mish"}
    for name in A.NAMES:
        act = A.get(name)
        assert act.engine() == engine_tuple(name), name
    assert A.get("silu") == A.get("swish")
    assert A.get(None).name == "linear"
    assert A.get("leaky_relu").alpha == 0.2  # the function's default; the layer's is 0.3
    assert fm.LeakyReLU().negative_slope == 0.3
    assert A.get(A.gelu) == A.get("gelu")  # the function object names the same activation


# ---------------------------------------------------------------- the engine, element by element

@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", NAMES)
def test_engine_values_and_derivatives(isa, name, dtype):
    """act_forward against Keras's formula, act_gradient against torch autograd."""
    rng = np.random.default_rng(NAMES.index(name))
    z = grid(rng, dtype, kinks_of(name))
    g = rng.standard_normal(z.shape).astype(dtype)
    ref, vjp = reference_and_vjp(name, z, g)
    act = engine_tuple(name)
    y = _engine.act_forward(act, z)
    assert y.dtype == dtype
    assert_within(y, ref, forward_tolerance(name, z, ref, dtype), f"{name} values")
    d = _engine.act_gradient(act, z, y, g)
    assert_within(d, vjp, gradient_tolerance(name, g, vjp, dtype), f"{name} derivative")


LAYER_CASES = {
    # layer, its (name, alpha, max_value, threshold) by Keras's definition
    "ReLU()": (lambda: fm.ReLU(), ("relu", 0.0, math.inf, 0.0)),
    "ReLU(max_value=6)": (lambda: fm.ReLU(max_value=6.0), ("relu", 0.0, 6.0, 0.0)),
    "ReLU(negative_slope=0.1)": (lambda: fm.ReLU(negative_slope=0.1), ("relu", 0.1, math.inf, 0.0)),
    "ReLU(threshold=1.5)": (lambda: fm.ReLU(threshold=1.5), ("relu", 0.0, math.inf, 1.5)),
    "ReLU(2, 0.1, 0.5)": (lambda: fm.ReLU(max_value=2.0, negative_slope=0.1, threshold=0.5),
                          ("relu", 0.1, 2.0, 0.5)),
    "ReLU(max_value=0.5, threshold=1)": (lambda: fm.ReLU(max_value=0.5, threshold=1.0),
                                         ("relu", 0.0, 0.5, 1.0)),
    "LeakyReLU()": (lambda: fm.LeakyReLU(), ("leaky_relu", 0.3, math.inf, 0.0)),
    "LeakyReLU(0.2)": (lambda: fm.LeakyReLU(negative_slope=0.2),
                       ("leaky_relu", 0.2, math.inf, 0.0)),
    "LeakyReLU(alpha=0.05)": (lambda: fm.LeakyReLU(alpha=0.05),  # Keras 2's name
                              ("leaky_relu", 0.05, math.inf, 0.0)),
    "ELU()": (lambda: fm.ELU(), ("elu", 1.0, math.inf, 0.0)),
    "ELU(0.5)": (lambda: fm.ELU(alpha=0.5), ("elu", 0.5, math.inf, 0.0)),
    "Softmax()": (lambda: fm.Softmax(), ("softmax", 0.0, math.inf, 0.0)),
    "Activation('gelu')": (lambda: fm.Activation("gelu"), ("gelu", 0.0, math.inf, 0.0)),
    "Activation(gelu_tanh)": (lambda: fm.Activation(A.Activation("gelu_tanh")),
                              ("gelu_tanh", 0.0, math.inf, 0.0)),
    "Activation(fm.activations.mish)": (lambda: fm.Activation(A.mish),
                                        ("mish", 0.0, math.inf, 0.0)),
}


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("case", list(LAYER_CASES))
def test_layer_parameters_reach_the_engine(isa, case, dtype):
    """The activation layers' parameters (max_value, negative_slope, threshold,
    alpha) give Keras's function, values and derivatives."""
    make, (name, *params) = LAYER_CASES[case]
    rng = np.random.default_rng(len(case))
    z = grid(rng, dtype, kinks_of(name, params))
    g = rng.standard_normal(z.shape).astype(dtype)
    ref, vjp = reference_and_vjp(name, z, g, params)
    act = make()._activation().engine()
    assert act == (A.CODES[name], *params)
    y = _engine.act_forward(act, z)
    assert_within(y, ref, forward_tolerance(name, z, ref, dtype), f"{case} values")
    d = _engine.act_gradient(act, z, y, g)
    assert_within(d, vjp, gradient_tolerance(name, g, vjp, dtype), f"{case} derivative")


# Keras 3.15.1's own outputs, as a fixture tying the references above to Keras:
# produced in the notes' venv (KERAS_BACKEND=torch, keras.config.set_floatx("float64"))
# by keras.activations.<name>(x) at X, printed with 10 significant digits; the
# ReLU row is keras.layers.ReLU(max_value=2, negative_slope=0.1, threshold=0.5)(X),
# and the gelu/selu/hard_sigmoid/mish rows agree with the notes (keras3.md §9).
X = [-3.0, -1.0, -0.5, 0.0, 0.5, 1.0, 3.0, 7.0]
KERAS_VALUES = {
    "gelu": [-0.004049694095, -0.1586552539, -0.1542687694, 0, 0.3457312306, 0.8413447461,
             2.995950306, 7],
    "gelu_tanh": [-0.003637392082, -0.1588080094, -0.1542859902, 0, 0.3457140098, 0.8411919906,
                  2.996362608, 7],
    "selu": [-1.670568729, -1.111330738, -0.6917581878, 0, 0.5253504937, 1.050700987,
             3.152102962, 7.354906911],
    "hard_sigmoid": [0, 0.3333333333, 0.4166666667, 0.5, 0.5833333333, 0.6666666667, 1, 1],
    "mish": [-0.1456474613, -0.3034014614, -0.2207437747, 0, 0.3752452113, 0.8650983883,
             2.986535005, 6.99998838],
    "leaky_relu": [-0.6, -0.2, -0.1, 0, 0.5, 1, 3, 7],
    "elu": [-0.9502129316, -0.6321205588, -0.3934693403, 0, 0.5, 1, 3, 7],
    "softplus": [0.04858735157, 0.3132616875, 0.4740769842, 0.6931471806, 0.9740769842,
                 1.313261688, 3.048587352, 7.000911466],
    "swish": [-0.1422776195, -0.2689414214, -0.1887703344, 0, 0.3112296656, 0.7310585786,
              2.85772238, 6.993622642],
    "softsign": [-0.75, -0.5, -0.3333333333, 0, 0.3333333333, 0.5, 0.75, 0.875],
    "relu_layer": [-0.35, -0.15, -0.1, -0.05, 0, 1, 2, 2],
}


@pytest.mark.parametrize("name", list(KERAS_VALUES))
def test_references_and_engine_reproduce_keras_numbers(name):
    """The torch references and fastmlp's engine give Keras's printed values."""
    key, params = ("relu", (0.1, 2.0, 0.5)) if name == "relu_layer" else (name, None)
    x = np.array([X])
    expected = np.array([KERAS_VALUES[name]])
    ref = reference(key, torch.tensor(x), *(params or default_params(key))).numpy()
    np.testing.assert_allclose(ref, expected, rtol=1e-9, atol=1e-12)
    got = _engine.act_forward((A.CODES[key], *(params or default_params(key))), x)
    np.testing.assert_allclose(got, expected, rtol=1e-9, atol=1e-12)


# ---------------------------------------------------------------- inside models

def model_with(activation_layer, dtype, dense_activation=None):
    """Input(4) → Dense(6, dense_activation) [→ activation_layer] → Dense(3)."""
    layers = [fm.Input((4,)), fm.Dense(6, activation=dense_activation)]
    if activation_layer is not None:
        layers.append(activation_layer)
    layers.append(fm.Dense(3))
    model = fm.Sequential(layers, dtype=dtype)
    model.compile(optimizer="sgd", loss="mse")
    return model


def torch_model_loss(weights, x, y, name, params):
    """The same network in torch (float64): its outputs, its loss and the
    gradients of the loss with respect to the weights."""
    w = [torch.tensor(np.asarray(v, np.float64), requires_grad=True) for v in weights]
    h = reference(name, torch.tensor(x, dtype=torch.float64) @ w[0] + w[1], *params)
    out = h @ w[2] + w[3]
    loss = ((out - torch.tensor(y)) ** 2).mean(dim=1).sum() / len(y)  # Keras's mse reduction
    grads = torch.autograd.grad(loss, w)
    return out.detach().numpy(), loss.item(), [g.numpy() for g in grads]


MODEL_CASES = [(name, "dense") for name in A.NAMES] + \
              [(name, "layer") for name in A.NAMES if name != "linear"] + \
              [(case, "layer") for case in LAYER_CASES]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("case,where", MODEL_CASES)
def test_in_a_model_predict_and_gradients(isa, case, where, dtype):
    """Dense(activation=name), Activation(name) and the activation layers inside
    a model: predict and model._gradients against the network in torch."""
    if case in LAYER_CASES:
        make, (name, *params) = LAYER_CASES[case]
        layer = make()
    else:
        name, params = case, list(default_params(case))
        layer = fm.Activation(case) if where == "layer" else None
    model = model_with(layer, dtype, dense_activation=case if where == "dense" else None)
    rng = np.random.default_rng(MODEL_CASES.index((case, where)))
    weights = [w * 2 for w in model.get_weights()]  # hidden values out to the saturated ranges
    weights[1] = rng.normal(0, 0.5, 6)
    model.set_weights(weights)
    weights = model.get_weights()  # as rounded to the model's dtype
    x = (rng.standard_normal((20, 4)) * 2).astype(dtype)
    y = rng.standard_normal((20, 3))
    out, loss, grads = torch_model_loss(weights, x.astype(np.float64), y, name, params)

    # errors relative to the output's (gradient's) scale, in the dtype's eps: a few
    # eps per operation over a 2-layer chain (measured: at most ~6 eps for the
    # outputs and ~12 eps for the gradients)
    eps = np.finfo(dtype).eps
    scale = np.abs(out).max() + 1
    np.testing.assert_allclose(model.predict(x, verbose=0), out, rtol=0, atol=32 * eps * scale)
    value, got = model._gradients(x, y.astype(dtype))
    assert value == pytest.approx(loss, rel=64 * eps)
    assert len(got) == len(grads)
    for i, (a, e) in enumerate(zip(got, grads)):
        gscale = np.abs(e).max() + 1e-3
        np.testing.assert_allclose(a, e, rtol=0, atol=64 * eps * gscale,
                                   err_msg=f"gradient of weight {i}")


# ---------------------------------------------------------------- arguments Keras refuses

@pytest.mark.parametrize("make", [lambda: fm.ReLU(threshold=-1.0),
                                  lambda: fm.LeakyReLU(negative_slope=-0.1)],
                         ids=["ReLU(threshold=-1)", "LeakyReLU(negative_slope=-0.1)"])
def test_layers_refuse_what_keras_refuses(make):
    """Negative thresholds and slopes are refused, as Keras 3's layers do."""
    with pytest.raises(ValueError):
        make()


def test_layers_refuse_negative_max_value_and_slope():
    """A negative max_value or negative_slope of ReLU raises ValueError, as in Keras 3."""
    with pytest.raises(ValueError, match="max_value"):
        fm.ReLU(max_value=-1.0)
    with pytest.raises(ValueError, match="negative_slope"):
        fm.ReLU(negative_slope=-0.5)
