/* The optimizer updates (optim_update.inc) compiled for AVX2+FMA. */
#if defined(__x86_64__) || defined(_M_X64)
#pragma GCC target("avx2,fma")
#include <math.h>

#include "kernels.h"
#include "internal.h"

#define FM_ISA avx2
#define FM_TYPED_SOURCE "optim_update.inc"
#include "typed.h"
#endif
