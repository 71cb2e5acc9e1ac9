"""GEMM micro-benchmark: fastmlp's own GEMM (fm.ops.matmul) against numpy's
(OpenBLAS) in the same process, on the seed network's nine layer shapes at
batch 128 (forward X·W, input gradient dZ·Wᵀ, weight gradient Xᵀ·dZ of each
layer) plus 1024³, at 1 and 2 threads.

Each thread count runs in a child process whose OMP_NUM_THREADS and
OPENBLAS_NUM_THREADS are set before numpy loads. Timings are medians of
repeated samples, the two libraries alternating, with a pause between them
so that the other's spinning worker threads are idle. GFLOPS are also shown
as a share of a float32 FMA peak measured on the spot.

A second table puts fastmlp's reduced-precision kernels beside its float32
one on the same shapes: bfloat16 (fm.ops.matmul(precision="bfloat16"), what
mixed_bfloat16 training runs: operands rounded while packed, vdpbf16ps, fp32
sums) against the vdpbf16ps peak, and int8 inference on the forward shapes
(fm.ops.quantized_matmul: rows quantized on the fly, vpdpbusd, dequantizing
epilogue) in GOPS against the vpdpbusd peak. Peaks are probes of the bare
instruction; a share above 100 % means the probe ran in a slow phase of the
machine and is flagged. Each measurement is printed as it is made, with a
warning when its samples spread more than 20 % around their median.

    python bench/gemm.py                 # 1 and 2 threads
    python bench/gemm.py --threads 2 --rounds 9 --markdown
"""
import time

from common import Peak, benchmark_main, say, table, warn_if_spread

SHAPES = [  # (name, op, m, n, k)
    ("L1 forward  X·W", "NN", 128, 512, 784),
    ("L2 forward  X·W", "NN", 128, 512, 512),
    ("L3 forward  X·W", "NN", 128, 10, 512),
    ("L1 dX  dZ·Wᵀ", "NT", 128, 784, 512),
    ("L2 dX  dZ·Wᵀ", "NT", 128, 512, 512),
    ("L3 dX  dZ·Wᵀ", "NT", 128, 512, 10),
    ("L1 dW  Xᵀ·dZ", "TN", 784, 512, 128),
    ("L2 dW  Xᵀ·dZ", "TN", 512, 512, 128),
    ("L3 dW  Xᵀ·dZ", "TN", 512, 10, 128),
    ("square 1024³", "NN", 1024, 1024, 1024),
]
PAUSE = 0.15        # seconds: OpenBLAS workers spin ~0.1 s after a call
SAMPLE_TIME = 0.03  # seconds per timing sample


def reduced_precision(threads, rounds, markdown, sample, fp32_peak):
    """fastmlp's float32, bfloat16 and int8 kernels on the seed shapes, alternating."""
    import numpy as np

    import fastmlp as fm

    rng = np.random.default_rng(1)
    bf16 = fm._engine.bf16_supported()
    peaks = {"fp32": fp32_peak, "vnni": Peak(threads, instruction="vnni")}
    if bf16:
        peaks["bf16"] = Peak(threads, instruction="bf16")
    print(f"\n## {threads} thread{'s' if threads > 1 else ''}: fastmlp's reduced precision "
          f"({fm._config.config()['simd']}); peaks measured now: float32 FMA "
          f"{fp32_peak.gflops:.0f} GFLOPS, vdpbf16ps "
          f"{peaks['bf16'].gflops if bf16 else 0:.0f} GFLOPS, vpdpbusd "
          f"{peaks['vnni'].gflops:.0f} GOPS\n"
          + ("" if bf16 else "(bfloat16 skipped: this CPU lacks AVX512_BF16)\n"), flush=True)
    rows, samples = [], {}
    for name, op, m, n, k in SHAPES:
        trans_a, trans_b = op[0] == "T", op[1] == "T"
        a = rng.standard_normal((k, m) if trans_a else (m, k)).astype(np.float32)
        b = rng.standard_normal((n, k) if trans_b else (k, n)).astype(np.float32)
        out = np.empty((m, n), np.float32)
        runs = {"fp32": lambda: fm.ops.matmul(a, b, trans_a=trans_a, trans_b=trans_b, out=out)}
        if bf16:
            runs["bf16"] = lambda: fm.ops.matmul(a, b, trans_a=trans_a, trans_b=trans_b, out=out,
                                                 precision="bfloat16")
        if op == "NN":  # inference: the forward products
            packed = fm.ops.QuantizedMatrix(b, "int8")
            runs["int8"] = lambda: fm.ops.quantized_matmul(a, packed, out=out)
        reps = {}
        for label, fn in runs.items():
            fn()
            reps[label] = max(1, int(SAMPLE_TIME / max(sample(fn, 3), 1e-7)))
        times = {label: [] for label in runs}
        for _ in range(rounds):
            for label, fn in runs.items():
                times[label].append(sample(fn, reps[label]))
        ops = 2.0 * m * n * k
        rate = {label: ops / float(np.median(t)) * 1e-9 for label, t in times.items()}
        samples.update({f"{name} {label}": t for label, t in times.items()})
        say(f"  {name} {op} {m}×{n}×{k}: " + ", ".join(
            f"{label} {rate[label]:.1f}" for label in runs))
        rows.append([name, op, f"{m}×{n}×{k}", f"{rate['fp32']:.1f}",
                     peaks["fp32"].percent(rate["fp32"], f"{name} fp32"),
                     f"{rate['bf16']:.1f}" if "bf16" in rate else "–",
                     peaks["bf16"].percent(rate["bf16"], f"{name} bf16") if "bf16" in rate else "–",
                     f"{rate['bf16'] / rate['fp32']:.2f}" if "bf16" in rate else "–",
                     f"{rate['int8']:.1f}" if "int8" in rate else "–",
                     peaks["vnni"].percent(rate["int8"], f"{name} int8") if "int8" in rate else "–",
                     f"{rate['int8'] / rate['fp32']:.2f}" if "int8" in rate else "–"])
    print()
    table(["shape", "op", "M×N×K", "fp32 GFLOPS", "% FMA peak", "bf16 GFLOPS", "% bf16 peak",
           "bf16/fp32", "int8 GOPS", "% VNNI peak", "int8/fp32"], rows, markdown)
    for label, peak in peaks.items():
        if label != "fp32":  # probed again by the caller
            peak.probe_again()
        peak.note()
    warn_if_spread(samples)


