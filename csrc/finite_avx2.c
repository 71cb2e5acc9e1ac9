/* The finiteness scan (finite.inc) compiled for AVX2. */
#if defined(__x86_64__) || defined(_M_X64)
#pragma GCC target("avx2,fma")
#include <math.h>
#include <string.h>

#include "kernels.h"

#define FM_ISA avx2
#define FM_TYPED_SOURCE "finite.inc"
#include "typed.h"
#endif
