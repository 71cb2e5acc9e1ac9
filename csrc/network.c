/* The network's steps: a training step (gather, forward, loss, backward,
 * optimizer update), gradients alone, predict and evaluate. The engine owns
 * every buffer; these functions only compute through fm_net's pointers.
 *
 * Layer l reads the output of layer l−1 (layer 0 reads the gathered batch).
 * A Dense layer's forward is one GEMM with bias and activation fused; its
 * backward turns dL/dY into dL/dZ with the activation's derivative taken from
 * Y, then dW = Xᵀ·dZ, db = column sums of dZ and, when an earlier Dense layer
 * needs it, dX = dZ·Wᵀ. When the last layer is Dense, the loss returns dL/dZ
 * directly (through the fused softmax/sigmoid, or by applying f′ itself). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "kernels.h"
#include "internal.h"

/* Softmax + (sparse) categorical cross-entropy, sigmoid + binary cross-entropy. */
static int fused_output(const fm_net *net, const fm_objective *obj)
{
    const fm_layer *last = &net->layers[net->n_layers - 1];
    if (last->kind != FM_LAYER_DENSE) return 0;
    if (last->act == FM_ACT_SOFTMAX) return obj->loss == FM_LOSS_CCE || obj->loss == FM_LOSS_SPARSE_CCE;
    if (last->act == FM_ACT_SIGMOID) return obj->loss == FM_LOSS_BCE || obj->loss == FM_LOSS_BCE_SUM;
    return 0;
}

static int last_dense(const fm_net *net)
{
    int l = net->n_layers - 1;
    while (l > 0 && net->layers[l].kind != FM_LAYER_DENSE) l--;
    return l;
}

static int64_t output_width(const fm_net *net) { return net->layers[net->n_layers - 1].n_out; }

int64_t fm_net_scratch_size(const fm_net *net, int64_t count)
{
    int64_t widest = 1;
    for (int l = 0; l < net->n_layers; l++)
        if (net->layers[l].n_out > widest) widest = net->layers[l].n_out;
    return count * (2 * widest + output_width(net));
}

#define FM_TYPED_SOURCE "network.inc"
#include "typed.h"

static int run_step(fm_net *net, const void *x, int64_t ldx, const int64_t *rows, int64_t count,
                    const fm_targets *t, const fm_objective *obj, fm_step_stats *stats, int training)
{
    if (count <= 0 || count > net->batch_cap) return FM_EINVAL;
    const int rc = fm_check_targets(obj, t, count, output_width(net));
    if (rc) return rc;
    return net->dtype == FM_F64 ? train_step_f64(net, x, ldx, rows, count, t, obj, stats, training)
                                : train_step_f32(net, x, ldx, rows, count, t, obj, stats, training);
}

int fm_net_train_step(fm_net *net, const void *x, int64_t ldx, const int64_t *rows, int64_t count,
                      const fm_targets *t, const fm_objective *obj, fm_step_stats *stats)
{
    return run_step(net, x, ldx, rows, count, t, obj, stats, 1);
}

int fm_net_gradients(fm_net *net, const void *x, int64_t ldx, const int64_t *rows, int64_t count,
                     const fm_targets *t, const fm_objective *obj, fm_step_stats *stats)
{
    return run_step(net, x, ldx, rows, count, t, obj, stats, 0);
}

int fm_net_predict(const fm_net *net, const void *x, int64_t ldx, int64_t count, void *out,
                   void *scratch)
{
    if (count <= 0) return count == 0 ? FM_OK : FM_EINVAL;
    return net->dtype == FM_F64 ? forward_f64(net, x, ldx, count, out, scratch, 0)
                                : forward_f32(net, x, ldx, count, out, scratch, 0);
}

int fm_net_evaluate(const fm_net *net, const void *x, int64_t ldx, int64_t count,
                    const fm_targets *t, const fm_objective *obj, void *scratch,
                    fm_step_stats *stats)
{
    if (count <= 0) return FM_EINVAL;
    const int rc = fm_check_targets(obj, t, count, output_width(net));
    if (rc) return rc;
    return net->dtype == FM_F64 ? evaluate_f64(net, x, ldx, count, t, obj, scratch, stats)
                                : evaluate_f32(net, x, ldx, count, t, obj, scratch, stats);
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
