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

/* Whether x[0..n) is all finite (finite.inc). */
typedef int (*fm_all_finite_fn_f32)(const float *x, int64_t n);
typedef int (*fm_all_finite_fn_f64)(const double *x, int64_t n);

/* A dropout mask's key (rng.c): Philox key, counter words, 16-bit threshold. */
typedef struct {
    uint32_t key[2];
    uint32_t layer, step, threshold;
    double scale;
    int64_t row0;  /* added to the row index in the counter: a shard's first row in its global batch */
} fm_dropout_key;
/* Dropout of rows r0 .. r1: out = in ⊙ mask / (1 − rate) (in may be out); with
 * keep not NULL, the mask's bits too: bit l of keep[r·ldk + w] for column 16·w + l. */
typedef void (*fm_dropout_rows_fn_f32)(const fm_dropout_key *k, int64_t r0, int64_t r1,
                                       int64_t cols, const float *in, int64_t ldi, float *out,
                                       int64_t ldo, uint16_t *keep, int64_t ldk);
typedef void (*fm_dropout_rows_fn_f64)(const fm_dropout_key *k, int64_t r0, int64_t r1,
                                       int64_t cols, const double *in, int64_t ldi, double *out,
                                       int64_t ldo, uint16_t *keep, int64_t ldk);
/* uint16 words of a row of stored dropout bits (fm_layer.keep) */
static inline int64_t fm_dropout_keep_words(int64_t cols) { return (cols + 15) / 16; }
/* A stored mask applied again (dropout's backward): g = g·scale where kept, 0 elsewhere. */
typedef void (*fm_dropout_apply_fn_f32)(const uint16_t *keep, int64_t ldk, double scale,
                                        int64_t r0, int64_t r1, int64_t cols, float *g,
                                        int64_t ldg);
typedef void (*fm_dropout_apply_fn_f64)(const uint16_t *keep, int64_t ldk, double scale,
                                        int64_t r0, int64_t r1, int64_t cols, double *g,
                                        int64_t ldg);

/* bfloat16 products (gemm_bf16.c drives them). The operands are float32,
 * rounded to bfloat16 (to nearest, ties to even) while they are packed, and
 * two consecutive k of a row of A or a column of B travel in one 32-bit word,
 * the even k in its low half: the pairs vdpbf16ps multiplies and adds.
 *
 * Micro-kernel: the tile C(mr × nr) = A·B over kp pairs of k, accumulated in
 * float32 (flags, bias and act as for the float32 micro-kernel). A's pair p of
 * row i is a[i*rs_a + p*cs_a]; B's pairs come as vectors of 16 columns, vector
 * v of pair-row p at b + p*ldb + v*vsb, zero-padded past nr (so the packed
 * operand of training, ldb = the panel's width and vsb = 16, and the weights
 * packed once for inference, 16-column panels: ldb = 16, vsb = 16·kp, are read
 * by one kernel). */
typedef void (*fm_ukr_bf16)(int64_t kp, const uint32_t *a, int64_t rs_a, int64_t cs_a,
                            const uint32_t *b, int64_t ldb, int64_t vsb, float *c, int64_t ldc,
                            int mr, int nr, int flags, const float *bias, int act);
/* Packing with the conversion; p runs over the pairs, ceil(k/2), an odd k's
 * last pair padded with a zero:
 *   pack_rows        dst[i*ldd + p] = (src[i][2p], src[i][2p+1])   i < rows, k = cols
 *   pack_interleave  dst[p*ldd + j] = (src[2p][j], src[2p+1][j])   j < cols, k = rows
 *   pack_transposed  dst[p*ldd + j] = (src[j][2p], src[j][2p+1])   j < rows, k = cols
 * where src[i][j] = src[i*lds + j]. pack_interleave and pack_transposed also
 * zero the columns from cols (rows) up to the next multiple of 16. */
typedef void (*fm_pack_bf16)(const float *src, int64_t lds, int64_t rows, int64_t cols,
                             uint32_t *dst, int64_t ldd);
typedef struct {
    const char *name;     /* what show_config reports */
    fm_blocking blocking; /* kc counts k (even), vl = 16 */
    fm_ukr_bf16 ukr;
    fm_pack_bf16 pack_rows, pack_interleave, pack_transposed;
} fm_bf16_kernels;

/* int8 products (gemm_s8.c drives them): C = dequantized A·B where A's rows
 * were quantized one by one to unsigned 8 bits with a zero point (as ONNX
 * Runtime's dynamic quantization does), B's columns to signed 8 bits,
 * symmetric, each with its own step, and the products summed exactly in
 * int32. B is packed once in 16-column panels, four k per column in a 32-bit
 * word: vector (16 columns) of quad-row p at b + v*vsb + 64*p bytes, zero
 * past k and n. A's quad p of row i: the 4 bytes at a + i*lda + 4*p (rows
 * padded with zeros to whole quads).
 *
 * Epilogue, for row i and column j of the tile (pointers at its first row
 * and column): with s = acc − row_zero[i]·col_sum[j],
 *     c = act(fma((float)s, row_step[i]·col_step[j], bias[j] or 0))
 * with the act linear, ReLU or leaky ReLU (0.2); the products rounded the
 * same way on every path, so every kernel gives the same bits. */
