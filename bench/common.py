"""Helpers shared by the benchmarks: the machine, child processes per thread
count (thread pools are sized when a library loads), data, result tables."""
import argparse
import json
import os
import platform
import subprocess
import sys

import numpy as np


def cpu_name():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine_line():
    return (f"machine: {cpu_name()}, {os.cpu_count()} logical CPUs; python "
            f"{platform.python_version()}, numpy {np.__version__}")


def run_children(script, thread_counts, extra_args):
    """Run `script --child T extra_args` once per thread count T, with every
    library's thread pool sized to T before it loads; returns the children's
    JSON results (lines starting with RESULT)."""
    results = []
    for threads in thread_counts:
        env = dict(os.environ, OMP_NUM_THREADS=str(threads), OPENBLAS_NUM_THREADS=str(threads),
                   MKL_NUM_THREADS=str(threads))
        cmd = [sys.executable, os.path.abspath(script), "--child", str(threads)] + extra_args
        proc = subprocess.run(cmd, env=env, check=True, stdout=subprocess.PIPE, text=True)
        for line in proc.stdout.splitlines():
            if line.startswith("RESULT "):
                results.append(json.loads(line[len("RESULT "):]))
            else:
                print(line)
        sys.stdout.flush()
    return results


def benchmark_main(script, description, child, options):
    """The command line all benchmarks share. options: (flag, default, help) per
    setting, passed to `child(threads, <setting>=..., markdown=...)`. In the parent,
    runs one child process per --threads value and returns their results; in a
    child, runs `child` and returns None."""
    parser = argparse.ArgumentParser(description=description,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--threads", type=int, nargs="*", default=[1, 2])
    for flag, default, help_text in options:
        parser.add_argument(flag, type=type(default), default=default, help=help_text)
    parser.add_argument("--markdown", action="store_true", help="print markdown tables")
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    names = [flag.lstrip("-").replace("-", "_") for flag, _, _ in options]
    settings = {name: getattr(args, name) for name in names}
    if args.child:
        child(args.child, markdown=args.markdown, **settings)
        return None
    print(machine_line())
    forwarded = [word for (flag, _, _), name in zip(options, names)
                 for word in (flag, str(settings[name]))]
    return run_children(script, args.threads, forwarded + (["--markdown"] if args.markdown else []))


def report(result):
    """Hand a child's result to the parent."""
    print("RESULT " + json.dumps(result))


def fashion_mnist_or_synthetic():
    """(x_train float32 (60000, 784) in [0, 1], y_train int labels, x_test, y_test, source)."""
    import fastmlp as fm

    if fm.datasets.fashion_mnist_available():
        (x, y), (xt, yt) = fm.datasets.load_fashion_mnist()
        source = "Fashion-MNIST"
    else:
        rng = np.random.default_rng(0)
        x = rng.integers(0, 256, (60000, 28, 28), dtype=np.uint8)
        y = rng.integers(0, 10, 60000).astype(np.uint8)
        xt = rng.integers(0, 256, (10000, 28, 28), dtype=np.uint8)
        yt = rng.integers(0, 10, 10000).astype(np.uint8)
        source = "synthetic data of Fashion-MNIST's shape (dataset-fashion-mnist not installed)"
    x = x.reshape(len(x), 784).astype(np.float32) / 255
    xt = xt.reshape(len(xt), 784).astype(np.float32) / 255
    return x, y.astype(np.int64), xt, yt.astype(np.int64), source


def table(header, rows, markdown):
    """Print rows (lists of strings) under header as markdown or aligned text."""
    if markdown:
        print("| " + " | ".join(header) + " |")
        print("| " + " | ".join("---" if i == 0 else "---:" for i in range(len(header))) + " |")
        for row in rows:
            print("| " + " | ".join(row) + " |")
        return
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(header)]
    print("  ".join(h.ljust(w) if i == 0 else h.rjust(w) for i, (h, w) in enumerate(zip(header, widths))))
    for row in rows:
        print("  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(row, widths))))
