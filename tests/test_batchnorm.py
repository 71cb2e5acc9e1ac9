"""BatchNormalization checked against PyTorch's BatchNorm1d in float64, with
Keras 3's conventions converted: torch momentum = 1 − Keras momentum, and
Keras's moving variance takes the biased batch variance where torch's
running_var takes the unbiased one. Also: a frozen layer (trainable=False)
runs on its moving statistics, as Keras 3's does; folded inference (predict)
equals the unfolded layers computed in numpy; model(x, training=True).

Tolerances: float64 comparisons with torch hold to 1e-10 absolute (the values
are O(1); most agree to ~1e-15, the bias of a Dense layer feeding a
normalization gets only rounding-noise gradients, which Adam scales up to
~1e-12). Folded inference: ~1e-12 in float64, and a float32 rounding bound
(a small multiple of float32's eps times the magnitude of the terms) in float32.
"""
import numpy as np
import pytest

import fastmlp as fm

N_IN, N_OUT, ROWS = 5, 3, 16


@pytest.fixture(scope="module")
def torch():
    torch = pytest.importorskip("torch", reason="the reference implementation is PyTorch's")
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # tiny tensors: torch's thread team only waits on a busy machine
    yield torch
    torch.set_num_threads(threads)


# ---------------------------------------------------------------- networks from a spec
#
# A spec is a list of ("dense", kwargs), ("bn", kwargs), ("act", name) or
# ("dropout", rate); fastmlp and the torch/numpy references are built from it.

def fm_model(spec, dtype="float64", n_in=N_IN):
    layers = [fm.Input((n_in,))]
    for kind, arg in spec:
        if kind == "dense":
            layers.append(fm.Dense(**arg))
        elif kind == "bn":
            layers.append(fm.BatchNormalization(**arg))
        elif kind == "act":
            layers.append(fm.Activation(arg))
        else:
            layers.append(fm.Dropout(arg))
    model = fm.Sequential(layers, dtype=dtype)
    model.build((None, n_in))  # (a Sequential without a Dense layer waits for data otherwise)
    return model


def randomize_bn(model, rng):
    """Give every BatchNormalization non-trivial gamma, beta and moving statistics."""
    for layer in model.layers:
        if isinstance(layer, fm.BatchNormalization):
            n = layer.get_weights()[0].shape[0]
            values = ([rng.uniform(0.5, 1.5, n)] if layer.scale else []) + \
                     ([rng.normal(0, 0.5, n)] if layer.center else []) + \
                     [rng.normal(0, 0.5, n), rng.uniform(0.5, 2.0, n)]
            layer.set_weights(values)


def split_weights(spec, weights):
    """Per spec entry, a dict of that layer's arrays (Keras's get_weights order)."""
    out, i = [], 0
    for kind, arg in spec:
        d = {}
        if kind == "dense":
            d["kernel"] = weights[i]
            i += 1
            if arg.get("use_bias", True):
                d["bias"] = weights[i]
                i += 1
        elif kind == "bn":
            for key, present in (("gamma", arg.get("scale", True)),
                                 ("beta", arg.get("center", True)),
                                 ("moving_mean", True), ("moving_variance", True)):
                if present:
                    d[key] = weights[i]
                    i += 1
        out.append(d)
    assert i == len(weights)
    return out


def numpy_inference(spec, weights, x):
    """The unfolded inference pass in float64 and, alongside, the same pass on
    absolute values (the scale of the rounding errors a float32 pass can make)."""
    y, s = x.astype(np.float64), np.abs(x.astype(np.float64))
    for (kind, arg), w in zip(spec, split_weights(spec, weights)):
        w = {k: v.astype(np.float64) for k, v in w.items()}
        if kind == "dense":
            y, s = y @ w["kernel"], s @ np.abs(w["kernel"])
            if "bias" in w:
                y, s = y + w["bias"], s + np.abs(w["bias"])
            act = arg.get("activation")
        elif kind == "bn":
            r = w.get("gamma", 1.0) / np.sqrt(w["moving_variance"] + arg.get("epsilon", 1e-3))
            y = (y - w["moving_mean"]) * r + w.get("beta", 0.0)
            s = (s + np.abs(w["moving_mean"])) * np.abs(r) + np.abs(w.get("beta", 0.0))
            act = None
        elif kind == "act":
            act = arg
        else:
            act = None
        if act == "relu":
            y = np.maximum(y, 0)
        elif act == "softmax":
            e = np.exp(y - y.max(axis=1, keepdims=True))
            y, s = e / e.sum(axis=1, keepdims=True), np.maximum(s, 1.0)
        elif act is not None:
            raise ValueError(act)
    return y, s


