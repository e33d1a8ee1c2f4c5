"""A digit model's layers as NumPy steps that run forwards and backwards.

The :class:`~digitpad.core.inference.Predictor` runs a model forwards only, as fast as it
can. Explaining an answer needs more: every layer's output (what each layer "sees") and the
gradient of a score with respect to the input pixels. :class:`Network` builds both from the
same layer configs and weights the predictor reads, with batch normalisation folded the same
way, so the two agree to rounding (checked by the tests). Nothing here needs TensorFlow.

The model's last softmax is left out: scores are taken on the logits, where gradients do not
vanish for confident answers (a softmax at 0.9999 has almost no slope).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from digitpad.core.numpy_layers import (ACTIVATIONS, _activation_name, _batch_norm_scale_shift,
                                        _pad_same, _windows, fold_layers)
from digitpad.core.registry import ModelError
from digitpad.core.weight_shapes import IDENTITY_AT_INFERENCE


@dataclass
class Step:
    """One operation: its Keras layer's name, what it is, and how it runs both ways.

    ``forward(x)`` returns the output and what ``backward`` needs; ``backward(grad, saved)``
    turns the gradient at the output into the gradient at the input.
    """

    name: str
    kind: str
    forward: object
    backward: object
    weights: dict = field(default_factory=dict)  # e.g. the convolution's kernel, for display


class Network:
    """A chain of :class:`Step` for a model's layers, its final softmax left out.

    Parameters
    ----------
    input_shape : tuple
        The model's input shape without the batch axis, e.g. ``(28, 28)``.
    layers : list of (dict, list of ndarray)
        Each layer's Keras config (``class_name`` and ``config``) and its weights.
    """

    def __init__(self, input_shape: tuple[int, ...], layers: list[tuple[dict, list]]):
        self.input_shape = tuple(input_shape)
        self.steps = _steps(layers)

    def trace(self, images: np.ndarray, upto: int | None = None):
        """Run (n, 28, 28) images forwards; every step's output and saved values.

        Returns the outputs (one per step, the last being the logits) and what each step's
        backward pass needs. ``upto`` stops after that many steps.
        """
        images = np.asarray(images)
        x = images.astype(np.result_type(images, np.float32)).reshape(
            (len(images),) + self.input_shape)
        outputs, saved = [], []
        for step in self.steps[:upto]:
            x, keep = step.forward(x)
            outputs.append(x)
            saved.append(keep)
        return outputs, saved

    def logits(self, images: np.ndarray) -> np.ndarray:
        """The model's scores before its softmax, (n, classes)."""
        return self.trace(images)[0][-1]

    def input_gradient(self, saved: list, grad_logits: np.ndarray) -> np.ndarray:
        """The gradient of ``sum(grad_logits * logits)`` with respect to the images.

        ``saved`` comes from :meth:`trace` on those images; returns (n, 28, 28).
        """
        grad = np.asarray(grad_logits, np.float32)
        for step, keep in zip(reversed(self.steps), reversed(saved)):
            grad = step.backward(grad, keep)
        return grad.reshape((len(grad),) + (28, 28))


def _steps(layers: list[tuple[dict, list]]) -> list[Step]:
    steps: list[Step] = []
    for kind, config, params in fold_layers(layers):
        if kind in ("Dense", "Conv2D"):
            steps += _linear_steps(config.get("name", kind), *params, config)
        else:
            steps += _other_steps(kind, config, params)
    # A model that ends in logits already gives its scores; the predictor adds the softmax.
    return steps[:-1] if steps and steps[-1].kind == "softmax" else steps


def _linear_steps(name: str, kernel: np.ndarray, bias: np.ndarray, config: dict) -> list[Step]:
    kernel, bias = np.ascontiguousarray(kernel), np.ascontiguousarray(bias)
    if kernel.ndim == 2:
        step = Step(name, "dense", lambda x: (x @ kernel + bias, None),
                    lambda g, _: g @ kernel.T, {"kernel": kernel})
    else:
        step = _conv_step(name, kernel, bias, config)
    return [step] + _activation_steps(name, config.get("activation", "linear"))


