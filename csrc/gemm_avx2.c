/* AVX2+FMA micro-kernels: fm_ukr_avx2_f32 6×16 (12 ymm accumulators),
 * fm_ukr_avx2_f64 6×8; their table is in isa_tables.c. Compiled for AVX2
 * whatever the build's baseline; cpu.c chooses them only on CPUs that support
 * AVX2 and FMA. Partial vectors at the edges go through a small stack buffer:
 * masked AVX stores are slow. */
#if defined(__x86_64__) || defined(_M_X64)
#pragma GCC target("avx2,fma")
#include <immintrin.h>
#include <string.h>

#include "kernels.h"

static inline __m256 load_part_f32(const float *p, int n)
{
    float t[8] FM_ALIGNED(32) = {0};
    memcpy(t, p, (size_t)n * sizeof(float));
    return _mm256_load_ps(t);
}
static inline void store_part_f32(float *p, __m256 v, int n)
{
    float t[8] FM_ALIGNED(32);
    _mm256_store_ps(t, v);
    memcpy(p, t, (size_t)n * sizeof(float));
}
static inline __m256d load_part_f64(const double *p, int n)
{
    double t[4] FM_ALIGNED(32) = {0};
    memcpy(t, p, (size_t)n * sizeof(double));
    return _mm256_load_pd(t);
}
static inline void store_part_f64(double *p, __m256d v, int n)
{
    double t[4] FM_ALIGNED(32);
    _mm256_store_pd(t, v);
    memcpy(p, t, (size_t)n * sizeof(double));
}

#define FM_ACT_ROWS(act, r, n, c, ldc) fm_act_rows_avx2_f32(act, r, n, c, ldc)
#define REAL float
#define VEC __m256
#define VL 8
#define MR 6
#define NVMAX 2
#define UKR fm_ukr_avx2_f32
#define UKR_T ukr_avx2_f32_t
#define V_ZERO() _mm256_setzero_ps()
#define V_SET1(x) _mm256_set1_ps(x)
#define V_LOAD(p) _mm256_loadu_ps(p)
#define V_STORE(p, v) _mm256_storeu_ps(p, v)
#define V_FMA(a, b, c) _mm256_fmadd_ps(a, b, c)
#define V_ADD(a, b) _mm256_add_ps(a, b)
#define V_MUL(a, b) _mm256_mul_ps(a, b)
#define V_MAX(a, b) _mm256_max_ps(a, b)
#define V_LOAD_PART(p, n) load_part_f32(p, n)
#define V_STORE_PART(p, v, n) store_part_f32(p, v, n)
#include "gemm_ukernel.inc"

#define FM_ACT_ROWS(act, r, n, c, ldc) fm_act_rows_scalar_f64(act, r, n, c, ldc)
#define REAL double
#define VEC __m256d
#define VL 4
#define MR 6
#define NVMAX 2
#define UKR fm_ukr_avx2_f64
#define UKR_T ukr_avx2_f64_t
#define V_ZERO() _mm256_setzero_pd()
#define V_SET1(x) _mm256_set1_pd(x)
#define V_LOAD(p) _mm256_loadu_pd(p)
#define V_STORE(p, v) _mm256_storeu_pd(p, v)
#define V_FMA(a, b, c) _mm256_fmadd_pd(a, b, c)
#define V_ADD(a, b) _mm256_add_pd(a, b)
#define V_MUL(a, b) _mm256_mul_pd(a, b)
#define V_MAX(a, b) _mm256_max_pd(a, b)
#define V_LOAD_PART(p, n) load_part_f64(p, n)
#define V_STORE_PART(p, v, n) store_part_f64(p, v, n)
#include "gemm_ukernel.inc"
#endif
