"""ONNX in and out (fastmlp.onnx): export of Keras-dialect models checked by
ONNX Runtime against fastmlp's own predict, skl2onnx converters for the
estimators checked against skl2onnx's converters for scikit-learn's MLPs,
import of graphs written by torch.onnx, skl2onnx and Keras 3, fine-tuning an
imported model, and refusals (unsupported operators, malformed and hostile
files).

The files in tests/onnx_files/ (written by its make_files.py) let the torch
and Keras imports be checked where those frameworks are not installed; with
them installed, the same is also done live."""
import importlib.util
import os
import subprocess
import sys
import warnings

import numpy as np
import pytest

import fastmlp as fm

onnx = pytest.importorskip("onnx", reason="the ONNX tests need the onnx package "
                                          "(pip install 'fastmlp[onnx]')")
ort = pytest.importorskip("onnxruntime", reason="the ONNX tests run graphs in ONNX Runtime "
                                                "(pip install onnxruntime)")
from onnx import TensorProto, helper, numpy_helper  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
FILES = os.path.join(HERE, "onnx_files")
ROOT = os.path.dirname(HERE)

needs_skl2onnx = pytest.mark.skipif(
    importlib.util.find_spec("skl2onnx") is None or importlib.util.find_spec("sklearn") is None,
    reason="skl2onnx and scikit-learn are not installed (pip install skl2onnx scikit-learn)")
needs_torch = pytest.mark.skipif(importlib.util.find_spec("torch") is None,
                                 reason="PyTorch is not installed (the live torch.onnx export)")
ACTIVATIONS = ["relu", "leaky_relu", "sigmoid", "tanh", "softmax", "exponential", "elu", "selu",
               "softplus", "softsign", "swish", "gelu", "hard_sigmoid", "relu6", "mish", None]


def session(proto_or_path):
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    source = proto_or_path if isinstance(proto_or_path, str) else proto_or_path.SerializeToString()
    return ort.InferenceSession(source, options, providers=["CPUExecutionProvider"])


def run_ort(proto, x):
    sess = session(proto)
    return sess.run(None, {sess.get_inputs()[0].name: x})[0]


def rows(n, width, seed=0, dtype=np.float32):
    return np.random.default_rng(seed).normal(size=(n, width)).astype(dtype)


def trained(model, x, y, loss, epochs=2):
    """A few epochs, so that batch normalization's moving statistics move."""
    model.compile(optimizer="adam", loss=loss)
    model.fit(x, y, epochs=epochs, batch_size=32, verbose=0)
    return model


def seed_network():
    fm.set_random_seed(0)
    return fm.Sequential([fm.Input((784,)), fm.Dense(512, activation="relu"), fm.Dropout(0.2),
                          fm.Dense(512, activation="relu"), fm.Dropout(0.2),
                          fm.Dense(10, activation="softmax")])


def ops(proto):
    return [node.op_type for node in proto.graph.node]


# ---------------------------------------------------------------- export

def test_seed_network_exports_to_gemm_relu_softmax_and_runs_in_onnx_runtime(tmp_path):
    model = seed_network()
    path = str(tmp_path / "seed.onnx")
    model.export(path, format="onnx", verbose=False)
    proto = onnx.load(path)
    onnx.checker.check_model(proto, full_check=True)
    assert ops(proto) == ["Gemm", "Relu", "Gemm", "Relu", "Gemm", "Softmax"]  # dropout left out
    assert [(o.domain, o.version) for o in proto.opset_import] == [("", 17)]
    assert proto.ir_version == 8
    dims = [d.dim_param or d.dim_value for d in proto.graph.input[0].type.tensor_type.shape.dim]
    assert dims == ["batch", 784]
    for n in (1, 300):  # the batch dimension is symbolic
        x = np.random.default_rng(n).random((n, 784), dtype=np.float32)
        np.testing.assert_allclose(run_ort(path, x), model.predict(x, verbose=0), rtol=0,
                                   atol=1e-5)


def test_export_prints_keras_message_unless_quiet(tmp_path, capsys):
    model = fm.Sequential([fm.Input((3,)), fm.Dense(2)])
    model.export(str(tmp_path / "m.onnx"), format="onnx")
    assert "Saved artifact at" in capsys.readouterr().out
    model.export(str(tmp_path / "m.onnx"), format="onnx", verbose=False)
    assert capsys.readouterr().out == ""


def test_tanh_sigmoid_regressor_exports_equal(tmp_path):
    x = rows(256, 6)
    y = np.sin(x[:, :1]) + x[:, 1:2] ** 2
    model = trained(fm.Sequential([fm.Input((6,)), fm.Dense(16, activation="tanh"),
                                   fm.Dense(8, activation="sigmoid"), fm.Dense(1)]), x, y, "mse")
    proto = fm.onnx.to_onnx(model)
    onnx.checker.check_model(proto, full_check=True)
    assert ops(proto) == ["Gemm", "Tanh", "Gemm", "Sigmoid", "Gemm"]
    np.testing.assert_allclose(run_ort(proto, x), model.predict(x, verbose=0), rtol=0, atol=1e-5)


