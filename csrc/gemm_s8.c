/* The int8 driver (kernels.h, fm_s8_kernels): weights quantized per output
 * column and packed once (fm_pack_s8_weights); each call quantizes the rows
 * of its input to uint8 with their own step and zero point, then runs the
 * tiles, the whole depth at once (the sums are exact int32, so there is no
 * k blocking to keep in order), dequantizing in the kernels' epilogue.
 * Threads take whole row panels when there are enough of them (each
 * quantizes its own rows), else share the columns of rows quantized first.
 * Either way every output is computed by one kernel call from the same
 * integers, so the bits do not depend on the thread count or the path. */
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "kernels.h"
#include "internal.h"

static inline int64_t min64(int64_t x, int64_t y) { return x < y ? x : y; }
static inline int64_t up16(int64_t x) { return (x + 15) & ~(int64_t)15; }
static inline int64_t up4(int64_t x) { return (x + 3) & ~(int64_t)3; }

int64_t fm_s8_packed_bytes(int64_t k, int64_t n) { return up16(n) * up4(k); }

int fm_pack_s8_weights(int64_t k, int64_t n, const int8_t *q, int64_t ldq,
                       const float *kernel_scale, int8_t *packed, float *step, int32_t *colsum)
{
    if (k < 1 || k > FM_S8_MAX_K || n < 1 || ldq < n) return FM_EINVAL;
    for (int64_t j = 0; j < n; j++) {
        if (!(kernel_scale[j] > 0.0f) || !(kernel_scale[j] <= 3.0e38f)) return FM_EINVAL;
        step[j] = 1.0f / kernel_scale[j];
        colsum[j] = 0;
    }
    const int64_t kq = up4(k) / 4;
    for (int64_t panel = 0; panel < up16(n) / 16; panel++)
        for (int64_t p = 0; p < kq; p++)
            for (int64_t jj = 0; jj < 16; jj++)
                for (int64_t t = 0; t < 4; t++) {
                    const int64_t row = 4 * p + t, j = 16 * panel + jj;
                    const int8_t v = row < k && j < n ? q[row * ldq + j] : 0;
                    packed[((panel * kq + p) * 16 + jj) * 4 + t] = v;
                    if (j < n) colsum[j] += v;
                }
    return FM_OK;
}

typedef struct {
    int64_t m;
    const float *x;
    int64_t ldx;
    const fm_packed_weights *w;
    float *y;
    int64_t ldy;
    const float *bias;
    int act;      /* in the kernels' epilogue: linear, ReLU or leaky ReLU */
    int quantized; /* the rows were quantized before the team started */
    uint8_t *q;   /* the quantized rows, row stride ldq */
    int64_t ldq;
    float *step;
    int32_t *zero;
    const fm_s8_kernels *kern;
    fm_watch watch;
} s8_plan;

static void s8_rows(const s8_plan *g, int64_t i0, int64_t i1)
{
    if (i1 > i0)
        g->kern->quantize_rows(g->x + i0 * g->ldx, g->ldx, i1 - i0, g->w->k, g->q + i0 * g->ldq,
                               g->ldq, g->step + i0, g->zero + i0);
}

/* Row panels [r0, r1) × column panels [j0, j1). */
static void s8_tiles(const s8_plan *g, int64_t r0, int64_t r1, int64_t j0, int64_t j1)
{
    const fm_packed_weights *w = g->w;
    const int MR = g->kern->mr, NR = g->kern->nr;
    const int64_t kq = up4(w->k) / 4;
    const int8_t *packed = (const int8_t *)w->packed;
    for (int64_t ir = r0; ir < r1; ir++) {
        if (fm_watch_tripped(&g->watch)) return;
        const int64_t i = ir * MR;
        const int rows = (int)min64(MR, g->m - i);
        for (int64_t jr = j0; jr < j1; jr++) {
            const int64_t j = jr * NR;
            const fm_s8_epilogue e = {g->step + i, g->zero + i, w->step + j, w->colsum + j,
                                      g->bias ? g->bias + j : NULL, g->act};
            g->kern->ukr(kq, g->q + i * g->ldq, g->ldq, packed + (j / 16) * kq * 64, kq * 64,
                         g->y + i * g->ldy + j, g->ldy, rows, (int)min64(NR, w->n - j), &e);
        }
    }
}

static void s8_team(const s8_plan *g, int tid, int nth)
{
    const int64_t m_panels = (g->m + g->kern->mr - 1) / g->kern->mr;
    const int64_t n_panels = (g->w->n + g->kern->nr - 1) / g->kern->nr;
    if (!g->quantized) { /* whole row panels: each thread quantizes its own rows */
        const int64_t r0 = m_panels * tid / nth, r1 = m_panels * (tid + 1) / nth;
        s8_rows(g, r0 * g->kern->mr, min64(r1 * g->kern->mr, g->m));
        s8_tiles(g, r0, r1, 0, n_panels);
        return;
    }
    const int64_t tn = n_panels < nth ? n_panels : nth, tm = nth / tn;
    const int64_t ti = tid / tn, tj = tid % tn;
    const int64_t r0 = m_panels * ti / tm, r1 = ti < tm ? m_panels * (ti + 1) / tm : r0;
    s8_tiles(g, r0, r1, n_panels * tj / tn, n_panels * (tj + 1) / tn);
}

int fm_gemm_s8(int64_t m, const float *x, int64_t ldx, const fm_packed_weights *w, float *y,
               int64_t ldy, const float *bias, int act)
{
    if (m < 0 || !w || w->k < 1 || w->k > FM_S8_MAX_K || w->n < 1 || ldx < w->k || ldy < w->n ||
        act < FM_ACT_LINEAR || act > FM_ACT_SOFTMAX)
        return FM_EINVAL;
    if (m == 0) return FM_OK;
    const fm_s8_kernels *kern = fm_isa()->s8;
    const int64_t ldq = (up4(w->k) + 63) & ~(int64_t)63;
    uint8_t *scratch = (uint8_t *)fm_pack_buffer((size_t)(m * ldq + 8 * m + 64));
    if (!scratch) return FM_ENOMEM;
    const int in_kernel = act == FM_ACT_RELU || act == FM_ACT_LEAKY_RELU;
    s8_plan g = {m, x, ldx, w, y, ldy, bias, in_kernel ? act : FM_ACT_LINEAR, 0, scratch, ldq,
                 (float *)(scratch + m * ldq), (int32_t *)(scratch + m * ldq + 4 * m), kern,
                 fm_watch_snapshot()};
    /* the flops, or for a row or two the weights streamed (a byte each) */
    const double flops = 2.0 * (double)m * (double)w->n * (double)w->k;
    const double streaming = 0.25 * FM_FLOPS_PER_ELEMENT * (double)w->n * (double)w->k;
    const int nt = fm_threads_for(flops > streaming ? flops : streaming);
    const int64_t m_panels = (m + kern->mr - 1) / kern->mr;
    if (nt > 1 && m_panels < nt) { /* threads share columns: quantize every row first */
        s8_rows(&g, 0, m);
        g.quantized = 1;
    }
    FM_RUN_TEAM(nt, s8_team, &g);
    if (fm_watch_tripped(&g.watch)) return FM_EINTR;
    if (!in_kernel && act != FM_ACT_LINEAR) fm_activation_f32(act, m, w->n, y, ldy);
    return FM_OK;
}
