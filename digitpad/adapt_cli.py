"""``digitpad-train --adapt``: adapt a model to someone's digits from a terminal.

The same ``core.adapt.adapt`` the app's "Adapt to me" runs in its training process, on a
digits file (exported from the app or written by another tool), printing the held-out
digits and MNIST's test set before and after.
"""

from __future__ import annotations

import math
import sys
import threading
from pathlib import Path

import numpy as np

from digitpad.core.digits_file import DigitsFileError, read_digits_file
from digitpad.core.preprocess import to_model_batch


def read_my_digits(path: str) -> tuple[np.ndarray, np.ndarray]:
    """A digits file's model inputs (n, 28, 28) float and labels (n,); DigitsFileError if bad."""
    samples = read_digits_file(path)
    if not samples:
        raise DigitsFileError(f"{path}: holds no digits")
    images = to_model_batch(np.stack([s.image for s in samples]))
    return images, np.array([s.label for s in samples], np.int32)


def run_adaptation(digits_path: str, init: str | None, data, out: Path, holdout: float,
                   stop_on_ctrl_c, steps: int | None = None) -> int:
    """Adapt ``init`` (default: the shipped model) to the digits in ``digits_path``."""
    from digitpad.core.adapt import AdaptSettings, adapt_saved_model, hold_out
    from digitpad.core.errors import CardNotWritten, ModelError, TrainingError
    from digitpad.core.registry import default_model_path, save_model

    source = Path(init) if init else default_model_path()
    try:
        images, labels = read_my_digits(digits_path)
    except DigitsFileError as exc:
        print(f"digitpad-train: {exc}", file=sys.stderr)
        return 1
    settings = AdaptSettings(holdout=holdout, **({"steps": steps} if steps else {}))
    try:
        settings.validated()
    except TrainingError as exc:
        print(f"digitpad-train: {exc}", file=sys.stderr)
        return 2
    held_out = hold_out(labels, holdout, settings.seed)
    print(f"Adapting {source.name} to {len(labels)} digits from {digits_path}: "
          f"{len(labels) - len(held_out)} taught, {len(held_out)} held out to measure on",
          flush=True)
    stop = threading.Event()
    stop_on_ctrl_c(stop)
    try:
        result, card = adapt_saved_model(source, images, labels, data,
                                         digits_source=str(digits_path), settings=settings,
                                         on_batch=_print_step, stop=stop)
        save_model(result.model, out, card)
    except CardNotWritten as exc:  # the model is saved, its card inside it
        print(f"\ndigitpad-train: {exc}", file=sys.stderr)
        return 0
    except (TrainingError, ModelError) as exc:  # a ModelError names the file
        print(f"\ndigitpad-train: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"\ndigitpad-train: could not save {out}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    if sys.stdout.isatty():
        print()  # after the progress line
    if result.stopped:
        print(f"Stopped by user after {result.steps_done} of {settings.steps} steps; "
              f"keeping what was learnt.")
    if result.already_read:
        print("The model already reads every taught digit, moved, turned and resized: "
              "nothing to teach, so it is unchanged.")
    if result.held_out_before is not None:
        before, after = result.held_out_before, result.held_out_after
        print(f"held-out digits: {_errors(before.errors)} of {before.count} "
              f"({before.accuracy:.1%} read right) -> {_errors(after.errors)} "
              f"({after.accuracy:.1%})")
    else:
        need = max(2, math.ceil(1 / holdout)) if holdout > 0 else None
        print("held-out digits: none" + (f" (holding out {holdout:g} of each digit needs "
                                         f"{need} or more of a digit; --holdout)" if need
                                         else ""))
    change = (result.mnist_after - result.mnist_before) * 100
    print(f"MNIST test: {result.mnist_before:.2%} -> {result.mnist_after:.2%} "
          f"({change:+.2f} pt)")
    print(f"{result.seconds:.0f}s; saved {out} and {out.with_suffix('.json').name}")
    return 0


def _errors(count: int) -> str:
    return "1 error" if count == 1 else f"{count} errors"


def _print_step(report) -> None:
    end = "" if sys.stdout.isatty() else "\n"
    step = f"step {report.batch + 1}/{report.batches_per_epoch}"
    if report.epoch:  # a later fine-tune starts its steps again: say why
        step = f"try {report.epoch + 1} (MNIST test cost too much before), {step}"
    if sys.stdout.isatty() or report.batch + 1 == report.batches_per_epoch:
        print(f"\r{step} loss {report.loss:.4f}", end=end, flush=True)
