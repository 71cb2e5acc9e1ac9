/* Portable int8 kernels (plain C): fm_ukr_s8_generic, a 4×16 tile, and
 * fm_quantize_rows_generic. Contracts in kernels.h. The other paths give the
 * same bits as these: the sums are exact in int32, and the epilogue is one
 * fused multiply-add of values rounded alike (fm_s8_row_params, fmaf). */
#include <math.h>
#include <string.h>

#include "kernels.h"
#include "quantize.h"

#define S8_MR 4
#define S8_NR 16

void fm_quantize_rows_generic(const float *x, int64_t ldx, int64_t rows, int64_t k, uint8_t *q,
                              int64_t ldq, float *step, int32_t *zero)
{
    const int64_t padded = (k + 3) & ~(int64_t)3;
    for (int64_t i = 0; i < rows; i++) {
        const float *xi = x + i * ldx;
        uint8_t *qi = q + i * ldq;
        float lo = 0.0f, hi = 0.0f, inv;
        for (int64_t p = 0; p < k; p++) {
            lo = lo < xi[p] ? lo : xi[p];
            hi = hi > xi[p] ? hi : xi[p];
        }
        fm_s8_row_params(lo, hi, &step[i], &inv, &zero[i]);
        for (int64_t p = 0; p < k; p++) qi[p] = fm_s8_code(xi[p], inv, zero[i]);
        for (int64_t p = k; p < padded; p++) qi[p] = 0;
    }
}

/* The epilogue of one element (kernels.h, fm_s8_epilogue). */
static inline float s8_output(int32_t acc, int i, int j, const fm_s8_epilogue *e)
{
    const int32_t s = acc - e->row_zero[i] * e->col_sum[j];
    float y = fmaf((float)s, e->row_step[i] * e->col_step[j], e->bias ? e->bias[j] : 0.0f);
    if (e->act == FM_ACT_RELU) {
        y = 0.0f > y ? 0.0f : y;
    } else if (e->act == FM_ACT_LEAKY_RELU) {
        const float t = 0.2f * y;
        y = t > y ? t : y;
    }
    return y;
}

/* One 16-column panel (nr <= 16, so vsb is not needed). */
void fm_ukr_s8_generic(int64_t kq, const uint8_t *a, int64_t lda, const int8_t *b, int64_t vsb,
                       float *c, int64_t ldc, int mr, int nr, const fm_s8_epilogue *e)
{
    (void)vsb;
    int32_t acc[S8_MR][S8_NR];
    memset(acc, 0, sizeof acc);
    for (int64_t p = 0; p < kq; p++) {
        const int8_t *bp = b + 64 * p;
        for (int i = 0; i < mr; i++) {
            const uint8_t *ap = a + i * lda + 4 * p;
            for (int j = 0; j < S8_NR; j++)
                acc[i][j] += ap[0] * bp[4 * j] + ap[1] * bp[4 * j + 1] + ap[2] * bp[4 * j + 2] +
                             ap[3] * bp[4 * j + 3];
        }
    }
    for (int i = 0; i < mr; i++)
        for (int j = 0; j < nr; j++) c[i * ldc + j] = s8_output(acc[i][j], i, j, e);
}
