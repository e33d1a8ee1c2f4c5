"""The presets: each named architecture's description and tuned hyper-parameters.

Keras-free and importing nothing of digitpad, so that validating a configuration
(``core.config``) and listing the presets (the Train form, the CLI's help) never import
TensorFlow; the models themselves are built by ``core.architectures``, one builder per
name here.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Preset:
    """A named architecture: what it is and its tuned defaults (``TrainConfig`` fields).

    ``core.config.preset_config`` turns it into a validated configuration.
    """

    name: str
    description: str
    defaults: dict
    convolutional: bool = False


PRESETS: dict[str, Preset] = {p.name: p for p in (
    Preset("linear", "Softmax regression (baseline)",
           dict(epochs=10, optimizer="adam", learning_rate=1e-3, lr_schedule="constant",
                patience=3)),
    Preset("mlp", "784-512-256-128-10 multilayer perceptron",
           dict(epochs=15, optimizer="adam", learning_rate=1e-3, dropout=0.2, patience=4)),
    Preset("funnel", "784-36-14-10 leaky ReLU, L2, SGD+Nesterov",
           dict(epochs=20, optimizer="nesterov", learning_rate=0.05, activation="leaky_relu",
                l2=1e-4, batch_size=64, patience=4)),
    Preset("dnn", "784-25-256-300-10 ReLU",
           dict(epochs=15, optimizer="adam", learning_rate=1e-3, patience=4)),
    # Three epochs, no dropout: dropout slows a run this short more than it regularises it.
    # Batches of 256 make an epoch cheaper on a CPU than 128, at the same accuracy.
    Preset("quick", "Small CNN: over 99.1% in about 30 s",
           dict(epochs=3, optimizer="adam", learning_rate=5e-3, batch_size=256,
                dropout=0.0), convolutional=True),
    Preset("strong", "Batch-norm CNN with augmentation (the shipped model)",
           dict(epochs=24, optimizer="adam", learning_rate=3e-3, batch_size=128,
                dropout=0.25, augment=True, l2=0.0, validation_fraction=0.05,
                not_a_digit=0.1), convolutional=True),
)}
