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
 * range, or labels where values are needed or the reverse). */
enum { FM_OK = 0, FM_ENOMEM = 1, FM_EINVAL = 2, FM_EINTR = 3, FM_ETARGETS = 4 };

enum { FM_F32 = 0, FM_F64 = 1 };

enum {
    FM_ACT_LINEAR = 0,
    FM_ACT_RELU = 1,
    FM_ACT_LEAKY_RELU = 2, /* slope 0.2 for x < 0, as Keras's LeakyReLU layer */
    FM_ACT_SIGMOID = 3,
    FM_ACT_TANH = 4,
    FM_ACT_SOFTMAX = 5 /* over each row */
};

/* The last two are scikit-learn's MLP losses: ½·Σ_outputs (y − t)² and binary
 * log-loss summed (not averaged) over the outputs. */
enum {
    FM_LOSS_MSE = 0, FM_LOSS_BCE = 1, FM_LOSS_CCE = 2, FM_LOSS_SPARSE_CCE = 3,
    FM_LOSS_HALF_SQUARED_SUM = 4, FM_LOSS_BCE_SUM = 5
};

enum { FM_METRIC_NONE = 0, FM_METRIC_BINARY_ACC = 1, FM_METRIC_CATEGORICAL_ACC = 2, FM_METRIC_SPARSE_ACC = 3 };

enum { FM_OPT_SGD = 0, FM_OPT_RMSPROP = 1, FM_OPT_ADAM = 2 };

enum { FM_LAYER_DENSE = 0, FM_LAYER_DROPOUT = 1 };

/* ---- run-time configuration (cpu.c) ---- */

/* Chooses the micro-kernels once: the best path the CPU and OS support, or the
 * one forced by FASTMLP_ISA=generic|avx2|avx512 when the CPU supports it.
 * Returns 0, or -1 when FASTMLP_ISA names an unknown or unsupported path (the
 * best supported path is then used). Safe to call more than once. */
int fm_init(void);
const char *fm_isa_name(void);       /* path in use: "avx512", "avx2", "generic" */
const char *fm_isa_detected(void);   /* best path this CPU supports */
const char *fm_isa_requested(void);  /* value of FASTMLP_ISA, or "" */
int fm_isa_force(const char *name);  /* for tests: 0 on success, -1 if unknown/unsupported */
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

/* float32 FMA throughput of `threads` threads on the best vectors the CPU
 * has, measured for at least `seconds` (peak.c; for benchmarks). */
double fm_peak_gflops(int threads, double seconds);

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

/* ---- input checks (finite.c) ---- */
int fm_all_finite_f32(const float *x, int64_t n);
int fm_all_finite_f64(const double *x, int64_t n);

/* ---- elementwise kernels (activations.c), exposed for tests ---- */
void fm_activation_f32(int act, int64_t rows, int64_t cols, float *y, int64_t ldy);
void fm_activation_f64(int act, int64_t rows, int64_t cols, double *y, int64_t ldy);
void fm_exp_f32(const float *x, float *y, int64_t n); /* the exp inside softmax */

/* ---- the network (network.c) ----
 * The engine allocates every buffer and fills these structs; the C side only
 * reads and writes through the pointers. */
typedef struct {
    int kind;          /* FM_LAYER_* */
    int64_t n_in, n_out;
    int act;           /* dense: FM_ACT_* */
    int use_bias;      /* dense */
    double rate;       /* dropout */
    void *w, *b;       /* dense parameters: w is n_in × n_out (Keras layout), b has n_out */
    void *dw, *db;     /* their gradients */
} fm_layer;

typedef struct {
    int kind;          /* FM_OPT_* */
    double learning_rate, momentum, rho, beta_1, beta_2, epsilon;
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
    void *params, *grads; /* the arenas that the layers' w, b, dw, db point into */
    fm_optimizer opt;
    uint64_t dropout_seed;
} fm_net;

/* What a call is scored against, fixed for its duration: FM_LOSS_*, FM_METRIC_*
 * and the L2 penalty α on the kernels (not biases): + ½·α·Σw² / Σ(weights). */
