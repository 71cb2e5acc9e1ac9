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
 * calls, seconds inside) are for benchmarks.
 *
 * Ranks that all run on one machine can share a memory segment instead
 * (fm_ring_attach_shm; ring.py passes a memfd around the ring). Layout: a
 * header of one cache line per word (word 0: the abort flag, word 1 + q:
 * how many times rank q has arrived at a barrier), then two sets (by the
 * parity of the call) of `world` slots, one per rank. In a call rank r
 * copies its buf into its slot except chunk r, arrives; sums chunk r over
 * the slots in the socket ring's order (g_r from its own buf, then
 * g_(r+1) … g_(r−1) from the slots, each added to the running sum as
 * sum + g), so the bits are the socket ring's; writes the sum into its
 * buf and its slot's chunk r, arrives; then copies every other rank's
 * summed chunk from that rank's slot. Only rank c reads or writes chunk c
 * of a slot between the two barriers. A rank writes a set again two calls
 * later, after every rank has arrived at the next call's first barrier,
 * that is, has finished reading it. A buffer wider than a slot takes the
 * socket path (every rank decides alike: n is the same everywhere). While
 * waiting, a rank watches the abort flag (set by a rank that failed) and
 * its two sockets, which stay open and silent: their closing means a peer
 * died. For this path bytes_sent counts what the rank writes into the
 * segment and bytes_received what it reads from the other ranks' slots. */
#include <errno.h>
#include <math.h>
#include <string.h>
#include <time.h>

#if !defined(_WIN32)
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#endif

#include "fastmlp.h"
#include "kernels.h"

#ifndef MSG_NOSIGNAL
#define MSG_NOSIGNAL 0
#endif

/* Interrupts are looked at this often while waiting (ms). */
#define FM_RING_POLL_SLICE_MS 100

#define FM_SHM_LINE 64
#define FM_SHM_HEADER 4096
/* A waiting rank spins this long (s), then yields its core this long, then
 * sleeps in FM_SHM_NAP_NS naps; it looks at its sockets and for interrupts
 * every FM_SHM_LOOK seconds. */
#define FM_SHM_SPIN 50e-6
#define FM_SHM_YIELD 2e-3
#define FM_SHM_NAP_NS 50000
#define FM_SHM_LOOK 1e-3

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

#if !defined(_WIN32)
static uint64_t *shm_word(const fm_ring *ring, int i)
{
    return (uint64_t *)((char *)ring->shm + (size_t)FM_SHM_LINE * (size_t)i);
}

static void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
}

/* Whether a neighbour's end of the (otherwise silent) sockets has closed.
 * Data on fd_prev is no sign of death: the previous rank may have gone on
 * to a socket-path call already. */
static int peer_gone(const fm_ring *ring)
{
    struct pollfd fds[2] = {{ring->fd_prev, POLLIN, 0}, {ring->fd_next, 0, 0}};
    if (poll(fds, 2, 0) <= 0) return 0;
    if ((fds[0].revents | fds[1].revents) & (POLLHUP | POLLERR | POLLNVAL)) return 1;
    if (fds[0].revents & POLLIN) {
        char byte;
        return recv(ring->fd_prev, &byte, 1, MSG_PEEK | MSG_DONTWAIT) == 0;
    }
    return 0;
}

static int all_arrived(const fm_ring *ring, uint64_t seq)
{
    for (int q = 0; q < ring->world; q++)
        if (__atomic_load_n(shm_word(ring, 1 + q), __ATOMIC_ACQUIRE) < seq) return 0;
    return 1;
}

/* Arrives at barrier number seq and waits for every rank to arrive there. */
static int shm_barrier(fm_ring *ring, uint64_t seq)
{
    __atomic_store_n(shm_word(ring, 1 + ring->rank), seq, __ATOMIC_RELEASE);
    const double t0 = now_seconds();
    double look = t0 + FM_SHM_LOOK;
    for (unsigned spins = 1;; spins++) {
        if (all_arrived(ring, seq)) return FM_OK;
        if (__atomic_load_n(shm_word(ring, 0), __ATOMIC_RELAXED)) return FM_EPEER;
        if (spins % 64) {
            cpu_relax();
            continue;
        }
        const double t = now_seconds();
        if (t >= look) {
            if (fm_interrupted()) return FM_EINTR;
            if (peer_gone(ring)) return all_arrived(ring, seq) ? FM_OK : FM_EPEER;
            if ((t - t0) * 1e3 >= ring->timeout_ms) return FM_ETIMEDOUT;
            look = t + FM_SHM_LOOK;
        }
        if (t - t0 < FM_SHM_SPIN) {
            cpu_relax();
        } else if (t - t0 < FM_SHM_YIELD) {
            sched_yield();
        } else {
            const struct timespec nap = {0, FM_SHM_NAP_NS};
            nanosleep(&nap, NULL);
        }
    }
}

int fm_ring_attach_shm(fm_ring *ring, int fd)
{
    struct stat st;
    if (ring->world < 2 || (ring->world + 1) * FM_SHM_LINE > FM_SHM_HEADER || fstat(fd, &st))
        return FM_EINVAL;
    const int64_t slot = ((int64_t)st.st_size - FM_SHM_HEADER) / (2 * ring->world) / FM_SHM_LINE *
                         FM_SHM_LINE;
    if (slot < FM_SHM_LINE) return FM_EINVAL;
    void *base = mmap(NULL, (size_t)st.st_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (base == MAP_FAILED) return FM_ENOMEM;
    fm_ring_detach_shm(ring);
    ring->shm = base;
    ring->shm_size = st.st_size;
    ring->shm_slot = slot;
    ring->shm_seq = 0;
    return FM_OK;
}

void fm_ring_detach_shm(fm_ring *ring)
{
    if (ring->shm) munmap(ring->shm, (size_t)ring->shm_size);
    ring->shm = NULL;
    ring->shm_size = ring->shm_slot = 0;
}
#else
int fm_ring_attach_shm(fm_ring *ring, int fd)
{
    (void)ring; (void)fd;
    return FM_ENOTSUP;
}

void fm_ring_detach_shm(fm_ring *ring) { ring->shm = NULL; }
#endif

#define FM_TYPED_SOURCE "collective.inc"
#include "typed.h"

int64_t fm_ring_scratch_size(int64_t n, int world)
{
    int64_t widest = 0;
    for (int c = 0; c < world; c++) {
        const int64_t size = chunk_start(n, world, c + 1) - chunk_start(n, world, c);
        if (size > widest) widest = size;
    }
    return widest;
}