BN_MODELS = {
    "after activation": lambda: [fm.Dense(16, activation="relu"), fm.BatchNormalization(),
                                 fm.Dense(8, activation="relu"), fm.BatchNormalization(),
                                 fm.Dense(3, activation="softmax")],
    "before activation": lambda: [fm.Dense(16), fm.BatchNormalization(), fm.Activation("relu"),
                                  fm.Dropout(0.1), fm.Dense(3), fm.BatchNormalization(),
                                  fm.Softmax()],
    "first and last": lambda: [fm.BatchNormalization(), fm.Dense(16, activation="tanh"),
                               fm.Dense(3), fm.Activation("tanh"), fm.BatchNormalization()],
    "no scale or center": lambda: [fm.Dense(16, use_bias=False),
                                   fm.BatchNormalization(scale=False, center=False),
                                   fm.Activation("sigmoid"), fm.Dense(3)],
}


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name", list(BN_MODELS))
def test_batch_normalization_folds_into_gemm_as_the_engine_does(name, dtype):
    x = rows(256, 6, dtype=dtype) * 3 + 1
    labels = (x[:, 0] > 1).astype(int) + (x[:, 1] > 2)
    model = fm.Sequential([fm.Input((6,))] + BN_MODELS[name](), dtype=dtype)
    trained(model, x, labels, "sparse_categorical_crossentropy")
    proto = fm.onnx.to_onnx(model)
    onnx.checker.check_model(proto, full_check=True)
    assert "BatchNormalization" not in ops(proto)
    # only a normalization with no Dense layer next to it is computed (Mul, Add)
    assert ops(proto).count("Mul") == (1 if name == "first and last" else 0)
    expected = model.predict(x, verbose=0)
    tolerance = 1e-5 if dtype == "float32" else 1e-12
    np.testing.assert_allclose(run_ort(proto, x), expected, rtol=tolerance, atol=tolerance)


def test_float64_model_exports_double_graph():
    x = rows(64, 5, dtype=np.float64)
    model = fm.Sequential([fm.Input((5,)), fm.Dense(7, activation="tanh"),
                           fm.Dense(2, activation="softmax")], dtype="float64")
    proto = fm.onnx.to_onnx(model)
    onnx.checker.check_model(proto, full_check=True)
    assert proto.graph.input[0].type.tensor_type.elem_type == TensorProto.DOUBLE
    assert {t.data_type for t in proto.graph.initializer} == {TensorProto.DOUBLE}
    out = run_ort(proto, x)
    assert out.dtype == np.float64
    np.testing.assert_allclose(out, model.predict(x, verbose=0), rtol=1e-13, atol=1e-14)


@pytest.mark.parametrize("opset", [17, 20])
@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_every_activation_exports_equal(activation, opset):
    x = rows(128, 5) * 2
    model = fm.Sequential([fm.Input((5,)), fm.Dense(9, activation=activation), fm.Dense(4)])
    proto = fm.onnx.to_onnx(model, opset_version=opset)
    onnx.checker.check_model(proto, full_check=True)
    assert proto.opset_import[0].version == opset
    if activation == "gelu":
        assert ("Gelu" in ops(proto)) == (opset >= 20)
    if activation == "mish":
        assert ("Mish" in ops(proto)) == (opset >= 18)
    np.testing.assert_allclose(run_ort(proto, x), model.predict(x, verbose=0), rtol=1e-5,
                               atol=1e-5)


def test_activation_layers_with_parameters_export_equal():
    x = rows(128, 5) * 4
    model = fm.Sequential([fm.Input((5,)), fm.Dense(8), fm.ReLU(max_value=2.5, negative_slope=0.1),
                           fm.Dense(8), fm.LeakyReLU(0.3), fm.Dense(8), fm.ELU(alpha=0.5),
                           fm.Dense(8), fm.ReLU(max_value=6.0), fm.Dense(3), fm.Softmax()])
    proto = fm.onnx.to_onnx(model)
    assert ops(proto).count("LeakyRelu") == 2 and ops(proto).count("Clip") == 2
    np.testing.assert_allclose(run_ort(proto, x), model.predict(x, verbose=0), rtol=1e-5,
                               atol=1e-5)


def test_images_export_with_flatten_and_functional_and_nested_models():
    x = np.random.default_rng(1).random((20, 6, 5), dtype=np.float32)
    inner = fm.Sequential([fm.Input((30,)), fm.Dense(12, activation="relu")])
    inputs = fm.Input((6, 5))
    outputs = fm.Dense(3, activation="softmax")(inner(fm.Flatten()(inputs)))
    model = fm.Model(inputs, outputs)
    proto = fm.onnx.to_onnx(model)
    onnx.checker.check_model(proto, full_check=True)
    assert ops(proto) == ["Flatten", "Gemm", "Relu", "Gemm", "Softmax"]
    dims = [d.dim_param or d.dim_value for d in proto.graph.input[0].type.tensor_type.shape.dim]
    assert dims == ["batch", 6, 5]
    np.testing.assert_allclose(run_ort(proto, x), model.predict(x, verbose=0), rtol=0, atol=1e-5)


