"""Model files under stress: saves that race or meet planted symlinks, and
files crafted to crash, hang or exhaust the reader. Every malformed file must
raise ValueError, cost no more memory than it holds, and leave nothing behind."""
import io
import json
import os
import stat
import struct
import threading
import tracemalloc
import zipfile

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import fastmlp as fm


def small_model(seed=0):
    fm.set_random_seed(seed)
    model = fm.Sequential([fm.Dense(8, activation="relu", input_dim=4), fm.Dense(3)])
    model.compile(optimizer="adam", loss="mse")
    return model


def layers_of(config):
    """The layer entries of a model file's description (InputLayer first)."""
    return config["model"]["config"]["layers"]


def members(path):
    with zipfile.ZipFile(path) as zf:
        return {name: zf.read(name) for name in zf.namelist()}


def write_zip(path, entries, compression=zipfile.ZIP_STORED):
    with zipfile.ZipFile(path, "w", compression=compression) as zf:
        for name, data in entries.items():
            zf.writestr(name, data)
    return path


def npy(array):
    buf = io.BytesIO()
    np.save(buf, array, allow_pickle=False)
    return buf.getvalue()


def config_of(path):
    with np.load(path, allow_pickle=False) as data:
        return json.loads(str(data["config"]))


def with_config(path, config, out):
    entries = members(path)
    entries["config.npy"] = npy(np.array(json.dumps(config)))
    return write_zip(out, entries)


def peak_memory_of(call):
    """Peak bytes traced (numpy reports its buffers to tracemalloc) while call runs."""
    tracemalloc.start()
    try:
        call()
    finally:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return peak


# ---------------------------------------------------------------- saving


def test_concurrent_saves_to_one_path_leave_one_whole_model(tmp_path):
    path = tmp_path / "model.fmlp"
    models = [small_model(0), small_model(1)]
    expected = [m.get_weights()[0] for m in models]
    errors = []

    def save_many(model):
        try:
            for _ in range(25):
                model.save(path)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    pool = [threading.Thread(target=save_many, args=(m,)) for m in models]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    assert not errors
    loaded = fm.load_model(path).get_weights()[0]
    assert any(np.array_equal(loaded, w) for w in expected)
    assert sorted(os.listdir(tmp_path)) == ["model.fmlp"]  # no temporaries left


def test_save_does_not_follow_a_symlink_planted_at_a_temporary_name(tmp_path):
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    path = tmp_path / "model.fmlp"
    # the names a predictable temporary would take
    for name in (f"model.fmlp.tmp-{os.getpid()}", f"model.fmlp.tmp", ".model.fmlp.tmp"):
        os.symlink(victim, tmp_path / name)
    small_model().save(path)
    assert victim.read_text() == "precious"
    assert fm.load_model(path).count_params() == small_model().count_params()


def test_save_keeps_the_mode_of_the_file_it_replaces(tmp_path):
    path = tmp_path / "private.fmlp"
    small_model().save(path)
    os.chmod(path, 0o600)
    small_model(1).save(path)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600


def test_a_new_file_gets_the_usual_mode(tmp_path):
    path = tmp_path / "new.fmlp"
    small_model().save(path)
    umask = os.umask(0o022)
    os.umask(umask)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o666 & ~umask


def test_saving_through_a_symlink_replaces_its_target_and_keeps_the_link(tmp_path):
    real = tmp_path / "store" / "model.fmlp"
    real.parent.mkdir()
    small_model(0).save(real)
    link = tmp_path / "current.fmlp"
    os.symlink(real, link)
    model = small_model(1)
    model.save(link)
    assert os.path.islink(link)
    np.testing.assert_array_equal(fm.load_model(real).get_weights()[0], model.get_weights()[0])


def test_a_failed_save_leaves_the_old_file_and_no_temporary(tmp_path, monkeypatch):
    path = tmp_path / "model.fmlp"
    old = small_model(0)
    old.save(path)
    before = path.read_bytes()

    def broken_savez(f, **arrays):
        f.write(b"partial")
        raise OSError("disk full")

    monkeypatch.setattr(np, "savez", broken_savez)
    with pytest.raises(OSError, match="disk full"):
        small_model(1).save(path)
    assert path.read_bytes() == before
    assert sorted(os.listdir(tmp_path)) == ["model.fmlp"]


