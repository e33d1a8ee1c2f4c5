"""A ``.keras`` model file read once: checked, then held in memory, whatever the file does next.

The app loads a model while other programs may replace the file (another instance saving
over it, a loop swapping models atomically). Reading the archive's config, its weights and
its card through separate opens could pair one model's weights with another's card, or
fail midway with an error of no particular kind. So a load opens the file once (a regular
file of sane size: a FIFO would block the read, a huge file fill memory), reads all of it,
and takes the config, the weights and the card from those bytes (:func:`read_model_file`).
Only a card is read without the rest (:func:`read_card`, for lists of models), through the
same one open.

Every entry's declared size is checked against ``MAX_ENTRY_BYTES`` before any is read:
Python's zipfile never inflates an entry past its declared size (it reports a bad CRC
instead), so these limits bound what any reader of the archive allocates. Entries zipfile
cannot read (encrypted, compressed with another method than Keras's, a corrupt stream) are
a :class:`ModelError` naming the file, as is any other fault.
"""

from __future__ import annotations

import io
import json
import os
import stat
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

from digitpad.core.errors import ModelError, first_line, reason

MODEL_SUFFIX = ".keras"
CARD_ENTRY = "digitpad_card.json"  # the card's copy inside the model archive
# The most each archive entry may declare: a digit model's weights are a few MB (the
# shipped model's 1.3 MB), so 64 MB is room for 16 million parameters; anything larger is
# no digit model, and reading it could exhaust memory.
MAX_ENTRY_BYTES = {"model.weights.h5": 64 << 20, "config.json": 1 << 20, CARD_ENTRY: 1 << 20}
MAX_OTHER_ENTRY_BYTES = 1 << 20
MAX_ENTRIES = 64
# The whole file: its entries at their limits, stored, plus room for the zip's own headers.
MAX_FILE_BYTES = sum(MAX_ENTRY_BYTES.values()) + 8 * MAX_OTHER_ENTRY_BYTES
MAX_CARD_FILE_BYTES = 1 << 20  # a card beside a model is a few hundred bytes
READABLE_COMPRESSION = (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED)  # what Keras writes
_ENCRYPTED = 0x1  # the zip general-purpose flag of an encrypted entry
# What reading a damaged zip entry raises: bad CRC or header, a corrupt deflate stream, an
# entry ending early, or one zipfile cannot read (encrypted, another compression method).
ZIP_READ_ERRORS = (zipfile.BadZipFile, zlib.error, EOFError, RuntimeError,
                   NotImplementedError, OSError, ValueError)


@dataclass(frozen=True)
class ModelFile:
    """What one read of a ``.keras`` file found: its bytes and the card that goes with them
    (the one inside the archive; for archives without one, the ``NAME.json`` beside it)."""

    path: Path
    data: bytes
    card: dict

    def names(self) -> list[str]:
        """The archive's entries."""
        with zipfile.ZipFile(io.BytesIO(self.data)) as archive:
            return archive.namelist()

    def entry(self, name: str) -> bytes:
        """The archive entry ``name``, inflated (within its checked size).

        Raises
        ------
        KeyError
            The archive has no such entry.
        ModelError
            The entry cannot be read (callers add the file's name).
        """
        try:
            with zipfile.ZipFile(io.BytesIO(self.data)) as archive:
                return archive.read(name)
        except KeyError:
            raise
        except ZIP_READ_ERRORS as exc:
            raise ModelError(f"not a readable Keras model file ({name}: "
                             f"{first_line(exc)})") from None


def read_model_file(path: str | os.PathLike) -> ModelFile:
    """Read the ``.keras`` file ``path`` once, checked; see the module's docstring.

    Raises
    ------
    ModelError
        Missing, not a regular file, too large, not a zip archive, or an entry that is
        encrypted, compressed another way than Keras's or declares more than a digit model
        needs; the message starts with the path.
    """
    path = Path(path)
    if path.suffix != MODEL_SUFFIX:
        raise ModelError(f"{path}: not a Keras model file (expected a {MODEL_SUFFIX} archive)")
    try:
        data = _read_regular_file(path, MAX_FILE_BYTES)
    except FileNotFoundError:
        raise ModelError(f"{path}: model file not found") from None
    except _Unreadable as exc:
        raise ModelError(f"{path}: the model file {exc}") from None
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except ZIP_READ_ERRORS:
        raise ModelError(f"{path}: not a Keras model file (expected a {MODEL_SUFFIX} "
                         f"archive)") from None
    with archive:
        _check_entries(archive.infolist(), path)
        card, _ = _card_in(archive, path)
    return ModelFile(path, data, card)