class TorchNet:
    """The spec as torch modules (float64), weights copied from fastmlp's."""

    def __init__(self, torch, spec, weights):
        self.torch, self.spec, self.modules = torch, spec, []
        for (kind, arg), w in zip(spec, split_weights(spec, weights)):
            t = {k: torch.tensor(v, dtype=torch.float64) for k, v in w.items()}
            if kind == "dense":
                m = torch.nn.Linear(t["kernel"].shape[0], t["kernel"].shape[1],
                                    bias="bias" in t, dtype=torch.float64)
                with torch.no_grad():
                    m.weight.copy_(t["kernel"].T)
                    if "bias" in t:
                        m.bias.copy_(t["bias"])
            elif kind == "bn":
                n = t["moving_mean"].shape[0]
                affine = "gamma" in t or "beta" in t
                m = torch.nn.BatchNorm1d(n, eps=arg.get("epsilon", 1e-3),
                                         momentum=1 - arg.get("momentum", 0.99),
                                         affine=affine, dtype=torch.float64)
                with torch.no_grad():
                    m.running_mean.copy_(t["moving_mean"])
                    m.running_var.copy_(t["moving_variance"])
                    if affine:  # a missing gamma (beta) is 1 (0), and not learned
                        m.weight.copy_(t.get("gamma", torch.ones(n, dtype=torch.float64)))
                        m.bias.copy_(t.get("beta", torch.zeros(n, dtype=torch.float64)))
                        m.weight.requires_grad_("gamma" in t)
                        m.bias.requires_grad_("beta" in t)
            else:
                m = None
            self.modules.append(m)

    def params(self):
        """The learned tensors in Keras's get_weights order (moving statistics left out)."""
        out = []
        for (kind, arg), m in zip(self.spec, self.modules):
            if kind == "dense":
                out += [m.weight] + ([m.bias] if m.bias is not None else [])
            elif kind == "bn" and m.affine:
                out += [p for p in (m.weight, m.bias) if p.requires_grad]
        return out

    def forward(self, x, training):
        torch = self.torch
        y = torch.as_tensor(x, dtype=torch.float64)
        for (kind, arg), m in zip(self.spec, self.modules):
            if kind == "bn":
                m.train(training)
            if m is not None:
                y = m(y)
            act = arg.get("activation") if kind == "dense" else (arg if kind == "act" else None)
            if act == "relu":
                y = torch.relu(y)
            elif act == "softmax":
                y = torch.softmax(y, dim=1)
        return y

    def train_forward(self, x):
        """A training-mode pass; returns the output and the moving statistics Keras
        would hold afterwards: torch's running_var is corrected to the biased
        variance (torch adds (1 − keras momentum)·s² with the unbiased s²)."""
        before = [(m.running_mean.clone(), m.running_var.clone()) if k == "bn" else None
                  for (k, _), m in zip(self.spec, self.modules)]
        out = self.forward(x, True)
        n = len(x)
        moving = []
        for (kind, arg), m, old in zip(self.spec, self.modules, before):
            if kind != "bn":
                continue
            keep = arg.get("momentum", 0.99)
            unbiased = (m.running_var - keep * old[1]) / (1 - keep)
            keras_var = keep * old[1] + (1 - keep) * unbiased * (n - 1) / n
            m.running_var = keras_var.detach().clone()  # a new buffer: autograd saved the old
            moving += [m.running_mean.detach().numpy().copy(), keras_var.detach().numpy().copy()]
        return out, moving

    def weights(self):
        """Keras's get_weights order, as numpy."""
        out = []
        for (kind, arg), m in zip(self.spec, self.modules):
            if kind == "dense":
                out.append(m.weight.detach().numpy().T.copy())
                if m.bias is not None:
                    out.append(m.bias.detach().numpy().copy())
            elif kind == "bn":
                if arg.get("scale", True):
                    out.append(m.weight.detach().numpy().copy())
                if arg.get("center", True):
                    out.append(m.bias.detach().numpy().copy())
                out += [m.running_mean.numpy().copy(), m.running_var.numpy().copy()]
        return out


