/* The quantization of one row of activations to unsigned 8 bits with a zero
 * point (kernels.h, fm_quantize_rows_fn): every path computes the row's step
 * and zero point here, from its extremes, so all of them agree to the bit. */
#ifndef FASTMLP_QUANTIZE_H
#define FASTMLP_QUANTIZE_H

#include <math.h>
#include <stdint.h>

/* From the row's minimum lo and maximum hi: the range is widened to hold 0
 * (so zeros, ReLU's and the padding's, are exact), step = range/255, the zero
 * point is where 0 lands, and inv = 1/step is what the values are scaled by.
 * A row of zeros (or one that is not finite) gets step 1 and zero point 0. */
static inline void fm_s8_row_params(float lo, float hi, float *step, float *inv, int32_t *zero)
{
    lo = lo < 0.0f ? lo : 0.0f;
    hi = hi > 0.0f ? hi : 0.0f;
    float s = (hi - lo) / 255.0f;
    if (!(s > 0.0f) || !(s <= 3.0e38f)) s = 1.0f;
    float z = rintf(-lo / s);
    z = z < 0.0f ? 0.0f : (z > 255.0f ? 255.0f : z);
    *step = s;
    *inv = 1.0f / s;
    *zero = (int32_t)z;
}

/* One value's code: clamp(rint(x·inv) + zero, 0, 255), x·inv first held to
 * ±1000 as the vector paths do (max, then min: a NaN becomes −1000), then
 * rounded to nearest, ties to even (the vector conversion's rounding). */
static inline uint8_t fm_s8_code(float x, float inv, int32_t zero)
{
    float y = x * inv;
    y = y > -1000.0f ? y : -1000.0f;
    y = y < 1000.0f ? y : 1000.0f;
    const int32_t q = (int32_t)rintf(y) + zero;
    return (uint8_t)(q < 0 ? 0 : (q > 255 ? 255 : q));
}

#endif
