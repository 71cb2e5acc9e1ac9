/* Peak probes for the benchmarks: independent chains, enough of them to cover
 * the instruction's latency, of float32 FMAs on the widest vectors the CPU
 * supports, of vdpbf16ps (bfloat16 pairs) or of vpdpbusd (int8 quads). The
 * machine's clock drifts, so bench/ measures these on the spot and reports
 * GEMM speeds as a share of them. */
#include <string.h>
#include <time.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "kernels.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* vdpbf16ps needs 16: with 12, Zen 5 reached 1.82x the FMA rate, with 16-28
 * 2.00x (latency about 6.5 cycles at two per cycle). vpdpbusd and the FMA
 * peak at 12. */
#define CHAINS 12
#define CHAINS_BF16 16

#if defined(__x86_64__) || defined(_M_X64)
#include <immintrin.h>

__attribute__((target("avx512f,fma"))) static float chains_avx512(int64_t iters)
{
    __m512 acc[CHAINS];
    const __m512 mul = _mm512_set1_ps(0.999999f), add = _mm512_set1_ps(1e-6f);
    for (int j = 0; j < CHAINS; j++) acc[j] = _mm512_set1_ps((float)j);
    for (int64_t i = 0; i < iters; i++)
#pragma GCC unroll 12
        for (int j = 0; j < CHAINS; j++) acc[j] = _mm512_fmadd_ps(acc[j], mul, add);
    float sum = 0;
    for (int j = 0; j < CHAINS; j++) sum += _mm512_reduce_add_ps(acc[j]);
    return sum;
}

/* 16 lanes × 2 products × 2 operations per instruction */
__attribute__((target("avx512f,avx512bf16"))) static float chains_bf16(int64_t iters)
{
    __m512 acc[CHAINS_BF16];
    const __m512bh a = (__m512bh)_mm512_set1_epi32(0x3F803F80); /* (1, 1) */
    const __m512bh b = (__m512bh)_mm512_set1_epi32(0x33D633D6); /* (1e-7, 1e-7) */
    for (int j = 0; j < CHAINS_BF16; j++) acc[j] = _mm512_set1_ps((float)j);
    for (int64_t i = 0; i < iters; i++)
#pragma GCC unroll 16
        for (int j = 0; j < CHAINS_BF16; j++) acc[j] = _mm512_dpbf16_ps(acc[j], a, b);
    float sum = 0;
    for (int j = 0; j < CHAINS_BF16; j++) sum += _mm512_reduce_add_ps(acc[j]);
    return sum;
}

/* 16 lanes × 4 products × 2 operations per instruction */
__attribute__((target("avx512f,avx512vnni"))) static float chains_vnni(int64_t iters)
{
    __m512i acc[CHAINS];
    const __m512i a = _mm512_set1_epi32(0x01010101), b = _mm512_set1_epi32(0x01FF01FF);
    for (int j = 0; j < CHAINS; j++) acc[j] = _mm512_set1_epi32(j);
    for (int64_t i = 0; i < iters; i++)
#pragma GCC unroll 12
        for (int j = 0; j < CHAINS; j++) acc[j] = _mm512_dpbusd_epi32(acc[j], a, b);
    int64_t sum = 0;
    for (int j = 0; j < CHAINS; j++) sum += _mm512_reduce_add_epi32(acc[j]);
    return (float)sum;
}

__attribute__((target("avx2,fma"))) static float chains_avx2(int64_t iters)
{
    __m256 acc[CHAINS];
    const __m256 mul = _mm256_set1_ps(0.999999f), add = _mm256_set1_ps(1e-6f);
    for (int j = 0; j < CHAINS; j++) acc[j] = _mm256_set1_ps((float)j);
    for (int64_t i = 0; i < iters; i++)
#pragma GCC unroll 12
        for (int j = 0; j < CHAINS; j++) acc[j] = _mm256_fmadd_ps(acc[j], mul, add);
    float lanes[8], sum = 0;
    for (int j = 0; j < CHAINS; j++) {
        _mm256_storeu_ps(lanes, acc[j]);
        for (int l = 0; l < 8; l++) sum += lanes[l];
    }
    return sum;
}
#endif

static float chains_scalar(int64_t iters)
{
    float acc[CHAINS];
    for (int j = 0; j < CHAINS; j++) acc[j] = (float)j;
    for (int64_t i = 0; i < iters; i++)
        for (int j = 0; j < CHAINS; j++) acc[j] = acc[j] * 0.999999f + 1e-6f;
    float sum = 0;
    for (int j = 0; j < CHAINS; j++) sum += acc[j];
    return sum;
}

static volatile float sink;

/* Operations per iteration and the loop: for FM_PEAK_FMA the best path this
 * CPU supports; 0 when it lacks the instruction asked for. */
static double run_chains(int kind, int64_t iters)
{
    const char *best = fm_isa_detected();
#if defined(__x86_64__) || defined(_M_X64)
    const int bf16 = strcmp(best, "avx512_bf16") == 0;
    const int vnni = bf16 || strcmp(best, "avx512_vnni") == 0;
    if (kind == FM_PEAK_BF16) {
        if (!bf16) return 0;
        sink = chains_bf16(iters);
        return (double)iters * CHAINS_BF16 * 64;
    }
    if (kind == FM_PEAK_VNNI) {
        if (!vnni) return 0;
        sink = chains_vnni(iters);
        return (double)iters * CHAINS * 128;
    }
    if (vnni || strcmp(best, "avx512") == 0) {
        sink = chains_avx512(iters);
        return (double)iters * CHAINS * 32;
    }
    if (strcmp(best, "avx2") == 0) {
        sink = chains_avx2(iters);
        return (double)iters * CHAINS * 16;
    }
#endif
    if (kind != FM_PEAK_FMA) return 0;
    (void)best;
    sink = chains_scalar(iters);
    return (double)iters * CHAINS * 2;
}

double fm_peak(int kind, int threads, double seconds)
{
    threads = fm_threads_exactly(threads);
    if (run_chains(kind, 1) == 0) return 0;
    int64_t iters = 1 << 16;
    double ops = 0, elapsed = 0;
    while (elapsed < seconds) { /* grow the loop until it runs long enough */
        iters *= 2;
        const double start = now();
        ops = 0;
#ifdef _OPENMP
#pragma omp parallel num_threads(threads) reduction(+ : ops)
#endif
        ops += run_chains(kind, iters);
        elapsed = now() - start;
    }
    (void)threads;
    return ops / elapsed * 1e-9;
}

double fm_peak_gflops(int threads, double seconds) { return fm_peak(FM_PEAK_FMA, threads, seconds); }
