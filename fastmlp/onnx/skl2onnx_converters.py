"""skl2onnx converters for fm.MLPClassifier and fm.MLPRegressor, giving the
graphs skl2onnx gives for scikit-learn's MLPs: the input cast to the
computing type, MatMul + Add per layer with the hidden activation, the output
activation; for classifiers the probabilities (binary: [1 − p, p]) and the
labels (ArgMax, then the class looked up with ArrayFeatureExtractor;
multi-label: Binarizer at 0.5), which skl2onnx's classifier parser wraps in
ZipMap unless ``options={"zipmap": False}``. Dropout is inactive at
inference, so it leaves no trace.

Where this differs from skl2onnx's converter for scikit-learn's models it
is on purpose: a multi-output regressor gives (N, n_outputs) (scikit-learn's
converter reshapes those outputs into one column), a multi-label classifier
declares its labels (N, n_labels) (scikit-learn's declares (N,)), and one with
two labels gives its two probabilities (scikit-learn's converter treats it as
binary and gives four columns).
"""
from __future__ import annotations

from typing import Any

import numpy as np

from .export import _refuse_quantized

__all__ = ["register_skl2onnx"]

_HIDDEN = {"identity": None, "logistic": "Sigmoid", "tanh": "Tanh", "relu": "Relu"}
_OUTPUT = {"identity": None, "logistic": "Sigmoid", "softmax": "Softmax", "exp": "Exp"}
_CLASSIFIER_OPTIONS = {"zipmap": [True, False, "columns"], "output_class_labels": [False, True],
                       "nocl": [True, False]}


def _skl2onnx() -> Any:
    try:
        import skl2onnx
    except ImportError as exc:
        raise ImportError("converting fastmlp's estimators to ONNX needs skl2onnx: "
                          "pip install skl2onnx (and fastmlp[onnx])") from exc
    return skl2onnx


def _compute_type(operator: Any) -> tuple:
    """(TensorProto type, numpy dtype) the graph computes in: double for a
    double input, float otherwise (as skl2onnx's converters)."""
    from skl2onnx.common.data_types import guess_proto_type
    from skl2onnx.proto import onnx_proto

    if guess_proto_type(operator.inputs[0].type) == onnx_proto.TensorProto.DOUBLE:
        return onnx_proto.TensorProto.DOUBLE, np.float64
    return onnx_proto.TensorProto.FLOAT, np.float32


def _forward(scope: Any, operator: Any, container: Any) -> str:
    """Nodes computing the estimator's outputs (its output activation
    applied); returns the name of the result."""
    est = operator.raw_operator
    proto_type, dtype = _compute_type(operator)
    x = scope.get_unique_variable_name("cast_input")
    container.add_node("Cast", operator.inputs[0].full_name, x, to=proto_type,
                       name=scope.get_unique_operator_name("Cast"))
    _refuse_quantized(getattr(est.__dict__.get("_net"), "quantized", None))
    coefs, intercepts = est.coefs_, est.intercepts_
    for i, (coef, intercept) in enumerate(zip(coefs, intercepts)):
        w = scope.get_unique_variable_name("coefficient")
        b = scope.get_unique_variable_name("intercepts")
        container.add_initializer(w, proto_type, list(coef.shape), np.asarray(coef, dtype).ravel())
        container.add_initializer(b, proto_type, [1, len(intercept)],
                                  np.asarray(intercept, dtype).ravel())
        product = scope.get_unique_variable_name("mul_result")
        container.add_node("MatMul", [x, w], product, name=scope.get_unique_operator_name("MatMul"))
        x = scope.get_unique_variable_name("add_result")
        container.add_node("Add", [product, b], x, name=scope.get_unique_operator_name("Add"))
        last = i == len(coefs) - 1
        op = (_OUTPUT[est.out_activation_] if last else _HIDDEN[est.activation])
        if op is not None:
            y = scope.get_unique_variable_name("out_activations_result" if last
                                               else "next_activations")
            container.add_node(op, x, y, name=scope.get_unique_operator_name(op))
            x = y
    return x


