"""Connecting the ranks of a ring allreduce, and the order it sums in.

Each rank listens on a port the OS picks (port 0: no port scheme to collide
with, and a port freed by one run is never needed by the next), publishes
``(host, port)`` through whatever rendezvous its launcher has (a Dask
Variable, a Ray driver), connects to the next rank and accepts the previous
one. A short handshake (the fit's token and the ranks) makes sure each socket
joins the right two ranks of the right fit. The sums themselves run in C
(``fastmlp._engine.Ring``) with the GIL released.

When every link of the ring is a Unix socket (all ranks on this machine),
rank 0 makes a memfd and the ranks pass it along the ring (SCM_RIGHTS); the
C ring then sums through that shared memory, to the socket ring's bits, and
keeps the sockets only to notice a peer's death. FASTMLP_RING_SOCKET=1 keeps
the socket path (FASTMLP_RING_TCP=1 does too, having no Unix sockets).
"""
from __future__ import annotations

import os
import secrets
import select
import socket
import struct
import sys
import time
import zlib
from typing import Callable, List, Optional, Sequence, Tuple

import numpy as np

from .. import _engine

__all__ = ["Listener", "connect_ring", "RingConnection", "reference_sum", "RingError",
           "DEFAULT_TIMEOUT"]

RingError = _engine.RingError

# seconds a rank waits for a silent peer before failing (a lost worker raises
# instead of hanging); each step's work on the slowest rank must fit in it
DEFAULT_TIMEOUT = 120.0

_HELLO = struct.Struct("!4sQii")  # magic, token, sender's rank, world
_MAGIC = b"fmlp"

# the shared segment: a 4 KiB header (one cache line per rank, so at most 63
# ranks) and two slots per rank of this many bytes (FASTMLP_RING_SHM_BYTES);
# the memfd is sparse, so only what the buffers touch takes memory. A wider
# buffer takes the socket path.
SHM_SLOT_BYTES = 256 << 20
_SHM_HEADER = 4096
_SHM_MAX_WORLD = 63


def host_address() -> str:
    """This machine's address by its host name (no packet is sent), or
    127.0.0.1 when the name does not resolve. Launchers pass the address
    their workers already use instead (Dask's worker address, Ray's node IP)."""
    try:
        return socket.gethostbyname(socket.gethostname())
    except OSError:
        return "127.0.0.1"


def machine_id() -> str:
    """What identifies this machine (and network namespace) for the Unix-socket
    path: the host name and the kernel's boot id."""
    try:
        with open("/proc/sys/kernel/random/boot_id") as f:
            boot = f.read().strip()
    except OSError:
        boot = ""
    return f"{socket.gethostname()}/{boot}"


def _unix_path_allowed() -> bool:
    """Linux abstract Unix sockets, unless FASTMLP_RING_TCP=1 asks for TCP only."""
    return sys.platform.startswith("linux") and os.environ.get("FASTMLP_RING_TCP", "") in ("", "0")


def _shm_allowed() -> bool:
    return (sys.platform.startswith("linux") and hasattr(os, "memfd_create")
            and hasattr(socket, "send_fds")
            and os.environ.get("FASTMLP_RING_SOCKET", "") in ("", "0"))


def _shm_slot_bytes() -> int:
    try:
        return max(64, int(os.environ.get("FASTMLP_RING_SHM_BYTES", SHM_SLOT_BYTES)))
    except ValueError:
        return SHM_SLOT_BYTES


def _send_flag(sock: socket.socket, flag: bool, fd: int = -1) -> None:
    if fd >= 0:
        socket.send_fds(sock, [b"\1"], [fd])
    else:
        sock.sendall(b"\1" if flag else b"\0")


def _recv_flag(sock: socket.socket) -> Tuple[bool, int]:
    """(the flag, a passed fd or -1)."""
    if sock.family == socket.AF_UNIX:
        data, fds, _, _ = socket.recv_fds(sock, 1, 1)
    else:
        data, fds = sock.recv(1), []
    if not data:
        for fd in fds:
            os.close(fd)
        raise RingError("a peer closed its connection while the ring was forming")
    fd = fds[0] if fds else -1
    for extra in fds[1:]:
        os.close(extra)
    return data == b"\1", fd


