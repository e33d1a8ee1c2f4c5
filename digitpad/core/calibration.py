"""The verdict's thresholds, chosen so that no kind of real digit is refused too often.

A model's not-a-digit score and its best digit's probability are compared with two
thresholds (:class:`~digitpad.core.verdict.Thresholds`). They are calibrated on drawn digits
in several dev sets (digits drawn on a touch screen, in a paint program, in the world's
styles): low enough that the model rejects what is not a digit, high enough that no digit
class in any of those sets is flagged ("not a digit" or "not sure") more than
:data:`CLASS_BUDGET` of the time, and the digits as a whole far less.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from digitpad.core.verdict import Thresholds

# Shares of all drawn digits each threshold may flag, and of any one digit class of any one
# dev set (the two thresholds together: each gets half of it).
NOT_A_DIGIT_BUDGET = 0.003
UNSURE_BUDGET = 0.004
CLASS_BUDGET = 0.02
# Where the thresholds may go: a not-a-digit threshold under 0.3 lets noise reject digits,
# a "sure" one above 0.6 calls clear winners unsure.
NOT_A_DIGIT_RANGE = (0.3, 0.95)
SURE_RANGE = (0.3, 0.6)


@dataclass(frozen=True)
class Readings:
    """A model's readings of one dev set of labelled digits."""

    probabilities: np.ndarray  # (n, 10)
    not_a_digit: np.ndarray    # (n,) the not-a-digit score (zeros for a model without one)
    labels: np.ndarray         # (n,) the true digits

    def flagged(self, thresholds: Thresholds) -> np.ndarray:
        """(n,) bool: answered "not a digit" or "not sure" (as :func:`verdict.decide`)."""
        return ((self.not_a_digit >= thresholds.not_a_digit)
                | (self.probabilities.max(axis=1) < thresholds.sure))

    def read(self, thresholds: Thresholds) -> np.ndarray:
        """(n,) bool: answered the right digit."""
        return ~self.flagged(thresholds) & (self.probabilities.argmax(axis=1) == self.labels)

    def class_flag_rates(self, thresholds: Thresholds) -> np.ndarray:
        """(10,) share of each digit class flagged (NaN for a class the set lacks)."""
        flagged = self.flagged(thresholds)
        return np.array([flagged[self.labels == d].mean() if (self.labels == d).any()
                         else np.nan for d in range(10)])


def calibrate(dev_sets: dict[str, Readings]) -> Thresholds:
    """Thresholds that flag at most the budgeted shares of all the dev sets' digits, and at
    most :data:`CLASS_BUDGET` of any digit class in any one set.

    The not-a-digit threshold is placed first, as low as the budgets let it (the lower, the
    more non-digits are rejected); "not sure" gets what each class has left.
    """
    classes = [(s.not_a_digit[s.labels == d], s.probabilities[s.labels == d].max(axis=1))
               for s in dev_sets.values() for d in range(10) if (s.labels == d).any()]
    scores = np.concatenate([score for score, _ in classes])
    allowed = [int(np.floor(CLASS_BUDGET * len(score))) for score, _ in classes]
    limits = [_above(scores, int(np.floor(NOT_A_DIGIT_BUDGET * len(scores))))]
    limits += [_above(score, n) for (score, _), n in zip(classes, allowed)]
    not_a_digit = _round_up(float(np.clip(max(limits), *NOT_A_DIGIT_RANGE)))

    kept = [confidence[score < not_a_digit] for score, confidence in classes]
    everything = np.concatenate(kept)
    floors = [_below(everything, int(np.floor(UNSURE_BUDGET * len(everything))))]
    floors += [_below(confidence, max(0, n - int((score >= not_a_digit).sum())))
               for (score, _), confidence, n in zip(classes, kept, allowed)]
    sure = _round_down(float(np.clip(min(floors), *SURE_RANGE)))
    return Thresholds(not_a_digit=not_a_digit, sure=sure)


def _above(values: np.ndarray, allowed: int) -> float:
    """The lowest threshold that no more than ``allowed`` of ``values`` reach."""
    ordered = np.sort(values)[::-1]
    return float(np.nextafter(ordered[allowed], np.inf)) if allowed < len(ordered) else 0.0


def _below(values: np.ndarray, allowed: int) -> float:
    """The highest threshold that no more than ``allowed`` of ``values`` fall under."""
    ordered = np.sort(values)
    return float(ordered[allowed]) if allowed < len(ordered) else 1.0


def _round_up(value: float) -> float:
    return float(np.ceil(value * 1000) / 1000)


def _round_down(value: float) -> float:
    return float(np.floor(value * 1000) / 1000)
