"""Fast prediction: a NumPy forward pass of a digit model, no TensorFlow needed.

``model.predict`` builds a data pipeline on every call (~50 ms for one image) and importing
TensorFlow takes seconds. :class:`Predictor` instead reads a model's layers and weights once,
folds batch normalisation into a linear layer before it (after an activation it stays a
step of its own), and runs the network with NumPy and BLAS: well under a millisecond per
drawing, and the app can predict before TensorFlow has even been imported. It reads either a
Keras model in memory or a ``.keras`` file directly (its JSON config and HDF5 weights;
nothing in the file is ever executed).

Whole sets (the Errors tab's 10,000 test images) are throughput-bound rather than
latency-bound. Their batches are spread over one thread per core, with BLAS kept to one
thread each while they run: copying image patches is then parallel too, not only the
matrix products. (That limit is process-wide while a set runs: OpenBLAS has no per-thread
setting, and BLAS pools under each of these threads were many times slower.) Once
TensorFlow is loaded (in a training process), sets of ``GRAPH_MIN_IMAGES`` or more run the
same weights through Keras's compiled graph instead, which is a little faster still;
importing TensorFlow only for that would cost more than it saves.

The work is split three ways: ``core.keras_archive`` reads a ``.keras`` file,
``core.numpy_layers`` turns its layers into NumPy operations (and says which layers are
supported), and this module's :class:`Predictor` runs them, one image or whole sets.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Callable, Iterator

import numpy as np

from digitpad.core.errors import ModelError, first_line
from digitpad.core.keras_archive import keras_model, read_archive
from digitpad.core.numpy_layers import (IMAGE_SHAPE, Op, chain, compile_layers, ends_in_softmax,
                                        softmax)
from digitpad.core.model_file import read_model_file
from digitpad.core.registry import check_finite_weights
from digitpad.core.verdict import Thresholds, Verdict, decide

NUM_CLASSES = 10
OUTPUTS = (NUM_CLASSES, NUM_CLASSES + 1)  # digits, and optionally "not a digit" last
BATCH_SIZE = 32  # keeps each layer's patch matrix inside the CPU caches
PARALLEL_MIN_IMAGES = 4 * BATCH_SIZE  # from here on batches are spread over the cores
GRAPH_MIN_IMAGES = 512  # from here on Keras's compiled graph is faster than NumPy
GRAPH_BATCH_SIZE = 1000  # bounds the graph's activation memory for large sets
INPUT_TOLERANCE = 1e-3  # how far outside [0, 1] an input value may stray (rounding)

log = logging.getLogger(__name__)


class Predictor:
    """Probabilities from a digit model, for one image or many.

    ``Predictor(model)`` takes a Keras model; :meth:`load` reads a ``.keras`` file without
    Keras. Thread-safe: the weights are read-only, so the GUI thread can predict drawings
    while a worker evaluates a whole test set with the same predictor.
    """

    def __init__(self, model):
        source = getattr(model, "name", "model")
        try:
            config = model.get_config()
            by_name = {layer.name: [np.asarray(w) for w in layer.get_weights()]
                       for layer in model.layers}
            weights = [by_name.get(layer["config"]["name"], []) for layer in config["layers"]]
        except (AttributeError, KeyError, TypeError, NotImplementedError):
            raise ModelError(f"{source}: not a Keras Sequential or functional model") from None
        self._init(config, weights, source=source, build_graph=lambda: model)

    @classmethod
    def load(cls, path: str | os.PathLike) -> "Predictor":
        """Read a ``.keras`` file. Raises ModelError if it is missing, corrupt or foreign.

        The file is read once: the weights, :attr:`card` and :attr:`thresholds` all come
        from that read, even when another program replaces the file meanwhile.
        """
        path = Path(path)
        model_file = read_model_file(path)
        serialized, weights = read_archive(model_file)
        predictor = cls.__new__(cls)
        predictor._init(serialized["config"], weights, source=str(path),
                        build_graph=lambda: keras_model(serialized, weights))
        predictor.card = model_file.card
        predictor.thresholds = Thresholds.from_card(model_file.card)
        return predictor

    def _init(self, config: dict, weights: list[list[np.ndarray]], source: str,
              build_graph: Callable[[], object]) -> None:
        """Build the operations from the model's config and each layer's weights."""
        self._source = source
        self.card: dict = {}  # the card read with the model's file (see load)
        self._build_graph = build_graph
        self._graph_model = None
        self._graph_lock = threading.Lock()
        try:
            self._input_shape, layers = chain(config, weights)
            self._layers = layers  # each layer's config and weights, for digitpad.core.explain
            check_finite_weights(((f"layer {layer['config']['name']!r}", w)
                                  for layer, layer_weights in layers for w in layer_weights))
            # Decided by the model's last layer, never by its outputs' values.
            self._outputs_probabilities = ends_in_softmax(layers)
            self._ops = compile_layers(layers)
            output = self._probe()
        except ModelError as exc:
            raise ModelError(f"{source}: {exc}") from None
        except (KeyError, IndexError, TypeError, ValueError) as exc:
            raise ModelError(f"{source}: the model's layers do not fit together "
                             f"({first_line(exc)})") from None
        if output.ndim != 2 or output.shape[1] not in OUTPUTS:
            raise ModelError(f"{source}: not a digit model: it outputs {output.shape[1:]}, "
                             f"digitpad needs 10 class scores (and optionally a "
                             f"not-a-digit one)")
        self.has_not_a_digit = output.shape[1] == NUM_CLASSES + 1
        self.thresholds = Thresholds()

    def predict(self, images: np.ndarray) -> np.ndarray:
        """(n, 28, 28) float images in [0, 1] -> (n, 10) float32 digit probabilities.

        For a model with a "not a digit" class these are the digits' probabilities given
        that the image is a digit (they sum to 1); see :meth:`predict_with_not_a_digit`.
        """
        return self.predict_with_not_a_digit(images)[0]

    def predict_with_not_a_digit(self, images: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(n, 28, 28) images -> digit probabilities (n, 10) and not-a-digit scores (n,).

        The score is the model's probability that the image is no digit at all; 0 for
        models without that class.
        """
        scores = self._scores(images)
        if not self.has_not_a_digit:
            return scores, np.zeros(len(scores), np.float32)
        digits, not_a_digit = scores[:, :NUM_CLASSES], scores[:, NUM_CLASSES]
        total = np.maximum(digits.sum(axis=1, keepdims=True), 1e-12)
        return (digits / total).astype(np.float32), not_a_digit.astype(np.float32)

    def verdict(self, image: np.ndarray, ink_share: float | None = None) -> Verdict:
        """What to tell the user about one model-ready image, by :attr:`thresholds`.

        ``ink_share`` is the drawing's size as a share of the pad, when known.
        """
        return self.read(image, ink_share)[1]

    def read(self, image: np.ndarray,
             ink_share: float | None = None) -> tuple[np.ndarray, Verdict]:
        """One model-ready image's digit probabilities (10,) and its :meth:`verdict`."""
        probabilities, not_a_digit = self.predict_with_not_a_digit(
            np.asarray(image, np.float32)[None])
        return probabilities[0], decide(probabilities[0], float(not_a_digit[0]),
                                        self.thresholds, ink_share)

    def _scores(self, images: np.ndarray) -> np.ndarray:
        """The model's own outputs, (n, 10) or (n, 11) probabilities."""
        images = _checked_images(images)
        if (len(images) >= GRAPH_MIN_IMAGES and "keras" in sys.modules
                and (graph := self._graph()) is not None):
            with self._graph_lock:  # one graph call at a time: Keras builds it on first use
                outputs = _in_chunks(
                    lambda chunk: graph.predict_on_batch(self._model_shaped(chunk)),
                    images, GRAPH_BATCH_SIZE)
            return self._as_probabilities(outputs)
        if not len(images):
            return np.zeros((0, NUM_CLASSES + self.has_not_a_digit), np.float32)
        if len(images) < PARALLEL_MIN_IMAGES:
            return _in_chunks(self._forward, images, BATCH_SIZE)
        return _in_chunks(self._forward, images, BATCH_SIZE, parallel_map)

    def predict_one(self, image: np.ndarray) -> np.ndarray:
        """One (28, 28) image -> (10,) probabilities."""
        image = np.asarray(image, dtype=np.float32)
        if image.shape != IMAGE_SHAPE:
            raise ValueError(f"expected an image of shape (28, 28), got {image.shape}")
        return self.predict(image[None])[0]

    def _graph(self):
        """The Keras model for large batches, built on first use; None if Keras can't run it."""
        with self._graph_lock:
            if self._build_graph is not None:
                build, self._build_graph = self._build_graph, None
                try:
                    self._graph_model = build()
                except Exception as exc:  # NumPy still runs the model: slower, same answers
                    log.warning("%s: predicting large batches with NumPy, Keras cannot run "
                                "the model (%s)", self._source, first_line(exc))
            return self._graph_model

    def _probe(self) -> np.ndarray:
        """Outputs for a blank and a full image, refused unless they are probabilities.

        NaN or infinite weights, or finite ones large enough to overflow, would otherwise
        show as "nan%" on every drawing.
        """
        probe = np.stack([np.zeros(IMAGE_SHAPE, np.float32), np.ones(IMAGE_SHAPE, np.float32)])
        with np.errstate(all="ignore"):  # overflow is what is being looked for
            output = self._forward(probe)
        if output.ndim == 2 and not (np.isfinite(output).all()
                                     and np.allclose(output.sum(axis=1), 1, atol=1e-3)):
            raise ModelError("the model's outputs are not finite probabilities (NaN or "
                             "overflowing weights)")
        return output[:1]

    def _model_shaped(self, images: np.ndarray) -> np.ndarray:
        return images.reshape((len(images),) + self._input_shape)

    def _forward(self, batch: np.ndarray) -> np.ndarray:
        x = self._model_shaped(batch)
        for op in self._ops:
            x = op(x)
        return self._as_probabilities(x)

    def _as_probabilities(self, outputs: np.ndarray) -> np.ndarray:
        """The model's outputs as float32 probabilities: a softmax for models ending in
        logits, whichever path (NumPy or Keras's graph) computed them."""
        outputs = np.asarray(outputs, np.float32)
        return outputs if self._outputs_probabilities else softmax(outputs)


