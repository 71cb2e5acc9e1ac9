/* Build facts and the thread count. */
#ifdef _OPENMP
#include <omp.h>
#endif
#if !defined(_WIN32)
#include <pthread.h>
#endif

#include "kernels.h"

/* Work under this many flops per thread runs on fewer threads: forking a team
 * costs about a microsecond, a few thousand flops on one core. */
#define FM_MIN_FLOPS_PER_THREAD 5.0e5

static int fm_threads; /* 0: follow omp_get_max_threads() (OMP_NUM_THREADS, threadpoolctl) */

/* GNU OpenMP's thread pool does not survive fork(): a child whose parent had
 * started it hangs in its first parallel region. So a child forked after
 * fastmlp used threads runs single-threaded (use the spawn start method for
 * parallel workers). */
static volatile int pool_started, forked_after_pool;

#if !defined(_WIN32)
static void in_forked_child(void)
{
    if (pool_started) forked_after_pool = 1;
}
static pthread_once_t fork_once = PTHREAD_ONCE_INIT;
static void register_fork_handler(void) { pthread_atfork(NULL, NULL, in_forked_child); }
#endif

void fm_config_init(void)
{
#if !defined(_WIN32)
    pthread_once(&fork_once, register_fork_handler);
#endif
}

int fm_forked_single_threaded(void) { return forked_after_pool; }

/* Threads for a parallel region that is not sized by fm_threads_for (the peak
 * probe): at most `wanted`, 1 in a forked child, and the pool is noted. */
int fm_threads_exactly(int wanted)
{
    if (forked_after_pool || wanted < 2) return 1;
    pool_started = 1;
    return wanted;
}

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
    if (forked_after_pool) return 1;
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
    if (forked_after_pool || omp_in_parallel()) return 1;
    const int most = fm_get_num_threads();
    const double fit = flops / FM_MIN_FLOPS_PER_THREAD;
    if (fit < 2 || most < 2) return 1;
    pool_started = 1;
    return fit < most ? (int)fit : most;
#else
    (void)flops;
    return 1;
#endif
}
