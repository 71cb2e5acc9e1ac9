"""fastmlp under concurrency: many Python threads predicting at once, a
process forked after fastmlp used its threads, and the GIL released while the
engine computes."""
import subprocess
import sys
import textwrap
import threading

import numpy as np
import pytest

import fastmlp as fm
from conftest import run_python


def classifier(seed=0, dropout=0.0):
    fm.set_random_seed(seed)
    model = fm.Sequential()
    model.add(fm.Dense(256, activation="relu", input_dim=100))
    if dropout:
        model.add(fm.Dropout(dropout))
    model.add(fm.Dense(128, activation="tanh"))
    model.add(fm.Dense(10, activation="softmax"))
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    return model


def data(n=2000, seed=1):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((n, 100)).astype(np.float32), rng.integers(0, 10, n)


def test_concurrent_predicts_give_the_serial_answers(threads):
    threads(2)
    model = classifier()
    x, _ = data()
    serial = model.predict(x)
    slices = [slice(0, 1), slice(5, 6), slice(0, 2), slice(3, 700), slice(0, 2000),
              slice(1000, 1001), slice(17, 150), slice(1999, 2000)]
    failures = []

    def worker(k):
        for repeat in range(15):
            sl = slices[(k + repeat) % len(slices)]
            got = model.predict(x[sl], batch_size=[None, 1, 64][repeat % 3])
            if not np.array_equal(got, serial[sl]):
                failures.append((k, sl))

    pool = [threading.Thread(target=worker, args=(k,)) for k in range(8)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    assert not failures


def test_models_trained_in_parallel_threads_match_serial_training(threads):
    threads(1)
    x, y = data(600)

    def train(model):
        model.fit(x, y, batch_size=64, epochs=2, verbose=0, shuffle=False)

    serial = []
    for seed in range(3):
        model = classifier(seed)
        train(model)
        serial.append(model.get_weights())
    models = [classifier(seed) for seed in range(3)]
    pool = [threading.Thread(target=train, args=(m,)) for m in models]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    for model, expected in zip(models, serial):
        for a, b in zip(model.get_weights(), expected):
            np.testing.assert_array_equal(a, b)


def finishes_before_python_work(call, python_work=300_000):
    """Whether `call`, started in another thread, returns before this thread
    has counted `python_work` loop iterations (some tens of milliseconds)
    from the moment the other thread is about to enter it. A C call that keeps
    the GIL stops this loop until it returns, so it finishes first (as
    sum(range(30_000_000)) does); one that releases the GIL and runs for much
    longer than the loop does not."""
    entering, done = threading.Event(), threading.Event()

    def run():
        entering.set()
        call()
        done.set()

    worker = threading.Thread(target=run)
    worker.start()
    entering.wait()
    total = 0
    for i in range(python_work):
        total += i
    finished_first = done.is_set()
    worker.join()
    return finished_first


def test_the_gil_is_released_during_predict_and_training_steps(threads):
    threads(1)
    model = classifier()
    x, y = data(100_000)
    out = np.empty((len(x), 10), np.float32)
    engine = model._network().engine
    assert not finishes_before_python_work(lambda: engine.predict(x, out, len(x)))
    engine.reserve(len(x))
    rows = np.arange(len(x), dtype=np.int64)
    labels = y.astype(np.int64)
    assert not finishes_before_python_work(
        lambda: engine.train_batch(x, None, labels, rows, 0, len(x), None, model._objective()))


FORK_SCRIPT = textwrap.dedent("""
    import multiprocessing as mp
    import numpy as np
    import fastmlp as fm

    fm.set_num_threads(2)
    x = np.random.default_rng(1).standard_normal((512, 100)).astype(np.float32)
    y = np.arange(512) % 10

    def make():
        fm.set_random_seed(0)
        m = fm.Sequential([fm.Dense(256, activation="relu", input_dim=100), fm.Dropout(0.2),
                           fm.Dense(10, activation="softmax")])
        m.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
        return m

    def work(_):
        m = make()
        m.fit(x, y, epochs=2, batch_size=64, verbose=0)
        return m.predict(x), fm.get_num_threads()

    parent = make()
    parent.fit(x, y, epochs=2, batch_size=64, verbose=0)  # the parent's threads are running
    with mp.get_context("fork").Pool(2) as pool:
        results = pool.map_async(work, [0, 1]).get(timeout=120)
    expected = parent.predict(x)
    for predictions, threads in results:
        assert threads == 1, threads
        assert np.array_equal(predictions, expected)
    assert fm.get_num_threads() == 2
    print("fork ok")
""")


@pytest.mark.skipif(sys.platform == "win32", reason="no fork on Windows")
def test_a_forked_child_trains_and_predicts_without_hanging(tmp_path):
    result = run_python(FORK_SCRIPT, tmp_path)
    assert result.returncode == 0, result.stderr
    assert "fork ok" in result.stdout


def test_predict_sizes_its_output_from_the_engine_it_runs():
    """A model rebuilt by add() between predict's checks and its engine call
    must not make the engine write past the output (found in review)."""
    model = fm.Sequential([fm.Dense(10, input_dim=5)])
    x = np.ones((100, 5), np.float32)
    engine = model._network().engine
    out = np.empty((100, 10), np.float32)
    model.add(fm.Dense(40))  # the model now has a new, wider engine
    engine.predict(x, out, 100)  # the old engine still fits its own output
    with pytest.raises(ValueError, match=r"\(100, 40\)"):
        model._network().engine.predict(x, out, 100)
    with pytest.raises(ValueError, match="5-column"):
        model._network().engine.predict(np.ones((100, 4), np.float32), np.empty((100, 40), np.float32), 10)
    assert model.predict(x).shape == (100, 40)


@pytest.mark.skipif(sys.platform == "win32", reason="no fork on Windows")
def test_fork_after_the_peak_probe_stays_single_threaded(tmp_path):
    code = textwrap.dedent("""
        import os, numpy as np, fastmlp as fm
        fm.ops.peak_gflops(2, 0.01)  # starts the OpenMP pool outside fm_threads_for
        pid = os.fork()
        if pid == 0:
            a = np.ones((600, 600), np.float32)
            ok = fm.get_num_threads() == 1 and float(fm.ops.matmul(a, a)[0, 0]) == 600.0
            os._exit(0 if ok else 1)
        _, status = os.waitpid(pid, 0)
        print("child", os.waitstatus_to_exitcode(status))
    """)
    result = run_python(code, tmp_path, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "child 0"


def test_results_do_not_depend_on_other_processes_holding_the_cores(threads):
    """Under contention the engine splits less work between threads (and
    predicts in pieces, one per thread); the values must stay the same."""
    threads(2)
    x, y = data(3000)

    def run():
        model = classifier(seed=7, dropout=0.2)
        model.fit(x, y, batch_size=64, epochs=2, verbose=0)
        return model.get_weights(), model.predict(x), model.evaluate(x, y, verbose=0)

    quiet = run()
    busy = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(3)]
    try:
        contended = run()
    finally:
        for p in busy:
            p.kill()
            p.wait()
    for a, b in zip(quiet[0], contended[0]):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(quiet[1], contended[1])
    assert quiet[2] == contended[2]
