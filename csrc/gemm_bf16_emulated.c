/* Emulated bfloat16 kernels in plain C (fm_bf16_emulated): the rounding of
 * float32 to bfloat16 done on the bits (to nearest, ties to even, as
 * vcvtne2ps2bf16 does; NaNs made quiet), and vdpbf16ps's pair products,
 * exact in float32, added to the float32 accumulator one at a time, the odd
 * k first as Intel's manual orders them. In no instruction set's table: a
 * CPU without AVX512_BF16 refuses bfloat16 rather than run this, which is
 * slower than float32. Tests reach it through fm_bf16_emulation (testing.h)
 * to check the bfloat16 numbers on every path. Contracts in kernels.h. */
#include <string.h>

#include "kernels.h"
#include "testing.h"

#define EMU_MR 4
#define EMU_NR 16

uint16_t fm_bf16_bits(float x)
{
    uint32_t u;
    memcpy(&u, &x, sizeof u);
    if ((u & 0x7FFFFFFFu) > 0x7F800000u) return (uint16_t)((u >> 16) | 0x40u);
    return (uint16_t)((u + 0x7FFFu + ((u >> 16) & 1u)) >> 16);
}

static inline float from_bits(uint32_t half)
{
    const uint32_t u = half << 16;
    float x;
    memcpy(&x, &u, sizeof x);
    return x;
}

static inline uint32_t pair(const float *even, const float *odd)
{
    return (uint32_t)fm_bf16_bits(*even) | (odd ? (uint32_t)fm_bf16_bits(*odd) << 16 : 0u);
}

static void pack_rows(const float *src, int64_t lds, int64_t rows, int64_t cols, uint32_t *dst,
                      int64_t ldd)
{
    for (int64_t i = 0; i < rows; i++)
        for (int64_t p = 0; 2 * p < cols; p++) {
            const float *s = src + i * lds + 2 * p;
            dst[i * ldd + p] = pair(s, 2 * p + 1 < cols ? s + 1 : NULL);
        }
}

static void pack_interleave(const float *src, int64_t lds, int64_t rows, int64_t cols,
                            uint32_t *dst, int64_t ldd)
{
    const int64_t width = (cols + 15) & ~(int64_t)15;
    for (int64_t p = 0; 2 * p < rows; p++)
        for (int64_t j = 0; j < width; j++) {
            const float *s = src + 2 * p * lds + j;
            dst[p * ldd + j] = j < cols ? pair(s, 2 * p + 1 < rows ? s + lds : NULL) : 0u;
        }
}

static void pack_transposed(const float *src, int64_t lds, int64_t rows, int64_t cols,
                            uint32_t *dst, int64_t ldd)
{
    const int64_t width = (rows + 15) & ~(int64_t)15;
    for (int64_t p = 0; 2 * p < cols; p++)
        for (int64_t j = 0; j < width; j++) {
            const float *s = src + j * lds + 2 * p;
            dst[p * ldd + j] = j < rows ? pair(s, 2 * p + 1 < cols ? s + 1 : NULL) : 0u;
        }
}

/* One vector of 16 columns at most (the table's nr), any rows up to EMU_MR. */
static void ukr(int64_t kp, const uint32_t *a, int64_t rs_a, int64_t cs_a, const uint32_t *b,
                int64_t ldb, int64_t vsb, float *c, int64_t ldc, int mr, int nr, int flags,
                const float *bias, int act)
{
    (void)vsb;
    float acc[EMU_MR][EMU_NR];
    memset(acc, 0, sizeof acc);
    for (int64_t p = 0; p < kp; p++)
        for (int i = 0; i < mr; i++) {
            const uint32_t x = a[i * rs_a + p * cs_a];
            const float x0 = from_bits(x & 0xFFFFu), x1 = from_bits(x >> 16);
            for (int j = 0; j < EMU_NR; j++) {
                const uint32_t y = b[p * ldb + j];
                acc[i][j] += x1 * from_bits(y >> 16);
                acc[i][j] += x0 * from_bits(y & 0xFFFFu);
            }
        }
    for (int i = 0; i < mr; i++)
        for (int j = 0; j < nr; j++) {
            float x = acc[i][j];
            if (flags & FM_UKR_ACCUMULATE) x = c[i * ldc + j] + x;
            if ((flags & FM_UKR_EPILOGUE) && bias) x = x + bias[j];
            c[i * ldc + j] = x;
        }
    if ((flags & FM_UKR_EPILOGUE) && act != FM_ACT_LINEAR) fm_act_rows_scalar_f32(act, mr, nr, c, ldc);
}

const fm_bf16_kernels fm_bf16_emulated = {
    .name = "emulated (tests only)",
    .blocking = {.mr = EMU_MR, .nr = EMU_NR, .vl = 16, .kc = 256, .nc = 256},
    .ukr = ukr,
    .pack_rows = pack_rows,
    .pack_interleave = pack_interleave,
    .pack_transposed = pack_transposed,
};
