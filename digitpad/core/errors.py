"""Every error digitpad reports to its user, in one module that imports nothing heavy.

Each class's message says everything the user needs (what went wrong, with which file or
field, and what to try), so callers show ``str(exc)`` as it is. Qt-side code and the
training process catch these without importing TensorFlow.
"""

from __future__ import annotations

import os


class ConfigError(ValueError):
    """A configuration value is out of range; ``field_name`` says which one."""

    def __init__(self, field_name: str, message: str):
        super().__init__(f"{field_name}: {message}")
        self.field_name = field_name
        self.message = message


class DataError(Exception):
    """The data set is missing, unreadable or malformed; the message says which file and why."""


class DownloadCancelled(DataError):
    """Raised by ``core.data.download_mnist`` when its stop flag was set."""


class ModelError(Exception):
    """A model file is missing, corrupt, unsafe or not a digit classifier; says which and why."""


class CardNotWritten(ModelError):
    """The model was saved, its card inside it, but the card's copy beside it was not."""


class TrainingError(Exception):
    """Training could not run or did not converge; the message says why and what to try."""


class StoreError(Exception):
    """The user's digits store cannot be opened, read or written; says which file and why."""


class DigitsFileError(ValueError):
    """A digits file (``core.digits_file``) is unreadable or malformed; names the file, the
    sample and what is wrong with it.

    ``problem`` is what is wrong and ``path`` the file, when known (the message is
    "path: problem"): a window can name the file by its name alone.
    """

    def __init__(self, problem: str, path: str | os.PathLike | None = None):
        super().__init__(problem if path is None else f"{path}: {problem}")
        self.problem, self.path = problem, path


class EvaluationCancelled(Exception):
    """Raised by ``core.evaluation.evaluate`` when its stop event was set."""


# Failures whose message says everything: no traceback, not even for developers.
EXPECTED_ERRORS = (ConfigError, DataError, DigitsFileError, EvaluationCancelled, ModelError,
                   StoreError, TrainingError)


def reason(exc: BaseException) -> str:
    """Why an operation failed, in words: an OSError's system message ("Permission denied",
    without the file name the caller already gives), else the exception's text."""
    return exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)


def first_line(exc: BaseException) -> str:
    """An exception's first line of text, or its class name when it has none."""
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