def _conv_step(name: str, kernel: np.ndarray, bias: np.ndarray, config: dict) -> Step:
    """Convolution as a product over patches; backwards, the patches' gradients are added
    back onto the (padded) input window by window."""
    if config.get("data_format", "channels_last") != "channels_last" \
            or tuple(config.get("dilation_rate", (1, 1))) != (1, 1) \
            or config.get("groups", 1) != 1:
        raise ModelError(f"layer {name!r}: only plain channels-last convolutions are supported")
    kh, kw, channels, filters = kernel.shape
    sh, sw = config.get("strides", (1, 1))
    same = config.get("padding", "valid") == "same"
    matrix = kernel.reshape(-1, filters)

    def forward(x):
        padded = _pad_same(x, kh, kw, sh, sw) if same else x
        patches = _windows(padded, kh, kw, sh, sw)
        n, out_h, out_w = patches.shape[:3]
        y = patches.reshape(n * out_h * out_w, -1) @ matrix + bias
        return y.reshape(n, out_h, out_w, filters), (x.shape, padded.shape)

    def backward(grad, shapes):
        x_shape, padded_shape = shapes
        n, out_h, out_w, _ = grad.shape
        patches = (grad.reshape(-1, filters) @ matrix.T).reshape(n, out_h, out_w, kh, kw,
                                                                  channels)
        padded = np.zeros(padded_shape, patches.dtype)
        for i in range(kh):
            for j in range(kw):
                padded[:, i:i + sh * out_h:sh, j:j + sw * out_w:sw] += patches[:, :, :, i, j]
        top = (padded_shape[1] - x_shape[1]) // 2
        left = (padded_shape[2] - x_shape[2]) // 2
        return padded[:, top:top + x_shape[1], left:left + x_shape[2]]

    return Step(name, "conv", forward, backward, {"kernel": kernel})


def _derivatives(name: str, slope: float = 0.0):
    """(function, derivative from input x and output y) of an elementwise activation."""
    def sigmoid_slope(x, y):
        return y * (1 - y)
    table = {
        "linear": lambda x, y: 1.0,
        "relu": lambda x, y: (x > 0).astype(np.float32),
        "relu6": lambda x, y: ((x > 0) & (x < 6)).astype(np.float32),
        "sigmoid": sigmoid_slope,
        "tanh": lambda x, y: 1 - y * y,
        "elu": lambda x, y: np.where(x > 0, 1, y + 1).astype(np.float32),
        "silu": lambda x, y: (s := ACTIVATIONS["sigmoid"](x)) * (1 + x * (1 - s)),
        "leaky_relu": lambda x, y: np.where(x > 0, 1, slope).astype(np.float32),
    }
    table["swish"] = table["silu"]
    return table[name]


def _activation_steps(layer_name: str, activation) -> list[Step]:
    name = _activation_name(activation)
    if name == "linear":
        return []
    if name == "softmax":
        return [Step(layer_name, "softmax", lambda x: (ACTIVATIONS["softmax"](x), None),
                     _softmax_backward)]
    if name not in ACTIVATIONS:
        raise ModelError(f"activation {name!r} is not supported")
    slope = 0.2 if name == "leaky_relu" else 0.0  # Keras's default for the named activation
    return [_elementwise(layer_name, name, slope)]


def _elementwise(layer_name: str, name: str, slope: float = 0.0) -> Step:
    function = (lambda x: np.where(x > 0, x, x * np.float32(slope))) \
        if name == "leaky_relu" else ACTIVATIONS[name]
    derivative = _derivatives(name, slope)

    def forward(x):
        y = function(x)
        return y, (x, y)
    return Step(layer_name, "activation", forward,
                lambda g, saved: g * derivative(*saved))


