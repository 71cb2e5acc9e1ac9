/* Losses, their gradients with respect to the output layer, and the metrics'
 * accumulators. Softmax + (sparse) categorical cross-entropy, sigmoid +
 * binary cross-entropy and exponential + half Poisson deviance are fused:
 * computed from the logits, numerically stable. */
#include <math.h>
#include <stdlib.h>

#include "kernels.h"
#include "internal.h"

/* Keras's backend epsilon: probabilities are clipped to [eps, 1 − eps]. */
#define FM_PROB_EPS 1e-7

/* Metrics that only rank the classes: the softmax keeps the logits' order,
 * so these may read the logits (ties aside, which the logits have fewer of). */
static int ranks_classes(int metric)
{
    return metric == FM_METRIC_CATEGORICAL_ACC || metric == FM_METRIC_SPARSE_ACC ||
           metric == FM_METRIC_TOP_K || metric == FM_METRIC_SPARSE_TOP_K;
}

#define FM_TYPED_SOURCE "loss.inc"
#include "typed.h"

int64_t fm_metric_size(const fm_metric *m)
{
    switch (m->kind) {
    case FM_METRIC_CONFUSION:
        return 4 * (int64_t)m->n_thresholds;
    case FM_METRIC_AUC:
        return 2 * (int64_t)m->k;
    default:
        return 2;
    }
}

static int needs_labels(int metric) { return metric == FM_METRIC_SPARSE_ACC || metric == FM_METRIC_SPARSE_TOP_K; }

int fm_check_targets(const fm_objective *obj, const fm_targets *t, int64_t count, int64_t n_out)
{
    if (obj->loss < 0 || obj->loss >= FM_LOSS_COUNT || obj->n_metrics < 0) return FM_EINVAL;
    if (obj->reduction != FM_MEAN_OVER_ROWS && obj->reduction != FM_MEAN_OVER_WEIGHTS)
        return FM_EINVAL;
    /* the loss reads labels (sparse) or values; sparse metrics read labels, the
     * others values, or labels when that is all there is */
    int labels = obj->loss == FM_LOSS_SPARSE_CCE, values = !labels, either = 0;
    for (int i = 0; i < obj->n_metrics; i++) {
        const fm_metric *m = &obj->metrics[i];
        if (m->kind < 1 || m->kind >= FM_METRIC_COUNT || !m->acc) return FM_EINVAL;
        if ((m->kind == FM_METRIC_TOP_K || m->kind == FM_METRIC_SPARSE_TOP_K) && m->k < 1)
            return FM_EINVAL;
        if (m->kind == FM_METRIC_AUC && m->k < 2) return FM_EINVAL;
        if (m->kind == FM_METRIC_CONFUSION &&
            (m->n_thresholds < 1 || !m->thresholds || m->class_id >= n_out))
            return FM_EINVAL;
        if (needs_labels(m->kind))
            labels = 1;
        else
            either = 1;
    }
    if ((labels && !t->labels) || (values && !t->y) || (either && !t->labels && !t->y))
        return FM_ETARGETS;
    if (t->y && t->ldy < n_out) return FM_ETARGETS;
    if (t->labels) { /* the labels may have changed since Python checked them */
        const int64_t top = n_out == 1 ? 2 : n_out; /* one output: binary labels 0 and 1 */
        int64_t bad = 0;
        for (int64_t r = 0; r < count; r++) {
            const int64_t label = t->labels[t->rows ? t->rows[r] : r];
            bad |= label < 0 || label >= top;
        }
        if (bad) return FM_ETARGETS;
    }
    return FM_OK;
}
