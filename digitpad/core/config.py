"""Training configuration: every hyper-parameter a plain, validated field."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

from digitpad.core.errors import ConfigError
from digitpad.core.presets import PRESETS

OPTIMIZERS = ("sgd", "nesterov", "adam", "rmsprop")
ACTIVATIONS = ("relu", "leaky_relu", "sigmoid", "tanh")
LR_SCHEDULES = ("constant", "cosine")


@dataclass(frozen=True)
class TrainConfig:
    """Everything that defines a training run. Presets (``core.presets``) fill defaults."""

    arch: str = "quick"
    epochs: int = 3
    batch_size: int = 128
    optimizer: str = "adam"
    learning_rate: float = 1e-3
    lr_schedule: str = "cosine"
    activation: str = "relu"
    l2: float = 0.0
    dropout: float = 0.0
    augment: bool = False              # random distortions and handwriting styles
    not_a_digit: float = 0.0           # share of each batch that is synthetic non-digits;
                                       # above 0 the model gets an 11th class, "not a digit"
    drawn_digits: float = 0.0          # share of each batch's digits drawn as strokes in
                                       # the world's handwriting styles (core.digit_strokes)
    patience: int = 0                  # epochs without improvement before stopping; 0 = never
    validation_fraction: float = 0.1   # held out of the 60k training images
    train_size: int = 0                # training images used; 0 = all that are not held out
    seed: int = 0
    notes: str = field(default="", compare=False)

    def replace(self, **changes) -> "TrainConfig":
        """A copy with some fields changed (validated)."""
        return dataclasses.replace(self, **changes).validated()

    def validated(self) -> "TrainConfig":
        """Return self, or raise :class:`ConfigError` naming the first bad field."""
        checks = [
            ("arch", self.arch in PRESETS, f"unknown architecture {self.arch!r}; "
                                           f"choose from {', '.join(PRESETS)}"),
            ("epochs", 1 <= self.epochs <= 1000, "must be between 1 and 1000"),
            ("batch_size", 1 <= self.batch_size <= 8192, "must be between 1 and 8192"),
            ("optimizer", self.optimizer in OPTIMIZERS, f"choose from {', '.join(OPTIMIZERS)}"),
            ("learning_rate", 0 < self.learning_rate <= 10, "must be > 0 and <= 10"),
            ("lr_schedule", self.lr_schedule in LR_SCHEDULES,
             f"choose from {', '.join(LR_SCHEDULES)}"),
            ("activation", self.activation in ACTIVATIONS,
             f"choose from {', '.join(ACTIVATIONS)}"),
            ("l2", 0 <= self.l2 <= 1, "must be between 0 and 1"),
            ("dropout", 0 <= self.dropout < 1, "must be >= 0 and < 1"),
            ("not_a_digit", 0 <= self.not_a_digit < 0.5, "must be >= 0 and < 0.5"),
            ("drawn_digits", 0 <= self.drawn_digits <= 0.5, "must be between 0 and 0.5"),
            ("patience", 0 <= self.patience <= 1000, "must be between 0 and 1000"),
            ("validation_fraction", 0 < self.validation_fraction < 0.5,
             "must be > 0 and < 0.5"),
            ("train_size", self.train_size >= 0, "must be >= 0 (0 = all)"),
            ("seed", 0 <= self.seed < 2**31, "must be between 0 and 2^31-1"),
        ]
        for name, ok, message in checks:
            if not ok:
                raise ConfigError(name, message)
        return self

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, values: dict) -> "TrainConfig":
        known = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in values.items() if k in known}).validated()


def preset_config(arch: str, **overrides) -> TrainConfig:
    """Default configuration of preset ``arch``, with ``overrides`` applied (validated)."""
    if arch not in PRESETS:
        raise KeyError(f"unknown architecture {arch!r}; choose from {', '.join(PRESETS)}")
    return TrainConfig(arch=arch, **{**PRESETS[arch].defaults, **overrides}).validated()
