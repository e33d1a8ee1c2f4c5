"""The training setup form: a preset and its hyper-parameters, validated next to each field."""

from __future__ import annotations

import dataclasses

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (QCheckBox, QComboBox, QFormLayout, QGroupBox, QLabel, QLineEdit,
                               QVBoxLayout, QWidget)

from digitpad.core.config import ACTIVATIONS, LR_SCHEDULES, OPTIMIZERS, TrainConfig, preset_config
from digitpad.core.errors import ConfigError
from digitpad.core.presets import PRESETS
from digitpad.gui.widgets.wheel_guard import WheelGuard

OPTIMIZER_NAMES = {"sgd": "SGD", "nesterov": "SGD + Nesterov", "adam": "Adam", "rmsprop": "RMSprop"}
ACTIVATION_NAMES = {"relu": "ReLU", "leaky_relu": "Leaky ReLU", "sigmoid": "Sigmoid", "tanh": "tanh"}
SCHEDULE_NAMES = {"constant": "Constant", "cosine": "Cosine"}
# Form fields typed as text, with how to parse them.
TEXT_FIELDS = {"epochs": int, "batch_size": int, "learning_rate": float, "l2": float,
               "dropout": float, "not_a_digit": float, "patience": int,
               "validation_fraction": float, "train_size": int, "seed": int}
# In the order shown, with their labels.
FIELD_LABELS = {"epochs": "Epochs", "batch_size": "Batch size", "optimizer": "Optimizer",
                "learning_rate": "Learning rate", "lr_schedule": "LR schedule",
                "activation": "Activation", "l2": "L2 penalty", "dropout": "Dropout",
                "not_a_digit": "Not-a-digit share",
                "patience": "Early-stop patience", "augment": "Augmentation",
                "validation_fraction": "Validation share", "train_size": "Training images",
                "seed": "Seed"}
FIELD_TIPS = {"patience": "Epochs without a better validation accuracy before training stops "
                          "(0 = never stop early)",
              "train_size": "Training images used, after the validation share is held out "
                            "(0 = all of them)",
              "validation_fraction": "Share of the 60,000 training images held out to choose "
                                     "the best epoch",
              "augment": "Random shifts, rotations, zooms and handwriting styles",
              "not_a_digit": "Share of each batch that is synthetic letters, symbols and "
                             "scribbles: above 0 the model learns to answer \"not a digit\"; "
                             "at 0 it reads any drawing as some digit"}
# The share the form proposes for the convolutional presets that have none of their own: a
# model that cannot say "not a digit" reads a "?" as a confident 7.
FORM_NOT_A_DIGIT = 0.1


