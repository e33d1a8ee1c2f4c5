"""The answer shown for a drawing: a digit, "not sure", "not a digit" or "draw larger".

One rule for the Draw tab, the Errors tab, the CLI and the tests. Its thresholds belong to
a model (each model is sure in its own way) and are stored in its card, calibrated on real
drawn digits (see ``benchmarks/recognition.py``), not on MNIST, whose digits are cleaner
than what people draw.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

DIGIT = "digit"
UNSURE = "unsure"
NOT_A_DIGIT = "not_a_digit"
TOO_SMALL = "too_small"
# What a model without a not-a-digit output says of itself (its card, the status bar): it
# reads any drawing as some digit.
NO_NOT_A_DIGIT = "cannot tell digits from other drawings"


@dataclass(frozen=True)
class Thresholds:
    """Where the answers change; a model's card may hold its own (key ``thresholds``)."""

    not_a_digit: float = 0.5  # a not-a-digit score at or above this: "not a digit"
    sure: float = 0.6         # the best digit's probability at or above this: the digit
    min_ink: float = 0.1      # the drawing's longer side below this share of the pad: too small

    @classmethod
    def from_card(cls, card: dict) -> "Thresholds":
        """The card's thresholds; defaults for any that are missing or not numbers in (0, 1].

        A threshold of 0 would answer every drawing "not a digit" (a not-a-digit score is
        always at least 0) or accept any guess as sure: no calibration gives it.
        """
        stored = card.get("thresholds") if isinstance(card, dict) else None
        if not isinstance(stored, dict):
            return cls()
        values = {}
        for name in ("not_a_digit", "sure", "min_ink"):
            value = stored.get(name)
            if (isinstance(value, (int, float)) and not isinstance(value, bool)
                    and math.isfinite(value) and 0 < value <= 1):
                values[name] = float(value)
        return cls(**values)

    def to_card(self) -> dict:
        return {"not_a_digit": self.not_a_digit, "sure": self.sure, "min_ink": self.min_ink}


@dataclass(frozen=True)
class Verdict:
    """The answer for one image.

    ``digit`` is set only for ``kind == "digit"``; ``candidates`` holds the two competing
    digits for ``"unsure"``.
    """

    kind: str
    digit: int | None = None
    candidates: tuple[int, ...] = ()
    confidence: float = float("nan")   # the best digit's probability
    not_a_digit: float = 0.0           # the model's not-a-digit score

    def text(self) -> str:
        """The answer in words, as the Draw tab shows it under the big digit."""
        if self.kind == DIGIT:
            return f"{self.confidence:.1%} sure"
        if self.kind == UNSURE:
            return f"Not sure: {self.candidates[0]} or {self.candidates[1]}?"
        if self.kind == NOT_A_DIGIT:
            return "That doesn't look like a digit"
        return "Draw larger"


def decide(probabilities: np.ndarray, not_a_digit: float, thresholds: Thresholds,
           ink_share: float | None = None) -> Verdict:
    """The verdict for one image's digit probabilities (10,) and not-a-digit score.

    ``ink_share``: the drawing's longer side as a share of the pad's side, when known; a tap,
    a dot or a tiny scrawl is too small to read whatever the model thinks of it.
    """
    if ink_share is not None and ink_share < thresholds.min_ink:
        return Verdict(TOO_SMALL, not_a_digit=not_a_digit)
    order = np.argsort(-np.asarray(probabilities))
    best, second = int(order[0]), int(order[1])
    confidence = float(probabilities[best])
    if not_a_digit >= thresholds.not_a_digit:
        return Verdict(NOT_A_DIGIT, confidence=confidence, not_a_digit=not_a_digit)
    if confidence < thresholds.sure:
        return Verdict(UNSURE, candidates=(best, second), confidence=confidence,
                       not_a_digit=not_a_digit)
    return Verdict(DIGIT, digit=best, confidence=confidence, not_a_digit=not_a_digit)
