# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True
"""The engine: owns every buffer of a network (parameters, gradients,
optimizer state, activations) and runs its steps in C with the GIL released.

Callers (fastmlp.models, fastmlp.ops) validate and convert every argument
first: arrays arrive in the model's dtype, 2-D, with unit stride along rows.
"""
import threading

import numpy as np

cimport numpy as cnp
from cpython.exc cimport PyErr_CheckSignals
from libc.stdint cimport int64_t, uint32_t, uint64_t
from libc.stdlib cimport calloc, free

from ._kernels cimport *

cnp.import_array()

# 0, or -1 when FASTMLP_ISA named a path this CPU cannot run
ISA_INIT_STATUS = fm_init()


cdef _check(int rc, str what):
    if rc == FM_ENOMEM:
        raise MemoryError(f"fastmlp ran out of memory in {what}")
    if rc == FM_ETARGETS:
        raise ValueError(f"the targets do not fit the loss in {what}: a label is outside the "
                         f"output layer's range, or labels were given where the loss needs "
                         f"values (or the reverse); were they changed during the call?")
    if rc == FM_ENOTSUP:
        raise _cpu_feature_error(bf16_unsupported_message(what))
    if rc != FM_OK:
        raise RuntimeError(f"fastmlp internal error {rc} in {what}; please report it")


def _cpu_feature_error(str message):
    from ._validation import CPUFeatureError  # (which imports this module)

    return CPUFeatureError(message)


def bf16_unsupported_message(str what):
    """Why bfloat16 arithmetic is refused here: the missing CPU feature."""
    isa = fm_isa_name().decode()
    detected = fm_isa_detected().decode()
    where = (f"this CPU's best path is {detected!r}" if isa == detected
             else f"the path in use is {isa!r} (forced; this CPU's best is {detected!r})")
    return (f"{what} needs bfloat16 arithmetic, which needs a CPU with AVX512_BF16 (the "
            f"vdpbf16ps instruction: Intel Cooper Lake or Sapphire Rapids and later, AMD Zen 4 "
            f"and later); {where}, without it. fastmlp does not emulate bfloat16, which would "
            f"be slower than float32: use dtype='float32' (or quantize('int8') for inference)")


# Calls of at least this much work (flops) from the main thread answer Ctrl-C
# while they run; shorter ones return within milliseconds anyway.
cdef double WATCH_FLOPS = 2e7


cdef bint _watch(double flops) except -1:
    """Arm the engine's Ctrl-C watch for a call of `flops` (main thread only:
    Python acts on signals there). Pair with fm_unwatch_interrupts()."""
    if flops < WATCH_FLOPS or threading.get_ident() != threading.main_thread().ident:
        return False
    fm_watch_interrupts()
    return True


cdef int _interrupted() except -1:
    """After FM_EINTR: run Python's signal handlers (KeyboardInterrupt raises
    here); if none raised, the interrupted piece of work is redone."""
    PyErr_CheckSignals()
    fm_interrupt_acknowledge()
    return 0


cdef inline void *_data(cnp.ndarray a) except? NULL:
    """The data of an array the C core reads or writes, which must be aligned
    for its dtype: numpy allows unaligned arrays (a buffer at an odd offset,
    data unpickled by Dask), which C may not load. The validation layer copies
    them (_validation.contiguous); this refuses any that slip through."""
    if not cnp.PyArray_ISALIGNED(a):
        raise ValueError(f"an array of dtype {a.dtype} is not aligned to its element size; "
                         f"pass an aligned copy (numpy.require(a, requirements='CA'))")
    return cnp.PyArray_DATA(a)


cdef inline char *_ptr(cnp.ndarray a) except? NULL:
    return <char *>_data(a)


cdef inline int64_t _row_stride(cnp.ndarray a):
    """Row stride in elements of a 2-D array whose rows have unit stride."""
    if a.shape[0] <= 1:
        return a.shape[1]
    return a.strides[0] // a.itemsize


# ---------------------------------------------------------------- configuration

def config():
    return {
        "simd": fm_isa_name().decode(),
        "simd_detected": fm_isa_detected().decode(),
        "simd_requested": fm_isa_requested().decode(),
        "compiler": fm_compiler().decode(),
        "openmp": bool(fm_openmp_enabled()),
        "openmp_version": fm_openmp_version(),
        "num_threads": fm_get_num_threads(),
        "num_procs": fm_num_procs(),
        "forked_single_threaded": bool(fm_forked_single_threaded()),
        "contended": bool(fm_contended()),
        "contention_events": fm_contention_events(),
        "bf16_kernels": fm_bf16_kernels_name().decode() or None,
        "int8_kernels": fm_s8_kernels_name().decode(),
    }


def bf16_supported():
    """Whether the path in use has bfloat16 kernels."""
    return bool(fm_bf16_supported())


def get_num_threads():
    return fm_get_num_threads()


def set_num_threads(int n):
    fm_set_num_threads(n)


def peak_gflops(int threads, double seconds):
    """float32 FMA peak of `threads` threads, measured now (for benchmarks)."""
    cdef double result
    with nogil:
        result = fm_peak_gflops(threads, seconds)
    return result


PEAKS = {"fma": FM_PEAK_FMA, "bf16": FM_PEAK_BF16, "vnni": FM_PEAK_VNNI}


def peak(int kind, int threads, double seconds):
    """Peak G operations per second of an instruction (PEAKS), 0 without it."""
    cdef double result
    with nogil:
        result = fm_peak(kind, threads, seconds)
    return result


def force_isa(str name):
    """Switch the micro-kernels in use (tests only: not safe while computing)."""
    return fm_isa_force(name.encode()) == 0


def reset_isa():
    fm_init()


def isa_tables():
    """{name: None, or the first entry left empty} for every kernel table
    compiled in, runnable on this CPU or not (tests)."""
    tables = {}
    cdef int i = 0
    cdef const char *gap
    while fm_isa_tables[i] != NULL:
        gap = fm_isa_table_gap(fm_isa_tables[i])
        tables[fm_isa_tables[i].name.decode()] = None if gap == NULL else gap.decode()
        i += 1
    return tables


# ---------------------------------------------------------------- kernels

def gemm(cnp.ndarray a, bint trans_a, cnp.ndarray b, bint trans_b, cnp.ndarray c,
         cnp.ndarray bias=None, int act=0, bint accumulate=False, bint bf16=False):
    """c = op(a) @ op(b) (+ bias, activation), arrays with unit row stride;
    with bf16 (float32 only), the operands rounded to bfloat16."""
    cdef int64_t m = c.shape[0], n = c.shape[1]
    cdef int64_t k = a.shape[0] if trans_a else a.shape[1]
    cdef int64_t lda = _row_stride(a), ldb = _row_stride(b), ldc = _row_stride(c)
    cdef char *pa = _ptr(a)
    cdef char *pb = _ptr(b)
    cdef char *pc = _ptr(c)
    cdef char *pbias = _ptr(bias) if bias is not None else NULL
    cdef int rc = FM_EINTR
    # an accumulating product cannot be redone after an interrupt, so it is not watched
    cdef bint watched = not accumulate and _watch(2.0 * m * n * k)
    try:
        while rc == FM_EINTR:
            if c.dtype == np.float64:
                with nogil:
                    rc = fm_gemm_f64(trans_a, trans_b, m, n, k, <double *>pa, lda, <double *>pb,
                                     ldb, <double *>pc, ldc, <double *>pbias, act, accumulate)
            elif bf16:
                with nogil:
                    rc = fm_gemm_bf16(trans_a, trans_b, m, n, k, <float *>pa, lda, <float *>pb,
                                      ldb, <float *>pc, ldc, <float *>pbias, act, accumulate)
            else:
                with nogil:
                    rc = fm_gemm_f32(trans_a, trans_b, m, n, k, <float *>pa, lda, <float *>pb,
                                     ldb, <float *>pc, ldc, <float *>pbias, act, accumulate)
            if rc == FM_EINTR:
                _interrupted()
    finally:
        if watched:
            fm_unwatch_interrupts()
    _check(rc, "matmul")


