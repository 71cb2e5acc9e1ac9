/* The GEMM driver: blocking, packing and threading around the per-ISA
 * micro-kernels (kernels.h), after Goto & van de Geijn's layered scheme.
 *
 * Loops, outermost first, for C(m×n) = op(A)(m×k)·op(B)(k×n):
 *   jc: n in NC-column blocks
 *   pc: k in equal blocks of at most KC  -> pack op(B)[pc, jc] into NR-wide,
 *                                           k-major panels (absorbs trans_b)
 *   ic: m in MC-row blocks; A is read in place (a row panel's MR values at
 *       one k are broadcast, so they need no unit stride), except the last
 *       panel when it has fewer than MR rows, which is packed zero-padded
 *   tiles of the MC×NC block, row panel outer, column panel inner: the
 *   MR×kc A panel stays in L1 while the packed B panels stream from L2.
 * Threads pack disjoint panels, meet at a barrier, then split the tiles; the
 * k blocking depends on k alone and every C element is summed by one thread
 * in k order, so results are bitwise identical for any thread count. */
#include <stdlib.h>
#include <string.h>
#if !defined(_WIN32)
#include <pthread.h>
#endif
#ifdef _OPENMP
#include <omp.h>
#endif

#include "kernels.h"
#include "internal.h"

/* Pack buffers are cached per calling thread and grow on demand, so steady
 * training and repeated predicts allocate nothing; concurrent callers (two
 * Python threads predicting) each use their own. */
typedef struct {
    void *ptr;
    size_t bytes;
} pack_cache;

static void pack_cache_release(void *p)
{
    pack_cache *cache = (pack_cache *)p;
    if (cache) {
        fm_aligned_free(cache->ptr);
        free(cache);
    }
}

#if !defined(_WIN32)
static pthread_key_t cache_key;
static pthread_once_t cache_once = PTHREAD_ONCE_INIT;
static int cache_key_ok;
static void cache_key_init(void) { cache_key_ok = pthread_key_create(&cache_key, pack_cache_release) == 0; }

void *fm_pack_buffer(size_t bytes)
{
    pthread_once(&cache_once, cache_key_init);
    if (!cache_key_ok) return NULL;
    pack_cache *cache = (pack_cache *)pthread_getspecific(cache_key);
    if (!cache) {
        cache = (pack_cache *)calloc(1, sizeof *cache);
        if (!cache) return NULL;
        if (pthread_setspecific(cache_key, cache) != 0) {
            free(cache);
            return NULL;
        }
    }
    if (cache->bytes < bytes) {
        fm_aligned_free(cache->ptr);
        cache->ptr = fm_aligned_alloc(bytes);
        cache->bytes = cache->ptr ? bytes : 0;
    }
    return cache->ptr;
}
#else
static __declspec(thread) pack_cache win_cache;
void *fm_pack_buffer(size_t bytes)
{
    if (win_cache.bytes < bytes) {
        fm_aligned_free(win_cache.ptr);
        win_cache.ptr = fm_aligned_alloc(bytes);
        win_cache.bytes = win_cache.ptr ? bytes : 0;
    }
    return win_cache.ptr;
}
#endif

void *fm_aligned_alloc(size_t bytes)
{
    if (bytes == 0) bytes = 64;
    bytes = (bytes + 63) & ~(size_t)63;
#if defined(_WIN32)
    return _aligned_malloc(bytes, 64);
#else
    void *p = NULL;
    return posix_memalign(&p, 64, bytes) == 0 ? p : NULL;
#endif
}

void fm_aligned_free(void *p)
{
#if defined(_WIN32)
    _aligned_free(p);
#else
    free(p);
#endif
}

#define FM_TYPED_SOURCE "gemm.inc"
#include "typed.h"
