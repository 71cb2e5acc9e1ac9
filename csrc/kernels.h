/* Internal: the per-instruction-set kernel table that cpu.c fills once and the
 * drivers (gemm.c, activations.c, ...) call through. Not part of fastmlp.h. */
#ifndef FASTMLP_KERNELS_H
#define FASTMLP_KERNELS_H

#include "fastmlp.h"
#ifdef _OPENMP
#include <omp.h>
#endif

#if defined(_MSC_VER)
#define FM_RESTRICT __restrict
#define FM_ALIGNED(n) __declspec(align(n))
#else
#define FM_RESTRICT __restrict__
#define FM_ALIGNED(n) __attribute__((aligned(n)))
#endif

/* Micro-kernel contract.
 *
 * a:  the A micro-panel, A(i, p) = a[i*rs_a + p*cs_a], read in place; rows at
 *     and past mr are never read.
 * bp: the B micro-panel, kc rows: bp[p*ldbp + j] = B(p, j). Either packed
 *     (ldbp = nr rounded up to the vector length, zero-padded past nr) or B in
 *     place (ldbp = B's row stride, nr a whole number of vectors). So a kernel
 *     reads exactly ceil(nr / vector length) vectors per row of bp, no more.
 * c:  the mr × nr tile of C, row stride ldc; only that tile is written.
 * flags: FM_UKR_ACCUMULATE -> C += A·B, else C = A·B;
 *        FM_UKR_EPILOGUE   -> then C = act(C + bias[0..nr)) (bias may be NULL).
 * Every C element is the k-ordered sum of its products started from zero, so
 * its value does not depend on the tile it falls in. */
enum { FM_UKR_ACCUMULATE = 1, FM_UKR_EPILOGUE = 2 };

typedef void (*fm_ukr_f32)(int64_t kc, const float *a, int64_t rs_a, int64_t cs_a,
                           const float *bp, int64_t ldbp, float *c, int64_t ldc, int mr, int nr,
                           int flags, const float *bias, int act);
typedef void (*fm_ukr_f64)(int64_t kc, const double *a, int64_t rs_a, int64_t cs_a,
                           const double *bp, int64_t ldbp, double *c, int64_t ldc, int mr, int nr,
                           int flags, const double *bias, int act);

/* Row-wise activation of a rows × cols block (not softmax). */
typedef void (*fm_act_rows_f32)(int act, int64_t rows, int64_t cols, float *y, int64_t ldy);
typedef void (*fm_act_rows_f64)(int act, int64_t rows, int64_t cols, double *y, int64_t ldy);

typedef struct {
    int mr, nr;      /* register tile */
    int vl;          /* vector length: packed B panels are padded to a multiple */
    int kc, nc;      /* cache blocks: k depth and columns of a packed B block */
} fm_blocking;

/* Kernels for C(rows × n) with n <= max_n (csrc/gemm_avx512_skinny.c), whole
 * rows at a time, bias/activation/accumulate as for fm_gemm:
 * nn: C = A·B with A rows × k in place and B given transposed, bt (n × k);
 * tn: C = Aᵀ·B with A stored k × rows, B stored k × n, both in place. */
typedef struct {
    int max_n;
    void (*nn_f32)(int64_t rows, int64_t n, int64_t k, const float *a, int64_t lda,
                   const float *bt, int64_t ldbt, float *c, int64_t ldc, const float *bias,
                   int act, int accumulate);
    void (*tn_f32)(int64_t rows, int64_t n, int64_t k, const float *a, int64_t lda,
                   const float *b, int64_t ldb, float *c, int64_t ldc, const float *bias,
                   int act, int accumulate);
} fm_skinny_kernels;

/* dst[j*ldd + i] = src[i*lds + j] for i < rows, j < cols (packing Bᵀ). */
typedef void (*fm_transpose_f32)(const float *src, int64_t lds, int64_t rows, int64_t cols,
                                 float *dst, int64_t ldd);
typedef void (*fm_transpose_f64)(const double *src, int64_t lds, int64_t rows, int64_t cols,
                                 double *dst, int64_t ldd);

/* Optimizer update rules and the coefficients of one step (optim.c). */
enum {
    FM_RULE_SGD, FM_RULE_SGD_MOMENTUM, FM_RULE_SGD_NESTEROV,
    FM_RULE_RMSPROP, FM_RULE_RMSPROP_MOMENTUM, FM_RULE_ADAM
};
typedef struct {
    int rule;
    double decay; /* 1 − lr·weight_decay: w is scaled by it before the rule */
    double learning_rate, momentum, rho, one_minus_rho, epsilon;
    double alpha, one_minus_beta_1, one_minus_beta_2; /* Adam */
} fm_update_coeffs;
/* Returns how many parameters it left unchanged because their update was
 * not finite. */
typedef int64_t (*fm_update_f32)(const fm_update_coeffs *k, int64_t n, float *w, const float *g,
                                 float *s1, float *s2);
typedef int64_t (*fm_update_f64)(const fm_update_coeffs *k, int64_t n, double *w,
                                 const double *g, double *s1, double *s2);

