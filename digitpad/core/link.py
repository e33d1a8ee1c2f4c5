"""What the window and its training process say to each other.

The window's hub sends :class:`Job` values to the training process
(``digitpad.training_process``), which reports back. Both sides import this module and
nothing of each other: the training process is never a library for the window, the CLI
or the tabs.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from digitpad.core.config import TrainConfig


@dataclass(frozen=True)
class Job:
    """One training run: what to train, on which data, and where to save it."""

    config: TrainConfig
    data_folder: str | None  # None: MNIST's usual places (see ``core.data.load_mnist``)
    out: Path
    tensorboard_dir: Path | None = None  # where to write Keras TensorBoard logs, if anywhere
