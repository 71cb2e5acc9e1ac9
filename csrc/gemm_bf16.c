/* The bfloat16 GEMM driver: blocking, packing and threading around the
 * bfloat16 micro-kernels (kernels.h, fm_bf16_kernels), in the layered scheme
 * of gemm.c. Both operands are packed, since packing is where float32 is
 * rounded to bfloat16 and where consecutive k are paired:
 *   pc: k in equal, even blocks of at most KC -> pack op(A)'s rows for the
 *       block (all m of them; threads share the work and the result)
 *     jc: n in NC-column blocks -> pack op(B) into NR-wide panels
 *       tiles: row panel outer, column panel inner, as in gemm.c
 * With weights packed once (fm_gemm_bf16_packed), B's panels are read where
 * they lie. Every C element is summed in k order by one thread, so results do
 * not depend on the thread count. */
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "kernels.h"
#include "internal.h"

typedef struct {
    int trans_a, trans_b;
    int64_t m, n, k;
    const float *a;
    int64_t lda;
    const float *b; /* NULL: w */
    int64_t ldb;
    const fm_packed_weights *w;
    float *c;
    int64_t ldc;
    const float *bias;
    int act, accumulate;
    int64_t kc_step, n_kblocks, nc;
    uint32_t *ap, *bp; /* packed A (one k block, all rows), packed B (one k × NC block) */
    int64_t ld_ap;     /* pairs per packed row of A, or (trans_a) rows per packed pair */
    const fm_bf16_kernels *kern;
    fm_watch watch;
    int stop;
} bf16_plan;

static inline int64_t min64(int64_t x, int64_t y) { return x < y ? x : y; }
static inline int64_t up16(int64_t x) { return (x + 15) & ~(int64_t)15; }

#ifdef _OPENMP
#define TEAM_BARRIER(nth)                                                                  \
    do {                                                                                   \
        if ((nth) > 1) {                                                                   \
            _Pragma("omp barrier")                                                         \
        }                                                                                  \
    } while (0)
#else
#define TEAM_BARRIER(nth) ((void)(nth))
#endif

/* Thread tid's share of packing op(A) for k block [pc, pc + kc). */
static void pack_a(const bf16_plan *g, int64_t pc, int64_t kc, int tid, int nth)
{
    int64_t i0, i1;
    if (!g->trans_a) { /* A is m × k: rows of pairs */
        fm_share(g->m, 1, tid, nth, &i0, &i1);
        if (i1 > i0)
            g->kern->pack_rows(g->a + i0 * g->lda + pc, g->lda, i1 - i0, kc, g->ap + i0 * g->ld_ap,
                               g->ld_ap);
    } else { /* A is stored k × m: pair p of every row i from stored rows 2p, 2p+1 */
        fm_share((kc + 1) / 2, 1, tid, nth, &i0, &i1);
        if (i1 > i0)
            g->kern->pack_interleave(g->a + (pc + 2 * i0) * g->lda, g->lda,
                                     min64(2 * (i1 - i0), kc - 2 * i0), g->m, g->ap + i0 * g->ld_ap,
                                     g->ld_ap);
    }
}

/* Panel q (NR columns from jc + q·NR) of op(B) for k block [pc, pc + kc). */
static void pack_b(const bf16_plan *g, int64_t pc, int64_t kc, int64_t jc, int64_t q, int nr_max)
{
    const int64_t j = jc + q * nr_max, cols = min64(nr_max, g->n - j);
    uint32_t *dst = g->bp + q * nr_max * ((kc + 1) / 2);
    if (!g->trans_b)
        g->kern->pack_interleave(g->b + pc * g->ldb + j, g->ldb, kc, cols, dst, up16(cols));
    else
        g->kern->pack_transposed(g->b + j * g->ldb + pc, g->ldb, cols, kc, dst, up16(cols));
}

