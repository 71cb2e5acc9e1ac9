"""Inference speed of the seed network (784-512-512-10, ReLU, softmax):
predicting 10,000 rows, and the latency of predicting one row, with fastmlp
and its peers in the same process (PyTorch and scikit-learn when installed),
at 1 and 2 threads, on Fashion-MNIST's test set (synthetic data of its shape
when it is not installed). Calls alternate between libraries; medians.

- fastmlp: model.predict(x), float32
- PyTorch: model(x) under torch.inference_mode(), float32
- scikit-learn: MLPClassifier.predict_proba(x), float32 input

    python bench/predict.py [--threads 1 2] [--markdown]
"""
import time

import numpy as np

from common import (benchmark_main, fashion_mnist_or_synthetic, predict_table, report, say,
                    seconds_per_call)


def seed_weights():
    import fastmlp as fm
    from fastmlp.demo import seed_network

    fm.set_random_seed(0)
    return seed_network()


def peers(threads, model):
    import fastmlp as fm

    fm.set_num_threads(threads)
    weights = model.get_weights()
    found = [("fastmlp " + fm.__version__, lambda x: model.predict(x, verbose=0))]
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
        found.append(("PyTorch " + torch.__version__, torch_predict))
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
        found.append(("scikit-learn " + sklearn.__version__, clf.predict_proba))
    except ImportError:
        print("(scikit-learn not installed: skipped)")
    return found


def child(threads, rounds, markdown):
    _, _, x_test, _, source = fashion_mnist_or_synthetic()
    model = seed_weights()
    libs = peers(threads, model)
    reference = model.predict(x_test[:100], verbose=0)
    for name, fn in libs[1:]:
        np.testing.assert_allclose(fn(x_test[:100]), reference, atol=1e-4, err_msg=name)
    batch, one = x_test[:10000], x_test[:1].copy()
    samples = {name: {"batch": [], "one": []} for name, _ in libs}
    for name, fn in libs:  # warm-up
        fn(batch)
        fn(one)
    for round_ in range(rounds):
        for name, fn in (libs if round_ % 2 == 0 else libs[::-1]):
            time.sleep(0.1)
            samples[name]["batch"].append(seconds_per_call(fn, batch, 0.05))
            samples[name]["one"].append(seconds_per_call(fn, one, 0.02))
        say(f"{threads} thread(s), round {round_ + 1}/{rounds}: " + "; ".join(
            f"{name} {samples[name]['batch'][-1] * 1e3:.1f} ms / "
            f"{samples[name]['one'][-1] * 1e6:.1f} µs" for name, _ in libs))
    print(f"\n## {threads} thread{'s' if threads > 1 else ''}: seed network, {source}\n")
    med = predict_table([name for name, _ in libs], samples, len(batch), markdown)
    report({"threads": threads, "medians": med})


def main():
    benchmark_main(__file__, __doc__, child, [("--rounds", 7, "timing samples per library")])


if __name__ == "__main__":
    main()
