"""ONNX written directly from a Keras model's layers and weights with ``onnx.helper``.

The fallback for when Keras's own ONNX exporter (tf2onnx underneath) is missing or broken
for this Keras; it needs nothing but ``onnx``. Two layout rules make it give Keras's
answers: ONNX convolutions are channels-first, so the image is transposed to NCHW before
the first convolution and every kernel goes from Keras's HWIO to ONNX's OIHW; and a
Flatten (or a Dense on a feature map) reads channels-last, so the map is transposed back
to NHWC first, keeping Keras's element order.
"""

from __future__ import annotations

import numpy as np

from digitpad.core.weight_shapes import IDENTITY_AT_INFERENCE
from digitpad.export.card import INPUT_NAME, INPUT_SHAPE, OUTPUT_NAME
from digitpad.export.target import ExportError
from digitpad.export.writers import ends_in_softmax

NHWC_TO_NCHW = [0, 3, 1, 2]
NCHW_TO_NHWC = [0, 2, 3, 1]
SIMPLE_ACTIVATIONS = {"relu": "Relu", "sigmoid": "Sigmoid", "tanh": "Tanh", "elu": "Elu"}


class _Graph:
    """The nodes and weights written so far, and the current tensor's name and layout."""

    def __init__(self):
        self.nodes, self.weights = [], []
        self.tensor, self.rank, self.channels_first = INPUT_NAME, 4, False
        self._count = 0

    def name(self, hint: str) -> str:
        self._count += 1
        return f"{hint}_{self._count}"

    def constant(self, hint: str, value) -> str:
        from onnx import numpy_helper

        name = self.name(hint)
        self.weights.append(numpy_helper.from_array(np.asarray(value), name))
        return name

    def add(self, op: str, *extra_inputs: str, hint: str | None = None, **attributes) -> str:
        """Apply ``op`` to the current tensor (and ``extra_inputs``); it becomes current."""
        from onnx import helper

        output = self.name(hint or op.lower())
        self.nodes.append(helper.make_node(op, [self.tensor, *extra_inputs], [output],
                                           **attributes))
        self.tensor = output
        return output

    def layout(self, channels_first: bool) -> None:
        """Transpose a feature map to the layout asked for, if it is not in it already."""
        if self.rank == 4 and self.channels_first != channels_first:
            self.add("Transpose", perm=NHWC_TO_NCHW if channels_first else NCHW_TO_NHWC)
            self.channels_first = channels_first


def write_onnx_direct(model, path, opset: int) -> None:
    """Write ``model`` (a chain of supported layers) to ``path`` as ONNX with ``opset``."""
    import onnx
    from onnx import TensorProto, helper

    graph = _Graph()
    own_shape = tuple(model.inputs[0].shape[1:])
    if own_shape != INPUT_SHAPE[1:]:
        _reshape(graph, own_shape)
    for layer in model.layers:
        _layer(graph, layer)
    if graph.rank == 4:
        graph.layout(channels_first=False)
    if not ends_in_softmax(model):
        graph.add("Softmax", axis=-1)
    graph.nodes[-1].output[0] = OUTPUT_NAME
    classes = int(model.outputs[0].shape[-1])
    onnx_model = helper.make_model(
        helper.make_graph(
            graph.nodes, "digitpad",
            [helper.make_tensor_value_info(INPUT_NAME, TensorProto.FLOAT, ["n", 28, 28, 1])],
            [helper.make_tensor_value_info(OUTPUT_NAME, TensorProto.FLOAT, ["n", classes])],
            graph.weights),
        opset_imports=[helper.make_opsetid("", opset)], producer_name="digitpad")
    onnx.checker.check_model(onnx_model)
    onnx.save(onnx_model, str(path))


def _layer(graph: _Graph, layer) -> None:
    kind, config = type(layer).__name__, layer.get_config()
    weights = [np.asarray(w, np.float32) for w in layer.get_weights()]
    if kind == "InputLayer" or kind in IDENTITY_AT_INFERENCE:
        return
    if kind == "Conv2D":
        _conv2d(graph, config, weights)
    elif kind == "Dense":
        graph.layout(channels_first=False)  # Dense works on the last axis, channels last
        graph.add("MatMul", graph.constant("kernel", weights[0]))
        if config.get("use_bias", True):
            graph.add("Add", graph.constant("bias", weights[1]))
        _activation(graph, config.get("activation", "linear"))
    elif kind == "BatchNormalization":
        _batch_norm(graph, config, weights)
    elif kind == "Activation":
        _activation(graph, config["activation"])
    elif kind in ("ReLU", "LeakyReLU"):
        slope = config.get("negative_slope", 0.0 if kind == "ReLU" else 0.3)
        if kind == "ReLU" and (config.get("max_value") is not None or config.get("threshold")):
            raise ExportError(f"layer {layer.name!r}: ReLU with a threshold or a maximum "
                              f"cannot be written to ONNX")
        if slope:
            graph.add("LeakyRelu", alpha=float(slope))
        else:
            graph.add("Relu")
    elif kind == "Softmax":
        _activation(graph, "softmax")
    elif kind == "Flatten":
        graph.layout(channels_first=False)  # Keras flattens channels last
        graph.add("Flatten", axis=1)
        graph.rank = 2
    elif kind == "Reshape":
        _reshape(graph, tuple(config["target_shape"]))
    elif kind == "Rescaling":
        graph.add("Mul", graph.constant("scale", np.float32(config.get("scale", 1.0))))
        graph.add("Add", graph.constant("offset", np.float32(config.get("offset", 0.0))))
    elif kind in ("GlobalAveragePooling2D", "GlobalMaxPooling2D"):
        graph.layout(channels_first=True)
        graph.add("GlobalAveragePool" if kind == "GlobalAveragePooling2D" else "GlobalMaxPool")
        if not config.get("keepdims", False):
            graph.add("Flatten", axis=1)
            graph.rank = 2
    elif kind in ("MaxPooling2D", "AveragePooling2D"):
        _pool(graph, kind, config)
    else:
        raise ExportError(f"layer {layer.name!r} ({kind}) cannot be written to ONNX")


