"""A map of a test set: each image placed in 2-D by what the model's penultimate layer
makes of it, so that images the model sees alike lie close together.

Two layouts: :func:`pca_layout`, a linear projection that takes milliseconds, for the first
view; and :func:`tsne_layout` (openTSNE's FFT-accelerated t-SNE), which keeps neighbours
together far better and is computed in a process of its own. Measured on the shipped
model's features of the 10,000 MNIST test images (``benchmarks/test_set_map.py``): a
10-nearest-neighbour vote in 2-D recovers the true digit for 85.1% of images with PCA and
99.6% with t-SNE; trustworthiness (k=10) 0.919 against 0.991.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Callable

import numpy as np

from digitpad.core.explain import network, penultimate_step
from digitpad.core.inference import NUM_CLASSES, Predictor, _checked_images, parallel_map

FEATURE_BATCH = 125  # images per forward pass: bounds the first layers' activation memory
FEATURE_GROUP = 4  # batches between two looks at the stop flag, spread over the cores
PLACE_NEIGHBOURS = 10  # test images whose positions place a new image on the map
TSNE_EXAGGERATION_ITERATIONS = 100
TSNE_ITERATIONS = 150


class LayoutCancelled(Exception):
    """The layout was stopped before it finished."""


@dataclass(frozen=True)
class Features:
    """Penultimate-layer features of a set of images and the model's answers for them."""

    values: np.ndarray       # (n, d) float32
    predictions: np.ndarray  # (n,) the best digit for each image


def features(predictor: Predictor, images: np.ndarray, *,
             stop: threading.Event | None = None,
             on_progress: Callable[[int, int], None] | None = None) -> Features:
    """What the model's last layer reads for each of ``images`` ((n, 28, 28) in [0, 1]),
    and its answer, in batches of ``FEATURE_BATCH``.

    ``stop`` is checked between batches (raises :class:`LayoutCancelled`);
    ``on_progress(done, total)`` follows each batch.
    """
    images = _checked_images(images)
    net = network(predictor)
    last = penultimate_step(net)

    def read(batch: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        outputs, _ = net.trace(batch)
        return (outputs[last].reshape(len(batch), -1),
                outputs[-1][:, :NUM_CLASSES].argmax(axis=1))
    values, predictions = [], []
    group = FEATURE_BATCH * FEATURE_GROUP
    for start in range(0, len(images), group):
        if stop is not None and stop.is_set():
            raise LayoutCancelled("stopped")
        part = images[start:start + group]
        batches = [part[i:i + FEATURE_BATCH] for i in range(0, len(part), FEATURE_BATCH)]
        for batch_values, batch_predictions in parallel_map(read, batches):
            values.append(batch_values)
            predictions.append(batch_predictions)
        if on_progress is not None:
            on_progress(min(start + group, len(images)), len(images))
    if not values:
        return Features(np.zeros((0, 0), np.float32), np.zeros(0, np.int64))
    return Features(np.concatenate(values).astype(np.float32), np.concatenate(predictions))


def pca_layout(values: np.ndarray) -> np.ndarray:
    """(n, d) features -> (n, 2) positions on their two main axes, scaled into [-1, 1].

    Through the (d, d) covariance rather than an SVD of the whole matrix: a fraction of the
    time for n much larger than d.
    """
    values = np.asarray(values, np.float64)
    centred = values - values.mean(axis=0)
    _, vectors = np.linalg.eigh(centred.T @ centred)
    return _scaled(centred @ vectors[:, ::-1][:, :2])


def tsne_layout(values: np.ndarray, *, seed: int = 0,
                on_progress: Callable[[int, int], None] | None = None,
                stop: threading.Event | None = None) -> np.ndarray:
    """(n, d) features -> (n, 2) t-SNE positions scaled into [-1, 1] (openTSNE, 2 threads).

    CPU-heavy for seconds: call it outside the window's process. ``on_progress(done,
    total)`` follows the optimisation's iterations; ``stop`` ends it (LayoutCancelled).
    """
    from openTSNE import TSNE

    total = TSNE_EXAGGERATION_ITERATIONS + TSNE_ITERATIONS
    done = [0]

    def callback(iteration, error, embedding):
        done[0] += 25
        if on_progress is not None:
            on_progress(min(done[0], total), total)
        if stop is not None and stop.is_set():
            raise LayoutCancelled("stopped")
        return False

    tsne = TSNE(n_jobs=2, random_state=seed,
                early_exaggeration_iter=TSNE_EXAGGERATION_ITERATIONS, n_iter=TSNE_ITERATIONS,
                callbacks=callback, callbacks_every_iters=25)
    return _scaled(np.asarray(tsne.fit(np.asarray(values, np.float32))))


def place(values: np.ndarray, positions: np.ndarray, new_values: np.ndarray) -> np.ndarray:
    """Where an image with features ``new_values`` (d,) goes on a map: the mean position of
    its ``PLACE_NEIGHBOURS`` nearest images in feature space, closer ones weighing more.

    Works for any layout (t-SNE has no projection for new points).
    """
    values = np.asarray(values, np.float32)
    distances = ((values - np.asarray(new_values, np.float32)) ** 2).sum(axis=1)
    nearest = np.argpartition(distances, min(PLACE_NEIGHBOURS, len(values) - 1))
    nearest = nearest[:PLACE_NEIGHBOURS]
    weights = 1 / (np.sqrt(distances[nearest]) + 1e-6)
    return (positions[nearest] * weights[:, None]).sum(axis=0) / weights.sum()


def _scaled(positions: np.ndarray) -> np.ndarray:
    """Positions centred and scaled so that the farthest coordinate is 1."""
    positions = positions - positions.mean(axis=0)
    extent = float(np.abs(positions).max()) if positions.size else 0.0
    return (positions / extent if extent > 0 else positions).astype(np.float32)
