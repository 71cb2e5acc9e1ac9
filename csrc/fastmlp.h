/* The C interface of fastmlp's numeric core, called from fastmlp/_engine.pyx.
 *
 * Every array is row-major. Every function returns FM_OK or an FM_E* code and
 * never aborts the process; no function here touches Python objects, so all of
 * them may run with the GIL released. "_f32"/"_f64" name the element type. */
#ifndef FASTMLP_H
#define FASTMLP_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* FM_EINTR: stopped early by Ctrl-C (see fm_watch_interrupts); FM_ETARGETS:
 * the targets do not fit the objective (a label outside the output layer's
 * range, or labels where values are needed or the reverse); FM_ETIMEDOUT, FM_EPEER
 * (the collective): a peer was silent for the timeout, or closed its
 * connection or failed; FM_ENOTSUP: the instruction set in use has no kernels
 * for it (bfloat16 without AVX512_BF16). */
enum { FM_OK = 0, FM_ENOMEM = 1, FM_EINVAL = 2, FM_EINTR = 3, FM_ETARGETS = 4, FM_ETIMEDOUT = 5,
       FM_EPEER = 6, FM_ENOTSUP = 7 };

enum { FM_F32 = 0, FM_F64 = 1 };

/* Activations. The first six are applied inside the GEMM's epilogue (leaky
 * ReLU there with slope 0.2); the others, and ReLU or leaky ReLU with other
 * parameters (fm_act), in a pass of their own after it. Every code's name in
 * fastmlp/activations.py is checked against this list by the tests. */
enum {
    FM_ACT_LINEAR = 0,
    FM_ACT_RELU = 1,       /* with fm_act: negative_slope (alpha), max_value, threshold */
    FM_ACT_LEAKY_RELU = 2, /* slope alpha (0.2 in the epilogue) for x < 0 */
    FM_ACT_SIGMOID = 3,
    FM_ACT_TANH = 4,
    FM_ACT_SOFTMAX = 5,    /* over each row */
    FM_ACT_EXPONENTIAL = 6,
    FM_ACT_ELU = 7,        /* alpha */
    FM_ACT_SELU = 8,
    FM_ACT_SOFTPLUS = 9,
    FM_ACT_SOFTSIGN = 10,
    FM_ACT_SWISH = 11,     /* x·sigmoid(x), also called silu */
    FM_ACT_GELU = 12,      /* exact: x·Φ(x) */
    FM_ACT_GELU_TANH = 13, /* the tanh approximation */
    FM_ACT_HARD_SIGMOID = 14, /* relu6(x + 3) / 6 */
    FM_ACT_RELU6 = 15,
    FM_ACT_MISH = 16,
    FM_ACT_COUNT = 17
};

/* An activation with its parameters (Keras's ReLU, LeakyReLU and ELU layers). */
typedef struct {
    int code;           /* FM_ACT_* */
    double alpha;       /* leaky ReLU slope, ELU alpha, ReLU negative slope */
    double max_value;   /* ReLU: cap, or +inf */
    double threshold;   /* ReLU: values below it are (slope ×) their distance to it */
} fm_act;

/* Losses. MSE, BCE and CCE (and the Keras ones after them) are the mean over
 * a row's outputs, as in Keras; the scikit-learn ones (HALF_SQUARED_SUM:
 * ½·Σ (y − t)², BCE_SUM: binary log-loss summed over the outputs,
 * HALF_POISSON: Σ [t·log(t/y) − t + y] with y = exp(z)) are sums over them. */
enum {
    FM_LOSS_MSE = 0, FM_LOSS_BCE = 1, FM_LOSS_CCE = 2, FM_LOSS_SPARSE_CCE = 3,
    FM_LOSS_HALF_SQUARED_SUM = 4, FM_LOSS_BCE_SUM = 5, FM_LOSS_HALF_POISSON = 6,
    FM_LOSS_MAE = 7, FM_LOSS_HUBER = 8, FM_LOSS_LOG_COSH = 9, FM_LOSS_POISSON = 10,
    FM_LOSS_KLD = 11, FM_LOSS_HINGE = 12, FM_LOSS_SQUARED_HINGE = 13, FM_LOSS_MAPE = 14,
    FM_LOSS_MSLE = 15, FM_LOSS_COUNT = 16
};

