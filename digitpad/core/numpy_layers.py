"""Digit models' layers as NumPy operations: the forward pass behind ``core.inference``.

:func:`chain` reads a model's config into (layer, weights) pairs, refusing anything but a
chain of layers on a 28x28 input; :func:`compile_layers` turns those into NumPy
operations, folding batch normalisation into a linear layer before it (after an activation
it stays a step of its own); :func:`ends_in_softmax` says whether the outputs are already
probabilities. Supported: the layers digitpad's presets use and the common Keras ones
around them. Any other layer is refused with a :class:`~digitpad.core.errors.ModelError`
that names it.
"""

from __future__ import annotations

from typing import Callable

import numpy as np
from numpy.lib.stride_tricks import as_strided

from digitpad.core.errors import ModelError
from digitpad.core.weight_shapes import IDENTITY_AT_INFERENCE, unsupported_layer

IMAGE_SHAPE = (28, 28)

Op = Callable[[np.ndarray], np.ndarray]


def chain(config: dict, weights: list[list[np.ndarray]]):
    """The model's input shape and its (layer, weights) pairs in order; only chains pass."""
    layers = list(zip(config["layers"], weights, strict=True))
    if layers and layers[0][0]["class_name"] == "InputLayer":
        layer_config = layers.pop(0)[0]["config"]
        batch_shape = layer_config.get("batch_shape") or layer_config.get("batch_input_shape")
    else:
        batch_shape = config.get("build_input_shape")
    if not batch_shape or None in batch_shape[1:]:
        raise ModelError("the model has no fixed input shape")
    input_shape = tuple(int(size) for size in batch_shape[1:])
    if int(np.prod(input_shape)) != IMAGE_SHAPE[0] * IMAGE_SHAPE[1]:
        raise ModelError(f"not a digit model: it expects input {input_shape}, "
                         f"digitpad gives 28x28 images")
    previous = None
    for layer, _ in layers:
        nodes = layer.get("inbound_nodes")
        if nodes is not None:  # functional model: each layer must take the one before it
            args = nodes[0]["args"] if len(nodes) == 1 else []
            source = (args[0].get("config", {}).get("keras_history", [None])[0]
                      if len(args) == 1 and isinstance(args[0], dict) else None)
            if previous is not None and source != previous:
                raise ModelError(f"layer {layer['config']['name']!r} does not simply follow "
                                 f"the one before it; digitpad runs chains of layers only")
        previous = layer["config"]["name"]
    return input_shape, layers


def compile_layers(layers: list[tuple[dict, list[np.ndarray]]]) -> list[Op]:
    """NumPy operations for ``layers``, with batch normalisation folded into its producer."""
    ops: list[Op] = []
    for kind, config, params in fold_layers(layers):
        if kind in ("Dense", "Conv2D"):
            ops += _linear_ops(kind, *params, config)
        else:
            ops += _other_ops(kind, config, params)
    return ops


def fold_layers(layers: list[tuple[dict, list]]):
    """``(kind, config, params)`` per layer to run, float32, with each batch normalisation
    that follows a linear Dense/Conv2D folded into it: such a layer's params are
    ``(kernel, bias)``, its bias zeros where it has none. The forward pass (here) and the
    backward pass (``core.backprop``) walk the same layers."""
    pending = None  # (kind, kernel, bias, config) of a Dense/Conv2D that a BN may still scale
    for layer, weights in layers:
        kind, config = layer["class_name"], layer["config"]
        params = [np.asarray(w, np.float32) for w in weights]
        if kind == "BatchNormalization" and pending is not None and _is_linear(pending[3]):
            pending = _fold_batch_norm(pending, config, params)
            continue
        if pending is not None:
            yield pending[0], pending[3], (pending[1], pending[2])
            pending = None
        if kind in ("Dense", "Conv2D"):
            kernel = params[0]
            bias = params[1] if config.get("use_bias", True) else np.zeros(kernel.shape[-1],
                                                                           np.float32)
            pending = (kind, kernel, bias, config)
        else:
            yield kind, config, params
    if pending is not None:
        yield pending[0], pending[3], (pending[1], pending[2])


