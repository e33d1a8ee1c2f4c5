"""The one shared model hub: it owns the models and the training runs; every tab receives
it and reacts to its signals."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PySide6.QtCore import QObject, Signal

from digitpad.core.registry import card_accuracy
from digitpad.core.verdict import NO_NOT_A_DIGIT
from digitpad.gui import workers
from digitpad.gui.data_source import DataSource
from digitpad.gui.training_session import TrainingSession

_serial = itertools.count(1)


@dataclass(frozen=True)
class ActiveModel:
    """A loaded model's predictor and card. ``key`` identifies it in caches."""

    predictor: object
    path: Path | None
    card: dict
    key: int = field(default_factory=lambda: next(_serial))

    @property
    def name(self) -> str:
        if self.card.get("name"):
            return str(self.card["name"])
        return self.path.stem if self.path else "unsaved model"

    @property
    def test_accuracy(self) -> float | None:
        return card_accuracy(self.card)

    def describe(self, measured_accuracy: float | None = None) -> str:
        """One line for the status bar: name, architecture, test accuracy.

        The accuracy is ``measured_accuracy`` (measured on the MNIST test set) when given;
        else the card's own claim, shown as such: a card is only what the file says.
        """
        parts = [self.name]
        if self.card.get("architecture"):
            parts.append(str(self.card["architecture"]))
        if measured_accuracy is not None:
            parts.append(f"measured {measured_accuracy:.2%} test")
        elif self.test_accuracy is not None:
            parts.append(f"card says {self.test_accuracy:.2%} test")
        if not getattr(self.predictor, "has_not_a_digit", True):
            parts.append(NO_NOT_A_DIGIT)
        return " · ".join(parts)


def _load(path: Path) -> ActiveModel:
    """Runs in a worker thread: read the model file (NumPy only, no TensorFlow) and card.

    Temporary files that killed saves left beside the model are removed too: the app's
    first load, at start, is of the last model used, in the folder it was saved to.
    """
    from digitpad.core.inference import Predictor
    from digitpad.core.registry import clean_stale_temp_files, load_card

    active = ActiveModel(Predictor.load(path), path, load_card(path))
    clean_stale_temp_files(path.parent)
    return active


class ModelHub(QObject):
    """Owns the active model and the training runs; loads models off the GUI thread;
    announces every change.

    ``training`` is the :class:`TrainingSession`: a run that completes is loaded here and
    becomes active everywhere. ``previous`` is the model the active one replaced, which
    :meth:`restore_previous` brings back.

    Signals
    -------
    loading_started(str)
        A load of this path began; predictions continue with the previous model.
    model_changed(ActiveModel)
        A new model is active everywhere.
    load_failed(str)
        A load failed; the message names the file and the problem. The previous model
        stays active.
    """

    loading_started = Signal(str)
    model_changed = Signal(object)
    load_failed = Signal(str)

    def __init__(self, parent: QObject | None = None, data: DataSource | None = None):
        super().__init__(parent)
        self.data = data if data is not None else DataSource()  # where every tab reads MNIST
        self.data.setParent(self)
        self.active: ActiveModel | None = None
        self.previous: ActiveModel | None = None
        self._loader: workers.Worker | None = None
        self.training = TrainingSession(self)
        self.training.finished.connect(self._on_run_finished)

    @property
    def is_loading(self) -> bool:
        return self._loader is not None

    def load(self, path: str | Path) -> None:
        """Load ``path`` in the background; the result arrives as ``model_changed``."""
        path = Path(path)
        self._cancel_load()
        loader = workers.Worker(lambda worker: _load(path))
        # Bound methods (not lambdas) so the slots run in this object's (the GUI) thread.
        loader.finished.connect(self._on_loaded)
        loader.errored.connect(self._on_load_failed)
        self._loader = loader
        self.loading_started.emit(str(path))
        workers.start(loader, self)

    def set_model(self, predictor, path: Path | None, card: dict) -> None:
        """Make a model active from its predictor. GUI thread only."""
        self._set_active(ActiveModel(predictor, path, card))

    def restore_previous(self) -> bool:
        """Make the model that the active one replaced active again; False if there is none."""
        if self.previous is None:
            return False
        self._cancel_load()
        self._set_active(self.previous)
        return True

    def predict(self, image28: np.ndarray) -> np.ndarray | None:
        """(10,) probabilities for one model-ready image, or None while no model is loaded."""
        if self.active is None:
            return None
        return self.active.predictor.predict_one(image28)

    def read(self, image28: np.ndarray, ink_share: float | None = None):
        """(probabilities (10,), Verdict) for one model-ready image by the active model's
        rule, or None while no model is loaded."""
        if self.active is None:
            return None
        return self.active.predictor.read(image28, ink_share)

    def shutdown(self, timeout_ms: int = 30_000) -> None:
        """End the training process and wait for a load in progress (the window closes)."""
        self.training.shutdown()
        workers.stop_and_wait(self, self._loader, timeout_ms)
        self._loader = None
        self.data.shutdown()

    def _cancel_load(self) -> None:
        if self._loader is not None:
            self._loader.cancel()
            self._loader = None  # its result is ignored when it arrives

    def _on_run_finished(self, outcome) -> None:
        # A completed run's model replaces the active one; a stopped run's is only offered.
        if outcome.path is not None and not outcome.stopped:
            self.load(outcome.path)

    @workers.from_current("_loader")  # superseded by a later load otherwise
    def _on_loaded(self, active: ActiveModel) -> None:
        self._loader = None
        self._set_active(active)

    @workers.from_current("_loader")
    def _on_load_failed(self, message: str) -> None:
        self._loader = None
        self.load_failed.emit(message)

    def _set_active(self, active: ActiveModel) -> None:
        if self.active is not None and self.active is not active:
            self.previous = self.active
        self.active = active
        self.model_changed.emit(active)
