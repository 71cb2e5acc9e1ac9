"""Data-parallel training on one machine: what the collective costs.

The seed network (784-512-512-10, ReLU, dropout 0.2, RMSprop) on Fashion-MNIST
(synthetic data of its shape when the Debian package is missing), global
batch 256 = 2 workers x 128 rows, in five configurations trained side by side
(one epoch of each in turn, so that the shared machine's slow phases hit all
of them):

- 1 process x 1 thread and 1 process x 2 threads: Model.fit, batch 256;
- 2 workers x 1 thread, synchronous: fastmlp.dask.fit on a
  LocalCluster(n_workers=2, threads_per_worker=1), 128 rows per worker;
- 2 workers x 1 thread, local SGD with H = 8 and H = 32 (sync_every).

Reported per configuration: the median epoch time (inside the workers for
the Dask runs: the launch of each one-epoch fit call is left out), the speed
relative to 1 x 2 threads, test accuracy after each epoch against the
cumulative training time (time to accuracy), the final test accuracy, and for
the Dask runs the bytes each worker sends per step and the share of the epoch
spent inside the allreduce. Then the paper model (README, "Scale-out") is
evaluated at the measured loopback point.

    python bench/data_parallel.py [--epochs 20] [--markdown]
    python bench/data_parallel.py --model-only      # the paper model's table alone
"""
import argparse
import json
import os
import statistics
import time
import warnings

import numpy as np

from common import fashion_mnist_or_synthetic, machine_line, say, table, warn_if_spread

ROWS_PER_WORKER = 128
WORKERS = 2
FLOP_PER_ROW = 3.21e6  # seed network: forward + both backward GEMMs (README)
SEED_PARAMS = 669_706

# links: (name, payload bandwidth in bytes/s, one-way latency per message in s)
LINKS = [("1 GbE", 117e6, 50e-6), ("10 GbE", 1.17e9, 20e-6), ("100 GbE", 11.7e9, 5e-6)]


def flop_per_row(layers):
    """Forward (2N), weight gradients (2N) and input gradients of every layer
    but the first (2N minus the first layer's weights) per row, for widths
    [inputs, hidden..., outputs]."""
    weights = [a * b for a, b in zip(layers[:-1], layers[1:])]
    n = sum(weights)
    return 2 * n + 2 * n + 2 * (n - weights[0])


def paper_step(params, rows_per_worker, workers, bandwidth, latency, flops_per_s, flop_row,
               bytes_per_value=4):
    """(seconds per synchronous step, of which communication): compute on
    rows_per_worker rows, then a ring allreduce of params + 1 values in
    2 (p - 1) messages of S/p bytes, not overlapped with the compute."""
    compute = rows_per_worker * flop_row / flops_per_s
    size = (params + 1) * bytes_per_value
    if workers == 1:
        return compute, 0.0
    comm = 2 * (workers - 1) * (size / workers / bandwidth + latency)
    return compute + comm, comm


def model_table(flops_per_s, markdown, measured=None):
    """Step time and efficiency (compute / step) for 1/10/100 GbE, 2..64
    workers, three network sizes, 128 rows per worker."""
    nets = [("small 784-128-10", [784, 128, 10]), ("seed 784-512-512-10", [784, 512, 512, 10]),
            ("wide 784-2048-2048-10", [784, 2048, 2048, 10])]
    rows = []
    for name, layers in nets:
        params = sum(a * b + b for a, b in zip(layers[:-1], layers[1:]))
        for link, bw, lat in LINKS:
            cells = [name, link]
            for p in (2, 4, 8, 16, 64):
                step, comm = paper_step(params, ROWS_PER_WORKER, p, bw, lat, flops_per_s,
                                        flop_per_row(layers))
                compute = step - comm
                cells.append(f"{step * 1e3:.1f} ms ({compute / step:.0%})")
            rows.append(cells)
    print(f"\nPaper model: step time (compute share) at {ROWS_PER_WORKER} rows per worker, "
          f"{flops_per_s / 1e9:.0f} GFLOP/s per worker, fp32 gradients + 1 flag, ring allreduce, "
          f"no overlap")
    table(["network", "link", "p=2", "p=4", "p=8", "p=16", "p=64"], rows, markdown)
    if measured:
        bw, lat = measured["bandwidth"], measured["latency"]
        step, comm = paper_step(SEED_PARAMS, ROWS_PER_WORKER, 2, bw, lat, measured["flops"],
                                FLOP_PER_ROW)
        print(f"\nLoopback check (p=2, seed network): model {comm * 1e3:.2f} ms allreduce, "
              f"{step * 1e3:.2f} ms step; measured {measured['allreduce_ms']:.2f} ms allreduce, "
              f"{measured['step_ms']:.2f} ms step (bandwidth {bw / 1e9:.2f} GB/s and latency "
              f"{lat * 1e6:.0f} us from the allreduce micro-benchmark, compute "
              f"{measured['flops'] / 1e9:.0f} GFLOP/s from the 1 x 1 run)")


