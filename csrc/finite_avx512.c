/* The finiteness scan (finite.inc) compiled for AVX-512, 512-bit vectors. */
#if defined(__x86_64__) || defined(_M_X64)
#pragma GCC target("avx512f,avx512bw,avx512dq,avx512vl,fma,prefer-vector-width=512")
#include <math.h>
#include <string.h>

#include "kernels.h"

#define FM_ISA avx512
#define FM_TYPED_SOURCE "finite.inc"
#include "typed.h"
#endif