/* How a batch's weighted row losses become its loss: divided by the row count
 * (Keras's "sum_over_batch_size") or by the sum of the weights (scikit-learn). */
enum { FM_MEAN_OVER_ROWS = 0, FM_MEAN_OVER_WEIGHTS = 1 };

/* Metrics, accumulated into arrays the caller owns (and zeroes to reset):
 * the mean kinds add [Σ w·value, Σ w]; CONFUSION adds [tp, fp, tn, fn] per
 * threshold; AUC adds the weights of positives, then of negatives, per bucket
 * of k thresholds (Keras's: −ε, 1/(k−1), …, 1+ε). Predictions are
 * probabilities: logits are mapped through the output's sigmoid or softmax. */
enum {
    FM_METRIC_BINARY_ACC = 1, FM_METRIC_CATEGORICAL_ACC = 2, FM_METRIC_SPARSE_ACC = 3,
    FM_METRIC_TOP_K = 4, FM_METRIC_SPARSE_TOP_K = 5, FM_METRIC_MAE = 6, FM_METRIC_MSE = 7,
    FM_METRIC_CONFUSION = 8, FM_METRIC_AUC = 9, FM_METRIC_COUNT = 10
};

typedef struct {
    int kind;              /* FM_METRIC_* */
    int weighted;          /* the rows' weights count (Keras's weighted_metrics) */
    int k;                 /* top-k: k; AUC: thresholds */
    int class_id;          /* confusion: one output column, or -1 for all of them */
    int n_thresholds;      /* confusion */
    const double *thresholds; /* confusion; binary accuracy uses thresholds[0] */
    int logits;            /* AUC: the predictions are logits (a sigmoid comes first) */
    double *acc;           /* fm_metric_size() values */
} fm_metric;

int64_t fm_metric_size(const fm_metric *m);

enum { FM_OPT_SGD = 0, FM_OPT_RMSPROP = 1, FM_OPT_ADAM = 2 };

enum {
    FM_LAYER_DENSE = 0, FM_LAYER_DROPOUT = 1, FM_LAYER_BATCHNORM = 2, FM_LAYER_ACTIVATION = 3,
    FM_LAYER_NOISE = 4, FM_LAYER_COUNT = 5
};

/* How a dense layer's products are computed (fm_layer.precision). */
enum {
    FM_PRECISION_NATIVE = 0,     /* in the network's dtype */
    FM_PRECISION_MIXED_BF16 = 1, /* operands rounded to bfloat16, float32 sums: Keras's mixed_bfloat16 */
    FM_PRECISION_INT8 = 2,       /* inference only: int8 kernel per output column, rows of
                                  * activations quantized to uint8 as they come */
    FM_PRECISION_BF16 = 3,       /* inference only: bfloat16 kernel, activations rounded to bfloat16 */
    FM_PRECISION_COUNT = 4
};

/* ---- run-time configuration (cpu.c) ---- */

/* Chooses the micro-kernels once: the best path the CPU and OS support, or the
 * one forced by FASTMLP_ISA=generic|avx2|avx512|avx512_vnni|avx512_bf16 when
 * the CPU supports it. Returns 0, or -1 when FASTMLP_ISA names an unknown or
 * unsupported path (the best supported path is then used). Safe to call more
 * than once. */
