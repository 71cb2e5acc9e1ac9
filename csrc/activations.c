/* Activations applied in place over row-major blocks, and their derivatives
 * taken from the stored outputs. */
#include <math.h>

#include "kernels.h"
#include "internal.h"

#define FM_TYPED_SOURCE "activations.inc"
#include "typed.h"