def _batch_norm_scale_shift(config: dict, params: list[np.ndarray]):
    if config.get("axis", -1) not in (-1, [-1]):
        raise ModelError(f"batch normalisation over axis {config.get('axis')} is not supported")
    names = (["gamma"] if config.get("scale", True) else []) + \
            (["beta"] if config.get("center", True) else []) + ["mean", "variance"]
    values = dict(zip(names, params))
    scale = 1.0 / np.sqrt(values["variance"] + config.get("epsilon", 1e-3))
    scale = scale * values.get("gamma", 1.0)
    shift = values.get("beta", 0.0) - values["mean"] * scale
    return scale.astype(np.float32), np.asarray(shift, np.float32)


def _is_linear(layer_config: dict) -> bool:
    """Whether a Dense/Conv2D layer applies no activation of its own."""
    return _own_activation(layer_config) == "linear"


def _fold_batch_norm(pending, config, params):
    """A linear Dense/Conv2D followed by BN is one affine map: scale the kernel, shift the
    bias. (After a layer's own activation, BN stays a step of its own.)"""
    kind, kernel, bias, layer_config = pending
    scale, shift = _batch_norm_scale_shift(config, params)
    return kind, kernel * scale, bias * scale + shift, layer_config


def _linear_ops(kind: str, kernel: np.ndarray, bias: np.ndarray, config: dict) -> list[Op]:
    kernel, bias = np.ascontiguousarray(kernel), np.ascontiguousarray(bias)
    if kind == "Dense":
        def dense(x):  # on the last axis, as Keras does
            return x @ kernel + bias
        op = dense
    else:
        op = _conv2d(kernel, bias, config)
    return [op] + _activation_ops(config.get("activation", "linear"))


def _conv2d(kernel: np.ndarray, bias: np.ndarray, config: dict) -> Op:
    """Convolution as one matrix product over patches (im2col), channels last."""
    if config.get("data_format", "channels_last") != "channels_last":
        raise ModelError("channels-first convolutions are not supported")
    if tuple(config.get("dilation_rate", (1, 1))) != (1, 1) or config.get("groups", 1) != 1:
        raise ModelError("dilated or grouped convolutions are not supported")
    kh, kw, channels, filters = kernel.shape
    sh, sw = config.get("strides", (1, 1))
    same = config.get("padding", "valid") == "same"
    matrix = kernel.reshape(kh * kw * channels, filters)

    def conv(x):
        if same:
            x = _pad_same(x, kh, kw, sh, sw)
        patches = _windows(x, kh, kw, sh, sw)  # (n, out_h, out_w, kh, kw, c), a view
        n, out_h, out_w = patches.shape[:3]
        y = patches.reshape(n * out_h * out_w, -1) @ matrix
        y += bias
        return y.reshape(n, out_h, out_w, filters)
    return conv


