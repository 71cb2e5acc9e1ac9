"""Data-parallel training's engine side, without Dask: the ring allreduce,
the step split around a sum, dropout keyed on the global row, and replicas
(threads over a loopback ring) against single-process references."""
import os
import pickle
import socket
import subprocess
import sys
import threading

import numpy as np
import pytest

import fastmlp as fm
from fastmlp import _engine
from fastmlp._distributed.ring import (Listener, RingError, connect_ring, local_ring,
                                       reference_sum)
from fastmlp._distributed.schedule import Plan

from distributed_helpers import data, interleaved, reference_fit, seed_model, threaded_fit


def _allreduce_all(conns, bufs):
    errors = []

    def run(c, b):
        try:
            c.allreduce(b)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(c, b)) for c, b in zip(conns, bufs)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return errors


SHM = sys.platform.startswith("linux")  # where same-machine rings share memory

# the ring's two paths on one machine: "shm" (shared memory, the default on
# Linux), "socket" (FASTMLP_RING_SOCKET=1), and "mixed" (shared memory with
# slots of 4 KiB, so wider buffers take the socket path between calls that
# do not)
PATHS = ["shm", "socket", "mixed"]


@pytest.fixture(params=PATHS)
def ring_path(request, monkeypatch):
    monkeypatch.setenv("FASTMLP_RING_SOCKET", "1" if request.param == "socket" else "0")
    if request.param == "mixed":
        monkeypatch.setenv("FASTMLP_RING_SHM_BYTES", "4096")
    return request.param


def _check_path(conns, path):
    want = SHM and path != "socket" and len(conns) > 1
    for c in conns:
        assert c.ring.shared_memory == want
        assert c.counters()["shared_memory"] == want


@pytest.mark.parametrize("world", [1, 2, 3, 4])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_ring_allreduce_sums_in_the_documented_order(world, dtype, ring_path):
    conns = local_ring(world)
    _check_path(conns, ring_path)
    rng = np.random.default_rng(world)
    try:
        for n in (0, 1, 3, 1000, 40_001, 5, 40_001, 2):
            arrays = [rng.standard_normal(n).astype(dtype) * 10.0 ** rng.integers(-3, 4)
                      for _ in range(world)]
            bufs = [a.copy() for a in arrays]
            assert not _allreduce_all(conns, bufs)
            expected = reference_sum(arrays)
            for b in bufs:
                assert b.tobytes() == expected.tobytes()
        if world > 1:
            sent = conns[0].counters()["bytes_sent"]
            assert sent > 0 and conns[0].counters()["calls"] == 7  # n = 0 sends nothing
    finally:
        for c in conns:
            c.close()


@pytest.mark.parametrize("world", [2, 3])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_shared_memory_and_socket_paths_give_the_same_bits(world, dtype, monkeypatch):
    rng = np.random.default_rng(5)
    arrays = [rng.standard_normal(70_001).astype(dtype) * 10.0 ** rng.integers(-6, 7, 70_001)
              for _ in range(world)]
    arrays[0][:7] = [np.inf, -np.inf, np.nan, 0.0, -0.0, 1e-40, -1e300]
    results = {}
    for path in ("0", "1"):
        monkeypatch.setenv("FASTMLP_RING_SOCKET", path)
        conns = local_ring(world)
        try:
            assert conns[0].ring.shared_memory == (SHM and path == "0")
            got = []
            for _ in range(3):  # both halves of the shared segment, and back
                bufs = [a.copy() for a in arrays]
                assert not _allreduce_all(conns, bufs)
                assert len({b.tobytes() for b in bufs}) == 1
                got.append(bufs[0].tobytes())
            assert len(set(got)) == 1
            results[path] = got[0]
        finally:
            for c in conns:
                c.close()
    assert results["0"] == results["1"] == reference_sum(arrays).tobytes()