def test_model_without_computing_layers_exports_identity():
    model = fm.Sequential([fm.Input((4,)), fm.Dropout(0.5)])
    proto = fm.onnx.to_onnx(model)
    x = rows(3, 4)
    assert ops(proto) == ["Identity"]
    np.testing.assert_array_equal(run_ort(proto, x), x)


def test_export_replaces_a_file_atomically_and_keeps_its_mode(tmp_path):
    path = tmp_path / "m.onnx"
    path.write_bytes(b"old")
    os.chmod(path, 0o640)
    fm.Sequential([fm.Input((3,)), fm.Dense(2)]).export(path, format="onnx", verbose=False)
    assert onnx.load(str(path)).graph.node[0].op_type == "Gemm"
    assert os.stat(path).st_mode & 0o777 == 0o640
    assert sorted(os.listdir(tmp_path)) == ["m.onnx"]


def test_export_refusals(tmp_path):
    model = fm.Sequential([fm.Input((3,)), fm.Dense(2)])
    path = str(tmp_path / "m.onnx")
    with pytest.raises(ValueError, match="format='onnx'.*Keras's default"):
        model.export(path)
    with pytest.raises(ValueError, match="format='onnx' only; got format='openvino'"):
        model.export(path, format="openvino")
    with pytest.raises(ValueError, match="input_signature"):
        model.export(path, format="onnx", input_signature=[(None, 3)])
    with pytest.raises(TypeError, match="unexpected keyword argument 'strict'"):
        model.export(path, format="onnx", strict=True)
    with pytest.raises(ValueError, match="opset_version"):
        model.export(path, format="onnx", opset_version=13)
    with pytest.raises(TypeError, match="path"):
        fm.onnx.export_onnx(model, 3)
    with pytest.raises(TypeError, match="MLPClassifier"):
        fm.onnx.to_onnx("model")
    with pytest.raises(RuntimeError, match="no input size"):
        fm.Sequential([fm.Dense(2)]).export(path, format="onnx")
    thresholded = fm.Sequential([fm.Input((3,)), fm.Dense(2), fm.ReLU(threshold=0.5)])
    with pytest.raises(ValueError, match="threshold"):
        thresholded.export(path, format="onnx")
    assert not os.path.exists(path)


def _run(code):
    env = dict(os.environ, PYTHONPATH=os.path.dirname(os.path.dirname(fm.__file__)))
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                          timeout=300)


def test_import_fastmlp_does_not_import_onnx_and_a_missing_onnx_names_the_extra():
    result = _run("import sys, fastmlp as fm\n"
                  "assert 'onnx' not in sys.modules and 'skl2onnx' not in sys.modules\n"
                  "assert fm.models.load_onnx is fm.onnx.load_onnx\n"
                  "sys.modules['onnx'] = None\n"
                  "model = fm.Sequential([fm.Input((3,)), fm.Dense(2)])\n"
                  "for call in (lambda: model.export('x.onnx', format='onnx'),\n"
                  "             lambda: fm.models.load_onnx(b'')):\n"
                  "    try:\n"
                  "        call()\n"
                  "    except ImportError as exc:\n"
                  "        assert 'fastmlp[onnx]' in str(exc), exc\n"
                  "    else:\n"
                  "        raise AssertionError('no ImportError')\n"
                  "sys.modules['skl2onnx'] = None\n"
                  "try:\n"
                  "    fm.onnx.register_skl2onnx()\n"
                  "except ImportError as exc:\n"
                  "    assert 'skl2onnx' in str(exc), exc\n"
                  "print('OK')\n")
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.strip() == "OK"


# ---------------------------------------------------------------- skl2onnx

@pytest.fixture
def skl2onnx():
    module = pytest.importorskip("skl2onnx", reason="skl2onnx is not installed")
    fm.onnx.register_skl2onnx()
    return module


def _outputs_signature(sess):
    return [(o.name, o.type, o.shape) for o in sess.get_outputs()]