def _share_memory(rank: int, world: int, out: socket.socket, inc: socket.socket) -> int:
    """Two trips around the ring. The first carries "every link so far is a
    Unix socket and wants shared memory" and rank 0's memfd; the second
    carries the outcome to every rank. Returns the memfd when every rank
    takes part, else -1."""
    mine = (_shm_allowed() and out.family == socket.AF_UNIX and world <= _SHM_MAX_WORLD)
    fd = -1
    try:
        if rank == 0:
            if mine:
                try:
                    fd = os.memfd_create("fastmlp-ring", os.MFD_CLOEXEC)
                    os.ftruncate(fd, _SHM_HEADER + 2 * world * _shm_slot_bytes())
                except OSError:
                    if fd >= 0:
                        os.close(fd)
                    fd, mine = -1, False
            _send_flag(out, mine, fd)
            every, _ = _recv_flag(inc)
            _send_flag(out, every)
        else:
            upstream, fd = _recv_flag(inc)
            ok = upstream and mine and fd >= 0
            _send_flag(out, ok, fd if ok and rank + 1 < world else -1)
            every, _ = _recv_flag(inc)
            if rank + 1 < world:
                _send_flag(out, every)
    except BaseException:
        if fd >= 0:
            os.close(fd)
        raise
    if not every and fd >= 0:
        os.close(fd)
        fd = -1
    return fd


class Listener:
    """Where a rank waits for its previous rank: a TCP socket on a port the
    OS assigns and, on Linux, an abstract Unix socket that ranks on the same
    machine use instead (about 2.7x the loopback TCP throughput here).

    Parameters
    ----------
    host : str, optional
        The address to bind and publish (default: this machine's address by name).
    """

    def __init__(self, host: Optional[str] = None):
        self.host = host or host_address()
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind((self.host, 0))
        self.sock.listen(4)
        self.port = self.sock.getsockname()[1]
        self.unix = None
        self.unix_name = ""
        if _unix_path_allowed():
            name = f"\0fastmlp-ring-{os.getpid()}-{secrets.token_hex(8)}"
            try:
                unix = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                unix.bind(name)
                unix.listen(4)
                self.unix, self.unix_name = unix, name[1:]
            except OSError:
                pass

    @property
    def address(self) -> tuple:
        """What peers need to reach this rank, as published to the rendezvous.

        Returns
        -------
        tuple
            ``(host, port, unix_name, machine_id)``: the TCP host and port, the
            abstract Unix socket's name ("" when there is none) and this machine's
            id, by which a peer decides whether it may use the Unix socket.
        """
        return self.host, self.port, self.unix_name, machine_id()

    def sockets(self) -> list:
        """The listening sockets still open: the TCP one and the Unix one if any.

        Returns
        -------
        list of socket.socket
            The TCP socket first, then the Unix socket when it was made.
        """
        return [s for s in (self.sock, self.unix) if s is not None]

    def close(self) -> None:
        """Close every listening socket.

        Connections already accepted from them stay open. The listener cannot
        accept again afterwards.
        """
        for sock in self.sockets():
            sock.close()


def _tune(sock: socket.socket) -> None:
    if sock.family != socket.AF_UNIX:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    for option in (socket.SO_SNDBUF, socket.SO_RCVBUF):
        try:
            sock.setsockopt(socket.SOL_SOCKET, option, 4 << 20)
        except OSError:
            pass


def _recv_exact(sock: socket.socket, size: int) -> bytes:
    data = b""
    while len(data) < size:
        part = sock.recv(size - len(data))
        if not part:
            raise RingError("a peer closed its connection during the handshake")
        data += part
    return data


