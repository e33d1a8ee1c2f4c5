"""One rule decides what the user is told: a digit, not sure, not a digit, or draw larger."""

import numpy as np

from digitpad.core.verdict import (DIGIT, NOT_A_DIGIT, TOO_SMALL, UNSURE, Thresholds,
                                   decide)

THRESHOLDS = Thresholds(not_a_digit=0.4, sure=0.7, min_ink=0.1)


def probabilities(**by_digit) -> np.ndarray:
    p = np.zeros(10)
    for digit, value in by_digit.items():
        p[int(digit[1:])] = value
    return p / p.sum()


def test_a_confident_digit_is_the_answer():
    verdict = decide(probabilities(d7=0.95, d1=0.05), 0.01, THRESHOLDS)
    assert verdict.kind == DIGIT and verdict.digit == 7
    assert verdict.text() == "95.0% sure"


def test_two_competing_digits_are_not_sure_with_both_named():
    verdict = decide(probabilities(d4=0.5, d9=0.45, d7=0.05), 0.05, THRESHOLDS)
    assert verdict.kind == UNSURE and verdict.digit is None
    assert verdict.candidates == (4, 9) and verdict.text() == "Not sure: 4 or 9?"


def test_a_high_not_a_digit_score_wins_over_a_confident_digit():
    verdict = decide(probabilities(d0=1.0), 0.4, THRESHOLDS)
    assert verdict.kind == NOT_A_DIGIT and verdict.digit is None
    assert verdict.text() == "That doesn't look like a digit"


def test_a_drawing_too_small_to_read_gets_no_answer():
    verdict = decide(probabilities(d2=1.0), 0.0, THRESHOLDS, ink_share=0.05)
    assert verdict.kind == TOO_SMALL and verdict.text() == "Draw larger"
    assert decide(probabilities(d2=1.0), 0.0, THRESHOLDS, ink_share=0.5).kind == DIGIT


def test_thresholds_round_trip_through_a_card_and_bad_values_fall_back():
    assert Thresholds.from_card({"thresholds": THRESHOLDS.to_card()}) == THRESHOLDS
    assert Thresholds.from_card({}) == Thresholds()
    hostile = {"thresholds": {"not_a_digit": "0.2", "sure": float("nan"), "min_ink": 7,
                              "extra": 1}}
    assert Thresholds.from_card(hostile) == Thresholds()
    assert Thresholds.from_card({"thresholds": [0.1]}) == Thresholds()
    assert Thresholds.from_card({"thresholds": {"sure": True}}) == Thresholds()


def test_a_threshold_of_zero_falls_back_rather_than_reject_every_drawing():
    """A not-a-digit threshold of 0 would answer "not a digit" to everything."""
    card = {"thresholds": {"not_a_digit": 0, "sure": 0.0, "min_ink": -0.1}}
    assert Thresholds.from_card(card) == Thresholds()
    assert Thresholds.from_card({"thresholds": {"not_a_digit": 1}}).not_a_digit == 1.0
    confident = np.eye(10, dtype=np.float32)[3]
    assert decide(confident, 0.0, Thresholds.from_card(card)).kind == "digit"
