"""fastmlp against ONNX Runtime on the same ONNX file: the seed network
(784-512-512-10, ReLU, dropout 0.2, softmax) exported with
model.export(path, format="onnx"), then

- fastmlp: fm.models.load_onnx(path).predict(x, verbose=0), float32
- ONNX Runtime: InferenceSession(path).run(None, {"input": x}), float32,
  intra_op_num_threads = the thread count, inter_op_num_threads = 1

predicting Fashion-MNIST's 10,000 test rows (synthetic data of its shape when
it is not installed) and one row, at 1 and 2 threads (one child process per
thread count, each library's pool sized before it loads). The libraries
alternate within each round; each sample is the mean over enough calls to
fill --min-time seconds; the table gives medians over --rounds rounds, and a
note flags results whose rounds spread by more than 20 %.

    python bench/onnx_runtime.py [--threads 1 2] [--rounds 7] [--markdown]

The machine is shared: run it alone (flock /work/bench.lock python bench/onnx_runtime.py).
"""
import os
import tempfile
import time

import numpy as np

from common import benchmark_main, fashion_mnist_or_synthetic, report, table

SPREAD_WARNING = 0.2


def seed_file(directory):
    """The seed network (fixed seed), exported; returns the file's path."""
    import fastmlp as fm
    from fastmlp.demo import seed_network

    fm.set_random_seed(0)
    path = os.path.join(directory, "seed.onnx")
    seed_network().export(path, format="onnx", verbose=False)
    return path


def libraries(threads, path):
    """[(name, predict function)] of the libraries installed."""
    import fastmlp as fm

    fm.set_num_threads(threads)
    model = fm.models.load_onnx(path)
    found = [(f"fastmlp {fm.__version__}", lambda x: model.predict(x, verbose=0))]
    try:
        import onnxruntime as ort
    except ImportError:
        print("(onnxruntime not installed: ONNX Runtime skipped)")
        return found
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    sess = ort.InferenceSession(path, options, providers=["CPUExecutionProvider"])
    found.append((f"ONNX Runtime {ort.__version__}", lambda x: sess.run(None, {"input": x})[0]))
    return found


def sample(fn, arg, min_time):
    """Seconds per call, averaged over enough calls to fill min_time."""
    reps = 1
    while True:
        start = time.perf_counter()
        for _ in range(reps):
            fn(arg)
        elapsed = time.perf_counter() - start
        if elapsed >= min_time:
            return elapsed / reps
        reps *= 2


def child(threads, rounds, min_time, markdown):
    _, _, x_test, _, source = fashion_mnist_or_synthetic()
    with tempfile.TemporaryDirectory() as tmp:
        path = seed_file(tmp)
        libs = libraries(threads, path)
        batch, one = np.ascontiguousarray(x_test[:10000]), x_test[:1].copy()
        reference = libs[0][1](batch)
        for name, fn in libs[1:]:
            diff = float(np.abs(fn(batch) - reference).max())
            print(f"{threads} thread(s): {name} differs from fastmlp by at most {diff:.1e}")
            assert diff < 1e-5, name
        for _, fn in libs:  # warm-up: thread pools, first-touch memory
            fn(batch)
            fn(one)
        samples = {name: {"batch": [], "one": []} for name, _ in libs}
        for r in range(rounds):
            order = libs if r % 2 == 0 else libs[::-1]
            for name, fn in order:
                time.sleep(0.05)
                samples[name]["batch"].append(sample(fn, batch, min_time))
                samples[name]["one"].append(sample(fn, one, min_time / 2))
            print(f"{threads} thread(s), round {r + 1}/{rounds}: " + "; ".join(
                f"{name} {samples[name]['batch'][-1] * 1e3:.1f} ms / "
                f"{samples[name]['one'][-1] * 1e6:.1f} µs" for name, _ in libs), flush=True)
    med = {name: {k: float(np.median(v)) for k, v in s.items()} for name, s in samples.items()}
    spread = {(name, k): (max(v) - min(v)) / float(np.median(v))
              for name, s in samples.items() for k, v in s.items()}
    base = med[libs[0][0]]
    print(f"\n## {threads} thread{'s' if threads > 1 else ''}: seed network from one ONNX file, "
          f"{source}\n")
    rows = []
    for name, _ in libs:
        m = med[name]
        rows.append([name, f"{m['batch'] * 1e3:.1f}", f"{len(batch) / m['batch']:,.0f}",
                     f"{m['batch'] / base['batch']:.2f}", f"{m['one'] * 1e6:.1f}",
                     f"{m['one'] / base['one']:.2f}"])
    table(["library", "10,000 rows ms", "rows/s", "fastmlp speedup", "1 row µs",
           "fastmlp speedup (latency)"], rows, markdown)
    noisy = [f"{name} ({'10,000 rows' if k == 'batch' else '1 row'}, {s:.0%})"
             for (name, k), s in spread.items() if s > SPREAD_WARNING]
    if noisy:
        print(f"\nnote: the rounds spread by more than {SPREAD_WARNING:.0%} (max − min over the "
              f"median) for {', '.join(noisy)}: the machine was busy; run again")
    report({"threads": threads, "medians": med, "spread": {f"{n} {k}": s for (n, k), s in
                                                           spread.items()}})


def main():
    benchmark_main(__file__, __doc__, child,
                   [("--rounds", 7, "timing rounds (libraries alternate within each)"),
                    ("--min-time", 0.1, "seconds of calls per sample")])


if __name__ == "__main__":
    main()
