"""MNIST: strict IDX reading, locating the data set, and an optional verified download.

Every problem with the data raises :class:`DataError` with a message that names the file
and what is wrong with it, so the CLI and the GUI can show it as it is.
"""

from __future__ import annotations

import gzip
import hashlib
import math
import os
import stat
import tempfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Callable

import numpy as np

from digitpad import paths
from digitpad.core.atomic_files import atomic_write, clean_stale_temp_files
from digitpad.core.errors import DataError, DownloadCancelled

DATA_ENV_VAR = "DIGITPAD_DATA"

IMAGES_MAGIC = 2051  # 0x00000803: unsigned bytes, 3 dimensions
LABELS_MAGIC = 2049  # 0x00000801: unsigned bytes, 1 dimension
IMAGE_SIDE = 28
NUM_CLASSES = 10
READ_PIECE = 1 << 20  # bytes read or decompressed per call; see _read_idx_stream
# Twice MNIST's training images (47 MB), room for QMNIST's 120,000 (94 MB): the most a
# data file can make digitpad allocate, whatever its header claims.
MAX_IDX_BYTES = 100_000_000

# sha256 of the official gzip files, checked after every download.
MNIST_FILES = {
    "train_images": ("train-images-idx3-ubyte.gz",
                     "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609"),
    "train_labels": ("train-labels-idx1-ubyte.gz",
                     "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c"),
    "test_images": ("t10k-images-idx3-ubyte.gz",
                    "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6"),
    "test_labels": ("t10k-labels-idx1-ubyte.gz",
                    "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6"),
}
MIRRORS = (
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
)

ProgressFn = Callable[[str, int, int], None]
"""progress(file_name, bytes_done, bytes_total); bytes_total is 0 when unknown."""


@dataclass(frozen=True)
class Split:
    """Images (n, 28, 28) uint8, white ink on black, and their labels (n,) uint8."""

    images: np.ndarray
    labels: np.ndarray

    def __len__(self) -> int:
        return len(self.labels)


@dataclass(frozen=True)
class Mnist:
    """The four MNIST arrays and the folder they came from."""

    train: Split
    test: Split
    folder: Path

    def checksums(self) -> dict[str, str]:
        """sha256 of each array's bytes, recorded in model cards."""
        def sha256(split) -> str:
            # Fed as buffers, not copied into bytes: a copy of 47 MB would hold Python's lock.
            digest = hashlib.sha256(memoryview(np.ascontiguousarray(split.images)).cast("B"))
            digest.update(memoryview(np.ascontiguousarray(split.labels)).cast("B"))
            return digest.hexdigest()
        return {"train": sha256(self.train), "test": sha256(self.test)}


def read_idx(path: str | os.PathLike, expected_magic: int) -> np.ndarray:
    """Read one IDX file (raw or gzip) into a uint8 array, checking every header field.

    The header is read first; then only the bytes it announces are read (or inflated),
    so a small file claiming or inflating to gigabytes costs no memory. Files announcing
    more than ``MAX_IDX_BYTES`` are refused.

    Raises
    ------
    DataError
        Missing or unreadable file, wrong magic number, bad dimensions, a size above
        ``MAX_IDX_BYTES``, or a size that does not match the header (truncated or with
        trailing bytes).
    """
    path = Path(path)
    try:
        with open(path, "rb") as file:
            if file.read(2) == b"\x1f\x8b":
                file.seek(0)
                with gzip.GzipFile(fileobj=file) as unzipped:
                    return _read_idx_stream(unzipped, path, expected_magic)
            file.seek(0)
            return _read_idx_stream(file, path, expected_magic)
    except FileNotFoundError:
        raise DataError(f"{path}: file not found") from None
    except (OSError, EOFError, gzip.BadGzipFile, zlib.error) as exc:
        raise DataError(f"{path}: cannot read the file ({exc})") from None