static void bf16_team(bf16_plan *g, int tid, int nth)
{
    const fm_blocking *bl = &g->kern->blocking;
    const int MR = bl->mr, NR = bl->nr;
    const int64_t m_panels = (g->m + MR - 1) / MR;
    for (int64_t kb = 0; kb < g->n_kblocks; kb++) {
        const int64_t pc = kb * g->kc_step, kc = min64(g->kc_step, g->k - pc), kp = (kc + 1) / 2;
        pack_a(g, pc, kc, tid, nth);
        TEAM_BARRIER(nth);
        int flags = (kb > 0 || g->accumulate) ? FM_UKR_ACCUMULATE : 0;
        if (kb == g->n_kblocks - 1) flags |= FM_UKR_EPILOGUE;
        for (int64_t jc = 0; jc < g->n; jc += g->nc) {
            const int64_t nc = min64(g->nc, g->n - jc), n_panels = (nc + NR - 1) / NR;
            /* the tile grid of gemm.c: columns first, rows for shallow products */
            const int rows_first = g->k < 64 && m_panels >= nth;
            const int64_t tn = rows_first ? 1 : (n_panels < nth ? n_panels : nth), tm = nth / tn;
            if (!g->w) {
                for (int64_t q = n_panels * tid / nth; q < n_panels * (tid + 1) / nth; q++)
                    pack_b(g, pc, kc, jc, q, NR);
                /* with the columns split by thread, each computes on the panels
                 * it packed: no one need wait */
                if (tn != nth) TEAM_BARRIER(nth);
            }
            const int64_t ti = tid / tn, tj = tid % tn;
            const int64_t j0 = n_panels * tj / tn, j1 = n_panels * (tj + 1) / tn;
            const int64_t r0 = m_panels * ti / tm, r1 = ti < tm ? m_panels * (ti + 1) / tm : r0;
            for (int64_t ir = r0; ir < r1; ir++) {
                if (fm_watch_tripped(&g->watch)) break;
                const int64_t i = ir * MR;
                const int rows = (int)min64(MR, g->m - i);
                const uint32_t *a = g->trans_a ? g->ap + i : g->ap + i * g->ld_ap;
                const int64_t rs_a = g->trans_a ? 1 : g->ld_ap, cs_a = g->trans_a ? g->ld_ap : 1;
                for (int64_t jr = j0; jr < j1; jr++) {
                    const int64_t j = jc + jr * NR;
                    const int cols = (int)min64(NR, g->n - j);
                    const uint32_t *b;
                    int64_t ldb, vsb;
                    if (g->w) { /* 16-column panels of all k's pairs */
                        const int64_t kp_all = (g->k + 1) / 2;
                        b = (const uint32_t *)g->w->packed + (j / 16) * kp_all * 16 + (pc / 2) * 16;
                        ldb = 16;
                        vsb = kp_all * 16;
                    } else {
                        b = g->bp + jr * NR * kp;
                        ldb = up16(cols);
                        vsb = 16;
                    }
                    g->kern->ukr(kp, a, rs_a, cs_a, b, ldb, vsb, g->c + i * g->ldc + j, g->ldc, rows,
                                 cols, flags, g->bias ? g->bias + j : NULL, g->act);
                }
            }
            /* the packed block is about to be replaced; Ctrl-C: all leave together */
            if (tid == 0) g->stop = fm_watch_tripped(&g->watch);
            TEAM_BARRIER(nth);
            if (g->stop) return;
        }
    }
}

static int bf16_run(bf16_plan *g)
{
    const fm_blocking *bl = &g->kern->blocking;
    g->n_kblocks = (g->k + bl->kc - 1) / bl->kc;
    g->kc_step = (g->k + g->n_kblocks - 1) / g->n_kblocks;
    g->kc_step += g->kc_step & 1; /* whole pairs in every block but the last */
    g->n_kblocks = (g->k + g->kc_step - 1) / g->kc_step;
    const int64_t kp = g->kc_step / 2;
    g->nc = min64(bl->nc / bl->nr * bl->nr, (g->n + bl->nr - 1) / bl->nr * bl->nr);
    g->ld_ap = g->trans_a ? up16(g->m) : up16(kp);
    const int64_t a_words = g->trans_a ? kp * g->ld_ap : g->m * g->ld_ap;
    const int64_t b_words = g->w ? 0 : g->nc * kp;
    uint32_t *buffer = (uint32_t *)fm_pack_buffer((size_t)(a_words + b_words + 16) * sizeof(uint32_t));
    if (!buffer) return FM_ENOMEM;
    g->ap = buffer;
    g->bp = buffer + (a_words + 15) / 16 * 16;
    g->watch = fm_watch_snapshot();
    g->stop = 0;

    const double flops = 2.0 * (double)g->m * (double)g->n * (double)g->k;
    const double streaming = FM_FLOPS_PER_ELEMENT * (double)g->n * (double)g->k;
    const int nt = fm_threads_for(flops > streaming ? flops : streaming);
    FM_RUN_TEAM(nt, bf16_team, g);
    return fm_watch_tripped(&g->watch) ? FM_EINTR : FM_OK;
}

