/* Internal: the per-instruction-set kernel table that cpu.c fills once and the
 * drivers (gemm.c, activations.c, ...) call through. Not part of fastmlp.h. */
#ifndef FASTMLP_KERNELS_H
#define FASTMLP_KERNELS_H

#include "fastmlp.h"

#if defined(_MSC_VER)
#define FM_RESTRICT __restrict
#define FM_ALIGNED(n) __declspec(align(n))
#else
#define FM_RESTRICT __restrict__
#define FM_ALIGNED(n) __attribute__((aligned(n)))
#endif

/* Micro-kernel contract.
 *
 * a:  the A micro-panel, A(i, p) = a[i*rs_a + p*cs_a]: a packed panel (rs_a = 1,
 *     cs_a = MR, zero-padded past mr) or A in place (then rows >= mr are not read).
 * bp: packed B micro-panel, kc rows of ldbp values: bp[p*ldbp + j] = B(p, j);
 *     ldbp = nr rounded up to the kernel's vector length (<= NR).
 * bp is zero-padded past nr, so the kernel may compute a full-width tile.
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
    int kc, mc, nc;  /* cache blocks: k depth, rows and columns per packed block */
} fm_blocking;

typedef struct {
    const char *name;
    fm_blocking blocking_f32, blocking_f64;
    fm_ukr_f32 ukr_f32;
    fm_ukr_f64 ukr_f64;
} fm_isa_table;

extern const fm_isa_table fm_isa_generic;
#if defined(__x86_64__) || defined(_M_X64)
extern const fm_isa_table fm_isa_avx2;
extern const fm_isa_table fm_isa_avx512;
#endif

/* The table in use; fm_init() sets it. */
const fm_isa_table *fm_isa(void);

/* Scalar epilogue shared by the portable kernels and edge paths. */
void fm_act_rows_scalar_f32(int act, int64_t rows, int64_t cols, float *y, int64_t ldy);
void fm_act_rows_scalar_f64(int act, int64_t rows, int64_t cols, double *y, int64_t ldy);

/* Threads that a piece of work of `flops` floating-point operations should
 * use: 1 below a size where fork/join costs more than it saves. */
int fm_threads_for(double flops);

#endif
