/* Compiles the file named by FM_TYPED_SOURCE twice: for float, with names
 * suffixed _f32, and for double, suffixed _f64. Inside it, REAL is the element
 * type, R(name) the suffixed name, RM(fn) the libm function for REAL (expf or
 * exp) and REAL_MAX the largest finite value. */
#include <float.h>

#define REAL float
#define R(name) name##_f32
#define RM(fn) fn##f
#define REAL_MAX FLT_MAX
#include FM_TYPED_SOURCE
#undef REAL
#undef R
#undef RM
#undef REAL_MAX

#define REAL double
#define R(name) name##_f64
#define RM(fn) fn
#define REAL_MAX DBL_MAX
#include FM_TYPED_SOURCE
#undef REAL
#undef R
#undef RM
#undef REAL_MAX