def _convert_both(skl2onnx, ours, theirs, x, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        proto = skl2onnx.to_onnx(ours, x[:1], **kwargs)
        reference = skl2onnx.to_onnx(theirs, x[:1], **kwargs)
    onnx.checker.check_model(proto, full_check=True)
    return session(proto), session(reference)


@needs_skl2onnx
@pytest.mark.parametrize("zipmap", [True, False])
@pytest.mark.parametrize("labels", ["strings", "ints", "binary"])
def test_classifier_converts_as_scikit_learns_does(skl2onnx, labels, zipmap):
    from sklearn.neural_network import MLPClassifier

    x = rows(300, 6)
    codes = (x[:, 0] > 0).astype(int) + (0 if labels == "binary" else (x[:, 1] > 0.5))
    y = np.array(["cat", "dog", "emu"])[codes] if labels == "strings" else codes * 3 + 1
    ours = fm.MLPClassifier((8, 5), max_iter=30, random_state=0).fit(x, y)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = MLPClassifier((8, 5), max_iter=30, random_state=0).fit(x, y)
    options = None if zipmap else {"options": {"zipmap": False}}
    sess, ref = _convert_both(skl2onnx, ours, theirs, x, **(options or {}))
    assert _outputs_signature(sess) == _outputs_signature(ref)
    label, probabilities = sess.run(None, {"X": x})
    ref_label, ref_probabilities = ref.run(None, {"X": x})
    assert label.dtype == ref_label.dtype and label.shape == ref_label.shape
    np.testing.assert_array_equal(label, ours.predict(x))
    if zipmap:
        assert isinstance(probabilities, list) and isinstance(ref_probabilities, list)
        assert list(probabilities[0]) == list(ref_probabilities[0])  # same keys, same order
        probabilities = np.array([[row[k] for k in row] for row in probabilities])
    np.testing.assert_allclose(probabilities, ours.predict_proba(x), rtol=0, atol=1e-5)


@needs_skl2onnx
def test_regressor_converts_as_scikit_learns_does_and_multi_output_keeps_its_columns(skl2onnx):
    from sklearn.neural_network import MLPRegressor

    x = rows(200, 4)
    y = np.tanh(x[:, 0]) + x[:, 1]
    ours = fm.MLPRegressor(hidden_layer_sizes=(8,), activation="tanh", max_iter=40,
                           random_state=0).fit(x, y)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = MLPRegressor(hidden_layer_sizes=(8,), activation="tanh", max_iter=40,
                              random_state=0).fit(x, y)
    sess, ref = _convert_both(skl2onnx, ours, theirs, x)
    assert _outputs_signature(sess) == _outputs_signature(ref)
    out = sess.run(None, {"X": x})[0]
    assert out.shape == ref.run(None, {"X": x})[0].shape == (200, 1)
    np.testing.assert_allclose(out.ravel(), ours.predict(x), rtol=0, atol=1e-5)
    two = fm.MLPRegressor(hidden_layer_sizes=(8,), max_iter=20, random_state=0).fit(
        x, np.column_stack([y, -y]))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = run_ort(skl2onnx.to_onnx(two, x[:1]), x)
    np.testing.assert_allclose(out, two.predict(x), rtol=0, atol=1e-5)


@needs_skl2onnx
def test_estimator_in_a_pipeline_converts(skl2onnx):
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    x = rows(150, 4) * 5 + 3
    y = (x[:, 0] > 3).astype(int) + (x[:, 1] > 4)
    pipe = make_pipeline(StandardScaler(), fm.MLPClassifier((6,), max_iter=40, random_state=0))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        proto = skl2onnx.to_onnx(pipe.fit(x, y), x[:1], options={"zipmap": False})
    labels, probabilities = session(proto).run(None, {"X": x})
    np.testing.assert_array_equal(labels, pipe.predict(x))
    np.testing.assert_allclose(probabilities, pipe.predict_proba(x), rtol=0, atol=1e-5)


@needs_skl2onnx
def test_float64_poisson_and_multilabel_estimators_convert(skl2onnx):
    x = rows(200, 4, dtype=np.float64)
    counts = np.exp(0.3 * x[:, 0])
    reg = fm.MLPRegressor(loss="poisson", hidden_layer_sizes=(6,), max_iter=30,
                          random_state=0).fit(x, counts)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        proto = skl2onnx.to_onnx(reg, x[:1])
    assert "Exp" in ops(proto)
    out = run_ort(proto, x)
    assert out.dtype == np.float64
    np.testing.assert_allclose(out.ravel(), reg.predict(x), rtol=1e-6)
    for columns in ([x[:, 0] > 0, x[:, 1] > 0, x[:, 0] + x[:, 1] > 1], [x[:, 0] > 0, x[:, 1] > 0]):
        y = np.column_stack(columns).astype(int)
        clf = fm.MLPClassifier((6,), max_iter=30, random_state=0).fit(x.astype(np.float32), y)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            proto = skl2onnx.to_onnx(clf, x[:1].astype(np.float32), options={"zipmap": False})
        onnx.checker.check_model(proto, full_check=True)
        sess = session(proto)
        assert [o.shape for o in sess.get_outputs()] == [[None, len(columns)], [None, len(columns)]]
        labels, probabilities = sess.run(None, {"X": x.astype(np.float32)})
        np.testing.assert_array_equal(labels, clf.predict(x.astype(np.float32)))
        np.testing.assert_allclose(probabilities, clf.predict_proba(x.astype(np.float32)),
                                   atol=1e-5)


# ---------------------------------------------------------------- import

def test_exported_models_import_back_with_the_same_predictions():
    x = rows(128, 6) * 2
    for name, make in BN_MODELS.items():
        labels = (x[:, 0] > 0).astype(int) + (x[:, 1] > 1)
        model = trained(fm.Sequential([fm.Input((6,))] + make()), x, labels,
                        "sparse_categorical_crossentropy")
        again = fm.models.load_onnx(fm.onnx.to_onnx(model))
        np.testing.assert_allclose(again.predict(x, verbose=0), model.predict(x, verbose=0),
                                   rtol=1e-5, atol=1e-6, err_msg=name)
    for activation in ACTIVATIONS:
        for opset in (17, 20):
            model = fm.Sequential([fm.Input((6,)), fm.Dense(5, activation=activation)])
            again = fm.models.load_onnx(fm.onnx.to_onnx(model, opset_version=opset))
            np.testing.assert_allclose(again.predict(x, verbose=0), model.predict(x, verbose=0),
                                       rtol=1e-5, atol=1e-6, err_msg=f"{activation} {opset}")
            assert again.layers[-1].activation.name == (activation or "linear"), activation


def test_seed_network_imports_back_exactly(tmp_path):
    model = seed_network()
    path = str(tmp_path / "seed.onnx")
    model.export(path, format="onnx", verbose=False)
    again = fm.models.load_onnx(path)
    assert [type(layer).__name__ for layer in again.layers] == ["Dense"] * 3
    x = np.random.default_rng(2).random((50, 784), dtype=np.float32)
    np.testing.assert_array_equal(again.predict(x, verbose=0), model.predict(x, verbose=0))
    double = fm.Sequential([fm.Input((4,)), fm.Dense(3, activation="tanh")], dtype="float64")
    assert fm.models.load_onnx(fm.onnx.to_onnx(double)).dtype == "float64"


@pytest.mark.parametrize("name", ["torch_mlp", "torch_dynamo_mlp", "keras_mlp"])
def test_files_from_torch_and_keras_import_and_predict_as_their_framework(name):
    data = np.load(os.path.join(FILES, f"{name}.npz"))
    model = fm.models.load_onnx(os.path.join(FILES, f"{name}.onnx"))
    np.testing.assert_allclose(model.predict(data["x"], verbose=0), data["y"], rtol=0, atol=1e-5)
    kinds = [type(layer).__name__ for layer in model.layers]
    if name == "torch_mlp":  # Flatten, Linear, BatchNorm1d, ReLU, GELU, SiLU, softmax
        assert kinds == ["Flatten", "Dense", "BatchNormalization", "Activation", "Dense",
                         "Dense", "Dense"]
        assert [layer.activation.name for layer in model.layers if kinds[0] != "x" and
                hasattr(layer, "units")] == ["linear", "gelu", "swish", "softmax"]
        assert model.input_shape == (None, 3, 4)
    elif name == "torch_dynamo_mlp":  # Reshape, and the normalization already in the Gemm;
        assert kinds == ["Flatten", "Dense", "Dense", "Dense"]  # weights in a .onnx.data file
    else:  # Keras's inference-time batch normalization (Sub, Mul, Add) goes into a Dense
        assert kinds == ["Dense", "Dense", "Dense"]


@pytest.mark.skipif(importlib.util.find_spec("torch") is None or
                    importlib.util.find_spec("onnxscript") is None,
                    reason="torch.onnx's dynamo exporter needs torch and onnxscript "
                           "(tests/onnx_files/torch_dynamo_mlp.onnx is checked without them)")
def test_live_torch_dynamo_export_imports_with_its_external_data(tmp_path):
    import torch

    net, x = _torch_net("activations")
    path = str(tmp_path / "d.onnx")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(net, (x,), path, dynamo=True, external_data=True,
                          dynamic_shapes=({0: torch.export.Dim("batch")},))
    with torch.no_grad():
        expected = net(x).numpy()
    model = fm.models.load_onnx(path)
    np.testing.assert_allclose(model.predict(x.numpy(), verbose=0), expected, rtol=0, atol=1e-5)


def _torch_net(kind):
    import torch

    nn = torch.nn
    torch.manual_seed(0)
    if kind == "seed":
        net = nn.Sequential(nn.Linear(784, 512), nn.ReLU(), nn.Dropout(0.2), nn.Linear(512, 512),
                            nn.ReLU(), nn.Dropout(0.2), nn.Linear(512, 10), nn.Softmax(dim=1))
        return net.eval(), torch.rand(64, 784)
    net = nn.Sequential(nn.Flatten(), nn.Linear(12, 16), nn.BatchNorm1d(16), nn.Tanh(),
                        nn.Linear(16, 16), nn.Hardsigmoid(), nn.Linear(16, 16), nn.Mish(),
                        nn.Linear(16, 16), nn.LeakyReLU(0.05), nn.Linear(16, 16), nn.ELU(),
                        nn.Linear(16, 16), nn.ReLU6(), nn.Linear(16, 16), nn.SELU(),
                        nn.Linear(16, 16), nn.Softplus(), nn.Linear(16, 2))
    net.train()
    with torch.no_grad():
        for _ in range(5):
            net(torch.randn(32, 3, 4) + 1)
    return net.eval(), torch.randn(64, 3, 4)


@needs_torch
@pytest.mark.parametrize("opset", [17, 20])
@pytest.mark.parametrize("kind", ["seed", "activations"])
def test_live_torch_export_imports_and_predicts_as_torch(kind, opset, tmp_path):
    import torch

    net, x = _torch_net(kind)
    path = str(tmp_path / "t.onnx")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(net, (x[:2],), path, dynamo=False, opset_version=opset,
                          input_names=["x"], dynamic_axes={"x": {0: "batch"}})
    with torch.no_grad():
        expected = net(x).numpy()
    model = fm.models.load_onnx(path)
    np.testing.assert_allclose(model.predict(x.numpy(), verbose=0), expected, rtol=0, atol=1e-5)


@needs_skl2onnx
@pytest.mark.parametrize("classes", [2, 3])
def test_skl2onnx_converted_scikit_learn_classifier_imports_as_its_probabilities(classes):
    import skl2onnx
    from sklearn.neural_network import MLPClassifier, MLPRegressor

    x = rows(300, 6)
    y = (x[:, 0] > 0).astype(int) + (x[:, 1] > 0.5 if classes == 3 else 0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        clf = MLPClassifier((10, 6), max_iter=50, random_state=0).fit(x, y)
        proto = skl2onnx.to_onnx(clf, x[:1])
    model = fm.models.load_onnx(proto.SerializeToString())
    np.testing.assert_allclose(model.predict(x, verbose=0), clf.predict_proba(x), rtol=0,
                               atol=1e-5)
    np.testing.assert_array_equal(clf.classes_[model.predict(x, verbose=0).argmax(1)],
                                  clf.predict(x))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        reg = MLPRegressor(hidden_layer_sizes=(7,), activation="logistic", max_iter=30,
                           random_state=0).fit(x, x[:, 0])
        model = fm.models.load_onnx(skl2onnx.to_onnx(reg, x[:1]))
    np.testing.assert_allclose(model.predict(x, verbose=0).ravel(), reg.predict(x), atol=1e-5)


def _keras_python():
    path = os.environ.get("FASTMLP_KERAS_PYTHON") or "/work/notes/kenv/bin/python"
    if not os.path.exists(path):
        return None
    found = subprocess.run([path, "-c", "import keras, torch, onnx"], capture_output=True,
                           env=dict(os.environ, KERAS_BACKEND="torch"))
    return path if found.returncode == 0 else None


def test_live_keras_export_imports_and_predicts_as_keras(tmp_path):
    python = _keras_python()
    if python is None:
        pytest.skip("no Keras 3 interpreter with torch and onnx: set FASTMLP_KERAS_PYTHON "
                    "(tests/onnx_files/keras_mlp.onnx is checked without it)")
    script = open(os.path.join(FILES, "make_files.py")).read()
    code = script[script.index("KERAS_SCRIPT = r'''") + 19:script.index("'''\n\n\ndef")]
    subprocess.run([python, "-c", code, str(tmp_path)], check=True, capture_output=True,
                   env=dict(os.environ, KERAS_BACKEND="torch"), timeout=600)
    data = np.load(tmp_path / "keras_mlp.npz")
    model = fm.models.load_onnx(str(tmp_path / "keras_mlp.onnx"))
    np.testing.assert_allclose(model.predict(data["x"], verbose=0), data["y"], rtol=0, atol=1e-5)


def test_imported_model_fine_tunes():
    model = fm.models.load_onnx(os.path.join(FILES, "torch_mlp.onnx"))
    rng = np.random.default_rng(0)
    x = rng.normal(size=(512, 3, 4)).astype(np.float32)
    y = (x[:, 0, 0] > 0).astype(int) + (x[:, 1, 1] > 0)
    before = model.get_weights()
    model.compile(optimizer=fm.Adam(0.01), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    history = model.fit(x, y, epochs=8, batch_size=64, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    assert history.history["accuracy"][-1] > 0.6
    assert any(not np.array_equal(a, b) for a, b in zip(before, model.get_weights()))
    assert model.predict(x[:3], verbose=0).shape == (3, 3)


def test_leftover_affine_map_imports_as_a_frozen_normalization():
    # x·s + t after an activation at the end: no Dense to fold it into
    w = np.arange(12, dtype=np.float32).reshape(3, 4) / 10
    nodes = [helper.make_node("MatMul", ["x", "w"], ["z"]), helper.make_node("Tanh", ["z"], ["a"]),
             helper.make_node("Mul", ["a", "s"], ["m"]), helper.make_node("Add", ["m", "t"], ["y"])]
    inits = [numpy_helper.from_array(w, "w"),
             numpy_helper.from_array(np.array([2, -1, 0.5, 3], np.float32), "s"),
             numpy_helper.from_array(np.array([[0.1, 0.2, 0.3, 0.4]], np.float32), "t")]
    proto = _model(nodes, inits, [None, 3])
    model = fm.models.load_onnx(proto)
    last = model.layers[-1]
    assert type(last).__name__ == "BatchNormalization" and not last.trainable
    x = rows(10, 3)
    np.testing.assert_allclose(model.predict(x, verbose=0), run_ort(proto, x), rtol=1e-6,
                               atol=1e-6)
    model.compile(optimizer="sgd", loss="mse")
    model.fit(x, np.zeros((10, 4)), epochs=2, verbose=0)
    np.testing.assert_array_equal(last.get_weights()[0], [2, -1, 0.5, 3])


def test_output_chooses_the_value_to_import():
    nodes = [helper.make_node("Gemm", ["x", "w", "b"], ["z"]), helper.make_node("Relu", ["z"], ["h"]),
             helper.make_node("Gemm", ["h", "w2"], ["y"])]
    inits = [numpy_helper.from_array(np.eye(3, dtype=np.float32), "w"),
             numpy_helper.from_array(np.ones(3, np.float32), "b"),
             numpy_helper.from_array(np.ones((3, 2), np.float32), "w2")]
    graph = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT,
                                                                         [None, 3])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [None, 2]),
                               helper.make_tensor_value_info("h", TensorProto.FLOAT, [None, 3])],
                              inits)
    proto = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    with pytest.raises(ValueError, match="several float outputs.*output="):
        fm.models.load_onnx(proto)
    hidden = fm.models.load_onnx(proto, output="h")
    assert hidden.output_shape == (None, 3)
    x = rows(4, 3)
    np.testing.assert_allclose(hidden.predict(x, verbose=0), np.maximum(x + 1, 0), atol=1e-6)
    with pytest.raises(ValueError, match="no value named 'nope'"):
        fm.models.load_onnx(proto, output="nope")


