"""Model files: atomic saving with a JSON model card, safe loading, listing.

A model is ``NAME.keras`` with its card ``NAME.json`` beside it. Saving writes a temporary
file in the same folder and renames it over the target, so a crash or a stop mid-save never
leaves a half-written model where the previous one was.
"""

from __future__ import annotations

import json
import os
import tempfile
import zipfile
from datetime import datetime, timezone
from pathlib import Path

from digitpad import paths

MODEL_SUFFIX = ".keras"
DEFAULT_MODEL_NAME = "default"


class ModelError(Exception):
    """A model file is missing, corrupt, unsafe or not a digit classifier; says which and why."""


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
    return model


def check_model_archive(path: Path) -> None:
    """Raise ModelError unless ``path`` is an existing ``.keras`` archive."""
    if not path.is_file():
        raise ModelError(f"{path}: model file not found")
    if path.suffix != MODEL_SUFFIX or not zipfile.is_zipfile(path):
        raise ModelError(f"{path}: not a Keras model file (expected a {MODEL_SUFFIX} archive)")


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
    """The model's card, or an empty dict when it has none or it cannot be read."""
    try:
        card = json.loads(card_path(model_path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return card if isinstance(card, dict) else {}


def save_model(model, path: str | os.PathLike, card: dict) -> Path:
    """Save ``model`` and its ``card`` atomically; returns the model path.

    The card gets ``name``, ``file`` and ``saved`` (UTC, ISO 8601) added. The model is
    renamed into place first and the card second, so a model is never paired with the
    card of the model it replaced for longer than one rename.
    """
    path = Path(path)
    if path.suffix != MODEL_SUFFIX:
        raise ModelError(f"{path}: model files must end in {MODEL_SUFFIX}")
    path.parent.mkdir(parents=True, exist_ok=True)
    card = {**card, "name": path.stem, "file": path.name,
            "saved": datetime.now(timezone.utc).isoformat(timespec="seconds")}
    _atomic_write(path, lambda tmp: model.save(tmp))
    _atomic_write(card_path(path),
                  lambda tmp: Path(tmp).write_text(json.dumps(card, indent=2, default=_json_default),
                                                   encoding="utf-8"))
    return path


def _json_default(value):
    if hasattr(value, "item"):  # NumPy scalars
        return value.item()
    raise TypeError(f"cannot store {type(value).__name__} in a model card")


def _atomic_write(target: Path, write) -> None:
    """Call ``write(tmp_path)`` on a temp file beside ``target``, then rename it over."""
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.stem}.", suffix=target.suffix)
    os.close(fd)
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
