/* AVX2 int8 kernels: fm_ukr_s8_avx2, a 2×16 tile, and fm_quantize_rows_avx2
 * (also the AVX-512 path's, for CPUs without VNNI). Contracts in kernels.h.
 *
 * AVX2 has no u8×s8 dot product that keeps every bit: vpmaddubsw adds two
 * products into a saturating int16 (255·127·2 does not fit). So both operands
 * are widened to 16 bits and vpmaddwd adds pairs of products into int32,
 * exactly; the two partial sums of each column are added once at the end. */
#if defined(__x86_64__) || defined(_M_X64)
#pragma GCC target("avx2,fma")
#include <immintrin.h>
#include <string.h>

#include "kernels.h"
#include "quantize.h"

void fm_quantize_rows_avx2(const float *x, int64_t ldx, int64_t rows, int64_t k, uint8_t *q,
                           int64_t ldq, float *step, int32_t *zero)
{
    const int64_t padded = (k + 3) & ~(int64_t)3;
    for (int64_t i = 0; i < rows; i++) {
        const float *xi = x + i * ldx;
        uint8_t *qi = q + i * ldq;
        __m256 vlo = _mm256_setzero_ps(), vhi = _mm256_setzero_ps();
        int64_t p = 0;
        for (; p + 8 <= k; p += 8) {
            const __m256 v = _mm256_loadu_ps(xi + p);
            vlo = _mm256_min_ps(vlo, v);
            vhi = _mm256_max_ps(vhi, v);
        }
        float lanes_lo[8], lanes_hi[8], lo = 0.0f, hi = 0.0f, inv;
        _mm256_storeu_ps(lanes_lo, vlo);
        _mm256_storeu_ps(lanes_hi, vhi);
        for (int l = 0; l < 8; l++) {
            lo = lo < lanes_lo[l] ? lo : lanes_lo[l];
            hi = hi > lanes_hi[l] ? hi : lanes_hi[l];
        }
        for (int64_t t = p; t < k; t++) {
            lo = lo < xi[t] ? lo : xi[t];
            hi = hi > xi[t] ? hi : xi[t];
        }
        fm_s8_row_params(lo, hi, &step[i], &inv, &zero[i]);
        const __m256 vinv = _mm256_set1_ps(inv);
        const __m256i vzero = _mm256_set1_epi32(zero[i]);
        p = 0;
        for (; p + 8 <= k; p += 8) {
            __m256 y = _mm256_mul_ps(_mm256_loadu_ps(xi + p), vinv);
            y = _mm256_min_ps(_mm256_max_ps(y, _mm256_set1_ps(-1000.0f)), _mm256_set1_ps(1000.0f));
            __m256i c = _mm256_add_epi32(_mm256_cvtps_epi32(y), vzero);
            c = _mm256_min_epi32(_mm256_max_epi32(c, _mm256_setzero_si256()), _mm256_set1_epi32(255));
            const __m128i w = _mm_packus_epi32(_mm256_castsi256_si128(c), _mm256_extracti128_si256(c, 1));
            const __m128i b = _mm_packus_epi16(w, w);
            _mm_storel_epi64((__m128i *)(qi + p), b);
        }
        for (; p < k; p++) qi[p] = fm_s8_code(xi[p], inv, zero[i]);
        for (; p < padded; p++) qi[p] = 0;
    }
}

/* The first n of 8 floats (n < 8: through a stack buffer, not vmaskmov). */
static inline __m256 load_part(const float *p, int n)
{
    float t[8] FM_ALIGNED(32) = {0};
    memcpy(t, p, (size_t)n * sizeof(float));
    return _mm256_load_ps(t);
}
static inline __m256i load_part_i32(const int32_t *p, int n)
{
    int32_t t[8] FM_ALIGNED(32) = {0};
    memcpy(t, p, (size_t)n * sizeof(int32_t));
    return _mm256_load_si256((const __m256i *)t);
}

