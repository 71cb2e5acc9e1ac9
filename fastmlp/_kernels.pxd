# cdef extern declarations of csrc/fastmlp.h: the C interface of the numeric core.
from libc.stdint cimport int8_t, int32_t, int64_t, uint16_t, uint32_t, uint64_t

cdef extern from "fastmlp.h" nogil:
    enum:
        FM_OK, FM_ENOMEM, FM_EINVAL, FM_EINTR, FM_ETARGETS, FM_ETIMEDOUT, FM_EPEER, FM_ENOTSUP
        FM_F32, FM_F64
        FM_LAYER_DENSE, FM_LAYER_DROPOUT, FM_LAYER_BATCHNORM, FM_LAYER_ACTIVATION,
        FM_LAYER_NOISE, FM_LAYER_COUNT
        FM_ACT_LINEAR, FM_ACT_RELU, FM_ACT_LEAKY_RELU, FM_ACT_SIGMOID, FM_ACT_TANH,
        FM_ACT_SOFTMAX, FM_ACT_EXPONENTIAL, FM_ACT_ELU, FM_ACT_SELU, FM_ACT_SOFTPLUS,
        FM_ACT_SOFTSIGN, FM_ACT_SWISH, FM_ACT_GELU, FM_ACT_GELU_TANH, FM_ACT_HARD_SIGMOID,
        FM_ACT_RELU6, FM_ACT_MISH, FM_ACT_COUNT
        FM_LOSS_MSE, FM_LOSS_BCE, FM_LOSS_CCE, FM_LOSS_SPARSE_CCE, FM_LOSS_HALF_SQUARED_SUM,
        FM_LOSS_BCE_SUM, FM_LOSS_HALF_POISSON, FM_LOSS_MAE, FM_LOSS_HUBER, FM_LOSS_LOG_COSH,
        FM_LOSS_POISSON, FM_LOSS_KLD, FM_LOSS_HINGE, FM_LOSS_SQUARED_HINGE, FM_LOSS_MAPE,
        FM_LOSS_MSLE, FM_LOSS_COUNT
        FM_MEAN_OVER_ROWS, FM_MEAN_OVER_WEIGHTS
        FM_METRIC_BINARY_ACC, FM_METRIC_CATEGORICAL_ACC, FM_METRIC_SPARSE_ACC,
        FM_METRIC_TOP_K, FM_METRIC_SPARSE_TOP_K, FM_METRIC_MAE, FM_METRIC_MSE,
        FM_METRIC_CONFUSION, FM_METRIC_AUC, FM_METRIC_COUNT
        FM_OPT_SGD, FM_OPT_RMSPROP, FM_OPT_ADAM
        FM_INFER_RUN, FM_INFER_SKIP
        FM_PRECISION_NATIVE, FM_PRECISION_MIXED_BF16, FM_PRECISION_INT8, FM_PRECISION_BF16,
        FM_PRECISION_COUNT
        FM_PEAK_FMA, FM_PEAK_BF16, FM_PEAK_VNNI
        FM_S8_MAX_K

    int fm_init()
    const char *fm_isa_name()
    const char *fm_isa_detected()
    const char *fm_isa_requested()
    int fm_isa_force(const char *name)
    int fm_bf16_supported()
    const char *fm_bf16_kernels_name()
    const char *fm_s8_kernels_name()
    const char *fm_compiler()
    int fm_openmp_enabled()
    int fm_openmp_version()
    int fm_get_num_threads()
    void fm_set_num_threads(int n)
    int fm_num_procs()
    int fm_forked_single_threaded()
    int fm_contended()
    int64_t fm_contention_events()
    double fm_peak_gflops(int threads, double seconds)
    double fm_peak(int kind, int threads, double seconds)
    int fm_watch_interrupts()
    void fm_unwatch_interrupts()
    void fm_interrupt_acknowledge()

    int fm_gemm_f32(int trans_a, int trans_b, int64_t m, int64_t n, int64_t k,
                    const float *a, int64_t lda, const float *b, int64_t ldb,
                    float *c, int64_t ldc, const float *bias, int act, int accumulate)
    int fm_gemm_f64(int trans_a, int trans_b, int64_t m, int64_t n, int64_t k,
                    const double *a, int64_t lda, const double *b, int64_t ldb,
                    double *c, int64_t ldc, const double *bias, int act, int accumulate)

    int fm_gemm_bf16(int trans_a, int trans_b, int64_t m, int64_t n, int64_t k,
                     const float *a, int64_t lda, const float *b, int64_t ldb,
                     float *c, int64_t ldc, const float *bias, int act, int accumulate)

    ctypedef struct fm_packed_weights:
        int64_t k, n
        const void *packed
        const float *step
        const int32_t *colsum
    int64_t fm_s8_packed_bytes(int64_t k, int64_t n)
    int64_t fm_bf16_packed_words(int64_t k, int64_t n)
    int fm_pack_s8_weights(int64_t k, int64_t n, const int8_t *q, int64_t ldq,
                           const float *kernel_scale, int8_t *packed, float *step, int32_t *colsum)
    int fm_pack_bf16_weights(int64_t k, int64_t n, const float *w, int64_t ldw, uint32_t *packed)
    int fm_gemm_s8(int64_t m, const float *x, int64_t ldx, const fm_packed_weights *w, float *y,
                   int64_t ldy, const float *bias, int act)
    int fm_gemm_bf16_packed(int64_t m, const float *x, int64_t ldx, const fm_packed_weights *w,
                            float *y, int64_t ldy, const float *bias, int act)

    int fm_all_finite_f32(const float *x, int64_t n)
    int fm_all_finite_f64(const double *x, int64_t n)
    void fm_activation_f32(int act, int64_t rows, int64_t cols, float *y, int64_t ldy)
    void fm_activation_f64(int act, int64_t rows, int64_t cols, double *y, int64_t ldy)
    void fm_exp_f32(const float *x, float *y, int64_t n)

    ctypedef struct fm_act:
        int code
        double alpha, max_value, threshold

    ctypedef struct fm_metric:
        int kind
        int weighted
        int k
        int class_id
        int n_thresholds
        const double *thresholds
        int logits
        double *acc

    int64_t fm_metric_size(const fm_metric *m)

    ctypedef struct fm_layer:
        int kind
        int64_t n_in, n_out
        fm_act act
        int use_bias, use_scale, trainable
        double rate, momentum, epsilon
        double kernel_l1, kernel_l2, bias_l1, bias_l2, activity_l1, activity_l2
        uint64_t seed
        void *w
        void *b
        void *dw
        void *db
        int64_t offset, count
        void *moving_mean
        void *moving_var
        void *batch_stats
        void *pre
        void *keep
        void *fold_w
        void *fold_b
        int precision
        void *qscale
        void *packed
        void *qstep
        void *qsum

    ctypedef struct fm_optimizer:
        int kind
        double learning_rate, momentum, rho, beta_1, beta_2, epsilon, weight_decay
        double clip_value, clip_norm, global_clip_norm
        int nesterov
        int64_t iterations
        void *slot1
        void *slot2

    ctypedef struct fm_net:
        int dtype
        int n_layers
        fm_layer *layers
        int64_t n_in
        int64_t batch_cap
        int64_t max_width
        void *x_batch
        void **outputs
        void *grad_a
        void *grad_b
        int64_t n_params
        void *params
        void *grads
        fm_optimizer opt
        uint64_t dropout_seed
        int64_t version
        int64_t folded_version

    ctypedef struct fm_objective:
        int loss
        int from_logits
        double loss_param
        int reduction
        double normalizer
        double l2
        int n_metrics
        const fm_metric *metrics

    ctypedef struct fm_step_stats:
        double loss_sum
        double weight_sum
        double divisor
        double penalty
        int finite
        int gradients_finite
        int applied
        int64_t rejected

    ctypedef struct fm_targets:
        const void *y
        int64_t ldy
        const int64_t *labels
        const int64_t *rows
        const double *weights

    int fm_net_train_step(fm_net *net, const void *x, int64_t ldx, const int64_t *rows,
                          int64_t count, const fm_targets *t, const fm_objective *obj,
                          fm_step_stats *stats)
    int fm_net_gradients(fm_net *net, const void *x, int64_t ldx, int64_t n,
                         const fm_targets *t, const fm_objective *obj, fm_step_stats *stats)

    ctypedef struct fm_shard:
        int64_t row0, rows_total
        double weight_total

    int fm_net_shard_gradients(fm_net *net, const void *x, int64_t ldx, const int64_t *rows,
                               int64_t count, const fm_targets *t, const fm_objective *obj,
                               const fm_shard *shard, fm_step_stats *stats)
    int fm_net_apply_gradients(fm_net *net, const fm_objective *obj, const fm_shard *shard,
                               fm_step_stats *stats)

    ctypedef struct fm_ring:
        int rank, world
        int fd_next, fd_prev
        int timeout_ms
        int64_t bytes_sent, bytes_received, calls
        double seconds
        void *shm
        int64_t shm_size, shm_slot
        uint64_t shm_seq

    int fm_ring_attach_shm(fm_ring *ring, int fd)
    void fm_ring_detach_shm(fm_ring *ring)
    int fm_ring_allreduce_f32(fm_ring *ring, float *buf, int64_t n, float *scratch)
    int fm_ring_allreduce_f64(fm_ring *ring, double *buf, int64_t n, double *scratch)
    int64_t fm_ring_scratch_size(int64_t n, int world)
    int fm_net_predict(const fm_net *net, const void *x, int64_t ldx, int64_t count,
                       void *out, void *scratch)
    int fm_net_forward_training(fm_net *net, const void *x, int64_t ldx, int64_t count,
                                void *out)
    int64_t fm_net_scratch_size(const fm_net *net, int64_t count)
    int fm_net_predict_rows(const fm_net *net, const void *x, int64_t ldx, int64_t n, void *out,
                            int64_t chunk, void *scratch, int max_threads)
    int fm_net_evaluate_rows(const fm_net *net, const void *x, int64_t ldx, int64_t n,
                             const fm_targets *t, const fm_objective *obj, int64_t chunk,
                             void *scratch, int max_threads, fm_step_stats *stats)
    int fm_net_fold(fm_net *net)
    int fm_net_infer_role(const fm_net *net, int l)
    int fm_net_needs_fold(const fm_net *net, int l)
    int fm_net_needs_pre(const fm_net *net, int l)
    void fm_act_forward_f32(const fm_act *a, int64_t rows, int64_t cols, const float *z,
                            float *y, int64_t ld)
    void fm_act_forward_f64(const fm_act *a, int64_t rows, int64_t cols, const double *z,
                            double *y, int64_t ld)
    void fm_act_gradient_f32(const fm_act *a, int64_t rows, int64_t cols, const float *z,
                             const float *y, float *g, int64_t ld)
    void fm_act_gradient_f64(const fm_act *a, int64_t rows, int64_t cols, const double *z,
                             const double *y, double *g, int64_t ld)

