"""Small synthetic data made by the tests themselves (never third-party files)."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np

from digitpad.core.data import IMAGES_MAGIC, LABELS_MAGIC, MNIST_FILES, Mnist, Split

SHARED_MNIST = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "mnist"


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
