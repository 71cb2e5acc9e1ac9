/* Dropout with Philox4x32-10 computed for 16 counters at once in AVX-512
 * registers; same layout and results as the portable version in rng.c. */
#if defined(__x86_64__) || defined(_M_X64)
#pragma GCC target("avx512f,avx512bw,avx512dq,avx512vl,fma")
#include <immintrin.h>

#include "kernels.h"
#include "internal.h"

/* (hi, lo) 32-bit halves of the 64-bit products a·m, lane by lane. vpmuludq
 * multiplies even lanes only, so the odd lanes go through a 32-bit shift. */
static inline void mulhilo(__m512i a, __m512i m, __m512i *hi, __m512i *lo)
{
    const __m512i even = _mm512_mul_epu32(a, m);
    const __m512i odd = _mm512_mul_epu32(_mm512_srli_epi64(a, 32), m);
    *hi = _mm512_mask_blend_epi32(0xAAAA, _mm512_srli_epi64(even, 32), odd);
    *lo = _mm512_mask_blend_epi32(0xAAAA, even, _mm512_slli_epi64(odd, 32));
}

/* Philox4x32-10 for counters (c0 + lane, c1, c2, c3), lanes 0..15. */
static inline void philox16(__m512i c0, uint32_t c1s, uint32_t c2s, uint32_t c3s,
                            const uint32_t key[2], __m512i out[4])
{
    const __m512i m0 = _mm512_set1_epi32((int)0xD2511F53u), m1 = _mm512_set1_epi32((int)0xCD9E8D57u);
    __m512i c1 = _mm512_set1_epi32((int)c1s), c2 = _mm512_set1_epi32((int)c2s);
    __m512i c3 = _mm512_set1_epi32((int)c3s);
    uint32_t k0 = key[0], k1 = key[1];
    for (int round = 0; round < 10; round++) {
        __m512i hi0, lo0, hi1, lo1;
        mulhilo(c0, m0, &hi0, &lo0);
        mulhilo(c2, m1, &hi1, &lo1);
        const __m512i n0 = _mm512_xor_si512(_mm512_xor_si512(hi1, c1), _mm512_set1_epi32((int)k0));
        const __m512i n2 = _mm512_xor_si512(_mm512_xor_si512(hi0, c3), _mm512_set1_epi32((int)k1));
        c1 = lo1;
        c3 = lo0;
        c0 = n0;
        c2 = n2;
        k0 += 0x9E3779B9u;
        k1 += 0xBB67AE85u;
    }
    out[0] = c0;
    out[1] = c1;
    out[2] = c2;
    out[3] = c3;
}

/* The keep masks of block `block` of row r (see rng.c): bit l of keep[j] is
 * set when column 128·block + 16·j + l is kept. */
static inline void block_masks(const fm_dropout_key *k, int64_t r, int64_t block,
                               __mmask16 keep[8])
{
    const __m512i lane = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
    const __m512i threshold = _mm512_set1_epi32((int)k->threshold);
    const __m512i low16 = _mm512_set1_epi32(0xFFFF);
    __m512i words[4];
    philox16(_mm512_add_epi32(_mm512_set1_epi32((int)(16 * block)), lane), (uint32_t)(r + k->row0),
             k->layer, k->step, k->key, words);
    for (int j = 0; j < 8; j++) {
        const __m512i draw = (j & 1) ? _mm512_srli_epi32(words[j / 2], 16)
                                     : _mm512_and_si512(words[j / 2], low16);
        keep[j] = _mm512_cmpge_epu32_mask(draw, threshold);
    }
}


/* The bits of the mask a row's block gives columns 128·block + 16·j + l; the
 * lanes beyond cols are cleared, as the portable kernel leaves them. */
static inline void store_bits(const __mmask16 keep[8], int64_t block, int64_t cols, uint16_t *dst)
{
    for (int j = 0; j < 8 && 128 * block + 16 * j < cols; j++)
        dst[8 * block + j] = (uint16_t)(keep[j] & fm_first_lanes(cols - 128 * block - 16 * j));
}