def read_card(path: str | os.PathLike) -> tuple[dict, str | None]:
    """``(card, problem)`` for the model file ``path``, reading only the archive's
    directory and its card entry (else the card file beside it).

    ``problem`` says in words why no card could be read (a file that is no model archive,
    a damaged, unreadable or oversized card); it is None when the card was read, and when
    the model simply has none (``card`` is then empty).
    """
    path = Path(path)
    try:
        file = _open_regular(path)
    except FileNotFoundError as exc:
        return {}, f"not a readable model file ({exc.strerror})"
    except _Unreadable as exc:
        return {}, f"not a readable model file (it {exc})"
    with file:
        try:
            archive = zipfile.ZipFile(file)
        except ZIP_READ_ERRORS as exc:
            return {}, f"not a readable model file ({reason(exc)})"
        with archive:
            return _card_in(archive, path)


def _card_in(archive: zipfile.ZipFile, path: Path) -> tuple[dict, str | None]:
    """``(card, problem)``: the card inside ``archive``, else the one beside ``path``."""
    try:
        entry = archive.getinfo(CARD_ENTRY)
    except KeyError:  # no card inside: the one beside it, if any
        return _card_beside(path)
    if entry.file_size > MAX_ENTRY_BYTES[CARD_ENTRY]:
        return {}, f"its card is over {MAX_ENTRY_BYTES[CARD_ENTRY] >> 20} MB"
    try:
        text = archive.read(entry)
    except ZIP_READ_ERRORS:  # the card is there but unreadable: none other describes it
        return {}, "its card cannot be read (the archive is damaged)"
    return _parsed_card(text)


def _card_beside(model_path: Path) -> tuple[dict, str | None]:
    card_file = model_path.with_suffix(".json")
    card, problem = _read_card_file(card_file)
    if problem is not None:
        return {}, f"its card {card_file.name} {problem}"
    return card or {}, None


def _read_card_file(path: Path) -> tuple[dict | None, str | None]:
    """``(card, problem)`` of a card file; ``(None, None)`` when there is none."""
    try:
        text = _read_regular_file(path, MAX_CARD_FILE_BYTES)
    except FileNotFoundError:
        return None, None
    except _Unreadable as exc:
        return None, str(exc)
    card, problem = _parsed_card(text)
    return (None, problem.removeprefix("its card ")) if problem else (card, None)


def _parsed_card(text: bytes) -> tuple[dict, str | None]:
    try:
        card = json.loads(text)
    except (ValueError, RecursionError):  # damaged: no other card describes this model
        return {}, "its card is damaged (not valid JSON)"
    if not isinstance(card, dict):
        return {}, "its card is damaged (not a JSON object)"
    return card, None


class _Unreadable(Exception):
    """Why a file was not read, in a few words ("is not a regular file", "is over 1 MB")."""


def _open_regular(path: Path):
    """``path`` open for reading if it is a regular file; never blocks (FIFOs, devices).

    Raises FileNotFoundError, :class:`_Unreadable` for anything else.
    """
    try:
        # Non-blocking: opening a FIFO for reading would otherwise wait for a writer.
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) |
                     getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0))
    except FileNotFoundError:
        raise
    except OSError as exc:
        raise _Unreadable(f"cannot be read ({exc.strerror or exc})") from None
    file = open(fd, "rb")
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        file.close()
        raise _Unreadable("is not a regular file")
    return file


def _read_regular_file(path: Path, limit: int) -> bytes:
    """All of the regular file ``path``, at most ``limit`` bytes, from one open.

    Raises FileNotFoundError, :class:`_Unreadable` for anything else.
    """
    with _open_regular(path) as file:
        try:
            size = os.fstat(file.fileno()).st_size
            if size > limit:
                raise _Unreadable(f"is over {limit >> 20} MB")
            # What fstat says, and a byte more to see a file written to meanwhile (read()
            # allocates all it is asked for at once: never ask for the limit).
            data = file.read(size + 1)
        except OSError as exc:
            raise _Unreadable(f"cannot be read ({exc.strerror or exc})") from None
    if len(data) > size:
        raise _Unreadable("is being written to; try again once it is saved")
    return data


def _check_entries(entries: list[zipfile.ZipInfo], path: Path) -> None:
    if len(entries) > MAX_ENTRIES:
        raise ModelError(f"{path}: not a digit model: the archive holds {len(entries)} files")
    for entry in entries:
        if entry.flag_bits & _ENCRYPTED:
            raise ModelError(f"{path}: not a readable Keras model file: {entry.filename!r} is "
                             f"encrypted")
        if entry.compress_type not in READABLE_COMPRESSION:
            raise ModelError(f"{path}: not a readable Keras model file: {entry.filename!r} is "
                             f"compressed with method {entry.compress_type} (Keras stores or "
                             f"deflates its entries)")
        limit = MAX_ENTRY_BYTES.get(entry.filename, MAX_OTHER_ENTRY_BYTES)
        if entry.file_size > limit:
            raise ModelError(f"{path}: not a digit model: {entry.filename} would take "
                             f"{entry.file_size:,} bytes, more than the {limit:,} allowed")
