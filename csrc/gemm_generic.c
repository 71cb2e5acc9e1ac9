/* Portable micro-kernels (plain C, vectorised by the compiler for the baseline
 * instruction set): fm_ukr_generic_f32 (MR×NR = 4×16) and fm_ukr_generic_f64
 * (4×8). Contract in kernels.h; their table is in isa_tables.c. */
#include "kernels.h"

#define GEN_MR 4

#define DEFINE_GENERIC_UKR(REAL, SFX, NR)                                               \
    void fm_ukr_generic_##SFX(int64_t kc, const REAL *ap, int64_t rs_a, int64_t cs_a,   \
                              const REAL *bp, int64_t ldbp, REAL *c, int64_t ldc,       \
                              int mr, int nr, int flags, const REAL *bias, int act)     \
    {                                                                                   \
        REAL acc[GEN_MR][NR] FM_ALIGNED(64);                                            \
        for (int i = 0; i < GEN_MR; i++)                                                \
            for (int j = 0; j < NR; j++) acc[i][j] = 0;                                 \
        for (int64_t p = 0; p < kc; p++) {                                              \
            const REAL *b = bp + p * ldbp;                                              \
            for (int i = 0; i < GEN_MR; i++) { /* rows past mr are not read */           \
                const REAL a = i < mr ? ap[p * cs_a + i * rs_a] : 0;                    \
                for (int j = 0; j < NR; j++) acc[i][j] += a * b[j];                     \
            }                                                                           \
        }                                                                               \
        for (int i = 0; i < mr; i++) {                                                  \
            REAL *ci = c + i * ldc;                                                     \
            for (int j = 0; j < nr; j++) {                                              \
                REAL x = acc[i][j];                                                     \
                if (flags & FM_UKR_ACCUMULATE) x = ci[j] + x;                           \
                if ((flags & FM_UKR_EPILOGUE) && bias) x = x + bias[j];                 \
                ci[j] = x;                                                              \
            }                                                                           \
        }                                                                               \
        if ((flags & FM_UKR_EPILOGUE) && act != FM_ACT_LINEAR)                          \
            fm_act_rows_scalar_##SFX(act, mr, nr, c, ldc);                              \
    }

DEFINE_GENERIC_UKR(float, f32, 16)
DEFINE_GENERIC_UKR(double, f64, 8)
