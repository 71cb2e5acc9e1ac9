/* The GEMM driver: blocking, packing and threading around the per-ISA
 * micro-kernels (kernels.h), after Goto & van de Geijn's layered scheme.
 *
 * Loops, outermost first, for C(m×n) = op(A)(m×k)·op(B)(k×n):
 *   jc: n in NC-column blocks
 *   pc: k in equal blocks of at most KC  -> pack op(B)[pc, jc] into NR-wide,
 *                                           k-major panels (absorbs trans_b)
 *   tiles of the m×NC block, row panel outer, column panel inner: the MR×kc
 *   A panel stays in L1 while the packed B panels stream from L2. A is read
 *   in place, never packed: a row panel's MR values at one k are broadcast,
 *   so they need no unit stride, and the kernels read only the rows there are.
 *   With a single row panel (m <= MR, e.g. predicting one row) B is read in
 *   place too, since each of its values is used once.
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

/* Whether gemm_skinny takes a product n columns wide (not transposing B). */
static int skinny_takes_f32(int64_t n)
{
    const fm_skinny_kernels *sk = fm_isa()->skinny;
    return sk && n <= sk->max_n;
}
static int skinny_takes_f64(int64_t n) { (void)n; return 0; }

/* The skinny kernels (n <= 16, float32, AVX-512): returns 1 when it handled
 * the product (with *rc set), 0 to leave it to the blocked path. Rows are
 * split between threads; for NN they first pack Bᵀ (n × k) together. */
static int gemm_skinny_f32(int trans_a, int trans_b, int64_t m, int64_t n, int64_t k,
                           const float *a, int64_t lda, const float *b, int64_t ldb, float *c,
                           int64_t ldc, const float *bias, int act, int accumulate, int *rc)
{
    if (trans_b || !skinny_takes_f32(n)) return 0;
    const fm_skinny_kernels *sk = fm_isa()->skinny;
    const int nt = fm_threads_for(2.0 * (double)m * (double)n * (double)k);
    const int64_t ldbt = (k + 15) & ~(int64_t)15;
    float *bt = NULL;
    if (!trans_a) { /* NN reads B transposed: n × k, rows padded to whole vectors */
        bt = (float *)fm_pack_buffer((size_t)(n * ldbt) * sizeof(float));
        if (!bt) {
            *rc = FM_ENOMEM;
            return 1;
        }
    }
    *rc = FM_OK;
    if (nt <= 1) { /* inline: a region of one thread still costs a system call */
        if (!trans_a) {
            fm_isa()->transpose_f32(b, ldb, k, n, bt, ldbt);
            sk->nn_f32(m, n, k, a, lda, bt, ldbt, c, ldc, bias, act, accumulate);
        } else {
            sk->tn_f32(m, n, k, a, lda, b, ldb, c, ldc, bias, act, accumulate);
        }
        return 1;
    }
#ifdef _OPENMP
    const int64_t start = fm_now_ns();
#pragma omp parallel num_threads(nt)
#endif
    {
        int tid = 0, nth = 1;
        FM_TEAM(tid, nth);
#ifdef _OPENMP
        if (tid == 1) fm_note_team_start(start);
#endif
        int64_t i0, i1;
        if (!trans_a) {
            int64_t p0, p1;
            fm_share(k, 16, tid, nth, &p0, &p1);
            if (p1 > p0) fm_isa()->transpose_f32(b + p0 * ldb, ldb, p1 - p0, n, bt + p0, ldbt);
#ifdef _OPENMP
            if (nth > 1) {
#pragma omp barrier
            }
#endif
            fm_share(m, 2, tid, nth, &i0, &i1); /* the NN kernel goes two rows at a time */
            if (i1 > i0)
                sk->nn_f32(i1 - i0, n, k, a + i0 * lda, lda, bt, ldbt, c + i0 * ldc, ldc, bias, act,
                           accumulate);
        } else {
            fm_share(m, 32, tid, nth, &i0, &i1); /* the TN kernel, 32 rows at a time */
            if (i1 > i0)
                sk->tn_f32(i1 - i0, n, k, a + i0, lda, b, ldb, c + i0 * ldc, ldc, bias, act,
                           accumulate);
        }
    }
    return 1;
}

static int gemm_skinny_f64(int trans_a, int trans_b, int64_t m, int64_t n, int64_t k,
                           const double *a, int64_t lda, const double *b, int64_t ldb, double *c,
                           int64_t ldc, const double *bias, int act, int accumulate, int *rc)
{
    (void)trans_a, (void)trans_b, (void)m, (void)n, (void)k, (void)a, (void)lda, (void)b;
    (void)ldb, (void)c, (void)ldc, (void)bias, (void)act, (void)accumulate, (void)rc;
    return 0;
}

/* The wide kernel (one or two rows), float32 only for now. */
static fm_ukr_f32 wide_ukr_f32(void) { return fm_isa()->wide_f32.ukr; }
static int wide_rows_f32(void) { return fm_isa()->wide_f32.rows; }
static int wide_nr_f32(void) { return fm_isa()->wide_f32.nr; }
static fm_ukr_f64 wide_ukr_f64(void) { return NULL; }
static int wide_rows_f64(void) { return 0; }
static int wide_nr_f64(void) { return 0; }

#define FM_TYPED_SOURCE "gemm.inc"
#include "typed.h"