/* A dropout mask's key (rng.c): Philox key, counter words, 16-bit threshold. */
typedef struct {
    uint32_t key[2];
    uint32_t layer, step, threshold;
    double scale;
    int64_t row0;  /* added to the row index in the counter: a shard's first row in its global batch */
} fm_dropout_key;
typedef void (*fm_dropout_rows_fn_f32)(const fm_dropout_key *k, int64_t r0, int64_t r1,
                                       int64_t cols, const float *in, int64_t ldi, float *out,
                                       int64_t ldo);
typedef void (*fm_dropout_rows_fn_f64)(const fm_dropout_key *k, int64_t r0, int64_t r1,
                                       int64_t cols, const double *in, int64_t ldi, double *out,
                                       int64_t ldo);

typedef struct {
    const char *name;
    fm_blocking blocking_f32, blocking_f64;
    fm_ukr_f32 ukr_f32;
    fm_ukr_f64 ukr_f64;
    const fm_skinny_kernels *skinny; /* NULL: the general kernels serve every shape */
    fm_transpose_f32 transpose_f32;
    fm_transpose_f64 transpose_f64;
    fm_update_f32 update_f32;
    fm_update_f64 update_f64;
    fm_dropout_rows_fn_f32 dropout_rows_f32;
    fm_dropout_rows_fn_f64 dropout_rows_f64;
    /* Activations in place over rows (vector exp/sigmoid/tanh for float32;
     * libm for float64 on every path), and exp alone (for tests). */
    fm_act_rows_f32 act_rows_f32;
    fm_act_rows_f64 act_rows_f64;
    void (*exp_f32)(const float *x, float *y, int64_t n);
    /* For m <= rows (predicting a row or two): a kernel with the micro-kernel's
     * contract, B read in place, up to nr columns; ukr NULL when absent. */
    struct {
        int rows, nr;
        fm_ukr_f32 ukr;
    } wide_f32;
} fm_isa_table;

/* The tables (isa_tables.c): one per instruction set compiled in, and the list
 * of them all, NULL-terminated. cpu.c chooses one. */
extern const fm_isa_table fm_isa_generic;
#if defined(__x86_64__) || defined(_M_X64)
extern const fm_isa_table fm_isa_avx2;
extern const fm_isa_table fm_isa_avx512;
#endif
extern const fm_isa_table *const fm_isa_tables[];

/* The first entry of t left empty (a NULL kernel or a zero block size), by
 * its field's name, or NULL when t is complete. The skinny and wide kernels
 * are optional: absent, the general kernels serve every shape. */
const char *fm_isa_table_gap(const fm_isa_table *t);

/* The kernels the tables point to, by full name (csrc/README.md says which
 * file defines a templated one). Portable, also the other paths' fallbacks: */
void fm_ukr_generic_f32(int64_t kc, const float *a, int64_t rs_a, int64_t cs_a, const float *bp,
                        int64_t ldbp, float *c, int64_t ldc, int mr, int nr, int flags,
                        const float *bias, int act);
void fm_ukr_generic_f64(int64_t kc, const double *a, int64_t rs_a, int64_t cs_a,
                        const double *bp, int64_t ldbp, double *c, int64_t ldc, int mr, int nr,
                        int flags, const double *bias, int act);
void fm_transpose_scalar_f32(const float *src, int64_t lds, int64_t rows, int64_t cols,
                             float *dst, int64_t ldd);
void fm_transpose_scalar_f64(const double *src, int64_t lds, int64_t rows, int64_t cols,
                             double *dst, int64_t ldd);
int64_t fm_update_range_f32(const fm_update_coeffs *k, int64_t n, float *w, const float *g,
                            float *s1, float *s2);
int64_t fm_update_range_f64(const fm_update_coeffs *k, int64_t n, double *w, const double *g,
                            double *s1, double *s2);
void fm_dropout_rows_f32(const fm_dropout_key *k, int64_t r0, int64_t r1, int64_t cols,
                         const float *in, int64_t ldi, float *out, int64_t ldo);
void fm_dropout_rows_f64(const fm_dropout_key *k, int64_t r0, int64_t r1, int64_t cols,
                         const double *in, int64_t ldi, double *out, int64_t ldo);
void fm_act_rows_scalar_f32(int act, int64_t rows, int64_t cols, float *y, int64_t ldy);
void fm_act_rows_scalar_f64(int act, int64_t rows, int64_t cols, double *y, int64_t ldy);
void fm_exp_scalar_f32(const float *x, float *y, int64_t n);
#if defined(__x86_64__) || defined(_M_X64)
/* AVX2 + FMA: */
void fm_ukr_avx2_f32(int64_t kc, const float *a, int64_t rs_a, int64_t cs_a, const float *bp,
                     int64_t ldbp, float *c, int64_t ldc, int mr, int nr, int flags,
                     const float *bias, int act);
void fm_ukr_avx2_f64(int64_t kc, const double *a, int64_t rs_a, int64_t cs_a, const double *bp,
                     int64_t ldbp, double *c, int64_t ldc, int mr, int nr, int flags,
                     const double *bias, int act);