class TrainingForm(QGroupBox):
    """A preset (architecture) and every hyper-parameter of :class:`TrainConfig`.

    Choosing a preset fills in its defaults. :meth:`config` reads the form back, showing
    what is wrong next to the field when a value is refused. Settings the form does not
    show (e.g. a preset's ``drawn_digits`` share) come from the preset.
    """

    def __init__(self, parent: QWidget | None = None):
        super().__init__("Setup", parent)
        self.fields: dict[str, QWidget] = {}
        self.errors: dict[str, QLabel] = {}
        self._base = form_defaults("quick")  # supplies what the form does not show
        form = QFormLayout(self)
        # Each label above its field: the form stays narrow beside the curves, and every
        # field gets the form's whole width for its value.
        form.setRowWrapPolicy(QFormLayout.WrapAllRows)
        self.arch_box = QComboBox()
        for preset in PRESETS.values():
            self.arch_box.addItem(preset.name, preset.name)
            self.arch_box.setItemData(self.arch_box.count() - 1, preset.description,
                                      Qt.ToolTipRole)
        self.arch_description = QLabel()
        self.arch_description.setWordWrap(True)
        self.arch_description.setStyleSheet("color: #555;")
        self.errors["arch"] = QLabel()
        self.errors["arch"].setTextFormat(Qt.PlainText)  # may quote what was typed
        self.errors["arch"].setStyleSheet("color: #c0392b;")
        self.errors["arch"].setWordWrap(True)
        arch_row = QVBoxLayout()
        arch_row.setSpacing(2)
        arch_row.addWidget(self.arch_box)
        arch_row.addWidget(self.arch_description)
        arch_row.addWidget(self.errors["arch"])
        form.addRow("Architecture", arch_row)
        self.fields["optimizer"] = _choice(OPTIMIZERS, OPTIMIZER_NAMES)
        self.fields["activation"] = _choice(ACTIVATIONS, ACTIVATION_NAMES)
        self.fields["lr_schedule"] = _choice(LR_SCHEDULES, SCHEDULE_NAMES)
        self.fields["augment"] = self.augment_box = QCheckBox("Random distortions")
        for name in TEXT_FIELDS:
            self.fields[name] = QLineEdit()
        for name, label in FIELD_LABELS.items():
            error = QLabel("")
            error.setTextFormat(Qt.PlainText)  # quotes what was typed
            error.setStyleSheet("color: #c0392b;")
            error.setWordWrap(True)
            error.setVisible(False)
            self.errors[name] = error
            if name in FIELD_TIPS:
                self.fields[name].setToolTip(FIELD_TIPS[name])
            row = QVBoxLayout()
            row.setSpacing(0)
            row.addWidget(self.fields[name])
            row.addWidget(error)
            form.addRow(label, row)
        # The form scrolls: a wheel turned over it must scroll it, not change a setting.
        self._wheel_guard = WheelGuard(self)
        for field in (self.arch_box, *self.fields.values()):
            self._wheel_guard.guard(field)
        self.arch_box.currentIndexChanged.connect(
            lambda: self.set_config(form_defaults(self.arch_box.currentData())))
        self.set_config(self._base)

    def select_preset(self, arch: str) -> None:
        """Fill the form with preset ``arch``'s defaults."""
        self.set_config(form_defaults(arch))

    def set_config(self, config: TrainConfig) -> None:
        """Show ``config`` in the form (e.g. a preset's defaults)."""
        self._base = config
        self.arch_box.blockSignals(True)
        self.arch_box.setCurrentIndex(list(PRESETS).index(config.arch))
        self.arch_box.blockSignals(False)
        self.arch_description.setText(PRESETS[config.arch].description)
        for name in TEXT_FIELDS:
            self.fields[name].setText(f"{getattr(config, name):g}")
        for name in ("optimizer", "activation", "lr_schedule"):
            box = self.fields[name]
            box.setCurrentIndex(box.findData(getattr(config, name)))
        self.augment_box.setChecked(config.augment)
        self._clear_errors()

    def config(self, **overrides) -> TrainConfig | None:
        """The configuration in the form with ``overrides`` applied, or None after showing
        what is wrong next to the field."""
        self._clear_errors()
        values = {"arch": self.arch_box.currentData(), "augment": self.augment_box.isChecked()}
        for name in ("optimizer", "activation", "lr_schedule"):
            values[name] = self.fields[name].currentData()
        for name, parse in TEXT_FIELDS.items():
            text = self.fields[name].text().strip()
            try:
                values[name] = parse(text)
            except ValueError:
                kind = "a whole number" if parse is int else "a number"
                return self._field_error(name, f"“{text}” is not {kind}")
        try:
            return dataclasses.replace(self._base, **{**values, **overrides}).validated()
        except ConfigError as exc:
            return self._field_error(exc.field_name, exc.message)
        except TypeError as exc:  # a keyword that is no setting
            raise ValueError(f"unknown training setting: {exc}") from None

    def _field_error(self, name: str, message: str) -> None:
        label = self.errors.get(name, self.errors["arch"])
        label.setText(message)
        label.setVisible(True)
        self.fields.get(name, self.arch_box).setFocus()
        return None

    def _clear_errors(self) -> None:
        for label in self.errors.values():
            label.setVisible(False)


def form_defaults(arch: str) -> TrainConfig:
    """Preset ``arch``'s defaults as the form proposes them: the convolutional presets
    learn "not a digit" (the CLI keeps each preset's own defaults)."""
    config = preset_config(arch)
    if PRESETS[arch].convolutional and config.not_a_digit == 0:
        config = config.replace(not_a_digit=FORM_NOT_A_DIGIT)
    return config


def _choice(values, names) -> QComboBox:
    box = QComboBox()
    for value in values:
        box.addItem(names[value], value)
    return box