class RingConnection:
    """A connected rank: the C ring plus the sockets it reads and writes.

    Attributes
    ----------
    ring : fastmlp._engine.Ring
    rank, world : int
    """

    def __init__(self, ring: "_engine.Ring", sockets: Sequence[socket.socket]):
        self.ring = ring
        self.rank, self.world = ring.rank, ring.world
        self._sockets = list(sockets)

    def allreduce(self, buf: np.ndarray) -> np.ndarray:
        """Sum `buf` over the ranks in place (see fastmlp._engine.Ring).

        Every rank must make the same sequence of collective calls with buffers of
        the same length and dtype; a rank that skips one makes the others wait
        until the timeout. The GIL is released during the sum.

        Parameters
        ----------
        buf : numpy.ndarray
            Writable C-contiguous 1-D float32 or float64 array.

        Returns
        -------
        numpy.ndarray
            `buf` itself, now holding the sum.

        Raises
        ------
        ValueError
            If `buf` is not a writable C-contiguous 1-D float32 or float64 array.
        RingError
            If a peer closed its connection, failed or was silent for the
            timeout, or the ring failed or was closed before; the ring cannot be
            used again.
        """
        self.ring.allreduce(buf)
        return buf

    def broadcast(self, buf: np.ndarray, root: int = 0) -> np.ndarray:
        """Make every rank's `buf` equal to root's `buf`, exactly, in place.

        The ranks other than `root` zero their buffer and the allreduce adds the
        zeros to root's values, so the result is root's bits. Every rank must call
        it, with the same `root`.

        Parameters
        ----------
        buf : numpy.ndarray
            Writable C-contiguous 1-D float32 or float64 array, the same length on
            every rank.
        root : int, optional
            The rank whose values are kept.

        Returns
        -------
        numpy.ndarray
            `buf` itself.

        Raises
        ------
        RingError
            If a peer closed its connection, failed or was silent for the
            timeout, or the ring was closed or failed before; the ring cannot be
            used again.
        """
        if self.rank != root:
            buf[...] = 0
        return self.allreduce(buf)

    def allgather_float(self, value: float) -> np.ndarray:
        """Every rank's `value`, gathered on every rank.

        Each rank writes its value into its own slot of a zeroed float64 array and
        the allreduce adds zeros to it, so each slot is exact. Every rank must call
        it.

        Parameters
        ----------
        value : float
            This rank's value.

        Returns
        -------
        numpy.ndarray
            A float64 array of length ``world``; slot r holds rank r's value.

        Raises
        ------
        RingError
            If a peer closed its connection, failed or was silent for the
            timeout, or the ring was closed or failed before; the ring cannot be
            used again.
        """
        slots = np.zeros(self.world, dtype=np.float64)
        slots[self.rank] = value
        return self.allreduce(slots)

    def check_same(self, array: np.ndarray, what: str) -> None:
        """Check that every rank holds the same bytes in `array`.

        Compares the ranks' CRC-32 checksums of the array's bytes through
        ``allgather_float``; every rank must call it.

        Parameters
        ----------
        array : numpy.ndarray
            The local copy of what must be identical (e.g. the parameters).
        what : str
            What `array` is, for the error message.

        Raises
        ------
        RuntimeError
            If the checksums differ: the replicas lost step with each other.
        RingError
            If the gathering allreduce fails.
        """
        crc = float(zlib.crc32(np.ascontiguousarray(array).view(np.uint8)))
        seen = self.allgather_float(crc)
        if not np.all(seen == seen[0]):
            raise RuntimeError(f"the replicas' {what} differ (checksums {seen.tolist()}): "
                               f"data-parallel training lost step with itself; please report it")

    def counters(self) -> dict:
        """Traffic counters of the C ring since it was made.

        Returns
        -------
        dict
            ``bytes_sent``, ``bytes_received``, ``calls``, ``seconds`` and
            ``shared_memory`` (whether it sums through shared memory; then the
            bytes are those written into and read from the segment).
        """
        return self.ring.counters()

    def close(self) -> None:
        """Close the C ring and this rank's sockets.

        Errors closing a socket are ignored. The connection cannot be used
        afterwards; the other ranks' next collective call fails with RingError.
        """
        self.ring.close()
        for sock in self._sockets:
            try:
                sock.close()
            except OSError:
                pass
        self._sockets = []


