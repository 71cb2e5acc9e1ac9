/* AVX-512 VNNI int8 kernels: fm_ukr_s8_avx512_vnni, a 6×64 tile (24 zmm
 * accumulators; vpdpbusd adds four u8×s8 products into each int32 lane,
 * exactly), and fm_quantize_rows_avx512_vnni. Contracts in kernels.h;
 * compiled for AVX-512 VNNI whatever the build's baseline, chosen by cpu.c
 * only on CPUs that have it. */
#if defined(__x86_64__) || defined(_M_X64)
#pragma GCC target("avx512f,avx512bw,avx512dq,avx512vl,avx512vnni,fma")
#include <immintrin.h>
#include <string.h>

#include "kernels.h"
#include "quantize.h"

#define S8_MR 6
#define S8_NV 4

void fm_quantize_rows_avx512_vnni(const float *x, int64_t ldx, int64_t rows, int64_t k,
                                  uint8_t *q, int64_t ldq, float *step, int32_t *zero)
{
    const int64_t padded = (k + 3) & ~(int64_t)3;
    for (int64_t i = 0; i < rows; i++) {
        const float *xi = x + i * ldx;
        uint8_t *qi = q + i * ldq;
        __m512 vlo = _mm512_setzero_ps(), vhi = _mm512_setzero_ps();
        for (int64_t p = 0; p < k; p += 16) { /* masked lanes read as 0, which the range holds */
            const __m512 v = _mm512_maskz_loadu_ps(fm_first_lanes(k - p), xi + p);
            vlo = _mm512_min_ps(vlo, v);
            vhi = _mm512_max_ps(vhi, v);
        }
        float inv;
        fm_s8_row_params(_mm512_reduce_min_ps(vlo), _mm512_reduce_max_ps(vhi), &step[i], &inv,
                         &zero[i]);
        const __m512 vinv = _mm512_set1_ps(inv);
        const __m512i vzero = _mm512_set1_epi32(zero[i]);
        for (int64_t p = 0; p < padded; p += 16) {
            const __mmask16 m = fm_first_lanes(k - p);
            __m512 y = _mm512_mul_ps(_mm512_maskz_loadu_ps(m, xi + p), vinv);
            y = _mm512_min_ps(_mm512_max_ps(y, _mm512_set1_ps(-1000.0f)), _mm512_set1_ps(1000.0f));
            __m512i c = _mm512_add_epi32(_mm512_cvtps_epi32(y), vzero);
            c = _mm512_min_epi32(_mm512_max_epi32(c, _mm512_setzero_si512()), _mm512_set1_epi32(255));
            c = _mm512_maskz_mov_epi32(m, c); /* the padding past k is 0 */
            _mm_mask_storeu_epi8(qi + p, fm_first_lanes(padded - p), _mm512_cvtepi32_epi8(c));
        }
    }
}

/* acc + the four u8×s8 products of each lane. In assembly: gcc 12 compiles
 * _mm512_dpbusd_epi32 with a copy of the accumulator around each instruction
 * and spills the tile to the stack (a third of the speed). */
static inline __m512i dpbusd(__m512i acc, __m512i u8, __m512i s8)
{
    __asm__("vpdpbusd %2, %1, %0" : "+v"(acc) : "v"(u8), "v"(s8));
    return acc;
}

/* rows × nv vectors of 16 columns, the whole depth, then the epilogue
 * (kernels.h, fm_s8_epilogue). */
static inline __attribute__((always_inline)) void
tile(const int rows, const int nv, int64_t kq, const uint8_t *a, int64_t lda, const int8_t *b,
     int64_t vsb, float *c, int64_t ldc, int nr, const fm_s8_epilogue *e)
{
    __m512i acc[S8_MR][S8_NV];
#pragma GCC unroll 6
    for (int i = 0; i < rows; i++)
#pragma GCC unroll 4
        for (int v = 0; v < nv; v++) acc[i][v] = _mm512_setzero_si512();
    for (int64_t p = 0; p < kq; p++) {
        __m512i bv[S8_NV];
#pragma GCC unroll 4
        for (int v = 0; v < nv; v++) bv[v] = _mm512_loadu_si512(b + v * vsb + 64 * p);
#pragma GCC unroll 6
        for (int i = 0; i < rows; i++) {
            int32_t quad;
            memcpy(&quad, a + i * lda + 4 * p, 4);
            const __m512i av = _mm512_set1_epi32(quad);
#pragma GCC unroll 4
            for (int v = 0; v < nv; v++) acc[i][v] = dpbusd(acc[i][v], av, bv[v]);
        }
    }
    const __m512 zero = _mm512_setzero_ps();
#pragma GCC unroll 6
    for (int i = 0; i < rows; i++) {
        const __m512i row_zero = _mm512_set1_epi32(e->row_zero[i]);
        const __m512 row_step = _mm512_set1_ps(e->row_step[i]);
        float *ci = c + i * ldc;
#pragma GCC unroll 4
        for (int v = 0; v < nv; v++) {
            const __mmask16 m = fm_first_lanes(nr - 16 * v);
            const __m512i sum = _mm512_maskz_loadu_epi32(m, e->col_sum + 16 * v);
            const __m512 cs = _mm512_maskz_loadu_ps(m, e->col_step + 16 * v);
            const __m512 bias = e->bias ? _mm512_maskz_loadu_ps(m, e->bias + 16 * v) : zero;
            const __m512i s = _mm512_sub_epi32(acc[i][v], _mm512_mullo_epi32(row_zero, sum));
            __m512 y = _mm512_fmadd_ps(_mm512_cvtepi32_ps(s), _mm512_mul_ps(row_step, cs), bias);
            if (e->act == FM_ACT_RELU)
                y = _mm512_max_ps(zero, y);
            else if (e->act == FM_ACT_LEAKY_RELU)
                y = _mm512_max_ps(_mm512_mul_ps(_mm512_set1_ps(0.2f), y), y);
            _mm512_mask_storeu_ps(ci + 16 * v, m, y);
        }
    }
}

#define S8_CASE(R_, V_)                                                                    \
    case (R_) * 8 + (V_):                                                                  \
        tile(R_, V_, kq, a, lda, b, vsb, c, ldc, nr, e);                                   \
        return;
#define S8_ROW(R_) S8_CASE(R_, 1) S8_CASE(R_, 2) S8_CASE(R_, 3) S8_CASE(R_, 4)

void fm_ukr_s8_avx512_vnni(int64_t kq, const uint8_t *a, int64_t lda, const int8_t *b,
                           int64_t vsb, float *c, int64_t ldc, int mr, int nr,
                           const fm_s8_epilogue *e)
{
    switch (mr * 8 + (nr + 15) / 16) {
        S8_ROW(1) S8_ROW(2) S8_ROW(3) S8_ROW(4) S8_ROW(5) S8_ROW(6)
    default:
        break;
    }
}
#endif