int64_t fm_update_range_avx2_f32(const fm_update_coeffs *k, int64_t n, float *w, const float *g,
                                 float *s1, float *s2);
int64_t fm_update_range_avx2_f64(const fm_update_coeffs *k, int64_t n, double *w,
                                 const double *g, double *s1, double *s2);
void fm_act_rows_avx2_f32(int act, int64_t rows, int64_t cols, float *y, int64_t ldy);
void fm_exp_avx2_f32(const float *x, float *y, int64_t n);
/* AVX-512 (F, BW, DQ, VL) + FMA: */
void fm_ukr_avx512_f32(int64_t kc, const float *a, int64_t rs_a, int64_t cs_a, const float *bp,
                       int64_t ldbp, float *c, int64_t ldc, int mr, int nr, int flags,
                       const float *bias, int act);
void fm_ukr_avx512_f64(int64_t kc, const double *a, int64_t rs_a, int64_t cs_a,
                       const double *bp, int64_t ldbp, double *c, int64_t ldc, int mr, int nr,
                       int flags, const double *bias, int act);
void fm_ukr_wide_avx512_f32(int64_t kc, const float *a, int64_t rs_a, int64_t cs_a,
                            const float *b, int64_t ldb, float *c, int64_t ldc, int mr, int nr,
                            int flags, const float *bias, int act);
void fm_skinny_nn_avx512_f32(int64_t rows, int64_t n, int64_t k, const float *a, int64_t lda,
                             const float *bt, int64_t ldbt, float *c, int64_t ldc,
                             const float *bias, int act, int acc);
void fm_skinny_tn_avx512_f32(int64_t rows, int64_t n, int64_t k, const float *a, int64_t lda,
                             const float *b, int64_t ldb, float *c, int64_t ldc,
                             const float *bias, int act, int acc);
void fm_transpose_avx512_f32(const float *src, int64_t lds, int64_t rows, int64_t cols,
                             float *dst, int64_t ldd);
int64_t fm_update_range_avx512_f32(const fm_update_coeffs *k, int64_t n, float *w,
                                   const float *g, float *s1, float *s2);
int64_t fm_update_range_avx512_f64(const fm_update_coeffs *k, int64_t n, double *w,
                                   const double *g, double *s1, double *s2);
void fm_dropout_rows_avx512_f32(const fm_dropout_key *k, int64_t r0, int64_t r1, int64_t cols,
                                const float *in, int64_t ldi, float *out, int64_t ldo);
void fm_dropout_rows_avx512_f64(const fm_dropout_key *k, int64_t r0, int64_t r1, int64_t cols,
                                const double *in, int64_t ldi, double *out, int64_t ldo);
void fm_act_rows_avx512_f32(int act, int64_t rows, int64_t cols, float *y, int64_t ldy);
void fm_exp_avx512_f32(const float *x, float *y, int64_t n);
#endif

/* A calling thread's Ctrl-C watch (interrupt.c), copied into work shared with
 * other threads: tripped once a SIGINT arrived after `since` while armed. */
#include <signal.h>
typedef struct {
    int armed;
    sig_atomic_t since;
} fm_watch;
fm_watch fm_watch_snapshot(void);
int fm_watch_tripped(const fm_watch *w);
int fm_interrupted(void); /* the calling thread's watch has tripped */

/* The table in use; fm_init() sets it. */
const fm_isa_table *fm_isa(void);

fm_dropout_key fm_dropout_key_for(uint64_t seed, int64_t step, int layer, double rate);

/* The thread number and team size inside a parallel region (0 and 1 outside). */
#ifdef _OPENMP
#define FM_TEAM(tid, nth) ((tid) = omp_get_thread_num(), (nth) = omp_get_num_threads())
#else
#define FM_TEAM(tid, nth) ((void)(tid), (void)(nth))
#endif

/* The AVX-512 mask of the first `count` of 16 lanes (none when count <= 0). */
static inline uint16_t fm_first_lanes(int64_t count)
{
    if (count <= 0) return 0;
    return count >= 16 ? (uint16_t)0xFFFF : (uint16_t)((1u << count) - 1);
}

/* [*i0, *i1): thread tid's share of n items dealt out in whole units of `unit`. */
static inline void fm_share(int64_t n, int64_t unit, int tid, int nth, int64_t *i0, int64_t *i1)
{
    const int64_t units = (n + unit - 1) / unit;
    *i0 = unit * (units * tid / nth);
    *i1 = unit * (units * (tid + 1) / nth);
    if (*i1 > n) *i1 = n;
}

/* Threads that a piece of work of `flops` floating-point operations should
 * use: 1 below a size where fork/join costs more than it saves, and 1 for a
 * while after team threads were seen starting late (config.c). */
int fm_threads_for(double flops);
int64_t fm_now_ns(void);                         /* monotonic clock */
void fm_note_team_start(int64_t region_start_ns); /* by a team's first worker */

/* What one element of a memory-bound pass (copy, derivative, sum) weighs in
 * GEMM flops when choosing threads: ~0.2 ns against ~0.01 ns per flop. */
#define FM_FLOPS_PER_ELEMENT 20.0

#endif