def keras_loss(torch, loss, out, y):
    """Keras's "sum_over_batch_size": per-row losses summed, over the rows."""
    y = torch.as_tensor(y, dtype=torch.float64)
    if loss == "mse":
        per_row = ((out - y) ** 2).mean(dim=1)
    else:  # categorical cross-entropy of a softmax output
        per_row = -(y * torch.log(out)).sum(dim=1)
    return per_row.sum() / len(y)


class KerasAdam:
    """Keras 3's Adam written out (epsilon outside the bias correction, so it
    differs from torch.optim.Adam's): m += (g − m)(1 − β1), v += (g² − v)(1 − β2),
    w −= lr·sqrt(1 − β2ᵗ)/(1 − β1ᵗ)·m/(sqrt(v) + ε)."""

    def __init__(self, params, lr, beta_1=0.9, beta_2=0.999, epsilon=1e-7):
        self.params, self.lr, self.b1, self.b2, self.eps = params, lr, beta_1, beta_2, epsilon
        self.m = [p.detach().clone() * 0 for p in params]
        self.v = [p.detach().clone() * 0 for p in params]
        self.t = 0

    def step(self, grads):
        self.t += 1
        alpha = self.lr * np.sqrt(1 - self.b2 ** self.t) / (1 - self.b1 ** self.t)
        for p, g, m, v in zip(self.params, grads, self.m, self.v):
            m += (g - m) * (1 - self.b1)
            v += (g * g - v) * (1 - self.b2)
            p.data -= alpha * m / (v.sqrt() + self.eps)


def assert_weights(actual, expected, atol, what):
    assert len(actual) == len(expected), what
    for i, (a, e) in enumerate(zip(actual, expected)):
        np.testing.assert_allclose(a, e, rtol=0, atol=atol, err_msg=f"{what}: weight {i}")


def data(rng, loss, rows=ROWS):
    x = rng.standard_normal((rows, N_IN)) * 2 + 0.5
    if loss == "mse":
        return x, rng.standard_normal((rows, N_OUT))
    return x, rng.dirichlet(np.ones(N_OUT), rows)  # soft targets for cross-entropy


# ---------------------------------------------------------------- training against torch

TRAIN_SPECS = {
    "dense_bn_relu_dense": ([("dense", {"units": 6}), ("bn", {"momentum": 0.9}), ("act", "relu"),
                             ("dense", {"units": N_OUT})], "mse"),
    "center_false": ([("dense", {"units": 6}), ("bn", {"center": False, "epsilon": 1e-5}),
                      ("act", "relu"), ("dense", {"units": N_OUT})], "mse"),
    "scale_false": ([("dense", {"units": 6, "use_bias": False}), ("bn", {"scale": False}),
                     ("act", "relu"), ("dense", {"units": N_OUT})], "mse"),
    "no_center_no_scale": ([("dense", {"units": 6}), ("bn", {"center": False, "scale": False,
                                                              "momentum": 0.5}),
                            ("act", "relu"), ("dense", {"units": N_OUT})], "mse"),
    "bn_after_input": ([("bn", {"momentum": 0.8}), ("dense", {"units": 6, "activation": "relu"}),
                        ("dense", {"units": N_OUT})], "mse"),
    "softmax_cross_entropy": ([("dense", {"units": 6}), ("bn", {}), ("act", "relu"),
                               ("dense", {"units": N_OUT, "activation": "softmax"})],
                              "categorical_crossentropy"),
}


def setup_pair(torch, name, seed=0, lr=0.05):
    spec, loss = TRAIN_SPECS[name]
    rng = np.random.default_rng(seed)
    model = fm_model(spec)
    model.compile(optimizer=fm.Adam(learning_rate=lr), loss=loss)
    randomize_bn(model, rng)
    ref = TorchNet(torch, spec, model.get_weights())
    return spec, loss, model, ref, rng


@pytest.mark.parametrize("name", ["dense_bn_relu_dense", "center_false", "scale_false",
                                  "bn_after_input"])