@pytest.mark.parametrize("world", [2, 3])
def test_many_calls_back_to_back_keep_the_bits(world, ring_path):
    """Calls of changing widths in quick succession, so the ranks reuse both
    halves of the shared segment while the slowest still reads: every
    result is the reference's."""
    conns = local_ring(world)
    rng = np.random.default_rng(world)
    arrays = [[rng.standard_normal(rng.integers(1, 3000)) for _ in range(world)]
              for _ in range(150)]
    for call in arrays:
        n = len(call[0])
        for r in range(1, world):
            call[r] = call[r][:n] if len(call[r]) >= n else np.resize(call[r], n)
    results = [[None] * len(arrays) for _ in range(world)]
    errors = []

    def run(r):
        try:
            for i, call in enumerate(arrays):
                buf = call[r].copy()
                conns[r].allreduce(buf)
                results[r][i] = buf.tobytes()
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(r,)) for r in range(world)]
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert not errors
        for i, call in enumerate(arrays):
            expected = reference_sum(call).tobytes()
            assert all(results[r][i] == expected for r in range(world))
    finally:
        for c in conns:
            c.close()


def test_a_closed_ring_unmaps_its_memory_and_refuses_calls():
    conns = local_ring(2)
    for c in conns:
        c.close()
        assert not c.ring.shared_memory
    with pytest.raises(RingError, match="cannot be used again"):
        conns[0].allreduce(np.ones(3))


def test_ring_reports_a_peer_that_closed_its_end(ring_path):
    conns = local_ring(2, timeout=30)
    _check_path(conns, ring_path)
    conns[1].close()  # its process ended, say
    with pytest.raises(RingError, match="closed its connection"):
        conns[0].allreduce(np.ones(1000, dtype=np.float32))
    with pytest.raises(RingError, match="cannot be used again"):
        conns[0].allreduce(np.ones(10, dtype=np.float32))
    conns[0].close()


_DYING_PEER = """
import ast, os, sys, time
import numpy as np
from fastmlp._distributed.ring import Listener, connect_ring
listener = Listener("127.0.0.1")
print(repr(listener.address), flush=True)
parent = ast.literal_eval(sys.stdin.readline())
conn = connect_ring(1, 2, listener, lambda q: parent, 11, 60)
buf = np.ones(int(sys.argv[1]))
for _ in range(3):
    conn.allreduce(buf)
print(conn.ring.shared_memory, flush=True)
time.sleep(600)  # the parent kills this process while it waits in its 4th allreduce
"""


@pytest.mark.parametrize("n", [5, 100_000])
def test_a_peer_process_killed_mid_allreduce_raises(ring_path, n):
    """Rank 1, another process, dies (SIGKILL: no clean-up of its own) while
    rank 0 waits for it inside an allreduce: rank 0 raises a RingError, long
    before its 60 s timeout, instead of hanging."""
    import ast

    listener = Listener("127.0.0.1")
    child = subprocess.Popen([sys.executable, "-c", _DYING_PEER, str(n)], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, text=True, env=os.environ.copy())
    try:
        address = ast.literal_eval(child.stdout.readline())
        child.stdin.write(repr(listener.address) + "\n")
        child.stdin.flush()
        conn = connect_ring(0, 2, listener, lambda q: address, 11, 60)
        buf = np.ones(n)
        for _ in range(3):
            conn.allreduce(buf)
        assert buf[0] == 8.0
        shared = child.stdout.readline().strip() == "True"
        # "mixed" with n = 100_000: the sum goes through the sockets while the
        # segment is attached
        assert shared == conn.ring.shared_memory == (SHM and ring_path != "socket")
        killer = threading.Timer(0.3, child.kill)
        killer.start()
        with pytest.raises(RingError, match="closed its connection"):
            conn.allreduce(buf)
        killer.join()
        conn.close()
    finally:
        child.kill()
        child.wait()


