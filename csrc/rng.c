/* Counter-based random numbers for dropout. The mask of an element is a pure
 * function of (seed, step, layer, row, column), so it does not depend on how
 * work is split over threads. A training step's forward keeps it as bits
 * (fm_layer.keep) for the backward, which otherwise draws it again.
 *
 * Layout: a row's columns go in blocks of 128; in block B, column
 * 128·B + 16·j + l (j < 8, l < 16) takes 16 bits of Philox4x32-10 at counter
 * (16·B + l, row, layer, step): word j/2, low half for even j, high for odd.
 * So 16 consecutive columns take the same half-word of 16 consecutive
 * counters, which a 16-lane vector computes at once. An element is kept when
 * its 16-bit draw is at least rate·65536 (rounded), and scaled by 1/(1 − rate).
 * "row" is the row's index in the global batch: its index in the rows given
 * plus row0, which is 0 except in a data-parallel shard (fm_net_shard_gradients),
 * whose masks are then those a single process would draw for the same rows. */
#include <math.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "kernels.h"
#include "internal.h"

#define PHILOX_M0 0xD2511F53u
#define PHILOX_M1 0xCD9E8D57u
#define PHILOX_W0 0x9E3779B9u
#define PHILOX_W1 0xBB67AE85u

void fm_philox4x32(const uint32_t counter[4], const uint32_t key[2], uint32_t out[4])
{
    uint32_t c0 = counter[0], c1 = counter[1], c2 = counter[2], c3 = counter[3];
    uint32_t k0 = key[0], k1 = key[1];
    for (int round = 0; round < 10; round++) {
        const uint64_t p0 = (uint64_t)PHILOX_M0 * c0, p1 = (uint64_t)PHILOX_M1 * c2;
        const uint32_t n0 = (uint32_t)(p1 >> 32) ^ c1 ^ k0, n2 = (uint32_t)(p0 >> 32) ^ c3 ^ k1;
        c1 = (uint32_t)p1;
        c3 = (uint32_t)p0;
        c0 = n0;
        c2 = n2;
        k0 += PHILOX_W0;
        k1 += PHILOX_W1;
    }
    out[0] = c0;
    out[1] = c1;
    out[2] = c2;
    out[3] = c3;
}

fm_dropout_key fm_dropout_key_for(uint64_t seed, int64_t step, int layer, double rate)
{
    fm_dropout_key k;
    k.key[0] = (uint32_t)seed;
    k.key[1] = (uint32_t)(seed >> 32) ^ (uint32_t)((uint64_t)step >> 32);
    k.layer = (uint32_t)layer;
    k.step = (uint32_t)step;
    k.threshold = (uint32_t)floor(rate * 65536.0 + 0.5);
    k.scale = 1.0 / (1.0 - rate);
    k.row0 = 0;
    return k;
}

#define FM_TYPED_SOURCE "rng.inc"
#include "typed.h"
