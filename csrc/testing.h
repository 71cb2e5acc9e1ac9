/* Hooks for the tests only (fastmlp/_engine.pyx exposes them with a _test_
 * prefix); no part of fastmlp's own calls. */
#ifndef FASTMLP_TESTING_H
#define FASTMLP_TESTING_H

#include <stdint.h>

/* enable != 0: where the instruction set in use has no bfloat16 kernels,
 * bfloat16 products run on the emulated ones (gemm_bf16_emulated.c) instead
 * of being refused. Returns the previous setting. */
int fm_bf16_emulation(int enable);

/* x rounded to bfloat16 (to nearest, ties to even), as its 16 bits. */
uint16_t fm_bf16_bits(float x);

#endif