def test_training_step_gradients_match_finite_differences(isa, name):
    """Without torch (so it runs in CI): the gradient one training step applies
    (SGD with learning rate 1, so w0 − w1) against central differences of the
    training-mode loss, which normalizes with the batch's statistics."""
    spec, _ = TRAIN_SPECS[name]
    rng = np.random.default_rng(7)
    model = fm_model(spec)
    model.compile(optimizer=fm.SGD(learning_rate=1.0), loss="mse")
    randomize_bn(model, rng)
    x, y = rng.normal(0, 1, (ROWS, N_IN)), rng.normal(0, 1, (ROWS, N_OUT))
    before = model.get_weights()
    trainable = [w.trainable for layer in model.layers for w in layer.weights]

    def loss_at(weights):
        model.set_weights(weights)
        return float(np.mean((model(x, training=True) - y) ** 2))

    numeric = []
    for i, w in enumerate(before):
        g = np.zeros_like(w)
        if trainable[i]:
            for idx in np.ndindex(w.shape):
                plus = [a.copy() for a in before]
                minus = [a.copy() for a in before]
                plus[i][idx] += 1e-6
                minus[i][idx] -= 1e-6
                g[idx] = (loss_at(plus) - loss_at(minus)) / 2e-6
        numeric.append(g)
    model.set_weights(before)
    model.train_on_batch(x, y)
    after = model.get_weights()
    # (a Dense bias right before a normalization gets a zero gradient: the mean is removed)
    assert sum(np.abs(g).max() > 1e-3 for g in numeric) >= 3
    for i, (w0, w1, g) in enumerate(zip(before, after, numeric)):
        if trainable[i]:
            np.testing.assert_allclose(w0 - w1, g, rtol=1e-5, atol=1e-8, err_msg=f"weight {i}")


@pytest.mark.parametrize("name", list(TRAIN_SPECS))
def test_two_adam_steps_match_torch(torch, isa, name):
    """Inference outputs, the training loss (Keras's reduction: per-row losses
    averaged over the rows), the weights and the moving statistics after each of
    two Adam steps equal those of torch's BatchNorm1d network updated by Keras's
    Adam rule."""
    spec, loss, model, ref, rng = setup_pair(torch, name)
    x, y = data(rng, loss)
    opt = KerasAdam(ref.params(), lr=0.05)
    for step in range(2):
        np.testing.assert_allclose(model(x), ref.forward(x, False).detach().numpy(),
                                   rtol=0, atol=1e-10, err_msg=f"inference before step {step + 1}")
        out, _ = ref.train_forward(x)  # (model(x, training=True) would move the statistics)
        expected_loss = keras_loss(torch, loss, out, y)
        grads = torch.autograd.grad(expected_loss, ref.params())
        got_loss = model.train_on_batch(x, y)
        assert got_loss == pytest.approx(expected_loss.item(), rel=1e-12, abs=1e-12)
        opt.step(grads)
        assert_weights(model.get_weights(), ref.weights(), 1e-10, f"after step {step + 1}")


@pytest.mark.parametrize("name", list(TRAIN_SPECS))
def test_training_step_gradients_match_torch(torch, isa, name):
    """The gradients a training step applies (batch statistics) equal torch
    autograd's: recovered exactly in float64 from one SGD step with lr = 1."""
    spec, loss, model, ref, rng = setup_pair(torch, name, seed=1)
    model.compile(optimizer=fm.SGD(learning_rate=1.0), loss=loss)
    x, y = data(rng, loss)
    before = model.get_weights()
    out, moving = ref.train_forward(x)
    grads = [g.numpy() for g in torch.autograd.grad(keras_loss(torch, loss, out, y), ref.params())]
    model.train_on_batch(x, y)
    after = model.get_weights()
    learned = [i for i, w in enumerate(model.weights) if w.trainable]
    assert len(learned) == len(grads)
    for i, g in zip(learned, grads):
        expected = g.T if g.ndim == 2 else g  # torch's Linear weight is (out, in)
        np.testing.assert_allclose(before[i] - after[i], expected, rtol=0, atol=1e-12,
                                   err_msg=f"gradient of weight {i}")
    moving_fm = [after[i] for i, w in enumerate(model.weights) if "moving" in w.path]
    assert_weights(moving_fm, moving, 1e-13, "moving statistics")


