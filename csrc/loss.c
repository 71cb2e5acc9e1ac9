/* Losses, their gradients with respect to the output layer, and the accuracy
 * metrics. Softmax + (sparse) categorical cross-entropy and sigmoid + binary
 * cross-entropy are fused: computed from the logits, numerically stable. */
#include <math.h>

#include "kernels.h"
#include "internal.h"

/* Keras's backend epsilon: probabilities are clipped to [eps, 1 − eps]. */
#define FM_PROB_EPS 1e-7

#define FM_TYPED_SOURCE "loss.inc"
#include "typed.h"