# ---------------------------------------------------------------- refusals

def _model(nodes, initializers, input_shape, output="y", opset=17, elem=TensorProto.FLOAT):
    graph = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("x", elem, input_shape)],
                              [helper.make_tensor_value_info(output, elem, None)], initializers)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])


def _dense_then(op_nodes, inits=(), width=3):
    w = numpy_helper.from_array(np.ones((width, width), np.float32), "w")
    return _model([helper.make_node("Gemm", ["x", "w"], ["z"])] + op_nodes, [w] + list(inits),
                  [None, width])


UNSUPPORTED = {
    "LogSoftmax": (lambda: _dense_then([helper.make_node("LogSoftmax", ["z"], ["y"], name="ls")]),
                   r"node 'ls' \(LogSoftmax\) is not supported"),
    "Transpose": (lambda: _dense_then([helper.make_node("Transpose", ["z"], ["y"], name="tr")]),
                  r"node 'tr' \(Transpose\) is not supported"),
    "gelu tanh": (lambda: _dense_then([helper.make_node("Gelu", ["z"], ["y"], name="g",
                                                        approximate="tanh")]),
                  "tanh approximation"),
    "transA": (lambda: _model([helper.make_node("Gemm", ["x", "w"], ["y"], name="t", transA=1)],
                              [numpy_helper.from_array(np.ones((3, 3), np.float32), "w")],
                              [None, 3]), "transA"),
    "computed weights": (lambda: _model([helper.make_node("MatMul", ["x", "x"], ["y"], name="xx")],
                                        [], [None, 3]), r"'xx' \(MatMul\) combines"),
    "branches": (lambda: _dense_then([helper.make_node("Relu", ["z"], ["r"]),
                                      helper.make_node("Concat", ["z", "r"], ["y"], name="cat",
                                                       axis=1)]), r"'cat' \(Concat\) combines"),
    "unknown formula": (lambda: _dense_then([helper.make_node("Mul", ["z", "z"], ["y"],
                                                              name="sq")]),
                        "no activation for"),
    "reshape computed": (lambda: _dense_then([helper.make_node("Shape", ["z"], ["s"]),
                                              helper.make_node("Reshape", ["z", "s"], ["y"],
                                                               name="rs")]),
                         r"'rs' \(Reshape\) combines|shape the graph computes"),
    "per-row constant": (lambda: _dense_then(
        [helper.make_node("Add", ["z", "c"], ["y"], name="add")],
        [numpy_helper.from_array(np.ones((5, 3), np.float32), "c")]), "not one value per feature"),
    "old hard sigmoid": (lambda: _dense_then([helper.make_node("HardSigmoid", ["z"], ["y"],
                                                               name="hs")]), "Keras 3's"),
    "training dropout": (lambda: _dense_then(
        [helper.make_node("Dropout", ["z", "", "on"], ["y"], name="d")],
        [numpy_helper.from_array(np.array(True), "on")]), "training mode"),
    "other domain": (lambda: _dense_then([helper.make_node("Scaler", ["z"], ["y"], name="sc",
                                                           domain="ai.onnx.ml")]),
                     "domain 'ai.onnx.ml'"),
}


