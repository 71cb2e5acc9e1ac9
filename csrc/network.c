/* The network's calls: a training step, gradients over many rows, inference
 * and evaluation, and the inference copies with batch normalization folded
 * into dense layers. The engine owns every buffer; these functions only
 * compute through fm_net's pointers. Layer l reads the output of layer l−1
 * (layer 0 reads the gathered batch). */
#include <math.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>

#include "kernels.h"
#include "internal.h"

static int64_t output_width(const fm_net *net) { return net->layers[net->n_layers - 1].n_out; }

static int is_identity_at_inference(const fm_layer *L)
{
    return L->kind == FM_LAYER_DROPOUT || L->kind == FM_LAYER_NOISE;
}

static int is_plain_linear(const fm_act *a) { return a->code == FM_ACT_LINEAR; }

/* A dense layer packed for quantized inference (it cannot train, nor absorb
 * a batch normalization). */
static int is_quantized(const fm_layer *L)
{
    return L->kind == FM_LAYER_DENSE &&
           (L->precision == FM_PRECISION_INT8 || L->precision == FM_PRECISION_BF16);
}

/* A dense layer whose float weights a batch normalization can be folded into. */
static int is_foldable_dense(const fm_layer *L) { return L->kind == FM_LAYER_DENSE && !is_quantized(L); }

/* Whether the network can train: no quantized layer, and mixed precision on
 * float32 only. */
static int trainable_network(const fm_net *net)
{
    for (int l = 0; l < net->n_layers; l++) {
        const fm_layer *L = &net->layers[l];
        if (is_quantized(L) || (L->precision != FM_PRECISION_NATIVE && net->dtype != FM_F32)) return 0;
    }
    return 1;
}

/* The layer computing before l (skipping inference identities), or −1. */
static int previous_computing(const fm_net *net, int l)
{
    for (int i = l - 1; i >= 0; i--)
        if (!is_identity_at_inference(&net->layers[i])) return i;
    return -1;
}

static int next_computing(const fm_net *net, int l)
{
    for (int i = l + 1; i < net->n_layers; i++)
        if (!is_identity_at_inference(&net->layers[i])) return i;
    return -1;
}

/* Folding at inference: a batch normalization goes into the dense layer
 * before it when that one has a linear activation (its output is then the
 * affine map the normalization continues), else into the dense layer after it. */
static int has_activity_penalty(const fm_layer *L) { return L->activity_l1 != 0 || L->activity_l2 != 0; }

/* (A dense layer with an activity regularizer keeps its own output: it is
 * what the penalty is taken on.) */
static int folds_back(const fm_net *net, int l)
{
    const int p = previous_computing(net, l);
    return p >= 0 && is_foldable_dense(&net->layers[p]) && is_plain_linear(&net->layers[p].act) &&
           !has_activity_penalty(&net->layers[p]);
}

static int fold_target(const fm_net *net, int l)
{
    if (net->layers[l].kind != FM_LAYER_BATCHNORM || has_activity_penalty(&net->layers[l])) return -1;
    if (folds_back(net, l)) return previous_computing(net, l);
    const int q = next_computing(net, l);
    return q >= 0 && is_foldable_dense(&net->layers[q]) ? q : -1;
}

/* An epilogue activation layer right after a dense layer with a linear
 * activation (folded normalizations in between) runs in that layer's GEMM. */
static int fused_into(const fm_net *net, int l)
{
    const fm_layer *L = &net->layers[l];
    if (L->kind != FM_LAYER_ACTIVATION || !fm_act_in_epilogue_f32(&L->act)) return -1;
    int p = previous_computing(net, l);
    while (p >= 0 && fold_target(net, p) >= 0 && fold_target(net, p) < p) p = previous_computing(net, p);
    return p >= 0 && net->layers[p].kind == FM_LAYER_DENSE && is_plain_linear(&net->layers[p].act) &&
                   !has_activity_penalty(&net->layers[p])
               ? p
               : -1;
}

int fm_net_infer_role(const fm_net *net, int l)
{
    const fm_layer *L = &net->layers[l];
    if (is_identity_at_inference(L)) return FM_INFER_SKIP;
    if (L->kind == FM_LAYER_BATCHNORM && fold_target(net, l) >= 0) return FM_INFER_SKIP;
    if (L->kind == FM_LAYER_ACTIVATION && fused_into(net, l) >= 0) return FM_INFER_SKIP;
    return FM_INFER_RUN;
}

