/* The layer kinds: each is a forward/backward pair over raw pointers, in a
 * file of its own (layer_<kind>.inc, compiled for float32 and float64 by
 * typed.h). network.inc strings them together. Shapes: a batch is count rows;
 * a layer reads count × n_in and writes count × n_out, row-major. */
#include <math.h>
#include <string.h>

#include "kernels.h"
#include "internal.h"

#define FM_TYPED_SOURCE "layer_dense.inc"
#include "typed.h"
#undef FM_TYPED_SOURCE

#define FM_TYPED_SOURCE "layer_batchnorm.inc"
#include "typed.h"
#undef FM_TYPED_SOURCE

#define FM_TYPED_SOURCE "layer_activation.inc"
#include "typed.h"
#undef FM_TYPED_SOURCE

#define FM_TYPED_SOURCE "layer_dropout.inc"
#include "typed.h"
#undef FM_TYPED_SOURCE

#define FM_TYPED_SOURCE "layer_noise.inc"
#include "typed.h"
#undef FM_TYPED_SOURCE
