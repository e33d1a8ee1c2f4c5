"""The model that ships in models/ is the one a new user meets: it must be excellent."""

import numpy as np
import pytest

from digitpad.core.registry import default_model_path, load_card, load_model

TARGET = 0.9965


def test_default_model_ships_with_a_card():
    path = default_model_path()
    assert path.is_file(), "models/default.keras must ship with digitpad"
    card = load_card(path)
    assert card["architecture"] == "strong" and card["test_accuracy"] >= TARGET


@pytest.mark.heavy
def test_default_model_scores_on_the_real_test_set(mnist):
    from digitpad.core.evaluation import evaluate
    from digitpad.core.inference import Predictor
    evaluation = evaluate(Predictor(load_model(default_model_path())),
                          mnist.test.images, mnist.test.labels)
    assert evaluation.accuracy >= TARGET
    assert evaluation.accuracy == pytest.approx(load_card(default_model_path())["test_accuracy"])


@pytest.mark.heavy
def test_a_clean_mnist_digit_of_each_class_is_read_as_that_digit(mnist):
    from digitpad.core.inference import Predictor
    from digitpad.core.verdict import DIGIT

    predictor = Predictor.load(default_model_path())
    assert predictor.has_not_a_digit
    for digit in range(10):
        index = int(np.flatnonzero(mnist.test.labels == digit)[0])  # the class's first
        verdict = predictor.verdict(mnist.test.images[index] / 255.0)
        assert verdict.kind == DIGIT and verdict.digit == digit, (digit, index, verdict)


def test_the_card_holds_verdict_thresholds_calibrated_on_drawn_digits():
    from digitpad.core.verdict import Thresholds

    card = load_card(default_model_path())
    assert "thresholds" in card
    assert Thresholds.from_card(card).to_card() == card["thresholds"]


def test_digits_in_every_style_are_not_taken_for_non_digits():
    from digitpad.core import digit_strokes
    from digitpad.core.inference import Predictor

    predictor = Predictor.load(default_model_path())
    rng = np.random.default_rng(20261206)  # a seed no training or calibration uses
    images, names = [], []
    for digit, style in digit_strokes.ALL_STYLES:
        for _ in range(20):
            images.append(digit_strokes.render_digit(
                digit_strokes.random_digit(rng, digit, style)[2], rng))
            names.append(f"{digit} {style}")
    _, not_a_digit = predictor.predict_with_not_a_digit(np.stack(images))
    refused = not_a_digit >= predictor.thresholds.not_a_digit
    assert refused.mean() <= 0.01, sorted({n for n, r in zip(names, refused) if r})