int fm_net_needs_fold(const fm_net *net, int l)
{
    for (int i = 0; i < net->n_layers; i++)
        if (fold_target(net, i) == l) return 1;
    return 0;
}

int fm_net_needs_pre(const fm_net *net, int l)
{
    const fm_layer *L = &net->layers[l];
    return L->kind == FM_LAYER_DENSE && !fm_act_in_epilogue_f32(&L->act);
}

/* The activation dense layer l applies at inference (its own, or a fused layer's). */
static fm_act inference_act(const fm_net *net, int l)
{
    for (int i = l + 1; i < net->n_layers; i++)
        if (fused_into(net, i) == l) return net->layers[i].act;
    return net->layers[l].act;
}

/* The layer whose output is the network's at inference (a fused activation
 * layer's output is its dense layer's). */
static int final_running(const fm_net *net)
{
    int l = net->n_layers - 1;
    while (l > 0 && fm_net_infer_role(net, l) == FM_INFER_SKIP) {
        const int target = net->layers[l].kind == FM_LAYER_ACTIVATION ? fused_into(net, l) : -1;
        if (target >= 0) return target;
        l--;
    }
    return l;
}

/* Softmax + (sparse) categorical cross-entropy, sigmoid + binary cross-entropy,
 * exponential + half Poisson deviance: the loss takes the last layer's
 * pre-activation (a dense layer's, or a standalone activation's input). */
static int fused_output(const fm_net *net, const fm_objective *obj)
{
    const fm_layer *last = &net->layers[net->n_layers - 1];
    if (obj->from_logits) return 0;
    if (last->kind != FM_LAYER_DENSE && last->kind != FM_LAYER_ACTIVATION) return 0;
    if (has_activity_penalty(last)) return 0;
    switch (last->act.code) {
    case FM_ACT_SOFTMAX:
        return obj->loss == FM_LOSS_CCE || obj->loss == FM_LOSS_SPARSE_CCE;
    case FM_ACT_SIGMOID:
        return obj->loss == FM_LOSS_BCE || obj->loss == FM_LOSS_BCE_SUM;
    case FM_ACT_EXPONENTIAL:
        return obj->loss == FM_LOSS_HALF_POISSON;
    default:
        return 0;
    }
}

int64_t fm_net_scratch_size(const fm_net *net, int64_t count)
{
    int64_t widest = net->n_in;
    for (int l = 0; l < net->n_layers; l++)
        if (net->layers[l].n_out > widest) widest = net->layers[l].n_out;
    return count * (2 * widest + output_width(net));
}

#define FM_TYPED_SOURCE "network.inc"
#include "typed.h"

int fm_net_train_step(fm_net *net, const void *x, int64_t ldx, const int64_t *rows, int64_t count,
                      const fm_targets *t, const fm_objective *obj, fm_step_stats *stats)
{
    if (count <= 0 || count > net->batch_cap || !trainable_network(net)) return FM_EINVAL;
    const int rc = fm_check_targets(obj, t, count, output_width(net));
    if (rc) return rc;
    return net->dtype == FM_F64 ? train_step_f64(net, x, ldx, rows, count, t, obj, stats)
                                : train_step_f32(net, x, ldx, rows, count, t, obj, stats);
}

/* A trainable batch normalization normalises by its batch's statistics: a
 * shard's would not be the global batch's. */
static int shards_exactly(const fm_net *net)
{
    for (int l = 0; l < net->n_layers; l++)
        if (net->layers[l].kind == FM_LAYER_BATCHNORM && net->layers[l].trainable) return 0;
    return 1;
}

int fm_net_shard_gradients(fm_net *net, const void *x, int64_t ldx, const int64_t *rows,
                           int64_t count, const fm_targets *t, const fm_objective *obj,
                           const fm_shard *shard, fm_step_stats *stats)
{
    if (count < 0 || count > net->batch_cap || !shards_exactly(net) || shard->row0 < 0 ||
        shard->rows_total < shard->row0 + count || !(shard->weight_total >= 0))
        return FM_EINVAL;
    if (count > 0) {
        const int rc = fm_check_targets(obj, t, count, output_width(net));
        if (rc) return rc;
    }
    return net->dtype == FM_F64 ? shard_gradients_f64(net, x, ldx, rows, count, t, obj, shard, stats)
                                : shard_gradients_f32(net, x, ldx, rows, count, t, obj, shard, stats);
}