int fm_gemm_bf16(int trans_a, int trans_b, int64_t m, int64_t n, int64_t k, const float *a,
                 int64_t lda, const float *b, int64_t ldb, float *c, int64_t ldc,
                 const float *bias, int act, int accumulate)
{
    if (m < 0 || n < 0 || k < 0 || act < FM_ACT_LINEAR || act > FM_ACT_SOFTMAX) return FM_EINVAL;
    if (accumulate && (bias || act != FM_ACT_LINEAR)) return FM_EINVAL;
    const fm_bf16_kernels *kern = fm_bf16();
    if (!kern) return FM_ENOTSUP;
    if (m == 0 || n == 0) return FM_OK;
    if (ldc < n || lda < (trans_a ? m : k) || ldb < (trans_b ? k : n)) return FM_EINVAL;
    if (k == 0) /* the float32 GEMM writes what an empty sum gives */
        return fm_gemm_f32(trans_a, trans_b, m, n, k, a, lda, b, ldb, c, ldc, bias, act, accumulate);
    bf16_plan g = {trans_a, trans_b, m, n, k, a, lda, b, ldb, NULL, c, ldc, bias,
                   act == FM_ACT_SOFTMAX ? FM_ACT_LINEAR : act, accumulate};
    g.kern = kern;
    const int rc = bf16_run(&g);
    if (rc == FM_OK && act == FM_ACT_SOFTMAX) fm_activation_f32(FM_ACT_SOFTMAX, m, n, c, ldc);
    return rc;
}

int64_t fm_bf16_packed_words(int64_t k, int64_t n) { return up16(n) * ((k + 1) / 2); }

int fm_pack_bf16_weights(int64_t k, int64_t n, const float *w, int64_t ldw, uint32_t *packed)
{
    if (k < 1 || n < 1 || ldw < n) return FM_EINVAL;
    const int64_t kp = (k + 1) / 2;
    for (int64_t q = 0; q < up16(n) / 16; q++) /* the portable rounding: the same bits */
        fm_bf16_emulated.pack_interleave(w + 16 * q, ldw, k, min64(16, n - 16 * q),
                                         packed + q * kp * 16, 16);
    return FM_OK;
}

int fm_gemm_bf16_packed(int64_t m, const float *x, int64_t ldx, const fm_packed_weights *w,
                        float *y, int64_t ldy, const float *bias, int act)
{
    if (m < 0 || !w || w->k < 1 || w->n < 1 || ldx < w->k || ldy < w->n || act < FM_ACT_LINEAR ||
        act > FM_ACT_SOFTMAX)
        return FM_EINVAL;
    const fm_bf16_kernels *kern = fm_bf16();
    if (!kern) return FM_ENOTSUP;
    if (kern->blocking.nr % 16) return FM_EINVAL; /* panels of 16 columns */
    if (m == 0) return FM_OK;
    bf16_plan g = {0, 0, m, w->n, w->k, x, ldx, NULL, 0, w, y, ldy, bias,
                   act == FM_ACT_SOFTMAX ? FM_ACT_LINEAR : act, 0};
    g.kern = kern;
    const int rc = bf16_run(&g);
    if (rc == FM_OK && act == FM_ACT_SOFTMAX) fm_activation_f32(FM_ACT_SOFTMAX, m, w->n, y, ldy);
    return rc;
}