typedef struct {
    const float *row_step;
    const int32_t *row_zero;
    const float *col_step;
    const int32_t *col_sum;
    const float *bias;
    int act;
} fm_s8_epilogue;
typedef void (*fm_ukr_s8)(int64_t kq, const uint8_t *a, int64_t lda, const int8_t *b, int64_t vsb,
                          float *c, int64_t ldc, int mr, int nr, const fm_s8_epilogue *e);
/* Each row of x (k values) quantized: step = (hi − lo)/255 over lo = min(0, min x),
 * hi = max(0, max x), zero = rint(−lo/step), q = clamp(rint(x·(1/step)) + zero,
 * 0, 255), into q (row stride ldq, zeros up to a whole quad). fm_s8_row_params
 * (quantize.h) is the one place the step and zero are computed. */
typedef void (*fm_quantize_rows_fn)(const float *x, int64_t ldx, int64_t rows, int64_t k,
                                    uint8_t *q, int64_t ldq, float *step, int32_t *zero);
typedef struct {
    const char *name;
    int mr, nr;           /* register tile (nr a multiple of 16) */
    fm_ukr_s8 ukr;
    fm_quantize_rows_fn quantize_rows;
} fm_s8_kernels;

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
    fm_all_finite_fn_f32 all_finite_f32;
    fm_all_finite_fn_f64 all_finite_f64;
    fm_dropout_rows_fn_f32 dropout_rows_f32;
    fm_dropout_rows_fn_f64 dropout_rows_f64;
    fm_dropout_apply_fn_f32 dropout_apply_f32;
    fm_dropout_apply_fn_f64 dropout_apply_f64;
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
    /* bfloat16 products: NULL where the instruction set has none (then
     * mixed_bfloat16 is refused); int8 products: every table has them. */
    const fm_bf16_kernels *bf16;
    const fm_s8_kernels *s8;
} fm_isa_table;

/* The tables (isa_tables.c): one per instruction set compiled in, and the list
 * of them all, NULL-terminated. cpu.c chooses one. */
extern const fm_isa_table fm_isa_generic;
#if defined(__x86_64__) || defined(_M_X64)
extern const fm_isa_table fm_isa_avx2;
extern const fm_isa_table fm_isa_avx512;
extern const fm_isa_table fm_isa_avx512_vnni;
extern const fm_isa_table fm_isa_avx512_bf16;
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
int fm_all_finite_scan_f32(const float *x, int64_t n);
int fm_all_finite_scan_f64(const double *x, int64_t n);
void fm_dropout_rows_f32(const fm_dropout_key *k, int64_t r0, int64_t r1, int64_t cols,
                         const float *in, int64_t ldi, float *out, int64_t ldo, uint16_t *keep,
                         int64_t ldk);
void fm_dropout_apply_f32(const uint16_t *keep, int64_t ldk, double scale, int64_t r0,
                          int64_t r1, int64_t cols, float *g, int64_t ldg);
void fm_dropout_rows_f64(const fm_dropout_key *k, int64_t r0, int64_t r1, int64_t cols,
                         const double *in, int64_t ldi, double *out, int64_t ldo, uint16_t *keep,
                         int64_t ldk);
void fm_dropout_apply_f64(const uint16_t *keep, int64_t ldk, double scale, int64_t r0,
                          int64_t r1, int64_t cols, double *g, int64_t ldg);
void fm_act_rows_scalar_f32(int act, int64_t rows, int64_t cols, float *y, int64_t ldy);
void fm_act_rows_scalar_f64(int act, int64_t rows, int64_t cols, double *y, int64_t ldy);
void fm_exp_scalar_f32(const float *x, float *y, int64_t n);
void fm_ukr_s8_generic(int64_t kq, const uint8_t *a, int64_t lda, const int8_t *b, int64_t vsb,
                       float *c, int64_t ldc, int mr, int nr, const fm_s8_epilogue *e);
void fm_quantize_rows_generic(const float *x, int64_t ldx, int64_t rows, int64_t k, uint8_t *q,
                              int64_t ldq, float *step, int32_t *zero);
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
int fm_all_finite_scan_avx2_f32(const float *x, int64_t n);
int fm_all_finite_scan_avx2_f64(const double *x, int64_t n);
void fm_act_rows_avx2_f32(int act, int64_t rows, int64_t cols, float *y, int64_t ldy);
void fm_exp_avx2_f32(const float *x, float *y, int64_t n);
void fm_ukr_s8_avx2(int64_t kq, const uint8_t *a, int64_t lda, const int8_t *b, int64_t vsb,
                    float *c, int64_t ldc, int mr, int nr, const fm_s8_epilogue *e);
void fm_quantize_rows_avx2(const float *x, int64_t ldx, int64_t rows, int64_t k, uint8_t *q,
                           int64_t ldq, float *step, int32_t *zero);
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
int fm_all_finite_scan_avx512_f32(const float *x, int64_t n);
int fm_all_finite_scan_avx512_f64(const double *x, int64_t n);
void fm_dropout_rows_avx512_f32(const fm_dropout_key *k, int64_t r0, int64_t r1, int64_t cols,
                                const float *in, int64_t ldi, float *out, int64_t ldo, uint16_t *keep,
                                int64_t ldk);
