"""fm.plot, headless: each function draws what it says, labels its axes,
returns the Axes (the given one with ax=), and refuses bad input clearly."""
import sys

import numpy as np
import pytest

import fastmlp as fm
from conftest import run_python

matplotlib = pytest.importorskip("matplotlib", reason="fm.plot needs matplotlib (the plot extra)")
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.axes import Axes  # noqa: E402
from matplotlib.collections import QuadMesh  # noqa: E402

sklearn = pytest.importorskip("sklearn", reason="the displays come from scikit-learn")
pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
from sklearn.datasets import make_blobs, make_moons  # noqa: E402
from sklearn.inspection import DecisionBoundaryDisplay  # noqa: E402
from sklearn.metrics import ConfusionMatrixDisplay  # noqa: E402
from sklearn.metrics import confusion_matrix as sk_confusion_matrix  # noqa: E402


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def moons():
    X, y = make_moons(200, noise=0.2, random_state=0)
    return X.astype("float32"), y


@pytest.fixture(scope="module")
def blobs():
    X, y = make_blobs(150, centers=3, random_state=1)
    return ((X - X.mean(0)) / X.std(0)).astype("float32"), y


@pytest.fixture(scope="module")
def keras_binary(moons):
    X, y = moons
    fm.set_random_seed(0)
    model = fm.Sequential([fm.Input((2,)), fm.Dense(16, activation="relu"),
                           fm.Dense(1, activation="sigmoid")])
    model.compile(optimizer=fm.Adam(0.01), loss="binary_crossentropy", metrics=["accuracy"])
    history = model.fit(X, y, epochs=6, batch_size=32, validation_split=0.25, verbose=0)
    return model, history


@pytest.fixture(scope="module")
def keras_softmax(blobs):
    X, y = blobs
    fm.set_random_seed(0)
    model = fm.Sequential([fm.Input((2,)), fm.Dense(8, activation="relu"),
                           fm.Dense(3, activation="softmax")])
    model.compile(optimizer=fm.Adam(0.01), loss="sparse_categorical_crossentropy")
    model.fit(X, y, epochs=5, verbose=0)
    return model


def grid_of(X, resolution, eps):
    xx0, xx1 = np.meshgrid(np.linspace(X[:, 0].min() - eps, X[:, 0].max() + eps, resolution),
                           np.linspace(X[:, 1].min() - eps, X[:, 1].max() + eps, resolution))
    return np.c_[xx0.ravel(), xx1.ravel()]


def mesh(ax):
    meshes = [c for c in ax.collections if isinstance(c, QuadMesh)]
    assert len(meshes) == 1
    return np.asarray(meshes[0].get_array()).ravel()


def legend_texts(ax):
    return [t.get_text() for t in ax.get_legend().get_texts()]


# ----------------------------------------------------------------------------- imports

