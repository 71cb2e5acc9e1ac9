"""Helpers of the data-parallel tests: replicas in threads of this process,
and the single-process reference of a synchronous fit."""
import pickle
import threading

import numpy as np

import fastmlp as fm
from fastmlp._distributed.keras_replica import train_model
from fastmlp._distributed.ring import local_ring, reference_sum
from fastmlp._distributed.schedule import Plan


def seed_model(dtype="float64", optimizer="adam", dropout=0.3, n_in=12, classes=4):
    """A small compiled model with dropout, built (its weights drawn)."""
    fm.set_random_seed(7)
    model = fm.Sequential([fm.Input((n_in,)), fm.Dense(24, activation="relu"),
                           fm.Dropout(dropout), fm.Dense(16, activation="tanh"),
                           fm.Dropout(dropout), fm.Dense(classes, activation="softmax")],
                          dtype=dtype)
    model.compile(optimizer=optimizer, loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    model.build((None, n_in))
    return model


def data(n=192, n_in=12, classes=4, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, n_in))
    y = rng.integers(0, classes, n)
    w = rng.uniform(0.2, 2.0, n)
    return x, y, w


def threaded_fit(blob, shards, **options):
    """train_model on each shard, one thread per replica, over a loopback ring."""
    conns = local_ring(len(shards))
    out = [None] * len(shards)
    errors = []

    def run(r):
        try:
            x, y, w = shards[r]
            out[r] = train_model(conns[r], pickle.loads(blob), x, y, w, **options)
        except BaseException as exc:  # reported by the caller
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(r,)) for r in range(len(shards))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for c in conns:
        c.close()
    if errors:
        raise errors[0]
    return out


def reference_fit(blob, shards, batch_size):
    """One epoch, unshuffled, in one process: each step's shards' gradients
    computed one after the other and summed in the ring's order, then one
    update. Returns the model."""
    model = pickle.loads(blob)
    prepared = [model._prepare(x, y, w) for x, y, w in shards]
    net = model._network()
    engine = net.engine
    loss, metrics = prepared[0][4], prepared[0][5]
    objective = model._objective(loss, metrics)
    plan = Plan([len(p[0]) for p in prepared], batch_size)
    engine.reserve(batch_size)
    orders = [np.arange(len(p[0]), dtype=np.int64) for p in prepared]
    engine.set_hyperparameters(*model.optimizer.engine_args(engine.iterations)[1:])
    engine.set_clipping(*model.optimizer.clipping())
    totals = reference_sum([plan.local_weight_sums(r, orders[r], p[3])
                            for r, p in enumerate(prepared)])
    for s in range(plan.steps):
        weight_total = float(totals[s])
        parts = []
        for r, (x, values, labels, weights, _, _) in enumerate(prepared):
            engine.shard_gradients(x, values, labels, orders[r], plan.start(r, s),
                                   plan.share(r, s), weights, objective, plan.row0(r, s),
                                   plan.rows_total(s), weight_total)
            parts.append(engine.sync_buffer.copy())
        engine.sync_buffer[...] = reference_sum(parts)
        engine.apply_gradients(objective, plan.rows_total(s), weight_total)
    engine.touch()
    return model


def interleaved(shards, batch_size):
    """The rows of the unshuffled global batches in order, as one data set
    for a plain single-process fit."""
    plan = Plan([len(s[0]) for s in shards], batch_size)
    idx = plan.global_order([np.arange(len(s[0])) for s in shards])
    rows = [pair for batch in idx for pair in batch]
    pick = [None if shards[0][k] is None else np.stack([shards[r][k][i] for r, i in rows])
            for k in range(3)]
    sizes = [plan.rows_total(s) for s in range(plan.steps)]
    return pick, sizes