/* 8 outputs of one row from their int32 sums (kernels.h, fm_s8_epilogue). */
static inline void store8(float *c, __m256i acc, int n, int i, int j, const fm_s8_epilogue *e)
{
    const __m256i sum = n == 8 ? _mm256_loadu_si256((const __m256i *)(e->col_sum + j))
                               : load_part_i32(e->col_sum + j, n);
    const __m256 cs = n == 8 ? _mm256_loadu_ps(e->col_step + j) : load_part(e->col_step + j, n);
    const __m256 bias = !e->bias ? _mm256_setzero_ps()
                                 : (n == 8 ? _mm256_loadu_ps(e->bias + j) : load_part(e->bias + j, n));
    const __m256i s = _mm256_sub_epi32(acc, _mm256_mullo_epi32(_mm256_set1_epi32(e->row_zero[i]), sum));
    __m256 y = _mm256_fmadd_ps(_mm256_cvtepi32_ps(s), _mm256_mul_ps(_mm256_set1_ps(e->row_step[i]), cs),
                               bias);
    if (e->act == FM_ACT_RELU)
        y = _mm256_max_ps(_mm256_setzero_ps(), y);
    else if (e->act == FM_ACT_LEAKY_RELU)
        y = _mm256_max_ps(_mm256_mul_ps(_mm256_set1_ps(0.2f), y), y);
    if (n == 8) {
        _mm256_storeu_ps(c, y);
    } else {
        float t[8] FM_ALIGNED(32);
        _mm256_store_ps(t, y);
        memcpy(c, t, (size_t)n * sizeof(float));
    }
}

/* rows (1 or 2) × one 16-column panel. Lanes of acc[i][g]: columns 4g..4g+3,
 * two partial sums each. */
static inline __attribute__((always_inline)) void
tile(const int rows, int64_t kq, const uint8_t *a, int64_t lda, const int8_t *b, float *c,
     int64_t ldc, int nr, const fm_s8_epilogue *e)
{
    __m256i acc[2][4];
#pragma GCC unroll 2
    for (int i = 0; i < rows; i++)
#pragma GCC unroll 4
        for (int g = 0; g < 4; g++) acc[i][g] = _mm256_setzero_si256();
    for (int64_t p = 0; p < kq; p++) {
        __m256i bw[4];
#pragma GCC unroll 4
        for (int g = 0; g < 4; g++)
            bw[g] = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(b + 64 * p + 16 * g)));
#pragma GCC unroll 2
        for (int i = 0; i < rows; i++) {
            int32_t quad;
            memcpy(&quad, a + i * lda + 4 * p, 4);
            const __m256i av = _mm256_broadcastq_epi64(_mm_cvtepu8_epi16(_mm_cvtsi32_si128(quad)));
#pragma GCC unroll 4
            for (int g = 0; g < 4; g++) acc[i][g] = _mm256_add_epi32(acc[i][g], _mm256_madd_epi16(av, bw[g]));
        }
    }
#pragma GCC unroll 2
    for (int i = 0; i < rows; i++) {
        /* pairs of partial sums -> columns: hadd gives (0 1 4 5 | 2 3 6 7), vpermq reorders */
        const __m256i lo = _mm256_permute4x64_epi64(_mm256_hadd_epi32(acc[i][0], acc[i][1]), 0xD8);
        const __m256i hi = _mm256_permute4x64_epi64(_mm256_hadd_epi32(acc[i][2], acc[i][3]), 0xD8);
        store8(c + i * ldc, lo, nr < 8 ? nr : 8, i, 0, e);
        if (nr > 8) store8(c + i * ldc + 8, hi, nr - 8, i, 8, e);
    }
}

void fm_ukr_s8_avx2(int64_t kq, const uint8_t *a, int64_t lda, const int8_t *b, int64_t vsb,
                    float *c, int64_t ldc, int mr, int nr, const fm_s8_epilogue *e)
{
    (void)vsb;
    if (mr >= 2)
        tile(2, kq, a, lda, b, c, ldc, nr, e);
    else
        tile(1, kq, a, lda, b, c, ldc, nr, e);
}
#endif
