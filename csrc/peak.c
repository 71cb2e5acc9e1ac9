/* A floating-point peak probe for the benchmarks: independent float32 FMA
 * chains, enough of them to cover the FMA latency, on the widest vectors the
 * CPU supports. The machine's clock drifts, so bench/ measures this on the
 * spot and reports GEMM speeds as a share of it. */
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

#define CHAINS 12

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

/* Flops per iteration and the loop for the best path this CPU supports. */
static double run_chains(int64_t iters)
{
    const char *best = fm_isa_detected();
#if defined(__x86_64__) || defined(_M_X64)
    if (strcmp(best, "avx512") == 0) {
        sink = chains_avx512(iters);
        return (double)iters * CHAINS * 32;
    }
    if (strcmp(best, "avx2") == 0) {
        sink = chains_avx2(iters);
        return (double)iters * CHAINS * 16;
    }
#endif
    (void)best;
    sink = chains_scalar(iters);
    return (double)iters * CHAINS * 2;
}

double fm_peak_gflops(int threads, double seconds)
{
    threads = fm_threads_exactly(threads);
    int64_t iters = 1 << 16;
    double flops = 0, elapsed = 0;
    while (elapsed < seconds) { /* grow the loop until it runs long enough */
        iters *= 2;
        const double start = now();
        flops = 0;
#ifdef _OPENMP
#pragma omp parallel num_threads(threads) reduction(+ : flops)
#endif
        flops += run_chains(iters);
        elapsed = now() - start;
    }
    (void)threads;
    return flops / elapsed * 1e-9;
}