# the ring's paths between processes on one machine, as the environment picks them
PATHS = {"shared memory": {}, "Unix socket": {"FASTMLP_RING_SOCKET": "1"},
         "TCP loopback": {"FASTMLP_RING_TCP": "1"}}


def loopback_point(path="shared memory"):
    """Bandwidth and latency of the ring between two processes on this
    machine (shared memory, a Unix socket, or TCP on loopback: PATHS):
    allreduce of the seed network's gradients and of 1 value, medians."""
    import multiprocessing as mp

    ctx = mp.get_context("spawn")
    q = ctx.Queue()
    procs = [ctx.Process(target=_ring_child, args=(r, q, PATHS[path])) for r in range(2)]
    for p in procs:
        p.start()
    results = [q.get(timeout=120) for _ in range(2)]
    for p in procs:
        p.join()
    big = max(r["big"] for r in results)
    tiny = max(r["tiny"] for r in results)
    size = (SEED_PARAMS + 1) * 4
    latency = tiny / 2  # 2 (p - 1) = 2 messages of (almost) nothing
    bandwidth = size / (big - 2 * latency)  # 2 messages of S/2 bytes each
    return {"big_ms": big * 1e3, "tiny_ms": tiny * 1e3, "bandwidth": bandwidth,
            "latency": latency}


def _ring_child(rank, q, env):
    os.environ.update(env)
    import ast

    from fastmlp._distributed.ring import Listener, connect_ring

    listener = Listener("127.0.0.1")
    path = f"/tmp/fastmlp-bench-ring-{os.getppid()}-%d"
    with open(path % rank + ".tmp", "w") as f:
        f.write(repr(listener.address))
    os.replace(path % rank + ".tmp", path % rank)

    def lookup(r):
        while not os.path.exists(path % r):
            time.sleep(0.01)
        with open(path % r) as f:
            return ast.literal_eval(f.read())

    conn = connect_ring(rank, 2, listener, lookup, 1, 60)
    medians = {}
    for key, buf, reps in (("tiny", np.ones(1, np.float32), 200),
                           ("big", np.ones(SEED_PARAMS + 1, np.float32), 100)):
        times = []
        for _ in range(reps):
            t = time.perf_counter()
            conn.allreduce(buf)
            times.append(time.perf_counter() - t)
        medians[key] = statistics.median(times[10:])
    conn.close()
    q.put(medians)
    time.sleep(0.2)
    try:
        os.remove(path % rank)
    except OSError:
        pass


