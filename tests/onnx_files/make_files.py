"""Writes the ONNX files tests/test_onnx.py imports without the frameworks
that made them, each beside an .npz of inputs and the framework's outputs:

- torch_mlp.onnx: a PyTorch MLP (Flatten, Linear, BatchNorm1d, ReLU, Dropout,
  GELU, SiLU, Linear, Softmax; (batch, 3, 4) inputs) exported by
  torch.onnx.export(dynamo=False), opset 17;
- torch_dynamo_mlp.onnx (+ .onnx.data): a PyTorch MLP (Flatten, Linear,
  BatchNorm1d, ReLU, Linear, GELU, Linear, Softmax) exported by
  torch.onnx.export(dynamo=True) (needs onnxscript), which writes opset 20,
  folds the normalization into the Gemm and keeps the weights in a data file
  beside the model (external data);
- keras_mlp.onnx: a Keras 3 model (Dense relu, BatchNormalization, Dropout,
  Dense tanh, Dense softmax), trained for two epochs so that its moving
  statistics are not the initial ones, written by Keras's own
  `model.export(path, format="onnx")` (torch backend).

    python tests/onnx_files/make_files.py [--keras-python PYTHON]

PYTHON (default $FASTMLP_KERAS_PYTHON) must have keras 3, torch and onnx.
"""
import argparse
import os
import subprocess
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))

KERAS_SCRIPT = r'''
import os, sys, numpy as np, keras
here = sys.argv[1]
keras.utils.set_random_seed(0)
rng = np.random.default_rng(0)
x = rng.normal(size=(256, 20)).astype("float32")
y = (x[:, 0] + x[:, 1] > 0).astype("int64") + (x[:, 2] > 0.5)
model = keras.Sequential([keras.Input((20,)), keras.layers.Dense(16, activation="relu"),
                          keras.layers.BatchNormalization(), keras.layers.Dropout(0.2),
                          keras.layers.Dense(8, activation="tanh"),
                          keras.layers.Dense(3, activation="softmax")])
model.compile("adam", "sparse_categorical_crossentropy")
model.fit(x, y, epochs=2, batch_size=32, verbose=0)
probe = rng.normal(size=(32, 20)).astype("float32")
model.export(os.path.join(here, "keras_mlp.onnx"), format="onnx", verbose=False)
np.savez(os.path.join(here, "keras_mlp.npz"), x=probe, y=model.predict(probe, verbose=0),
         version=np.array(keras.__version__))
'''


def torch_file():
    import torch

    nn = torch.nn
    torch.manual_seed(0)
    net = nn.Sequential(nn.Flatten(), nn.Linear(12, 16), nn.BatchNorm1d(16, momentum=0.1),
                        nn.ReLU(), nn.Dropout(0.2), nn.Linear(16, 16), nn.GELU(),
                        nn.Linear(16, 8), nn.SiLU(), nn.Linear(8, 3), nn.Softmax(dim=1))
    net.train()
    with torch.no_grad():  # moving statistics that are not the initial ones
        for _ in range(20):
            net(torch.randn(64, 3, 4) * 2 + 0.5)
    net.eval()
    probe = torch.randn(32, 3, 4)
    path = os.path.join(HERE, "torch_mlp.onnx")
    torch.onnx.export(net, (probe[:1],), path, dynamo=False, opset_version=17,
                      input_names=["x"], output_names=["probabilities"],
                      dynamic_axes={"x": {0: "batch"}, "probabilities": {0: "batch"}})
    with torch.no_grad():
        expected = net(probe).numpy()
    np.savez(os.path.join(HERE, "torch_mlp.npz"), x=probe.numpy(), y=expected,
             version=np.array(torch.__version__))


def torch_dynamo_file():
    import torch

    nn = torch.nn
    torch.manual_seed(1)
    net = nn.Sequential(nn.Flatten(), nn.Linear(12, 16), nn.BatchNorm1d(16), nn.ReLU(),
                        nn.Linear(16, 16), nn.GELU(), nn.Linear(16, 3), nn.Softmax(dim=1))
    net.train()
    with torch.no_grad():
        for _ in range(20):
            net(torch.randn(64, 3, 4) - 0.5)
    net.eval()
    probe = torch.randn(32, 3, 4)
    path = os.path.join(HERE, "torch_dynamo_mlp.onnx")
    torch.onnx.export(net, (probe,), path, dynamo=True,
                      dynamic_shapes=({0: torch.export.Dim("batch")},), external_data=True)
    with torch.no_grad():
        expected = net(probe).numpy()
    np.savez(os.path.join(HERE, "torch_dynamo_mlp.npz"), x=probe.numpy(), y=expected,
             version=np.array(torch.__version__))


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--keras-python", default=os.environ.get("FASTMLP_KERAS_PYTHON"))
    args = parser.parse_args()
    torch_file()
    try:
        import onnxscript  # noqa: F401  (the dynamo exporter's dependency)
    except ImportError:
        print("onnxscript is not installed: torch_dynamo_mlp.onnx not written", file=sys.stderr)
    else:
        torch_dynamo_file()
    if args.keras_python:
        subprocess.run([args.keras_python, "-c", KERAS_SCRIPT, HERE], check=True,
                       env=dict(os.environ, KERAS_BACKEND="torch"))
    else:
        print("no Keras interpreter given: keras_mlp.onnx not written", file=sys.stderr)


if __name__ == "__main__":
    main()
