"""Model files: atomic saving with a JSON model card, safe loading, listing.

A model is ``NAME.keras``; its card is stored inside the archive (``digitpad_card.json``,
an entry Keras ignores) and, for people to read, as ``NAME.json`` beside it. Saving writes
a temporary file in the same folder and renames it over the target, so a crash or a stop
mid-save never leaves a half-written model where the previous one was, and since the card
travels inside the model file, a model is never paired with another model's card. A save
killed midway leaves its temporary file behind; the next save in that folder (and the app,
when it loads a model from it) removes temporary files whose writer is gone (see
``core.atomic_files``). Reading a model file is ``core.model_file``'s: once per load.
"""

from __future__ import annotations

import json
import os
import zipfile
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterable, NamedTuple

import numpy as np

from digitpad import paths
from digitpad.core.atomic_files import atomic_write, clean_stale_temp_files, write_bytes_atomically
from digitpad.core.errors import CardNotWritten, ModelError, first_line
from digitpad.core.model_file import (CARD_ENTRY, MODEL_SUFFIX, ModelFile, read_card,
                                      read_model_file)

DEFAULT_MODEL_NAME = "default"


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
    return load_model_from(read_model_file(path))


def load_model_from(model_file: ModelFile):
    """:func:`load_model` for a file already read (``core.model_file``): the model is the
    one whose bytes were read, whatever the file on disk holds by now, so it goes with
    ``model_file.card``."""
    import tempfile

    path = model_file.path
    _check_weights_self_contained(model_file)
    import keras  # deferred: TensorFlow's import is slow and the GUI does it off-thread

    try:
        # Keras reads files by name: it gets a private copy of the very bytes checked, so
        # another program replacing the file meanwhile cannot give it another model.
        with tempfile.TemporaryDirectory(prefix="digitpad-load-") as folder:
            copy = Path(folder) / f"model{MODEL_SUFFIX}"
            copy.write_bytes(model_file.data)
            model = keras.saving.load_model(copy, compile=False, safe_mode=True)
    except Exception as exc:  # Keras raises many types for corrupt or unsafe archives
        raise ModelError(f"{path}: cannot load the model ({first_line(exc)})") from None
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


def _check_weights_self_contained(model_file: ModelFile) -> None:
    """ModelError if the archive's weights would make Keras read other files (HDF5
    external storage, virtual datasets, external links): see ``core.weights_file``."""
    import io

    import h5py

    from digitpad.core.weights_file import check_self_contained

    try:
        weights = model_file.entry("model.weights.h5")
        with h5py.File(io.BytesIO(weights), "r") as h5:
            check_self_contained(h5)
    except KeyError:
        return  # no weights file: Keras says what is missing
    except ModelError as exc:
        raise ModelError(f"{model_file.path}: {exc}") from None
    except OSError as exc:  # not HDF5 at all
        raise ModelError(f"{model_file.path}: not a readable Keras model file "
                         f"({first_line(exc)})") from None


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


def card_accuracy(card: dict, key: str = "test_accuracy") -> float | None:
    """The accuracy a card claims under ``key``, a number in [0, 1]; None when it is
    missing or not such a number (NaN, text, 1.7...), which would show as "nan%"."""
    value = card.get(key) if isinstance(card, dict) else None
    if isinstance(value, (int, float)) and not isinstance(value, bool) and 0 <= value <= 1:
        return float(value)  # NaN fails the comparison above
    return None


def load_card(model_path: str | os.PathLike) -> dict:
    """The card of the model in ``model_path``, or an empty dict when it has none or it
    cannot be read.

    The card inside the archive is the one saved with that very model; the ``.json``
    beside it is read only for archives without one (models saved by other programs or
    older versions of digitpad). A load that needs the model and its card together takes
    both from one read (``core.model_file.read_model_file``); ``read_card`` also says why
    a card could not be read.
    """
    return read_card(model_path)[0]


def save_model(model, path: str | os.PathLike, card: dict) -> Path:
    """Save ``model`` with its ``card`` inside, atomically; returns the model path.

    The card gets ``name``, ``file`` and ``saved`` (UTC, ISO 8601) added, and is written
    into the archive and then beside it as ``NAME.json`` (see :func:`stamp_card`). Files
    get the permissions the umask gives new files (0644 under the usual 022). Temporary
    files that ended saves left in the folder are removed first.

    Raises
    ------
    OSError
        The model could not be written; the previous file at ``path`` is unchanged.
    CardNotWritten
        The model was saved (with its card inside) but ``NAME.json`` could not be written.
    """
    path = Path(path)
    if path.suffix != MODEL_SUFFIX:
        raise ModelError(f"{path}: model files must end in {MODEL_SUFFIX}")
    path.parent.mkdir(parents=True, exist_ok=True)
    clean_stale_temp_files(path.parent)
    text = json.dumps(stamp_card(card, path), indent=2, default=_json_default)
    with atomic_write(path) as handle:
        model.save(handle.name)  # Keras writes by name, into the file this handle holds
        handle.seek(0, os.SEEK_END)
        if not handle.tell():
            raise ModelError(f"{path}: the model wrote nothing; nothing was saved")
        # The card goes into this very file, through its handle: never into another one.
        with zipfile.ZipFile(handle, "a") as archive:
            archive.writestr(CARD_ENTRY, text)
    _write_card_beside(path, text)
    return path


