"""Named model builders (the presets) and their default hyper-parameters.

Every model takes (28, 28) float32 images in [0, 1] and ends in a softmax over the ten
digits, so the drawing pad, evaluation and training treat them all alike. A model trained
with ``not_a_digit`` has an eleventh output last: the probability that the image is not a
digit at all.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from digitpad.core.config import TrainConfig

INPUT_SHAPE = (28, 28)
NUM_CLASSES = 10


@dataclass(frozen=True)
class Preset:
    """A named architecture: what it is, how to build it, and its tuned defaults."""

    name: str
    description: str
    build: Callable[[TrainConfig], "object"]
    defaults: dict
    convolutional: bool = False

    def config(self, **overrides) -> TrainConfig:
        """The preset's default configuration, with ``overrides`` applied (validated)."""
        return TrainConfig(arch=self.name, **{**self.defaults, **overrides}).validated()


def build_model(config: TrainConfig):
    """Build the (uncompiled) Keras model that ``config.arch`` names."""
    return PRESETS[config.arch].build(config)


def preset_config(arch: str, **overrides) -> TrainConfig:
    """Default configuration of preset ``arch``, with ``overrides`` applied."""
    if arch not in PRESETS:
        raise KeyError(f"unknown architecture {arch!r}; choose from {', '.join(PRESETS)}")
    return PRESETS[arch].config(**overrides)


def output_classes(config: TrainConfig) -> int:
    """10 digits, plus the "not a digit" class when the run trains one."""
    return NUM_CLASSES + (1 if config.not_a_digit > 0 else 0)


def _keras():
    # Imported here so that importing digitpad.core stays cheap (no TensorFlow start-up).
    import keras
    return keras


def _activation(config: TrainConfig):
    keras = _keras()
    if config.activation == "leaky_relu":
        return keras.layers.LeakyReLU(negative_slope=0.1)
    return keras.layers.Activation(config.activation)


def _regularizer(config: TrainConfig):
    return _keras().regularizers.L2(config.l2) if config.l2 > 0 else None


def _dense_stack(config: TrainConfig, widths: tuple[int, ...], name: str):
    """Flatten, then Dense layers of ``widths`` with the configured activation and dropout."""
    keras = _keras()
    layers = [keras.Input(shape=INPUT_SHAPE), keras.layers.Flatten()]
    for width in widths:
        layers += [keras.layers.Dense(width, kernel_regularizer=_regularizer(config)),
                   _activation(config)]
        if config.dropout > 0:
            layers.append(keras.layers.Dropout(config.dropout))
    layers.append(keras.layers.Dense(output_classes(config), activation="softmax",
                                     kernel_regularizer=_regularizer(config)))
    return keras.Sequential(layers, name=name)


def build_linear(config: TrainConfig):
    """Softmax regression: the baseline every other model must beat."""
    return _dense_stack(config, (), "linear")


def build_mlp(config: TrainConfig):
    """784-512-256-128-10 multilayer perceptron."""
    return _dense_stack(config, (512, 256, 128), "mlp")


def build_funnel(config: TrainConfig):
    """784-36-14-10: a narrow funnel, leaky ReLU with L2, trained by SGD with Nesterov."""
    return _dense_stack(config, (36, 14), "funnel")


def build_dnn(config: TrainConfig):
    """784-25-256-300-10: a bottleneck first, then wide layers."""
    return _dense_stack(config, (25, 256, 300), "dnn")


def _conv_bn(x, filters: int, kernel: int, strides: int, config: TrainConfig,
             bn_momentum: float = 0.99):
    """Convolution, batch normalisation, activation: the convolutional presets' unit."""
    keras = _keras()
    x = keras.layers.Conv2D(filters, kernel, strides=strides, padding="same", use_bias=False,
                            kernel_regularizer=_regularizer(config))(x)
    x = keras.layers.BatchNormalization(momentum=bn_momentum)(x)
    return _activation(config)(x)


def _conv_head(x, config: TrainConfig, name: str, inputs):
    keras = _keras()
    if config.dropout > 0:
        x = keras.layers.Dropout(config.dropout)(x)
    outputs = keras.layers.Dense(output_classes(config), activation="softmax",
                                 kernel_regularizer=_regularizer(config))(x)
    return keras.Model(inputs, outputs, name=name)


