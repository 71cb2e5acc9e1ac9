"""Inference speed of the seed network (784-512-512-10, ReLU, softmax):
predicting 10,000 rows, and the latency of predicting one row, with fastmlp
and its peers in the same process (PyTorch and scikit-learn when installed),
at 1 and 2 threads, on Fashion-MNIST's test set (synthetic data of its shape
when it is not installed). Calls alternate between libraries; medians.

- fastmlp: model.predict(x), float32; model.quantize("int8") (per-channel
  int8 weights, activations quantized per row on the fly, vpdpbusd) and
  model.quantize("bfloat16") (on CPUs with AVX512_BF16)
- PyTorch: model(x) under torch.inference_mode(), float32
- scikit-learn: MLPClassifier.predict_proba(x), float32 input
- ONNX Runtime (when onnx and onnxruntime are installed): fastmlp's ONNX export
  run as it is (float32), and after onnxruntime.quantization.quantize_dynamic
  (int8 weights per channel, activations quantized per call: its dynamic int8)

The network is first trained --train-epochs epochs (RMSprop, batch 128) so
that the quantized models' test accuracy and the share of predicted classes
they keep mean something; both are printed beside the times. A warning says
when a library's samples spread more than 20 % around their median.

    python bench/predict.py [--threads 1 2] [--markdown]
    python bench/predict.py --threads 2 --rounds 7 --train-epochs 3 --markdown
"""
import os
import tempfile
import time

import numpy as np

from common import (benchmark_main, fashion_mnist_or_synthetic, report, say, seconds_per_call,
                    spread, table, warn_if_spread)


def seed_weights(epochs, x, y):
    import fastmlp as fm
    from fastmlp.demo import seed_network

    fm.set_random_seed(0)
    model = seed_network()
    if epochs:
        model.fit(x, y, batch_size=128, epochs=epochs, verbose=0)
    return model


def onnx_runtime_peers(threads, model, folder):
    """ONNX Runtime on fastmlp's export, float32 and dynamically quantized."""
    import onnxruntime as ort
    from onnxruntime.quantization import QuantType, quantize_dynamic

    import fastmlp as fm

    fp32_path, int8_path = os.path.join(folder, "seed.onnx"), os.path.join(folder, "seed_int8.onnx")
    fm.onnx.export_onnx(model, fp32_path)
    quantize_dynamic(fp32_path, int8_path, per_channel=True, weight_type=QuantType.QInt8)
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    found = []
    for label, path, exact in (("fp32", fp32_path, True), ("dynamic int8", int8_path, False)):
        session = ort.InferenceSession(path, options, providers=["CPUExecutionProvider"])
        name = session.get_inputs()[0].name
        found.append((f"ONNX Runtime {ort.__version__} {label}",
                      lambda x, s=session, n=name: s.run(None, {n: x})[0], exact))
    return found


def peers(threads, model, folder):
    import fastmlp as fm

    fm.set_num_threads(threads)
    weights = model.get_weights()
    found = [("fastmlp " + fm.__version__, lambda x: model.predict(x, verbose=0), True)]
    int8 = model.quantize("int8")
    found.append(("fastmlp int8", lambda x: int8.predict(x, verbose=0), False))
    if fm._engine.bf16_supported():
        bf16 = model.quantize("bfloat16")
        found.append(("fastmlp bfloat16", lambda x: bf16.predict(x, verbose=0), False))
    else:
        print("(fastmlp bfloat16 skipped: this CPU lacks AVX512_BF16)")
    try:
        import torch

        torch.set_num_threads(threads)
        nn = torch.nn
        net = nn.Sequential(nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 512), nn.ReLU(),
                            nn.Linear(512, 10), nn.Softmax(dim=1))
        with torch.no_grad():
            for layer, (w, b) in zip([net[0], net[2], net[4]], zip(weights[::2], weights[1::2])):
                layer.weight.copy_(torch.from_numpy(w.T.copy()))
                layer.bias.copy_(torch.from_numpy(b))
        net.eval()

        def torch_predict(x):
            with torch.inference_mode():
                return net(torch.from_numpy(x)).numpy()
        found.append(("PyTorch " + torch.__version__, torch_predict, True))
    except ImportError:
        print("(PyTorch not installed: skipped)")
    try:
        import sklearn
        from sklearn.neural_network import MLPClassifier

        clf = MLPClassifier(hidden_layer_sizes=(512, 512))
        clf.coefs_ = [w.copy() for w in weights[::2]]
        clf.intercepts_ = [b.copy() for b in weights[1::2]]
        clf.n_layers_, clf.n_outputs_, clf.out_activation_ = 4, 10, "softmax"
        clf.classes_ = np.arange(10)
        clf.n_features_in_ = 784
        clf._label_binarizer = None
        found.append(("scikit-learn " + sklearn.__version__, clf.predict_proba, True))
    except ImportError:
        print("(scikit-learn not installed: skipped)")
    try:
        found += onnx_runtime_peers(threads, model, folder)
    except ImportError as exc:
        print(f"(ONNX Runtime skipped: {exc})")
    return found


