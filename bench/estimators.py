"""fm.MLPClassifier against scikit-learn's MLPClassifier, same hyper-parameters
and same data, fit time and test accuracy:

- adam on digits: scikit-learn's 8×8 digits, standardised, 75/25 split (1,347
  training rows), default hyper-parameters (100 hidden ReLU units, adam,
  batch 200, up to 200 epochs with scikit-learn's stopping rule);
- adam on Fashion-MNIST (synthetic data of the same shape when it is not
  installed): 60,000 rows of 784 pixels in [0, 1], the seed network's 512-512
  ReLU hidden layers, batch 200, a fixed number of epochs;
- lbfgs on digits, and lbfgs on a 50,000 × 54 tabular set (make_classification,
  two classes, standardised): default hyper-parameters (100 hidden ReLU
  units, alpha 1e-4) and a fixed number of L-BFGS iterations (tol=0, and
  max_iter low enough that both libraries run all of them: the iteration
  counts are printed beside the times).

The adam fits get float32 data, so both libraries compute in float32
(scikit-learn keeps float32 input in float32); the lbfgs fits get float64
data, scikit-learn's usual case and the one where fastmlp follows its
iterations to rounding. The libraries alternate run by run; each thread count
runs in its own process (OMP_NUM_THREADS / OPENBLAS_NUM_THREADS set before
loading). Reported: the median fit time, epochs or iterations run, seconds
per epoch or iteration, test accuracy and the fit-time ratio scikit-learn /
fastmlp.

    python bench/estimators.py [--threads 1 2] [--repeats 3] [--epochs 3]
                               [--solvers adam,lbfgs] [--markdown]
"""
import sys
import time
import warnings

import numpy as np

from common import benchmark_main, fashion_mnist_or_synthetic, report, say, table, warn_if_spread


def digits():
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split
    from sklearn.preprocessing import StandardScaler

    X, y = load_digits(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, random_state=0,
                                                        stratify=y)
    scaler = StandardScaler().fit(X_train)
    return (scaler.transform(X_train).astype(np.float32), y_train,
            scaler.transform(X_test).astype(np.float32), y_test)


def tabular():
    """50,000 training and 10,000 test rows of 54 standardised features, two classes."""
    from sklearn.datasets import make_classification
    from sklearn.preprocessing import StandardScaler

    X, y = make_classification(60000, 54, n_informative=20, random_state=0)
    scaler = StandardScaler().fit(X[:50000])
    return scaler.transform(X[:50000]), y[:50000], scaler.transform(X[50000:]), y[50000:]


def as_float64(data):
    x, y, xt, yt = data
    return x.astype(np.float64), y, xt.astype(np.float64), yt


def workloads(epochs, solvers):
    """(short name, name, data, hyper-parameters) of each comparison."""
    chosen = []
    if "adam" in solvers:
        x, y, xt, yt, source = fashion_mnist_or_synthetic()
        short = "Fashion-MNIST" if source == "Fashion-MNIST" else "synthetic 60,000 × 784"
        chosen += [
            ("adam, digits", "adam, digits (1,347 x 64)", digits(), dict(random_state=0)),
            (f"adam, {short}", f"adam, {source} (60,000 x 784)", (x, y, xt, yt),
             dict(hidden_layer_sizes=(512, 512), max_iter=epochs, random_state=0)),
        ]
    if "lbfgs" in solvers:
        lbfgs = dict(solver="lbfgs", tol=0.0, random_state=0)
        chosen += [
            ("lbfgs, digits", "lbfgs, digits (1,347 x 64)", as_float64(digits()),
             dict(lbfgs, max_iter=100)),
            ("lbfgs, 50,000 × 54", "lbfgs, tabular (50,000 x 54)", tabular(),
             dict(lbfgs, max_iter=30)),
        ]
    return chosen


def fit_once(cls, params, data):
    """(seconds, epochs, test accuracy) of one fit."""
    x, y, xt, yt = data
    model = cls(**params)
    start = time.perf_counter()
    model.fit(x, y)
    seconds = time.perf_counter() - start
    return seconds, model.n_iter_, model.score(xt, yt)


def child(threads, repeats, epochs, solvers, markdown):
    import sklearn
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier as SklearnMLP

    import fastmlp as fm

    warnings.simplefilter("ignore", ConvergenceWarning)
    libraries = [(f"fastmlp {fm.__version__}", fm.MLPClassifier),
                 (f"scikit-learn {sklearn.__version__}", SklearnMLP)]
    ratios, summary = {}, []
    for short, name, data, params in workloads(epochs, solvers.split(",")):
        warm_up = dict(params, max_iter=1)
        for _, cls in libraries:  # thread pools, first-touch allocations
            fit_once(cls, warm_up, data)
        runs = {label: [] for label, _ in libraries}
        for _ in range(repeats):
            for label, cls in libraries:
                time.sleep(0.2)
                runs[label].append(fit_once(cls, params, data))
                seconds, n_iter, accuracy = runs[label][-1]
                say(f"{threads} thread(s), {name}: {label} {seconds:.3f} s, {n_iter} "
                    f"{'iterations' if params.get('solver') == 'lbfgs' else 'epochs'}, "
                    f"accuracy {accuracy:.4f}")
        print(f"\n## {threads} thread{'s' if threads > 1 else ''}: {name}, "
              f"{repeats} alternating fits each\n")
        rows, medians = [], {}
        for label, results in runs.items():
            seconds = float(np.median([r[0] for r in results]))
            n_iter = int(np.median([r[1] for r in results]))
            accuracy = float(np.mean([r[2] for r in results]))
            medians[label] = seconds
            rows.append([label, f"{seconds:.3f}", str(n_iter), f"{seconds / n_iter:.4f}",
                         f"{accuracy:.4f}"])
        unit = "iterations" if params.get("solver") == "lbfgs" else "epochs"
        table(["library", "fit s (median)", unit, f"s/{unit[:-1]}", "test accuracy"], rows,
              markdown)
        fastmlp_s, sklearn_s = (medians[label] for label, _ in libraries)
        ratios[name] = sklearn_s / fastmlp_s
        if params.get("solver") == "lbfgs" and len({row[2] for row in rows}) > 1:
            print("\nnote: the iteration counts differ; compare the times per iteration")
        print(f"\nfit-time ratio scikit-learn / fastmlp: {ratios[name]:.2f}x")
        warn_if_spread({f"{name} {label}": [r[0] for r in results]
                        for label, results in runs.items()})
        accuracies = [float(np.mean([r[2] for r in runs[label]])) for label, _ in libraries]
        summary.append([f"{short}, {threads} thread{'s' if threads > 1 else ''}",
                        f"{fastmlp_s:.3f}", f"{sklearn_s:.3f}", f"{ratios[name]:.2f}",
                        " / ".join(f"{a:.4f}" for a in accuracies)])
    report({"threads": threads, "ratios": ratios, "summary": summary})


def main():
    results = benchmark_main(__file__, __doc__, child,
                             [("--repeats", 3, "timed fits per library"),
                              ("--epochs", 3, "epochs of the Fashion-MNIST-sized fit"),
                              ("--solvers", "adam,lbfgs", "workloads to run: adam, lbfgs")])
    if results is None:
        return
    print("\n## All workloads (the README's table)\n")
    table(["data, threads", "fastmlp fit s", "scikit-learn fit s", "ratio",
           "accuracy (fastmlp / scikit-learn)"],
          [row for result in results for row in result["summary"]], markdown="--markdown" in sys.argv)


if __name__ == "__main__":
    main()
