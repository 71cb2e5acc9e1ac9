/* AVX-512 BF16 kernels: fm_ukr_bf16_avx512_bf16, a 6×64 tile (24 zmm float32
 * accumulators, vdpbf16ps adding two bfloat16 products into each lane), and
 * the packing routines that round float32 to bfloat16 on the way
 * (vcvtne2ps2bf16: to nearest, ties to even). Contracts in kernels.h; their
 * table is in isa_tables.c. Compiled for AVX-512 BF16 whatever the build's
 * baseline; cpu.c chooses them only on CPUs that have it. */
#if defined(__x86_64__) || defined(_M_X64)
#pragma GCC target("avx512f,avx512bw,avx512dq,avx512vl,avx512bf16,fma")
#include <immintrin.h>

#include "kernels.h"
#include "avx512_transpose.h"

#define BF_MR 6
#define BF_NV 4

/* 32 floats (two vectors, masked to n values) as 16 pairs, in order. */
static inline __m512i pairs_of(const float *p, int64_t n)
{
    const __m512 lo = _mm512_maskz_loadu_ps(fm_first_lanes(n), p);
    const __m512 hi = _mm512_maskz_loadu_ps(fm_first_lanes(n - 16), p + 16);
    return (__m512i)_mm512_cvtne2ps_pbh(hi, lo);
}

void fm_pack_bf16_rows_avx512_bf16(const float *src, int64_t lds, int64_t rows, int64_t cols,
                                   uint32_t *dst, int64_t ldd)
{
    const int64_t pairs = (cols + 1) / 2;
    for (int64_t i = 0; i < rows; i++)
        for (int64_t p = 0; p < pairs; p += 16)
            _mm512_mask_storeu_epi32(dst + i * ldd + p, fm_first_lanes(pairs - p),
                                     pairs_of(src + i * lds + 2 * p, cols - 2 * p));
}

void fm_pack_bf16_interleave_avx512_bf16(const float *src, int64_t lds, int64_t rows,
                                         int64_t cols, uint32_t *dst, int64_t ldd)
{
    /* words 0..15 hold row 2p, 16..31 row 2p+1: interleave them */
    const __m512i order = _mm512_set_epi16(31, 15, 30, 14, 29, 13, 28, 12, 27, 11, 26, 10, 25, 9,
                                           24, 8, 23, 7, 22, 6, 21, 5, 20, 4, 19, 3, 18, 2, 17, 1,
                                           16, 0);
    const int64_t pairs = (rows + 1) / 2, width = (cols + 15) & ~(int64_t)15;
    for (int64_t p = 0; p < pairs; p++) {
        const float *r0 = src + 2 * p * lds, *r1 = r0 + lds;
        const int second = 2 * p + 1 < rows;
        for (int64_t j = 0; j < width; j += 16) {
            const __mmask16 m = fm_first_lanes(cols - j);
            const __m512 lo = _mm512_maskz_loadu_ps(m, r0 + j);
            const __m512 hi = second ? _mm512_maskz_loadu_ps(m, r1 + j) : _mm512_setzero_ps();
            const __m512i both = (__m512i)_mm512_cvtne2ps_pbh(hi, lo);
            _mm512_storeu_si512(dst + p * ldd + j, _mm512_permutexvar_epi16(order, both));
        }
    }
}

void fm_pack_bf16_transposed_avx512_bf16(const float *src, int64_t lds, int64_t rows,
                                         int64_t cols, uint32_t *dst, int64_t ldd)
{
    const int64_t pairs = (cols + 1) / 2, width = (rows + 15) & ~(int64_t)15;
    for (int64_t j0 = 0; j0 < width; j0 += 16)
        for (int64_t p0 = 0; p0 < pairs; p0 += 16) {
            __m512 block[16]; /* row t: pairs p0.. of column j0 + t; transposed: row q = pair p0 + q */
            for (int t = 0; t < 16; t++)
                block[t] = j0 + t < rows
                               ? (__m512)pairs_of(src + (j0 + t) * lds + 2 * p0, cols - 2 * p0)
                               : _mm512_setzero_ps();
            transpose16(block);
            const int64_t count = pairs - p0 < 16 ? pairs - p0 : 16;
            for (int64_t q = 0; q < count; q++) _mm512_storeu_ps((float *)(dst + (p0 + q) * ldd + j0), block[q]);
        }
}

