/* The layer kinds: each is a forward/backward pair over raw pointers, in a
 * file of its own (layer_<kind>.inc, compiled for float32 and float64 by
 * typed.h). network.inc strings them together. Shapes: a batch is count rows;
 * a layer reads count × n_in and writes count × n_out, row-major. */
#include <math.h>
#include <string.h>

#include "kernels.h"
#include "internal.h"

/* Mixed precision rounds the operands to bfloat16 where a 64-wide bfloat16
 * tile has work for its lanes: a product of at most 16 outputs (a 10-class
 * layer) or of depth at most 16 (its input gradient) stays float32, where the
 * skinny kernels do it faster. */
int fm_dense_gemm_f32(const fm_layer *L, int trans_a, int trans_b, int64_t m, int64_t n, int64_t k,
                      const float *a, int64_t lda, const float *b, int64_t ldb, float *c,
                      int64_t ldc, const float *bias, int act, int accumulate)
{
    if (L->precision == FM_PRECISION_MIXED_BF16 && n > 16 && k > 16)
        return fm_gemm_bf16(trans_a, trans_b, m, n, k, a, lda, b, ldb, c, ldc, bias, act,
                            accumulate);
    return fm_gemm_f32(trans_a, trans_b, m, n, k, a, lda, b, ldb, c, ldc, bias, act, accumulate);
}

int fm_dense_gemm_f64(const fm_layer *L, int trans_a, int trans_b, int64_t m, int64_t n, int64_t k,
                      const double *a, int64_t lda, const double *b, int64_t ldb, double *c,
                      int64_t ldc, const double *bias, int act, int accumulate)
{
    if (L->precision != FM_PRECISION_NATIVE) return FM_EINVAL; /* float32 networks only */
    return fm_gemm_f64(trans_a, trans_b, m, n, k, a, lda, b, ldb, c, ldc, bias, act, accumulate);
}

int fm_dense_quantized_f32(const fm_layer *L, int64_t count, const float *x, int64_t ldx, float *y,
                           int64_t ldy, int act)
{
    const fm_packed_weights w = {L->n_in, L->n_out, L->packed, (const float *)L->qstep,
                                 (const int32_t *)L->qsum};
    const float *bias = L->use_bias ? (const float *)L->b : NULL;
    if (L->precision == FM_PRECISION_INT8) return fm_gemm_s8(count, x, ldx, &w, y, ldy, bias, act);
    if (L->precision == FM_PRECISION_BF16)
        return fm_gemm_bf16_packed(count, x, ldx, &w, y, ldy, bias, act);
    return FM_EINVAL;
}

int fm_dense_quantized_f64(const fm_layer *L, int64_t count, const double *x, int64_t ldx,
                           double *y, int64_t ldy, int act)
{
    (void)L, (void)count, (void)x, (void)ldx, (void)y, (void)ldy, (void)act;
    return FM_EINVAL;
}

#define FM_TYPED_SOURCE "layer_dense.inc"
#include "typed.h"
#undef FM_TYPED_SOURCE

#define FM_TYPED_SOURCE "layer_batchnorm.inc"
#include "typed.h"
#undef FM_TYPED_SOURCE

#define FM_TYPED_SOURCE "layer_activation.inc"
#include "typed.h"
#undef FM_TYPED_SOURCE

#define FM_TYPED_SOURCE "layer_dropout.inc"
#include "typed.h"
#undef FM_TYPED_SOURCE

#define FM_TYPED_SOURCE "layer_noise.inc"
#include "typed.h"
#undef FM_TYPED_SOURCE