def connect_ring(rank: int, world: int, listener: Listener,
                 lookup: Callable[[int], tuple], token: int,
                 timeout: float = DEFAULT_TIMEOUT) -> RingConnection:
    """Join the ring: connect to rank ``(rank + 1) % world`` (its address from
    ``lookup``) and accept rank ``(rank - 1) % world`` on ``listener``.

    Parameters
    ----------
    rank, world : int
    listener : Listener
        This rank's listening socket, whose address the others look up. It is
        closed once the previous rank is accepted.
    lookup : callable
        ``lookup(rank)`` → that rank's ``Listener.address``, waiting for it to
        publish. Ranks on the same machine connect over its Unix socket.
    token : int
        Identifies the fit: a connection from another fit is refused.
    timeout : float
        Seconds to wait for peers here, and later for data in each allreduce.

    Returns
    -------
    RingConnection

    Raises
    ------
    RingError
        When a peer cannot be reached or does not answer in time.
    """
    if world == 1:
        listener.close()
        return RingConnection(_engine.Ring(0, 1, -1, -1, timeout), [])
    deadline = time.monotonic() + timeout
    nxt = (rank + 1) % world
    peer = tuple(lookup(nxt))
    host, port = peer[0], peer[1]
    unix_name = peer[2] if len(peer) > 2 and peer[3] == machine_id() else ""
    out = None
    if unix_name and _unix_path_allowed():
        try:
            out = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            out.settimeout(max(0.1, deadline - time.monotonic()))
            out.connect("\0" + unix_name)
        except OSError:  # another network namespace, say: TCP then
            out.close()
            out = None
    while out is None:
        try:
            out = socket.create_connection((host, port), timeout=max(0.1, deadline - time.monotonic()))
        except OSError as exc:
            if time.monotonic() > deadline:
                raise RingError(f"rank {rank} could not connect to rank {nxt} at "
                                f"{host}:{port}: {exc}") from exc
            time.sleep(0.05)
    _tune(out)
    out.sendall(_HELLO.pack(_MAGIC, token & (2**64 - 1), rank, world))
    try:
        while True:
            left = deadline - time.monotonic()
            ready = select.select(listener.sockets(), [], [], max(0.0, left))[0] if left > 0 else []
            if not ready:
                raise RingError(f"rank {rank}: rank {(rank - 1) % world} did not connect "
                                f"within {timeout:g} s")
            inc, _ = ready[0].accept()
            inc.settimeout(max(0.1, deadline - time.monotonic()))
            try:
                magic, got_token, sender, got_world = _HELLO.unpack(_recv_exact(inc, _HELLO.size))
            except (OSError, RingError):
                inc.close()
                continue
            if (magic, got_token, sender, got_world) == (_MAGIC, token & (2**64 - 1),
                                                         (rank - 1) % world, world):
                break
            inc.close()  # a stray or stale connection: not this fit's previous rank
    finally:
        listener.close()
    _tune(inc)
    for sock in (out, inc):
        sock.settimeout(max(0.1, deadline - time.monotonic()))
    try:
        shm_fd = _share_memory(rank, world, out, inc)
    except OSError as exc:
        out.close()
        inc.close()
        raise RingError(f"rank {rank}: the ring's peers did not answer while it was "
                        f"forming: {exc}") from exc
    for sock in (out, inc):
        sock.setblocking(False)
    try:
        ring = _engine.Ring(rank, world, out.fileno(), inc.fileno(), timeout, shm_fd)
    except BaseException:  # the peers see the sockets close and fail too
        out.close()
        inc.close()
        raise
    finally:
        if shm_fd >= 0:
            os.close(shm_fd)
    return RingConnection(ring, [out, inc])


def reference_sum(arrays: Sequence[np.ndarray]) -> np.ndarray:
    """The ring's sum of ``arrays`` (one per rank) computed in one process, in
    the ring's order: chunk c (from ``n·c // world``) is
    ``a[c] + a[c+1] + … + a[c-1]`` (ranks modulo world). For tests."""
    world = len(arrays)
    n = len(arrays[0])
    out = np.empty_like(arrays[0])
    for c in range(world):
        lo, hi = n * c // world, n * (c + 1) // world
        acc = arrays[c][lo:hi].copy()
        for k in range(1, world):
            acc = acc + arrays[(c + k) % world][lo:hi]
        out[lo:hi] = acc
    return out


def local_ring(world: int, timeout: float = 10.0) -> List[RingConnection]:
    """``world`` connected ranks inside this process (threads drive them): for
    tests and the benchmark's loopback figures."""
    import threading

    listeners = [Listener("127.0.0.1") for _ in range(world)]
    addresses = [l.address for l in listeners]
    out: List[Optional[RingConnection]] = [None] * world
    errors: list = []

    def join(r):
        """Connect rank r's end of the ring into out[r]; an error is kept in
        `errors` and raised by the caller after every thread has finished."""
        try:
            out[r] = connect_ring(r, world, listeners[r], lambda q: addresses[q], 7, timeout)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=join, args=(r,)) for r in range(world)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]
    return out  # type: ignore[return-value]
