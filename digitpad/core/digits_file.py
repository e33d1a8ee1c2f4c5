"""The user's digits as one JSON file: what export writes and import reads.

The minimal form, which other tools can write::

    {"format": "digitpad-digits", "version": 1,
     "samples": [{"label": 7, "strokes": [[[x, y], ...], ...]}, ...]}

Points are in any unit, y growing downwards; numbers after x and y (time, pressure) are
ignored. A sample without an image is rendered exactly as the drawing pad would render it
(``core.drawing``). Exports add what the store keeps: ``image`` (the 28x28 model input,
base64 of 784 bytes, row by row), ``created`` (Unix time), ``pad_size`` ([width, height] in
pixels), ``model`` (the model that read it) and ``reading`` (what it answered).

A file is checked whole before anything is imported: the first problem raises
:class:`DigitsFileError`, naming the sample and what is wrong with it.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import math
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from digitpad.core.drawing import strokes_to_model_input
from digitpad.core.errors import DigitsFileError

FORMAT = "digitpad-digits"
VERSION = 1
SIDE = 28
MAX_FILE_BYTES = 256 << 20   # about 100,000 drawn digits with their images
MAX_SAMPLES = 100_000
MAX_POINTS = 20_000          # per sample: far more than any drawn digit
# Any unit will do, but a drawing 1e308 wide overflows (and in float32 at 3.4e38).
MAX_COORDINATE = 1e9
MAX_TEXT = 200               # characters kept of a model's name or a reading


@dataclass(eq=False)
class Sample:
    """One of the user's digits.

    ``strokes`` are (k, 2) float32 arrays of x, y in the unit they were drawn in (the pad's:
    0..1 of its side); ``image`` is the 28x28 model input as uint8 (MNIST's format). ``id``
    is the store's, None until stored.
    """

    label: int
    strokes: list[np.ndarray]
    image: np.ndarray
    created: float = field(default_factory=time.time)
    pad_size: tuple[int, int] | None = None
    model: str = ""
    reading: str = ""
    id: int | None = None

    def __post_init__(self):
        self.strokes = [np.asarray(s, np.float32).reshape(-1, 2) for s in self.strokes]
        self.strokes = [s for s in self.strokes if len(s)]

    def packed_strokes(self) -> bytes:
        """The strokes as bytes: stroke count, each stroke's point count (int32), then
        every point's x, y (float32)."""
        lengths = np.array([len(self.strokes)] + [len(s) for s in self.strokes], np.int32)
        points = (np.concatenate(self.strokes) if self.strokes
                  else np.zeros((0, 2), np.float32))
        return lengths.tobytes() + np.ascontiguousarray(points, np.float32).tobytes()

    def fingerprint(self) -> str:
        """Equal for the same drawing (or, without strokes, the same image), whatever its
        label: a drawing is stored once."""
        content = (self.packed_strokes() if self.strokes else
                   b"image:" + np.ascontiguousarray(self.image, np.uint8).tobytes())
        return hashlib.sha256(content).hexdigest()


def unpack_strokes(packed: bytes) -> list[np.ndarray]:
    """The strokes that :meth:`Sample.packed_strokes` packed."""
    count = int(np.frombuffer(packed, np.int32, 1)[0])
    lengths = np.frombuffer(packed, np.int32, count, offset=4)
    points = np.frombuffer(packed, np.float32, offset=4 * (count + 1)).reshape(-1, 2)
    return np.split(points.copy(), np.cumsum(lengths)[:-1]) if count else []


def image_to_uint8(image28: np.ndarray) -> np.ndarray:
    """A [0, 1] float model input as the uint8 image the store keeps."""
    return (np.clip(np.asarray(image28, np.float32), 0, 1) * 255).round().astype(np.uint8)


def read_digits_file(path: str | os.PathLike) -> list[Sample]:
    """The samples of the digits file at ``path``, checked whole.

    Raises
    ------
    DigitsFileError
        The file cannot be read, is not JSON (e.g. truncated), is not a digitpad digits
        file, or a sample is malformed; the message says which and why.
    """
    path = Path(path)
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise DigitsFileError(f"{size:,} bytes is too large for a digits file "
                                  f"(at most {MAX_FILE_BYTES:,})", path)
        text = path.read_bytes().decode("utf-8")
    except OSError as exc:
        raise DigitsFileError(f"cannot read it ({exc.strerror or exc})", path) from None
    except UnicodeDecodeError:
        raise DigitsFileError("not a digitpad digits file (not UTF-8 text)", path) from None
    try:
        document = json.loads(text)
    except ValueError as exc:
        raise DigitsFileError(f"not valid JSON, the file may be truncated or damaged ({exc})",
                              path) from None
    except RecursionError:  # valid JSON, nested deeper than any digits file is
        raise DigitsFileError("not a digitpad digits file (nested too deeply)", path) from None
    try:
        return parse_digits(document)
    except DigitsFileError as exc:
        raise DigitsFileError(exc.problem, path) from None


def parse_digits(document) -> list[Sample]:
    """The samples of a parsed digits document; raises DigitsFileError at the first problem."""
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        found = document.get("format") if isinstance(document, dict) else None
        what = f" (its format is {str(found)[:40]!r})" if found is not None else ""
        raise DigitsFileError(f"not a digitpad digits file{what}: expected "
                              f'"format": "{FORMAT}"')
    version = document.get("version")
    if not _is_int(version) or version < 1:
        raise DigitsFileError(f'"version" must be a whole number (this is version {VERSION})')
    if version > VERSION:
        raise DigitsFileError(f"made by a newer digitpad (file version {version}; this one "
                              f"reads version {VERSION})")
    samples = document.get("samples")
    if not isinstance(samples, list):
        raise DigitsFileError('"samples" must be a list of samples')
    if len(samples) > MAX_SAMPLES:
        raise DigitsFileError(f"{len(samples):,} samples; at most {MAX_SAMPLES:,} per file")
    parsed = []
    for number, entry in enumerate(samples, 1):
        try:
            parsed.append(_parse_sample(entry))
        except DigitsFileError as exc:
            raise DigitsFileError(f"sample {number}: {exc}") from None
    return parsed


def _parse_sample(entry) -> Sample:
    if not isinstance(entry, dict):
        raise DigitsFileError("not an object with a label and strokes")
    label = entry.get("label")
    if not _is_int(label) or not 0 <= label <= 9:
        raise DigitsFileError(f"label must be a digit 0-9, got {str(label)[:40]!r}")
    strokes = _parse_strokes(entry.get("strokes", []))
    image = _parse_image(entry["image"]) if "image" in entry else None
    if image is None:
        if not strokes:
            raise DigitsFileError("has neither strokes nor an image")
        model_input = strokes_to_model_input(strokes)
        if model_input is None:
            raise DigitsFileError("its strokes draw nothing")
        image = image_to_uint8(model_input)
    created = entry.get("created", time.time())
    if not _is_number(created) or not math.isfinite(created) or created < 0:
        raise DigitsFileError("created must be a time in seconds since 1970")
    pad_size = entry.get("pad_size")
    if pad_size is not None:
        if (not isinstance(pad_size, list) or len(pad_size) != 2
                or not all(_is_int(v) and 0 < v < 100_000 for v in pad_size)):
            raise DigitsFileError("pad_size must be [width, height] in pixels")
        pad_size = (int(pad_size[0]), int(pad_size[1]))
    texts = {}
    for name in ("model", "reading"):
        value = entry.get(name, "")
        if not isinstance(value, str):
            raise DigitsFileError(f"{name} must be text")
        texts[name] = value[:MAX_TEXT]
    return Sample(int(label), strokes, image, float(created), pad_size, **texts)


def _parse_strokes(strokes) -> list[np.ndarray]:
    if not isinstance(strokes, list):
        raise DigitsFileError("strokes must be a list of strokes, each a list of [x, y] points")
    parsed, total = [], 0
    for stroke in strokes:
        if not isinstance(stroke, list):
            raise DigitsFileError("each stroke must be a list of [x, y] points")
        total += len(stroke)
        if total > MAX_POINTS:
            raise DigitsFileError(f"more than {MAX_POINTS:,} points")
        points = []
        for point in stroke:
            if (not isinstance(point, list) or len(point) < 2
                    or not all(_is_number(v) and abs(v) <= MAX_COORDINATE for v in point[:2])):
                raise DigitsFileError(f"a point must be [x, y] with numbers within "
                                      f"±{MAX_COORDINATE:g}, got {json.dumps(point)[:40]}")
            points.append(point[:2])
        if points:
            parsed.append(np.array(points, np.float64))
    return parsed


def _parse_image(value) -> np.ndarray:
    if not isinstance(value, str):
        raise DigitsFileError("image must be base64 text of 784 bytes")
    try:
        raw = base64.b64decode(value.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError):
        raise DigitsFileError("image is not valid base64") from None
    if len(raw) != SIDE * SIDE:
        raise DigitsFileError(f"image must be {SIDE}x{SIDE} = {SIDE * SIDE} bytes, "
                              f"got {len(raw)}")
    return np.frombuffer(raw, np.uint8).reshape(SIDE, SIDE).copy()


def to_document(samples: list[Sample]) -> dict:
    """The export document for ``samples`` (what :func:`parse_digits` reads back)."""
    return {"format": FORMAT, "version": VERSION, "samples": [
        {"label": s.label, "strokes": [stroke.tolist() for stroke in s.strokes],
         "image": base64.b64encode(np.ascontiguousarray(s.image, np.uint8).tobytes()).decode(),
         "created": s.created, "model": s.model, "reading": s.reading,
         **({"pad_size": list(s.pad_size)} if s.pad_size else {})}
        for s in samples]}


def write_digits_file(path: str | os.PathLike, samples: list[Sample]) -> None:
    """Write ``samples`` to ``path`` atomically (a temporary file renamed over it)."""
    path = Path(path)
    text = json.dumps(to_document(samples), separators=(",", ":"))
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)
