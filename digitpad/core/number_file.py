"""Numbers from a stroke file: the drawings of a digitpad-digits file, each read as a number.

The file is the import format of the user's own digits:
``{"format": "digitpad-digits", "version": 1, "samples": [{"label": ..., "strokes":
[[[x, y], ...], ...]}, ...]}``, strokes in any units with y down (numbers after x and y in
a point, such as time, are ignored). Here a label may be a whole number ("2024", "3.14");
it is what the drawing should read as, and may be left out.
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from digitpad.core.number_reader import NumberReading, read_number

FORMAT = "digitpad-digits"
VERSION = 1
MAX_FILE_BYTES = 64 << 20


class StrokeFileError(ValueError):
    """A stroke file that cannot be read; the message names the file and the problem."""


@dataclass(frozen=True)
class Drawing:
    """One sample of the file: its label as text ("" when none) and its strokes."""

    label: str
    strokes: list[np.ndarray]


def read_stroke_file(path: str | os.PathLike) -> list[Drawing]:
    """The drawings in ``path``; raises :class:`StrokeFileError` naming what is wrong."""
    path = Path(path)
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            raise StrokeFileError(f"{path}: larger than {MAX_FILE_BYTES >> 20} MB")
        document = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise StrokeFileError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    except UnicodeDecodeError:
        raise StrokeFileError(f"{path}: not a text file") from None
    except json.JSONDecodeError as exc:
        raise StrokeFileError(f"{path}: not JSON ({exc.msg} at line {exc.lineno})") from None
    if (not isinstance(document, dict) or document.get("format") != FORMAT
            or document.get("version") != VERSION):
        raise StrokeFileError(f'{path}: not a "{FORMAT}" file of version {VERSION}')
    samples = document.get("samples")
    if not isinstance(samples, list):
        raise StrokeFileError(f'{path}: "samples" is not a list')
    return [_drawing(sample, n, path) for n, sample in enumerate(samples)]


def read_numbers(path: str | os.PathLike, predictor) -> list[tuple[Drawing, NumberReading]]:
    """Each drawing of the file at ``path`` and the number read from it."""
    return [(drawing, read_number(drawing.strokes, predictor))
            for drawing in read_stroke_file(path)]


def _drawing(sample, n: int, path: Path) -> Drawing:
    where = f"{path}: sample {n + 1}"
    if not isinstance(sample, dict):
        raise StrokeFileError(f"{where} is not an object")
    label = sample.get("label", "")
    if isinstance(label, bool) or not isinstance(label, (str, int)) or label is None:
        raise StrokeFileError(f"{where}: the label is neither text nor a whole number")
    strokes = sample.get("strokes")
    if not isinstance(strokes, list) or not strokes:
        raise StrokeFileError(f"{where}: no strokes")
    out = []
    for k, stroke in enumerate(strokes):
        if (not isinstance(stroke, list) or not stroke
                or not all(_is_point(point) for point in stroke)):
            raise StrokeFileError(f"{where}, stroke {k + 1}: not a list of [x, y] points "
                                  f"with finite numbers")
        out.append(np.array([point[:2] for point in stroke], np.float64))
    return Drawing(str(label), out)


def _is_point(point) -> bool:
    return (isinstance(point, list) and len(point) >= 2
            and all(isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)
                    for v in point[:2]))
