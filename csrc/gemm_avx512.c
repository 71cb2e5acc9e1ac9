/* AVX-512 micro-kernels: 8×48 for float32 (24 zmm accumulators), 8×24 for
 * float64. Compiled for AVX-512 whatever the build's baseline; cpu.c calls
 * them only on CPUs (and OSes) that support it. Edges use k-masks, which cost
 * the same as plain loads and stores on Zen 4. */
#if defined(__x86_64__) || defined(_M_X64)
#pragma GCC target("avx512f,avx512bw,avx512dq,avx512vl,fma")
#include <immintrin.h>

#include "kernels.h"

#define FM_ACT_ROWS(act, r, n, c, ldc) fm_act_rows_scalar_f32(act, r, n, c, ldc)
#define REAL float
#define VEC __m512
#define VL 16
#define MR 8
#define NVMAX 3
#define UKR ukr_avx512_f32
#define UKR_T ukr_avx512_f32_t
#define V_ZERO() _mm512_setzero_ps()
#define V_SET1(x) _mm512_set1_ps(x)
#define V_LOAD(p) _mm512_loadu_ps(p)
#define V_STORE(p, v) _mm512_storeu_ps(p, v)
#define V_FMA(a, b, c) _mm512_fmadd_ps(a, b, c)
#define V_ADD(a, b) _mm512_add_ps(a, b)
#define V_MUL(a, b) _mm512_mul_ps(a, b)
#define V_MAX(a, b) _mm512_max_ps(a, b)
#define V_LOAD_PART(p, n) _mm512_maskz_loadu_ps((__mmask16)((1u << (n)) - 1), p)
#define V_STORE_PART(p, v, n) _mm512_mask_storeu_ps(p, (__mmask16)((1u << (n)) - 1), v)
#include "gemm_ukernel.inc"
#undef FM_ACT_ROWS
#undef REAL
#undef VEC
#undef VL
#undef NVMAX
#undef UKR
#undef UKR_T
#undef V_ZERO
#undef V_SET1
#undef V_LOAD
#undef V_STORE
#undef V_FMA
#undef V_ADD
#undef V_MUL
#undef V_MAX
#undef V_LOAD_PART
#undef V_STORE_PART

#define FM_ACT_ROWS(act, r, n, c, ldc) fm_act_rows_scalar_f64(act, r, n, c, ldc)
#define REAL double
#define VEC __m512d
#define VL 8
#define NVMAX 3
#define UKR ukr_avx512_f64
#define UKR_T ukr_avx512_f64_t
#define V_ZERO() _mm512_setzero_pd()
#define V_SET1(x) _mm512_set1_pd(x)
#define V_LOAD(p) _mm512_loadu_pd(p)
#define V_STORE(p, v) _mm512_storeu_pd(p, v)
#define V_FMA(a, b, c) _mm512_fmadd_pd(a, b, c)
#define V_ADD(a, b) _mm512_add_pd(a, b)
#define V_MUL(a, b) _mm512_mul_pd(a, b)
#define V_MAX(a, b) _mm512_max_pd(a, b)
#define V_LOAD_PART(p, n) _mm512_maskz_loadu_pd((__mmask8)((1u << (n)) - 1), p)
#define V_STORE_PART(p, v, n) _mm512_mask_storeu_pd(p, (__mmask8)((1u << (n)) - 1), v)
#include "gemm_ukernel.inc"

const fm_isa_table fm_isa_avx512 = {
    "avx512",
    /* mr, nr, vl, kc, nc */
    {8, 48, 16, 384, 480},
    {8, 24, 8, 256, 240},
    ukr_avx512_f32,
    ukr_avx512_f64,
    &fm_skinny_avx512,
    fm_transpose_avx512_f32,
    fm_transpose_scalar_f64,
    fm_update_range_avx512_f32,
    fm_update_range_avx512_f64,
    fm_dropout_rows_avx512_f32,
    fm_dropout_rows_avx512_f64,
};
#endif