def _reshape(graph: _Graph, target: tuple) -> None:
    graph.layout(channels_first=False)  # Keras reshapes in channels-last order
    graph.add("Reshape", graph.constant("shape", np.array((0,) + target, np.int64)))
    graph.rank, graph.channels_first = len(target) + 1, False


def _conv2d(graph: _Graph, config: dict, weights: list[np.ndarray]) -> None:
    if config.get("groups", 1) != 1 or config.get("data_format") == "channels_first":
        raise ExportError("grouped or channels-first convolutions cannot be written to ONNX")
    graph.layout(channels_first=True)
    kernel = graph.constant("kernel", weights[0].transpose(3, 2, 0, 1))  # HWIO -> OIHW
    inputs = [kernel] + ([graph.constant("bias", weights[1])]
                         if config.get("use_bias", True) else [])
    same = config.get("padding", "valid") == "same"
    graph.add("Conv", *inputs, strides=list(config.get("strides", (1, 1))),
              dilations=list(config.get("dilation_rate", (1, 1))),
              kernel_shape=list(weights[0].shape[:2]),
              auto_pad="SAME_UPPER" if same else "VALID")  # Keras pads bottom-right extra
    _activation(graph, config.get("activation", "linear"))


def _pool(graph: _Graph, kind: str, config: dict) -> None:
    size = list(config.get("pool_size", (2, 2)))
    same = config.get("padding", "valid") == "same"
    if kind == "AveragePooling2D" and same:
        raise ExportError("average pooling with 'same' padding cannot be written to ONNX")
    graph.layout(channels_first=True)
    graph.add("MaxPool" if kind == "MaxPooling2D" else "AveragePool", kernel_shape=size,
              strides=list(config.get("strides") or size),
              auto_pad="SAME_UPPER" if same else "VALID")


def _batch_norm(graph: _Graph, config: dict, weights: list[np.ndarray]) -> None:
    if config.get("axis", -1) not in (-1, [-1], graph.rank - 1, [graph.rank - 1]):
        raise ExportError(f"batch normalisation over axis {config.get('axis')} cannot be "
                          f"written to ONNX")
    names = ((["gamma"] if config.get("scale", True) else [])
             + (["beta"] if config.get("center", True) else []) + ["mean", "variance"])
    values = dict(zip(names, weights))
    channels = len(values["mean"])
    scale = values.get("gamma", np.ones(channels, np.float32))
    shift = values.get("beta", np.zeros(channels, np.float32))
    if graph.rank == 4:
        graph.layout(channels_first=True)  # ONNX normalises axis 1
    elif graph.rank != 2:
        raise ExportError("batch normalisation of a 3-D tensor cannot be written to ONNX")
    graph.add("BatchNormalization", *(graph.constant(n, v) for n, v in (
        ("gamma", scale), ("beta", shift), ("mean", values["mean"]),
        ("variance", values["variance"]))), epsilon=float(config.get("epsilon", 1e-3)))


def _activation(graph: _Graph, activation) -> None:
    if isinstance(activation, dict):  # a serialised built-in activation
        activation = activation.get("config", activation.get("class_name"))
    if activation == "linear":
        return
    if activation in SIMPLE_ACTIVATIONS:
        graph.add(SIMPLE_ACTIVATIONS[activation])
    elif activation == "leaky_relu":
        graph.add("LeakyRelu", alpha=0.2)  # Keras's default slope for the named activation
    elif activation == "relu6":
        graph.add("Clip", graph.constant("low", np.float32(0)),
                  graph.constant("high", np.float32(6)))
    elif activation in ("silu", "swish"):
        x = graph.tensor
        gate = graph.add("Sigmoid")
        graph.tensor = x
        graph.add("Mul", gate)
    elif activation == "softmax":
        # Keras's softmax runs over the last axis, which is channels in NHWC.
        graph.add("Softmax", axis=1 if graph.channels_first and graph.rank == 4 else -1)
    else:
        raise ExportError(f"activation {activation!r} cannot be written to ONNX")