def child(threads, rounds, markdown):
    import numpy as np

    import fastmlp as fm

    fm.set_num_threads(threads)
    rng = np.random.default_rng(0)

    def sample(fn, reps):
        start = time.perf_counter()
        for _ in range(reps):
            fn()
        return (time.perf_counter() - start) / reps

    peak = Peak(threads)
    rows, samples = [], {}
    for name, op, m, n, k in SHAPES:
        trans_a, trans_b = op[0] == "T", op[1] == "T"
        a = rng.standard_normal((k, m) if trans_a else (m, k)).astype(np.float32)
        b = rng.standard_normal((n, k) if trans_b else (k, n)).astype(np.float32)
        out_fm = np.empty((m, n), np.float32)
        out_np = np.empty((m, n), np.float32)
        a_op, b_op = (a.T if trans_a else a), (b.T if trans_b else b)

        def run_fm():
            fm.ops.matmul(a, b, trans_a=trans_a, trans_b=trans_b, out=out_fm)

        def run_np():
            np.matmul(a_op, b_op, out=out_np)

        reps = {}
        for label, fn in (("fm", run_fm), ("np", run_np)):
            fn()
            once = sample(fn, 3)
            reps[label] = max(1, int(SAMPLE_TIME / max(once, 1e-7)))
            time.sleep(PAUSE)
        times = {"fm": [], "np": []}
        for _ in range(rounds):
            for label, fn in (("fm", run_fm), ("np", run_np)):
                times[label].append(sample(fn, reps[label]))
                time.sleep(PAUSE)
        flops = 2.0 * m * n * k
        t_fm, t_np = float(np.median(times["fm"])), float(np.median(times["np"]))
        rows.append((name, op, m, n, k, flops / t_fm * 1e-9, flops / t_np * 1e-9, t_np / t_fm))
        samples[f"{name} fastmlp"], samples[f"{name} numpy"] = times["fm"], times["np"]
        say(f"{threads} thread(s): {name} {m}×{n}×{k}: fastmlp {rows[-1][5]:.1f} GFLOPS, "
            f"numpy {rows[-1][6]:.1f} GFLOPS")
        np.testing.assert_allclose(out_fm, out_np, rtol=1e-3, atol=1e-3 * np.sqrt(k))

    peak.probe_again()
    geo = float(np.exp(np.mean(np.log([r[-1] for r in rows]))))
    geo_seed = float(np.exp(np.mean(np.log([r[-1] for r in rows[:9]]))))
    info = fm._config.config()
    print(f"\n## {threads} thread{'s' if threads > 1 else ''}: fastmlp {info['fastmlp']} "
          f"({info['simd']}) vs numpy {np.__version__} (OpenBLAS); float32 FMA peak measured now: "
          f"{peak.gflops:.0f} GFLOPS\n")
    if markdown:
        print("| shape | op | M×N×K | fastmlp GFLOPS | % peak | numpy GFLOPS | % peak | ratio |")
        print("| --- | --- | --- | ---: | ---: | ---: | ---: | ---: |")
        for name, op, m, n, k, g_fm, g_np, ratio in rows:
            print(f"| {name} | {op} | {m}×{n}×{k} | {g_fm:.1f} | {peak.percent(g_fm, name + ' fastmlp')} | "
                  f"{g_np:.1f} | {peak.percent(g_np, name + ' numpy')} | {ratio:.2f} |")
        print(f"| geometric mean, all 10 | | | | | | | **{geo:.2f}** |")
        print(f"| geometric mean, 9 seed shapes | | | | | | | **{geo_seed:.2f}** |")
    else:
        print(f"{'shape':18} {'op':3} {'M×N×K':>15} {'fastmlp':>9} {'%peak':>6} {'numpy':>9} "
              f"{'%peak':>6} {'ratio':>6}")
        for name, op, m, n, k, g_fm, g_np, ratio in rows:
            print(f"{name:18} {op:3} {f'{m}×{n}×{k}':>15} {g_fm:9.1f} {peak.percent(g_fm, name + ' fastmlp'):>6} "
                  f"{g_np:9.1f} {peak.percent(g_np, name + ' numpy'):>6} {ratio:6.2f}")
        print(f"geometric-mean ratio (fastmlp / numpy): {geo:.2f} over all 10 shapes, "
              f"{geo_seed:.2f} over the 9 seed shapes")
    peak.note()
    warn_if_spread(samples)
    reduced_precision(threads, rounds, markdown, sample, peak)


def main():
    benchmark_main(__file__, __doc__, child, [("--rounds", 7, "timing samples per library")])


if __name__ == "__main__":
    main()
