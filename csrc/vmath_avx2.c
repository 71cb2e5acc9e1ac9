/* float32 exp, sigmoid and tanh on AVX2 vectors (same method and constants
 * as vmath_avx512.c). 2^n is built in the exponent field in two halves, so
 * that results down in the subnormal range and up to overflow stay right. */
#if defined(__x86_64__) || defined(_M_X64)
#pragma GCC target("avx2,fma")
#include <immintrin.h>
#include <string.h>

#include "kernels.h"

static inline __m256 pow2i(__m256i n) /* 2^n for -126 <= n <= 127 */
{
    return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(n, _mm256_set1_epi32(127)), 23));
}

static inline __m256 exp8(__m256 x)
{
    x = _mm256_min_ps(_mm256_set1_ps(90.0f), _mm256_max_ps(_mm256_set1_ps(-110.0f), x));
    const __m256 n = _mm256_round_ps(_mm256_mul_ps(x, _mm256_set1_ps(1.44269504088896341f)),
                                     _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(0.693359375f), x);
    r = _mm256_fnmadd_ps(n, _mm256_set1_ps(-2.12194440e-4f), r);
    __m256 p = _mm256_set1_ps(1.9875691500e-4f);
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.3981999507e-3f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(8.3334519073e-3f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(4.1665795894e-2f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.6666665459e-1f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(5.0000001201e-1f));
    p = _mm256_fmadd_ps(p, _mm256_mul_ps(r, r), _mm256_add_ps(r, _mm256_set1_ps(1.0f)));
    /* n in [-159, 130]: split so each factor is a normal power of two */
    const __m256i ni = _mm256_cvtps_epi32(n);
    const __m256i half = _mm256_srai_epi32(ni, 1);
    return _mm256_mul_ps(_mm256_mul_ps(p, pow2i(half)), pow2i(_mm256_sub_epi32(ni, half)));
}

static inline __m256 sigmoid8(__m256 x)
{
    const __m256 one = _mm256_set1_ps(1.0f);
    return _mm256_div_ps(one, _mm256_add_ps(one, exp8(_mm256_sub_ps(_mm256_setzero_ps(), x))));
}

static inline __m256 tanh8(__m256 x)
{
    const __m256 one = _mm256_set1_ps(1.0f), sign = _mm256_set1_ps(-0.0f);
    const __m256 ax = _mm256_andnot_ps(sign, x);
    const __m256 z = _mm256_mul_ps(x, x);
    __m256 p = _mm256_set1_ps(-5.70498872745e-3f);
    p = _mm256_fmadd_ps(p, z, _mm256_set1_ps(2.06390887954e-2f));
    p = _mm256_fmadd_ps(p, z, _mm256_set1_ps(-5.37397155531e-2f));
    p = _mm256_fmadd_ps(p, z, _mm256_set1_ps(1.33314422036e-1f));
    p = _mm256_fmadd_ps(p, z, _mm256_set1_ps(-3.33332819422e-1f));
    const __m256 small = _mm256_fmadd_ps(_mm256_mul_ps(p, z), x, x);
    const __m256 e = exp8(_mm256_add_ps(ax, ax));
    __m256 large = _mm256_sub_ps(one, _mm256_div_ps(_mm256_set1_ps(2.0f), _mm256_add_ps(e, one)));
    large = _mm256_or_ps(large, _mm256_and_ps(x, sign));
    return _mm256_blendv_ps(large, small, _mm256_cmp_ps(ax, _mm256_set1_ps(0.625f), _CMP_LT_OQ));
}

/* Vectors of 8 over a row, the tail through a zero-padded buffer. */
static inline __m256 load8(const float *p, int64_t count)
{
    if (count >= 8) return _mm256_loadu_ps(p);
    float t[8] = {0};
    memcpy(t, p, (size_t)count * sizeof(float));
    return _mm256_loadu_ps(t);
}

static inline void store8(float *p, __m256 v, int64_t count)
{
    if (count >= 8) {
        _mm256_storeu_ps(p, v);
        return;
    }
    float t[8];
    _mm256_storeu_ps(t, v);
    memcpy(p, t, (size_t)count * sizeof(float));
}

static void softmax_row(int64_t n, float *y)
{
    float m = y[0];
    for (int64_t j = 1; j < n; j++)
        if (y[j] > m || y[j] != y[j]) m = y[j];
    const __m256 top = _mm256_set1_ps(m);
    float s = 0;
    for (int64_t j = 0; j < n; j += 8) {
        float e[8];
        const int64_t count = n - j < 8 ? n - j : 8;
        _mm256_storeu_ps(e, exp8(_mm256_sub_ps(load8(y + j, count), top)));
        for (int64_t l = 0; l < count; l++) {
            y[j + l] = e[l];
            s += e[l];
        }
    }
    const float inv = 1.0f / s;
    for (int64_t j = 0; j < n; j++) y[j] *= inv;
}

void fm_act_rows_avx2_f32(int act, int64_t rows, int64_t cols, float *y, int64_t ldy)
{
    if (act == FM_ACT_RELU || act == FM_ACT_LEAKY_RELU) {
        fm_act_rows_scalar_f32(act, rows, cols, y, ldy);
        return;
    }
    for (int64_t i = 0; i < rows; i++) {
        float *yi = y + i * ldy;
        if (act == FM_ACT_SOFTMAX) {
            softmax_row(cols, yi);
            continue;
        }
        for (int64_t j = 0; j < cols; j += 8) {
            const int64_t count = cols - j;
            const __m256 x = load8(yi + j, count);
            store8(yi + j, act == FM_ACT_SIGMOID ? sigmoid8(x) : act == FM_ACT_TANH ? tanh8(x) : x,
                   count);
        }
    }
}

void fm_exp_avx2_f32(const float *x, float *y, int64_t n)
{
    for (int64_t j = 0; j < n; j += 8) {
        const int64_t count = n - j;
        store8(y + j, exp8(load8(x + j, count)), count);
    }
}
#endif
