"""The variables a digit model's config implies, layer by layer, before any weight is read.

A ``.keras`` file's weights file declares each variable's shape, and reading a variable
allocates what it declares: 30 kB of HDF5 can declare a 100000 x 100000 matrix (37 GB).
:func:`expected_weight_shapes` follows the input's shape through the model's layers, so
that each declared shape can be compared with the one the layer needs before reading it,
and bounds the parameters and the values one image makes each layer compute.
"""

from __future__ import annotations

import math

from digitpad.core.errors import ModelError
from digitpad.core.model_file import MAX_ENTRY_BYTES

# A model whose weights fit the archive's weights entry (float32); beyond, no digit model.
MAX_PARAMETERS = MAX_ENTRY_BYTES["model.weights.h5"] // 4
# Values one image makes a layer hold (its output, or a convolution's patch matrix):
# 16 MB in float32, 70 times the shipped model's largest.
MAX_VALUES_PER_IMAGE = 1 << 22

IDENTITY_AT_INFERENCE = {"Dropout", "SpatialDropout1D", "SpatialDropout2D", "GaussianNoise",
                         "GaussianDropout", "AlphaDropout", "ActivityRegularization"}
_ELEMENTWISE = IDENTITY_AT_INFERENCE | {"Activation", "ReLU", "LeakyReLU", "Softmax",
                                        "Rescaling"}

Shape = tuple[int, ...]


def unsupported_layer(kind: str, config: dict) -> ModelError:
    """The error for a layer digitpad's predictor cannot run."""
    return ModelError(f"layer {config.get('name')!r} of type {kind} is not supported by "
                      f"digitpad's predictor")


def expected_weight_shapes(input_shape: Shape, layers: list[dict]) -> list[list[Shape]]:
    """The shapes of each layer's variables, in Keras's order, for images of ``input_shape``.

    ``layers`` are the layer configs after the input layer, a chain.

    Raises
    ------
    ModelError
        A layer is not supported, does not fit the shape it receives, or the model would
        exceed ``MAX_PARAMETERS`` or ``MAX_VALUES_PER_IMAGE``.
    """
    shape, shapes, parameters = tuple(input_shape), [], 0
    for layer in layers:
        kind, config = layer["class_name"], layer["config"]
        variables, shape, values = _layer(kind, config, shape)
        parameters += sum(math.prod(v) for v in variables)
        if parameters > MAX_PARAMETERS:
            raise ModelError(f"not a digit model: more than {MAX_PARAMETERS:,} parameters "
                             f"by layer {config.get('name')!r}")
        if max(values, math.prod(shape)) > MAX_VALUES_PER_IMAGE:
            raise ModelError(f"not a digit model: layer {config.get('name')!r} would compute "
                             f"more than {MAX_VALUES_PER_IMAGE:,} values per image")
        shapes.append(variables)
    return shapes


def _layer(kind: str, config: dict, shape: Shape) -> tuple[list[Shape], Shape, int]:
    """(variable shapes, output shape, values computed per image) of one layer."""
    if kind == "Dense":
        units = _positive(config["units"])
        return _with_bias([(shape[-1], units)], units, config), shape[:-1] + (units,), 0
    if kind == "Conv2D":
        height, width, channels = _image_shape(shape, config)
        kh, kw = _pair(config["kernel_size"])
        filters = _positive(config["filters"])
        out_h, out_w = _output_side(height, width, (kh, kw), config)
        patches = out_h * out_w * kh * kw * channels
        return (_with_bias([(kh, kw, channels, filters)], filters, config),
                (out_h, out_w, filters), patches)
    if kind == "BatchNormalization":
        count = sum(map(bool, (config.get("scale", True), config.get("center", True)))) + 2
        return [(shape[-1],)] * count, shape, 0
    if kind in ("MaxPooling2D", "AveragePooling2D"):
        height, width, channels = _image_shape(shape, config)
        pool = _pair(config.get("pool_size", (2, 2)))
        out_h, out_w = _output_side(height, width, pool,
                                    {**config, "strides": config.get("strides") or pool})
        return [], (out_h, out_w, channels), 0
    if kind in ("GlobalAveragePooling2D", "GlobalMaxPooling2D"):
        channels = _image_shape(shape, config)[2]
        return [], (1, 1, channels) if config.get("keepdims") else (channels,), 0
    if kind == "Flatten":
        return [], (math.prod(shape),), 0
    if kind == "Reshape":
        target = tuple(int(size) for size in config["target_shape"])
        if -1 in target:
            known = math.prod(size for size in target if size != -1)
            target = tuple(math.prod(shape) // known if size == -1 else size for size in target)
        if math.prod(target) != math.prod(shape):
            raise ModelError(f"layer {config.get('name')!r} cannot reshape {shape} to {target}")
        return [], target, 0
    if kind in _ELEMENTWISE:
        return [], shape, 0
    raise unsupported_layer(kind, config)


def _with_bias(kernel: list[Shape], size: int, config: dict) -> list[Shape]:
    return kernel + ([(size,)] if config.get("use_bias", True) else [])


def _positive(value) -> int:
    if not isinstance(value, int) or value < 1:
        raise ModelError(f"a layer size of {value!r} is not a positive whole number")
    return value


def _pair(value) -> tuple[int, int]:
    pair = (value, value) if isinstance(value, int) else tuple(value)
    if len(pair) != 2:
        raise ModelError(f"expected two sizes, got {value!r}")
    return _positive(pair[0]), _positive(pair[1])


def _image_shape(shape: Shape, config: dict) -> Shape:
    if len(shape) != 3:
        raise ModelError(f"layer {config.get('name')!r} needs images (height, width, "
                         f"channels), it receives {shape}")
    return shape


def _output_side(height: int, width: int, window: tuple[int, int], config: dict):
    """Output height and width of a window sliding over the image, as Keras computes them."""
    strides = _pair(config.get("strides", (1, 1)))
    if config.get("padding", "valid") == "same":
        return tuple(-(-size // stride) for size, stride in zip((height, width), strides))
    sides = tuple((size - k) // stride + 1
                  for size, k, stride in zip((height, width), window, strides))
    if min(sides) < 1:
        raise ModelError(f"layer {config.get('name')!r}: a {window[0]}x{window[1]} window "
                         f"does not fit a {height}x{width} map")
    return sides
