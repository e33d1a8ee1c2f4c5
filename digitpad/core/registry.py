"""Model files: atomic saving with a JSON model card, safe loading, listing.

A model is ``NAME.keras``; its card is stored inside the archive (``digitpad_card.json``,
an entry Keras ignores) and, for people to read, as ``NAME.json`` beside it. Saving writes
a temporary file in the same folder and renames it over the target, so a crash or a stop
mid-save never leaves a half-written model where the previous one was, and since the card
travels inside the model file, a model is never paired with another model's card. A save
killed midway leaves its temporary file behind; the next save in that folder (and the app,
when it loads a model from it) removes temporary files whose writer is gone.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import time
import zipfile
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterable

import numpy as np

from digitpad import paths
from digitpad.core.errors import ModelError

MODEL_SUFFIX = ".keras"
DEFAULT_MODEL_NAME = "default"
CARD_ENTRY = "digitpad_card.json"  # the card's copy inside the model archive
# The most each archive entry may declare: a digit model's weights are a few MB (the
# shipped model's 1.3 MB), so 64 MB is room for 16 million parameters; anything larger is
# no digit model, and reading it could exhaust memory.
MAX_ENTRY_BYTES = {"model.weights.h5": 64 << 20, "config.json": 1 << 20, CARD_ENTRY: 1 << 20}
MAX_OTHER_ENTRY_BYTES = 1 << 20
MAX_ENTRIES = 64
# Temporary files are named .TARGET.PID-TOKEN.SUFFIX, so a later run can tell whether their
# writer is still running; when that cannot be told, they count as stale after a day.
_TEMP_NAME = re.compile(r"^\..+\.(?P<pid>\d+)-[0-9a-f]{8}\.(keras|json)$")
STALE_TEMP_SECONDS = 24 * 3600


def default_model_path() -> Path:
    """The model shipped with digitpad."""
    return paths.bundled_models_dir() / f"{DEFAULT_MODEL_NAME}{MODEL_SUFFIX}"


def card_path(model_path: str | os.PathLike) -> Path:
    """Where the card of ``model_path`` lives: same folder, same name, ``.json``."""
    return Path(model_path).with_suffix(".json")


def load_model(path: str | os.PathLike):
    """Load a ``.keras`` digit model safely (``safe_mode=True``, no arbitrary code).

    Raises
    ------
    ModelError
        The file is missing, not a Keras archive, refused by safe mode, or its input and
        output shapes are not those of a 28x28 -> 10 classifier.
    """
    path = Path(path)
    check_model_archive(path)
    import keras  # deferred: TensorFlow's import is slow and the GUI does it off-thread

    try:
        model = keras.saving.load_model(path, compile=False, safe_mode=True)
    except Exception as exc:  # Keras raises many types for corrupt or unsafe archives
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ModelError(f"{path}: cannot load the model ({first_line})") from None
    _check_is_digit_classifier(model, path)
    try:
        check_finite_weights((f"variable {v.path!r}", np.asarray(v)) for v in model.weights)
    except ModelError as exc:
        raise ModelError(f"{path}: {exc}") from None
    probe = np.stack([np.zeros(model.inputs[0].shape[1:], np.float32),
                      np.ones(model.inputs[0].shape[1:], np.float32)])
    if not np.isfinite(np.asarray(model(probe, training=False))).all():
        raise ModelError(f"{path}: the model's outputs are not finite (overflowing weights)")
    return model


def check_finite_weights(named_weights: Iterable[tuple[str, np.ndarray]]) -> None:
    """Raise ModelError naming the first of ``(name, array)`` pairs that holds NaN or inf."""
    for name, value in named_weights:
        if not np.isfinite(value).all():
            raise ModelError(f"the weights of {name} are NaN or infinite: the model cannot "
                             f"give meaningful probabilities")


def check_model_archive(path: Path) -> None:
    """Raise ModelError unless ``path`` is an existing ``.keras`` archive of sane size.

    Every entry's declared size is checked against ``MAX_ENTRY_BYTES``; Python's zipfile
    never inflates an entry past its declared size (it reports a bad CRC instead), so
    these limits bound what any reader of the archive allocates.
    """
    if not path.is_file():
        raise ModelError(f"{path}: model file not found")
    if path.suffix != MODEL_SUFFIX or not zipfile.is_zipfile(path):
        raise ModelError(f"{path}: not a Keras model file (expected a {MODEL_SUFFIX} archive)")
    try:
        with zipfile.ZipFile(path) as archive:
            entries = archive.infolist()
    except (OSError, zipfile.BadZipFile, ValueError) as exc:
        raise ModelError(f"{path}: not a readable Keras model file ({exc})") from None
    if len(entries) > MAX_ENTRIES:
        raise ModelError(f"{path}: not a digit model: the archive holds {len(entries)} files")
    for entry in entries:
        limit = MAX_ENTRY_BYTES.get(entry.filename, MAX_OTHER_ENTRY_BYTES)
        if entry.file_size > limit:
            raise ModelError(f"{path}: not a digit model: {entry.filename} would take "
                             f"{entry.file_size:,} bytes, more than the {limit:,} allowed")


def _check_is_digit_classifier(model, path: Path) -> None:
    try:
        input_shape = tuple(model.inputs[0].shape[1:])
        output_shape = tuple(model.outputs[0].shape[1:])
    except (AttributeError, IndexError, TypeError):
        raise ModelError(f"{path}: the model has no defined input and output shapes") from None
    pixels = 1
    for size in input_shape:
        pixels *= size if size is not None else 0
    if len(model.inputs) != 1 or pixels != 28 * 28:
        raise ModelError(f"{path}: not a digit model: it expects input {input_shape}, "
                         f"digitpad gives 28x28 images")
    if len(model.outputs) != 1 or output_shape not in ((10,), (11,)):
        raise ModelError(f"{path}: not a digit model: it outputs {output_shape}, "
                         f"digitpad needs 10 class scores (and optionally a not-a-digit one)")


def load_card(model_path: str | os.PathLike) -> dict:
    """The card of the model in ``model_path``, or an empty dict when it has none or it
    cannot be read.

    The card inside the archive is the one saved with that very model; the ``.json``
    beside it is read only for archives without one (models saved by other programs or
    older versions of digitpad).
    """
    card = _archived_card(Path(model_path))
    if card is None:
        try:
            card = json.loads(card_path(model_path).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
    return card if isinstance(card, dict) else {}


def _archived_card(path: Path) -> dict | None:
    """The card inside the archive; None when the archive has none or cannot be opened."""
    try:
        with zipfile.ZipFile(path) as archive:
            entry = archive.getinfo(CARD_ENTRY)
            if entry.file_size > MAX_ENTRY_BYTES[CARD_ENTRY]:
                return {}
            text = archive.read(entry)
    except (KeyError, OSError, zipfile.BadZipFile):
        return None
    try:
        return json.loads(text)
    except ValueError:  # the card is there but damaged: no other card describes this model
        return {}


def save_model(model, path: str | os.PathLike, card: dict) -> Path:
    """Save ``model`` with its ``card`` inside, atomically; returns the model path.

    The card gets ``name``, ``file`` and ``saved`` (UTC, ISO 8601) added, and is written
    into the archive and then beside it as ``NAME.json``. Files get the permissions the
    umask gives new files (0644 under the usual 022). Temporary files left in the folder
    by saves that were killed are removed first.
    """
    path = Path(path)
    if path.suffix != MODEL_SUFFIX:
        raise ModelError(f"{path}: model files must end in {MODEL_SUFFIX}")
    path.parent.mkdir(parents=True, exist_ok=True)
    clean_stale_temp_files(path.parent)
    card = {**card, "name": path.stem, "file": path.name,
            "saved": datetime.now(timezone.utc).isoformat(timespec="seconds")}
    text = json.dumps(card, indent=2, default=_json_default)

    def write_model(tmp: Path) -> None:
        model.save(tmp)
        with zipfile.ZipFile(tmp, "a") as archive:
            archive.writestr(CARD_ENTRY, text)

    _atomic_write(path, write_model)
    _atomic_write(card_path(path), lambda tmp: tmp.write_text(text, encoding="utf-8"))
    return path


def clean_stale_temp_files(folder: str | os.PathLike) -> list[Path]:
    """Remove the temporary files that killed saves left in ``folder``; returns them.

    A file counts as stale when the process that wrote it is no longer running, or, where
    that cannot be told, when it is older than ``STALE_TEMP_SECONDS``. Files of saves in
    progress (in this or another process) are left alone.
    """
    removed = []
    try:
        candidates = [p for p in Path(folder).iterdir() if _TEMP_NAME.match(p.name)]
    except OSError:  # no such folder, or not readable: nothing of ours to clean there
        return removed
    for candidate in candidates:
        pid = int(_TEMP_NAME.match(candidate.name)["pid"])
        try:
            if _process_running(pid) and \
                    time.time() - candidate.stat().st_mtime < STALE_TEMP_SECONDS:
                continue
            candidate.unlink()
            removed.append(candidate)
        except OSError:  # removed meanwhile, or a read-only folder
            pass
    return removed


def _process_running(pid: int) -> bool:
    """Whether process ``pid`` exists; True where that cannot be told."""
    if pid == os.getpid():
        return True
    if os.name != "posix":  # os.kill(pid, 0) would end the process on Windows
        return True
    try:
        os.kill(pid, 0)  # signal 0 only checks that the process exists
    except ProcessLookupError:
        return False
    except OSError:  # e.g. another user's process
        return True
    return True


def _json_default(value):
    if hasattr(value, "item"):  # NumPy scalars
        return value.item()
    raise TypeError(f"cannot store {type(value).__name__} in a model card")


def _atomic_write(target: Path, write) -> None:
    """Call ``write(tmp_path)`` on a temp file beside ``target``, then rename it over."""
    tmp = target.with_name(f".{target.name}.{os.getpid()}-{secrets.token_hex(4)}"
                           f"{target.suffix}")
    # Created with 0666 less the umask, as any new file; a temp file's usual 0600 would
    # leave the saved model unreadable to other users.
    os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
    try:
        write(tmp)
        with open(tmp, "rb+") as handle:
            os.fsync(handle.fileno())
        os.replace(tmp, target)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def list_models(folder: str | os.PathLike) -> list[tuple[Path, dict]]:
    """Model files in ``folder`` with their cards, newest first."""
    folder = Path(folder)
    if not folder.is_dir():
        return []
    found = [p for p in folder.glob(f"*{MODEL_SUFFIX}") if not p.name.startswith(".")]
    found.sort(key=lambda p: p.stat().st_mtime, reverse=True)
    return [(p, load_card(p)) for p in found]
