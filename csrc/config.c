/* Build facts and the thread count. */
#ifdef _OPENMP
#include <omp.h>
#endif

#include "kernels.h"

/* Work under this many flops per thread runs on fewer threads: forking a team
 * costs about a microsecond, a few thousand flops on one core. */
#define FM_MIN_FLOPS_PER_THREAD 2.0e5

static int fm_threads; /* 0: follow omp_get_max_threads() (OMP_NUM_THREADS, threadpoolctl) */

const char *fm_compiler(void)
{
#if defined(__clang__)
    return "clang " __clang_version__;
#elif defined(__GNUC__)
    return "gcc " __VERSION__;
#elif defined(_MSC_VER)
    return "msvc";
#else
    return "unknown";
#endif
}

int fm_openmp_enabled(void)
{
#ifdef _OPENMP
    return 1;
#else
    return 0;
#endif
}

int fm_openmp_version(void)
{
#ifdef _OPENMP
    return _OPENMP;
#else
    return 0;
#endif
}

int fm_num_procs(void)
{
#ifdef _OPENMP
    return omp_get_num_procs();
#else
    return 1;
#endif
}

int fm_get_num_threads(void)
{
#ifdef _OPENMP
    return fm_threads > 0 ? fm_threads : omp_get_max_threads();
#else
    return 1;
#endif
}

void fm_set_num_threads(int n)
{
    fm_threads = n > 0 ? n : 0;
}

int fm_threads_for(double flops)
{
#ifdef _OPENMP
    if (omp_in_parallel()) return 1;
    const int most = fm_get_num_threads();
    const double fit = flops / FM_MIN_FLOPS_PER_THREAD;
    if (fit < 2) return 1;
    return fit < most ? (int)fit : most;
#else
    (void)flops;
    return 1;
#endif
}
