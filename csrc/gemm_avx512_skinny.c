/* AVX-512 float32 kernels for skinny products with n <= 16 outputs per row
 * (a 10-class output layer), where the general kernel would leave most of
 * its 16-lane vectors empty. Contracts in kernels.h.
 *
 * NN (forward Y = X·W): dot products along k. A row and a column of B (packed
 * as Bᵀ, n × k) are both contiguous along k, so all 16 lanes work; each of the
 * rows × n accumulators is reduced horizontally once at the end.
 * TN (weight gradient dW = Xᵀ·dZ): vectors run along m. For one k, the 32
 * values A(i..i+31, p) are contiguous in row p of the stored k×m matrix and
 * B(p, 0..n) is contiguous too, so neither operand is packed; each
 * accumulator holds a column segment of C, stored transposed at the end. */
#if defined(__x86_64__) || defined(_M_X64)
#pragma GCC target("avx512f,avx512bw,avx512dq,avx512vl,fma")
#include <immintrin.h>

#include "kernels.h"
#include "avx512_transpose.h"

/* Bias, accumulation and the cheap activations on a vector holding the first
 * n values of one C row; sigmoid and tanh are applied by the caller over
 * whole rows. */
static inline void store_row(float *c, __m512 x, __mmask16 mask, const float *bias, int act,
                             int accumulate)
{
    if (accumulate) x = _mm512_add_ps(_mm512_maskz_loadu_ps(mask, c), x);
    if (bias) x = _mm512_add_ps(x, _mm512_maskz_loadu_ps(mask, bias));
    if (act == FM_ACT_RELU)
        x = _mm512_max_ps(_mm512_setzero_ps(), x);
    else if (act == FM_ACT_LEAKY_RELU)
        x = _mm512_max_ps(_mm512_mul_ps(_mm512_set1_ps(0.2f), x), x);
    _mm512_mask_storeu_ps(c, mask, x);
}

/* The horizontal sums of v[0..16) as one vector: lane j = Σ v[j] (a
 * transpose-and-add tree, about three operations per input vector). */
static inline __attribute__((always_inline)) __m512 sum16(const __m512 v[16])
{
    __m512 x[8], y[4];
    for (int i = 0; i < 8; i++) /* lane L: v[2i], v[2i+1] partial sums interleaved */
        x[i] = _mm512_add_ps(_mm512_unpacklo_ps(v[2 * i], v[2 * i + 1]),
                             _mm512_unpackhi_ps(v[2 * i], v[2 * i + 1]));
    for (int i = 0; i < 4; i++) /* lane L: one partial sum each of v[4i..4i+3] */
        y[i] = _mm512_add_ps(_mm512_shuffle_ps(x[2 * i], x[2 * i + 1], 0x44),
                             _mm512_shuffle_ps(x[2 * i], x[2 * i + 1], 0xEE));
    const __m512 z0 = _mm512_add_ps(_mm512_shuffle_f32x4(y[0], y[1], 0x88),
                                    _mm512_shuffle_f32x4(y[0], y[1], 0xDD));
    const __m512 z1 = _mm512_add_ps(_mm512_shuffle_f32x4(y[2], y[3], 0x88),
                                    _mm512_shuffle_f32x4(y[2], y[3], 0xDD));
    return _mm512_add_ps(_mm512_shuffle_f32x4(z0, z1, 0x88), _mm512_shuffle_f32x4(z0, z1, 0xDD));
}

/* R rows (1 or 2) × N columns of C = A·B, B given as bt (N × k, row stride ldbt). */
static inline __attribute__((always_inline)) void
dot_rows(const int R, const int N, int64_t k, const float *a, int64_t lda, const float *bt,
         int64_t ldbt, float *c, int64_t ldc, const float *bias, int act, int accumulate)
{
    __m512 acc[2][16];
#pragma GCC unroll 2
    for (int r = 0; r < R; r++)
#pragma GCC unroll 16
        for (int j = 0; j < N; j++) acc[r][j] = _mm512_setzero_ps();
    int64_t p = 0;
    for (; p + 16 <= k; p += 16) {
        __m512 x[2];
#pragma GCC unroll 2
        for (int r = 0; r < R; r++) x[r] = _mm512_loadu_ps(a + r * lda + p);
#pragma GCC unroll 16
        for (int j = 0; j < N; j++) {
            const __m512 w = _mm512_loadu_ps(bt + j * ldbt + p);
#pragma GCC unroll 2
            for (int r = 0; r < R; r++) acc[r][j] = _mm512_fmadd_ps(x[r], w, acc[r][j]);
        }
    }
    if (p < k) {
        const __mmask16 mask = fm_first_lanes(k - p);
        __m512 x[2];
#pragma GCC unroll 2
        for (int r = 0; r < R; r++) x[r] = _mm512_maskz_loadu_ps(mask, a + r * lda + p);
#pragma GCC unroll 16
        for (int j = 0; j < N; j++) {
            const __m512 w = _mm512_maskz_loadu_ps(mask, bt + j * ldbt + p);
#pragma GCC unroll 2
            for (int r = 0; r < R; r++) acc[r][j] = _mm512_fmadd_ps(x[r], w, acc[r][j]);
        }
    }
    const __mmask16 mask = fm_first_lanes(N);
#pragma GCC unroll 2
    for (int r = 0; r < R; r++) {
        __m512 v[16];
#pragma GCC unroll 16
        for (int j = 0; j < 16; j++) v[j] = j < N ? acc[r][j] : _mm512_setzero_ps();
        store_row(c + r * ldc, sum16(v), mask, bias, act, accumulate);
    }
}

