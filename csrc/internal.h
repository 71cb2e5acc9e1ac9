/* Internal declarations shared between the C files; not part of fastmlp.h. */
#ifndef FASTMLP_INTERNAL_H
#define FASTMLP_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "fastmlp.h"

void *fm_aligned_alloc(size_t bytes); /* 64-byte aligned; NULL on failure */
void fm_aligned_free(void *p);
void *fm_pack_buffer(size_t bytes);   /* per calling thread, grows on demand */

#define FM_DECLARE_TYPED(REAL, SFX)                                                          \
    void fm_act_backward_##SFX(int act, int64_t rows, int64_t cols, const REAL *y, REAL *g,  \
                               int64_t ld);                                                  \
    int fm_loss_##SFX(const fm_objective *obj, int logits, int64_t rows, int64_t cols,       \
                      const REAL *out, const fm_targets *t, REAL *grad, fm_step_stats *st);  \
    int fm_accumulate_metrics_##SFX(const fm_objective *obj, int logits, int64_t rows,        \
                                    int64_t cols, const REAL *out, const fm_targets *t);     \
    int64_t fm_optimizer_apply_##SFX(const fm_optimizer *opt, int64_t start, int64_t n,      \
                                     REAL *w, const REAL *g);                                \
    void fm_batchnorm_affine_##SFX(const fm_layer *L, int64_t j0, int64_t n, REAL *scale,    \
                                   REAL *shift);                                            \
    void fm_act_forward_##SFX(const fm_act *a, int64_t rows, int64_t cols, const REAL *z,    \
                              REAL *y, int64_t ld);                                         \
    void fm_act_gradient_##SFX(const fm_act *a, int64_t rows, int64_t cols, const REAL *z,   \
                               const REAL *y, REAL *g, int64_t ld);                         \
    void fm_dropout_##SFX(uint64_t seed, int64_t step, int layer, double rate, int64_t row0, \
                          int64_t rows, int64_t cols, const REAL *in, int64_t ldi, REAL *out,  \
                          int64_t ldo, uint16_t *keep);                                       \
    void fm_dropout_backward_kept_##SFX(const uint16_t *keep, double rate, int64_t rows,     \
                                        int64_t cols, REAL *g, int64_t ldg);                 \
    double fm_penalty_##SFX(int64_t n, const REAL *w, REAL *g, double l1, double l2);         \
    void fm_dz_and_bias_grad_##SFX(int act, int64_t rows, int64_t cols, const REAL *y, REAL *g, \
                                   int64_t ld, REAL *db, int accumulate);                   \
    int fm_act_in_epilogue_##SFX(const fm_act *a);                                           \
    void fm_gaussian_noise_##SFX(uint64_t seed, int64_t step, int layer, double stddev,      \
                                 int64_t row0, int64_t rows, int64_t cols, const REAL *in,   \
                                 REAL *out);                                                 \
    /* the layer kinds (layers.c): forward, then backward (g: dL/d output, turned into    \
     * dL/d input in g_in, or in place when g_in == g; parameter gradients added to with \
     * `accumulate`); `training` selects batch statistics, dropout and noise */           \
    int fm_dense_forward_##SFX(const fm_layer *L, int64_t count, const REAL *in, REAL *out,  \
                               int logits);                                                 \
    int fm_dense_backward_##SFX(const fm_layer *L, int64_t count, const REAL *in,             \
                                const REAL *out, REAL *g, REAL *g_in, int dz_given,          \
                                int accumulate);                                            \
    void fm_batchnorm_forward_##SFX(const fm_layer *L, int64_t count, const REAL *in,         \
                                    REAL *out, int training);                                \
    void fm_batchnorm_commit_##SFX(const fm_layer *L);                                         \
    void fm_batchnorm_backward_##SFX(const fm_layer *L, int64_t count, const REAL *in,        \
                                     REAL *g, REAL *g_in, int training, int accumulate);     \
    void fm_batchnorm_infer_##SFX(const fm_layer *L, int64_t count, const REAL *in,           \
                                  int64_t ld_in, REAL *out);                                \
    void fm_activation_layer_forward_##SFX(const fm_layer *L, int64_t count, const REAL *in,  \
                                           REAL *out);                                      \
    void fm_activation_layer_backward_##SFX(const fm_layer *L, int64_t count, const REAL *in, \
                                            const REAL *out, REAL *g);                      \
    /* dropout and noise: row0 is the batch's first row in its global batch (see rng.c) */  \
    void fm_dropout_layer_forward_##SFX(const fm_layer *L, uint64_t seed, int64_t step,       \
                                        int index, int64_t row0, int64_t count,              \
                                        const REAL *in, REAL *out, int training);            \
    void fm_dropout_layer_backward_##SFX(const fm_layer *L, uint64_t seed, int64_t step,      \
                                         int index, int64_t row0, int64_t count, REAL *g,    \
                                         int training);                                     \
    void fm_noise_layer_forward_##SFX(const fm_layer *L, uint64_t seed, int64_t step,         \
                                      int index, int64_t row0, int64_t count,                \
                                      const REAL *in, REAL *out, int training);
FM_DECLARE_TYPED(float, f32)
FM_DECLARE_TYPED(double, f64)
#undef FM_DECLARE_TYPED

/* A dense layer's GEMM (fm_gemm's arguments) in the layer's precision
 * (layers.c): bfloat16 operands under FM_PRECISION_MIXED_BF16 where that
 * pays, else the network's dtype. */
int fm_dense_gemm_f32(const fm_layer *L, int trans_a, int trans_b, int64_t m, int64_t n, int64_t k,
                      const float *a, int64_t lda, const float *b, int64_t ldb, float *c,
                      int64_t ldc, const float *bias, int act, int accumulate);
int fm_dense_gemm_f64(const fm_layer *L, int trans_a, int trans_b, int64_t m, int64_t n, int64_t k,
                      const double *a, int64_t lda, const double *b, int64_t ldb, double *c,
                      int64_t ldc, const double *bias, int act, int accumulate);
/* y = act(x·W + b) for count rows with a quantized dense layer's packed
 * weights (FM_PRECISION_INT8 or BF16; float32 networks only, FM_EINVAL for
 * float64). */
int fm_dense_quantized_f32(const fm_layer *L, int64_t count, const float *x, int64_t ldx, float *y,
                           int64_t ldy, int act);
int fm_dense_quantized_f64(const fm_layer *L, int64_t count, const double *x, int64_t ldx,
                           double *y, int64_t ldy, int act);

/* FM_OK when the targets can be read for objective `obj` on `count` rows
 * (labels inside [0, n_out) for a sparse loss or metric), else FM_ETARGETS. */
int fm_check_targets(const fm_objective *obj, const fm_targets *t, int64_t count, int64_t n_out);

/* Philox4x32-10 (Salmon et al., SC'11): four 32-bit outputs for a 128-bit
 * counter under a 64-bit key. */
void fm_philox4x32(const uint32_t counter[4], const uint32_t key[2], uint32_t out[4]);

#endif