def _pad_same(x: np.ndarray, kh: int, kw: int, sh: int, sw: int, value: float = 0.0):
    """Pad like Keras's "same": the output is ceil(size / stride), extra on bottom/right."""
    _, h, w, _ = x.shape
    pad_h = max((-(-h // sh) - 1) * sh + kh - h, 0)
    pad_w = max((-(-w // sw) - 1) * sw + kw - w, 0)
    if not pad_h and not pad_w:
        return x
    # Filling a new array costs a fraction of np.pad, which dominates a single drawing's time.
    n, _, _, c = x.shape
    top, left = pad_h // 2, pad_w // 2
    padded = np.full((n, h + pad_h, w + pad_w, c), value, dtype=x.dtype)
    padded[:, top:top + h, left:left + w] = x
    return padded


def _windows(x: np.ndarray, kh: int, kw: int, sh: int, sw: int) -> np.ndarray:
    """Read-only view of every (kh, kw) window at strides (sh, sw)."""
    n, h, w, c = x.shape
    out_h, out_w = (h - kh) // sh + 1, (w - kw) // sw + 1
    if out_h < 1 or out_w < 1:
        raise ValueError(f"a {kh}x{kw} window does not fit a {h}x{w} map")
    s0, s1, s2, s3 = x.strides
    return as_strided(x, (n, out_h, out_w, kh, kw, c), (s0, s1 * sh, s2 * sw, s1, s2, s3),
                      writeable=False)


def _pool(config: dict, reduce) -> Op:
    kh, kw = config.get("pool_size", (2, 2))
    strides = config.get("strides") or (kh, kw)
    sh, sw = strides
    same = config.get("padding", "valid") == "same"

    def pool(x):
        if same:
            x = _pad_same(x, kh, kw, sh, sw, value=-np.inf)
        return reduce(_windows(x, kh, kw, sh, sw), axis=(3, 4))
    return pool


def softmax(x: np.ndarray) -> np.ndarray:
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def _leaky_relu(slope: float) -> Op:
    return lambda x: np.where(x > 0, x, x * np.float32(slope))


ACTIVATIONS: dict[str, Op] = {
    "linear": lambda x: x,
    "relu": lambda x: np.maximum(x, 0),
    "relu6": lambda x: np.clip(x, 0, 6),
    "sigmoid": lambda x: 0.5 + 0.5 * np.tanh(0.5 * x),  # = 1 / (1 + e^-x), never overflows
    "tanh": np.tanh,
    "softmax": softmax,
    "leaky_relu": _leaky_relu(0.2),  # Keras's default slope for the named activation
    "elu": lambda x: np.where(x > 0, x, np.expm1(np.minimum(x, 0))),
    "silu": lambda x: x * (0.5 + 0.5 * np.tanh(0.5 * x)),
    "swish": lambda x: x * (0.5 + 0.5 * np.tanh(0.5 * x)),
}


def _activation_name(name) -> str:
    if isinstance(name, dict):  # serialised form of a built-in activation
        name = name.get("config", name.get("class_name"))
    return name


def _own_activation(layer_config: dict) -> str:
    """The activation a Dense, Conv2D or Activation layer applies itself."""
    return _activation_name(layer_config.get("activation", "linear"))


def _activation_ops(name) -> list[Op]:
    name = _activation_name(name)
    if name not in ACTIVATIONS:
        raise ModelError(f"activation {name!r} is not supported")
    return [] if name == "linear" else [ACTIVATIONS[name]]


def _other_ops(kind: str, config: dict, params: list[np.ndarray]) -> list[Op]:
    """Every supported layer that is not Dense, Conv2D or a folded batch normalisation."""
    if kind in IDENTITY_AT_INFERENCE:
        return []
    if kind == "Activation":
        return _activation_ops(config["activation"])
    if kind == "ReLU":
        if config.get("threshold", 0) or config.get("max_value") is not None:
            raise ModelError("ReLU with a threshold or a maximum is not supported")
        slope = config.get("negative_slope", 0.0)
        return [_leaky_relu(slope) if slope else ACTIVATIONS["relu"]]
    if kind == "LeakyReLU":
        return [_leaky_relu(config.get("negative_slope", config.get("alpha", 0.3)))]
    if kind == "Softmax":
        return [softmax]
    if kind == "Flatten":
        return [lambda x: x.reshape(len(x), -1)]
    if kind == "Reshape":
        target = tuple(config["target_shape"])
        return [lambda x: x.reshape((len(x),) + target)]
    if kind == "Rescaling":
        scale, offset = np.float32(config.get("scale", 1.0)), np.float32(config.get("offset", 0.0))
        return [lambda x: x * scale + offset]
    if kind == "BatchNormalization":  # not after Dense/Conv2D: its own affine step
        scale, shift = _batch_norm_scale_shift(config, params)
        return [lambda x: x * scale + shift]
    if kind in ("GlobalAveragePooling2D", "GlobalMaxPooling2D"):
        reduce = np.mean if kind == "GlobalAveragePooling2D" else np.max
        keepdims = bool(config.get("keepdims", False))
        return [lambda x: reduce(x, axis=(1, 2), keepdims=keepdims)]
    if kind == "MaxPooling2D":
        return [_pool(config, np.max)]
    if kind == "AveragePooling2D" and config.get("padding", "valid") == "valid":
        return [_pool(config, np.mean)]
    raise unsupported_layer(kind, config)


def ends_in_softmax(layers: list[tuple[dict, list[np.ndarray]]]) -> bool:
    """Whether the model's last step is a softmax; other models' outputs are scores
    (logits), which the predictor turns into probabilities itself."""
    for layer, _ in reversed(layers):
        kind, config = layer["class_name"], layer["config"]
        if kind in IDENTITY_AT_INFERENCE or kind in ("Flatten", "Reshape"):
            continue
        if kind == "Softmax":
            return True
        if kind in ("Activation", "Dense", "Conv2D"):
            return _own_activation(config) == "softmax"
        return False
    return False