def child(threads, rounds, markdown, train_epochs):
    x_train, y_train, x_test, y_test, source = fashion_mnist_or_synthetic()
    model = seed_weights(train_epochs, x_train, y_train)
    with tempfile.TemporaryDirectory() as folder:
        libs = peers(threads, model, folder)
        run(threads, rounds, markdown, train_epochs, libs, x_test, y_test, source)


def run(threads, rounds, markdown, train_epochs, libs, x_test, y_test, source):
    reference = libs[0][1](x_test)
    for name, fn, exact in libs[1:]:
        if exact:
            np.testing.assert_allclose(fn(x_test[:100]), reference[:100], atol=1e-4, err_msg=name)
    quality = {}
    for name, fn, _ in libs:
        classes = fn(x_test).argmax(axis=1)
        quality[name] = ((classes == y_test).mean(), (classes == reference.argmax(axis=1)).mean())
    batch, one = x_test[:10000], x_test[:1].copy()
    samples = {name: {"batch": [], "one": []} for name, _, _ in libs}
    for name, fn, _ in libs:  # warm-up
        fn(batch)
        fn(one)
    for round_ in range(rounds):
        for name, fn, _ in (libs if round_ % 2 == 0 else libs[::-1]):
            time.sleep(0.1)
            samples[name]["batch"].append(seconds_per_call(fn, batch, 0.05))
            samples[name]["one"].append(seconds_per_call(fn, one, 0.02))
        say(f"{threads} thread(s), round {round_ + 1}/{rounds}: " + "; ".join(
            f"{name} {samples[name]['batch'][-1] * 1e3:.1f} ms / "
            f"{samples[name]['one'][-1] * 1e6:.1f} µs" for name, _, _ in libs))
    med = {name: {k: float(np.median(v)) for k, v in s.items()} for name, s in samples.items()}
    base = med[libs[0][0]]
    trained = f"trained {train_epochs} epochs" if train_epochs else "untrained"
    print(f"\n## {threads} thread{'s' if threads > 1 else ''}: seed network ({trained}), "
          f"{source}, medians of {rounds} rounds\n")
    rows = []
    for name, _, _ in libs:
        m = med[name]
        accuracy, agreement = quality[name]
        rows.append([name, f"{m['batch'] * 1e3:.1f}", f"{100 * spread(samples[name]['batch']):.0f}",
                     f"{len(batch) / m['batch']:,.0f}", f"{m['batch'] / base['batch']:.2f}",
                     f"{m['one'] * 1e6:.1f}", f"{100 * spread(samples[name]['one']):.0f}",
                     f"{m['one'] / base['one']:.2f}", f"{100 * accuracy:.2f}",
                     f"{100 * agreement:.2f}"])
    table(["library", "10,000 rows ms", "spread %", "rows/s", "fastmlp fp32 speedup",
           "1 row µs", "spread %", "fastmlp fp32 speedup (latency)", "test accuracy %",
           "classes as fp32 %"], rows, markdown)
    warn_if_spread({f"{name} ({'10,000 rows' if k == 'batch' else '1 row'})": v
                    for name, s in samples.items() for k, v in s.items()})
    report({"threads": threads, "medians": med})


def main():
    benchmark_main(__file__, __doc__, child, [("--rounds", 7, "timing samples per library"),
                                              ("--train-epochs", 3, "epochs to train the seed "
                                                                    "network first")])


if __name__ == "__main__":
    main()
