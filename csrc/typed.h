/* Compiles the file named by FM_TYPED_SOURCE twice: for float, with names
 * suffixed _f32, and for double, suffixed _f64 (with FM_ISA defined, say as
 * avx512: _avx512_f32 and _avx512_f64, for a per-instruction-set copy).
 * Inside it, REAL is the element type, R(name) the suffixed name, RM(fn) the
 * libm function for REAL (expf or exp) and REAL_MAX the largest finite value. */
#include <float.h>

#define FM_PASTE3(a, b, c) a##_##b##_##c
#define FM_NAME3(a, b, c) FM_PASTE3(a, b, c)

#define REAL float
#ifdef FM_ISA
#define R(name) FM_NAME3(name, FM_ISA, f32)
#else
#define R(name) name##_f32
#endif
#define RM(fn) fn##f
#define REAL_MAX FLT_MAX
#include FM_TYPED_SOURCE
#undef REAL
#undef R
#undef RM
#undef REAL_MAX

#define REAL double
#ifdef FM_ISA
#define R(name) FM_NAME3(name, FM_ISA, f64)
#else
#define R(name) name##_f64
#endif
#define RM(fn) fn
#define REAL_MAX DBL_MAX
#include FM_TYPED_SOURCE
#undef REAL
#undef R
#undef RM
#undef REAL_MAX
