"""Where an export goes, its format and options: all checked before any work is done.

The format follows OUT: ``.onnx``, ``.tflite``, or a folder (no suffix, a trailing slash or
an existing folder of any other name) for a TensorFlow SavedModel. Everything here is cheap and imports
nothing heavy, so a wrong OUT fails at once, before TensorFlow starts loading.
"""

from __future__ import annotations

import os
import secrets
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

ONNX = "onnx"
TFLITE = "tflite"
SAVED_MODEL = "saved_model"
FORMAT_NAMES = {ONNX: "ONNX", TFLITE: "TensorFlow Lite", SAVED_MODEL: "TF SavedModel"}
SUFFIXES = {".onnx": ONNX, ".tflite": TFLITE}
SAVED_MODEL_FILE = "saved_model.pb"  # how an existing SavedModel folder is recognised
# The options of each format (here, so that the command answers --help without imports).
DEFAULT_OPSET = 17
TFLITE_TYPES = {"float32": "float32", "float16": "float16 weights",
                "int8": "int8 dynamic range"}
ONNX_WRITERS = ("auto", "keras", "direct")  # auto: Keras's exporter, else the direct writer


class ExportError(Exception):
    """An export cannot be done or failed; the message is one line for the user."""


@dataclass(frozen=True)
class Target:
    """An export's destination: ``path`` and its ``format`` (one of the constants above)."""

    path: Path
    format: str

    @property
    def card_path(self) -> Path:
        """Where the card goes beside TFLite and SavedModel exports: ``NAME.json``."""
        name = self.path.name if self.format == SAVED_MODEL else self.path.stem
        return self.path.with_name(f"{name}.json")

    def temporary(self) -> Path:
        """A fresh name beside the target, for writing before the export is verified."""
        name = f".{self.path.name}.{os.getpid()}-{secrets.token_hex(4)}"
        return self.path.with_name(name + ("" if self.format == SAVED_MODEL else self.path.suffix))

    def replace_with(self, written: Path) -> None:
        """Move the verified export ``written`` to the target, replacing a previous one."""
        if self.format != SAVED_MODEL:
            os.replace(written, self.path)
            return
        old = None
        if self.path.exists():
            old = self.path.with_name(f".{self.path.name}.old-{secrets.token_hex(4)}")
            os.replace(self.path, old)
        os.replace(written, self.path)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)


def resolve(out: str | os.PathLike) -> Target:
    """The target for OUT; raises ExportError with one line when it cannot be written.

    Checked: the format (suffix), that OUT's folder can be written (the folders that do not
    exist yet are created), that a file export does not name a folder, and that a
    SavedModel does not overwrite a folder that holds something else.
    """
    text = os.fspath(out)
    path = Path(text).expanduser()
    if not text.strip():
        raise ExportError("no output named: give OUT as x.onnx, x.tflite or a folder")
    if path.suffix.lower() in SUFFIXES and not text.endswith(("/", os.sep)):
        fmt = SUFFIXES[path.suffix.lower()]
    elif not path.suffix or path.is_dir() or text.endswith(("/", os.sep)):
        fmt = SAVED_MODEL
    else:
        raise ExportError(f"{path}: unknown format {path.suffix!r}: name OUT x.onnx (ONNX), "
                          f"x.tflite (TensorFlow Lite) or a folder (TF SavedModel)")
    if fmt == SAVED_MODEL and path.is_dir() and any(path.iterdir()) \
            and not (path / SAVED_MODEL_FILE).is_file():
        raise ExportError(f"{path}: the folder holds files that are not a SavedModel; "
                          f"name a new or empty folder")
    if fmt == SAVED_MODEL and path.exists() and not path.is_dir():
        raise ExportError(f"{path} is a file; a SavedModel is a folder: name a new one")
    if fmt != SAVED_MODEL and path.is_dir():
        raise ExportError(f"{path} is a folder; name the {path.suffix} file to write")
    _check_writable(path)
    return Target(path, fmt)


def _check_writable(path: Path) -> None:
    existing = path.parent
    while not existing.exists():  # folders that do not exist yet are created on writing
        existing = existing.parent
    if not existing.is_dir():
        raise ExportError(f"{path}: {existing} is a file, not a folder")
    try:
        with tempfile.TemporaryFile(dir=existing):
            pass
    except OSError as exc:
        raise ExportError(f"{path}: cannot write in {existing} "
                          f"({exc.strerror or exc})") from None
    if path.exists() and not os.access(path, os.W_OK):
        raise ExportError(f"{path}: exists and cannot be replaced (no write permission)")
