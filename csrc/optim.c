/* Optimizer updates with Keras 3's rules, over the whole parameter arena at
 * once (each parameter's update is independent of the others). */
#include <math.h>

#include "kernels.h"
#include "internal.h"

#define FM_TYPED_SOURCE "optim.inc"
#include "typed.h"
