"""What the window and its training process say to each other: typed messages, one codec.

The window's hub sends :class:`Job`, :class:`Stop` and :class:`Close` to the training
process (``digitpad.training_process``); the process answers with :class:`Ready`, then per
run :class:`BatchDone`, :class:`EpochDone`, :class:`Saving` and finally :class:`Finished`
or :class:`Failed`. Every message is a small frozen dataclass defined here, and both sides
turn them into bytes and back with :func:`encode` and :func:`decode` only. Neither side
imports the other: the training process is never a library for the window, the CLI or
the tabs.

:func:`decode` accepts only the classes this module names (and the plain values inside
them); anything else, a truncated message or garbage, raises :class:`LinkError`, which
ends the run with that error rather than a traceback.
"""

from __future__ import annotations

import io
import pickle
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from digitpad.core.config import TrainConfig
from digitpad.core.reports import BatchReport, EpochReport, RunOutcome

MAX_MESSAGE_BYTES = 16 << 20  # far above any real message (tiles are ~100 kB)
# What a Job can ask for ("train": a model from scratch; "adapt": the base model adapted to
# the user's digits); the training process has a runner for each.
JOB_KINDS = ("train", "adapt")


class LinkError(Exception):
    """A message that is not one of this module's: the other side is broken or foreign."""


# ----- window -> training process ---------------------------------------------------------
@dataclass(frozen=True)
class Job:
    """One run for the training process: what to do, on which data, and where to save.

    Parameters
    ----------
    run_id : int
        The hub's id of the run; every report about it carries the same id.
    config : TrainConfig
        What to train.
    data_folder : str or None
        The MNIST folder; None: MNIST's usual places (see ``core.data.load_mnist``).
    out : Path
        Where the model is saved (atomically), with its card beside it.
    tensorboard_dir : Path or None
        Where to write Keras TensorBoard logs, if anywhere.
    kind : str
        What the run does, one of ``JOB_KINDS``. A new kind adds a name there and a runner
        in the training process; the window's side stays the same.
    base_model : Path or None
        A model file the run starts from, for kinds that need one ("adapt").
    my_digits : Path or None
        The user's digits store (``core.digit_store``), for kinds that learn from it.
    """

    run_id: int
    config: TrainConfig
    data_folder: str | None
    out: Path
    tensorboard_dir: Path | None = None
    kind: str = "train"
    base_model: Path | None = None
    my_digits: Path | None = None


@dataclass(frozen=True)
class Stop:
    """Stop run ``run_id`` after its current batch; its best weights so far are kept."""

    run_id: int


@dataclass(frozen=True)
class Close:
    """End the training process now, saving nothing more."""


# ----- training process -> window ---------------------------------------------------------
@dataclass(frozen=True)
class Ready:
    """TensorFlow is loaded: a run starts without waiting for it."""


@dataclass(frozen=True)
class BatchDone:
    run_id: int
    report: BatchReport


@dataclass(frozen=True)
class EpochDone:
    """An epoch ended; ``tiles`` is the first layer's weights as an image (``core.tiles``)."""

    run_id: int
    report: EpochReport
    tiles_shape: tuple[int, ...] | None = None
    tiles_bytes: bytes = b""

    @classmethod
    def with_tiles(cls, run_id: int, report: EpochReport,
                   tiles: np.ndarray | None) -> "EpochDone":
        if tiles is None:
            return cls(run_id, report)
        tiles = np.ascontiguousarray(tiles, np.float32)
        return cls(run_id, report, tuple(tiles.shape), tiles.tobytes())

    @property
    def tiles(self) -> np.ndarray | None:
        if self.tiles_shape is None:
            return None
        return np.frombuffer(self.tiles_bytes, np.float32).reshape(self.tiles_shape)


@dataclass(frozen=True)
class Saving:
    """Training is over; the model is being measured on the test set and saved."""

    run_id: int


@dataclass(frozen=True)
class Finished:
    """The run ended (completed or stopped); ``outcome.path`` is its saved model, if any."""

    run_id: int
    outcome: RunOutcome


@dataclass(frozen=True)
class Failed:
    """The run could not train; ``message`` says why, for the user."""

    run_id: int
    message: str


TO_CHILD = (Job, Stop, Close)
TO_WINDOW = (Ready, BatchDone, EpochDone, Saving, Finished, Failed)
# Every class a message may contain, by (module, name): nothing else is ever unpickled.
_ALLOWED = {(cls.__module__, cls.__qualname__) for cls in (
    *TO_CHILD, *TO_WINDOW, TrainConfig, BatchReport, EpochReport, RunOutcome)}
_ALLOWED |= {("pathlib", name) for name in ("Path", "PosixPath", "WindowsPath")}
_ALLOWED.add((type(Path()).__module__, type(Path()).__name__))  # pathlib._local in 3.13


def encode(message) -> bytes:
    """``message`` (one of this module's classes) as bytes for :func:`decode`."""
    if not isinstance(message, TO_CHILD + TO_WINDOW):
        raise LinkError(f"not a link message: {type(message).__name__}")
    return pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)


def decode(data: bytes, expected: tuple[type, ...] = TO_CHILD + TO_WINDOW):
    """The message in ``data``; raises LinkError unless it is one of ``expected``."""
    if len(data) > MAX_MESSAGE_BYTES:
        raise LinkError(f"a message of {len(data):,} bytes")
    try:
        message = _Unpickler(io.BytesIO(data)).load()
    except LinkError:
        raise
    except Exception as exc:  # any malformed input: pickle raises many kinds
        raise LinkError(f"an unreadable message ({type(exc).__name__}: {exc})"[:300]) from None
    if not isinstance(message, expected):
        raise LinkError(f"an unexpected message ({type(message).__name__})")
    return message


class _Unpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str):
        if (module, name) not in _ALLOWED:
            raise LinkError(f"a message holding {module}.{name}, which is not a link message")
        return super().find_class(module, name)