void fm_dropout_rows_avx512_f32(const fm_dropout_key *k, int64_t r0, int64_t r1, int64_t cols,
                                const float *in, int64_t ldi, float *out, int64_t ldo,
                                uint16_t *keep_bits, int64_t ldk)
{
    const __m512 scale = _mm512_set1_ps((float)k->scale);
    for (int64_t r = r0; r < r1; r++)
        for (int64_t block = 0; 128 * block < cols; block++) {
            __mmask16 keep[8];
            block_masks(k, r, block, keep);
            if (keep_bits) store_bits(keep, block, cols, keep_bits + r * ldk);
            for (int j = 0; j < 8 && 128 * block + 16 * j < cols; j++) {
                const int64_t c = 128 * block + 16 * j;
                const __mmask16 valid = fm_first_lanes(cols - c);
                const __m512 x = _mm512_maskz_loadu_ps(valid, in + r * ldi + c);
                _mm512_mask_storeu_ps(out + r * ldo + c, valid, _mm512_maskz_mul_ps(keep[j], x, scale));
            }
        }
}

void fm_dropout_rows_avx512_f64(const fm_dropout_key *k, int64_t r0, int64_t r1, int64_t cols,
                                const double *in, int64_t ldi, double *out, int64_t ldo,
                                uint16_t *keep_bits, int64_t ldk)
{
    const __m512d scale = _mm512_set1_pd(k->scale);
    for (int64_t r = r0; r < r1; r++)
        for (int64_t block = 0; 128 * block < cols; block++) {
            __mmask16 keep[8];
            block_masks(k, r, block, keep);
            if (keep_bits) store_bits(keep, block, cols, keep_bits + r * ldk);
            for (int j = 0; j < 16 && 128 * block + 8 * j < cols; j++) { /* 8 doubles a vector */
                const int64_t c = 128 * block + 8 * j;
                const __mmask8 valid = (__mmask8)fm_first_lanes(cols - c);
                const __mmask8 kept = (__mmask8)(keep[j / 2] >> (8 * (j & 1)));
                const __m512d x = _mm512_maskz_loadu_pd(valid, in + r * ldi + c);
                _mm512_mask_storeu_pd(out + r * ldo + c, valid, _mm512_maskz_mul_pd(kept, x, scale));
            }
        }
}

void fm_dropout_apply_avx512_f32(const uint16_t *keep, int64_t ldk, double scale, int64_t r0,
                                 int64_t r1, int64_t cols, float *g, int64_t ldg)
{
    const __m512 s = _mm512_set1_ps((float)scale);
    for (int64_t r = r0; r < r1; r++)
        for (int64_t c = 0; c < cols; c += 16) {
            const __mmask16 valid = fm_first_lanes(cols - c);
            const __m512 x = _mm512_maskz_loadu_ps(valid, g + r * ldg + c);
            _mm512_mask_storeu_ps(g + r * ldg + c, valid,
                                  _mm512_maskz_mul_ps((__mmask16)keep[r * ldk + c / 16], x, s));
        }
}

void fm_dropout_apply_avx512_f64(const uint16_t *keep, int64_t ldk, double scale, int64_t r0,
                                 int64_t r1, int64_t cols, double *g, int64_t ldg)
{
    const __m512d s = _mm512_set1_pd(scale);
    for (int64_t r = r0; r < r1; r++)
        for (int64_t c = 0; c < cols; c += 8) {
            const __mmask8 valid = (__mmask8)fm_first_lanes(cols - c);
            const __mmask8 kept = (__mmask8)(keep[r * ldk + c / 16] >> (c % 16));
            const __m512d x = _mm512_maskz_loadu_pd(valid, g + r * ldg + c);
            _mm512_mask_storeu_pd(g + r * ldg + c, valid, _mm512_maskz_mul_pd(kept, x, s));
        }
}
#endif