# ---------------------------------------------------------------- reading


def test_members_the_model_does_not_need_are_not_inflated(tmp_path):
    path = tmp_path / "model.fmlp"
    small_model().save(path)
    padded = tmp_path / "padded.fmlp"
    with zipfile.ZipFile(padded, "w") as out, zipfile.ZipFile(path) as src:
        for name in src.namelist():
            out.writestr(name, src.read(name))
        # 200 MB of zeros that deflate to ~200 KB
        info = zipfile.ZipInfo("extra.npy")
        info.compress_type = zipfile.ZIP_DEFLATED
        with out.open(info, "w", force_zip64=True) as big:
            chunk = bytes(1 << 20)
            for _ in range(200):
                big.write(chunk)
    assert os.path.getsize(padded) < 2_000_000
    peak = peak_memory_of(lambda: fm.load_model(padded))
    assert peak < 20_000_000


def test_declared_layer_sizes_are_checked_before_anything_is_allocated(tmp_path):
    path = tmp_path / "model.fmlp"
    small_model().save(path)
    config = config_of(path)
    config["input_dim"] = 20_000  # 1.6 GB of float32 weights, from a file of a few KB
    layers_of(config)[0]["config"]["batch_shape"] = [None, 20_000]
    layers_of(config)[1]["config"]["units"] = 20_000
    hostile = with_config(path, config, tmp_path / "huge.fmlp")
    assert os.path.getsize(hostile) < 20_000

    def load():
        with pytest.raises(ValueError, match="not a valid fastmlp model file"):
            fm.load_model(hostile)

    assert peak_memory_of(load) < 5_000_000


def test_a_compressed_member_cannot_declare_more_than_deflate_can_hold(tmp_path):
    path = tmp_path / "model.fmlp"
    small_model().save(path)
    config = config_of(path)
    config["input_dim"] = 2000
    layers_of(config)[0]["config"]["batch_shape"] = [None, 2000]
    layers_of(config)[1]["config"]["units"] = 2000
    entries = members(path)
    entries["config.npy"] = npy(np.array(json.dumps(config)))
    header = npy(np.zeros((2000, 2000), np.float32))[:128]  # a truthful header, no data
    entries["weight_0.npy"] = header
    hostile = write_zip(tmp_path / "short.fmlp", entries, zipfile.ZIP_DEFLATED)
    with pytest.raises(ValueError, match="not a valid fastmlp model file"):
        fm.load_model(hostile)


def nested(depth):
    return "[" * depth + "]" * depth


def encrypted(path, out):
    data = bytearray(path.read_bytes())
    # set the encryption flag in every local and central header
    for signature, offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        start = 0
        while (start := data.find(signature, start)) >= 0:
            flags = struct.unpack_from("<H", data, start + offset)[0]
            struct.pack_into("<H", data, start + offset, flags | 1)
            start += 4
    out.write_bytes(bytes(data))
    return out


def method(path, out, code):
    data = bytearray(path.read_bytes())
    for signature, offset in ((b"PK\x03\x04", 8), (b"PK\x01\x02", 10)):
        start = 0
        while (start := data.find(signature, start)) >= 0:
            struct.pack_into("<H", data, start + offset, code)
            start += 4
    out.write_bytes(bytes(data))
    return out


def edited(path, out, edit):
    config = config_of(path)
    edit(config)
    return with_config(path, config, out)


def replaced(path, out, name, payload):
    entries = members(path)
    entries[name] = payload
    return write_zip(out, entries)


