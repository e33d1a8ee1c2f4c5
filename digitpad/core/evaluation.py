"""Evaluation on a labelled set: predictions, confusion matrix, ranked errors.

Pure NumPy once the probabilities exist; the prediction itself goes through any object
with ``predict_with_not_a_digit(images)`` and ``thresholds`` (``inference.Predictor``).
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass
from functools import cached_property
from typing import Callable

import numpy as np

from digitpad.core.errors import EvaluationCancelled
from digitpad.core.preprocess import to_model_batch

NUM_CLASSES = 10
CHUNK = 1000  # images per progress step
LABEL_ERROR_CONFIDENCE = 0.98  # a confident disagreement with the label is suspicious
SORT_KEYS = ("confidence", "loss", "index")


@dataclass(frozen=True)
class Evaluation:
    """Everything the Errors tab and the CLI report about one model on one labelled set."""

    probabilities: np.ndarray  # (n, 10) float32
    labels: np.ndarray         # (n,) int
    not_a_digit: np.ndarray | None = None  # (n,) the model's not-a-digit scores, if it has them
    not_a_digit_threshold: float = math.inf  # the score from which the verdict rejects
    sure_threshold: float = 0.0  # the confidence below which the verdict is "not sure"
    # Errors as the Draw tab answers: "not sure" and "not a digit" are errors too (the
    # user's own digits, saved because the pad did not read them); else the best guess.
    by_verdict: bool = False

    @cached_property
    def rejected_mask(self) -> np.ndarray:
        """Images the verdict would call "not a digit" (none for models without that class)."""
        if self.not_a_digit is None:
            return np.zeros(len(self.labels), dtype=bool)
        return self.not_a_digit >= self.not_a_digit_threshold

    # Cached: the gallery reads these for every thumbnail it paints.
    @cached_property
    def predictions(self) -> np.ndarray:
        return self.probabilities.argmax(axis=1)

    @cached_property
    def confidence(self) -> np.ndarray:
        """Probability of the predicted class."""
        return self.probabilities.max(axis=1)

    @cached_property
    def loss(self) -> np.ndarray:
        """Per-example cross-entropy: how surprised the model is by the true label."""
        true_probability = self.probabilities[np.arange(len(self.labels)), self.labels]
        return -np.log(np.clip(true_probability, 1e-12, 1.0))

    @cached_property
    def unsure_mask(self) -> np.ndarray:
        """Images the verdict would call "not sure" (and not "not a digit")."""
        return ~self.rejected_mask & (self.confidence < self.sure_threshold)

    @cached_property
    def error_mask(self) -> np.ndarray:
        """Images read wrong: another digit guessed, or with ``by_verdict`` any answer but
        the label."""
        return (self.predictions != self.labels) | ~self.answered_mask

    def answer(self, index: int) -> str:
        """What the Draw tab answers for one image: its digit, "not sure" or "not a digit"."""
        if self.rejected_mask[index]:
            return "not a digit"
        return "not sure" if self.unsure_mask[index] else str(self.predictions[index])

    @property
    def accuracy(self) -> float:
        return 1 - float(np.mean(self.error_mask)) if len(self.labels) else float("nan")

    @property
    def error_count(self) -> int:
        return int(np.count_nonzero(self.error_mask))

    @cached_property
    def answered_mask(self) -> np.ndarray:
        """Images answered with a digit: all of them, or with ``by_verdict`` those the
        verdict answers neither "not sure" nor "not a digit"."""
        if not self.by_verdict:
            return np.ones(len(self.labels), dtype=bool)
        return ~(self.rejected_mask | self.unsure_mask)

    def unanswered(self) -> np.ndarray:
        """(10,) by true digit: images answered "not sure" or "not a digit" (``by_verdict``
        only; else none), which no cell of the confusion matrix counts."""
        return np.bincount(self.labels[~self.answered_mask], minlength=NUM_CLASSES)[:NUM_CLASSES]

    def confusion_matrix(self) -> np.ndarray:
        """(10, 10) counts; rows are true digits, columns predicted digits: the best guess,
        or with ``by_verdict`` the digit answered (see :meth:`unanswered`)."""
        matrix = np.zeros((NUM_CLASSES, NUM_CLASSES), dtype=np.int64)
        answered = self.answered_mask
        np.add.at(matrix, (self.labels[answered], self.predictions[answered]), 1)
        return matrix

    def precision_recall(self) -> tuple[np.ndarray, np.ndarray]:
        """Per-class precision and recall (NaN where a class is never predicted / present).

        Recall is over all the images of a digit, answered or not: with ``by_verdict`` it
        agrees with :attr:`error_mask`.
        """
        matrix = self.confusion_matrix().astype(np.float64)
        correct = np.diag(matrix)
        present = np.bincount(self.labels, minlength=NUM_CLASSES)[:NUM_CLASSES]
        with np.errstate(invalid="ignore", divide="ignore"):
            return correct / matrix.sum(axis=0), correct / present

    @cached_property
    def label_error_mask(self) -> np.ndarray:
        """The model disagrees with the label with at least ``LABEL_ERROR_CONFIDENCE``."""
        return (self.predictions != self.labels) & (self.confidence >= LABEL_ERROR_CONFIDENCE)

    def select(self, *, true: int | None = None, predicted: int | None = None,
               errors_only: bool = True, label_errors_only: bool = False,
               rejected_only: bool = False, sort_by: str = "confidence") -> np.ndarray:
        """Indices matching the filters, sorted (most confident / highest loss first)."""
        mask = np.ones(len(self.labels), dtype=bool)
        if errors_only:
            mask &= self.error_mask
        if label_errors_only:
            mask &= self.label_error_mask
        if rejected_only:
            mask &= self.rejected_mask
        if true is not None:
            mask &= self.labels == true
        if predicted is not None:  # as the confusion matrix counts it
            mask &= (self.predictions == predicted) & self.answered_mask
        indices = np.flatnonzero(mask)
        if sort_by == "confidence":
            return indices[np.argsort(-self.confidence[indices], kind="stable")]
        if sort_by == "loss":
            return indices[np.argsort(-self.loss[indices], kind="stable")]
        if sort_by == "index":
            return indices
        raise ValueError(f"unknown sort key {sort_by!r}; choose from {', '.join(SORT_KEYS)}")

    def top_guesses(self, index: int, k: int = 3) -> list[tuple[int, float]]:
        """The ``k`` most likely digits for one example, with their probabilities."""
        row = self.probabilities[index]
        order = np.argsort(-row)[:k]
        return [(int(d), float(row[d])) for d in order]


def evaluate(predictor, images: np.ndarray, labels: np.ndarray, *,
             on_progress: Callable[[int, int], None] | None = None,
             stop: threading.Event | None = None, chunk: int = CHUNK,
             by_verdict: bool = False) -> Evaluation:
    """Predict ``images`` (uint8 MNIST format or float [0, 1]) and pair them with ``labels``;
    ``by_verdict``: count as errors all that the verdict would not answer with the label.

    ``on_progress(done, total)`` is called after each ``chunk`` images; setting ``stop``
    raises :class:`EvaluationCancelled` at the next chunk. Smaller chunks stop sooner;
    larger ones let a loaded Keras run whole sets through its graph (``core.inference``).
    """
    images = np.asarray(images)
    if images.dtype == np.uint8:
        images = to_model_batch(images)
    labels = np.asarray(labels).astype(np.int64)
    if len(images) != len(labels):
        raise ValueError(f"{len(images)} images but {len(labels)} labels")
    parts, scores = [], []
    for start in range(0, len(images), chunk):
        if stop is not None and stop.is_set():
            raise EvaluationCancelled()
        probabilities, not_a_digit = predictor.predict_with_not_a_digit(
            images[start:start + chunk])
        parts.append(probabilities)
        scores.append(not_a_digit)
        if on_progress:
            on_progress(min(start + chunk, len(images)), len(images))
    if not parts:
        return Evaluation(np.zeros((0, NUM_CLASSES), np.float32), labels, by_verdict=by_verdict)
    has_class = getattr(predictor, "has_not_a_digit", False)
    return Evaluation(probabilities=np.concatenate(parts), labels=labels,
                      not_a_digit=np.concatenate(scores) if has_class else None,
                      not_a_digit_threshold=predictor.thresholds.not_a_digit,
                      sure_threshold=predictor.thresholds.sure, by_verdict=by_verdict)
