/* Whether an array holds only finite values: the input check behind every
 * fit and predict. An exponent field of all ones means inf or NaN; testing the
 * bits as integers lets the compiler vectorise the scan. */
#include <string.h>

#include "fastmlp.h"

int fm_all_finite_f32(const float *x, int64_t n)
{
    uint32_t bad = 0;
    for (int64_t i = 0; i < n; i++) {
        uint32_t bits;
        memcpy(&bits, &x[i], sizeof bits);
        bad |= (bits & 0x7F800000u) == 0x7F800000u;
    }
    return !bad;
}

int fm_all_finite_f64(const double *x, int64_t n)
{
    uint64_t bad = 0;
    for (int64_t i = 0; i < n; i++) {
        uint64_t bits;
        memcpy(&bits, &x[i], sizeof bits);
        bad |= (bits & 0x7FF0000000000000u) == 0x7FF0000000000000u;
    }
    return !bad;
}