cdef bint _unit_rows(cnp.ndarray x):
    """Whether x's rows have unit element stride and do not overlap."""
    cdef Py_ssize_t item = x.itemsize
    cdef Py_ssize_t rows = x.shape[0], cols = x.shape[1]
    cdef Py_ssize_t s0 = x.strides[0], s1 = x.strides[1]
    if not cnp.PyArray_ISALIGNED(x):
        return False
    if cols > 1 and s1 != item:
        return False
    return rows <= 1 or (s0 >= cols * item and s0 % item == 0)


cdef tuple _span(cnp.ndarray x):
    """[first, last] byte addresses x touches."""
    cdef Py_ssize_t lo = <Py_ssize_t>cnp.PyArray_DATA(x), hi = lo, i, extent
    for i in range(x.ndim):
        if x.shape[i] == 0:
            return (0, -1)
        extent = (x.shape[i] - 1) * x.strides[i]
        if extent < 0:
            lo += extent
        else:
            hi += extent
    return (lo, hi + x.itemsize - 1)


cdef bint _overlap(cnp.ndarray x, cnp.ndarray y):
    a, b = _span(x), _span(y)
    return a[0] <= b[1] and b[0] <= a[1]


def matmul(cnp.ndarray a, cnp.ndarray b, bint trans_a, bint trans_b, cnp.ndarray out,
           bint bf16=False):
    """op(a) @ op(b) for 2-D arrays of one float dtype and matching inner
    dimensions (checked by the caller), into out (or a new array). Copies an
    operand only when neither it nor its transpose has unit row stride, or
    when it is not aligned for its dtype."""
    if not a.flags.aligned:
        a = np.require(a, requirements="CA")
    if not b.flags.aligned:
        b = np.require(b, requirements="CA")
    if not _unit_rows(a):
        if _unit_rows(a.T):
            a, trans_a = a.T, not trans_a
        else:
            a = np.ascontiguousarray(a)
    if not _unit_rows(b):
        if _unit_rows(b.T):
            b, trans_b = b.T, not trans_b
        else:
            b = np.ascontiguousarray(b)
    cdef Py_ssize_t m = a.shape[1] if trans_a else a.shape[0]
    cdef Py_ssize_t n = b.shape[0] if trans_b else b.shape[1]
    target = out
    if (out is None or not out.flags.aligned or not _unit_rows(out) or _overlap(out, a)
            or _overlap(out, b)):
        target = np.empty((m, n), dtype=a.dtype)
    if bf16 and not fm_bf16_supported():
        raise _cpu_feature_error(bf16_unsupported_message("a bfloat16 matmul"))
    if m > 0 and n > 0:
        gemm(a, trans_a, b, trans_b, target, bf16=bf16)
    if out is None:
        return target
    if target is not out:
        out[...] = target
    return out


def all_finite(cnp.ndarray x):
    """Whether a C-contiguous float32/float64 array holds only finite values
    (one pass, no temporary; the caller checks contiguity and dtype)."""
    cdef int64_t n = x.size
    cdef const void *p = _data(x)
    cdef int ok
    if x.dtype == np.float32:
        with nogil:
            ok = fm_all_finite_f32(<const float *>p, n)
    else:
        with nogil:
            ok = fm_all_finite_f64(<const double *>p, n)
    return bool(ok)


def activation(int act, cnp.ndarray y):
    """Apply an activation in place to a C-contiguous 2-D array."""
    cdef int64_t rows = y.shape[0], cols = y.shape[1]
    cdef char *p = _ptr(y)
    if y.dtype == np.float64:
        with nogil:
            fm_activation_f64(act, rows, cols, <double *>p, cols)
    else:
        with nogil:
            fm_activation_f32(act, rows, cols, <float *>p, cols)


def act_forward(tuple act, cnp.ndarray z):
    """f(z) for an activation (code, alpha, max_value, threshold), as the
    engine computes it outside the GEMM (for tests), C-contiguous 2-D z."""
    cdef fm_act a
    a.code, a.alpha, a.max_value, a.threshold = act
    out = np.empty_like(z)
    if z.dtype == np.float64:
        fm_act_forward_f64(&a, z.shape[0], z.shape[1], <const double *>_ptr(z),
                           <double *>_ptr(out), z.shape[1])
    else:
        fm_act_forward_f32(&a, z.shape[0], z.shape[1], <const float *>_ptr(z),
                           <float *>_ptr(out), z.shape[1])
    return out


def act_gradient(tuple act, cnp.ndarray z, cnp.ndarray y, cnp.ndarray g):
    """g ⊙ f'(z) (given y = f(z)), as a new array (for tests)."""
    cdef fm_act a
    a.code, a.alpha, a.max_value, a.threshold = act
    out = g.copy()
    if z.dtype == np.float64:
        fm_act_gradient_f64(&a, z.shape[0], z.shape[1], <const double *>_ptr(z),
                            <const double *>_ptr(y), <double *>_ptr(out), z.shape[1])
    else:
        fm_act_gradient_f32(&a, z.shape[0], z.shape[1], <const float *>_ptr(z),
                            <const float *>_ptr(y), <float *>_ptr(out), z.shape[1])
    return out


def exp_f32(cnp.ndarray x):
    """The float32 exp that softmax uses on the current SIMD path (for tests)."""
    out = np.empty_like(x)
    fm_exp_f32(<const float *>_ptr(x), <float *>_ptr(out), x.size)
    return out


def philox4x32(counter, key):
    cdef uint32_t c[4]
    cdef uint32_t k[2]
    cdef uint32_t out[4]
    for i in range(4):
        c[i] = counter[i]
    k[0] = key[0]
    k[1] = key[1]
    fm_philox4x32(c, k, out)
    return [out[0], out[1], out[2], out[3]]