int fm_init(void);
const char *fm_isa_name(void);       /* path in use: "avx512_bf16", ..., "avx2", "generic" */
const char *fm_isa_detected(void);   /* best path this CPU supports */
const char *fm_isa_requested(void);  /* value of FASTMLP_ISA, or "" */
int fm_isa_force(const char *name);  /* for tests: 0 on success, -1 if unknown/unsupported */
int fm_bf16_supported(void);         /* 1 when the path in use has bfloat16 kernels */
const char *fm_bf16_kernels_name(void); /* what they are, or "" */
const char *fm_s8_kernels_name(void);   /* the int8 kernels in use */
const char *fm_compiler(void);
int fm_openmp_enabled(void);         /* 1 when built with OpenMP */
int fm_openmp_version(void);         /* _OPENMP date, 0 when serial */
int fm_get_num_threads(void);
void fm_set_num_threads(int n);      /* n >= 1 */
int fm_num_procs(void);
void fm_config_init(void);              /* called by fm_init */
int fm_forked_single_threaded(void);    /* 1 in a child forked after threads were used */
int fm_threads_exactly(int wanted);     /* threads for a region of fixed size (see config.c) */
int fm_contended(void);                 /* 1 while other processes were seen holding the cores */
int64_t fm_contention_events(void);     /* times that was seen, since the engine loaded */

/* ---- Ctrl-C (interrupt.c) ----
 * Called by the main thread around a long GIL-free call: while watched, a
 * SIGINT makes the computation stop at its next safe point with FM_EINTR (and
 * still reaches Python's handler). Calls nest. After an FM_EINTR that Python's
 * handler chose not to act on, fm_interrupt_acknowledge lets the call resume. */
int fm_watch_interrupts(void);
void fm_unwatch_interrupts(void);
void fm_interrupt_acknowledge(void);

/* Throughput of `threads` threads, measured for at least `seconds` (peak.c;
 * for benchmarks), in G operations per second (a multiply-add counts two):
 * FM_PEAK_FMA: float32 FMA on the best vectors the CPU has; FM_PEAK_BF16:
 * vdpbf16ps; FM_PEAK_VNNI: vpdpbusd (0 when the CPU lacks the instruction). */
enum { FM_PEAK_FMA = 0, FM_PEAK_BF16 = 1, FM_PEAK_VNNI = 2 };
double fm_peak(int kind, int threads, double seconds);
double fm_peak_gflops(int threads, double seconds); /* fm_peak(FM_PEAK_FMA, ...) */

/* ---- GEMM (gemm.c) ----
 * C(m×n) = op(A)·op(B), then optionally + bias (length n) and an activation
 * (softmax is applied over each row after the product). op(A) is m×k: A is m×k with row stride lda, or, with
 * trans_a, k×m with row stride lda (and likewise op(B), k×n). With
 * accumulate, C += op(A)·op(B) instead (bias and activation not allowed).
 * Results do not depend on the thread count. */
int fm_gemm_f32(int trans_a, int trans_b, int64_t m, int64_t n, int64_t k,
                const float *a, int64_t lda, const float *b, int64_t ldb,
                float *c, int64_t ldc, const float *bias, int act, int accumulate);
int fm_gemm_f64(int trans_a, int trans_b, int64_t m, int64_t n, int64_t k,
                const double *a, int64_t lda, const double *b, int64_t ldb,
                double *c, int64_t ldc, const double *bias, int act, int accumulate);

/* C = op(A)·op(B) as fm_gemm_f32, with A and B rounded to bfloat16 (to
 * nearest, ties to even) and the products summed in float32 (gemm_bf16.c).
 * FM_ENOTSUP on a path without bfloat16 kernels. */
int fm_gemm_bf16(int trans_a, int trans_b, int64_t m, int64_t n, int64_t k, const float *a,
                 int64_t lda, const float *b, int64_t ldb, float *c, int64_t ldc,
                 const float *bias, int act, int accumulate);

/* ---- products with weights packed once, for inference ----
 * int8 (gemm_s8.c): a k × n kernel q of int8 values with per-column
 * kernel_scale (Keras's: q ≈ w·kernel_scale, so w ≈ q·step with step =
 * 1/kernel_scale) is packed into fm_s8_packed_bytes(k, n) bytes, its steps
 * and column sums (n each) beside it. Then y(m × n) = act(x·w + bias) where
 * each row of x is quantized to uint8 with its own step and zero point as it
 * comes (dynamic quantization), the products summed exactly in int32 and
 * dequantized in the epilogue; every path gives the same bits, for any
 * thread count. k <= FM_S8_MAX_K (the sums then fit in int32).
 * bfloat16 (gemm_bf16.c): w rounded to bfloat16 into fm_bf16_packed_words(k,
 * n) 32-bit words; y = act(x·w + bias) with x rounded to bfloat16 on the way
 * and float32 sums (FM_ENOTSUP without bfloat16 kernels).
 * act: linear to softmax, as for fm_gemm. */