void fm_dropout_apply_avx512_f32(const uint16_t *keep, int64_t ldk, double scale, int64_t r0,
                                 int64_t r1, int64_t cols, float *g, int64_t ldg);
void fm_dropout_rows_avx512_f64(const fm_dropout_key *k, int64_t r0, int64_t r1, int64_t cols,
                                const double *in, int64_t ldi, double *out, int64_t ldo, uint16_t *keep,
                                int64_t ldk);
void fm_dropout_apply_avx512_f64(const uint16_t *keep, int64_t ldk, double scale, int64_t r0,
                                 int64_t r1, int64_t cols, double *g, int64_t ldg);
void fm_act_rows_avx512_f32(int act, int64_t rows, int64_t cols, float *y, int64_t ldy);
void fm_exp_avx512_f32(const float *x, float *y, int64_t n);
/* AVX-512 VNNI (vpdpbusd): */
void fm_quantize_rows_avx512_vnni(const float *x, int64_t ldx, int64_t rows, int64_t k,
                                  uint8_t *q, int64_t ldq, float *step, int32_t *zero);
void fm_ukr_s8_avx512_vnni(int64_t kq, const uint8_t *a, int64_t lda, const int8_t *b,
                           int64_t vsb, float *c, int64_t ldc, int mr, int nr,
                           const fm_s8_epilogue *e);
/* AVX-512 BF16 (vdpbf16ps, vcvtne2ps2bf16): */
void fm_ukr_bf16_avx512_bf16(int64_t kp, const uint32_t *a, int64_t rs_a, int64_t cs_a,
                             const uint32_t *b, int64_t ldb, int64_t vsb, float *c, int64_t ldc,
                             int mr, int nr, int flags, const float *bias, int act);
void fm_pack_bf16_rows_avx512_bf16(const float *src, int64_t lds, int64_t rows, int64_t cols,
                                   uint32_t *dst, int64_t ldd);
void fm_pack_bf16_interleave_avx512_bf16(const float *src, int64_t lds, int64_t rows,
                                         int64_t cols, uint32_t *dst, int64_t ldd);
void fm_pack_bf16_transposed_avx512_bf16(const float *src, int64_t lds, int64_t rows,
                                         int64_t cols, uint32_t *dst, int64_t ldd);
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
/* The bfloat16 kernels in use: the table's, or, where it has none, the
 * emulated ones when a test enabled them (fm_bf16_emulation), else NULL. */
const fm_bf16_kernels *fm_bf16(void);
/* The portable, emulated bfloat16 kernels (gemm_bf16_emulated.c): in no
 * table, reachable only through the test hook. */
extern const fm_bf16_kernels fm_bf16_emulated;

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

/* The wide kernel's panels of a one- or two-row product, for callers that
 * hold the threads (gemm.inc says how they match fm_gemm). */
int64_t fm_gemm_wide_panels_f32(int64_t m, int64_t n, int64_t k);
int64_t fm_gemm_wide_panels_f64(int64_t m, int64_t n, int64_t k);
void fm_gemm_wide_run_f32(int64_t m, int64_t n, int64_t k, const float *a, int64_t lda,
                          const float *b, int64_t ldb, float *c, int64_t ldc, const float *bias,
                          int act, int64_t p0, int64_t p1);
void fm_gemm_wide_run_f64(int64_t m, int64_t n, int64_t k, const double *a, int64_t lda,
                          const double *b, int64_t ldb, double *c, int64_t ldc,
                          const double *bias, int act, int64_t p0, int64_t p1);

/* Runs team(plan, tid, nth) on nt threads. `#pragma omp parallel if (nt > 1)`
 * enters libgomp even for one thread, at the cost of a system call (0.3 µs
 * here), which a one-row predict would pay at every layer: one thread runs
 * inline instead. The caller's thread count must be named nt. */
#ifdef _OPENMP
#define FM_RUN_TEAM(nt, team, plan)                                                               \
    do {                                                                                          \
        if ((nt) > 1) {                                                                           \
            const int64_t fm_start_ = fm_now_ns();                                                \
            _Pragma("omp parallel num_threads(nt)")                                               \
            {                                                                                     \
                const int fm_tid_ = omp_get_thread_num();                                         \
                if (fm_tid_ == 1) fm_note_team_start(fm_start_);                                  \
                team(plan, fm_tid_, omp_get_num_threads());                                       \
            }                                                                                     \
        } else {                                                                                  \
            team(plan, 0, 1);                                                                     \
        }                                                                                         \
    } while (0)
#else
#define FM_RUN_TEAM(nt, team, plan) ((void)(nt), team(plan, 0, 1))
#endif

/* What one element of a memory-bound pass (copy, derivative, sum) weighs in
 * GEMM flops when choosing threads: ~0.2 ns against ~0.01 ns per flop. */
#define FM_FLOPS_PER_ELEMENT 20.0

#endif
