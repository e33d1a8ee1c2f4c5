"""Test data: where the real data sets are, and small synthetic data made by the tests."""

from __future__ import annotations

import gzip
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from digitpad.core.data import (DATA_ENV_VAR, IMAGES_MAGIC, LABELS_MAGIC, MNIST_FILES, Mnist,
                                Split, find_mnist_folder)

# Set to 1 (as CI does) to make a missing data set fail the tests that need it.
REQUIRE_DATA_ENV_VAR = "DIGITPAD_REQUIRE_DATA"
# A checkout's sibling ``shared/data`` folder, used when the variables are unset.
SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


@dataclass(frozen=True)
class RealData:
    """A third-party data set some tests and benchmarks need, and how to point at it."""

    what: str          # as the skip message names it
    env_var: str
    default: Path
    locate: object     # folder -> the folder with the files in it, or None

    def find(self) -> Path | str:
        """The folder holding the data set, or one line saying what to set."""
        value = os.environ.get(self.env_var)
        folder = Path(value).expanduser() if value else self.default
        found = self.locate(folder) if folder.is_dir() else None
        if found is not None:
            return found
        problem = f" ({self.env_var}={value} does not hold it)" if value else ""
        return f"needs {self.what}: set {self.env_var}=DIR{problem}"


MNIST_DATA = RealData("MNIST", DATA_ENV_VAR, SHARED_DATA / "mnist", find_mnist_folder)
DRAWN_DATA = RealData("drawn digits", "DIGITPAD_DRAWN", SHARED_DATA / "drawn-dev",
                      lambda folder: folder if (folder / "touch_strokes.json").is_file()
                      else None)


def idx_bytes(array: np.ndarray, magic: int) -> bytes:
    header = magic.to_bytes(4, "big") + b"".join(n.to_bytes(4, "big") for n in array.shape)
    return header + np.ascontiguousarray(array, dtype=np.uint8).tobytes()


def synthetic_split(n: int, seed: int = 0) -> Split:
    """Easy, learnable 28x28 images: digit k is a bright bar in row band k, plus noise."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 10, n).astype(np.uint8)
    images = rng.integers(0, 40, (n, 28, 28)).astype(np.uint8)
    for i, label in enumerate(labels):
        top = 3 + 2 * int(label)
        images[i, top:top + 2, 4:24] = 255
    return Split(images, labels)


def synthetic_mnist(n_train: int = 600, n_test: int = 200, folder: Path = Path(".")) -> Mnist:
    return Mnist(synthetic_split(n_train, 1), synthetic_split(n_test, 2), folder)


def write_mnist_folder(folder: Path, data: Mnist, gz: bool = True) -> Path:
    """Write ``data`` as the four IDX files (gzip or raw) into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    arrays = {"train_images": (data.train.images, IMAGES_MAGIC),
              "train_labels": (data.train.labels, LABELS_MAGIC),
              "test_images": (data.test.images, IMAGES_MAGIC),
              "test_labels": (data.test.labels, LABELS_MAGIC)}
    for key, (array, magic) in arrays.items():
        name = MNIST_FILES[key][0]
        raw = idx_bytes(array, magic)
        if gz:
            (folder / name).write_bytes(gzip.compress(raw))
        else:
            (folder / name.removesuffix(".gz")).write_bytes(raw)
    return folder


def as_unprivileged(command: list[str]) -> list[str] | None:
    """``command`` run so that file permissions apply to it: as it is for a normal user;
    for root (which ignores them) under ``capsh`` without the capabilities that bypass
    them; None where neither is possible."""
    if os.geteuid() != 0:
        return command
    capsh = shutil.which("capsh")
    if capsh is None:
        return None
    return [capsh, "--drop=cap_dac_override,cap_dac_read_search", "--",
            "-c", 'exec "$@"', "capsh", *command]


def run_python_with_folder_locked(folder: Path, *python_args: str,
                                  timeout: float = 60) -> subprocess.CompletedProcess:
    """Run ``python *python_args`` in the checkout, in a child process, while ``folder`` has
    mode 000, with real permissions (see :func:`as_unprivileged`); skips the test where
    they cannot apply."""
    command = as_unprivileged([sys.executable, *python_args])
    if command is None:
        pytest.skip("runs as root without capsh: permissions cannot be made to apply")
    folder.chmod(0)
    try:
        return subprocess.run(command, capture_output=True, text=True, timeout=timeout,
                              cwd=Path(__file__).resolve().parents[1])
    finally:
        folder.chmod(0o755)


def make_unsearchable(monkeypatch, folder: Path) -> None:
    """Make ``os.stat`` of anything inside ``folder`` fail as in a mode-000 folder: the
    same error as a real one, for tests that run as root (which ignores permissions)."""
    real_stat = os.stat

    def stat(path, *args, **kwargs):
        if Path(os.fspath(path)).is_relative_to(folder) and Path(os.fspath(path)) != folder:
            raise PermissionError(13, "Permission denied", os.fspath(path))
        return real_stat(path, *args, **kwargs)
    monkeypatch.setattr(os, "stat", stat)