#define FM_S8_MAX_K 32768
typedef struct {
    int64_t k, n;
    const void *packed;
    const float *step;     /* int8 */
    const int32_t *colsum; /* int8 */
} fm_packed_weights;
int64_t fm_s8_packed_bytes(int64_t k, int64_t n);
int64_t fm_bf16_packed_words(int64_t k, int64_t n);
int fm_pack_s8_weights(int64_t k, int64_t n, const int8_t *q, int64_t ldq,
                       const float *kernel_scale, int8_t *packed, float *step, int32_t *colsum);
int fm_pack_bf16_weights(int64_t k, int64_t n, const float *w, int64_t ldw, uint32_t *packed);
int fm_gemm_s8(int64_t m, const float *x, int64_t ldx, const fm_packed_weights *w, float *y,
               int64_t ldy, const float *bias, int act);
int fm_gemm_bf16_packed(int64_t m, const float *x, int64_t ldx, const fm_packed_weights *w,
                        float *y, int64_t ldy, const float *bias, int act);

/* ---- input checks (finite.c) ---- */
int fm_all_finite_f32(const float *x, int64_t n);
int fm_all_finite_f64(const double *x, int64_t n);

/* ---- elementwise kernels (activations.c), exposed for tests ---- */
void fm_activation_f32(int act, int64_t rows, int64_t cols, float *y, int64_t ldy);
void fm_activation_f64(int act, int64_t rows, int64_t cols, double *y, int64_t ldy);
void fm_exp_f32(const float *x, float *y, int64_t n); /* the exp inside softmax */
/* y = f(z) and g = g ⊙ f'(z) (given z and y = f(z); softmax needs only y), any
 * fm_act, rows × cols with row stride ld (y may be z). */
void fm_act_forward_f32(const fm_act *a, int64_t rows, int64_t cols, const float *z, float *y,
                        int64_t ld);
void fm_act_forward_f64(const fm_act *a, int64_t rows, int64_t cols, const double *z, double *y,
                        int64_t ld);
void fm_act_gradient_f32(const fm_act *a, int64_t rows, int64_t cols, const float *z,
                         const float *y, float *g, int64_t ld);
void fm_act_gradient_f64(const fm_act *a, int64_t rows, int64_t cols, const double *z,
                         const double *y, double *g, int64_t ld);

/* ---- the network (network.c) ----
 * The engine allocates every buffer and fills these structs; the C side only
 * reads and writes through the pointers. A layer kind is a forward/backward
 * pair (layer_<kind>.c) plus its parameters and state. */
typedef struct {
    int kind;          /* FM_LAYER_* */
    int64_t n_in, n_out;
    fm_act act;        /* dense, activation */
    int use_bias;      /* dense: a bias; batchnorm: beta (center) */
    int use_scale;     /* batchnorm: gamma (scale) */
    int trainable;     /* 0: parameters frozen; batchnorm then runs in inference mode */
    double rate;       /* dropout rate; noise standard deviation */
    double momentum, epsilon;         /* batchnorm */
    double kernel_l1, kernel_l2;      /* regularizers: l1·Σ|w| + l2·Σw² on the kernel (gamma) */
    double bias_l1, bias_l2;          /* ... on the bias (beta) */
    double activity_l1, activity_l2;  /* ... on the outputs, divided by the batch's rows */
    uint64_t seed;     /* dropout/noise: mixed into the network's seed (0: none) */
    void *w, *b;       /* dense kernel (n_in × n_out, Keras layout) and bias; batchnorm gamma, beta */
    void *dw, *db;     /* their gradients */
    int64_t offset, count; /* the layer's range in the parameter arena */
    void *moving_mean, *moving_var; /* batchnorm state (non-trainable) */
    void *batch_stats; /* batchnorm, per training step: batch mean, 1/sqrt(var + epsilon), var */
    void *pre;         /* per training step: pre-activation, when the activation needs it */
    void *keep;        /* dropout, per training step: the forward's mask as bits (uint16,
                        * batch_cap × ⌈n_out/16⌉) for the backward, or NULL: drawn again */
    void *fold_w, *fold_b; /* inference: this dense layer with batchnorm folded in (or NULL) */
    int precision;     /* dense: FM_PRECISION_*. INT8: w is the int8 kernel, qscale its
                        * kernel_scale (float32, n_out); BF16: w holds bfloat16 values */
    void *qscale;
    void *packed, *qstep, *qsum; /* INT8, BF16: w packed for inference by fm_net_fold
                                  * (fm_pack_*_weights; qstep, qsum: INT8) */
} fm_layer;