#define DOT_CASE(N)                                                                          \
    case N:                                                                                  \
        for (; i + 2 <= rows && N <= 12; i += 2)                                             \
            dot_rows(2, N, k, a + i * lda, lda, bt, ldbt, c + i * ldc, ldc, bias, act, acc); \
        for (; i < rows; i++)                                                                \
            dot_rows(1, N, k, a + i * lda, lda, bt, ldbt, c + i * ldc, ldc, bias, act, acc); \
        break;

void fm_skinny_nn_avx512_f32(int64_t rows, int64_t n, int64_t k, const float *a, int64_t lda,
                             const float *bt, int64_t ldbt, float *c, int64_t ldc,
                             const float *bias, int act, int acc)
{
    int64_t i = 0;
    switch (n) {
        DOT_CASE(1) DOT_CASE(2) DOT_CASE(3) DOT_CASE(4) DOT_CASE(5) DOT_CASE(6) DOT_CASE(7)
        DOT_CASE(8) DOT_CASE(9) DOT_CASE(10) DOT_CASE(11) DOT_CASE(12) DOT_CASE(13)
        DOT_CASE(14) DOT_CASE(15) DOT_CASE(16)
    default:
        break;
    }
    if (act == FM_ACT_SIGMOID || act == FM_ACT_TANH) fm_act_rows_avx512_f32(act, rows, n, c, ldc);
}

/* C rows i..i+V·16 (at most `rows`) × N columns of C = Aᵀ·B with A stored k × m. */
static inline __attribute__((always_inline)) void
col_rows(const int V, const int N, int64_t rows, int64_t k, const float *a, int64_t lda,
         const float *b, int64_t ldb, float *c, int64_t ldc, const float *bias, int act,
         int accumulate)
{
    __m512 acc[16][2];
    const __mmask16 m0 = fm_first_lanes(rows), m1 = fm_first_lanes(rows - 16);
#pragma GCC unroll 16
    for (int j = 0; j < N; j++)
#pragma GCC unroll 2
        for (int v = 0; v < V; v++) acc[j][v] = _mm512_setzero_ps();
    for (int64_t p = 0; p < k; p++) {
        __m512 x[2];
        x[0] = _mm512_maskz_loadu_ps(m0, a + p * lda);
        if (V > 1) x[1] = _mm512_maskz_loadu_ps(m1, a + p * lda + 16);
        const float *bp = b + p * ldb;
#pragma GCC unroll 16
        for (int j = 0; j < N; j++) {
            const __m512 w = _mm512_set1_ps(bp[j]);
#pragma GCC unroll 2
            for (int v = 0; v < V; v++) acc[j][v] = _mm512_fmadd_ps(x[v], w, acc[j][v]);
        }
    }
    const __mmask16 mask = fm_first_lanes(N);
#pragma GCC unroll 2
    for (int v = 0; v < V; v++) {
        __m512 block[16]; /* row j: C(i + 16v .. +16, j); transposed: row l = C(i + 16v + l, ·) */
#pragma GCC unroll 16
        for (int j = 0; j < 16; j++) block[j] = j < N ? acc[j][v] : _mm512_setzero_ps();
        transpose16(block);
        const int64_t count = rows - 16 * v < 16 ? rows - 16 * v : 16;
        for (int64_t l = 0; l < count; l++)
            store_row(c + (16 * v + l) * ldc, block[l], mask, bias, act, accumulate);
    }
}

#define COL_CASE(N)                                                                         \
    case N:                                                                                 \
        for (; i < rows; i += (N <= 12 ? 32 : 16))                                          \
            col_rows(N <= 12 ? 2 : 1, N, rows - i, k, a + i, lda, b, ldb, c + i * ldc, ldc, \
                     bias, act, acc);                                                       \
        break;

void fm_skinny_tn_avx512_f32(int64_t rows, int64_t n, int64_t k, const float *a, int64_t lda,
                             const float *b, int64_t ldb, float *c, int64_t ldc,
                             const float *bias, int act, int acc)
{
    int64_t i = 0;
    switch (n) {
        COL_CASE(1) COL_CASE(2) COL_CASE(3) COL_CASE(4) COL_CASE(5) COL_CASE(6) COL_CASE(7)
        COL_CASE(8) COL_CASE(9) COL_CASE(10) COL_CASE(11) COL_CASE(12) COL_CASE(13)
        COL_CASE(14) COL_CASE(15) COL_CASE(16)
    default:
        break;
    }
    if (act == FM_ACT_SIGMOID || act == FM_ACT_TANH) fm_act_rows_avx512_f32(act, rows, n, c, ldc);
}

/* dst[j*ldd + i] = src[i*lds + j] for i < rows, j < cols: 16×16 blocks
 * through a register transpose, edges masked. */
void fm_transpose_avx512_f32(const float *src, int64_t lds, int64_t rows, int64_t cols, float *dst,
                             int64_t ldd)
{
    for (int64_t i0 = 0; i0 < rows; i0 += 16) {
        const int64_t ni = rows - i0 < 16 ? rows - i0 : 16;
        const __mmask16 keep = fm_first_lanes(ni);
        for (int64_t j0 = 0; j0 < cols; j0 += 16) {
            const int64_t nj = cols - j0 < 16 ? cols - j0 : 16;
            const __mmask16 mask = fm_first_lanes(nj);
            __m512 block[16];
            for (int i = 0; i < 16; i++)
                block[i] = i < ni ? _mm512_maskz_loadu_ps(mask, src + (i0 + i) * lds + j0)
                                  : _mm512_setzero_ps();
            transpose16(block);
            for (int64_t j = 0; j < nj; j++)
                _mm512_mask_storeu_ps(dst + (j0 + j) * ldd + i0, keep, block[j]);
        }
    }
}
#endif
