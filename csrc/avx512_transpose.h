/* A 16×16 transpose of 32-bit values in AVX-512 registers, shared by the
 * files compiled for AVX-512 (gemm_avx512_skinny.c, gemm_bf16_avx512_bf16.c),
 * which include it after their target pragma. */
#ifndef FASTMLP_AVX512_TRANSPOSE_H
#define FASTMLP_AVX512_TRANSPOSE_H

#include <immintrin.h>

/* In-place transpose of the 16×16 block whose rows are r[0..16). */
static inline __attribute__((always_inline)) void transpose16(__m512 r[16])
{
    __m512 t[16];
    for (int i = 0; i < 8; i++) {
        t[2 * i] = _mm512_unpacklo_ps(r[2 * i], r[2 * i + 1]);
        t[2 * i + 1] = _mm512_unpackhi_ps(r[2 * i], r[2 * i + 1]);
    }
    /* r[4i + c], 128-bit lane L: rows 4i..4i+3 at column 4L + c */
    for (int i = 0; i < 4; i++) {
        r[4 * i + 0] = _mm512_shuffle_ps(t[4 * i], t[4 * i + 2], 0x44);
        r[4 * i + 1] = _mm512_shuffle_ps(t[4 * i], t[4 * i + 2], 0xEE);
        r[4 * i + 2] = _mm512_shuffle_ps(t[4 * i + 1], t[4 * i + 3], 0x44);
        r[4 * i + 3] = _mm512_shuffle_ps(t[4 * i + 1], t[4 * i + 3], 0xEE);
    }
    for (int c = 0; c < 4; c++) {
        const __m512 a = _mm512_shuffle_f32x4(r[c], r[4 + c], 0x88);
        const __m512 b = _mm512_shuffle_f32x4(r[c], r[4 + c], 0xDD);
        const __m512 a2 = _mm512_shuffle_f32x4(r[8 + c], r[12 + c], 0x88);
        const __m512 b2 = _mm512_shuffle_f32x4(r[8 + c], r[12 + c], 0xDD);
        t[c] = _mm512_shuffle_f32x4(a, a2, 0x88);      /* column c      */
        t[4 + c] = _mm512_shuffle_f32x4(b, b2, 0x88);  /* column 4 + c  */
        t[8 + c] = _mm512_shuffle_f32x4(a, a2, 0xDD);  /* column 8 + c  */
        t[12 + c] = _mm512_shuffle_f32x4(b, b2, 0xDD); /* column 12 + c */
    }
    for (int i = 0; i < 16; i++) r[i] = t[i];
}

#endif