int fm_net_apply_gradients(fm_net *net, const fm_objective *obj, const fm_shard *shard,
                           fm_step_stats *stats)
{
    if (!shards_exactly(net) || !(shard->weight_total >= 0)) return FM_EINVAL;
    return net->dtype == FM_F64 ? apply_gradients_f64(net, obj, shard, stats)
                                : apply_gradients_f32(net, obj, shard, stats);
}

int fm_net_gradients(fm_net *net, const void *x, int64_t ldx, int64_t n, const fm_targets *t,
                     const fm_objective *obj, fm_step_stats *stats)
{
    if (n <= 0 || net->batch_cap <= 0 || t->rows || !trainable_network(net)) return FM_EINVAL;
    const int rc = fm_check_targets(obj, t, n, output_width(net));
    if (rc) return rc;
    return net->dtype == FM_F64 ? gradients_f64(net, x, ldx, n, t, obj, stats)
                                : gradients_f32(net, x, ldx, n, t, obj, stats);
}

int fm_net_forward_training(fm_net *net, const void *x, int64_t ldx, int64_t count, void *out)
{
    if (count <= 0 || count > net->batch_cap || !trainable_network(net)) return FM_EINVAL;
    return net->dtype == FM_F64 ? forward_training_f64(net, x, ldx, count, out)
                                : forward_training_f32(net, x, ldx, count, out);
}

int fm_net_predict(const fm_net *net, const void *x, int64_t ldx, int64_t count, void *out,
                   void *scratch)
{
    if (count <= 0) return count == 0 ? FM_OK : FM_EINVAL;
    return net->dtype == FM_F64 ? forward_f64(net, x, ldx, count, out, scratch, 0, NULL)
                                : forward_f32(net, x, ldx, count, out, scratch, 0, NULL);
}

int fm_net_predict_rows(const fm_net *net, const void *x, int64_t ldx, int64_t n, void *out,
                        int64_t chunk, void *scratch, int max_threads)
{
    if (n <= 0 || chunk <= 0 || max_threads <= 0) return n == 0 ? FM_OK : FM_EINVAL;
    return net->dtype == FM_F64
               ? infer_pieces_f64(net, (const double *)x, ldx, n, (double *)out, NULL, NULL, chunk,
                                  (double *)scratch, max_threads, NULL)
               : infer_pieces_f32(net, (const float *)x, ldx, n, (float *)out, NULL, NULL, chunk,
                                  (float *)scratch, max_threads, NULL);
}

int fm_net_evaluate_rows(const fm_net *net, const void *x, int64_t ldx, int64_t n,
                         const fm_targets *t, const fm_objective *obj, int64_t chunk,
                         void *scratch, int max_threads, fm_step_stats *stats)
{
    if (n <= 0 || chunk <= 0 || max_threads <= 0 || t->rows) return FM_EINVAL;
    const int rc = fm_check_targets(obj, t, n, output_width(net));
    if (rc) return rc;
    return net->dtype == FM_F64
               ? infer_pieces_f64(net, (const double *)x, ldx, n, NULL, t, obj, chunk,
                                  (double *)scratch, max_threads, stats)
               : infer_pieces_f32(net, (const float *)x, ldx, n, NULL, t, obj, chunk,
                                  (float *)scratch, max_threads, stats);
}

/* The quantized dense layers' packed weights, from w (and qscale). */
static int pack_quantized(fm_net *net)
{
    for (int l = 0; l < net->n_layers; l++) {
        fm_layer *L = &net->layers[l];
        if (!is_quantized(L)) continue;
        if (net->dtype != FM_F32 || !L->packed) return FM_EINVAL;
        const int rc = L->precision == FM_PRECISION_INT8
                           ? fm_pack_s8_weights(L->n_in, L->n_out, (const int8_t *)L->w, L->n_out,
                                                (const float *)L->qscale, (int8_t *)L->packed,
                                                (float *)L->qstep, (int32_t *)L->qsum)
                           : fm_pack_bf16_weights(L->n_in, L->n_out, (const float *)L->w, L->n_out,
                                                  (uint32_t *)L->packed);
        if (rc) return rc;
    }
    return FM_OK;
}

int fm_net_fold(fm_net *net)
{
    if (net->folded_version == net->version) return FM_OK;
    int rc = net->dtype == FM_F64 ? fold_f64(net) : fold_f32(net);
    if (rc == FM_OK) rc = pack_quantized(net);
    if (rc == FM_OK) net->folded_version = net->version;
    return rc;
}