typedef struct {
    int kind;          /* FM_OPT_* */
    double learning_rate, momentum, rho, beta_1, beta_2, epsilon;
    double weight_decay; /* decoupled: w ← w·(1 − lr·weight_decay) before the rule (Keras) */
    /* gradient clipping before the rule, 0 when off (Keras): each value to
     * ±clip_value; each variable (kernel, bias, ...) to norm clip_norm; all of
     * them together to norm global_clip_norm */
    double clip_value, clip_norm, global_clip_norm;
    int nesterov;
    int64_t iterations;   /* steps taken so far */
    void *slot1, *slot2;  /* optimizer state, n_params each (momentum / velocity / m, v) */
} fm_optimizer;

typedef struct {
    int dtype;            /* FM_F32 or FM_F64 */
    int n_layers;
    fm_layer *layers;
    int64_t n_in;         /* input features */
    int64_t batch_cap;    /* rows the training buffers hold */
    int64_t max_width;    /* widest layer input or output */
    void *x_batch;        /* batch_cap × n_in: the gathered batch */
    void **outputs;       /* per layer: batch_cap × n_out (training forward) */
    void *grad_a, *grad_b;/* batch_cap × max_width each: gradient ping-pong */
    int64_t n_params;
    /* the arenas that the layers' w, b, dw, db point into; grads holds
     * n_params + 1 values, the last being data-parallel training's flag slot
     * (fm_net_shard_gradients) */
    void *params, *grads;
    fm_optimizer opt;
    uint64_t dropout_seed;
    int64_t version;      /* changes whenever a parameter or state may have changed */
    int64_t folded_version; /* version the fold_w/fold_b copies were made from (−1: none) */
} fm_net;

/* What a call is scored against, fixed for its duration. */
typedef struct {
    int loss;             /* FM_LOSS_* */
    int from_logits;      /* BCE, CCE, sparse CCE: the outputs are logits */
    double loss_param;    /* Huber: delta; BCE, CCE: label smoothing */
    int reduction;        /* FM_MEAN_OVER_ROWS or FM_MEAN_OVER_WEIGHTS */
    double normalizer;    /* > 0: the divisor instead (gradients over several batches) */
    double l2;            /* scikit-learn's alpha: + ½·α·Σ kernel² / Σ weights */
    int n_metrics;
    const fm_metric *metrics;
} fm_objective;

/* What a training or evaluation step reports. */
typedef struct {
    double loss_sum;      /* sum over rows of the per-row loss (times the row's weight) */
    double weight_sum;    /* sum of the rows' weights (the row count without weights) */
    double divisor;       /* what the loss sum was divided by (rows, weights or normalizer) */
    double penalty;       /* regularization added to the batch loss (weights and activities) */
    int finite;           /* 0 when the loss or the penalty is NaN or inf */
    int gradients_finite; /* 0 when some gradient is NaN or inf */
    int applied;          /* 1 when the optimizer update was applied */
    int64_t rejected;     /* parameters whose update would have been NaN or inf: kept as they were */
} fm_step_stats;