typedef struct {
    int loss, metric;
    double l2;
} fm_objective;

/* What a training or evaluation step reports. */
typedef struct {
    double loss_sum;      /* sum over rows of the per-row loss (times the row's weight) */
    double metric_sum;    /* sum over rows of the per-row metric (accuracy in [0, 1]) */
    double weight_sum;    /* sum of the rows' weights (the row count without weights) */
    double penalty;       /* ½·α·Σw² over the kernels, before the update (0 without l2) */
    int finite;           /* 0 when the loss or the L2 penalty is NaN or inf */
    int gradients_finite; /* 0 when some gradient is NaN or inf */
    int applied;          /* 1 when the optimizer update was applied */
    int64_t rejected;     /* parameters whose update would have been NaN or inf: kept as they were */
} fm_step_stats;

/* Targets: for FM_LOSS_SPARSE_CCE, `labels` (int64, one per row); otherwise
 * `y` (model dtype, row stride ldy, last layer's n_out columns). `weights`,
 * when not NULL, weighs each row's loss; the batch's gradient is then
 * normalised by the sum of its weights instead of its row count. Row r of a
 * batch reads target (and weight) row rows[r], or row r when `rows` is NULL. */
typedef struct {
    const void *y;
    int64_t ldy;
    const int64_t *labels;
    const int64_t *rows;
    const double *weights;
} fm_targets;

/* One training step on rows `rows[0..count)` of x (row stride ldx) and of the
 * targets: forward with dropout, loss, backward, optimizer update. The update
 * is skipped when the loss or a gradient is not finite or the batch's weights
 * sum to zero, and any parameter it would make non-finite keeps its value.
 * count <= batch_cap. The targets are checked against the objective first
 * (FM_ETARGETS, nothing computed). */
int fm_net_train_step(fm_net *net, const void *x, int64_t ldx, const int64_t *rows,
                      int64_t count, const fm_targets *t, const fm_objective *obj,
                      fm_step_stats *stats);

/* Gradients of the mean batch loss into net->grads, without dropout and
 * without an update (for gradient checks); same arguments. */
int fm_net_gradients(fm_net *net, const void *x, int64_t ldx, const int64_t *rows,
                     int64_t count, const fm_targets *t, const fm_objective *obj,
                     fm_step_stats *stats);

/* Inference on `count` contiguous rows of x into out (count × last n_out).
 * scratch holds fm_net_scratch_size(net, count) elements; nothing else is
 * written, so concurrent calls with their own scratch are safe. */
int fm_net_predict(const fm_net *net, const void *x, int64_t ldx, int64_t count,
                   void *out, void *scratch);

/* Loss and metric sums (no dropout, no gradients) of `count` contiguous rows
 * of x against targets rows 0..count); scratch as for fm_net_predict. */
int fm_net_evaluate(const fm_net *net, const void *x, int64_t ldx, int64_t count,
                    const fm_targets *t, const fm_objective *obj, void *scratch,
                    fm_step_stats *stats);

int64_t fm_net_scratch_size(const fm_net *net, int64_t count);

/* Inference (or evaluation) of n contiguous rows, `chunk` rows per piece. With
 * several pieces, up to max_threads threads take pieces as they come free,
 * each running the whole network on its piece: no thread waits for another
 * between layers, which keeps other processes' load from stalling the work.
 * Results do not depend on chunk or threads. scratch holds
 * max_threads × fm_net_scratch_size(net, chunk) elements. Evaluation checks
 * the targets (rows must be NULL) and sums the pieces in order. */
int fm_net_predict_rows(const fm_net *net, const void *x, int64_t ldx, int64_t n, void *out,
                        int64_t chunk, void *scratch, int max_threads);
int fm_net_evaluate_rows(const fm_net *net, const void *x, int64_t ldx, int64_t n,
                         const fm_targets *t, const fm_objective *obj, int64_t chunk,
                         void *scratch, int max_threads, fm_step_stats *stats);

#ifdef __cplusplus
}
#endif
#endif
