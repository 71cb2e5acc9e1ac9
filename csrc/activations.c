/* Activations applied in place over row-major blocks, and their derivatives
 * taken from the stored outputs. */
#include <math.h>
#include <string.h>

#include "kernels.h"
#include "internal.h"

void fm_exp_scalar_f32(const float *x, float *y, int64_t n)
{
    for (int64_t i = 0; i < n; i++) y[i] = expf(x[i]);
}

void fm_exp_f32(const float *x, float *y, int64_t n) { fm_isa()->exp_f32(x, y, n); }

#define FM_TYPED_SOURCE "activations.inc"
#include "typed.h"