cdef extern from "internal.h" nogil:
    void fm_philox4x32(const uint32_t *counter, const uint32_t *key, uint32_t *out)
    void fm_dropout_f32(uint64_t seed, int64_t step, int layer, double rate, int64_t row0,
                        int64_t rows, int64_t cols, const float *inp, int64_t ldi, float *out,
                        int64_t ldo, uint16_t *keep)
    void fm_dropout_f64(uint64_t seed, int64_t step, int layer, double rate, int64_t row0,
                        int64_t rows, int64_t cols, const double *inp, int64_t ldi, double *out,
                        int64_t ldo, uint16_t *keep)
    void fm_dropout_backward_kept_f32(const uint16_t *keep, double rate, int64_t rows,
                                      int64_t cols, float *g, int64_t ldg)
    void fm_dropout_backward_kept_f64(const uint16_t *keep, double rate, int64_t rows,
                                      int64_t cols, double *g, int64_t ldg)

cdef extern from "kernels.h" nogil:
    ctypedef struct fm_isa_table:
        const char *name
    const fm_isa_table *fm_isa_tables[]
    const char *fm_isa_table_gap(const fm_isa_table *t)

cdef extern from "testing.h" nogil:
    int fm_bf16_emulation(int enable)
    uint16_t fm_bf16_bits(float x)
