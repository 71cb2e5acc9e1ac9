"""Ctrl-C during long engine calls: acted on within a fraction of the call,
whatever the batch size, and the model stays usable. Each case runs in a
fresh interpreter, which sends itself SIGINT a tenth of the way into a call
whose uninterrupted duration it measured first; the reaction is compared with
that duration (a ratio, so a slow machine slows both)."""
import json
import textwrap

import pytest

from conftest import run_python

SCRIPT = textwrap.dedent("""
    import json, os, signal, threading, time
    import numpy as np
    import fastmlp as fm

    fm.set_num_threads(2)
    fm.set_random_seed(0)
    rows = {rows}
    rng = np.random.default_rng(0)
    x = rng.standard_normal((rows, 784)).astype(np.float32)
    y = rng.integers(0, 10, rows)
    model = fm.Sequential([fm.Dense(512, activation="relu", input_dim=784),
                           fm.Dense(512, activation="relu"), fm.Dense(10, activation="softmax")])
    model.compile(optimizer="rmsprop", loss="sparse_categorical_crossentropy")
    a = rng.standard_normal((3000, 3000)).astype(np.float32)
    probe = x[:7].copy()
    expected = model.predict(probe, verbose=0)
    weights = [w.copy() for w in model.get_weights()]

    def call():
        {call}

    durations = []
    for _ in range(2):  # the faster of two: the first also starts threads and maps memory
        start = time.perf_counter()
        call()
        durations.append(time.perf_counter() - start)
        model.set_weights(weights)  # a completed fit moved them
    full = min(durations)

    delay = 0.1 * full
    timer = threading.Timer(delay, os.kill, (os.getpid(), signal.SIGINT))
    start = time.perf_counter()
    timer.start()
    try:
        call()
        outcome = "completed"
    except KeyboardInterrupt:
        outcome = "interrupted"
    reaction = time.perf_counter() - start - delay
    timer.join()
    usable = bool(np.array_equal(model.predict(probe, verbose=0), expected))
    unchanged = all(np.array_equal(u, v) for u, v in zip(model.get_weights(), weights))
    model.fit(x[:256], y[:256], batch_size=64, epochs=1, verbose=0)
    print(json.dumps(dict(full=full, reaction=reaction, outcome=outcome, usable=usable,
                          unchanged=unchanged)))
""")

CALLS = {
    "predict in one chunk": (100_000, "model.predict(x, batch_size=len(x), verbose=0)"),
    "predict in chunks": (100_000, "model.predict(x, verbose=0)"),
    "evaluate in one chunk": (100_000, "model.evaluate(x, y, batch_size=len(x), verbose=0)"),
    "fit with one big batch": (30_000,
                               "model.fit(x, y, batch_size=len(x), epochs=1, verbose=0)"),
    "matmul": (1000, "fm.ops.matmul(a, a)"),
}


@pytest.mark.parametrize("rows,call", list(CALLS.values()), ids=list(CALLS))
def test_ctrl_c_is_acted_on_during_the_call(tmp_path, rows, call):
    result = run_python(SCRIPT.format(rows=rows, call=call), tmp_path, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["outcome"] == "interrupted"
    assert report["reaction"] < 0.5 * report["full"], report
    assert report["usable"]
    assert report["unchanged"]  # an interrupted training step is not applied


HANDLER_SCRIPT = textwrap.dedent("""
    import os, signal, threading
    import numpy as np
    import fastmlp as fm

    fm.set_num_threads(2)
    x = np.random.default_rng(0).standard_normal((60_000, 784)).astype(np.float32)
    model = fm.Sequential([fm.Dense(512, activation="relu", input_dim=784),
                           fm.Dense(10, activation="softmax")])
    expected = model.predict(x, verbose=0)
    caught = []
    signal.signal(signal.SIGINT, lambda signum, frame: caught.append(signum))
    threading.Timer(0.01, os.kill, (os.getpid(), signal.SIGINT)).start()
    got = model.predict(x, batch_size=len(x), verbose=0)
    print(len(caught), bool(np.array_equal(got, expected)))
""")


def test_a_handler_that_does_not_raise_lets_the_call_finish_correctly(tmp_path):
    result = run_python(HANDLER_SCRIPT, tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.split() == ["1", "True"]


WORKER_SCRIPT = textwrap.dedent("""
    import os, signal, threading, time
    import numpy as np
    import fastmlp as fm

    x = np.random.default_rng(0).standard_normal((60_000, 784)).astype(np.float32)
    model = fm.Sequential([fm.Dense(512, activation="relu", input_dim=784),
                           fm.Dense(10, activation="softmax")])
    expected = model.predict(x, verbose=0)
    got = []
    worker = threading.Thread(target=lambda: got.append(model.predict(x, batch_size=len(x), verbose=0)))
    worker.start()
    try:
        os.kill(os.getpid(), signal.SIGINT)
        time.sleep(10)
        print("no interrupt")
    except KeyboardInterrupt:
        pass
    worker.join()
    print(bool(np.array_equal(got[0], expected)))
""")


def test_ctrl_c_interrupts_the_main_thread_not_a_worker_thread_computing(tmp_path):
    result = run_python(WORKER_SCRIPT, tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.split() == ["True"]


REDONE_STEP_SCRIPT = textwrap.dedent("""
    import os, signal, threading
    import numpy as np
    import fastmlp as fm

    fm.set_num_threads(2)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((20_000, 64)).astype(np.float32)
    y = rng.integers(0, 10, len(x))

    def trained(interrupt):
        fm.set_random_seed(0)
        # little work before the normalization, much after it: the signal lands after it
        model = fm.Sequential([fm.Input((64,)), fm.Dense(16), fm.BatchNormalization(),
                               fm.Activation("relu"), fm.Dense(1024, activation="relu"),
                               fm.Dense(1024, activation="relu"),
                               fm.Dense(10, activation="softmax")])
        model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
        if interrupt:
            threading.Timer(0.05, os.kill, (os.getpid(), signal.SIGINT)).start()
        model.fit(x, y, batch_size=len(x), epochs=2, shuffle=False, verbose=0)
        return model.get_weights()

    plain = trained(False)
    caught = []
    signal.signal(signal.SIGINT, lambda signum, frame: caught.append(signum))
    redone = trained(True)
    print(len(caught), all(np.array_equal(a, b) for a, b in zip(plain, redone)))
""")


def test_a_training_step_redone_after_a_signal_moves_the_moving_statistics_once(tmp_path):
    """A signal whose handler does not raise makes the engine redo the piece of
    work it interrupted: a whole training step redone must leave the batch
    normalization's moving statistics (and every weight) as one step does."""
    result = run_python(REDONE_STEP_SCRIPT, tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.split() == ["1", "True"]
