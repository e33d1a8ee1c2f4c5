"""The model that ships in models/ is the one a new user meets: it must be excellent."""

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
