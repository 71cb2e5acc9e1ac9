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
    JSON results (lines starting with RESULT); last_child() is true in the last
    one, for work a run needs once. The children's other lines are
    passed on as they come, so a long run shows each measurement when it is made."""
    results = []
    for i, threads in enumerate(thread_counts):
        env = dict(os.environ, OMP_NUM_THREADS=str(threads), OPENBLAS_NUM_THREADS=str(threads),
                   MKL_NUM_THREADS=str(threads), PYTHONUNBUFFERED="1",
                   BENCH_LAST_CHILD="1" if i == len(thread_counts) - 1 else "")
        cmd = [sys.executable, os.path.abspath(script), "--child", str(threads)] + extra_args
        with subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, text=True, bufsize=1) as proc:
            for line in proc.stdout:
                if line.startswith("RESULT "):
                    results.append(json.loads(line[len("RESULT "):]))
                else:
                    print(line, end="", flush=True)
        if proc.returncode:
            sys.exit(f"the {threads}-thread run failed (exit status {proc.returncode}); "
                     f"its output is above")
    return results


def seconds_per_call(fn, arg, min_time):
    """Seconds per fn(arg), averaged over enough calls (doubling) to fill min_time."""
    import time

    reps = 1
    while True:
        start = time.perf_counter()
        for _ in range(reps):
            fn(arg)
        elapsed = time.perf_counter() - start
        if elapsed >= min_time:
            return elapsed / reps
        reps *= 2


def last_child():
    """Whether this is the run's last child process (run_children)."""
    return os.environ.get("BENCH_LAST_CHILD") == "1"


def say(text):
    """Print a measurement the moment it is made."""
    print(text, flush=True)


# Repeated runs whose (max − min) / median exceeds this are flagged, as
# pyperf flags unstable benchmarks: on a shared machine they mean another
# tenant was busy during some of them, and the medians may not hold.
SPREAD_THRESHOLD = 0.2


def spread(values):
    """(max − min) / median of repeated measurements."""
    values = [float(v) for v in values]
    return (max(values) - min(values)) / float(np.median(values)) if len(values) > 1 else 0.0


def warn_if_spread(samples, threshold=SPREAD_THRESHOLD):
    """Print a note naming every label of samples ({label: [seconds, ...]})
    whose repeated runs spread by more than threshold; returns those labels."""
    noisy = {label: spread(values) for label, values in samples.items()}
    noisy = {label: s for label, s in noisy.items() if s > threshold}
    if noisy:
        say(f"\nnote: repeated runs spread by more than {threshold:.0%} (max − min over the "
            f"median) for " + ", ".join(f"{label} ({s:.0%})" for label, s in noisy.items())
            + ": the machine was busy; re-run before concluding")
    return list(noisy)


class Peak:
    """An instruction's measured peak as the yardstick of "% of peak" (the
    float32 FMA by default, `instruction="bf16"` or `"vnni"`: fm.ops.peak_gops's
    names): probed before the measurements and again after (the
    highest probe counts), so a probe that ran in a slow phase is corrected
    by the other. A result above the peak still is marked with "*" and
    explained by note(), never reported as more than 100 % silently."""

    def __init__(self, threads, seconds=0.3, instruction="fma"):
        self.threads, self.seconds, self.instruction = threads, seconds, instruction
        self.probes, self.above = [], []
        self.probe_again()

    def probe_again(self):
        import fastmlp as fm

        self.probes.append(fm.ops.peak_gops(self.instruction, self.threads, self.seconds))
        return self.gflops

    @property
    def gflops(self):
        return max(self.probes)

    def percent(self, gflops, label=""):
        """gflops as a share of the peak, "97" or "104*" (then note() explains)."""
        share = 100 * gflops / self.gflops
        if share > 100:
            self.above.append(label or f"{gflops:.1f} GFLOPS")
            return f"{share:.0f}*"
        return f"{share:.0f}"

    def note(self):
        if self.above:
            say(f"\n* above the measured {self.instruction} peak ({', '.join(self.above)}): the "
                f"peak probes ({', '.join(f'{p:.0f}' for p in self.probes)}) ran in a slower "
                f"phase of the machine than these measurements; the peak probe was noisy, re-run")
            self.above = []


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
        # A run of T threads gets T cores: some peers (JAX's XLA) size their
        # pools to the machine whatever they are told.
        if args.child < (os.cpu_count() or 1) and hasattr(os, "sched_setaffinity"):
            os.sched_setaffinity(0, sorted(os.sched_getaffinity(0))[:args.child])
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


def predict_table(names, samples, batch_rows, markdown):
    """The inference table: per library (names, the first one fastmlp) the
    median seconds of a batch of batch_rows rows and of one row (samples:
    {name: {"batch": [...], "one": [...]}}), rows/s and fastmlp's speedups;
    flags spread samples. Returns the medians."""
    med = {name: {k: float(np.median(v)) for k, v in s.items()} for name, s in samples.items()}
    base = med[names[0]]
    rows = []
    for name in names:
        m = med[name]
        rows.append([name, f"{m['batch'] * 1e3:.1f}", f"{batch_rows / m['batch']:,.0f}",
                     f"{m['batch'] / base['batch']:.2f}", f"{m['one'] * 1e6:.1f}",
                     f"{m['one'] / base['one']:.2f}"])
    table(["library", f"{batch_rows:,} rows ms", "rows/s", "fastmlp speedup", "1 row µs",
           "fastmlp speedup (latency)"], rows, markdown)
    warn_if_spread({f"{name} ({f'{batch_rows:,} rows' if k == 'batch' else '1 row'})": v
                    for name, s in samples.items() for k, v in s.items()})
    return med