def _softmax_backward(grad, _saved):
    raise ModelError("a softmax inside the model is not supported for explanations")


def _affine(name: str, scale, shift) -> Step:
    return Step(name, "affine", lambda x: (x * scale + shift, None), lambda g, _: g * scale)


def _other_steps(kind: str, config: dict, params: list[np.ndarray]) -> list[Step]:
    name = config.get("name", kind)
    if kind in IDENTITY_AT_INFERENCE:
        return []
    if kind == "Activation":
        return _activation_steps(name, config["activation"])
    if kind in ("ReLU", "LeakyReLU"):
        if config.get("threshold", 0) or config.get("max_value") is not None:
            raise ModelError("ReLU with a threshold or a maximum is not supported")
        slope = config.get("negative_slope", config.get("alpha", 0.3 if kind == "LeakyReLU"
                                                          else 0.0))
        return [_elementwise(name, "leaky_relu", slope) if slope else _elementwise(name, "relu")]
    if kind == "Softmax":
        return _activation_steps(name, "softmax")
    if kind in ("Flatten", "Reshape"):
        target = (-1,) if kind == "Flatten" else tuple(config["target_shape"])
        return [Step(name, "reshape", lambda x: (x.reshape((len(x),) + target), x.shape),
                     lambda g, shape: g.reshape(shape))]
    if kind == "Rescaling":
        return [_affine(name, np.float32(config.get("scale", 1.0)),
                        np.float32(config.get("offset", 0.0)))]
    if kind == "BatchNormalization":
        return [_affine(name, *_batch_norm_scale_shift(config, params))]
    if kind == "GlobalAveragePooling2D":
        keep = bool(config.get("keepdims", False))
        return [Step(name, "pool", lambda x: (x.mean(axis=(1, 2), keepdims=keep), x.shape),
                     lambda g, shape: np.broadcast_to(
                         g.reshape(shape[0], 1, 1, shape[3]) / (shape[1] * shape[2]), shape))]
    if kind in ("GlobalMaxPooling2D", "MaxPooling2D", "AveragePooling2D"):
        return [_pool_step(name, kind, config)]
    raise ModelError(f"layer {name!r} of type {kind} is not supported for explanations")


def _pool_step(name: str, kind: str, config: dict) -> Step:
    """Max and average pooling; a max passes its gradient to the window's largest value."""
    if kind == "GlobalMaxPooling2D":
        def forward(x):
            y = x.max(axis=(1, 2), keepdims=True)
            out = y if config.get("keepdims") else y[:, 0, 0]
            return out, (x, y)

        def backward(g, saved):
            x, y = saved
            mask = (x == y)
            return mask * (g.reshape(y.shape) / mask.sum(axis=(1, 2), keepdims=True))
        return Step(name, "pool", forward, backward)
    kh, kw = config.get("pool_size", (2, 2))
    sh, sw = config.get("strides") or (kh, kw)
    if config.get("padding", "valid") != "valid":
        raise ModelError(f"layer {name!r}: pooling with padding is not supported for "
                         f"explanations")
    is_max = kind == "MaxPooling2D"

    def pool_forward(x):
        windows = _windows(x, kh, kw, sh, sw)
        y = windows.max(axis=(3, 4)) if is_max else windows.mean(axis=(3, 4))
        return y, (x, y)

    def pool_backward(g, saved):
        x, y = saved
        grad = np.zeros_like(x)
        out_h, out_w = y.shape[1:3]
        for i in range(kh):
            for j in range(kw):
                window = x[:, i:i + sh * out_h:sh, j:j + sw * out_w:sw]
                share = (window == y) if is_max else np.float32(1 / (kh * kw))
                grad[:, i:i + sh * out_h:sh, j:j + sw * out_w:sw] += g * share
        return grad

    return Step(name, "pool", pool_forward, pool_backward)