def keep_unsaved(model, name: str, card: dict) -> Path:
    """Save ``model`` with ``card`` as ``name`` in a new private folder of the system's
    temporary space, for a model that could not be saved where it belonged: the user can
    still save it elsewhere (:func:`save_copy`). Returns its path; OSError if even that
    fails."""
    import tempfile

    folder = Path(tempfile.mkdtemp(prefix="digitpad-unsaved-"))
    try:
        return save_model(model, folder / name, card)
    except CardNotWritten:  # the card is inside the model: that is all a copy needs
        return folder / name


def discard_unsaved(path: str | os.PathLike) -> None:
    """Remove a model :func:`keep_unsaved` kept, once it is saved elsewhere: the file, its
    card and their folder (only if nothing else is in it)."""
    path = Path(path)
    for leftover in (path, card_path(path)):
        leftover.unlink(missing_ok=True)
    try:
        path.parent.rmdir()
    except OSError:  # not empty, or gone: not ours to remove
        pass


def save_copy(source: str | os.PathLike, target: str | os.PathLike) -> dict:
    """Save the model file ``source`` as ``target`` (a ``.keras`` path), its card renamed
    for its new place (:func:`stamp_card`); atomically, as :func:`save_model`. Returns the
    card as saved.

    Raises
    ------
    ModelError
        ``source`` is not a readable model file, or ``target`` does not end in ``.keras``.
    OSError
        ``target`` cannot be written.
    CardNotWritten
        The copy was saved (with its card inside) but the card beside it was not.
    """
    target = Path(target)
    if target.suffix != MODEL_SUFFIX:
        raise ModelError(f"{target}: model files must end in {MODEL_SUFFIX}")
    model_file = read_model_file(source)  # one read: the entries and the card agree
    card = stamp_card(model_file.card, target)
    text = json.dumps(card, indent=2, default=_json_default)
    target.parent.mkdir(parents=True, exist_ok=True)
    with atomic_write(target) as handle:
        with zipfile.ZipFile(handle, "w", zipfile.ZIP_DEFLATED) as copy:
            for name in model_file.names():
                if name != CARD_ENTRY:
                    copy.writestr(name, model_file.entry(name))
            copy.writestr(CARD_ENTRY, text)
    _write_card_beside(target, text)
    return card


def _write_card_beside(path: Path, text: str) -> None:
    """The copy of a saved model's card beside it, for people to read."""
    try:
        write_bytes_atomically(card_path(path), text.encode("utf-8"))
    except OSError as exc:
        raise CardNotWritten(f"{path} was saved with its card inside, but the copy of the "
                             f"card beside it, {card_path(path).name}, could not be written "
                             f"({exc.strerror or exc})") from None


def stamp_card(card: dict, path: str | os.PathLike) -> dict:
    """``card`` as :func:`save_model` stores it for ``path``: with the model's ``name`` and
    ``file``, and the time it was ``saved`` (now, unless the card says already)."""
    path = Path(path)
    return {"saved": datetime.now(timezone.utc).isoformat(timespec="seconds"), **card,
            "name": path.stem, "file": path.name}


def reserve_model_path(folder: str | os.PathLike, stem: str) -> Path:
    """A new model file name in ``folder`` (``STEM.keras``, else ``STEM-2.keras``...),
    reserved by creating it empty, exclusively: two runs, in this process or another
    one sharing the folder, never get the same name. :func:`save_model` replaces the
    empty file; :func:`release_model_path` removes it when nothing was saved.

    Raises
    ------
    OSError
        The folder cannot be created or written (read-only, full, not a folder...).
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for n in range(1, 10_000):
        path = folder / (f"{stem}{MODEL_SUFFIX}" if n == 1 else f"{stem}-{n}{MODEL_SUFFIX}")
        try:
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
        except FileExistsError:
            continue
        return path
    raise OSError(f"{folder}: no free file name for {stem}{MODEL_SUFFIX}")


def release_model_path(path: str | os.PathLike) -> None:
    """Remove a name :func:`reserve_model_path` reserved, if nothing was saved there."""
    try:
        if Path(path).stat().st_size == 0:
            Path(path).unlink()
    except OSError:  # gone already, or saved meanwhile (not empty): nothing to undo
        pass


def _json_default(value):
    if hasattr(value, "item"):  # NumPy scalars
        return value.item()
    raise TypeError(f"cannot store {type(value).__name__} in a model card")


class SavedModel(NamedTuple):
    """A model file found in a folder: its card, or why the card could not be read."""

    path: Path
    card: dict
    problem: str | None  # None when the card was read (or the model has none)
    modified: float      # the file's modification time (seconds since the epoch)


def list_models(folder: str | os.PathLike) -> list[SavedModel]:
    """Model files in ``folder`` with their cards, newest first (not the empty files that
    reserve the names of runs in progress).

    Every other ``.keras`` file is listed, unreadable ones too (with their problem): a
    model that cannot be opened should be seen, not silently missing.
    """
    folder = Path(folder)
    try:
        candidates = [p for p in folder.glob(f"*{MODEL_SUFFIX}")
                      if not p.name.startswith(".") and _size(p)]
    except OSError:
        return []
    found = []
    for path in candidates:
        try:
            modified = path.stat().st_mtime
        except OSError:  # removed meanwhile
            continue
        found.append(SavedModel(path, *read_card(path), modified))
    found.sort(key=lambda model: model.modified, reverse=True)
    return found


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0
