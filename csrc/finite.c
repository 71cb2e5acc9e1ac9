/* Whether an array holds only finite values: the portable scan (finite.inc)
 * and the entry points, which run the chosen instruction set's scan over
 * chunks the threads take in turn (a training set's check at each fit is
 * bound by memory bandwidth, which two cores raise). */
#include <math.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "fastmlp.h"
#include "kernels.h"

#define FM_TYPED_SOURCE "finite.inc"
#include "typed.h"

#define FM_FINITE_CHUNK 65536

#define DEFINE_ALL_FINITE(REAL, SFX)                                                         \
    int fm_all_finite_##SFX(const REAL *x, int64_t n)                                        \
    {                                                                                        \
        const fm_all_finite_fn_##SFX scan = fm_isa()->all_finite_##SFX;                      \
        const int nt = fm_threads_for(2.0 * (double)n);                                      \
        if (nt < 2) return scan(x, n);                                                       \
        const int64_t chunks = (n + FM_FINITE_CHUNK - 1) / FM_FINITE_CHUNK;                   \
        int bad = 0;                                                                         \
        _Pragma("omp parallel for schedule(dynamic) num_threads(nt) reduction(| : bad)")     \
        for (int64_t c = 0; c < chunks; c++) {                                               \
            const int64_t i0 = c * FM_FINITE_CHUNK;                                          \
            if (!bad) /* once a bad value is seen the other chunks need no scan */           \
                bad |= !scan(x + i0, n - i0 < FM_FINITE_CHUNK ? n - i0 : FM_FINITE_CHUNK);   \
        }                                                                                    \
        return !bad;                                                                         \
    }
DEFINE_ALL_FINITE(float, f32)
DEFINE_ALL_FINITE(double, f64)
