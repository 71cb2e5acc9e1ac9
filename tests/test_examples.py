"""The examples/ gallery, run as a user runs it: each script in a fresh
interpreter, headless (matplotlib's Agg backend), with --quick; the figures
it writes must be real pictures and the numbers it prints right."""
import os
import re
import subprocess
import sys

import numpy as np
import pytest

import fastmlp as fm

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EXAMPLES = os.path.join(ROOT, "examples")

pytestmark = pytest.mark.skipif(not os.path.isdir(EXAMPLES),
                                reason="examples/ is not beside the tests")
matplotlib = pytest.importorskip("matplotlib",
                                 reason="the gallery draws with matplotlib (the plot extra)")
import matplotlib.image  # noqa: E402


def run_example(name, *args, cwd, **env):
    """Run examples/<name> headless in a fresh interpreter that imports the fastmlp under test."""
    if name.startswith(("lecture_2", "lecture_3")):
        pytest.importorskip("sklearn", reason=f"{name} needs scikit-learn (the sklearn extra)")
    package_parent = os.path.dirname(os.path.dirname(os.path.abspath(fm.__file__)))
    path = os.pathsep.join(p for p in (package_parent, os.environ.get("PYTHONPATH")) if p)
    environment = dict(os.environ, PYTHONPATH=path, MPLBACKEND="Agg", **env)
    environment.pop("DISPLAY", None)
    result = subprocess.run([sys.executable, os.path.join(EXAMPLES, name), *args],
                            capture_output=True, text=True, cwd=cwd, env=environment,
                            timeout=600)
    assert result.returncode == 0, result.stderr
    return result.stdout


def check_picture(path, min_width=400, min_height=250, min_colours=20):
    """A PNG of a real figure: big enough, not blank, many colours (a plot,
    not a flat fill), some of them not grey (data drawn, not only axes)."""
    assert os.path.isfile(path), path
    image = matplotlib.image.imread(path)
    height, width = image.shape[:2]
    assert width >= min_width and height >= min_height, (path, image.shape)
    rgb = np.round(image[..., :3] * 255).astype(np.uint8).reshape(-1, 3)
    colours = np.unique(rgb, axis=0)
    assert len(colours) >= min_colours, (path, len(colours))
    ink = np.any(rgb < 250, axis=1).mean()  # share of pixels that are not white
    assert 0.01 < ink, (path, ink)
    # drawn data, not just axes and text (which are black and grey)
    chroma = rgb.max(axis=1).astype(int) - rgb.min(axis=1)
    assert len(np.unique(rgb[chroma > 40], axis=0)) >= 5, path


def printed_figures(stdout):
    return re.findall(r"^figure: (.+)$", stdout, re.MULTILINE)


def test_lecture_1_reproduces_the_seed_numbers(tmp_path):
    out = tmp_path / "figures"
    stdout = run_example("lecture_1_neuron_layer_network.py", "--quick", "--output-dir",
                         str(out), cwd=tmp_path)
    # the seed notebook's outputs, exactly as it prints them
    assert "neuron: 0.0066928509242848554\n" in stdout
    assert "layer: [0.999983298578152, 0.9999546021312976, 0.8807970779778823]\n" in stdout
    assert "network: [0.38863885494001416, 0.9261862443148056, 0.9758700579418047]\n" in stdout
    assert stdout.count("equal: True") == 3
    assert printed_figures(stdout) == [str(out / "sigmoid.png")]
    check_picture(out / "sigmoid.png")


def test_lecture_2_draws_decision_boundaries_of_both_dialects(tmp_path):
    out = tmp_path / "figures"
    stdout = run_example("lecture_2_moons_and_blobs.py", "--quick", "--output-dir", str(out),
                         cwd=tmp_path)
    moons = re.search(r"^moons \(Keras dialect\): test accuracy ([0-9.]+), test loss ([0-9.]+)$",
                      stdout, re.MULTILINE)
    blobs = re.search(r"^blobs \(scikit-learn dialect\): test accuracy ([0-9.]+)$", stdout,
                      re.MULTILINE)
    assert moons and blobs, stdout
    assert float(moons.group(1)) >= 0.85  # noisy moons: a straight line gets about 0.85
    assert float(blobs.group(1)) >= 0.8
    names = ["moons_decision_boundary.png", "moons_learning_curves.png",
             "blobs_decision_boundary.png"]
    assert printed_figures(stdout) == [str(out / name) for name in names]
    for name in names:
        check_picture(out / name, min_colours=100 if "boundary" in name else 20)


def check_lecture_3(stdout, out):
    assert re.search(r"^6000 train samples, 2000 test samples$", stdout, re.MULTILINE)
    assert "Total params: 669,706" in stdout  # the lecture's model
    assert re.search(r"^Epoch 2/2$", stdout, re.MULTILINE)
    accuracy = re.search(r"^Test accuracy: ([0-9.]+)$", stdout, re.MULTILINE)
    assert accuracy and re.search(r"^Test loss: [0-9.]+$", stdout, re.MULTILINE), stdout
    names = ["fashion_mnist_learning_curves.png", "fashion_mnist_confusion_matrix.png"]
    assert printed_figures(stdout) == [str(out / name) for name in names]
    for name in names:
        check_picture(out / name)
    return float(accuracy.group(1))


def test_lecture_3_trains_the_seed_network_on_fashion_mnist(tmp_path):
    if not fm.datasets.fashion_mnist_available():
        pytest.skip("Fashion-MNIST is not installed (apt-get install dataset-fashion-mnist)")
    out = tmp_path / "figures"
    stdout = run_example("lecture_3_fashion_mnist.py", "--quick", "--output-dir", str(out),
                         cwd=tmp_path)
    assert f"data: Fashion-MNIST from {fm.datasets.fashion_mnist_dir()}\n" in stdout
    # 6,000 images, 2 epochs: about 0.79 (chance is 0.1, the full run reaches about 0.88)
    assert check_lecture_3(stdout, out) >= 0.6


def test_lecture_3_says_when_it_falls_back_to_synthetic_data(tmp_path):
    out = tmp_path / "figures"
    stdout = run_example("lecture_3_fashion_mnist.py", "--quick", "--output-dir", str(out),
                         cwd=tmp_path, FASHION_MNIST_DIR=str(tmp_path / "no-such-dir"))
    assert "data: a synthetic 10-class set of Fashion-MNIST's shape (Fashion-MNIST is not " \
           "installed" in stdout
    assert check_lecture_3(stdout, out) >= 0.9  # noisy prototypes: easy


def test_figures_go_to_a_figures_folder_by_default(tmp_path):
    run_example("lecture_1_neuron_layer_network.py", cwd=tmp_path)
    check_picture(tmp_path / "figures" / "sigmoid.png")


def test_mnist_mlp_the_readme_points_at_still_runs(tmp_path):
    if not fm.datasets.fashion_mnist_available():
        pytest.skip("examples/mnist_mlp.py reads Fashion-MNIST, which is not installed")
    stdout = run_example("mnist_mlp.py", "--epochs", "1", cwd=tmp_path)
    assert "60000 train samples\n10000 test samples\n" in stdout
    accuracy = re.search(r"^Test accuracy: ([0-9.]+)$", stdout, re.MULTILINE)
    assert accuracy and float(accuracy.group(1)) >= 0.7, stdout