def test_training_forward_uses_batch_statistics_and_moves_the_moving_ones(torch, isa):
    """model(x, training=True) normalises with the batch's mean and biased
    variance and moves the moving statistics; model(x) and predict use them unchanged."""
    spec, loss, model, ref, rng = setup_pair(torch, "dense_bn_relu_dense", seed=2)
    x, _ = data(rng, loss)
    before = model.get_weights()
    np.testing.assert_allclose(model(x), ref.forward(x, False).detach().numpy(), rtol=0, atol=1e-12)
    assert_weights(model.get_weights(), before, 0, "model(x) must not move anything")
    out, moving = ref.train_forward(x)
    np.testing.assert_allclose(model(x, training=True), out.detach().numpy(), rtol=0, atol=1e-12)
    after = model.get_weights()
    assert_weights([after[4], after[5]], moving, 1e-14, "moving statistics")
    assert not np.allclose(after[4], before[4])
    # the moving variance takes the batch's biased variance: by hand
    hidden = x @ before[0] + before[1]
    expected = 0.9 * before[5] + 0.1 * hidden.var(axis=0)  # np.var divides by n
    np.testing.assert_allclose(after[5], expected, rtol=1e-13)
    np.testing.assert_allclose(model.predict(x, verbose=0), ref.forward(x, False).detach().numpy(),
                               rtol=0, atol=1e-12)


def test_moving_statistics_follow_every_batch_of_fit():
    """fit updates the moving statistics once per batch, the last partial batch included."""
    spec = [("bn", {"momentum": 0.7})]
    model = fm_model(spec + [("dense", {"units": 1})])
    model.compile(optimizer="sgd", loss="mse")
    rng = np.random.default_rng(3)
    x = rng.standard_normal((10, N_IN)) * 3 + 1
    model.fit(x, np.zeros(10), batch_size=4, epochs=1, shuffle=False, verbose=0)
    mean, var = np.zeros(N_IN), np.ones(N_IN)
    for batch in (x[0:4], x[4:8], x[8:10]):
        mean = 0.7 * mean + 0.3 * batch.mean(axis=0)
        var = 0.7 * var + 0.3 * batch.var(axis=0)
    w = model.get_weights()
    np.testing.assert_allclose(w[2], mean, rtol=1e-14, atol=1e-15)
    np.testing.assert_allclose(w[3], var, rtol=1e-14)


def test_full_batch_gradients_of_a_normalized_model(torch):
    """model._gradients is the gradient of the loss evaluate reports (inference
    mode: moving statistics), gamma and beta included."""
    spec, loss, model, ref, rng = setup_pair(torch, "dense_bn_relu_dense", seed=4)
    x, y = data(rng, loss)
    value, grads = model._gradients(x, y)
    expected_loss = keras_loss(torch, loss, ref.forward(x, False), y)
    assert value == pytest.approx(expected_loss.item(), rel=1e-12)
    assert value == pytest.approx(model.evaluate(x, y, verbose=0), rel=1e-12)
    expected = [g.numpy() for g in torch.autograd.grad(expected_loss, ref.params())]
    if len(grads) == len(model.weights):  # entries for the moving statistics too: leave them
        grads = [g for g, w in zip(grads, model.weights) if w.trainable]
    assert len(grads) == len(expected)
    for i, (g, e) in enumerate(zip(grads, expected)):
        np.testing.assert_allclose(g, e.T if e.ndim == 2 else e, rtol=0, atol=1e-12,
                                   err_msg=f"gradient {i}")


# ---------------------------------------------------------------- trainable=False

def test_frozen_layer_runs_on_moving_statistics_in_training(torch, isa):
    """bn.trainable = False (after compile, as Keras 3 allows): training uses the
    moving statistics, moves nothing of the layer, and the other layers still
    learn, with the gradient through the frozen normalization."""
    spec, loss, model, ref, rng = setup_pair(torch, "dense_bn_relu_dense", seed=5)
    model.compile(optimizer=fm.SGD(learning_rate=1.0), loss=loss)
    bn = model.layers[1]
    bn.trainable = False
    assert [w.trainable for w in model.weights] == [True, True] + [False] * 4 + [True, True]
    x, y = data(rng, loss)
    before = model.get_weights()
    for p in ref.modules[1].parameters():
        p.requires_grad_(False)
    out = ref.forward(x, False)  # eval mode: running statistics
    params = [p for p in ref.params() if p.requires_grad]
    grads = [g.numpy() for g in torch.autograd.grad(keras_loss(torch, loss, out, y), params)]
    assert model.train_on_batch(x, y) == pytest.approx(keras_loss(torch, loss, out, y).item(),
                                                        rel=1e-12)
    after = model.get_weights()
    assert_weights(after[2:6], before[2:6], 0, "a frozen normalization changes nothing")
    for i, g in zip([0, 1, 6, 7], grads):
        np.testing.assert_allclose(before[i] - after[i], g.T if g.ndim == 2 else g, rtol=0,
                                   atol=1e-12, err_msg=f"gradient of weight {i}")
    # fit too; and unfreezing brings the batch statistics back
    model.fit(x, y, batch_size=4, epochs=1, verbose=0)
    assert_weights(model.get_weights()[2:6], before[2:6], 0, "fit with a frozen normalization")
    bn.trainable = True
    model.train_on_batch(x, y)
    assert not np.allclose(model.get_weights()[4], before[4])