@pytest.mark.skipif(not SHM, reason="shared memory is Linux-only")
def test_a_failed_rank_stops_the_others_through_the_shared_memory():
    """Rank 1 of 3 fails (rank 2 stays silent and rank 1's timeout is short);
    rank 0, whose neighbours keep their sockets open, learns of it from the
    segment's abort flag and raises too, long before its own timeout."""
    listeners = [Listener("127.0.0.1") for _ in range(3)]
    addresses = [l.address for l in listeners]
    conns = [None] * 3

    def join(r):
        conns[r] = connect_ring(r, 3, listeners[r], lambda q: addresses[q], 5,
                                0.2 if r == 1 else 60)

    threads = [threading.Thread(target=join, args=(r,)) for r in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    try:
        assert all(c.ring.shared_memory for c in conns)
        errors = {}

        def run(r):
            try:
                conns[r].allreduce(np.ones(10))
            except RingError as exc:
                errors[r] = str(exc)

        threads = [threading.Thread(target=run, args=(r,)) for r in (0, 1)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        assert not any(t.is_alive() for t in threads)
        assert "no data from a peer" in errors[1]
        assert "a peer closed its connection or failed" in errors[0]
    finally:
        for c in conns:
            c.close()


def test_ring_times_out_on_a_silent_peer(ring_path):
    conns = local_ring(2, timeout=0.3)
    try:  # rank 1 never calls allreduce
        with pytest.raises(RingError, match="no data from a peer"):
            conns[0].allreduce(np.ones(10, dtype=np.float64))
    finally:
        for c in conns:
            c.close()


def test_ring_refuses_a_connection_from_another_fit():
    listeners = [Listener("127.0.0.1") for _ in range(2)]
    stray = socket.create_connection(listeners[0].address[:2])  # not a rank of this fit
    stray.sendall(b"hello, is this the ring?" * 2)
    addresses = [l.address for l in listeners]
    out = [None, None]

    def join(r):
        out[r] = connect_ring(r, 2, listeners[r], lambda q: addresses[q], 99, 10)

    threads = [threading.Thread(target=join, args=(r,)) for r in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    bufs = [np.full(5, 1.0), np.full(5, 2.0)]
    assert not _allreduce_all(out, bufs)
    assert np.array_equal(bufs[0], np.full(5, 3.0))
    stray.close()
    for c in out:
        c.close()


def test_rings_back_to_back_get_fresh_ports():
    ports = set()
    for _ in range(5):
        conns = local_ring(2)
        bufs = [np.ones(10), np.ones(10)]
        assert not _allreduce_all(conns, bufs)
        ports.add(str(conns[0]._sockets[0].getpeername()))
        for c in conns:
            c.close()
    assert len(ports) >= 1


def test_ring_checks_its_arguments():
    with pytest.raises(ValueError, match="rank"):
        _engine.Ring(2, 2, -1, -1, 1.0)
    with pytest.raises(ValueError, match="timeout"):
        _engine.Ring(0, 2, -1, -1, 0.0)
    ring = _engine.Ring(0, 1, -1, -1, 1.0)
    with pytest.raises(ValueError, match="C-contiguous 1-D"):
        ring.allreduce(np.ones((2, 2)))
    with pytest.raises(ValueError, match="C-contiguous 1-D"):
        ring.allreduce(np.ones(4, dtype=np.int64))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_dropout_rows_from_row0_are_those_of_the_whole_batch(dtype, isa):
    x = np.random.default_rng(1).standard_normal((37, 300)).astype(dtype)
    whole = _engine.dropout(11, 5, 2, 0.4, x)
    for lo, hi in ((0, 10), (10, 37), (17, 18)):
        part = _engine.dropout(11, 5, 2, 0.4, np.ascontiguousarray(x[lo:hi]), lo)
        assert np.array_equal(part, whole[lo:hi])


def test_plan_covers_every_row_once():
    plan = Plan([10, 3, 7], 4)
    assert plan.steps == 3
    seen = plan.global_order([np.arange(10), np.arange(3), np.arange(7)])
    assert [len(b) for b in seen] == [11, 7, 2]
    flat = [pair for batch in seen for pair in batch]
    assert sorted(flat) == sorted([(r, i) for r, n in enumerate([10, 3, 7]) for i in range(n)])
    assert plan.row0(2, 0) == 7 and plan.row0(1, 1) == 4 and plan.share(1, 2) == 0


@pytest.mark.parametrize("optimizer", ["adam", "rmsprop"])
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_two_replicas_equal_the_summing_reference_bitwise(optimizer, dtype):
    """Dropout on, sample weights given, uneven shards (a replica runs out)."""
    x, y, w = data(200)
    shards = [(x[:120], y[:120], w[:120]), (x[120:], y[120:], w[120:])]
    blob = pickle.dumps(seed_model(dtype, optimizer))
    out = threaded_fit(blob, shards, batch_size=16, epochs=1, shuffle=False)
    reference = reference_fit(blob, shards, 16)
    for got, want in zip(out[0]["weights"], reference.get_weights()):
        assert got.tobytes() == want.tobytes()
    slots, iterations = out[0]["optimizer_state"]
    assert iterations == reference._network().engine.iterations == 8
    for got, want in zip(slots, reference._network().engine.optimizer_slots()):
        assert got.tobytes() == want.tobytes()


@pytest.mark.parametrize("optimizer", ["adam", "rmsprop"])
def test_two_replicas_follow_a_plain_single_process_fit(optimizer):
    """float64: within 1e-10 of Model.fit on the same global batches (only
    the order of the per-row sums differs)."""
    x, y, w = data(192)
    shards = [(x[:96], y[:96], w[:96]), (x[96:], y[96:], w[96:])]
    model = seed_model("float64", optimizer)
    blob = pickle.dumps(model)
    out = threaded_fit(blob, shards, batch_size=16, epochs=1, shuffle=False)
    (xs, ys, ws), sizes = interleaved(shards, 16)
    assert set(sizes) == {32}
    history = model.fit(xs, ys, sample_weight=ws, batch_size=32, epochs=1, shuffle=False,
                        verbose=0)
    for got, want in zip(out[0]["weights"], model.get_weights()):
        assert np.max(np.abs(got - want)) <= 1e-10 * np.max(np.abs(want))
    assert out[0]["history"]["loss"][0] == pytest.approx(history.history["loss"][0], rel=1e-12)
    assert out[0]["history"]["accuracy"] == history.history["accuracy"]


def test_three_replicas_with_activity_and_weight_penalties():
    fm.set_random_seed(3)
    model = fm.Sequential([fm.Input((12,)),
                           fm.Dense(20, activation="relu", kernel_regularizer=fm.regularizers.l2(1e-3),
                                    activity_regularizer=fm.regularizers.l1(1e-3)),
                           fm.GaussianNoise(0.1), fm.Dense(4, activation="softmax")],
                          dtype="float64")
    model.compile("sgd", "sparse_categorical_crossentropy")
    model.build((None, 12))
    x, y, _ = data(150)
    shards = [(x[:50], y[:50], None), (x[50:100], y[50:100], None), (x[100:], y[100:], None)]
    blob = pickle.dumps(model)
    out = threaded_fit(blob, shards, batch_size=10, epochs=1, shuffle=False)
    (xs, ys, _), _ = interleaved(shards, 10)
    model.fit(xs, ys, batch_size=30, epochs=1, shuffle=False, verbose=0)
    for got, want in zip(out[0]["weights"], model.get_weights()):
        assert np.max(np.abs(got - want)) <= 1e-10 * np.max(np.abs(want))


def test_local_sgd_keeps_the_replicas_identical_and_learns():
    x, y, _ = data(400)
    y = (x[:, 0] > 0).astype(int) + 2 * (x[:, 1] > 0)
    blob = pickle.dumps(seed_model("float32", "adam", dropout=0.1))
    shards = [(x[:200], y[:200], None), (x[200:], y[200:], None)]
    out = threaded_fit(blob, shards, batch_size=16, epochs=5, shuffle=True, seed=3, sync_every=4)
    assert out[0]["problem"] is None
    losses = out[0]["history"]["loss"]
    assert losses[-1] < losses[0]


def test_shards_refuse_a_trainable_batch_normalization():
    model = fm.Sequential([fm.Input((4,)), fm.Dense(8), fm.BatchNormalization(), fm.Dense(2)])
    model.compile("sgd", "mse")
    model.build((None, 4))
    engine = model._network().engine
    engine.reserve(4)
    objective = model._objective(*model._resolved(np.zeros((4, 2))))
    with pytest.raises(ValueError, match="BatchNormalization"):
        engine.shard_gradients(np.zeros((4, 4), np.float32), np.zeros((4, 2), np.float32), None,
                               np.arange(4), 0, 4, None, objective, 0, 4, 4.0)


def test_shard_arguments_are_checked_and_an_empty_shard_adds_zeros():
    model = seed_model("float64")
    engine = model._network().engine
    engine.reserve(8)
    x, y, _ = data(8)
    objective = model._objective(*model._resolved(y))
    with pytest.raises(ValueError, match="not a shard"):
        engine.shard_gradients(x, None, y.astype(np.int64), np.arange(8), 0, 8, None, objective,
                               4, 10, 10.0)
    with pytest.raises(ValueError, match="rows_total"):
        engine.shard_gradients(x, None, y.astype(np.int64), np.arange(8), 0, 8, None, objective,
                               0, 0, 10.0)
    engine.sync_buffer[...] = 7
    stats = engine.shard_gradients(x, None, y.astype(np.int64), np.arange(8), 8, 0, None,
                                   objective, 0, 16, 16.0)
    assert not engine.sync_buffer.any() and stats["loss_sum"] == 0


def test_a_non_finite_loss_on_one_replica_stops_every_replica():
    model = fm.Sequential([fm.Input((3,)), fm.Dense(1)], dtype="float64")
    model.compile("sgd", "mse")
    model.build((None, 3))
    x = np.ones((8, 3))
    bad = x.copy()
    y = np.zeros(8)
    ybad = np.full(8, 1e200)  # squared error overflows on replica 1 only
    blob = pickle.dumps(model)
    out = threaded_fit(blob, [(x, y, None), (bad, ybad, None)], batch_size=4, epochs=2,
                       shuffle=False)
    assert "not finite" in out[0]["problem"] or "NaN" in out[0]["problem"]
    assert all(np.array_equal(a, b) for a, b in zip(out[0]["weights"], model.get_weights()))


def test_import_fastmlp_leaves_dask_and_ray_alone(tmp_path):
    from conftest import run_python

    done = run_python("import sys, fastmlp; import fastmlp.estimators; "
                      "print(sorted(m for m in ('dask', 'distributed', 'ray') if m in sys.modules))",
                      tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
    for module, extra in (("dask", "fastmlp[dask]"), ("ray", "fastmlp[ray]")):
        done = run_python(f"import sys; sys.modules[{module!r}] = None; import fastmlp\n"
                          f"try:\n    import fastmlp.{module}\nexcept ImportError as e:\n"
                          f"    print(e)", tmp_path)
        assert extra in done.stdout, done.stdout + done.stderr


@pytest.mark.parametrize("tcp_only", ["1", "0"])
def test_same_machine_ranks_use_a_unix_socket_unless_told_tcp(monkeypatch, tcp_only):
    monkeypatch.setenv("FASTMLP_RING_TCP", tcp_only)
    conns = local_ring(2)
    try:
        families = {s.family for s in conns[0]._sockets}
        import sys as _sys
        want = socket.AF_INET if tcp_only == "1" or not _sys.platform.startswith("linux") \
            else socket.AF_UNIX
        assert families == {want}
        assert conns[0].ring.shared_memory == (want == socket.AF_UNIX)
        bufs = [np.arange(100.0), np.arange(100.0)]
        assert not _allreduce_all(conns, bufs)
        assert np.array_equal(bufs[1], 2 * np.arange(100.0))
    finally:
        for c in conns:
            c.close()
