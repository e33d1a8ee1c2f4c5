"""Fast prediction: a compiled forward pass instead of ``model.predict``.

``model.predict`` builds a data pipeline on every call (~50 ms for one image); the live pad
needs well under a millisecond, so :class:`Predictor` calls a traced function directly.
This module imports Keras (and so TensorFlow): the GUI imports it off the GUI thread.
"""

from __future__ import annotations

import keras
import numpy as np

IMAGE_SHAPE = (28, 28)
BATCH_SIZE = 1024  # large batches amortise per-call cost; small enough for any memory


class Predictor:
    """Probabilities from a digit model, for one image or many.

    Thread-safe: the GUI thread predicts single drawings while a worker thread may be
    evaluating a whole test set with the same predictor.
    """

    def __init__(self, model):
        self.model = model
        self._input_shape = tuple(model.inputs[0].shape[1:])
        self._forward = _compile(model)

    def predict(self, images: np.ndarray) -> np.ndarray:
        """(n, 28, 28) float images in [0, 1] -> (n, 10) float32 probabilities."""
        images = np.asarray(images, dtype=np.float32)
        if images.ndim != 3 or images.shape[1:] != IMAGE_SHAPE:
            raise ValueError(f"expected images of shape (n, 28, 28), got {images.shape}")
        if not np.isfinite(images).all():
            raise ValueError("images contain NaN or infinite values")
        chunks = [self._run(images[i:i + BATCH_SIZE]) for i in range(0, len(images), BATCH_SIZE)]
        return np.concatenate(chunks) if chunks else np.zeros((0, 10), np.float32)

    def predict_one(self, image: np.ndarray) -> np.ndarray:
        """One (28, 28) image -> (10,) probabilities."""
        image = np.asarray(image, dtype=np.float32)
        if image.shape != IMAGE_SHAPE:
            raise ValueError(f"expected an image of shape (28, 28), got {image.shape}")
        return self.predict(image[None])[0]

    def _run(self, batch: np.ndarray) -> np.ndarray:
        outputs = np.asarray(self._forward(batch.reshape((len(batch),) + self._input_shape)))
        return _as_probabilities(outputs.astype(np.float32))


def _compile(model):
    """A traced inference function for the active backend (falls back to predict_on_batch)."""
    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        signature = [tf.TensorSpec((None,) + tuple(model.inputs[0].shape[1:]), tf.float32)]
        return tf.function(lambda x: model(x, training=False), input_signature=signature,
                           reduce_retracing=True)
    return model.predict_on_batch


def _as_probabilities(outputs: np.ndarray) -> np.ndarray:
    """Models ending in logits rather than softmax are normalised here."""
    if outputs.size and ((outputs < 0).any() or not np.allclose(outputs.sum(axis=1), 1, atol=1e-3)):
        shifted = np.exp(outputs - outputs.max(axis=1, keepdims=True))
        return shifted / shifted.sum(axis=1, keepdims=True)
    return outputs
