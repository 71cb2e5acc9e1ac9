"""Speed under contention: how much slower training and inference get when
other processes keep the cores busy (a notebook beside a data job, a joblib
pool), for fastmlp and its peers, each with 2 threads in the same process.

Phases, each timing every library in turn: quiet, then with one busy process
per core (pure Python spinning), then quiet again to show the machine did not
drift. Reported: the median time in each phase and the slowdown factor
(contended / quiet). Work: one epoch of the seed network on 20,000 rows of
Fashion-MNIST (synthetic when absent), batch 128, and predicting 10,000 rows.

- fastmlp: Sequential.fit / predict
- PyTorch (when installed): the same network, RMSprop; inference_mode predict
- ONNX Runtime (when installed): the same network as an ONNX graph, predict only

    python bench/contention.py [--threads 2] [--busy N] [--rounds 3] [--markdown]
"""
import os
import subprocess
import sys
import time

import numpy as np

from common import benchmark_main, fashion_mnist_or_synthetic, report, table, warn_if_spread
from train import BATCH, FastmlpPeer, TorchPeer

TRAIN_ROWS, PREDICT_ROWS = 20_000, 10_000
BUSY_LOOP = "while True: pass"


def onnx_session(weights, threads):
    """An ONNX Runtime session for the seed network with these weights, or None."""
    try:
        import onnx
        import onnxruntime as ort
        from onnx import TensorProto, helper, numpy_helper
    except ImportError:
        return None
    nodes, inits, previous = [], [], "x"
    for i, (w, b) in enumerate(zip(weights[::2], weights[1::2])):
        inits += [numpy_helper.from_array(w, f"w{i}"), numpy_helper.from_array(b, f"b{i}")]
        nodes.append(helper.make_node("Gemm", [previous, f"w{i}", f"b{i}"], [f"z{i}"]))
        act = "Relu" if i < 2 else "Softmax"
        nodes.append(helper.make_node(act, [f"z{i}"], [f"a{i}"]))
        previous = f"a{i}"
    graph = helper.make_graph(nodes, "seed", [helper.make_tensor_value_info(
        "x", TensorProto.FLOAT, [None, 784])], [helper.make_tensor_value_info(
            previous, TensorProto.FLOAT, [None, 10])], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    session = ort.InferenceSession(model.SerializeToString(), options,
                                   providers=["CPUExecutionProvider"])
    return session, onnx.__version__, ort.__version__


def workloads(threads, x, y, xt):
    """[(name, {"fit": fn or None, "predict": fn})] for the libraries installed."""
    import fastmlp as fm

    fast = FastmlpPeer(threads)
    found = [(f"fastmlp {fm.__version__}", {"fit": lambda: fast.epoch(x, y),
                                             "predict": lambda: fast.model.predict(xt, verbose=0)})]
    try:
        torch_peer = TorchPeer(threads)
        torch = torch_peer.torch
        net = torch_peer.model

        def torch_predict():
            net.eval()
            with torch.inference_mode():
                return net(torch.from_numpy(xt)).numpy()
        found.append((f"PyTorch {torch_peer.version}",
                      {"fit": lambda: torch_peer.epoch(x, y), "predict": torch_predict}))
    except ImportError:
        print("(PyTorch not installed: skipped)")
    session = onnx_session(fast.model.get_weights(), threads)
    if session is None:
        print("(onnx / onnxruntime not installed: ONNX Runtime skipped)")
    else:
        sess, _, ort_version = session
        found.append((f"ONNX Runtime {ort_version}",
                      {"fit": None, "predict": lambda: sess.run(None, {"x": xt})}))
    return found


def start_busy(count):
    return [subprocess.Popen([sys.executable, "-c", BUSY_LOOP]) for _ in range(count)]


def stop_busy(procs):
    for p in procs:
        p.kill()
    for p in procs:
        p.wait()


def timed(fn):
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def child(threads, busy, rounds, markdown):
    x, y, xt, _, source = fashion_mnist_or_synthetic()
    x, y, xt = x[:TRAIN_ROWS], y[:TRAIN_ROWS], xt[:PREDICT_ROWS]
    libs = workloads(threads, x, y, xt)
    busy = busy or os.cpu_count()
    for _, work in libs:  # warm-up: thread pools, first-touch memory
        for fn in work.values():
            if fn:
                fn()
    samples = {}
    phases = [("quiet", 0), ("busy", busy), ("quiet again", 0)]
    for phase, count in phases:
        procs = start_busy(count)
        time.sleep(0.5 if count else 0.1)
        try:
            for r in range(rounds):
                for name, work in libs:
                    for kind, fn in work.items():
                        if fn is None:
                            continue
                        t = timed(fn)
                        samples.setdefault((name, kind, phase), []).append(t)
                        print(f"  {phase:<11} round {r + 1}: {name:<22} {kind:<7} {t:7.3f} s",
                              flush=True)
        finally:
            stop_busy(procs)
    med = {key: float(np.median(v)) for key, v in samples.items()}
    print(f"\n## {threads} threads, {busy} busy process{'es' if busy > 1 else ''} "
          f"({source}: fit = one epoch of {TRAIN_ROWS:,} rows, batch {BATCH}; "
          f"predict = {PREDICT_ROWS:,} rows)\n")
    rows = []
    for name, work in libs:
        for kind, fn in work.items():
            if fn is None:
                continue
            q, b, q2 = (med[(name, kind, p)] for p, _ in phases)
            rows.append([f"{name} {kind}", f"{q * 1e3:.0f}", f"{b * 1e3:.0f}", f"{q2 * 1e3:.0f}",
                         f"{b / min(q, q2):.2f}"])
    table(["library, work", "quiet ms", "busy ms", "quiet again ms", "slowdown"], rows, markdown)
    warn_if_spread({" ".join(k): v for k, v in samples.items()}, threshold=0.3)
    report({"threads": threads, "medians": {" | ".join(k): v for k, v in med.items()}})


def main():
    benchmark_main(__file__, __doc__, child,
                   [("--busy", 0, "busy processes (default: one per core)"),
                    ("--rounds", 3, "timings per library, work and phase")])


if __name__ == "__main__":
    main()