def build_quick(config: TrainConfig):
    """Three convolutions, two of them strided: over 99.1% in three epochs, in about 30 s of
    training on two CPU cores (measured 23-26 s, and 31 s on a slower machine).

    The unstrided convolution at 14x14 doubles the multiply-adds (~3.3 M per image) and
    lifts a three-epoch run from about 99.1% to 99.2-99.3%; without it, more epochs of the
    two-convolution model stayed near 99.1%.
    """
    keras = _keras()
    inputs = keras.Input(shape=INPUT_SHAPE)
    x = keras.layers.Reshape(INPUT_SHAPE + (1,))(inputs)
    # A short run has few steps: batch-norm statistics must follow the weights quickly.
    x = _conv_bn(x, 32, 5, 2, config, bn_momentum=0.9)   # 14x14
    x = _conv_bn(x, 32, 3, 1, config, bn_momentum=0.9)
    x = _conv_bn(x, 64, 3, 2, config, bn_momentum=0.9)   # 7x7
    x = keras.layers.Flatten()(x)
    if config.dropout > 0:
        x = keras.layers.Dropout(config.dropout)(x)
    x = _activation(config)(keras.layers.Dense(128, kernel_regularizer=_regularizer(config))(x))
    return _conv_head(x, config, "quick", inputs)


def build_strong(config: TrainConfig):
    """The shipped model: strided convolutions with batch norm, trained with augmentation.

    One convolution at full resolution, then resolution is halved by strided convolutions
    (28 -> 14 -> 7 -> 4) and the layers stay narrow (32 to 128 channels, ~220k weights,
    ~10.6 M multiply-adds per image): an epoch takes 35-48 s on two CPU cores and a
    drawing's prediction well under a millisecond. The widest layer works on the 4x4 map.
    Against a strided 5x5 first layer trained alike, the full-resolution one lifted MNIST
    test accuracy from 99.67% to 99.72% and validation from 99.20% to 99.30%; touch-drawn
    digits read 99.39% against 99.51% (one digit more of 820 missed).
    """
    keras = _keras()
    inputs = keras.Input(shape=INPUT_SHAPE)
    x = keras.layers.Reshape(INPUT_SHAPE + (1,))(inputs)
    x = _conv_bn(x, 32, 3, 1, config)   # 28x28: thin strokes seen before any downsampling
    x = _conv_bn(x, 32, 3, 2, config)   # 14x14
    x = _conv_bn(x, 48, 3, 1, config)
    x = _conv_bn(x, 64, 3, 2, config)   # 7x7
    x = _conv_bn(x, 96, 3, 1, config)
    x = _conv_bn(x, 128, 3, 2, config)   # 4x4
    x = keras.layers.GlobalAveragePooling2D()(x)
    return _conv_head(x, config, "strong", inputs)


PRESETS: dict[str, Preset] = {p.name: p for p in (
    Preset("linear", "Softmax regression (baseline)", build_linear,
           dict(epochs=10, optimizer="adam", learning_rate=1e-3, lr_schedule="constant",
                patience=3)),
    Preset("mlp", "784-512-256-128-10 multilayer perceptron", build_mlp,
           dict(epochs=15, optimizer="adam", learning_rate=1e-3, dropout=0.2, patience=4)),
    Preset("funnel", "784-36-14-10 leaky ReLU, L2, SGD+Nesterov", build_funnel,
           dict(epochs=20, optimizer="nesterov", learning_rate=0.05, activation="leaky_relu",
                l2=1e-4, batch_size=64, patience=4)),
    Preset("dnn", "784-25-256-300-10 ReLU", build_dnn,
           dict(epochs=15, optimizer="adam", learning_rate=1e-3, patience=4)),
    # Three epochs, no dropout: dropout slows a run this short more than it regularises it.
    # Batches of 256 make an epoch cheaper on a CPU than 128, at the same accuracy.
    Preset("quick", "Small CNN: over 99.1% in about 30 s", build_quick,
           dict(epochs=3, optimizer="adam", learning_rate=5e-3, batch_size=256,
                dropout=0.0), convolutional=True),
    Preset("strong", "Batch-norm CNN with augmentation (the shipped model)", build_strong,
           dict(epochs=24, optimizer="adam", learning_rate=3e-3, batch_size=128,
                dropout=0.25, augment=True, l2=0.0, validation_fraction=0.05,
                not_a_digit=0.1, drawn_digits=0.15), convolutional=True),
)}