def _convert_classifier(scope: Any, operator: Any, container: Any) -> None:
    from skl2onnx.proto import onnx_proto

    est = operator.raw_operator
    proto_type, dtype = _compute_type(operator)
    scores = _forward(scope, operator, container)
    labels_out, probabilities_out = (operator.outputs[0].full_name,
                                     operator.outputs[1].full_name)
    multilabel = est._label_binarizer.y_type_ == "multilabel-indicator"
    if len(est.classes_) == 2 and not multilabel:  # p of the second class: [1 − p, p]
        one = scope.get_unique_variable_name("unity")
        container.add_initializer(one, proto_type, [], [1.0])
        negative = scope.get_unique_variable_name("negative_class_proba")
        container.add_node("Sub", [one, scores], negative, name=scope.get_unique_operator_name("Sub"))
        container.add_node("Concat", [negative, scores], probabilities_out, axis=1,
                           name=scope.get_unique_operator_name("Concat"))
    else:
        container.add_node("Identity", scores, probabilities_out,
                           name=scope.get_unique_operator_name("Identity"))
    if multilabel:
        binary = scope.get_unique_variable_name("binariser_output")
        container.add_node("Binarizer", scores, binary, threshold=0.5, op_domain="ai.onnx.ml",
                           name=scope.get_unique_operator_name("Binarizer"))
        container.add_node("Cast", binary, labels_out, to=onnx_proto.TensorProto.INT64,
                           name=scope.get_unique_operator_name("Cast"))
        return
    classes = np.asarray(est.classes_)
    if classes.dtype.kind in "biuf":  # numbers: int64 labels (floats and bools as ints)
        class_type, values = onnx_proto.TensorProto.INT64, classes.astype(np.int64).tolist()
    else:
        class_type, values = onnx_proto.TensorProto.STRING, [str(c).encode("utf-8")
                                                            for c in classes]
    table = scope.get_unique_variable_name("classes")
    container.add_initializer(table, class_type, [len(values)], values)
    best = scope.get_unique_variable_name("argmax_output")
    container.add_node("ArgMax", probabilities_out, best, axis=1,
                       name=scope.get_unique_operator_name("ArgMax"))
    found = scope.get_unique_variable_name("array_feature_extractor_result")
    container.add_node("ArrayFeatureExtractor", [table, best], found, op_domain="ai.onnx.ml",
                       name=scope.get_unique_operator_name("ArrayFeatureExtractor"))
    shape = scope.get_unique_variable_name("shape")
    container.add_initializer(shape, onnx_proto.TensorProto.INT64, [1], [-1])
    container.add_node("Reshape", [found, shape], labels_out,
                       name=scope.get_unique_operator_name("Reshape"))


def _convert_regressor(scope: Any, operator: Any, container: Any) -> None:
    from skl2onnx.proto import onnx_proto

    est = operator.raw_operator
    scores = _forward(scope, operator, container)
    shape = scope.get_unique_variable_name("shape")
    container.add_initializer(shape, onnx_proto.TensorProto.INT64, [2], [-1, est.n_outputs_])
    container.add_node("Reshape", [scores, shape], operator.outputs[0].full_name,
                       name=scope.get_unique_operator_name("Reshape"))


def _classifier_shape(operator: Any) -> None:
    """skl2onnx's shapes for classifiers; multi-label labels are (N, n_labels)."""
    from skl2onnx.common.data_types import Int64TensorType
    from skl2onnx.common.shape_calculator import calculate_linear_classifier_output_shapes

    calculate_linear_classifier_output_shapes(operator)
    est = operator.raw_operator
    if est._label_binarizer.y_type_ == "multilabel-indicator":
        n = operator.inputs[0].get_first_dimension()
        operator.outputs[0].type = Int64TensorType([n, est.n_outputs_])


def _regressor_shape(operator: Any) -> None:
    """(N, n_outputs) in the input's float type (float for other inputs)."""
    from skl2onnx.common.data_types import DoubleTensorType, FloatTensorType
    from skl2onnx.common.utils import check_input_and_output_numbers

    check_input_and_output_numbers(operator, input_count_range=1, output_count_range=1)
    kind = DoubleTensorType if isinstance(operator.inputs[0].type, DoubleTensorType) \
        else FloatTensorType
    n = operator.inputs[0].get_first_dimension()
    operator.outputs[0].type = kind([n, operator.raw_operator.n_outputs_])


def register_skl2onnx() -> None:
    """Register fastmlp's estimators with skl2onnx, so that
    ``skl2onnx.to_onnx(estimator, X[:1])`` (and ``convert_sklearn``, also in
    pipelines) converts fm.MLPClassifier and fm.MLPRegressor as it converts
    scikit-learn's MLPs: same outputs, names, types and ZipMap options.
    Call it once per process (again changes nothing), as skl2onnx asks of
    every library whose models it does not know.

    Raises
    ------
    ImportError
        Without skl2onnx or scikit-learn.

    Examples
    --------
    >>> import numpy as np, skl2onnx, fastmlp as fm
    >>> fm.onnx.register_skl2onnx()
    >>> X = np.random.default_rng(0).normal(size=(40, 3)).astype(np.float32)
    >>> reg = fm.MLPRegressor(hidden_layer_sizes=(5,), max_iter=5).fit(X, X[:, 0])
    >>> [o.name for o in skl2onnx.to_onnx(reg, X[:1]).graph.output]
    ['variable']
    """
    _skl2onnx()
    from skl2onnx import update_registered_converter

    from ..estimators import MLPClassifier, MLPRegressor

    update_registered_converter(MLPClassifier, "FastmlpMLPClassifier", _classifier_shape,
                                _convert_classifier, options=_CLASSIFIER_OPTIONS)
    update_registered_converter(MLPRegressor, "FastmlpMLPRegressor", _regressor_shape,
                                _convert_regressor)
