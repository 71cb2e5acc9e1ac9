"""What batch normalization costs: the seed network (784-512-512-10, ReLU,
dropout 0.2, softmax, RMSprop, batch 128) against the same network with a
BatchNormalization after each hidden Dense, two ways:

- "BN after ReLU": Dense(512, relu) -> BatchNormalization -> Dropout;
- "BN before ReLU": Dense(512) -> BatchNormalization -> Activation("relu")
  -> Dropout (the Keras guides' order).

Work: one training epoch of 60,000 rows of Fashion-MNIST (synthetic data of
the same shape when it is not installed) and predicting 10,000 rows. The same
three networks in PyTorch (nn.BatchNorm1d, momentum 0.01, eps 1e-3) show what
batch normalization costs there. Networks and libraries alternate round by
round; medians are reported, with the ratio to the plain seed network of the
same library. At inference fastmlp folds each BatchNormalization into the
neighbouring Dense layer, so predict should cost what it costs without it.

    python bench/batchnorm.py [--threads 1 2] [--rounds 5] [--markdown]
"""
import time

import numpy as np

from common import benchmark_main, fashion_mnist_or_synthetic, report, table, warn_if_spread

BATCH = 128
PREDICT_ROWS = 10_000
VARIANTS = ["seed", "BN after ReLU", "BN before ReLU"]


def fastmlp_model(variant):
    import fastmlp as fm

    layers = [fm.Input((784,))]
    for _ in range(2):
        if variant == "seed":
            layers += [fm.Dense(512, activation="relu")]
        elif variant == "BN after ReLU":
            layers += [fm.Dense(512, activation="relu"), fm.BatchNormalization()]
        else:
            layers += [fm.Dense(512), fm.BatchNormalization(), fm.Activation("relu")]
        layers.append(fm.Dropout(0.2))
    layers.append(fm.Dense(10, activation="softmax"))
    model = fm.Sequential(layers)
    model.compile(optimizer=fm.RMSprop(), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    return model


class FastmlpWork:
    def __init__(self, variant, threads):
        import fastmlp as fm

        fm.set_num_threads(threads)
        fm.set_random_seed(0)
        self.model = fastmlp_model(variant)

    def fit(self, x, y):
        self.model.fit(x, y, batch_size=BATCH, epochs=1, verbose=0)

    def predict(self, x):
        self.model.predict(x, verbose=0)


class TorchWork:
    def __init__(self, variant, threads):
        import torch

        torch.set_num_threads(threads)
        torch.manual_seed(0)
        nn = torch.nn
        layers, width = [], 784
        for _ in range(2):
            layers.append(nn.Linear(width, 512))
            if variant == "seed":
                layers.append(nn.ReLU())
            elif variant == "BN after ReLU":
                layers += [nn.ReLU(), nn.BatchNorm1d(512, eps=1e-3, momentum=0.01)]
            else:
                layers += [nn.BatchNorm1d(512, eps=1e-3, momentum=0.01), nn.ReLU()]
            layers.append(nn.Dropout(0.2))
            width = 512
        layers.append(nn.Linear(512, 10))
        self.torch, self.model = torch, nn.Sequential(*layers)
        self.opt = torch.optim.RMSprop(self.model.parameters(), lr=0.001, alpha=0.9, eps=1e-7)
        self.loss = nn.CrossEntropyLoss()

    def fit(self, x, y):
        torch = self.torch
        xt, yt = torch.from_numpy(x), torch.from_numpy(y)
        order = torch.randperm(len(x))
        self.model.train()
        for start in range(0, len(x), BATCH):
            idx = order[start:start + BATCH]
            self.opt.zero_grad(set_to_none=True)
            self.loss(self.model(xt[idx]), yt[idx]).backward()
            self.opt.step()

    def predict(self, x):
        torch = self.torch
        self.model.eval()
        with torch.inference_mode():
            torch.softmax(self.model(torch.from_numpy(x)), dim=1)


def workloads(threads):
    """[(library, variant, work)] for the libraries installed."""
    found = [("fastmlp", v, FastmlpWork(v, threads)) for v in VARIANTS]
    try:
        found += [("PyTorch", v, TorchWork(v, threads)) for v in VARIANTS]
    except ImportError:
        print("(PyTorch not installed: skipped)")
    return found


def timed(fn, *args):
    start = time.perf_counter()
    fn(*args)
    return time.perf_counter() - start


def child(threads, rounds, markdown):
    x, y, xt, _, source = fashion_mnist_or_synthetic()
    xt = xt[:PREDICT_ROWS]
    works = workloads(threads)
    for _, _, work in works:  # warm-up: thread pools, first-touch memory
        work.fit(x[:12800], y[:12800])
        work.predict(xt)
    samples = {}
    for r in range(rounds):
        for lib, variant, work in works:
            time.sleep(0.1)
            fit_s = timed(work.fit, x, y)
            predict_s = min(timed(work.predict, xt) for _ in range(3))
            samples.setdefault((lib, variant, "fit"), []).append(fit_s)
            samples.setdefault((lib, variant, "predict"), []).append(predict_s)
            print(f"  round {r + 1}: {lib:<8} {variant:<15} fit {fit_s:6.2f} s  "
                  f"predict {predict_s * 1e3:6.1f} ms", flush=True)
    med = {key: float(np.median(v)) for key, v in samples.items()}
    print(f"\n## {threads} thread{'s' if threads > 1 else ''}: {source}; fit = one epoch of "
          f"{len(x):,} rows, batch {BATCH}; predict = {PREDICT_ROWS:,} rows\n")
    rows = []
    for lib, variant, _ in works:
        fit_s, pred_s = med[(lib, variant, "fit")], med[(lib, variant, "predict")]
        base_fit, base_pred = med[(lib, "seed", "fit")], med[(lib, "seed", "predict")]
        rows.append([f"{lib}, {variant}", f"{fit_s:.2f}", f"{fit_s / base_fit:.3f}",
                     f"{pred_s * 1e3:.1f}", f"{pred_s / base_pred:.3f}"])
    table(["library, network", "epoch s", "epoch / seed", "predict ms", "predict / seed"], rows,
          markdown)
    warn_if_spread({" ".join(k): v for k, v in samples.items()})
    report({"threads": threads, "medians": {" | ".join(k): v for k, v in med.items()}})


def main():
    benchmark_main(__file__, __doc__, child, [("--rounds", 5, "timed rounds per network")])


if __name__ == "__main__":
    main()