def _read_idx_stream(stream: BinaryIO, path: Path, expected_magic: int) -> np.ndarray:
    """The IDX array in ``stream``, reading no more than its header announces plus a byte."""
    head = stream.read(4)
    if len(head) < 4:
        raise DataError(f"{path}: file is too short to hold an IDX header ({len(head)} bytes)")
    magic = int.from_bytes(head, "big")
    if magic != expected_magic:
        kind = "images" if expected_magic == IMAGES_MAGIC else "labels"
        raise DataError(f"{path}: not an MNIST {kind} file (magic number {magic}, "
                        f"expected {expected_magic})")
    ndim = head[3]
    dims = stream.read(4 * ndim)
    if len(dims) < 4 * ndim:
        raise DataError(f"{path}: truncated header")
    shape = tuple(int.from_bytes(dims[4 * i: 4 * i + 4], "big") for i in range(ndim))
    header_size = 4 + 4 * ndim
    body_size = math.prod(shape)  # a Python int: a header cannot overflow it
    expected_bytes = header_size + body_size
    if expected_bytes > MAX_IDX_BYTES:
        raise DataError(f"{path}: header says {shape} ({expected_bytes:,} bytes), more than "
                        f"the {MAX_IDX_BYTES:,} bytes digitpad reads from an IDX file")
    body = bytearray(body_size)
    view = memoryview(body)
    done = 0
    # A piece at a time: one call inflating the training images would hold Python's lock
    # for ~30 ms, freezing the GUI while a worker thread loads them.
    while done < body_size and (got := stream.readinto(view[done:done + READ_PIECE])):
        done += got
    if done < body_size:
        raise DataError(f"{path}: file truncated: header says {shape} "
                        f"({expected_bytes} bytes), file has {header_size + done} bytes")
    if stream.read(1):
        raise DataError(f"{path}: file has trailing bytes: header says {shape} "
                        f"({expected_bytes} bytes), the file holds more")
    array = np.frombuffer(body, dtype=np.uint8).reshape(shape)
    array.flags.writeable = False  # the same for raw and gzip files
    return array


def read_split(images_path: Path, labels_path: Path) -> Split:
    """Read and cross-check one images file and its labels file."""
    images = read_idx(images_path, IMAGES_MAGIC)
    labels = read_idx(labels_path, LABELS_MAGIC)
    if images.shape[1:] != (IMAGE_SIDE, IMAGE_SIDE):
        raise DataError(f"{images_path}: images are {images.shape[1:]}, expected 28x28")
    if len(images) != len(labels):
        raise DataError(f"{labels_path}: {len(labels)} labels for {len(images)} images "
                        f"in {images_path.name}")
    if labels.size and labels.max() >= NUM_CLASSES:
        raise DataError(f"{labels_path}: label {labels.max()} is not a digit 0-9")
    return Split(images, labels)


def _find_file(folder: Path, gz_name: str) -> Path | None:
    """The file ``gz_name`` (or its raw twin) in ``folder``; None if neither is there.

    Raises OSError when the folder cannot be searched (permissions, a symlink loop, an I/O
    error): a folder that is there but unusable is not a folder without MNIST.
    """
    for name in (gz_name, gz_name.removesuffix(".gz")):
        try:
            if stat.S_ISREG(os.stat(folder / name).st_mode):
                return folder / name
        except (FileNotFoundError, NotADirectoryError):
            continue
    return None


def _locate(folder: Path) -> Path | None:
    """``folder`` or its ``mnist/`` child holding all four files; OSError if unsearchable."""
    for candidate in (folder, folder / "mnist"):
        if all(_find_file(candidate, name) for name, _ in MNIST_FILES.values()):
            return candidate
    return None


def find_mnist_folder(folder: Path) -> Path | None:
    """``folder`` itself or its ``mnist/`` child, whichever holds all four files; None when
    neither does or ``folder`` cannot be searched (:func:`unusable_reason` says why)."""
    try:
        return _locate(Path(folder))
    except OSError:
        return None