def dropout(uint64_t seed, int64_t step, int layer, double rate, cnp.ndarray x,
            int64_t row0=0, bint keep=False):
    """The training-time dropout of a C-contiguous 2-D array, as a new array;
    its rows are rows row0, row0 + 1, ... of their batch (for the masks).
    With keep, also the mask's bits as a training step stores them:
    (out, bits), bits uint16 of shape (rows, ceil(cols / 16))."""
    out = np.empty_like(x)
    cdef int64_t rows = x.shape[0], cols = x.shape[1]
    bits = np.zeros((rows, (cols + 15) // 16), dtype=np.uint16) if keep else None
    cdef uint16_t *pk = <uint16_t *>_data(bits) if keep else NULL
    if x.dtype == np.float64:
        fm_dropout_f64(seed, step, layer, rate, row0, rows, cols, <double *>_ptr(x), cols,
                       <double *>_ptr(out), cols, pk)
    else:
        fm_dropout_f32(seed, step, layer, rate, row0, rows, cols, <float *>_ptr(x), cols,
                       <float *>_ptr(out), cols, pk)
    return (out, bits) if keep else out


def dropout_apply(cnp.ndarray bits, double rate, cnp.ndarray g):
    """Dropout's backward from stored bits (as dropout(..., keep=True) gives
    them), in place on the C-contiguous 2-D array g."""
    cdef int64_t rows = g.shape[0], cols = g.shape[1]
    if bits.dtype != np.uint16 or bits.shape[0] != rows or bits.shape[1] != (cols + 15) // 16:
        raise ValueError("bits do not fit g")
    cdef const uint16_t *pk = <const uint16_t *>_data(bits)
    if g.dtype == np.float64:
        fm_dropout_backward_kept_f64(pk, rate, rows, cols, <double *>_ptr(g), cols)
    else:
        fm_dropout_backward_kept_f32(pk, rate, rows, cols, <float *>_ptr(g), cols)


# ---------------------------------------------------------------- quantized products

PRECISIONS = {"native": FM_PRECISION_NATIVE, "mixed_bfloat16": FM_PRECISION_MIXED_BF16,
              "int8": FM_PRECISION_INT8, "bfloat16": FM_PRECISION_BF16}
PRECISION_COUNT = FM_PRECISION_COUNT
S8_MAX_K = FM_S8_MAX_K


cdef class PackedWeights:
    """A k × n kernel packed once for quantized products (fm_packed_weights):
    mode "int8" from an int8 kernel and its per-column kernel_scale (Keras's
    convention: kernel ≈ w·kernel_scale), or "bfloat16" from a float32 kernel
    (rounded to bfloat16). The caller checks shapes and dtypes."""
    cdef fm_packed_weights c
    cdef readonly str mode
    cdef readonly object packed, step, colsum

    def __init__(self, str mode, cnp.ndarray kernel, cnp.ndarray kernel_scale=None):
        cdef int64_t k = kernel.shape[0], n = kernel.shape[1]
        cdef int rc
        kernel = np.ascontiguousarray(kernel)
        self.mode = mode
        self.c.k, self.c.n = k, n
        self.step = np.zeros(n, dtype=np.float32)
        self.colsum = np.zeros(n, dtype=np.int32)
        if mode == "int8":
            if k > FM_S8_MAX_K:
                raise ValueError(f"int8 products take at most {FM_S8_MAX_K} inputs; got {k}")
            kernel_scale = np.ascontiguousarray(kernel_scale, dtype=np.float32)
            self.packed = np.zeros(fm_s8_packed_bytes(k, n), dtype=np.int8)
            rc = fm_pack_s8_weights(k, n, <const int8_t *>_ptr(kernel), n,
                                    <const float *>_ptr(kernel_scale), <int8_t *>_ptr(self.packed),
                                    <float *>_ptr(self.step), <int32_t *>_ptr(self.colsum))
            if rc == FM_EINVAL:
                raise ValueError("kernel_scale must hold positive finite values")
        elif mode == "bfloat16":
            self.packed = np.zeros(fm_bf16_packed_words(k, n), dtype=np.uint32)
            rc = fm_pack_bf16_weights(k, n, <const float *>_ptr(kernel), n,
                                      <uint32_t *>_ptr(self.packed))
        else:
            raise ValueError(f"unknown mode {mode!r}")
        _check(rc, "packing weights")
        self.c.packed = _data(self.packed)
        self.c.step = <const float *>_data(self.step)
        self.c.colsum = <const int32_t *>_data(self.colsum)

    @property
    def shape(self):
        return (self.c.k, self.c.n)


def packed_matmul(cnp.ndarray x, PackedWeights w not None, cnp.ndarray out,
                  cnp.ndarray bias=None, int act=0):
    """out = act(x @ w + bias) with w's quantized kernels: x C-contiguous
    float32 (m, k), out (m, n), bias float32 (n,) or None (checked by the caller)."""
    cdef int64_t m = x.shape[0]
    cdef const float *px = <const float *>_ptr(x)
    cdef float *po = <float *>_ptr(out)
    cdef const float *pb = <const float *>_ptr(bias) if bias is not None else NULL
    cdef int rc = FM_EINTR
    cdef bint int8 = w.mode == "int8"
    if not int8 and not fm_bf16_supported():
        raise _cpu_feature_error(bf16_unsupported_message("a bfloat16 product"))
    cdef bint watched = _watch(2.0 * m * w.c.k * w.c.n)
    try:
        while rc == FM_EINTR:
            with nogil:
                if int8:
                    rc = fm_gemm_s8(m, px, w.c.k, &w.c, po, w.c.n, pb, act)
                else:
                    rc = fm_gemm_bf16_packed(m, px, w.c.k, &w.c, po, w.c.n, pb, act)
            if rc == FM_EINTR:
                _interrupted()
    finally:
        if watched:
            fm_unwatch_interrupts()
    _check(rc, "a quantized product")


# ---------------------------------------------------------------- test hooks

def _test_bf16_emulation(bint enable):
    """Tests only: with enable, a path without bfloat16 kernels runs bfloat16
    products on the emulated ones instead of refusing them. Returns the
    previous setting."""
    return bool(fm_bf16_emulation(enable))


def _test_bf16_round(cnp.ndarray x):
    """Tests only: float32 x rounded to bfloat16 by the engine's portable
    rounding (to nearest, ties to even), as float32."""
    x = np.ascontiguousarray(x, dtype=np.float32)
    out = np.empty((<object>x).shape, dtype=np.uint32)
    cdef const float *px = <const float *>_data(x)
    cdef uint32_t *po = <uint32_t *>_data(out)
    cdef int64_t i
    for i in range(x.size):
        po[i] = (<uint32_t>fm_bf16_bits(px[i])) << 16
    return out.view(np.float32)


# ---------------------------------------------------------------- the network

from libc.math cimport INFINITY

# the codes of csrc/fastmlp.h, for fastmlp's Python modules (tests check that
# every code has a name there)
LAYER_KINDS = {"dense": FM_LAYER_DENSE, "dropout": FM_LAYER_DROPOUT,
               "batch_normalization": FM_LAYER_BATCHNORM, "activation": FM_LAYER_ACTIVATION,
               "gaussian_noise": FM_LAYER_NOISE}
ACTIVATIONS = {"linear": FM_ACT_LINEAR, "relu": FM_ACT_RELU, "leaky_relu": FM_ACT_LEAKY_RELU,
               "sigmoid": FM_ACT_SIGMOID, "tanh": FM_ACT_TANH, "softmax": FM_ACT_SOFTMAX,
               "exponential": FM_ACT_EXPONENTIAL, "elu": FM_ACT_ELU, "selu": FM_ACT_SELU,
               "softplus": FM_ACT_SOFTPLUS, "softsign": FM_ACT_SOFTSIGN, "swish": FM_ACT_SWISH,
               "gelu": FM_ACT_GELU, "gelu_tanh": FM_ACT_GELU_TANH,
               "hard_sigmoid": FM_ACT_HARD_SIGMOID, "relu6": FM_ACT_RELU6, "mish": FM_ACT_MISH}
ACTIVATION_COUNT = FM_ACT_COUNT
LOSSES = {"mse": FM_LOSS_MSE, "binary_crossentropy": FM_LOSS_BCE,
          "categorical_crossentropy": FM_LOSS_CCE,
          "sparse_categorical_crossentropy": FM_LOSS_SPARSE_CCE,
          "half_squared_sum": FM_LOSS_HALF_SQUARED_SUM, "binary_crossentropy_sum": FM_LOSS_BCE_SUM,
          "half_poisson": FM_LOSS_HALF_POISSON, "mae": FM_LOSS_MAE, "huber": FM_LOSS_HUBER,
          "log_cosh": FM_LOSS_LOG_COSH, "poisson": FM_LOSS_POISSON, "kl_divergence": FM_LOSS_KLD,
          "hinge": FM_LOSS_HINGE, "squared_hinge": FM_LOSS_SQUARED_HINGE,
          "mape": FM_LOSS_MAPE, "msle": FM_LOSS_MSLE}
LOSS_COUNT = FM_LOSS_COUNT
METRICS = {"binary_accuracy": FM_METRIC_BINARY_ACC,
           "categorical_accuracy": FM_METRIC_CATEGORICAL_ACC,
           "sparse_categorical_accuracy": FM_METRIC_SPARSE_ACC, "top_k": FM_METRIC_TOP_K,
           "sparse_top_k": FM_METRIC_SPARSE_TOP_K, "mae": FM_METRIC_MAE, "mse": FM_METRIC_MSE,
           "confusion": FM_METRIC_CONFUSION, "auc": FM_METRIC_AUC}
METRIC_COUNT = FM_METRIC_COUNT
OPTIMIZERS = {"sgd": FM_OPT_SGD, "rmsprop": FM_OPT_RMSPROP, "adam": FM_OPT_ADAM}
MEAN_OVER_ROWS = FM_MEAN_OVER_ROWS
MEAN_OVER_WEIGHTS = FM_MEAN_OVER_WEIGHTS
INFER_SKIP = FM_INFER_SKIP

# kept for the callers of the first engine
DENSE = FM_LAYER_DENSE
DROPOUT = FM_LAYER_DROPOUT


def metric_size(int kind, int k=0, int n_thresholds=0):
    """Accumulator length of a metric (fm_metric_size)."""
    cdef fm_metric m
    m.kind = kind
    m.k = k
    m.n_thresholds = n_thresholds
    return fm_metric_size(&m)


cdef class Objective:
    """What a training or evaluation call is scored against (fm_objective):
    the loss code and its options, scikit-learn's L2 penalty α on the
    kernels, and the metrics, each (kind, weighted, k, class_id, thresholds,
    accumulator[, logits]): the accumulator is a float64 array the caller owns
    and the engine adds to (zero it to reset); logits (AUC) puts the
    predictions through a sigmoid first. Immutable otherwise: compiling again
    makes a new one, so a call in progress keeps the objective it started with.

    metric (old form): 0 for no metric."""
    cdef fm_objective c
    cdef fm_metric *metric_structs
    cdef readonly tuple metrics
    cdef list _keep

    def __cinit__(self):
        self.metric_structs = NULL

    def __init__(self, int loss, metrics=None, double l2=0.0, *, bint from_logits=False,
                 double loss_param=0.0, int reduction=FM_MEAN_OVER_WEIGHTS):
        if not 0 <= loss < FM_LOSS_COUNT:
            raise ValueError(f"unknown loss code {loss}")
        if not l2 >= 0:
            raise ValueError(f"the L2 penalty must be >= 0; got {l2}")
        if reduction not in (FM_MEAN_OVER_ROWS, FM_MEAN_OVER_WEIGHTS):
            raise ValueError(f"unknown reduction {reduction}")
        if metrics is None or (isinstance(metrics, int) and metrics == 0):
            metrics = ()
        metrics = tuple(metrics)
        self.metric_structs = <fm_metric *>calloc(max(1, len(metrics)), sizeof(fm_metric))
        if self.metric_structs == NULL:
            raise MemoryError("fastmlp ran out of memory building an objective")
        self._keep = []
        cdef fm_metric *m
        for i, spec in enumerate(metrics):
            kind, weighted, k, class_id, thresholds, acc = spec[:6]
            if not 0 < kind < FM_METRIC_COUNT:
                raise ValueError(f"unknown metric code {kind}")
            m = &self.metric_structs[i]
            m.logits = bool(spec[6]) if len(spec) > 6 else 0
            m.kind = kind
            m.weighted = bool(weighted)
            m.k = k
            m.class_id = class_id
            if thresholds is not None:
                thresholds = np.ascontiguousarray(thresholds, dtype=np.float64)
                m.thresholds = <const double *>_data(thresholds)
                m.n_thresholds = len(thresholds)
            if (not isinstance(acc, np.ndarray) or acc.dtype != np.float64
                    or not acc.flags.c_contiguous or not acc.flags.writeable
                    or acc.size != fm_metric_size(m)):
                raise ValueError(f"metric {i}'s accumulator must be a writable C-contiguous "
                                 f"float64 array of {fm_metric_size(m)} values")
            m.acc = <double *>_data(acc)
            self._keep += [thresholds, acc]
        self.metrics = metrics
        self.c.loss = loss
        self.c.from_logits = from_logits
        self.c.loss_param = loss_param
        self.c.reduction = reduction
        self.c.normalizer = 0
        self.c.l2 = l2
        self.c.n_metrics = len(metrics)
        self.c.metrics = self.metric_structs

    def __dealloc__(self):
        free(self.metric_structs)

    @property
    def loss(self):
        return self.c.loss

    @property
    def l2(self):
        return self.c.l2

    @property
    def from_logits(self):
        return bool(self.c.from_logits)

    @property
    def reduction(self):
        return self.c.reduction

    def __reduce__(self):
        return (_objective, (self.c.loss, self.metrics, self.c.l2, bool(self.c.from_logits),
                             self.c.loss_param, self.c.reduction))


def _objective(loss, metrics, l2, from_logits, loss_param, reduction):
    return Objective(loss, metrics, l2, from_logits=from_logits, loss_param=loss_param,
                     reduction=reduction)


cdef dict _stats(fm_step_stats *st):
    return {"loss_sum": st.loss_sum, "weight_sum": st.weight_sum, "divisor": st.divisor,
            "penalty": st.penalty, "finite": bool(st.finite),
            "gradients_finite": bool(st.gradients_finite), "applied": bool(st.applied),
            "rejected": st.rejected}


LAYER_DEFAULTS = {"act": (FM_ACT_LINEAR, 0.0, INFINITY, 0.0), "use_bias": False,
                  "use_scale": False, "trainable": True, "rate": 0.0, "momentum": 0.99,
                  "epsilon": 1e-3, "regularizers": (0.0, 0.0, 0.0, 0.0, 0.0, 0.0), "seed": 0,
                  "precision": FM_PRECISION_NATIVE}


cdef class Network:
    """A network's buffers and its C plan (fm_net).

    specs: one dict per layer: "kind" (LAYER_KINDS), "n_in", "n_out", and as
    the kind needs: "act" (code, alpha, max_value, threshold), "use_bias",
    "use_scale", "trainable", "rate", "momentum", "epsilon", "regularizers"
    (kernel l1, l2, bias l1, l2, activity l1, l2), "seed", "precision"
    (PRECISIONS: dense layers; the quantized ones, "int8" and "bfloat16", are
    for inference and never train: an int8 layer's arrays are its int8
    "kernel", its "bias" and its "kernel_scale"; they live outside the
    arena, bias excepted, beside the packed copy fm_net_fold makes). Trainable
    parameters live in one arena (`params`, gradients in `grads`), layer by
    layer: dense kernel then bias, batch normalization gamma then beta; the
    moving statistics in `state`. `arrays[l]` lists layer l's arrays in
    Keras's get_weights order as (name, view); `weights[l]` is (kernel, bias)
    for dense layers, (None, None) for the others.
    """
    cdef fm_net net
    cdef fm_layer *layers
    cdef void **outputs
    cdef readonly object dtype
    cdef readonly object params
    cdef readonly object grads
    cdef readonly object sync_buffer
    cdef readonly object state
    cdef readonly list arrays
    cdef readonly list gradient_arrays
    cdef readonly list specs
    cdef object slot1, slot2
    cdef list output_arrays, pre_arrays, keep_arrays, stat_arrays, fold_arrays, quant_arrays
    cdef object x_batch, grad_a, grad_b
    # A training call (train_batch, gradients) in progress: it uses the
    # training buffers and the optimizer state, so nothing may replace them and
    # no second one may start (changed only with the GIL held).
    cdef int training
    cdef object fold_lock
    cdef object __weakref__

    def __cinit__(self):
        self.layers = NULL
        self.outputs = NULL
        self.training = 0

    def __init__(self, dtype, specs, uint64_t dropout_seed):
        self.dtype = np.dtype(dtype)
        cdef int n = len(specs)
        if n < 1:
            raise ValueError("a network needs at least one layer")
        self.specs = [dict(LAYER_DEFAULTS, **spec) for spec in specs]
        self.layers = <fm_layer *>calloc(n, sizeof(fm_layer))
        self.outputs = <void **>calloc(n, sizeof(void *))
        if self.layers == NULL or self.outputs == NULL:
            raise MemoryError("fastmlp ran out of memory building the network")
        total, states = 0, 0
        for spec in self.specs:
            total += self._param_count(spec)
            states += 2 * spec["n_out"] if spec["kind"] == FM_LAYER_BATCHNORM else 0
        try:
            self.params = np.zeros(total, dtype=self.dtype)
            # one more value: data-parallel training's flag slot (fm_net_shard_gradients)
            self.sync_buffer = np.zeros(total + 1, dtype=self.dtype)
            self.grads = self.sync_buffer[:total]
            self.state = np.zeros(states, dtype=self.dtype)
        except (MemoryError, ValueError):
            raise MemoryError(f"fastmlp cannot allocate {total:,} parameters "
                              f"({2 * total * self.dtype.itemsize:,} bytes with gradients)") from None
        self.arrays, self.gradient_arrays, self.stat_arrays = [], [], []
        self.quant_arrays = []
        cdef int64_t offset = 0, state_offset = 0
        widest = self.specs[0]["n_in"]
        for i, spec in enumerate(self.specs):
            widest = max(widest, spec["n_out"])
            offset, state_offset = self._place(i, spec, offset, state_offset)
        self.net.dtype = FM_F64 if self.dtype == np.float64 else FM_F32
        self.net.n_layers = n
        self.net.layers = self.layers
        self.net.n_in = self.specs[0]["n_in"]
        self.net.batch_cap = 0
        self.net.max_width = widest
        self.net.outputs = self.outputs
        self.net.n_params = total
        self.net.params = _data(self.params)
        self.net.grads = _data(self.grads)
        self.net.dropout_seed = dropout_seed
        self.net.version = 0
        self.net.folded_version = -1
        self.output_arrays, self.pre_arrays, self.keep_arrays = [], [], []
        self.fold_arrays = []
        for i in range(n):
            if fm_net_needs_fold(&self.net, i):
                spec = self.specs[i]
                fw = np.zeros((spec["n_in"], spec["n_out"]), dtype=self.dtype)
                fb = np.zeros(spec["n_out"], dtype=self.dtype)
                self.layers[i].fold_w = _data(fw)
                self.layers[i].fold_b = _data(fb)
                self.fold_arrays += [fw, fb]
        self.fold_lock = threading.Lock()

    @staticmethod
    def _param_count(spec):
        if spec["kind"] == FM_LAYER_DENSE:
            kernel = 0 if spec["precision"] == FM_PRECISION_INT8 else spec["n_in"] * spec["n_out"]
            return kernel + (spec["n_out"] if spec["use_bias"] else 0)
        if spec["kind"] == FM_LAYER_BATCHNORM:
            return spec["n_out"] * (int(bool(spec["use_scale"])) + int(bool(spec["use_bias"])))
        return 0

    cdef _check_precision(self, int kind, int precision):
        if kind != FM_LAYER_DENSE:
            raise ValueError("only dense layers take a precision")
        if self.dtype != np.float32:
            raise ValueError(f"mixed and quantized precisions are for float32 networks; this "
                             f"one is {self.dtype}")
        if precision in (FM_PRECISION_MIXED_BF16, FM_PRECISION_BF16) and not fm_bf16_supported():
            raise _cpu_feature_error(bf16_unsupported_message(
                "dtype='mixed_bfloat16'" if precision == FM_PRECISION_MIXED_BF16
                else "a model quantized to bfloat16"))

    cdef list _quantized_arrays(self, fm_layer *L, int precision, list named):
        """A quantized dense layer's own arrays and packed copy; returns its
        named arrays (int8: kernel, bias, kernel_scale)."""
        cdef int64_t n_in = L.n_in, n_out = L.n_out
        if precision == FM_PRECISION_INT8:
            kernel = np.zeros((n_in, n_out), dtype=np.int8)
            scale = np.ones(n_out, dtype=np.float32)
            L.w, L.dw, L.qscale = _data(kernel), NULL, _data(scale)
            packed = np.zeros(fm_s8_packed_bytes(n_in, n_out), dtype=np.int8)
            named = [("kernel", kernel)] + named + [("kernel_scale", scale)]
            self.quant_arrays += [kernel, scale]
        else:
            packed = np.zeros(fm_bf16_packed_words(n_in, n_out), dtype=np.uint32)
        step = np.zeros(n_out, dtype=np.float32)
        colsum = np.zeros(n_out, dtype=np.int32)
        L.packed, L.qstep, L.qsum = (_data(packed), _data(step),
                                     _data(colsum))
        self.quant_arrays += [packed, step, colsum]
        return named

    cdef tuple _place(self, int i, dict spec, int64_t offset, int64_t state_offset):
        """Fill layer i's fm_layer and views; returns the arenas' next offsets."""
        cdef fm_layer *L = &self.layers[i]
        kind, n_in, n_out = spec["kind"], spec["n_in"], spec["n_out"]
        if not 0 <= kind < FM_LAYER_COUNT:
            raise ValueError(f"unknown layer kind {kind}")
        if kind != FM_LAYER_DENSE and n_in != n_out:
            raise ValueError(f"layer {i} keeps its width: n_in {n_in} != n_out {n_out}")
        code, alpha, max_value, threshold = spec["act"]
        if not 0 <= code < FM_ACT_COUNT:
            raise ValueError(f"unknown activation code {code}")
        L.kind, L.n_in, L.n_out = kind, n_in, n_out
        L.act.code, L.act.alpha, L.act.max_value, L.act.threshold = code, alpha, max_value, threshold
        L.use_bias, L.use_scale, L.trainable = spec["use_bias"], spec["use_scale"], spec["trainable"]
        L.rate, L.momentum, L.epsilon, L.seed = spec["rate"], spec["momentum"], spec["epsilon"], spec["seed"]
        (L.kernel_l1, L.kernel_l2, L.bias_l1, L.bias_l2, L.activity_l1,
         L.activity_l2) = spec["regularizers"]
        precision = spec["precision"]
        if not 0 <= precision < FM_PRECISION_COUNT:
            raise ValueError(f"unknown precision code {precision}")
        if precision != FM_PRECISION_NATIVE:
            self._check_precision(kind, precision)
        quantized = precision in (FM_PRECISION_INT8, FM_PRECISION_BF16)
        L.precision = precision
        L.trainable = spec["trainable"] and not quantized
        L.offset = offset
        named, grads = [], []
        if kind == FM_LAYER_DENSE:
            first = ("kernel", (n_in, n_out), n_in * n_out)
            parts = [] if precision == FM_PRECISION_INT8 else [first]
            parts += [("bias", (n_out,), n_out)] if spec["use_bias"] else []
        elif kind == FM_LAYER_BATCHNORM:
            parts = ([("gamma", (n_out,), n_out)] if spec["use_scale"] else []) + \
                    ([("beta", (n_out,), n_out)] if spec["use_bias"] else [])
        else:
            parts = []
        for name, shape, size in parts:
            view = self.params[offset:offset + size].reshape(shape)
            grad = self.grads[offset:offset + size].reshape(shape)
            if name in ("kernel", "gamma"):
                L.w, L.dw = _data(view), _data(grad)
            else:
                L.b, L.db = _data(view), _data(grad)
            named.append((name, view))
            grads.append((name, grad))
            offset += size
        L.count = offset - L.offset
        if quantized:
            named = self._quantized_arrays(L, precision, named)
        if kind == FM_LAYER_BATCHNORM:
            mm = self.state[state_offset:state_offset + n_out]
            mv = self.state[state_offset + n_out:state_offset + 2 * n_out]
            mv[...] = 1
            L.moving_mean, L.moving_var = _data(mm), _data(mv)
            named += [("moving_mean", mm), ("moving_variance", mv)]
            state_offset += 2 * n_out
            stats = np.zeros(3 * n_out, dtype=self.dtype)  # batch mean, 1/std, variance
            L.batch_stats = _data(stats)
            self.stat_arrays.append(stats)
        self.arrays.append(named)
        self.gradient_arrays.append(grads)
        return offset, state_offset

    def __dealloc__(self):
        free(self.layers)
        free(self.outputs)

    @property
    def n_in(self):
        return self.net.n_in

    @property
    def n_out(self):
        return self.layers[self.net.n_layers - 1].n_out

    @property
    def n_layers(self):
        return self.net.n_layers

    @property
    def weights(self):
        """(kernel, bias or None) per dense layer, (None, None) for the others."""
        out = []
        for spec, named in zip(self.specs, self.arrays):
            d = dict(named)
            out.append((d["kernel"], d.get("bias")) if spec["kind"] == FM_LAYER_DENSE
                       else (None, None))
        return out

    @property
    def gradients_views(self):
        out = []
        for spec, named in zip(self.specs, self.gradient_arrays):
            d = dict(named)
            out.append((d["kernel"], d.get("bias")) if spec["kind"] == FM_LAYER_DENSE
                       else (None, None))
        return out

    def touch(self):
        """Note that parameters or state were written from outside (set_weights)."""
        self.net.version += 1

    def set_trainable(self, int layer, bint trainable):
        """Freeze (or unfreeze) a layer: its parameters are not updated, and a
        batch normalization then runs on its moving statistics in training."""
        self._require_idle("change what is trainable")
        if not 0 <= layer < self.net.n_layers:
            raise IndexError(f"no layer {layer}")
        quantized = self.layers[layer].precision in (FM_PRECISION_INT8, FM_PRECISION_BF16)
        self.layers[layer].trainable = trainable and not quantized  # quantized: never
        self.specs[layer]["trainable"] = bool(trainable)
        self.net.version += 1

    def infer_roles(self):
        """Per layer: whether it runs at inference (False: identity, or folded)."""
        return [fm_net_infer_role(&self.net, i) != FM_INFER_SKIP for i in range(self.net.n_layers)]

    cdef _check_rows(self, cnp.ndarray x, str name):
        """x must be C-contiguous rows of n_in values in the network's dtype:
        the C core reads it through a raw pointer."""
        if (x.ndim != 2 or x.shape[1] != self.net.n_in or x.dtype != self.dtype
                or not x.flags.c_contiguous):
            raise ValueError(f"{name} must be a C-contiguous ({self.net.n_in}-column, "
                             f"{self.dtype}) array for this network; got shape "
                             f"{(<object>x).shape} and dtype {x.dtype}")

    cdef _check_targets(self, int64_t n, cnp.ndarray y, cnp.ndarray labels,
                        cnp.ndarray weights):
        cdef int64_t width = self.n_out
        if labels is not None and (labels.ndim != 1 or labels.shape[0] < n
                                   or labels.dtype != np.int64
                                   or not labels.flags.c_contiguous):
            raise ValueError(f"labels must be C-contiguous int64 with {n} values")
        if y is not None and (y.ndim != 2 or y.shape[0] < n or y.shape[1] != width
                              or y.dtype != self.dtype or not y.flags.c_contiguous):
            raise ValueError(f"targets must be a C-contiguous ({n}, {width}) {self.dtype} array")
        if y is None and labels is None:
            raise ValueError("targets or labels are needed")
        if weights is not None and (weights.ndim != 1 or weights.shape[0] < n
                                    or weights.dtype != np.float64
                                    or not weights.flags.c_contiguous):
            raise ValueError(f"sample weights must be C-contiguous float64 with {n} values")

    @property
    def dropout_seed(self):
        return self.net.dropout_seed

    @dropout_seed.setter
    def dropout_seed(self, uint64_t value):
        self.net.dropout_seed = value

    @property
    def iterations(self):
        return self.net.opt.iterations

    @iterations.setter
    def iterations(self, int64_t value):
        self.net.opt.iterations = value

    @property
    def version(self):
        return self.net.version

    cdef _require_idle(self, str what):
        if self.training:
            raise RuntimeError(f"cannot {what} while this network is training (a fit in "
                               f"progress, in this thread or another)")

    cdef _begin_training(self):
        self._require_idle("start training")
        for spec in self.specs:
            if spec["precision"] in (FM_PRECISION_INT8, FM_PRECISION_BF16):
                raise RuntimeError("this network has layers quantized for inference "
                                   "(Model.quantize): it cannot train")
        self.training = 1

    def set_optimizer(self, int kind, double learning_rate, double momentum, double rho,
                      double beta_1, double beta_2, double epsilon, bint nesterov,
                      double weight_decay=0.0):
        """Set the update rule; its state starts from zero (as a new Keras optimizer)."""
        self._require_idle("change the optimizer")
        self.net.opt.kind = kind
        self.set_hyperparameters(learning_rate, momentum, rho, beta_1, beta_2, epsilon, nesterov,
                                 weight_decay)
        self.net.opt.iterations = 0
        self.slot1 = np.zeros_like(self.params)
        self.slot2 = np.zeros_like(self.params)
        self.net.opt.slot1 = _data(self.slot1)
        self.net.opt.slot2 = _data(self.slot2)

    def set_clipping(self, double clip_value=0.0, double clip_norm=0.0,
                     double global_clip_norm=0.0):
        """Keras's gradient clipping (0: off)."""
        self.net.opt.clip_value = clip_value
        self.net.opt.clip_norm = clip_norm
        self.net.opt.global_clip_norm = global_clip_norm

    def set_hyperparameters(self, double learning_rate, double momentum, double rho,
                            double beta_1, double beta_2, double epsilon, bint nesterov,
                            double weight_decay=0.0):
        self.net.opt.learning_rate = learning_rate
        self.net.opt.momentum = momentum
        self.net.opt.rho = rho
        self.net.opt.beta_1 = beta_1
        self.net.opt.beta_2 = beta_2
        self.net.opt.epsilon = epsilon
        self.net.opt.nesterov = nesterov
        self.net.opt.weight_decay = weight_decay

    def set_learning_rate(self, double learning_rate):
        self.net.opt.learning_rate = learning_rate

    def optimizer_slots(self):
        """The optimizer's state arrays (live views), or None before set_optimizer."""
        if self.slot1 is None:
            return None
        return self.slot1, self.slot2

    def reserve(self, int64_t batch_cap):
        """Allocate the training buffers for batches of up to batch_cap rows."""
        if batch_cap <= self.net.batch_cap:
            return
        self._require_idle("resize the training buffers")
        cdef int i
        outputs, pres, keeps = [], [], []
        for i in range(self.net.n_layers):
            outputs.append(np.empty((batch_cap, self.layers[i].n_out), dtype=self.dtype))
            pres.append(np.empty((batch_cap, self.layers[i].n_out), dtype=self.dtype)
                        if fm_net_needs_pre(&self.net, i) else None)
            # dropout's mask as bits, 16 columns to a word, for the backward
            keeps.append(np.empty((batch_cap, (self.layers[i].n_out + 15) // 16), dtype=np.uint16)
                         if self.layers[i].kind == FM_LAYER_DROPOUT else None)
        x_batch = np.empty((batch_cap, self.net.n_in), dtype=self.dtype)
        grad_a = np.empty((batch_cap, self.net.max_width), dtype=self.dtype)
        grad_b = np.empty((batch_cap, self.net.max_width), dtype=self.dtype)
        self.output_arrays, self.pre_arrays, self.keep_arrays = outputs, pres, keeps
        for i in range(self.net.n_layers):
            self.outputs[i] = _data(outputs[i])
            self.layers[i].pre = _data(pres[i]) if pres[i] is not None else NULL
            self.layers[i].keep = _data(keeps[i]) if keeps[i] is not None else NULL
        self.x_batch, self.grad_a, self.grad_b = x_batch, grad_a, grad_b
        self.net.x_batch = _data(x_batch)
        self.net.grad_a = _data(grad_a)
        self.net.grad_b = _data(grad_b)
        self.net.batch_cap = batch_cap

    def release(self):
        """Free the training buffers."""
        self._require_idle("free the training buffers")
        self.output_arrays, self.pre_arrays, self.keep_arrays = [], [], []
        for i in range(self.net.n_layers):
            self.layers[i].pre = NULL
            self.layers[i].keep = NULL
        self.x_batch = self.grad_a = self.grad_b = None
        self.net.batch_cap = 0

    def last_outputs(self, int64_t count):
        """The last training step's output-layer values (count rows; logits
        where the loss was fused): a copy."""
        if not self.output_arrays or count > self.net.batch_cap:
            raise RuntimeError("no training step has run")
        return self.output_arrays[self.net.n_layers - 1][:count].copy()

    cdef void _targets(self, fm_targets *t, cnp.ndarray y, cnp.ndarray labels,
                       cnp.ndarray weights=None):
        t.y = NULL
        t.ldy = 0
        t.labels = NULL
        t.rows = NULL
        t.weights = NULL
        if weights is not None:
            t.weights = <const double *>_data(weights)
        if labels is not None:
            t.labels = <const int64_t *>_data(labels)
        if y is not None:
            t.y = _data(y)
            t.ldy = y.shape[1]

    cdef double _flops_per_row(self):
        """Forward and backward flops per row, roughly (for the Ctrl-C watch)."""
        return 6.0 * self.net.n_params

    cdef const int64_t *_indexed_rows(self, cnp.ndarray x, cnp.ndarray rows, int64_t start,
                                      int64_t count) except? NULL:
        """rows[start:start+count] (checked by the caller to lie in rows), each
        checked to index a row of x."""
        cdef const int64_t *batch_rows = <const int64_t *>_data(rows) + start
        cdef int64_t i, n_rows = x.shape[0]
        for i in range(count):
            if batch_rows[i] < 0 or batch_rows[i] >= n_rows:
                raise ValueError(f"rows must index the {n_rows} rows of x")
        return batch_rows

    def train_batch(self, cnp.ndarray x, cnp.ndarray y, cnp.ndarray labels,
                    cnp.ndarray rows, int64_t start, int64_t count, cnp.ndarray weights,
                    Objective objective not None):
        """One training step on rows[start:start+count] of x and the targets
        (y and/or integer labels; float64 sample weights optional), scored by
        `objective`. Returns the step's fm_step_stats as a dict."""
        cdef fm_targets t
        cdef fm_step_stats st
        cdef int rc = FM_EINTR
        self._check_rows(x, "x")
        self._check_targets(x.shape[0], y, labels, weights)
        if (rows.ndim != 1 or rows.dtype != np.int64 or not rows.flags.c_contiguous
                or start < 0 or count < 1 or start + count > rows.shape[0]
                or count > self.net.batch_cap):
            raise ValueError(f"rows[{start}:{start + count}] is not a batch of this network "
                             f"(reserved for {self.net.batch_cap} rows)")
        cdef const int64_t *batch_rows = self._indexed_rows(x, rows, start, count)
        self._targets(&t, y, labels, weights)
        t.rows = batch_rows
        cdef const void *px = _data(x)
        cdef int64_t ldx = x.shape[1]
        cdef const fm_objective *obj = &objective.c
        self._begin_training()
        cdef bint watched = _watch(self._flops_per_row() * count)
        try:
            while rc == FM_EINTR:
                with nogil:
                    rc = fm_net_train_step(&self.net, px, ldx, t.rows, count, &t, obj, &st)
                if rc == FM_EINTR:
                    _interrupted()
        finally:
            self.training = 0
            if watched:
                fm_unwatch_interrupts()
        _check(rc, "a training step")
        return _stats(&st)

    cdef _check_shardable(self):
        for i in range(self.net.n_layers):
            if self.layers[i].kind == FM_LAYER_BATCHNORM and self.layers[i].trainable:
                raise ValueError("data-parallel training cannot split a batch across replicas "
                                 "with a trainable BatchNormalization: its statistics would be "
                                 "each shard's, not the global batch's (freeze the layer with "
                                 "trainable=False, or train in one process)")

    cdef _fill_shard(self, fm_shard *shard, int64_t row0, int64_t rows_total,
                     double weight_total):
        if not (row0 >= 0 and rows_total >= 1 and weight_total >= 0):
            raise ValueError(f"a shard needs row0 >= 0, rows_total >= 1 and weight_total >= 0; "
                             f"got {row0}, {rows_total}, {weight_total}")
        shard.row0, shard.rows_total, shard.weight_total = row0, rows_total, weight_total

    def shard_gradients(self, cnp.ndarray x, cnp.ndarray y, cnp.ndarray labels,
                        cnp.ndarray rows, int64_t start, int64_t count, cnp.ndarray weights,
                        Objective objective not None, int64_t row0, int64_t rows_total,
                        double weight_total):
        """This replica's part of a data-parallel step (fm_net_shard_gradients):
        the gradients of rows[start:start+count] of x (count may be 0), which
        are rows row0 .. row0 + count − 1 of a global batch of rows_total rows
        whose weights sum to weight_total, into `grads` and the flag slot of
        `sync_buffer` (sum those over the replicas, then apply_gradients).
        Returns this shard's stats dict (loss_sum, weight_sum, penalty: the
        activity penalty's share)."""
        cdef fm_targets t
        cdef fm_step_stats st
        cdef fm_shard shard
        cdef int rc = FM_EINTR
        self._check_shardable()
        self._fill_shard(&shard, row0, rows_total, weight_total)
        self._check_rows(x, "x")
        self._check_targets(x.shape[0], y, labels, weights)
        if (rows.ndim != 1 or rows.dtype != np.int64 or not rows.flags.c_contiguous
                or start < 0 or count < 0 or start + count > rows.shape[0]
                or count > self.net.batch_cap or row0 + count > rows_total):
            raise ValueError(f"rows[{start}:{start + count}] is not a shard of this network "
                             f"(reserved for {self.net.batch_cap} rows) in a batch of "
                             f"{rows_total} rows from row {row0}")
        cdef const int64_t *batch_rows = self._indexed_rows(x, rows, start, count)
        self._targets(&t, y, labels, weights)
        t.rows = batch_rows
        cdef const void *px = _data(x)
        cdef int64_t ldx = x.shape[1]
        cdef const fm_objective *obj = &objective.c
        self._begin_training()
        cdef bint watched = _watch(self._flops_per_row() * count)
        try:
            while rc == FM_EINTR:
                with nogil:
                    rc = fm_net_shard_gradients(&self.net, px, ldx, t.rows, count, &t, obj,
                                                &shard, &st)
                if rc == FM_EINTR:
                    _interrupted()
        finally:
            self.training = 0
            if watched:
                fm_unwatch_interrupts()
        _check(rc, "a shard's gradients")
        return _stats(&st)

    def apply_gradients(self, Objective objective not None, int64_t rows_total,
                        double weight_total):
        """The update from the summed `sync_buffer` (fm_net_apply_gradients):
        weight penalties, the non-finite guard, clipping, the optimizer's
        rule. Returns the stats dict (finite, gradients_finite, applied,
        rejected, penalty: the weight penalty)."""
        cdef fm_step_stats st
        cdef fm_shard shard
        cdef int rc = FM_EINTR
        self._check_shardable()
        self._fill_shard(&shard, 0, rows_total, weight_total)
        if self.slot1 is None:
            raise RuntimeError("apply_gradients needs an optimizer (set_optimizer)")
        cdef const fm_objective *obj = &objective.c
        self._begin_training()
        try:
            while rc == FM_EINTR:
                with nogil:
                    rc = fm_net_apply_gradients(&self.net, obj, &shard, &st)
                if rc == FM_EINTR:
                    _interrupted()
        finally:
            self.training = 0
        _check(rc, "applying summed gradients")
        return _stats(&st)

    def full_gradient(self, cnp.ndarray x, cnp.ndarray y, cnp.ndarray labels,
                      cnp.ndarray weights, Objective objective not None, int64_t chunk=0):
        """Gradients of the loss over all rows of x (plus the penalties), into
        `grads`, computed `chunk` rows at a time (0: all at once) inside one
        GIL-free call, without dropout, noise, moving statistics or update;
        returns the stats dict."""
        cdef int64_t n = x.shape[0]
        self._check_rows(x, "x")
        self._check_targets(n, y, labels, weights)
        if n == 0:
            raise ValueError("gradients need at least one row")
        chunk = n if chunk <= 0 else min(chunk, n)
        if self.net.batch_cap < chunk:
            self.reserve(chunk)
        cdef fm_targets t
        cdef fm_step_stats st
        cdef int rc = FM_EINTR
        self._targets(&t, y, labels, weights)
        cdef const void *px = _data(x)
        cdef int64_t ldx = x.shape[1]
        cdef const fm_objective *obj = &objective.c
        self._begin_training()
        cdef bint watched = _watch(self._flops_per_row() * n)
        cdef int64_t cap = self.net.batch_cap
        self.net.batch_cap = chunk  # pieces of `chunk` rows
        try:
            while rc == FM_EINTR:
                with nogil:
                    rc = fm_net_gradients(&self.net, px, ldx, n, &t, obj, &st)
                if rc == FM_EINTR:
                    _interrupted()
        finally:
            self.net.batch_cap = cap
            self.training = 0
            if watched:
                fm_unwatch_interrupts()
        _check(rc, "computing gradients")
        return _stats(&st)

    def compute_gradients(self, cnp.ndarray x, cnp.ndarray y, cnp.ndarray labels,
                          cnp.ndarray weights, Objective objective not None):
        """full_gradient over all rows at once."""
        return self.full_gradient(x, y, labels, weights, objective, 0)

    def forward_training(self, cnp.ndarray x, cnp.ndarray out):
        """out = the training-mode forward pass of x (dropout, noise and batch
        statistics on; the moving statistics move), as model(x, training=True)."""
        self._check_rows(x, "x")
        cdef int64_t n = x.shape[0]
        if (out.ndim != 2 or out.shape[0] != n or out.shape[1] != self.n_out
                or out.dtype != self.dtype or not out.flags.c_contiguous):
            raise ValueError("out does not fit this network")
        if n == 0:
            return
        self.reserve(n)
        self._begin_training()
        cdef int rc
        cdef void *px = _data(x)
        cdef void *po = _data(out)
        cdef int64_t ldx = x.shape[1]
        try:
            with nogil:
                rc = fm_net_forward_training(&self.net, px, ldx, n, po)
        finally:
            self.training = 0
        _check(rc, "a training-mode forward pass")

    cdef _scratch(self, int64_t chunk, int threads):
        return np.empty(threads * fm_net_scratch_size(&self.net, chunk), dtype=self.dtype)

    cdef _fold(self):
        """Bring the inference copies (batch normalization folded) up to date."""
        if self.net.folded_version == self.net.version:
            return
        with self.fold_lock:
            _check(fm_net_fold(&self.net), "folding batch normalization")

    def predict(self, cnp.ndarray x, cnp.ndarray out, int64_t chunk):
        """out = the network's output for x, in pieces of `chunk` rows (see
        fm_net_predict_rows: the values do not depend on chunk or threads)."""
        self._check_rows(x, "x")
        if (out.ndim != 2 or out.shape[0] != x.shape[0] or out.shape[1] != self.n_out
                or out.dtype != self.dtype or not out.flags.c_contiguous):
            raise ValueError(f"out must be a C-contiguous ({x.shape[0]}, {self.n_out}) "
                             f"{self.dtype} array for this network")
        cdef int64_t n = x.shape[0], ldx = x.shape[1]
        if n == 0:
            return
        self._fold()
        chunk = max(1, min(chunk, n))
        cdef int threads = fm_get_num_threads() if n > chunk else 1
        scratch = self._scratch(chunk, threads)
        cdef void *px = _data(x)
        cdef void *po = _data(out)
        cdef void *ps = _data(scratch)
        cdef int rc = FM_EINTR
        cdef bint watched = _watch(2.0 * self.net.n_params * n)
        try:
            while rc == FM_EINTR:
                with nogil:
                    rc = fm_net_predict_rows(&self.net, px, ldx, n, po, chunk, ps, threads)
                if rc == FM_EINTR:
                    _interrupted()
        finally:
            if watched:
                fm_unwatch_interrupts()
        _check(rc, "predict")

    def evaluate(self, cnp.ndarray x, cnp.ndarray y, cnp.ndarray labels, int64_t chunk,
                 Objective objective not None, cnp.ndarray weights=None):
        """The stats dict over all rows of x, in pieces of `chunk` rows; the
        objective's metric accumulators are added to."""
        self._check_rows(x, "x")
        self._check_targets(x.shape[0], y, labels, weights)
        cdef int64_t n = x.shape[0], ldx = x.shape[1]
        if n == 0:
            raise ValueError("evaluate needs at least one row")
        self._fold()
        chunk = max(1, min(chunk, n))
        cdef int threads = fm_get_num_threads() if n > chunk else 1
        scratch = self._scratch(chunk, threads)
        cdef fm_targets t
        cdef fm_step_stats st
        self._targets(&t, y, labels, weights)
        cdef void *px = _data(x)
        cdef void *ps = _data(scratch)
        cdef const fm_objective *obj = &objective.c
        cdef int rc = FM_EINTR
        cdef bint watched = _watch(2.0 * self.net.n_params * n)
        try:  # an interrupted evaluation has not touched the accumulators
            while rc == FM_EINTR:
                with nogil:
                    rc = fm_net_evaluate_rows(&self.net, px, ldx, n, &t, obj, chunk, ps, threads,
                                              &st)
                if rc == FM_EINTR:
                    _interrupted()
        finally:
            if watched:
                fm_unwatch_interrupts()
        _check(rc, "evaluate")
        return _stats(&st)


# ---------------------------------------------------------------- the collective

class RingError(ConnectionError):
    """The ring allreduce failed: a peer closed its connection, failed, or was
    silent for the timeout. The ring cannot be used again."""


cdef class Ring:
    """One rank's end of a ring allreduce (csrc/collective.c) over two
    connected sockets: `next_fd` to rank (rank + 1) mod world, `prev_fd` from
    rank (rank − 1) mod world. The caller keeps the socket objects open for
    the ring's life. Sums run with the GIL released.

    `shm_fd`, when every rank runs on this machine: a file (a memfd) that all
    the ranks map, zero-filled when made; buffers that fit its slots are
    summed through it instead, to the same bits, and the sockets are only
    watched for a peer's death. The caller may close the fd afterwards."""
    cdef fm_ring ring
    cdef bint broken
    cdef object scratch

    def __cinit__(self):
        self.ring.shm = NULL
        self.ring.shm_size = self.ring.shm_slot = 0
        self.ring.shm_seq = 0

    def __dealloc__(self):
        fm_ring_detach_shm(&self.ring)

    def __init__(self, int rank, int world, int next_fd, int prev_fd, double timeout,
                 int shm_fd=-1):
        if not (world >= 1 and 0 <= rank < world):
            raise ValueError(f"rank must be in [0, {world}) with world >= 1; got rank {rank}, "
                             f"world {world}")
        if not timeout > 0:
            raise ValueError(f"timeout must be > 0 seconds; got {timeout}")
        self.ring.rank, self.ring.world = rank, world
        self.ring.fd_next, self.ring.fd_prev = next_fd, prev_fd
        self.ring.timeout_ms = max(1, min(<int>(timeout * 1000), 2_000_000_000))
        self.ring.bytes_sent = self.ring.bytes_received = self.ring.calls = 0
        self.ring.seconds = 0
        self.broken = False
        self.scratch = None
        if shm_fd >= 0:
            _check(fm_ring_attach_shm(&self.ring, shm_fd), "mapping the ring's shared memory")

    @property
    def rank(self):
        return self.ring.rank

    def close(self):
        """Unmap the shared memory (the other ranks keep theirs); the ring
        cannot be used afterwards."""
        fm_ring_detach_shm(&self.ring)
        self.broken = True

    @property
    def shared_memory(self):
        """Whether buffers that fit are summed through shared memory."""
        return self.ring.shm != NULL

    @property
    def world(self):
        return self.ring.world

    def counters(self):
        """{bytes_sent, bytes_received, calls, seconds} since the ring was made,
        and shared_memory (whether it sums through shared memory: then the
        bytes are those written into and read from the segment)."""
        return {"bytes_sent": self.ring.bytes_sent, "bytes_received": self.ring.bytes_received,
                "calls": self.ring.calls, "seconds": self.ring.seconds,
                "shared_memory": self.ring.shm != NULL}

    def allreduce(self, cnp.ndarray buf):
        """buf ← the sum over the ranks of their buf (C-contiguous float32 or
        float64, the same length on every rank), in place."""
        if self.broken:
            raise RingError("this ring failed or was closed before and cannot be used again")
        if buf.ndim != 1 or not buf.flags.c_contiguous or not buf.flags.writeable or \
                buf.dtype not in (np.float32, np.float64):
            raise ValueError("allreduce takes a writable C-contiguous 1-D float32 or float64 "
                             "array")
        cdef int64_t n = buf.shape[0]
        cdef int64_t need = fm_ring_scratch_size(n, self.ring.world)
        if self.scratch is None or self.scratch.dtype != buf.dtype or self.scratch.size < need:
            self.scratch = np.empty(max(need, 1), dtype=buf.dtype)
        cdef void *pb = _data(buf)
        cdef void *ps = _data(self.scratch)
        cdef int rc
        cdef bint watched = _watch(WATCH_FLOPS)
        try:
            if buf.dtype == np.float64:
                with nogil:
                    rc = fm_ring_allreduce_f64(&self.ring, <double *>pb, n, <double *>ps)
            else:
                with nogil:
                    rc = fm_ring_allreduce_f32(&self.ring, <float *>pb, n, <float *>ps)
        finally:
            if watched:
                fm_unwatch_interrupts()
        if rc == FM_OK:
            return
        self.broken = True
        if rc == FM_EINTR:
            PyErr_CheckSignals()
            raise RingError("the allreduce was interrupted; the ring cannot be used again")
        if rc == FM_ETIMEDOUT:
            raise RingError(f"rank {self.ring.rank} of {self.ring.world}: no data from a peer "
                            f"for {self.ring.timeout_ms / 1000:g} s (a worker lost or stalled?)")
        if rc == FM_EPEER:
            raise RingError(f"rank {self.ring.rank} of {self.ring.world}: a peer closed its "
                            f"connection or failed (a worker lost?)")
        _check(rc, "the ring allreduce")
