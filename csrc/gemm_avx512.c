/* AVX-512 micro-kernels: fm_ukr_avx512_f32 6×64 (24 zmm accumulators; measured
 * 1-6 % faster than 8×48 on the seed network's shapes), fm_ukr_avx512_f64 8×24,
 * and fm_ukr_wide_avx512_f32 for one or two rows; their table is in
 * isa_tables.c. Compiled for AVX-512 whatever the build's baseline; cpu.c
 * chooses them only on CPUs (and OSes) that support it. Edges use k-masks,
 * which cost the same as plain loads and stores on Zen 4. */
#if defined(__x86_64__) || defined(_M_X64)
#pragma GCC target("avx512f,avx512bw,avx512dq,avx512vl,fma")
#include <immintrin.h>

#include "kernels.h"

#define FM_ACT_ROWS(act, r, n, c, ldc) fm_act_rows_avx512_f32(act, r, n, c, ldc)
#define REAL float
#define VEC __m512
#define VL 16
#define MR 6
#define NVMAX 4
#define UKR fm_ukr_avx512_f32
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

#define FM_ACT_ROWS(act, r, n, c, ldc) fm_act_rows_scalar_f64(act, r, n, c, ldc)
#define REAL double
#define VEC __m512d
#define VL 8
#define MR 8
#define NVMAX 3
#define UKR fm_ukr_avx512_f64
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

/* One or two rows of C, up to 128 columns: a one-row predict streams B once
 * in long contiguous runs (B read in place, partial vectors masked), with 8
 * independent accumulators per row. Each element is summed in k order from
 * zero as in the tile kernel, so both give the same bits. */
static inline __attribute__((always_inline)) void
wide_t(const int rows, const int nv, int64_t kc, const float *FM_RESTRICT a, int64_t rs_a,
       int64_t cs_a, const float *FM_RESTRICT b, int64_t ldb, float *FM_RESTRICT c, int64_t ldc,
       int nr, int flags, const float *bias, int act)
{
    const int last = nr - (nv - 1) * 16;
    const __mmask16 tail = fm_first_lanes(last);
    __m512 acc[2][8];
#pragma GCC unroll 2
    for (int i = 0; i < rows; i++)
#pragma GCC unroll 8
        for (int v = 0; v < nv; v++) acc[i][v] = _mm512_setzero_ps();
    for (int64_t p = 0; p < kc; p++) {
        __m512 bv[8];
#pragma GCC unroll 8
        for (int v = 0; v < nv; v++)
            bv[v] = v == nv - 1 ? _mm512_maskz_loadu_ps(tail, b + v * 16) : _mm512_loadu_ps(b + v * 16);
#pragma GCC unroll 2
        for (int i = 0; i < rows; i++) {
            const __m512 av = _mm512_set1_ps(a[i * rs_a]);
#pragma GCC unroll 8
            for (int v = 0; v < nv; v++) acc[i][v] = _mm512_fmadd_ps(av, bv[v], acc[i][v]);
        }
        a += cs_a;
        b += ldb;
    }
#pragma GCC unroll 2
    for (int i = 0; i < rows; i++) {
        float *ci = c + i * ldc;
#pragma GCC unroll 8
        for (int v = 0; v < nv; v++) {
            const __mmask16 m = v == nv - 1 ? tail : (__mmask16)0xFFFF;
            __m512 x = acc[i][v];
            if (flags & FM_UKR_ACCUMULATE) x = _mm512_add_ps(_mm512_maskz_loadu_ps(m, ci + v * 16), x);
            if (flags & FM_UKR_EPILOGUE) {
                if (bias) x = _mm512_add_ps(x, _mm512_maskz_loadu_ps(m, bias + v * 16));
                if (act == FM_ACT_RELU)
                    x = _mm512_max_ps(_mm512_setzero_ps(), x);
                else if (act == FM_ACT_LEAKY_RELU)
                    x = _mm512_max_ps(_mm512_mul_ps(_mm512_set1_ps(0.2f), x), x);
            }
            _mm512_mask_storeu_ps(ci + v * 16, m, x);
        }
    }
    if ((flags & FM_UKR_EPILOGUE) && (act == FM_ACT_SIGMOID || act == FM_ACT_TANH))
        fm_act_rows_avx512_f32(act, rows, nr, c, ldc);
}

#define WIDE_CASE(R_, V_)                                                                      \
    case (R_) * 16 + (V_):                                                                     \
        wide_t(R_, V_, kc, a, rs_a, cs_a, b, ldb, c, ldc, nr, flags, bias, act);               \
        return;
#define WIDE_ROW(R_)                                                                           \
    WIDE_CASE(R_, 1) WIDE_CASE(R_, 2) WIDE_CASE(R_, 3) WIDE_CASE(R_, 4) WIDE_CASE(R_, 5)       \
    WIDE_CASE(R_, 6) WIDE_CASE(R_, 7) WIDE_CASE(R_, 8)

void fm_ukr_wide_avx512_f32(int64_t kc, const float *a, int64_t rs_a, int64_t cs_a,
                            const float *b, int64_t ldb, float *c, int64_t ldc, int mr, int nr,
                            int flags, const float *bias, int act)
{
    switch (mr * 16 + (nr + 15) / 16) {
        WIDE_ROW(1) WIDE_ROW(2)
    default:
        break;
    }
}
#endif