def unusable_reason(folder: Path) -> str | None:
    """Why ``folder`` cannot be searched for MNIST ("Permission denied"...), or None."""
    try:
        _locate(Path(folder))
    except OSError as exc:
        return exc.strerror or str(exc)
    return None


def require_mnist_folder(folder: str | os.PathLike) -> Path:
    """``folder`` or its ``mnist/`` child holding the four files.

    Raises
    ------
    DataError
        Neither holds them, or the folder cannot be searched ("not usable", and why).
    """
    folder = Path(folder).expanduser()
    try:
        found = _locate(folder)
    except OSError as exc:
        raise DataError(f"{folder}: not usable: {exc.strerror or exc}") from None
    if found is None:
        raise DataError(f"{folder}: MNIST files not found there (expected "
                        f"{expected_files()}, gzip or raw)")
    return found


def candidate_folders(explicit: str | os.PathLike | None = None) -> list[Path]:
    """Folders searched for MNIST, in order: explicit path, $DIGITPAD_DATA, user data folder."""
    folders = []
    if explicit:
        folders.append(Path(explicit).expanduser())
    if os.environ.get(DATA_ENV_VAR):
        folders.append(Path(os.environ[DATA_ENV_VAR]).expanduser())
    folders.append(paths.user_mnist_dir())
    return folders


def load_mnist(folder: str | os.PathLike | None = None, *, download: bool = True,
               progress: ProgressFn | None = None) -> Mnist:
    """Find, validate and load MNIST.

    Looks in ``folder``, then ``$DIGITPAD_DATA``, then the user data folder. When none holds
    the data and ``download`` is true, downloads it into the user data folder, verifying
    sha256 checksums. An explicit ``folder`` that lacks the files is an error by itself.
    """
    folders = candidate_folders(folder)
    if folder is not None:
        return _load_folder(require_mnist_folder(folder))
    for candidate in folders:
        found = find_mnist_folder(candidate)
        if found is not None:
            return _load_folder(found)
    if download:
        try:
            download_mnist(paths.user_mnist_dir(), progress=progress)
        except DataError as exc:
            raise DataError(f"{not_found_message(folders)}\nDownload failed: {exc}") from None
        return _load_folder(paths.user_mnist_dir())
    raise DataError(not_found_message(folders))


def load_mnist_test(folder: str | os.PathLike | None = None) -> Split:
    """Only MNIST's test split (a sixth of the work of :func:`load_mnist`), found as
    :func:`load_mnist` finds it; never downloads."""
    if folder is not None:
        found = require_mnist_folder(folder)
    else:
        folders = candidate_folders(None)
        found = next((f for f in map(find_mnist_folder, folders) if f is not None), None)
        if found is None:
            raise DataError(not_found_message(folders))
    return read_split(_find_file(found, MNIST_FILES["test_images"][0]),
                      _find_file(found, MNIST_FILES["test_labels"][0]))


def not_found_message(folders: list[Path]) -> str:
    """Why MNIST could not be found: the folders searched (unusable ones say why) and the
    files wanted, in its first line (the line a window shows); how to point digitpad at a
    folder after it."""
    def named(folder: Path) -> str:
        reason = unusable_reason(folder)
        return f"{folder}" + (f" (not usable: {reason})" if reason else "")
    looked = "; ".join(named(f) for f in folders)
    return (f"MNIST was not found in {looked} (nor in a mnist/ folder in any of them). "
            f"A folder needs the four files {expected_files()}, gzip or raw.\n"
            f"Point digitpad at a folder holding them with --data DIR or the "
            f"{DATA_ENV_VAR} environment variable.")


def expected_files() -> str:
    """The four MNIST file names, as a list in words."""
    names = [name for name, _ in MNIST_FILES.values()]
    return ", ".join(names[:-1]) + " and " + names[-1]


def _load_folder(folder: Path) -> Mnist:
    def file(key: str) -> Path:
        return _find_file(folder, MNIST_FILES[key][0])

    return Mnist(train=read_split(file("train_images"), file("train_labels")),
                 test=read_split(file("test_images"), file("test_labels")),
                 folder=folder)