@pytest.mark.parametrize("case", list(UNSUPPORTED))
def test_unsupported_graphs_are_refused_naming_the_node(case):
    make, message = UNSUPPORTED[case]
    with pytest.raises(ValueError, match=message):
        fm.models.load_onnx(make())


def test_two_inputs_integer_input_and_constant_output_are_refused():
    graph = helper.make_graph(
        [helper.make_node("Add", ["a", "b"], ["y"])], "g",
        [helper.make_tensor_value_info("a", TensorProto.FLOAT, [None, 2]),
         helper.make_tensor_value_info("b", TensorProto.FLOAT, [None, 2])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [None, 2])])
    with pytest.raises(ValueError, match="one input; the graph has 2"):
        fm.models.load_onnx(helper.make_model(graph))
    with pytest.raises(ValueError, match="element type INT64"):
        fm.models.load_onnx(_model([helper.make_node("Identity", ["x"], ["y"])], [], [None, 2],
                                   elem=TensorProto.INT64))
    fixed = _model([helper.make_node("Identity", ["c"], ["y"])],
                   [numpy_helper.from_array(np.ones((1, 2), np.float32), "c")], [None, 2])
    with pytest.raises(ValueError, match="does not depend on the input"):
        fm.models.load_onnx(fixed)


def _weights_tensor(**change):
    tensor = numpy_helper.from_array(np.ones((3, 2), np.float32), "w")
    for key, value in change.items():
        if key == "dims":
            del tensor.dims[:]
            tensor.dims.extend(value)
        else:
            setattr(tensor, key, value)
    return tensor


