/* Build facts and the thread count. */
#include <time.h>
#ifdef _OPENMP
#include <omp.h>
#endif
#if !defined(_WIN32)
#include <pthread.h>
#endif

#include "kernels.h"

/* Work under this many flops per thread runs on fewer threads: forking a team
 * costs about a microsecond, a few thousand flops on one core. When the cores
 * are contended, a team costs up to a scheduler time slice (milliseconds), so
 * only work of several milliseconds per thread is split. */
#define FM_MIN_FLOPS_PER_THREAD 5.0e5
#define FM_CONTENDED_FLOPS_PER_THREAD 5.0e8

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

/* Contention. When other processes keep the cores busy, a team thread can
 * wait a whole scheduler time slice (milliseconds) before it runs, and every
 * parallel region waits for it: a few threads then run slower than one. So
 * the GEMM regions report how late their first worker started; after two late
 * starts among the last eight, only large work is split between threads for
 * FM_SOLO_NS (its regions keep measuring), then the usual sizes are tried
 * again. A start is late far beyond waking a thread on an idle core (tens of
 * microseconds). */
#define FM_LATE_START_NS 1000000
#define FM_SOLO_NS 200000000
static int64_t solo_until_ns; /* monotonic ns; __atomic access (any Python thread) */
static unsigned late_starts;  /* bit i: the team started i regions ago was late */
static int64_t contention_events;

int64_t fm_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

void fm_note_team_start(int64_t region_start_ns)
{
    const int64_t now = fm_now_ns();
    const unsigned late = now - region_start_ns > FM_LATE_START_NS;
    const unsigned history =
        (__atomic_load_n(&late_starts, __ATOMIC_RELAXED) << 1 | late) & 0xFFu;
    __atomic_store_n(&late_starts, history, __ATOMIC_RELAXED);
    if (__builtin_popcount(history) >= 2) {
        __atomic_store_n(&solo_until_ns, now + FM_SOLO_NS, __ATOMIC_RELAXED);
        __atomic_store_n(&late_starts, 0u, __ATOMIC_RELAXED);
        __atomic_add_fetch(&contention_events, 1, __ATOMIC_RELAXED);
    }
}

int64_t fm_contention_events(void) { return __atomic_load_n(&contention_events, __ATOMIC_RELAXED); }

int fm_contended(void)
{
    const int64_t until = __atomic_load_n(&solo_until_ns, __ATOMIC_RELAXED);
    return until != 0 && fm_now_ns() < until;
}

int fm_threads_for(double flops)
{
#ifdef _OPENMP
    if (forked_after_pool || omp_in_parallel()) return 1;
    const int most = fm_get_num_threads();
    const double fit =
        flops / (fm_contended() ? FM_CONTENDED_FLOPS_PER_THREAD : FM_MIN_FLOPS_PER_THREAD);
    if (fit < 2 || most < 2) return 1;
    pool_started = 1;
    return fit < most ? (int)fit : most;
#else
    (void)flops;
    return 1;
#endif
}
