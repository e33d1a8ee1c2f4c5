import threading

import numpy as np
import pytest

from digitpad.core.evaluation import EvaluationCancelled, evaluate
from digitpad.core.verdict import Thresholds


class FixedPredictor:
    """Returns prepared probabilities (and not-a-digit scores) in order, as a real one would."""

    def __init__(self, probabilities, not_a_digit=None, threshold=0.5):
        self.probabilities, self.position = probabilities, 0
        self.has_not_a_digit = not_a_digit is not None
        self.not_a_digit = (not_a_digit if self.has_not_a_digit
                            else np.zeros(len(probabilities), np.float32))
        self.thresholds = Thresholds(not_a_digit=threshold)

    def predict_with_not_a_digit(self, images):
        chosen = slice(self.position, self.position + len(images))
        self.position += len(images)
        return self.probabilities[chosen], self.not_a_digit[chosen]


def one_hot_probabilities(predicted, confidence):
    probabilities = np.full((len(predicted), 10), 0.0, np.float32)
    for row, (digit, p) in enumerate(zip(predicted, confidence)):
        probabilities[row] = (1 - p) / 9
        probabilities[row, digit] = p
    return probabilities


@pytest.fixture
def evaluation():
    labels = np.array([0, 1, 2, 3, 3, 7, 7, 9])
    predicted = np.array([0, 1, 2, 8, 3, 1, 1, 4])
    confidence = np.array([0.9, 0.8, 0.7, 0.99, 0.6, 0.55, 0.95, 0.7])
    images = np.zeros((8, 28, 28), np.uint8)
    return evaluate(FixedPredictor(one_hot_probabilities(predicted, confidence)), images, labels)


def test_accuracy_and_confusion_matrix(evaluation):
    assert evaluation.accuracy == pytest.approx(4 / 8)
    assert evaluation.error_count == 4
    matrix = evaluation.confusion_matrix()
    assert matrix.sum() == 8 and matrix[3, 8] == 1 and matrix[7, 1] == 2 and matrix[9, 4] == 1
    precision, recall = evaluation.precision_recall()
    assert precision[1] == pytest.approx(1 / 3) and recall[7] == 0.0 and recall[3] == 0.5


def test_errors_ranked_by_confidence_loss_and_index(evaluation):
    assert evaluation.select(sort_by="confidence").tolist() == [3, 6, 7, 5]
    assert evaluation.select(sort_by="index").tolist() == [3, 5, 6, 7]
    losses = evaluation.loss[evaluation.select(sort_by="loss")]
    assert (np.diff(losses) <= 0).all()


def test_filters(evaluation):
    assert evaluation.select(true=7, predicted=1).tolist() == [6, 5]
    assert evaluation.select(true=3, predicted=3, errors_only=False).tolist() == [4]
    assert evaluation.select(label_errors_only=True).tolist() == [3]
    assert evaluation.top_guesses(3)[0] == (8, pytest.approx(0.99))


def test_progress_and_cancel():
    probabilities = one_hot_probabilities(np.zeros(2500, int), np.full(2500, 0.9))
    seen = []
    evaluate(FixedPredictor(probabilities), np.zeros((2500, 28, 28), np.uint8), np.zeros(2500, int),
             on_progress=lambda done, total: seen.append((done, total)))
    assert seen == [(1000, 2500), (2000, 2500), (2500, 2500)]
    stop = threading.Event()
    stop.set()
    with pytest.raises(EvaluationCancelled):
        evaluate(FixedPredictor(probabilities), np.zeros((2500, 28, 28), np.uint8),
                 np.zeros(2500, int), stop=stop)


def test_mismatched_lengths():
    with pytest.raises(ValueError, match="3 images but 2 labels"):
        evaluate(FixedPredictor(np.zeros((3, 10), np.float32)), np.zeros((3, 28, 28)), np.zeros(2))


def test_images_the_verdict_rejects_are_counted_and_can_be_filtered():
    labels = np.array([0, 1, 2, 3])
    probabilities = one_hot_probabilities(np.array([0, 1, 5, 3]), np.full(4, 0.9))
    scores = np.array([0.1, 0.7, 0.2, 0.5], np.float32)
    evaluation = evaluate(FixedPredictor(probabilities, scores, threshold=0.5),
                          np.zeros((4, 28, 28), np.uint8), labels)
    assert evaluation.rejected_mask.tolist() == [False, True, False, True]
    assert evaluation.select(errors_only=False, rejected_only=True, sort_by="index").tolist() == [1, 3]
    plain = evaluate(FixedPredictor(probabilities), np.zeros((4, 28, 28), np.uint8), labels)
    assert plain.not_a_digit is None and not plain.rejected_mask.any()


def test_read_by_the_verdict_the_matrix_counts_only_the_digits_answered():
    # The user's digits are read as the pad answers them: a "not sure" 7 whose best guess
    # is 7 is an error, so it is on no cell of the matrix, and recall counts it as missed.
    labels = np.array([7, 7, 7, 1, 1])
    probabilities = one_hot_probabilities(np.array([7, 7, 7, 1, 7]), np.array(
        [0.95, 0.5, 0.95, 0.9, 0.9]))
    scores = np.array([0.1, 0.1, 0.9, 0.1, 0.1], np.float32)  # the third: "not a digit"
    predictor = FixedPredictor(probabilities, scores, threshold=0.5)
    predictor.thresholds = Thresholds(not_a_digit=0.5, sure=0.8)
    mine = evaluate(predictor, np.zeros((5, 28, 28), np.uint8), labels, by_verdict=True)
    assert mine.error_count == 3 and mine.unanswered().tolist() == [0, 0, 0, 0, 0, 0, 0, 2, 0, 0]
    matrix = mine.confusion_matrix()
    assert matrix[7, 7] == 1 and matrix[1, 1] == 1 and matrix[1, 7] == 1 and matrix.sum() == 3
    precision, recall = mine.precision_recall()
    assert recall[7] == pytest.approx(1 / 3) and recall[1] == 0.5
    assert precision[7] == 0.5 and precision[1] == 1.0
    # A cell's images are the ones it counts: the "not sure" 7 is not among the 7s read 7.
    assert mine.select(true=7, predicted=7, errors_only=False).tolist() == [0]
    # By the best guess (MNIST's test set), every image is in the matrix, as before.
    predictor.position = 0
    plain = evaluate(predictor, np.zeros((5, 28, 28), np.uint8), labels)
    assert plain.confusion_matrix()[7, 7] == 3 and plain.unanswered().sum() == 0
    assert plain.select(true=7, predicted=7, errors_only=False).tolist() == [0, 2, 1]