/* rows × nv vectors of 16 columns over kp pairs, then the float32 epilogue
 * (kernels.h; the same as the float32 micro-kernel's). */
static inline __attribute__((always_inline)) void
tile(const int rows, const int nv, int64_t kp, const uint32_t *FM_RESTRICT a, int64_t rs_a,
     int64_t cs_a, const uint32_t *FM_RESTRICT b, int64_t ldb, int64_t vsb, float *FM_RESTRICT c,
     int64_t ldc, int nr, int flags, const float *bias, int act)
{
    __m512 acc[BF_MR][BF_NV];
#pragma GCC unroll 6
    for (int i = 0; i < rows; i++)
#pragma GCC unroll 4
        for (int v = 0; v < nv; v++) acc[i][v] = _mm512_setzero_ps();
#pragma GCC unroll 2
    for (int64_t p = 0; p < kp; p++) {
        __m512bh bv[BF_NV];
#pragma GCC unroll 4
        for (int v = 0; v < nv; v++) bv[v] = (__m512bh)_mm512_loadu_si512(b + v * vsb);
#pragma GCC unroll 6
        for (int i = 0; i < rows; i++) {
            const __m512bh av = (__m512bh)_mm512_set1_epi32((int)a[i * rs_a]);
#pragma GCC unroll 4
            for (int v = 0; v < nv; v++) acc[i][v] = _mm512_dpbf16_ps(acc[i][v], bv[v], av);
        }
        a += cs_a;
        b += ldb;
    }
    const int epilogue = flags & FM_UKR_EPILOGUE;
#pragma GCC unroll 6
    for (int i = 0; i < rows; i++) {
        float *ci = c + i * ldc;
#pragma GCC unroll 4
        for (int v = 0; v < nv; v++) {
            const __mmask16 m = fm_first_lanes(nr - 16 * v);
            __m512 x = acc[i][v];
            if (flags & FM_UKR_ACCUMULATE) x = _mm512_add_ps(_mm512_maskz_loadu_ps(m, ci + 16 * v), x);
            if (epilogue) {
                if (bias) x = _mm512_add_ps(x, _mm512_maskz_loadu_ps(m, bias + 16 * v));
                if (act == FM_ACT_RELU)
                    x = _mm512_max_ps(_mm512_setzero_ps(), x);
                else if (act == FM_ACT_LEAKY_RELU)
                    x = _mm512_max_ps(_mm512_mul_ps(_mm512_set1_ps(0.2f), x), x);
            }
            _mm512_mask_storeu_ps(ci + 16 * v, m, x);
        }
    }
    if (epilogue && (act == FM_ACT_SIGMOID || act == FM_ACT_TANH))
        fm_act_rows_avx512_f32(act, rows, nr, c, ldc);
}

#define BF_CASE(R_, V_)                                                                    \
    case (R_) * 8 + (V_):                                                                  \
        tile(R_, V_, kp, a, rs_a, cs_a, b, ldb, vsb, c, ldc, nr, flags, bias, act);        \
        return;
#define BF_ROW(R_) BF_CASE(R_, 1) BF_CASE(R_, 2) BF_CASE(R_, 3) BF_CASE(R_, 4)

void fm_ukr_bf16_avx512_bf16(int64_t kp, const uint32_t *a, int64_t rs_a, int64_t cs_a,
                             const uint32_t *b, int64_t ldb, int64_t vsb, float *c, int64_t ldc,
                             int mr, int nr, int flags, const float *bias, int act)
{
    switch (mr * 8 + (nr + 15) / 16) {
        BF_ROW(1) BF_ROW(2) BF_ROW(3) BF_ROW(4) BF_ROW(5) BF_ROW(6)
    default:
        break;
    }
}
#endif
