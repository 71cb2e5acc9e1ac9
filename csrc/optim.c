/* Optimizer steps: the coefficients of this step, then the update rule over
 * the whole parameter arena, split between threads (each parameter's update
 * is independent of the others, so the split does not change the result). */
#include <math.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "kernels.h"
#include "internal.h"

static fm_update_coeffs coefficients(const fm_optimizer *opt)
{
    fm_update_coeffs k = {0};
    k.learning_rate = opt->learning_rate;
    k.decay = 1 - opt->learning_rate * opt->weight_decay; /* Keras: w ← w·(1 − lr·wd) first */
    k.momentum = opt->momentum;
    k.rho = opt->rho;
    k.one_minus_rho = 1 - opt->rho;
    k.epsilon = opt->epsilon;
    k.one_minus_beta_1 = 1 - opt->beta_1;
    k.one_minus_beta_2 = 1 - opt->beta_2;
    switch (opt->kind) {
    case FM_OPT_SGD:
        k.rule = opt->momentum == 0 ? FM_RULE_SGD
                                    : (opt->nesterov ? FM_RULE_SGD_NESTEROV : FM_RULE_SGD_MOMENTUM);
        break;
    case FM_OPT_RMSPROP:
        k.rule = opt->momentum == 0 ? FM_RULE_RMSPROP : FM_RULE_RMSPROP_MOMENTUM;
        break;
    default: { /* Adam: Keras 3 folds the bias corrections into the step size */
        const double t = (double)(opt->iterations + 1);
        k.rule = FM_RULE_ADAM;
        k.alpha = opt->learning_rate * sqrt(1 - pow(opt->beta_2, t)) / (1 - pow(opt->beta_1, t));
        break;
    }
    }
    return k;
}

#define FM_TYPED_SOURCE "optim_update.inc"
#include "typed.h"
#undef FM_TYPED_SOURCE

/* The threads take chunks of parameters in turn rather than fixed halves: on a
 * shared host one core often runs slower than the other, and a static split
 * then leaves the faster one waiting (measured: the worker idle through a
 * fifth of the update). The schedule is guided (large chunks first, then
 * smaller ones down to this size, a multiple of every vector): chunks of this
 * size throughout broke the prefetch streams, 2.6 % slower in slow phases. */
#define FM_UPDATE_CHUNK 8192

static inline int64_t chunk_length(int64_t n, int64_t i0)
{
    return n - i0 < FM_UPDATE_CHUNK ? n - i0 : FM_UPDATE_CHUNK;
}

#define DEFINE_STEP(REAL, SFX)                                                                 \
    /* One step of the rule over parameters start .. start+n of the arena (and of     \
     * the optimizer's slots); the caller counts the step in opt->iterations. */      \
    int64_t fm_optimizer_apply_##SFX(const fm_optimizer *opt, int64_t start, int64_t n,       \
                                     REAL *w, const REAL *g)                                   \
    {                                                                                          \
        const fm_update_coeffs k = coefficients(opt);                                          \
        const fm_update_##SFX update = fm_isa()->update_##SFX;                                 \
        REAL *s1 = (REAL *)opt->slot1 + start, *s2 = (REAL *)opt->slot2 + start;               \
        w += start;                                                                            \
        g += start;                                                                            \
        const int nt = fm_threads_for(8.0 * (double)n);                                        \
        const int64_t chunks = (n + FM_UPDATE_CHUNK - 1) / FM_UPDATE_CHUNK;                     \
        int64_t rejected = 0;                                                                  \
        (void)nt;                                                                              \
        _Pragma("omp parallel for schedule(guided) num_threads(nt) if (nt > 1) reduction(+ : rejected)") \
        for (int64_t c = 0; c < chunks; c++) {                                                 \
            const int64_t i0 = c * FM_UPDATE_CHUNK, len = chunk_length(n, i0);                 \
            rejected += update(&k, len, w + i0, g + i0, s1 + i0, s2 + i0);                     \
        }                                                                                      \
        return rejected;                                                                       \
    }
DEFINE_STEP(float, f32)
DEFINE_STEP(double, f64)
