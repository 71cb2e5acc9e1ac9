"""The lecture, part 2: classifiers on the lecture's 2-D data, and what they
decide where.

- make_moons with the Keras dialect: a 2-32-32-1 ReLU network with a sigmoid
  output, Adam; its decision boundary and learning curves.
- make_blobs (three classes) with the scikit-learn dialect: fm.MLPClassifier
  in a pipeline with StandardScaler; its decision boundary.

Writes ``moons_decision_boundary.png``, ``moons_learning_curves.png`` and
``blobs_decision_boundary.png`` to the output directory and prints the test
accuracies.

    python examples/lecture_2_moons_and_blobs.py [--output-dir figures] [--quick]

Needs matplotlib and scikit-learn: ``pip install "fastmlp[plot,sklearn]"``.
"""
import argparse
import os

import matplotlib

matplotlib.use("Agg")  # files only: runs without a display
import matplotlib.pyplot as plt  # noqa: E402
from sklearn.datasets import make_blobs, make_moons  # noqa: E402
from sklearn.model_selection import train_test_split  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402

import fastmlp as fm  # noqa: E402


def save(fig, directory, name):
    path = os.path.join(directory, name)
    fig.savefig(path, dpi=100, bbox_inches="tight")
    plt.close(fig)
    print(f"figure: {path}")


def moons(args):
    """The Keras dialect on make_moons."""
    X, y = make_moons(n_samples=300 if args.quick else 1000, noise=0.25, random_state=0)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.3, random_state=0)

    fm.set_random_seed(0)
    model = fm.Sequential([
        fm.Input(shape=(2,)),
        fm.Dense(32, activation="relu"),
        fm.Dense(32, activation="relu"),
        fm.Dense(1, activation="sigmoid"),
    ])
    model.compile(optimizer=fm.Adam(learning_rate=0.01), loss="binary_crossentropy",
                  metrics=["accuracy"])
    history = model.fit(X_train, y_train, batch_size=32, epochs=30 if args.quick else 100,
                        validation_data=(X_test, y_test), verbose=0)
    loss, accuracy = model.evaluate(X_test, y_test, verbose=0)
    print(f"moons (Keras dialect): test accuracy {accuracy:.4f}, test loss {loss:.4f}")

    fig, ax = plt.subplots(figsize=(7, 5))
    fm.plot.decision_boundary(model, X_test, y_test, ax=ax, class_names=["moon 0", "moon 1"])
    ax.set_title(f"make_moons: P(moon 1), test points (accuracy {accuracy:.3f})")
    save(fig, args.output_dir, "moons_decision_boundary.png")

    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4))
    fm.plot.history(history, "loss", ax=left, title="loss")
    fm.plot.history(history, "accuracy", ax=right, title="accuracy")
    save(fig, args.output_dir, "moons_learning_curves.png")
    return accuracy


def blobs(args):
    """The scikit-learn dialect on make_blobs."""
    X, y = make_blobs(n_samples=300 if args.quick else 1000, centers=3, cluster_std=2.0,
                      random_state=1)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.3, random_state=0)
    clf = make_pipeline(StandardScaler(),
                        fm.MLPClassifier(hidden_layer_sizes=(32,), max_iter=500, random_state=0))
    clf.fit(X_train, y_train)
    accuracy = clf.score(X_test, y_test)
    print(f"blobs (scikit-learn dialect): test accuracy {accuracy:.4f}")

    fig, ax = plt.subplots(figsize=(7, 5))
    fm.plot.decision_boundary(clf, X_test, y_test, ax=ax)
    ax.set_title(f"make_blobs: each class's probability where it wins "
                 f"(accuracy {accuracy:.3f})")
    save(fig, args.output_dir, "blobs_decision_boundary.png")
    return accuracy


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--output-dir", default="figures", help="where the PNGs go")
    parser.add_argument("--quick", action="store_true", help="less data, fewer epochs")
    args = parser.parse_args(argv)
    os.makedirs(args.output_dir, exist_ok=True)
    moons(args)
    blobs(args)


if __name__ == "__main__":
    main()
