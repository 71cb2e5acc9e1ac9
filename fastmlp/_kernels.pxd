# cdef extern declarations of csrc/fastmlp.h: the C interface of the numeric core.
from libc.stdint cimport int64_t, uint64_t, uint32_t

cdef extern from "fastmlp.h" nogil:
    enum:
        FM_OK, FM_ENOMEM, FM_EINVAL, FM_EINTR, FM_ETARGETS
        FM_F32, FM_F64
        FM_LAYER_DENSE, FM_LAYER_DROPOUT
        FM_LOSS_MSE, FM_LOSS_BCE_SUM
        FM_METRIC_NONE, FM_METRIC_SPARSE_ACC

    int fm_init()
    const char *fm_isa_name()
    const char *fm_isa_detected()
    const char *fm_isa_requested()
    int fm_isa_force(const char *name)
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
    int fm_watch_interrupts()
    void fm_unwatch_interrupts()
    void fm_interrupt_acknowledge()

    int fm_gemm_f32(int trans_a, int trans_b, int64_t m, int64_t n, int64_t k,
                    const float *a, int64_t lda, const float *b, int64_t ldb,
                    float *c, int64_t ldc, const float *bias, int act, int accumulate)
    int fm_gemm_f64(int trans_a, int trans_b, int64_t m, int64_t n, int64_t k,
                    const double *a, int64_t lda, const double *b, int64_t ldb,
                    double *c, int64_t ldc, const double *bias, int act, int accumulate)

    int fm_all_finite_f32(const float *x, int64_t n)
    int fm_all_finite_f64(const double *x, int64_t n)
    void fm_activation_f32(int act, int64_t rows, int64_t cols, float *y, int64_t ldy)
    void fm_activation_f64(int act, int64_t rows, int64_t cols, double *y, int64_t ldy)
    void fm_exp_f32(const float *x, float *y, int64_t n)

    ctypedef struct fm_layer:
        int kind
        int64_t n_in, n_out
        int act
        int use_bias
        double rate
        void *w
        void *b
        void *dw
        void *db

    ctypedef struct fm_optimizer:
        int kind
        double learning_rate, momentum, rho, beta_1, beta_2, epsilon
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

    ctypedef struct fm_objective:
        int loss, metric
        double l2

    ctypedef struct fm_step_stats:
        double loss_sum
        double metric_sum
        double weight_sum
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
    int fm_net_gradients(fm_net *net, const void *x, int64_t ldx, const int64_t *rows,
                         int64_t count, const fm_targets *t, const fm_objective *obj,
                         fm_step_stats *stats)
    int fm_net_predict(const fm_net *net, const void *x, int64_t ldx, int64_t count,
                       void *out, void *scratch)
    int fm_net_evaluate(const fm_net *net, const void *x, int64_t ldx, int64_t count,
                        const fm_targets *t, const fm_objective *obj, void *scratch,
                        fm_step_stats *stats)
    int64_t fm_net_scratch_size(const fm_net *net, int64_t count)
    int fm_net_predict_rows(const fm_net *net, const void *x, int64_t ldx, int64_t n, void *out,
                            int64_t chunk, void *scratch, int max_threads)
    int fm_net_evaluate_rows(const fm_net *net, const void *x, int64_t ldx, int64_t n,
                             const fm_targets *t, const fm_objective *obj, int64_t chunk,
                             void *scratch, int max_threads, fm_step_stats *stats)

cdef extern from "internal.h" nogil:
    void fm_philox4x32(const uint32_t *counter, const uint32_t *key, uint32_t *out)
    void fm_dropout_f32(uint64_t seed, int64_t step, int layer, double rate, int64_t rows,
                        int64_t cols, const float *inp, int64_t ldi, float *out, int64_t ldo)
    void fm_dropout_f64(uint64_t seed, int64_t step, int layer, double rate, int64_t rows,
                        int64_t cols, const double *inp, int64_t ldi, double *out, int64_t ldo)