/* Targets: for sparse labels (FM_LOSS_SPARSE_CCE, sparse metrics), `labels`
 * (int64, one per row); otherwise `y` (model dtype, row stride ldy, last
 * layer's n_out columns). `weights`, when not NULL, weighs each row's loss
 * (and the weighted metrics). Row r of a batch reads target (and weight) row
 * rows[r], or row r when `rows` is NULL. */
typedef struct {
    const void *y;
    int64_t ldy;
    const int64_t *labels;
    const int64_t *rows;
    const double *weights;
} fm_targets;

/* One training step on rows `rows[0..count)` of x (row stride ldx; rows NULL:
 * the first count rows) and of the targets: forward (dropout, noise, batch
 * statistics), loss, backward, regularization, optimizer update of the
 * trainable layers. The update is skipped when the loss or a gradient is not
 * finite or the batch's weights sum to zero, and any parameter it would make
 * non-finite keeps its value. count <= batch_cap. The targets are checked
 * against the objective first (FM_ETARGETS, nothing computed). */
int fm_net_train_step(fm_net *net, const void *x, int64_t ldx, const int64_t *rows,
                      int64_t count, const fm_targets *t, const fm_objective *obj,
                      fm_step_stats *stats);

/* ---- data-parallel training: fm_net_train_step split around a sum ----
 * Each replica (one per process, all with the same parameters and optimizer
 * state) computes the gradients of its rows of a global batch with
 * fm_net_shard_gradients; the replicas' net->grads arenas, flag slot
 * included, are summed (an allreduce); each then calls fm_net_apply_gradients
 * on the sum and all take the same update. With the global batch's rows and
 * weights in fm_shard, the result is a single process's step on that batch
 * (up to the order in which the per-row terms are added). Dropout and noise
 * are keyed on the row's index in the global batch (row0 + its index in the
 * shard). Batch normalization in training mode (a trainable one) is refused
 * (FM_EINVAL): its statistics would be the shard's, not the batch's. */
typedef struct {
    int64_t row0;         /* the shard's first row in the global batch */
    int64_t rows_total;   /* rows of the global batch */
    double weight_total;  /* Σ weights of the global batch (rows_total without weights) */
} fm_shard;

/* rows[0..count) of x (count may be 0, up to batch_cap): forward, loss
 * divided by the global batch's rows or weights (obj->reduction), backward,
 * activity penalties (over rows_total); metrics accumulated. Into
 * net->grads: the gradients (zeros when count is 0), and the flag slot: 0,
 * or NaN when this shard's loss is not finite. stats: the shard's loss_sum,
 * weight_sum and activity penalty. No weight penalty, no update. */
int fm_net_shard_gradients(fm_net *net, const void *x, int64_t ldx, const int64_t *rows,
                           int64_t count, const fm_targets *t, const fm_objective *obj,
                           const fm_shard *shard, fm_step_stats *stats);

/* With net->grads holding the replicas' summed gradients and flags: the
 * weight penalties (scikit-learn's α over shard->weight_total), the
 * non-finite guard (flag slot, gradients), clipping and the optimizer's
 * update, as fm_net_train_step applies them; iterations + 1 when applied.
 * stats: finite, gradients_finite, applied, rejected and the weight penalty. */
int fm_net_apply_gradients(fm_net *net, const fm_objective *obj, const fm_shard *shard,
                           fm_step_stats *stats);

/* Gradients of the loss over n rows into net->grads, computed batch_cap rows
 * at a time (no dropout or noise, batch statistics per piece, moving
 * statistics untouched), normalised over all n rows, regularization added
 * once; no update. */
int fm_net_gradients(fm_net *net, const void *x, int64_t ldx, int64_t n, const fm_targets *t,
                     const fm_objective *obj, fm_step_stats *stats);

/* The forward pass of training (dropout, noise, batch statistics; the moving
 * statistics move) on the first count <= batch_cap rows of x, into out. */
int fm_net_forward_training(fm_net *net, const void *x, int64_t ldx, int64_t count, void *out);

/* Inference on `count` contiguous rows of x into out (count × last n_out).
 * scratch holds fm_net_scratch_size(net, count) elements; nothing else is
 * written, so concurrent calls with their own scratch are safe. The network's
 * inference copies must be current (fm_net_fold). */
