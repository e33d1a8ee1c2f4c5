"""The window's export process: a spawned child that runs one export and reports on a pipe.

Exporting loads TensorFlow and the converters, which the window's process never imports,
so ``gui.export_session`` starts this module's :func:`serve` in a fresh interpreter
(multiprocessing's spawn method) and relays what it sends. The messages are the frozen
dataclasses below, sent by :func:`serve` and read by the session:

- :class:`Progress` as each step starts,
- then :class:`Done` with the export's summary, or :class:`Failed` with one line.

A terminate (the window closing, or the user closing the export's dialog) unwinds the
export, which removes its temporary file on the way out.
"""

from __future__ import annotations

import os
import signal
import sys
import traceback
from dataclasses import dataclass
from pathlib import Path

from digitpad.core.data import DataError
from digitpad.core.registry import ModelError
from digitpad.export.target import ExportError

EXPECTED_ERRORS = (DataError, ExportError, ModelError)  # their message says everything


@dataclass(frozen=True)
class Request:
    """What to export, where, and how."""

    model_path: Path
    out: Path
    tflite_type: str = "float32"
    data_folder: Path | None = None  # MNIST for the checks; None: the usual places


@dataclass(frozen=True)
class Progress:
    step: int
    steps: int
    text: str


@dataclass(frozen=True)
class Done:
    """A verified export: where it went, and the lines that say so."""

    path: Path
    format: str
    card_path: Path | None
    lines: tuple[str, ...]
    pid: int  # the process that exported: never the window's


@dataclass(frozen=True)
class Failed:
    message: str


def serve(request: Request, reports) -> None:
    """The child's entry point: export ``request``, reporting on the ``reports`` pipe."""
    signal.signal(signal.SIGTERM, _unwind)
    try:
        from digitpad.export.exporter import export_model

        result = export_model(
            request.model_path, request.out, tflite_type=request.tflite_type,
            data_folder=request.data_folder,
            progress=lambda step, steps, text: reports.send(Progress(step, steps, text)))
    except EXPECTED_ERRORS as exc:
        reports.send(Failed(str(exc)))
    except SystemExit:
        return  # terminated: the export removed its temporary file as it unwound
    except Exception as exc:  # anything else is a bug: the user gets one line, stderr more
        traceback.print_exc()
        reports.send(Failed(f"the export failed ({type(exc).__name__}: {exc})"))
    else:
        reports.send(Done(result.path, result.format, result.card_path, result.lines,
                          os.getpid()))
    finally:
        reports.close()


def _unwind(signum, frame) -> None:
    sys.exit(1)  # SystemExit runs the export's cleanup (finally blocks) on the way out