def download_mnist(dest: Path, *, progress: ProgressFn | None = None,
                   mirrors: tuple[str, ...] | None = None, timeout: float = 30.0,
                   stop=None) -> None:
    """Download the four files into ``dest``, each verified by sha256 before it is kept.

    ``stop`` (anything with ``is_set()``) is checked between reads: once it is set, the
    download ends within one read (``timeout`` at most, however slow the server) and
    raises :class:`DownloadCancelled`, keeping only files already verified.

    Raises
    ------
    DataError
        A file could not be downloaded from any mirror. The first line of the message is
        plain words ("No internet connection: ..." when no mirror could be reached at all);
        the lines after it give each mirror's error. Folders this call created are removed
        again when they are still empty.
    """
    mirrors = mirrors or MIRRORS
    dest = Path(dest)
    created = [folder for folder in (dest, *dest.parents) if not folder.exists()]
    try:
        dest.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DataError(f"Cannot create the folder for MNIST: {dest} "
                        f"({exc.strerror or exc}).") from None
    clean_stale_temp_files(dest)  # downloads that were killed midway
    try:
        _check_writable(dest)
        for name, sha256 in MNIST_FILES.values():
            if not ((dest / name).is_file() and _sha256(dest / name) == sha256):
                _download_from_a_mirror(name, dest / name, sha256, mirrors, progress, timeout,
                                        stop)
    except DataError:
        for folder in created:  # deepest first; a folder holding a verified file stays
            try:
                folder.rmdir()
            except OSError:
                break
        raise


def _check_writable(folder: Path) -> None:
    """DataError unless files can be created in ``folder``: said before any download."""
    try:
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as exc:
        raise DataError(f"Cannot write MNIST into {folder} ({exc.strerror or exc}).") from None


def _download_from_a_mirror(name: str, target: Path, sha256: str, mirrors: tuple[str, ...],
                            progress: ProgressFn | None, timeout: float, stop) -> None:
    from urllib.error import HTTPError, URLError

    failures = []
    for mirror in mirrors:
        try:
            _download_verified(mirror + name, target, sha256, progress, timeout, stop)
            return
        except DownloadCancelled:
            raise
        except (OSError, DataError) as exc:
            failures.append((mirror, exc))
    # An HTTP error or a bad file means a server answered, a local error (a full disk)
    # that the network is not to blame; a failed connection or a timeout, that none did.
    unreachable = all(isinstance(exc, (URLError, TimeoutError, ConnectionError))
                      and not isinstance(exc, HTTPError) for _, exc in failures)
    summary = ("No internet connection: could not download MNIST." if unreachable
               else f"Could not download MNIST ({name}).")
    raise DataError(summary + "".join(f"\n  {mirror}{name}: {exc}" for mirror, exc in failures))


def _download_verified(url: str, target: Path, sha256: str, progress: ProgressFn | None,
                       timeout: float, stop=None) -> None:
    import urllib.request  # here: only downloads need it, and the app starts faster without

    def check_stop():
        if stop is not None and stop.is_set():
            raise DownloadCancelled("the download was cancelled")

    check_stop()
    digest = hashlib.sha256()
    # A file is kept only once it is complete and verified; else the previous one stays.
    with urllib.request.urlopen(url, timeout=timeout) as response, atomic_write(target) as out:
        total = int(response.headers.get("Content-Length") or 0)
        done = 0
        # read1: what has arrived, at most this much; read() would wait for all of it from
        # a slow server, and the stop flag with it.
        while chunk := response.read1(1 << 16):
            check_stop()
            out.write(chunk)
            digest.update(chunk)
            done += len(chunk)
            if progress:
                progress(target.name, done, total)
        if digest.hexdigest() != sha256:
            raise DataError(f"{url}: checksum mismatch (got {digest.hexdigest()})")


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()