def test_malformed_and_hostile_files_raise_value_error(tmp_path):
    gemm = [helper.make_node("Gemm", ["x", "w"], ["y"])]
    cases = {
        "not protobuf": b"\xff\xff\xff\xff not an onnx file",
        "text": b"hello, this is not a model\n",
        "empty": b"",
        "truncated": _model(gemm, [_weights_tensor()], [None, 3]).SerializeToString()[:-7],
        "huge dims, no data": _model(gemm, [_weights_tensor(dims=[1 << 20, 1 << 20])],
                                     [None, 1 << 20]).SerializeToString(),
        "dims beyond the data": _model(gemm, [_weights_tensor(dims=[3, 200])],
                                       [None, 3]).SerializeToString(),
        "negative dim": _model(gemm, [_weights_tensor(dims=[-3, -2])],
                               [None, 3]).SerializeToString(),
    }
    (tmp_path / "data").write_bytes(np.ones(6, np.float32).tobytes())
    for name, location, offset, length in [("absolute", "/etc/passwd", 0, 24),
                                           ("outside", "../data", 0, 24),
                                           ("missing", "nothing.bin", 0, 24),
                                           ("past the end", "data", 8, 24),
                                           ("wrong length", "data", 0, 20),
                                           ("bad offset", "data", "x", 24)]:
        external = _weights_tensor()
        external.ClearField("raw_data")
        external.data_location = TensorProto.EXTERNAL
        for key, value in (("location", location), ("offset", offset), ("length", length)):
            entry = external.external_data.add()
            entry.key, entry.value = key, str(value)
        cases[f"external data, {name}"] = _model(gemm, [external], [None, 3]).SerializeToString()
    cycle = [helper.make_node("Relu", ["y"], ["a"]), helper.make_node("Relu", ["a"], ["y"])]
    cases["cycle"] = _model(cycle, [], [None, 3]).SerializeToString()
    no_graph = onnx.ModelProto()
    no_graph.ir_version = 8
    cases["no graph"] = no_graph.SerializeToString()
    for name, data in cases.items():
        path = tmp_path / f"{name}.onnx"
        path.write_bytes(data)
        with pytest.raises(ValueError) as info:
            fm.models.load_onnx(str(path))
        assert str(info.value), name
    with pytest.raises(ValueError, match="no ONNX file"):
        fm.models.load_onnx(str(tmp_path / "missing.onnx"))
    with pytest.raises(ValueError, match="external data.*file path"):  # bytes: no folder
        fm.models.load_onnx(open(os.path.join(FILES, "torch_dynamo_mlp.onnx"), "rb").read())
    with pytest.raises(TypeError, match="path, the file's bytes or an onnx.ModelProto"):
        fm.models.load_onnx(42)
