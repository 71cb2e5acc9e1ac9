/* The collective of data-parallel training: a ring allreduce (sum) over
 * stream sockets that Python connected (rank r sends to rank r + 1 and
 * receives from rank r − 1, modulo the world size).
 *
 * The buffer is cut into `world` chunks at fixed boundaries (chunk c starts
 * at n·c/world). Reduce-scatter: in step s (0 .. world − 2) rank r sends
 * chunk (r − s) mod world and receives chunk (r − s − 1) mod world, which it
 * adds to its own as received + own; rank r then holds the sum of chunk
 * (r + 1) mod world. All-gather: in step s it sends chunk (r + 1 − s) and
 * receives chunk (r − s) over its own. So chunk c is summed in one fixed
 * order, g_c + g_(c+1) + … + g_(c−1) (rank indices modulo world), whatever
 * the timing: the result is the same on every rank and in every run
 * (fastmlp/distributed/ring.py's reference_sum adds in it). With two ranks that
 * is g_0 + g_1 for both chunks, IEEE addition being commutative.
 *
 * Each step sends and receives at once (non-blocking sockets and poll), so
 * neither side waits for the other to drain. A peer that closes its socket
 * (its process ended) gives FM_EPEER at once; one silent for timeout_ms
 * gives FM_ETIMEDOUT; the caller then abandons the ring. Counters (bytes,
 * calls, seconds inside) are for benchmarks. */
#include <errno.h>
#include <math.h>
#include <string.h>
#include <time.h>

#if !defined(_WIN32)
#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/types.h>
#endif

#include "fastmlp.h"
#include "kernels.h"

#ifndef MSG_NOSIGNAL
#define MSG_NOSIGNAL 0
#endif

/* Interrupts are looked at this often while waiting (ms). */
#define FM_RING_POLL_SLICE_MS 100

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int64_t chunk_start(int64_t n, int world, int c)
{
    return (int64_t)((__int128)n * c / world);
}

#if !defined(_WIN32)
static int set_nonblocking(int fd)
{
    const int flags = fcntl(fd, F_GETFL, 0);
    if (flags < 0) return -1;
    return (flags & O_NONBLOCK) ? 0 : fcntl(fd, F_SETFL, flags | O_NONBLOCK);
}

/* Sends send_len bytes to the next rank while receiving recv_len bytes from
 * the previous one. */
static int exchange(fm_ring *ring, const char *out, size_t send_len, char *in, size_t recv_len)
{
    size_t sent = 0, got = 0;
    int waited_ms = 0;
    while (sent < send_len || got < recv_len) {
        struct pollfd fds[2];
        int nf = 0, si = -1, ri = -1;
        if (sent < send_len) {
            fds[nf].fd = ring->fd_next;
            fds[nf].events = POLLOUT;
            fds[nf].revents = 0;
            si = nf++;
        }
        if (got < recv_len) {
            fds[nf].fd = ring->fd_prev;
            fds[nf].events = POLLIN;
            fds[nf].revents = 0;
            ri = nf++;
        }
        const int slice = ring->timeout_ms < FM_RING_POLL_SLICE_MS ? ring->timeout_ms
                                                                   : FM_RING_POLL_SLICE_MS;
        const int ready = poll(fds, (nfds_t)nf, slice);
        if (ready < 0) {
            if (errno == EINTR) continue;
            return FM_EPEER;
        }
        if (ready == 0) {
            if (fm_interrupted()) return FM_EINTR;
            waited_ms += slice;
            if (waited_ms >= ring->timeout_ms) return FM_ETIMEDOUT;
            continue;
        }
        waited_ms = 0;
        if (si >= 0 && fds[si].revents) {
            if (fds[si].revents & (POLLERR | POLLNVAL)) return FM_EPEER;
            const ssize_t k = send(ring->fd_next, out + sent, send_len - sent, MSG_NOSIGNAL);
            if (k < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) return FM_EPEER;
            if (k > 0) {
                sent += (size_t)k;
                ring->bytes_sent += k;
            }
        }
        if (ri >= 0 && fds[ri].revents) {
            if (fds[ri].revents & POLLNVAL) return FM_EPEER;
            const ssize_t k = recv(ring->fd_prev, in + got, recv_len - got, 0);
            if (k == 0) return FM_EPEER; /* the previous rank closed its end */
            if (k < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) return FM_EPEER;
            if (k > 0) {
                got += (size_t)k;
                ring->bytes_received += k;
            }
        }
    }
    return FM_OK;
}
#endif

#define FM_TYPED_SOURCE "collective.inc"
#include "typed.h"

int fm_ring_allreduce_f32(fm_ring *ring, float *buf, int64_t n, float *scratch)
{
#if defined(_WIN32)
    (void)ring; (void)buf; (void)n; (void)scratch;
    return FM_EINVAL;
#else
    if (ring->world < 1 || ring->rank < 0 || ring->rank >= ring->world || n < 0 ||
        ring->timeout_ms < 1)
        return FM_EINVAL;
    if (ring->world == 1 || n == 0) return FM_OK;
    if (set_nonblocking(ring->fd_next) || set_nonblocking(ring->fd_prev)) return FM_EPEER;
    const double t0 = now_seconds();
    const int rc = ring_allreduce_f32(ring, buf, n, scratch);
    ring->seconds += now_seconds() - t0;
    ring->calls++;
    return rc;
#endif
}

int fm_ring_allreduce_f64(fm_ring *ring, double *buf, int64_t n, double *scratch)
{
#if defined(_WIN32)
    (void)ring; (void)buf; (void)n; (void)scratch;
    return FM_EINVAL;
#else
    if (ring->world < 1 || ring->rank < 0 || ring->rank >= ring->world || n < 0 ||
        ring->timeout_ms < 1)
        return FM_EINVAL;
    if (ring->world == 1 || n == 0) return FM_OK;
    if (set_nonblocking(ring->fd_next) || set_nonblocking(ring->fd_prev)) return FM_EPEER;
    const double t0 = now_seconds();
    const int rc = ring_allreduce_f64(ring, buf, n, scratch);
    ring->seconds += now_seconds() - t0;
    ring->calls++;
    return rc;
#endif
}

int64_t fm_ring_scratch_size(int64_t n, int world)
{
    int64_t widest = 0;
    for (int c = 0; c < world; c++) {
        const int64_t size = chunk_start(n, world, c + 1) - chunk_start(n, world, c);
        if (size > widest) widest = size;
    }
    return widest;
}