def test_import_fastmlp_does_not_import_matplotlib(tmp_path):
    code = ("import sys, fastmlp as fm\n"
            "assert 'matplotlib' not in sys.modules\n"
            "assert 'plot' in dir(fm) and 'plot' in fm.__all__\n"
            "fm.plot.history\n"  # the module loads lazily, still without matplotlib
            "assert 'matplotlib' not in sys.modules and 'sklearn' not in sys.modules\n"
            "from fastmlp.plot import confusion_matrix, decision_boundary, history\n"
            "assert 'matplotlib' not in sys.modules\n"
            "print('ok')\n")
    result = run_python(code, tmp_path, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "ok\n"


def test_without_matplotlib_the_error_names_the_extra(monkeypatch, keras_binary):
    for name in ("matplotlib", "matplotlib.pyplot", "matplotlib.axes"):
        monkeypatch.setitem(sys.modules, name, None)
    with pytest.raises(ImportError, match=r"pip install 'fastmlp\[plot\]'"):
        fm.plot.history(keras_binary[1])
    with pytest.raises(ImportError, match=r"fastmlp\[plot\]"):
        fm.plot.confusion_matrix([0, 1], [0, 1])


def test_without_scikit_learn_the_error_names_the_extras(monkeypatch, moons, keras_binary):
    for name in ("sklearn", "sklearn.inspection", "sklearn.metrics"):
        monkeypatch.setitem(sys.modules, name, None)
    with pytest.raises(ImportError, match=r"DecisionBoundaryDisplay.*fastmlp\[plot,sklearn\]"):
        fm.plot.decision_boundary(keras_binary[0], *moons)
    with pytest.raises(ImportError, match=r"ConfusionMatrixDisplay.*fastmlp\[plot,sklearn\]"):
        fm.plot.confusion_matrix([0, 1], [0, 1])
    assert isinstance(fm.plot.history(keras_binary[1]), Axes)  # needs matplotlib alone


# ----------------------------------------------------------------------------- history

def test_history_draws_loss_and_val_loss(keras_binary):
    history = keras_binary[1]
    ax = fm.plot.history(history)
    assert isinstance(ax, Axes)
    assert ax.get_xlabel() == "epoch" and ax.get_ylabel() == "loss"
    lines = {line.get_label(): line for line in ax.get_lines()}
    assert set(lines) == {"loss", "val_loss"}
    for key, line in lines.items():
        np.testing.assert_array_equal(line.get_xdata(), np.arange(1, 7))
        np.testing.assert_allclose(line.get_ydata(), history.history[key])
    assert lines["loss"].get_linestyle() == "-" and lines["val_loss"].get_linestyle() == "--"
    assert lines["loss"].get_color() == lines["val_loss"].get_color()
    assert legend_texts(ax) == ["loss", "val_loss"]


def test_history_metrics_validation_title_and_given_axes(keras_binary):
    model, history = keras_binary
    fig, (left, right) = plt.subplots(1, 2)
    assert fm.plot.history(history, "accuracy", ax=left, title="moons") is left
    assert left.get_ylabel() == "accuracy" and left.get_title() == "moons"
    assert [line.get_label() for line in left.get_lines()] == ["accuracy", "val_accuracy"]
    assert fm.plot.history(history, ["loss", "accuracy"], validation=False, ax=right) is right
    assert [line.get_label() for line in right.get_lines()] == ["loss", "accuracy"]
    assert right.get_ylabel() == "loss, accuracy"
    # a history dict, a model (its .history) and a lone "val_" name
    ax = fm.plot.history(history.history, "val_accuracy")
    assert [line.get_label() for line in ax.get_lines()] == ["val_accuracy"]
    ax = fm.plot.history(model)
    assert len(ax.get_lines()) == 2


def test_history_refuses_what_it_cannot_draw(keras_binary):
    history = keras_binary[1]
    with pytest.raises(ValueError, match=r"no 'auc' to plot; to record it, compile with "
                                         r"metrics=\['auc'\]; it has 'accuracy', 'loss'"):
        fm.plot.history(history, "auc")
    with pytest.raises(ValueError, match="no 'val_auc'"):
        fm.plot.history(history, "val_auc")
    with pytest.raises(ValueError, match="empty"):
        fm.plot.history({"loss": []})
    with pytest.raises(ValueError, match="metrics must be"):
        fm.plot.history(history, [])
    with pytest.raises(TypeError, match="got int"):
        fm.plot.history(3)
    with pytest.raises(TypeError, match="must be numbers"):
        fm.plot.history({"loss": ["a", "b"]})
    with pytest.raises(ValueError, match="one value per epoch"):
        fm.plot.history({"loss": [[1.0, 2.0]]})
    with pytest.raises(ValueError, match="fit it first"):
        fm.plot.history(fm.Sequential([fm.Input((2,)), fm.Dense(1)]))
    with pytest.raises(TypeError, match="matplotlib Axes"):
        fm.plot.history(history, ax="left")
    with pytest.raises(ValueError, match="validation_freq must be"):
        fm.plot.history(history, validation_freq=0)
    only_val = {"loss": [1.0, 0.5], "val_accuracy": [0.5, 0.6]}
    with pytest.raises(ValueError, match="only 'val_accuracy': pass validation=True"):
        fm.plot.history(only_val, "accuracy", validation=False)


def test_history_places_validation_values_by_validation_freq():
    record = {"loss": [4.0, 3.0, 2.0, 1.0, 0.5], "val_loss": [3.5, 1.5]}
    with pytest.raises(ValueError, match="pass the validation_freq given to fit"):
        fm.plot.history(record)
    ax = fm.plot.history(record, validation_freq=2)
    val = [line for line in ax.get_lines() if line.get_label() == "val_loss"][0]
    np.testing.assert_array_equal(val.get_xdata(), [2, 4])
    with pytest.raises(ValueError, match="validation_freq=3"):
        fm.plot.history(record, validation_freq=3)


def test_history_of_a_real_fit_with_validation_freq(moons):
    X, y = moons
    model = fm.Sequential([fm.Input((2,)), fm.Dense(4, activation="relu"), fm.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    history = model.fit(X, y, epochs=4, validation_data=(X, y), validation_freq=2, verbose=0)
    ax = fm.plot.history(history, validation_freq=2)
    val = [line for line in ax.get_lines() if line.get_label() == "val_loss"][0]
    np.testing.assert_array_equal(val.get_xdata(), [2, 4])
    np.testing.assert_allclose(val.get_ydata(), history.history["val_loss"])


def test_history_of_estimators(moons):
    X, y = moons
    clf = fm.MLPClassifier(hidden_layer_sizes=(8,), max_iter=15, early_stopping=True,
                           n_iter_no_change=100, random_state=0).fit(X, y)
    ax = fm.plot.history(clf)
    (line,) = ax.get_lines()
    np.testing.assert_allclose(line.get_ydata(), clf.loss_curve_)
    np.testing.assert_array_equal(line.get_xdata(), np.arange(1, clf.n_iter_ + 1))
    assert line.get_label() == "loss (loss_curve_)" and ax.get_ylabel() == "loss"
    ax = fm.plot.history(clf, "score")
    (line,) = ax.get_lines()
    np.testing.assert_allclose(line.get_ydata(), clf.validation_scores_)
    assert ax.get_ylabel() == "validation accuracy"
    assert line.get_label() == "validation accuracy (validation_scores_)"

    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    pipeline = make_pipeline(StandardScaler(), fm.MLPClassifier(hidden_layer_sizes=(8,),
                                                                max_iter=5, random_state=0))
    ax = fm.plot.history(pipeline.fit(X, y))  # the pipeline's final estimator
    np.testing.assert_allclose(ax.get_lines()[0].get_ydata(), pipeline[-1].loss_curve_)
    reg = fm.MLPRegressor(hidden_layer_sizes=(8,), max_iter=5, random_state=0)
    with pytest.raises(ValueError, match="MLPRegressor has no loss_curve_ to plot: fit it first"):
        fm.plot.history(reg)
    reg.fit(X, y.astype(float))
    assert len(fm.plot.history(reg).get_lines()) == 1
    with pytest.raises(ValueError, match="validation_scores_ only with early_stopping=True"):
        fm.plot.history(reg, "score")
    lbfgs = fm.MLPRegressor(hidden_layer_sizes=(4,), solver="lbfgs", max_iter=5,
                            random_state=0).fit(X, y.astype(float))
    with pytest.raises(ValueError, match="lbfgs"):
        fm.plot.history(lbfgs)


# ----------------------------------------------------------------------------- decision boundary

def test_decision_boundary_of_a_keras_binary_classifier(moons, keras_binary):
    X, y = moons
    model = keras_binary[0]
    ax = fm.plot.decision_boundary(model, X, y)
    assert isinstance(ax, Axes)
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("feature 0", "feature 1")
    assert legend_texts(ax) == ["0", "1"]
    assert len(ax.collections) >= 3  # the surface, then one scatter per class
    # the surface is the sigmoid output on scikit-learn's grid
    ax = fm.plot.decision_boundary(model, X, plot_method="pcolormesh", grid_resolution=30,
                                   eps=0.5)
    expected = model.predict(grid_of(X, 30, 0.5), verbose=0)[:, 0]
    np.testing.assert_allclose(mesh(ax), expected, rtol=1e-6)
    assert ax.get_legend() is None  # no y, no points
    ax = fm.plot.decision_boundary(model, X, response_method="predict",
                                   plot_method="pcolormesh", grid_resolution=30, eps=0.5)
    np.testing.assert_array_equal(mesh(ax), expected > 0.5)


def test_decision_boundary_of_a_keras_multiclass_classifier(blobs, keras_softmax):
    X, y = blobs
    fig, ax = plt.subplots()
    names = ["left", "middle", "right"]
    assert fm.plot.decision_boundary(keras_softmax, X, np.eye(3)[y], ax=ax, class_names=names,
                                     title="blobs") is ax  # one-hot y
    assert legend_texts(ax) == names and ax.get_title() == "blobs"
    ax = fm.plot.decision_boundary(keras_softmax, X, response_method="predict",
                                   plot_method="pcolormesh", grid_resolution=25, eps=0.3)
    expected = keras_softmax.predict(grid_of(X, 25, 0.3), verbose=0).argmax(axis=1)
    np.testing.assert_array_equal(mesh(ax), expected)


def test_decision_boundary_of_a_two_output_softmax_shows_the_second_class(moons):
    X, y = moons
    model = fm.Sequential([fm.Input((2,)), fm.Dense(2, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    model.build((None, 2))
    ax = fm.plot.decision_boundary(model, X, y, plot_method="pcolormesh", grid_resolution=20,
                                   eps=0.1)
    expected = model.predict(grid_of(X, 20, 0.1), verbose=0)[:, 1]
    np.testing.assert_allclose(mesh(ax), expected, rtol=1e-6)


def test_decision_boundary_of_estimators(moons, blobs):
    X, y = moons
    clf = fm.MLPClassifier(hidden_layer_sizes=(16,), max_iter=50, random_state=0).fit(X, y)
    ax = fm.plot.decision_boundary(clf, X, y, plot_method="pcolormesh", grid_resolution=20,
                                   eps=0.2)
    expected = clf.predict_proba(grid_of(X, 20, 0.2))[:, 1]
    np.testing.assert_allclose(mesh(ax), expected, rtol=1e-5)
    assert legend_texts(ax) == ["0", "1"]
    Xb, yb = blobs
    labels = np.array(["a", "b", "c"])[yb]
    multi = fm.MLPClassifier(hidden_layer_sizes=(16,), max_iter=50, random_state=0).fit(Xb, labels)
    ax = fm.plot.decision_boundary(multi, Xb, labels)
    assert legend_texts(ax) == ["a", "b", "c"]
    with pytest.raises(ValueError, match=r"label 'z', which is not among the model's classes_"):
        fm.plot.decision_boundary(multi, Xb, np.where(labels == "a", "z", labels))
    reg = fm.MLPRegressor(hidden_layer_sizes=(16,), max_iter=50, random_state=0)
    target = X[:, 0] * X[:, 1]
    reg.fit(X, target)
    ax = fm.plot.decision_boundary(reg, X, target, plot_method="pcolormesh", grid_resolution=20,
                                   eps=0.2)
    np.testing.assert_allclose(mesh(ax), reg.predict(grid_of(X, 20, 0.2)), rtol=1e-5)
    assert ax.get_legend() is None  # a continuous target colours the points, no classes


def test_decision_boundary_accepts_a_dataframe_and_names_its_columns(moons):
    pd = pytest.importorskip("pandas")
    X, y = moons
    frame = pd.DataFrame(X, columns=["width", "height"])
    clf = fm.MLPClassifier(hidden_layer_sizes=(8,), max_iter=20, random_state=0).fit(frame, y)
    ax = fm.plot.decision_boundary(clf, frame, y)
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("width", "height")
    ax = fm.plot.decision_boundary(clf, frame, y, xlabel="w", ylabel="h")
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("w", "h")


def test_decision_boundary_refuses_bad_input(moons, keras_binary):
    X, y = moons
    model = keras_binary[0]
    with pytest.raises(ValueError, match=r"X must have shape \(n_samples, 2\); got shape "
                                         r"\(200, 3\)"):
        fm.plot.decision_boundary(model, np.c_[X, X[:, 0]], y)
    with pytest.raises(ValueError, match=r"got shape \(2, 100, 2\)"):
        fm.plot.decision_boundary(model, X.reshape(2, 100, 2))
    with pytest.raises(ValueError, match="X has 200 samples but y has 199"):
        fm.plot.decision_boundary(model, X, y[:-1])
    bad = X.copy()
    bad[0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        fm.plot.decision_boundary(model, bad, y)
    with pytest.raises(ValueError, match="empty"):
        fm.plot.decision_boundary(model, np.zeros((0, 2)))
    with pytest.raises(ValueError, match="plot_method"):
        fm.plot.decision_boundary(model, X, plot_method="surface")
    with pytest.raises(ValueError, match="grid_resolution"):
        fm.plot.decision_boundary(model, X, grid_resolution=1)
    with pytest.raises(ValueError, match="eps must be"):
        fm.plot.decision_boundary(model, X, eps=-1.0)
    with pytest.raises(ValueError, match="response_method"):
        fm.plot.decision_boundary(model, X, response_method="decision_function")
    with pytest.raises(TypeError, match="got str"):
        fm.plot.decision_boundary("model", X, y)
    three = fm.Sequential([fm.Input((3,)), fm.Dense(1)])
    with pytest.raises(ValueError, match="3"):  # the model's own message: it expects 3 features
        fm.plot.decision_boundary(three, X)
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        fm.plot.decision_boundary(fm.MLPClassifier(), X, y)


def test_scikit_learn_displays_take_fastmlp_estimators(moons):
    """fastmlp's estimators are scikit-learn estimators: the displays use them directly."""
    X, y = moons
    clf = fm.MLPClassifier(hidden_layer_sizes=(8,), max_iter=20, random_state=0).fit(X, y)
    display = DecisionBoundaryDisplay.from_estimator(clf, X, response_method="predict_proba")
    assert display.response.shape == (100, 100)
    display = ConfusionMatrixDisplay.from_estimator(clf, X, y)
    np.testing.assert_array_equal(display.confusion_matrix,
                                  sk_confusion_matrix(y, clf.predict(X)))


# ----------------------------------------------------------------------------- confusion matrix

def cells(ax):
    """The numbers written in the matrix's cells, row by row."""
    return [t.get_text() for t in ax.texts]


def test_confusion_matrix_from_labels():
    y_true = [0, 1, 2, 2, 1, 0, 2]
    y_pred = [0, 2, 2, 2, 1, 0, 1]
    ax = fm.plot.confusion_matrix(y_true, y_pred)
    assert isinstance(ax, Axes)
    assert ax.get_xlabel() == "Predicted label" and ax.get_ylabel() == "True label"
    expected = sk_confusion_matrix(y_true, y_pred)
    assert cells(ax) == [str(v) for v in expected.ravel()]
    fig, given = plt.subplots()
    ax = fm.plot.confusion_matrix(y_true, y_pred, ax=given, normalize="true", title="t",
                                  display_labels=["a", "b", "c"], colorbar=False)
    assert ax is given and ax.get_title() == "t"
    assert [t.get_text() for t in ax.get_xticklabels()] == ["a", "b", "c"]
    assert len(fig.axes) == 1  # no colour bar
    np.testing.assert_allclose([float(c) for c in cells(ax)],
                               sk_confusion_matrix(y_true, y_pred, normalize="true").ravel(),
                               atol=0.01)


def test_confusion_matrix_from_keras_outputs(blobs, keras_softmax, moons, keras_binary):
    X, y = blobs
    outputs = keras_softmax.predict(X, verbose=0)
    ax = fm.plot.confusion_matrix(np.eye(3)[y], outputs)  # one-hot truth, softmax outputs
    expected = sk_confusion_matrix(y, outputs.argmax(axis=1))
    assert cells(ax) == [str(v) for v in expected.ravel()]
    Xm, ym = moons
    probabilities = keras_binary[0].predict(Xm, verbose=0)  # one sigmoid column
    ax = fm.plot.confusion_matrix(ym, probabilities)
    expected = sk_confusion_matrix(ym, (probabilities[:, 0] > 0.5).astype(int))
    assert cells(ax) == [str(v) for v in expected.ravel()]


def test_confusion_matrix_refuses_bad_input():
    with pytest.raises(ValueError, match="y_true has 3 samples but y_pred has 2"):
        fm.plot.confusion_matrix([0, 1, 1], [0, 1])
    with pytest.raises(ValueError, match="empty"):
        fm.plot.confusion_matrix([], [])
    with pytest.raises(ValueError, match=r"got shape \(2, 2, 2\)"):
        fm.plot.confusion_matrix(np.zeros((2, 2, 2)), [0, 1])
    with pytest.raises(ValueError, match="normalize"):
        fm.plot.confusion_matrix([0, 1], [0, 1], normalize="rows")
    with pytest.raises(TypeError, match="numeric"):
        fm.plot.confusion_matrix([0, 1], [["a", "b"], ["b", "a"]])