# ---------------------------------------------------------------- folded inference

FOLD_SPECS = {
    "dense_then_bn": [("dense", {"units": 7}), ("bn", {})],
    "bn_first_then_dense": [("bn", {"epsilon": 1e-2}), ("dense", {"units": 4})],
    "bn_only": [("bn", {})],
    "linear_dense_bn_dense": [("dense", {"units": 7}), ("bn", {}), ("dense", {"units": 4})],
    "relu_dense_bn_dense": [("dense", {"units": 7, "activation": "relu"}), ("bn", {}),
                            ("dense", {"units": 4})],
    "dense_bn_relu_dense": [("dense", {"units": 7}), ("bn", {}), ("act", "relu"),
                            ("dense", {"units": 4})],
    "bn_relu_dense": [("bn", {}), ("act", "relu"), ("dense", {"units": 4})],
    "relu_dense_then_bn_last": [("dense", {"units": 7, "activation": "relu"}), ("bn", {})],
    "no_bias_dense_bn_no_scale": [("dense", {"units": 7, "use_bias": False}),
                                  ("bn", {"scale": False}), ("dense", {"units": 4})],
    "two_bn_in_a_row": [("dense", {"units": 7}), ("bn", {}), ("bn", {"center": False}),
                        ("dense", {"units": 4})],
    "dropout_between": [("dense", {"units": 7}), ("dropout", 0.3), ("bn", {}),
                        ("dense", {"units": 4})],
    "bn_softmax_output": [("dense", {"units": 7}), ("bn", {}), ("act", "softmax")],
}


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name", list(FOLD_SPECS))
def test_folded_inference_equals_unfolded(isa, name, dtype):
    """predict (normalization folded into a neighbouring Dense where possible)
    equals the layers computed one by one in numpy from get_weights()."""
    spec = FOLD_SPECS[name]
    rng = np.random.default_rng(list(FOLD_SPECS).index(name))
    model = fm_model(spec, dtype=dtype)
    randomize_bn(model, rng)
    x = (rng.standard_normal((50, N_IN)) * 2 + 0.3).astype(dtype)
    expected, scale = numpy_inference(spec, model.get_weights(), x)
    got = model.predict(x, verbose=0)
    assert got.dtype == np.dtype(dtype)
    if dtype == "float64":
        np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-12)
    else:  # a float32 rounding bound: 16·eps32 times the magnitude of the summed terms
        err = np.abs(got - expected)
        bound = 16 * np.finfo(np.float32).eps * scale
        assert (err <= bound).all(), f"max error/bound {np.max(err / bound):.2f}"
    # evaluate goes through the same folded pass
    model.compile(optimizer="sgd", loss="mse")
    y = rng.standard_normal(expected.shape)
    mse = ((expected - y) ** 2).mean()
    assert model.evaluate(x, y.astype(dtype), verbose=0) == pytest.approx(
        mse, rel=1e-11 if dtype == "float64" else 1e-5)


def test_inference_follows_weights_written_after_a_prediction():
    """Folded copies are refreshed when the weights change (set_weights, training)."""
    spec = FOLD_SPECS["linear_dense_bn_dense"]
    rng = np.random.default_rng(6)
    model = fm_model(spec)
    x = rng.standard_normal((8, N_IN))
    model.predict(x, verbose=0)
    randomize_bn(model, rng)
    np.testing.assert_allclose(model.predict(x, verbose=0),
                               numpy_inference(spec, model.get_weights(), x)[0], atol=1e-12)
    model.compile(optimizer="sgd", loss="mse")
    model.fit(x, rng.standard_normal((8, 4)), batch_size=4, verbose=0)
    np.testing.assert_allclose(model.predict(x, verbose=0),
                               numpy_inference(spec, model.get_weights(), x)[0], atol=1e-12)