int fm_net_predict(const fm_net *net, const void *x, int64_t ldx, int64_t count,
                   void *out, void *scratch);

int64_t fm_net_scratch_size(const fm_net *net, int64_t count);

/* Inference (or evaluation) of n contiguous rows, `chunk` rows per piece. With
 * several pieces, up to max_threads threads take pieces as they come free,
 * each running the whole network on its piece: no thread waits for another
 * between layers, which keeps other processes' load from stalling the work.
 * Results do not depend on chunk or threads. scratch holds
 * max_threads × fm_net_scratch_size(net, chunk) elements. Evaluation checks
 * the targets (rows must be NULL), sums the pieces in order and adds the
 * metrics into their accumulators. */
int fm_net_predict_rows(const fm_net *net, const void *x, int64_t ldx, int64_t n, void *out,
                        int64_t chunk, void *scratch, int max_threads);
int fm_net_evaluate_rows(const fm_net *net, const void *x, int64_t ldx, int64_t n,
                         const fm_targets *t, const fm_objective *obj, int64_t chunk,
                         void *scratch, int max_threads, fm_step_stats *stats);

/* Brings the inference copies up to date: each batch normalization whose
 * neighbouring dense layer can absorb it (a dense layer with a linear
 * activation before it, or one after it; not a quantized one) is folded into
 * that layer's fold_w/fold_b (which the engine allocated), so inference costs
 * what it would without it, and quantized dense layers (FM_PRECISION_INT8,
 * BF16) are packed. Call after the parameters or moving statistics changed
 * (net->version) and before inference. Training a network with quantized
 * layers is refused (FM_EINVAL). */
int fm_net_fold(fm_net *net);

/* How layer l takes part in inference after folding: FM_INFER_RUN (computed),
 * FM_INFER_SKIP (identity, or folded into a dense layer). */
enum { FM_INFER_RUN = 0, FM_INFER_SKIP = 1 };
int fm_net_infer_role(const fm_net *net, int l);
/* Which dense layers hold folded copies: 1 when layer l needs fold_w/fold_b. */
int fm_net_needs_fold(const fm_net *net, int l);
/* Whether layer l's activation needs its pre-activation kept in training. */
int fm_net_needs_pre(const fm_net *net, int l);

/* ---- the collective (collective.c) ----
 * A ring of `world` processes over connected stream sockets: fd_next goes to
 * rank (rank + 1) mod world, fd_prev comes from rank (rank − 1) mod world
 * (made non-blocking by the calls). The counters only grow. */
typedef struct {
    int rank, world;
    int fd_next, fd_prev;
    int timeout_ms;           /* a peer silent this long: FM_ETIMEDOUT */
    int64_t bytes_sent, bytes_received, calls;
    double seconds;           /* spent inside the allreduce calls */
    void *shm;                /* the shared segment, or NULL: sockets only */
    int64_t shm_size, shm_slot; /* bytes mapped, bytes per rank's slot */
    uint64_t shm_seq;         /* barriers this rank has passed */
} fm_ring;

/* buf (n values) ← the sum over the ring's ranks of their buf, each chunk
 * summed in a fixed order (collective.c); scratch holds
 * fm_ring_scratch_size(n, world) values. Every rank must call it with the
 * same n. On an error the ring is unusable (the peers see it fail too). */
int fm_ring_allreduce_f32(fm_ring *ring, float *buf, int64_t n, float *scratch);
int fm_ring_allreduce_f64(fm_ring *ring, double *buf, int64_t n, double *scratch);
int64_t fm_ring_scratch_size(int64_t n, int world);
/* Ranks all on one machine: map the segment of file fd (the same file on
 * every rank, zero-filled when made, at least a header and two slots per
 * rank in size); buffers that fit a slot are then summed through it, to the
 * same bits. The fd may be closed afterwards. Zero the struct's shm fields
 * before the first attach. */
int fm_ring_attach_shm(fm_ring *ring, int fd);
void fm_ring_detach_shm(fm_ring *ring);

#ifdef __cplusplus
}
#endif
#endif
