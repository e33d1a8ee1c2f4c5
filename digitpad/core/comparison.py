"""The no-worse rule: whether a new model may replace the active one without asking.

A model is measured by its card: validation accuracy (``validation_accuracy``) and, where
its card has them, its readings of drawn dev sets (``dev_sets``: a set's name -> the share
of its digits read correctly through the pad). Callers may add measures of their own (the
user's own digits, say) under any name. Two models are compared on the measures both
have; a candidate is no worse when it is at least as good on every one of them. Validation
accuracies count only between models trained on the same data (the cards' ``data_sha256``
agree, or one of them does not say): on another data set they measure something else. With
no measure in common (an active model without a card), nothing speaks against the candidate.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

VALIDATION = "validation"
HELD_OUT = "your held-out digits"
MNIST_TEST = "MNIST test"
ADAPT_MNIST_ALLOWANCE = 0.0015  # an adaptation may cost up to 0.15 pt of MNIST test accuracy


def measures_from_card(card: dict) -> dict[str, float]:
    """The comparable measures a model's card holds: validation, then each dev set."""
    measures = {}
    value = card.get("validation_accuracy")
    if _is_share(value):
        measures[VALIDATION] = float(value)
    dev_sets = card.get("dev_sets")
    if isinstance(dev_sets, dict):
        for name, value in dev_sets.items():
            if isinstance(name, str) and _is_share(value):
                measures[name] = float(value)
    return measures


@dataclass(frozen=True)
class Comparison:
    """A candidate model against the active one, measure by measure.

    ``measures`` holds (name, candidate's value, active's value) for every measure both
    models have, validation first; ``allowances`` how far below the active model's value a
    measure may fall and still count as no worse (none: not at all).
    """

    measures: tuple[tuple[str, float, float], ...]
    allowances: dict[str, float] = field(default_factory=dict)  # how far below is no worse

    @property
    def no_worse(self) -> bool:
        return not self.worse_on

    @property
    def worse_on(self) -> tuple[str, ...]:
        return tuple(name for name, candidate, active in self.measures
                     if candidate < active - self.allowances.get(name, 0.0))

    def describe(self) -> str:
        """"98.80% vs 99.70% validation", one part per measure; "" with none in common.

        A worse candidate's text names the measures where it is worse; a no-worse one's
        names them all.
        """
        shown = [m for m in self.measures if m[0] in self.worse_on] or list(self.measures)
        return ", ".join(f"{candidate:.2%} vs {active:.2%} {name}"
                         for name, candidate, active in shown)


def compare(candidate: dict[str, float], active: dict[str, float]) -> Comparison:
    """Compare two models' measures (see :func:`measures_from_card`) on those both have."""
    names = [name for name in candidate if name in active]
    return Comparison(tuple((name, candidate[name], active[name]) for name in names))


def compare_cards(candidate: dict, active: dict, **extra: tuple[float, float]) -> Comparison:
    """Compare two models by their cards, plus ``extra`` measures given as
    ``name=(candidate's value, active's value)``."""
    mine, theirs = measures_from_card(candidate), measures_from_card(active)
    data, other_data = candidate.get("data_sha256"), active.get("data_sha256")
    if data and other_data and data != other_data:
        mine.pop(VALIDATION, None)  # trained on other data: not comparable
    for name, (value, other) in extra.items():
        mine[name], theirs[name] = value, other
    return compare(mine, theirs)


def compare_adaptation(card: dict) -> Comparison:
    """An adapted model against the model it was adapted from, by what its card measured on
    both in the same run: the user's held-out digits (when some were held out) and MNIST's
    test set, which may drop by up to ``ADAPT_MNIST_ALLOWANCE``: teaching one person's
    style costs a little of everyone else's."""
    adaptation = card.get("adaptation") if isinstance(card.get("adaptation"), dict) else {}
    measures, allowances = [], {}
    before, after = adaptation.get("held_out_before"), adaptation.get("held_out_after")
    if isinstance(before, dict) and isinstance(after, dict):
        if _is_share(after.get("accuracy")) and _is_share(before.get("accuracy")):
            measures.append((HELD_OUT, float(after["accuracy"]), float(before["accuracy"])))
    mnist_before, mnist_after = adaptation.get("mnist_test_before"), adaptation.get(
        "mnist_test_after")
    if _is_share(mnist_before) and _is_share(mnist_after):
        measures.append((MNIST_TEST, float(mnist_after), float(mnist_before)))
        allowances[MNIST_TEST] = ADAPT_MNIST_ALLOWANCE
    return Comparison(tuple(measures), allowances)


def _is_share(value) -> bool:
    return (isinstance(value, (int, float)) and not isinstance(value, bool)
            and math.isfinite(value) and 0 <= value <= 1)