HOSTILE = {
    "encrypted": lambda p, o: encrypted(p, o),
    "unknown compression": lambda p, o: method(p, o, 99),
    "bzip2 member": lambda p, o: method(p, o, 12),
    "deeply nested description": lambda p, o: replaced(p, o, "config.npy",
                                                       npy(np.array(nested(100_000)))),
    "description of pickled objects": lambda p, o: replaced(
        p, o, "config.npy", npy(np.array("{}")).replace(b"<U2", b"|O8")),
    "weights of pickled objects": lambda p, o: replaced(
        p, o, "weight_0.npy", npy(np.zeros((4, 8), np.float32)).replace(b"<f4", b"|O8")),
    "truncated weights": lambda p, o: replaced(p, o, "weight_0.npy",
                                               npy(np.zeros((4, 8), np.float32))[:-10]),
    "trailing bytes": lambda p, o: replaced(p, o, "weight_0.npy",
                                            npy(np.zeros((4, 8), np.float32)) + b"x"),
    "npy version 9": lambda p, o: replaced(p, o, "weight_0.npy",
                                           npy(np.zeros((4, 8), np.float32)).replace(
                                               b"\x93NUMPY\x01", b"\x93NUMPY\x09", 1)),
    "complex weights": lambda p, o: replaced(p, o, "weight_0.npy", npy(np.zeros((4, 8), complex))),
    "string weights": lambda p, o: replaced(p, o, "weight_0.npy", npy(np.full((4, 8), "a"))),
    "huge input_dim": lambda p, o: edited(p, o, lambda c: c.update(input_dim=10**30)),
    "float input_dim": lambda p, o: edited(p, o, lambda c: c.update(input_dim=4.5)),
    "huge units": lambda p, o: edited(p, o, lambda c: layers_of(c)[1]["config"].update(
        units=10**30)),
    "huge input shape": lambda p, o: edited(p, o, lambda c: layers_of(c)[0]["config"].update(
        batch_shape=[None, 10**30])),
    "huge dropout seed": lambda p, o: edited(p, o, lambda c: c.update(dropout_seed=2**70)),
    "negative iterations": lambda p, o: edited(p, o, lambda c: c.update(
        optimizer_iterations=-1)),
    "layers not a list": lambda p, o: edited(p, o, lambda c: c["model"]["config"].update(
        layers={"a": 1})),
    "optimizer not an object": lambda p, o: edited(p, o, lambda c: c["compile"].update(
        optimizer=[1])),
    "unknown optimizer argument": lambda p, o: edited(p, o, lambda c: c["compile"][
        "optimizer"]["config"].update(bogus=1)),
    "name not a string": lambda p, o: edited(p, o, lambda c: c["model"]["config"].update(
        name=["x"])),
    "layer name not a string": lambda p, o: edited(p, o, lambda c: layers_of(c)[1][
        "config"].update(name=7)),
    "metrics not a list": lambda p, o: edited(p, o, lambda c: c["compile"].update(metrics=7)),
    "description not a string": lambda p, o: replaced(p, o, "config.npy", npy(np.zeros(3))),
    "description not utf-32": lambda p, o: replaced(
        p, o, "config.npy", npy(np.array("ab")).replace(b"a\x00\x00\x00", b"\xff\xff\xff\xff")),
}


@pytest.mark.parametrize("craft", list(HOSTILE.values()), ids=list(HOSTILE))
def test_hostile_files_raise_value_error(tmp_path, craft):
    path = tmp_path / "model.fmlp"
    small_model().save(path)
    hostile = craft(path, tmp_path / "hostile.fmlp")
    with pytest.raises(ValueError, match="fastmlp model file"):
        fm.load_model(hostile)


@settings(max_examples=150, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(st.integers(0, 10**6), st.integers(0, 255)), min_size=1, max_size=8),
       st.integers(0, 10**6))
def test_damaged_files_load_or_raise_value_error(tmp_path, flips, cut):
    """Seeded fuzzing: bytes changed and the file cut anywhere."""
    path = tmp_path / "model.fmlp"
    if not path.exists():
        small_model().save(path)
    data = bytearray(path.read_bytes())
    for position, value in flips:
        data[position % len(data)] = value
    damaged = tmp_path / "damaged.fmlp"
    damaged.write_bytes(bytes(data[:max(1, len(data) - cut % len(data))]))
    try:
        model = fm.load_model(damaged)
    except ValueError:
        return
    model.predict(np.zeros((2, model.input_shape[1]), np.float32))
