/* Whether an array holds only finite values: the portable scan
 * (finite.inc) and the entry points, which run the chosen instruction set's. */
#include <math.h>

#include "fastmlp.h"
#include "kernels.h"

#define FM_TYPED_SOURCE "finite.inc"
#include "typed.h"

int fm_all_finite_f32(const float *x, int64_t n) { return fm_isa()->all_finite_f32(x, n); }

int fm_all_finite_f64(const double *x, int64_t n) { return fm_isa()->all_finite_f64(x, n); }