_batch_executor: ThreadPoolExecutor | None = None
_batch_executor_lock = threading.Lock()  # the pool is created once


def parallel_map(function: Callable, items) -> Iterator:
    """``map(function, items)``, spread over a pool of threads, one per core, where BLAS
    runs one thread per call (the app's policy, set in ``digitpad.app``); a plain ``map``
    otherwise, as a BLAS pool under each thread would fight for the same cores (measured:
    many times slower on a busy machine). BLAS's setting is process-wide: never changed
    here."""
    return (_batch_pool().map if _blas_single_threaded() else map)(function, items)


def _blas_single_threaded() -> bool:
    """Whether every BLAS library in this process runs one thread per call."""
    from threadpoolctl import threadpool_info

    return all(info["num_threads"] == 1 for info in threadpool_info()
               if info.get("user_api") == "blas")


def _batch_pool() -> ThreadPoolExecutor:
    """One thread per core for large sets, created on first use."""
    global _batch_executor
    with _batch_executor_lock:
        if _batch_executor is None:
            cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None
            _batch_executor = ThreadPoolExecutor(cores or os.cpu_count() or 1,
                                                 thread_name_prefix="digitpad-predict")
        return _batch_executor


def _in_chunks(function: Op, images: np.ndarray, size: int, spread=map) -> np.ndarray:
    """``function`` applied to ``size`` images at a time, the results joined in order.

    ``spread`` applies it to the chunks: ``map`` here, or a thread pool's ``map``.
    """
    chunks = (images[i:i + size] for i in range(0, len(images), size))
    return np.concatenate(list(spread(function, chunks)))


def _checked_images(images: np.ndarray) -> np.ndarray:
    """``images`` as float32 (n, 28, 28), refused unless finite and within [0, 1].

    Values may stray ``INPUT_TOLERANCE`` outside the range (rounding); 0-255 images, which
    models score as confident nonsense, are refused.
    """
    images = np.asarray(images, dtype=np.float32)
    if images.ndim != 3 or images.shape[1:] != IMAGE_SHAPE:
        raise ValueError(f"expected images of shape (n, 28, 28), got {images.shape}")
    if not images.size:
        return images
    if not np.isfinite(images).all():
        raise ValueError("images contain NaN or infinite values; expected values in [0, 1]")
    low, high = float(images.min()), float(images.max())
    if low < -INPUT_TOLERANCE or high > 1 + INPUT_TOLERANCE:
        raise ValueError(f"images hold values from {low:g} to {high:g}; expected values in "
                         f"[0, 1] (0 background, 1 ink), e.g. 0-255 images divided by 255")
    return images
