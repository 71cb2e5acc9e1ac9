"""Model files: save -> load_model gives the same predictions and continues
training identically; corrupt files are refused clearly; pickle round-trips."""
import json
import pickle
import zipfile

import numpy as np
import pytest

import fastmlp as fm


def trained_model(dtype="float32"):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((200, 12)).astype(dtype)
    y = rng.integers(0, 4, 200)
    model = fm.Sequential(dtype=dtype)
    model.add(fm.Dense(32, activation="relu", input_dim=12))
    model.add(fm.Dropout(0.25))
    model.add(fm.Dense(16, activation="tanh", use_bias=False))
    model.add(fm.Dense(4, activation="softmax"))
    model.compile(optimizer=fm.Adam(learning_rate=0.005), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    model.fit(x, y, batch_size=32, epochs=2, verbose=0)
    return model, x, y


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_round_trip_predicts_and_trains_identically(tmp_path, dtype):
    model, x, y = trained_model(dtype)
    path = tmp_path / "model.fmlp"
    model.save(path)
    loaded = fm.load_model(path)
    assert loaded.dtype == dtype
    assert [type(l).__name__ for l in loaded.layers] == ["Dense", "Dropout", "Dense", "Dense"]
    assert isinstance(loaded.optimizer, fm.Adam) and loaded.optimizer.learning_rate == 0.005
    np.testing.assert_array_equal(loaded.predict(x), model.predict(x))
    assert loaded.evaluate(x, y, verbose=0) == model.evaluate(x, y, verbose=0)
    for model_ in (model, loaded):
        fm.set_random_seed(99)
        model_.fit(x, y, batch_size=32, epochs=2, verbose=0)
    for a, b in zip(model.get_weights(), loaded.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_save_writes_exactly_the_given_path_without_pickles(tmp_path):
    model, _, _ = trained_model()
    path = tmp_path / "plain"
    model.save(str(path))
    assert path.exists() and not (tmp_path / "plain.npz").exists()
    with zipfile.ZipFile(path) as zf:
        names = set(zf.namelist())
        assert "config.npy" in names and "weight_0.npy" in names
    with np.load(path, allow_pickle=False) as data:  # loads without pickle
        config = json.loads(str(data["config"]))
    assert config["format"] == "fastmlp.sequential"
    assert config["compile"]["loss"] == "sparse_categorical_crossentropy"


def test_uncompiled_and_unbuilt_models(tmp_path):
    built = fm.Sequential([fm.Dense(3, activation="sigmoid", input_dim=2)])
    built.save(tmp_path / "a")
    loaded = fm.load_model(tmp_path / "a")
    np.testing.assert_array_equal(loaded.get_weights()[0], built.get_weights()[0])
    with pytest.raises(RuntimeError, match="compile"):
        loaded.fit(np.ones((2, 2)), np.ones((2, 3)))

    unbuilt = fm.Sequential([fm.Dense(3)])
    unbuilt.save(tmp_path / "b")
    assert not fm.load_model(tmp_path / "b").built


def test_loading_leaves_the_global_random_state_alone(tmp_path):
    model, _, _ = trained_model()
    model.save(tmp_path / "m")
    fm.set_random_seed(5)
    fm.load_model(tmp_path / "m")
    after_load = fm.Dense(4, input_dim=3)
    fm.set_random_seed(5)
    fresh = fm.Dense(4, input_dim=3)
    w1 = fm.Sequential([after_load]).get_weights()[0]
    fm.set_random_seed(5)
    w2 = fm.Sequential([fresh]).get_weights()[0]
    np.testing.assert_array_equal(w1, w2)


def corrupt(tmp_path, model, edit):
    path = tmp_path / "m"
    model.save(path)
    with np.load(path, allow_pickle=False) as data:
        arrays = {k: data[k] for k in data.files}
    config = json.loads(str(arrays["config"]))
    edit(config, arrays)
    arrays["config"] = np.array(json.dumps(config))
    with open(path, "wb") as f:
        np.savez(f, **arrays)
    return path


@pytest.mark.parametrize("edit", [
    lambda c, a: c.update(format="something else"),
    lambda c, a: c.update(version=99),
    lambda c, a: c["model"]["config"]["layers"][1].update(class_name="Conv2D"),
    lambda c, a: c["model"]["config"]["layers"][1]["config"].update(units=-3),
    lambda c, a: c["model"]["config"]["layers"][1]["config"].update(activation="gelu2"),
    lambda c, a: a.update(weight_0=np.zeros((5, 5))),
    lambda c, a: a.pop("weight_3"),
    lambda c, a: a.update(optimizer_slot_1=np.zeros(3)),
    lambda c, a: c["compile"].update(loss="hinge2"),
    lambda c, a: c.update(dtype="int8"),
])
def test_corrupt_files_are_refused(tmp_path, edit):
    model, _, _ = trained_model()
    path = corrupt(tmp_path, model, edit)
    with pytest.raises(ValueError, match="not a valid fastmlp model file"):
        fm.load_model(path)


def test_non_model_files(tmp_path):
    with pytest.raises(FileNotFoundError):
        fm.load_model(tmp_path / "missing")
    junk = tmp_path / "junk"
    junk.write_bytes(b"definitely not a zip")
    with pytest.raises(ValueError, match="not a fastmlp model file"):
        fm.load_model(junk)
    other = tmp_path / "other.npz"
    np.savez(other, a=np.ones(3))
    with pytest.raises(ValueError, match="not a fastmlp model file"):
        fm.load_model(other)


def test_pickle_round_trip():
    model, x, y = trained_model()
    clone = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(clone.predict(x), model.predict(x))
    clone.fit(x, y, epochs=1, verbose=0)  # the clone trains on its own
    assert not np.array_equal(clone.get_weights()[0], model.get_weights()[0])


@pytest.mark.parametrize("name", ["model.h5", "model.hdf5", "model.weights.h5"])
def test_legacy_hdf5_model_paths_are_refused(tmp_path, name):
    model, _, _ = trained_model()
    with pytest.raises(ValueError, match="legacy HDF5"):
        model.save(tmp_path / name)
    assert not (tmp_path / name).exists()
