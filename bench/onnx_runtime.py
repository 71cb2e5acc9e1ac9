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

from common import (benchmark_main, fashion_mnist_or_synthetic, predict_table, report, say,
                    seconds_per_call)

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
                samples[name]["batch"].append(seconds_per_call(fn, batch, min_time))
                samples[name]["one"].append(seconds_per_call(fn, one, min_time / 2))
            say(f"{threads} thread(s), round {r + 1}/{rounds}: " + "; ".join(
                f"{name} {samples[name]['batch'][-1] * 1e3:.1f} ms / "
                f"{samples[name]['one'][-1] * 1e6:.1f} µs" for name, _ in libs))
    print(f"\n## {threads} thread{'s' if threads > 1 else ''}: seed network from one ONNX file, "
          f"{source}\n")
    med = predict_table([name for name, _ in libs], samples, len(batch), markdown)
    report({"threads": threads, "medians": med})


def main():
    benchmark_main(__file__, __doc__, child,
                   [("--rounds", 7, "timing rounds (libraries alternate within each)"),
                    ("--min-time", 0.1, "seconds of calls per sample")])


if __name__ == "__main__":
    main()
