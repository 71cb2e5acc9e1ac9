/* float32 exp, sigmoid and tanh on AVX-512 vectors, and the activations
 * applied in place over rows with them.
 *
 * exp(x) = 2^n · e^r with n = round(x·log2 e) and r = x − n·ln 2 (Cody-Waite,
 * two constants), e^r from Cephes expf's degree-5 minimax polynomial on
 * |r| <= ln2/2, and 2^n applied by vscalefps, which also gives the right
 * overflow to inf and gradual underflow. tanh: Cephes tanhf's odd polynomial
 * for |x| < 0.625, else 1 − 2/(e^{2|x|} + 1), which has no cancellation
 * there. Measured errors are in tests/test_vmath.py. */
#if defined(__x86_64__) || defined(_M_X64)
#pragma GCC target("avx512f,avx512bw,avx512dq,avx512vl,fma")
#include <immintrin.h>

#include "kernels.h"

static inline __m512 exp16(__m512 x)
{
    /* beyond these, exp is 0 or inf in float32; the clamp keeps inf − inf out of r */
    x = _mm512_min_ps(_mm512_set1_ps(90.0f), _mm512_max_ps(_mm512_set1_ps(-110.0f), x));
    const __m512 n = _mm512_roundscale_ps(_mm512_mul_ps(x, _mm512_set1_ps(1.44269504088896341f)),
                                          _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m512 r = _mm512_fnmadd_ps(n, _mm512_set1_ps(0.693359375f), x);
    r = _mm512_fnmadd_ps(n, _mm512_set1_ps(-2.12194440e-4f), r);
    __m512 p = _mm512_set1_ps(1.9875691500e-4f);
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.3981999507e-3f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(8.3334519073e-3f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(4.1665795894e-2f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.6666665459e-1f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(5.0000001201e-1f));
    p = _mm512_fmadd_ps(p, _mm512_mul_ps(r, r), _mm512_add_ps(r, _mm512_set1_ps(1.0f)));
    return _mm512_scalef_ps(p, n);
}

static inline __m512 sigmoid16(__m512 x)
{
    const __m512 one = _mm512_set1_ps(1.0f);
    return _mm512_div_ps(one, _mm512_add_ps(one, exp16(_mm512_sub_ps(_mm512_setzero_ps(), x))));
}

static inline __m512 tanh16(__m512 x)
{
    const __m512 one = _mm512_set1_ps(1.0f);
    const __m512 ax = _mm512_abs_ps(x);
    const __m512 z = _mm512_mul_ps(x, x);
    __m512 p = _mm512_set1_ps(-5.70498872745e-3f);
    p = _mm512_fmadd_ps(p, z, _mm512_set1_ps(2.06390887954e-2f));
    p = _mm512_fmadd_ps(p, z, _mm512_set1_ps(-5.37397155531e-2f));
    p = _mm512_fmadd_ps(p, z, _mm512_set1_ps(1.33314422036e-1f));
    p = _mm512_fmadd_ps(p, z, _mm512_set1_ps(-3.33332819422e-1f));
    const __m512 small = _mm512_fmadd_ps(_mm512_mul_ps(p, z), x, x);
    const __m512 e = exp16(_mm512_add_ps(ax, ax));
    __m512 large = _mm512_sub_ps(one, _mm512_div_ps(_mm512_set1_ps(2.0f), _mm512_add_ps(e, one)));
    /* copy x's sign onto the large branch */
    large = _mm512_or_ps(large, _mm512_and_ps(x, _mm512_set1_ps(-0.0f)));
    const __mmask16 use_small = _mm512_cmp_ps_mask(ax, _mm512_set1_ps(0.625f), _CMP_LT_OQ);
    return _mm512_mask_blend_ps(use_small, large, small);
}


static void softmax_row(int64_t n, float *y)
{
    __m512 m = _mm512_set1_ps(-__builtin_inff());
    for (int64_t j = 0; j < n; j += 16) /* max(·, x) keeps a NaN of x */
        m = _mm512_mask_max_ps(m, fm_first_lanes(n - j), m, _mm512_maskz_loadu_ps(fm_first_lanes(n - j), y + j));
    const __m512 top = _mm512_set1_ps(_mm512_reduce_max_ps(m));
    __m512 s = _mm512_setzero_ps();
    for (int64_t j = 0; j < n; j += 16) {
        const __mmask16 k = fm_first_lanes(n - j);
        const __m512 e = exp16(_mm512_sub_ps(_mm512_maskz_loadu_ps(k, y + j), top));
        _mm512_mask_storeu_ps(y + j, k, e);
        s = _mm512_add_ps(s, _mm512_maskz_mov_ps(k, e));
    }
    const __m512 inv = _mm512_set1_ps(1.0f / _mm512_reduce_add_ps(s));
    for (int64_t j = 0; j < n; j += 16) {
        const __mmask16 k = fm_first_lanes(n - j);
        _mm512_mask_storeu_ps(y + j, k, _mm512_mul_ps(_mm512_maskz_loadu_ps(k, y + j), inv));
    }
}

void fm_act_rows_avx512_f32(int act, int64_t rows, int64_t cols, float *y, int64_t ldy)
{
    for (int64_t i = 0; i < rows; i++) {
        float *yi = y + i * ldy;
        if (act == FM_ACT_SOFTMAX) {
            softmax_row(cols, yi);
            continue;
        }
        for (int64_t j = 0; j < cols; j += 16) {
            const __mmask16 k = fm_first_lanes(cols - j);
            __m512 x = _mm512_maskz_loadu_ps(k, yi + j);
            switch (act) {
            case FM_ACT_RELU:
                x = _mm512_max_ps(_mm512_setzero_ps(), x);
                break;
            case FM_ACT_LEAKY_RELU:
                x = _mm512_max_ps(_mm512_mul_ps(_mm512_set1_ps(0.2f), x), x);
                break;
            case FM_ACT_SIGMOID:
                x = sigmoid16(x);
                break;
            case FM_ACT_TANH:
                x = tanh16(x);
                break;
            default:
                break;
            }
            _mm512_mask_storeu_ps(yi + j, k, x);
        }
    }
}

void fm_exp_avx512_f32(const float *x, float *y, int64_t n)
{
    for (int64_t j = 0; j < n; j += 16) {
        const __mmask16 k = fm_first_lanes(n - j);
        _mm512_mask_storeu_ps(y + j, k, exp16(_mm512_maskz_loadu_ps(k, x + j)));
    }
}
#endif
