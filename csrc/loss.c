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

int fm_check_targets(const fm_objective *obj, const fm_targets *t, int64_t count, int64_t n_out)
{
    if (obj->loss < FM_LOSS_MSE || obj->loss > FM_LOSS_BCE_SUM) return FM_EINVAL;
    if (obj->metric < FM_METRIC_NONE || obj->metric > FM_METRIC_SPARSE_ACC) return FM_EINVAL;
    const int needs_labels = obj->loss == FM_LOSS_SPARSE_CCE || obj->metric == FM_METRIC_SPARSE_ACC;
    const int needs_values = obj->loss != FM_LOSS_SPARSE_CCE ||
                             obj->metric == FM_METRIC_BINARY_ACC ||
                             obj->metric == FM_METRIC_CATEGORICAL_ACC;
    if ((needs_labels && !t->labels) || (needs_values && !t->y)) return FM_ETARGETS;
    if (needs_values && t->ldy < n_out) return FM_ETARGETS;
    if (needs_labels) { /* the labels may have changed since Python checked them */
        int64_t bad = 0;
        for (int64_t r = 0; r < count; r++) {
            const int64_t label = t->labels[t->rows ? t->rows[r] : r];
            bad |= label < 0 || label >= n_out;
        }
        if (bad) return FM_ETARGETS;
    }
    return FM_OK;
}
