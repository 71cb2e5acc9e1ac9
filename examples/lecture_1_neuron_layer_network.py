"""The lecture, part 1: a neuron, a layer, a network, as fastmlp models.

The seed notebook computes these with three small Python functions; here
each is a bias-free sigmoid ``Dense`` layer in float64 holding the lecture's
weights, and fastmlp's engine gives the lecture's numbers exactly. One quirk
of the lecture's ``neuron``: it zips inputs with weights, so in ``network``
the second layer's neurons (two weights each) ignore the third hidden value;
with ``Dense`` that is a second-layer weight of zero for that input.

Writes ``sigmoid.png`` (the activation, with each neuron's input and output
marked) to the output directory.

    python examples/lecture_1_neuron_layer_network.py [--output-dir figures]

Needs matplotlib for the figure: ``pip install "fastmlp[plot]"``.
"""
import argparse
import os

import numpy as np

import fastmlp as fm

# The lecture's own code, to compare with

def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def neuron(x, w):
    return sigmoid(sum(x_i * w_i for (x_i, w_i) in zip(x, w)))


def layer(x, w):
    return [neuron(x, w[0]), neuron(x, w[1]), neuron(x, w[2])]


def network(x, w):
    return layer(layer(x, w[0]), w[1])


# The same three computations with fastmlp
def model_of(*kernels):
    """A float64 Sequential of bias-free sigmoid layers with the given kernels."""
    model = fm.Sequential(dtype="float64")
    model.add(fm.Input((kernels[0].shape[0],)))
    for kernel in kernels:
        model.add(fm.Dense(kernel.shape[1], activation="sigmoid", use_bias=False))
    model.set_weights([np.asarray(k, dtype=np.float64) for k in kernels])
    return model


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--output-dir", default="figures", help="where the PNG goes")
    parser.add_argument("--quick", action="store_true", help="accepted for symmetry with the "
                        "other scripts of the gallery (this one is quick anyway)")
    args = parser.parse_args(argv)

    # neuron([1.0, -2.0], [3.0, 4.0]): one neuron, two inputs
    neuron_model = model_of(np.array([[3.0], [4.0]]))
    neuron_out = float(neuron_model.predict([[1.0, -2.0]], verbose=0)[0, 0])

    # layer([1.0, 2.0], [[3.0, 4.0], [4.0, 3.0], [-2.0, 2.0]]): a row of weights per neuron
    layer_weights = np.array([[3.0, 4.0], [4.0, 3.0], [-2.0, 2.0]])
    layer_model = model_of(layer_weights.T)
    layer_out = layer_model.predict([[1.0, 2.0]], verbose=0)[0].tolist()

    # network([1.0, 2.0], [w0, w1]): two layers of three neurons
    w0 = np.array([[4.5, -2.5], [5.6, -9.1], [4.1, 5.6]])
    w1 = np.array([[-1.2, 3.4], [6.7, 2.3], [9.8, -6.7]])
    network_model = model_of(w0.T, np.vstack([w1.T, np.zeros((1, 3))]))
    network_out = network_model.predict([[1.0, 2.0]], verbose=0)[0].tolist()

    results = [
        ("neuron", neuron_out, neuron([1.0, -2.0], [3.0, 4.0])),
        ("layer", layer_out, layer([1.0, 2.0], layer_weights.tolist())),
        ("network", network_out, network([1.0, 2.0], [w0.tolist(), w1.tolist()])),
    ]
    for name, ours, lecture in results:
        lecture = [float(v) for v in lecture] if isinstance(lecture, list) else float(lecture)
        print(f"{name}: {ours!r}")
        print(f"{name} (the lecture's Python): {lecture!r}  equal: {ours == lecture}")

    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    os.makedirs(args.output_dir, exist_ok=True)
    fig, ax = plt.subplots(figsize=(7, 4.5))
    z = np.linspace(-12, 12, 400)
    ax.plot(z, sigmoid(z), color="0.3", label="sigmoid(z)")
    points = [("neuron", np.array([[1.0, -2.0]]) @ np.array([[3.0], [4.0]]), [neuron_out])]
    points.append(("layer", np.array([[1.0, 2.0]]) @ layer_weights.T, layer_out))
    hidden = np.array([[1.0, 2.0]]) @ w0.T
    points.append(("network, layer 2", sigmoid(hidden[:, :2]) @ w1.T, network_out))
    for (name, inputs, outputs), marker in zip(points, ("o", "s", "^")):
        ax.scatter(np.ravel(inputs), outputs, marker=marker, s=60, zorder=3, label=name)
    ax.set_xlabel("z = x · w (the neuron's weighted input)")
    ax.set_ylabel("output")
    ax.set_title("The lecture's neurons on the sigmoid (fastmlp's outputs)")
    ax.legend()
    path = os.path.join(args.output_dir, "sigmoid.png")
    fig.savefig(path, dpi=100, bbox_inches="tight")
    plt.close(fig)
    print(f"figure: {path}")


if __name__ == "__main__":
    main()