def seed_model(seed):
    import fastmlp as fm
    from fastmlp.demo import seed_network

    fm.set_random_seed(seed)
    model = seed_network()
    model.build((None, 784))
    return model


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--configs", nargs="*",
                        default=["1x1", "1x2", "sync", "local8", "local32"])
    parser.add_argument("--markdown", action="store_true")
    parser.add_argument("--model-only", action="store_true")
    parser.add_argument("--json", help="write the raw results here")
    args = parser.parse_args()
    print(machine_line())
    if args.model_only:
        model_table(100e9, args.markdown)
        return
    import dask.array as da
    import distributed

    import fastmlp as fm
    import fastmlp.dask as fmd

    x, y, xt, yt, source = fashion_mnist_or_synthetic()
    print(f"data: {source}; {len(x)} training rows, global batch {ROWS_PER_WORKER * WORKERS}")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cluster = distributed.LocalCluster(n_workers=WORKERS, threads_per_worker=1,
                                           processes=True, dashboard_address=None)
    client = distributed.Client(cluster)
    dx = da.from_array(x, chunks=len(x) // WORKERS)
    dy = da.from_array(y, chunks=len(x) // WORKERS)
    dx, dy = client.persist(dx), client.persist(dy)
    distributed.wait([dx, dy])
    runs = {c: {"model": seed_model(args.seed), "epoch": [], "accuracy": [], "ring": [],
                "bytes": [], "calls": []} for c in args.configs}
    sync = {"sync": 1, "local8": 8, "local32": 32, "local16": 16}
    for epoch in range(args.epochs):
        for name, run in runs.items():
            model = run["model"]
            if name in ("1x1", "1x2"):
                fm.set_num_threads(1 if name == "1x1" else 2)
                t = time.perf_counter()
                model.fit(x, y, batch_size=ROWS_PER_WORKER * WORKERS, epochs=1, verbose=0)
                run["epoch"].append(time.perf_counter() - t)
                fm.set_num_threads(None)
            else:
                h = fmd.fit(model, dx, dy, client=client, batch_size=ROWS_PER_WORKER, epochs=1,
                            seed=args.seed * 1000 + epoch, sync_every=sync[name])
                per_rank = h.params["epoch_seconds"]
                run["epoch"].append(max(r[0][0] for r in per_rank))
                run["ring"].append(max(r[0][1] for r in per_rank))
                c = h.params["counters"][0]
                run["bytes"].append(c["bytes_sent"])
                run["calls"].append(c["calls"])
            run["accuracy"].append(float(np.mean(
                np.argmax(model.predict(xt, verbose=0), axis=1) == yt)))
        say(f"epoch {epoch + 1}: " + ", ".join(
            f"{n} {r['epoch'][-1]:.2f} s {100 * r['accuracy'][-1]:.2f}%" for n, r in runs.items()))
    client.close()
    cluster.close()
    base = statistics.median(runs["1x2"]["epoch"]) if "1x2" in runs else None
    steps_sync = -(-len(x) // (ROWS_PER_WORKER * WORKERS))
    rows = []
    for name, run in runs.items():
        med = statistics.median(run["epoch"])
        cum = np.cumsum(run["epoch"])
        ring_share = (f"{statistics.median(r / e for r, e in zip(run['ring'], run['epoch'])):.1%}"
                      if run["ring"] else "-")
        per_step = "-"
        if run["bytes"]:
            syncs = steps_sync if name == "sync" else -(-steps_sync // sync[name]) + 0
            per_step = f"{statistics.median(run['bytes']) / max(1, syncs) / 1e6:.2f} MB"
        rows.append([name, f"{med:.2f} s", f"{base / med:.2f}" if base else "-", ring_share,
                     per_step, f"{100 * run['accuracy'][-1]:.2f}%",
                     f"{100 * max(run['accuracy']):.2f}%", f"{cum[-1]:.0f} s"])
    print(f"\nMedians over {args.epochs} epochs, {machine_line()}")
    table(["config", "epoch", "speed vs 1x2", "in allreduce", "sent/sync", "final acc",
           "best acc", "train time"], rows, args.markdown)
    warn_if_spread({name: run["epoch"] for name, run in runs.items()})
    target = None
    if "1x1" in runs:
        target = max(runs["1x1"]["accuracy"]) - 0.005
        tta = []
        for name, run in runs.items():
            cum = np.cumsum(run["epoch"])
            hit = next((t for t, a in zip(cum, run["accuracy"]) if a >= target), None)
            tta.append([name, "-" if hit is None else f"{hit:.1f} s"])
        print(f"\nTime to {100 * target:.2f}% test accuracy (0.5 points below 1x1's best):")
        table(["config", "time"], tta, args.markdown)
    point = loopback_point()
    measured = None
    if "sync" in runs and "1x1" in runs:
        flops = FLOP_PER_ROW * len(x) / statistics.median(runs["1x1"]["epoch"])
        measured = {"bandwidth": point["bandwidth"], "latency": point["latency"],
                    "flops": flops, "allreduce_ms": point["big_ms"],
                    "step_ms": statistics.median(runs["sync"]["epoch"]) / steps_sync * 1e3}
    for name in PATHS:
        pt = point if name == "shared memory" else loopback_point(name)
        print(f"\nallreduce between 2 processes through {name}: {pt['big_ms']:.2f} ms for the seed "
              f"network's gradients ({(SEED_PARAMS + 1) * 4 / 1e6:.2f} MB: "
              f"{pt['bandwidth'] / 1e9:.2f} GB/s), {pt['tiny_ms'] * 1e3:.0f} us for one value")
    model_table(measured["flops"] if measured else 100e9, args.markdown, measured)
    if args.json:
        with open(args.json, "w") as f:
            json.dump({n: {k: v for k, v in r.items() if k != "model"} for n, r in runs.items()}
                      | {"loopback": point}, f, indent=1)


if __name__ == "__main__":
    main()
