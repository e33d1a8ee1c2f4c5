"""What a training run reports as it goes and when it ends: small dataclasses, no TensorFlow.

``core.training`` creates them; the CLI prints them, and the GUI receives them from its
training process over a pipe (they pickle) without ever importing TensorFlow itself.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from digitpad.core.registry import card_accuracy


@dataclass(frozen=True)
class BatchReport:
    """Progress within an epoch, sent every ``BATCH_REPORT_INTERVAL`` seconds."""

    epoch: int            # 0-based
    batch: int            # 0-based, within the epoch
    batches_per_epoch: int
    # Means over the batches since the previous report. Keras logs the epoch's running
    # mean instead, which lags behind the model and drops at every epoch's first batch.
    loss: float
    accuracy: float
    seen_batches: int     # since the start of training, for plotting against


@dataclass(frozen=True)
class EpochReport:
    """One finished, validated epoch."""

    epoch: int            # 0-based
    epochs: int
    loss: float
    accuracy: float
    val_loss: float
    val_accuracy: float
    learning_rate: float
    seconds: float        # this epoch, validation included
    eta_seconds: float    # for the remaining epochs at the average pace so far
    improved: bool        # best validation accuracy so far


@dataclass(frozen=True)
class RunOutcome:
    """How a run of the app's training process ended, for the window.

    ``path`` is the saved model (best validation weights), or None when the run was stopped
    before its first epoch ended and nothing was kept, or when the model could not be saved
    where it belonged (a folder made read-only or full during the run): then ``unsaved`` is
    where it was kept instead, for "Save as…", and ``note`` says why. ``note`` also tells
    of a saved model whose card could not be written beside it. ``unchanged``: the run
    left its model as it was (an adaptation with nothing to teach), so nothing was saved
    and ``path`` is None; ``card`` says what it measured.
    """

    path: Path | None
    card: dict = field(default_factory=dict)
    stopped: bool = False
    early_stopped: bool = False
    best_epoch: int | None = None  # 0-based
    val_accuracy: float = float("nan")
    seconds: float = 0.0
    batches_trained: int = 0
    unsaved: Path | None = None
    note: str = ""
    unchanged: bool = False

    @property
    def test_accuracy(self) -> float | None:
        return card_accuracy(self.card)
