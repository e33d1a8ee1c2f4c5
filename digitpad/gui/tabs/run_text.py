"""What the Train tab and My digits both say about runs: one wording, written once."""

from __future__ import annotations

import math

from digitpad.core.comparison import ADAPT_MNIST_ALLOWANCE


def stays_active(active) -> str:
    """"default stays active." for the active model (an ``ActiveModel``, or None)."""
    return f"{active.name if active is not None else 'The active model'} stays active."


def adapt_step(report) -> str:
    """How far an adaptation is (a ``BatchReport``): "step 12/60", on a later fine-tune
    "try 2, step 12/60" (its steps start again)."""
    step = f"step {report.batch + 1}/{report.batches_per_epoch}"
    return step if report.epoch == 0 else f"try {report.epoch + 1}, {step}"


def adapt_again(report) -> str:
    """Why an adaptation is on a later fine-tune ("" on its first): otherwise its progress
    would start again at step 1 without a word."""
    if report.epoch == 0:
        return ""
    earlier = "The first try" if report.epoch == 1 else f"The first {report.epoch} tries"
    return (f"{earlier} cost MNIST's test set more than {ADAPT_MNIST_ALLOWANCE * 100:.2f} "
            f"points, so it is adapting again from the start.")


def describe_run(run) -> str:
    """What the adaptation ``run`` (a ``Run``) did and measured, from its card."""
    return describe_adaptation(run.card.get("adaptation", {}))


def describe_adaptation(adaptation: dict) -> str:
    """What an adaptation did and measured, from its card, in one or two sentences."""
    taught = adaptation.get("samples_taught", 0)
    before, after = adaptation.get("held_out_before"), adaptation.get("held_out_after")
    held = (_none_held_out(adaptation.get("settings", {}).get("holdout")) if not before else
            f"Your held-out digits: {before['errors']} of {before['count']} misread before, "
            f"{after['errors']} after.")
    mnist = (f" MNIST test {adaptation['mnist_test_before']:.2%} -> "
             f"{adaptation['mnist_test_after']:.2%}." if "mnist_test_after" in adaptation else "")
    if adaptation.get("taught_already_read"):
        which = "your one digit" if taught == 1 else f"all {taught} of your digits"
        return (f"Nothing needed teaching: the model already reads {which} right, even "
                f"moved, turned or resized, so it is left unchanged. {held}")
    if adaptation.get("stopped"):  # not "adapted": it may have done a step of sixty
        steps = adaptation.get("settings", {}).get("steps", "?")
        return (f"Stopped after {adaptation.get('steps_done', '?')} of {steps} steps on "
                f"{taught} of your digits. {held}{mnist}")
    return f"Adapted to {taught} of your digits. {held}{mnist}"


def _none_held_out(share: float | None) -> str:
    """Why none of the user's digits were held out: a share of each digit is, rounded
    down, and one of each is always taught (``core.adapt.hold_out``)."""
    if not share:
        return "No digits held out."
    return f"No digits held out (that needs {max(2, math.ceil(1 / share))} or more of a digit)."
