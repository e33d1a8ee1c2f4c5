"""Adapting a model to one person's handwriting: a short fine-tune on their own digits.

The method (measured in ``benchmarks/adapt.py``): every weight is fine-tuned for sixty
small steps at a low learning rate, batch normalisation frozen at the statistics
the model was trained with. Each batch of 144 mixes

- 32 of the person's digits, each drawn again and again with random moves, turns and
  size changes in the range the model was trained to read (``HAND_RANGE``): they keep the
  digit's shape, which is the style being taught, and cover how a hand varies it;
- MNIST training digits, replayed so that the model keeps reading everyone else's;
- synthetic non-digits, when the model has a "not a digit" output, so that it keeps it.

Against 16 of the person's digits in batches of 128, varied by a narrower range (1.5 px,
8 degrees, 8% size, 0.08 shear), 24 synthetic writers' held-out errors (202 before
adapting) went to 8 instead of 17 (seed 0). A writer with a crossed 6, which the model
read right once but not as the hand varied it, went 7 -> 1 instead of 7 -> 6 (seed 0)
and 7 -> 8 (seed 1).

A model that already reads every taught digit, in many variations each within the range
of moves, turns and size changes it was trained to read (``HAND_RANGE``), has
nothing to learn from them and is kept unchanged: no fine-tune.

The fine-tune's batches are drawn from ``seed`` (its dropout too): the same digits and
settings give the same adapted model. Where MNIST's test set then reads more than allowed
worse (``mnist_allowance``), the fine-tune is done again with another draw (``fine_tunes``
in all); where none is within the allowance, only half (then a quarter, then none) of the
change of the one that cost least is kept: the first share within the allowance. The
adapted model keeps the verdict's thresholds of the model it came from. Part of the
person's digits can be held out to measure the model on them before and after; MNIST's
test set is measured before and after too. This module imports Keras: in the app it runs
in the training process, like any training run; the CLI calls the same :func:`adapt`.
"""

from __future__ import annotations

import dataclasses
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable

import keras
import numpy as np

from digitpad.core.augment import AugmentSpec, random_affine
from digitpad.core.calibration import Readings
from digitpad.core.comparison import ADAPT_MNIST_ALLOWANCE
from digitpad.core.data import Mnist
from digitpad.core.errors import TrainingError
from digitpad.core.evaluation import evaluate
from digitpad.core.inference import Predictor
from digitpad.core.reports import BatchReport
from digitpad.core.training import NOT_A_DIGIT
from digitpad.core.verdict import Thresholds

# Moves, turns and size changes of a person's digits, both to teach them and to check whether
# the model already reads them: the range the model was trained to read. Each keeps the
# digit's shape (its style) and covers how a hand varies it between two drawings.
HAND_RANGE = AugmentSpec()
NONDIGIT_POOL = 600
REPORT_EVERY_S = 0.2
KEPT_SHARES = (1.0, 0.5, 0.25, 0.0)  # of the fine-tune's change, the first within the allowance
# Variations of the taught digits read before adapting, in all (at least one per digit).
CHECK_VARIATIONS = 640


@dataclass(frozen=True)
class AdaptSettings:
    """How an adaptation runs; the defaults are the measured method."""

    steps: int = 60
    batch_size: int = 144
    mine_per_batch: int = 32        # of each batch: the person's digits
    nondigits_per_batch: int = 8    # of each batch: non-digits (models with that output)
    learning_rate: float = 2e-4
    holdout: float = 0.2            # share of each digit held out (digits with 2 or more)
    augment: AugmentSpec = HAND_RANGE  # how the person's digits are varied
    seed: int = 0
    fine_tunes: int = 2             # tried, each with a seed of its own, until one keeps MNIST
    mnist_allowance: float = ADAPT_MNIST_ALLOWANCE  # MNIST test accuracy it may cost

    def validated(self) -> "AdaptSettings":
        if not 1 <= self.steps <= 100_000:
            raise TrainingError("adapt: steps must be between 1 and 100,000")
        if not 0 < self.mine_per_batch + self.nondigits_per_batch < self.batch_size:
            raise TrainingError("adapt: a batch needs room for MNIST digits too")
        if not 0 < self.learning_rate <= 1:
            raise TrainingError("adapt: the learning rate must be > 0 and <= 1")
        if not 1 <= self.fine_tunes <= 10:
            raise TrainingError("adapt: fine-tunes to try must be between 1 and 10")
        if not 0 <= self.holdout < 1:
            raise TrainingError("adapt: the held-out share must be >= 0 and < 1")
        return self


@dataclass(frozen=True)
class Reading:
    """How a model reads a labelled set by the verdict's rule: a digit is right only when
    the answer is that digit (a wrong digit, "not sure" and "not a digit" are all errors)."""

    count: int
    errors: int

    @property
    def accuracy(self) -> float:
        return 1 - self.errors / self.count if self.count else float("nan")


@dataclass
class AdaptResult:
    """The adapted model and what it changed."""

    model: object
    settings: AdaptSettings
    taught: int                       # the person's digits trained on
    held_out: int                     # the person's digits kept aside to measure on
    held_out_before: Reading | None   # None when nothing was held out
    held_out_after: Reading | None
    mnist_before: float               # MNIST test accuracy
    mnist_after: float
    mnist_errors_after: int
    mnist_not_a_digit_after: float | None  # share of MNIST test answered "not a digit"
    steps_done: int
    stopped: bool = False
    kept: float = 1.0                 # share of the fine-tune's change kept (KEPT_SHARES)
    already_read: bool = False        # every variation of the taught digits read right: unchanged
    fine_tunes: int = 0               # fine-tunes tried (another when one cost MNIST too much)
    seconds: float = 0.0
    per_digit: list[int] = field(default_factory=list)  # taught digits, by digit

    def card(self) -> dict:
        """What an honest model card says about this adaptation."""
        def reading(value: Reading | None):
            return None if value is None else {"count": value.count, "errors": value.errors,
                                               "accuracy": value.accuracy}
        return {"method": "fine-tune, batch norm frozen, MNIST replay, style-preserving "
                          "augmentation" + (", non-digit replay" if self.has_not_a_digit
                                            else ""),
                "settings": asdict(self.settings), "steps_done": self.steps_done,
                "stopped": self.stopped, "fine_tunes": self.fine_tunes,
                "change_kept": self.kept,
                "taught_already_read": self.already_read,
                "samples_taught": self.taught,
                "taught_per_digit": self.per_digit, "samples_held_out": self.held_out,
                "held_out_before": reading(self.held_out_before),
                "held_out_after": reading(self.held_out_after),
                "mnist_test_before": self.mnist_before, "mnist_test_after": self.mnist_after,
                "seconds": round(self.seconds, 1)}

    @property
    def has_not_a_digit(self) -> bool:
        return _has_not_a_digit(self.model)


def adapted_card(result: AdaptResult, source_card: dict, source: str, mnist: Mnist,
                 digits_source: str) -> dict:
    """The adapted model's card: the source model's architecture, settings and verdict
    thresholds, its own measured test scores, and what the adaptation did and measured.

    What described the source model's own training (epochs, validation) stays under
    ``adapted_from``: it is not claimed for the adapted model.
    """
    kept = {key: source_card[key] for key in ("architecture", "config", "thresholds",
                                              "parameters") if key in source_card}
    card = {**kept, "test_accuracy": result.mnist_after,
            "test_errors": result.mnist_errors_after, "data_sha256": mnist.checksums(),
            "adaptation": {**result.card(), "digits": digits_source},
            "adapted_from": {"file": source, "card": source_card}}
    if result.mnist_not_a_digit_after is not None:
        card["test_not_a_digit"] = result.mnist_not_a_digit_after
    return card


def adapt_saved_model(source: Path, images: np.ndarray, labels: np.ndarray, mnist: Mnist,
                      *, digits_source: str, settings: AdaptSettings = AdaptSettings(),
                      on_batch: Callable[[BatchReport], None] | None = None,
                      stop: threading.Event | None = None) -> tuple[AdaptResult, dict]:
    """Adapt the model saved at ``source`` to a person's digits: what the app's "Adapt to
    me" runs in its training process and ``train_cli.py --adapt`` runs in a terminal.
    ``digits_source`` says where the digits came from, for the card. Returns the result
    and the card to save ``result.model`` with; the caller saves it (``save_model``), as
    it decides what a failed save means."""
    from digitpad.core.model_file import read_model_file
    from digitpad.core.registry import load_model_from

    model_file = read_model_file(source)  # one read: the card is that model's
    model, source_card = load_model_from(model_file), model_file.card
    settings = settings.validated()
    result = adapt(model, images, labels, mnist, thresholds=Thresholds.from_card(source_card),
                   settings=settings, held_out=hold_out(labels, settings.holdout, settings.seed),
                   on_batch=on_batch, stop=stop)
    return result, adapted_card(result, source_card, str(source), mnist, digits_source)


def hold_out(labels: np.ndarray, share: float, seed: int = 0) -> np.ndarray:
    """Indices to hold out: ``share`` of each digit, rounded down, from digits with at
    least two samples (one of each always stays to be taught)."""
    rng = np.random.default_rng(seed)
    held = []
    for digit in range(10):
        mine = np.flatnonzero(labels == digit)
        count = min(int(len(mine) * share), len(mine) - 1)
        if count > 0:
            held.extend(rng.choice(mine, count, replace=False))
    return np.sort(np.array(held, np.int64))


def read_set(predictor: Predictor, images: np.ndarray, labels: np.ndarray) -> Reading:
    """How ``predictor`` (with its thresholds) reads ``images`` (float, [0, 1])."""
    probabilities, not_a_digit = predictor.predict_with_not_a_digit(images)
    read = Readings(probabilities, not_a_digit, np.asarray(labels)).read(predictor.thresholds)
    return Reading(len(labels), len(labels) - int(read.sum()))


def adapt(model, images: np.ndarray, labels: np.ndarray, mnist: Mnist, *,
          thresholds: Thresholds | None = None, settings: AdaptSettings = AdaptSettings(),
          held_out: np.ndarray | None = None,
          on_batch: Callable[[BatchReport], None] | None = None,
          stop: threading.Event | None = None) -> AdaptResult:
    """Fine-tune ``model`` (a Keras digit model, changed in place) on a person's digits.

    Parameters
    ----------
    model : keras.Model
        The model to adapt, e.g. ``registry.load_model(path)``.
    images, labels : np.ndarray
        The person's digits: (n, 28, 28) float model inputs in [0, 1], and their digits.
    mnist : Mnist
        Its training split is replayed; its test split measures the model before and after.
    thresholds : Thresholds
        The verdict's thresholds of the model (kept by the adapted one), used to read the
        held-out digits.
    held_out : np.ndarray, optional
        Indices of ``images`` kept aside to measure on; default :func:`hold_out`.
    on_batch : callable, optional
        Progress, as the training reports it (``BatchReport``): each fine-tune tried is an
        epoch of ``steps`` (``epoch`` 1: a second try), ``seen_batches`` counts all tries.
    stop : threading.Event, optional
        When set, adaptation stops after the current step; what was learnt so far is kept.
    """
    settings = settings.validated()
    thresholds = thresholds or Thresholds()
    stop = stop or threading.Event()
    images = np.asarray(images, np.float32)
    labels = np.asarray(labels).astype(np.int32)
    if images.ndim != 3 or images.shape[1:] != (28, 28) or len(images) != len(labels):
        raise TrainingError("adapt: the digits must be 28x28 images, one label each")
    if held_out is None:
        held_out = hold_out(labels, settings.holdout, settings.seed)
    taught = np.setdiff1d(np.arange(len(labels)), held_out)
    if not len(taught):
        raise TrainingError("adapt: no digits to learn from (all are held out)")
    started = time.perf_counter()

    before = _predictor(model, thresholds)
    held_before = read_set(before, images[held_out], labels[held_out]) if len(held_out) else None
    mnist_evaluation = unchanged = evaluate(before, mnist.test.images, mnist.test.labels)
    mnist_before = mnist_evaluation.accuracy

    # Where the model reads every variation of every taught digit, a fine-tune has nothing
    # to correct and only moves the weights by the noise of its batches: measured on a writer
    # it read this way (touch_strokes.json), never better and worse in 6 runs of 18.
    already_read = read_set(before, *variations(images[taught], labels[taught],
                                                settings.seed)).errors == 0
    steps_done, kept, held_after, tries = 0, 0.0, held_before, []
    if not already_read:  # tries: (MNIST test evaluation, weights, steps) of each fine-tune
        original = model.get_weights()
        for tried in range(1, settings.fine_tunes + 1):
            reports = _reporting_try(on_batch, tried - 1, sum(t[2] for t in tries))
            # A fine-tune's cost to MNIST varies with its batches' draw (measured 0.08 to
            # 0.16 pt on one writer over four seeds), and moving its weights part of the way
            # back gives up nearly all it learnt (that writer: 21 -> 2 held-out errors in
            # full, 19 at three quarters): where one costs more than allowed, another draw
            # is tried first.
            model.set_weights(original)
            steps_done = _fine_tune(model, images[taught], labels[taught], mnist,
                                    dataclasses.replace(settings,
                                                        seed=settings.seed + 1000 * (tried - 1)),
                                    reports, stop)
            tries.append((_evaluate(model, thresholds, mnist), model.get_weights(), steps_done))
            if _within(tries[-1][0], mnist_before, settings) or stop.is_set():
                break
        mnist_evaluation, adapted, steps_done = max(tries, key=lambda tried: tried[0].accuracy)
        for kept in KEPT_SHARES:
            # Teaching one person's style may cost everyone else's: where MNIST's test set
            # drops by more than allowed, the weights move part of the way back (WiSE-FT).
            model.set_weights([o + kept * (a - o) for o, a in zip(original, adapted)])
            if 0 < kept < 1:
                mnist_evaluation = _evaluate(model, thresholds, mnist)
            elif kept == 0:  # the weights it came with, measured before
                mnist_evaluation = unchanged
            if _within(mnist_evaluation, mnist_before, settings):
                break
        after = _predictor(model, thresholds)
        held_after = read_set(after, images[held_out], labels[held_out]) if len(held_out) else None
    return AdaptResult(
        model=model, settings=settings, taught=len(taught), held_out=len(held_out),
        held_out_before=held_before, held_out_after=held_after, mnist_before=mnist_before,
        mnist_after=mnist_evaluation.accuracy, mnist_errors_after=mnist_evaluation.error_count,
        mnist_not_a_digit_after=(float(mnist_evaluation.rejected_mask.mean())
                                 if mnist_evaluation.not_a_digit is not None else None),
        steps_done=steps_done, stopped=stop.is_set(), kept=kept, already_read=already_read,
        fine_tunes=len(tries),
        seconds=time.perf_counter() - started,
        per_digit=np.bincount(labels[taught], minlength=10)[:10].tolist())


def _reporting_try(on_batch, index: int, steps_before: int):
    """``on_batch`` for fine-tune ``index`` (0-based): its reports carry the try as their
    epoch and count steps on over the earlier tries, so that progress shown as "step 12 of
    60" can say it is a second try, and curves go on instead of going back."""
    if on_batch is None:
        return None
    return lambda report: on_batch(dataclasses.replace(
        report, epoch=index, seen_batches=steps_before + report.seen_batches))


def _predictor(model, thresholds: Thresholds) -> Predictor:
    """A predictor of ``model`` as it is now, judged by ``thresholds``."""
    predictor = Predictor(model)
    predictor.thresholds = thresholds
    return predictor


def _evaluate(model, thresholds: Thresholds, mnist: Mnist):
    return evaluate(_predictor(model, thresholds), mnist.test.images, mnist.test.labels)


def _within(evaluation, mnist_before: float, settings: AdaptSettings) -> bool:
    return mnist_before - evaluation.accuracy <= settings.mnist_allowance


def variations(images: np.ndarray, labels: np.ndarray, seed: int = 0
               ) -> tuple[np.ndarray, np.ndarray]:
    """About ``CHECK_VARIATIONS`` variations of the taught digits (as many of each), moved,
    turned and resized within ``HAND_RANGE``, and their labels: the same for the same seed."""
    each = max(1, -(-CHECK_VARIATIONS // len(images)))
    repeated = np.repeat(np.arange(len(images)), each)
    return (random_affine(images[repeated], np.random.default_rng(seed + 1), HAND_RANGE),
            labels[repeated])


def _fine_tune(model, images, labels, mnist: Mnist, settings: AdaptSettings, on_batch,
               stop) -> int:
    """The training loop itself; returns the steps done."""
    from digitpad.core.nondigits import make_nondigits

    rng = np.random.default_rng(settings.seed)
    has_not_a_digit = _has_not_a_digit(model)
    nondigits = (make_nondigits(NONDIGIT_POOL, seed=settings.seed + 7) if has_not_a_digit
                 else None)
    per_batch = settings.nondigits_per_batch if has_not_a_digit else 0
    replay = settings.batch_size - settings.mine_per_batch - per_batch
    input_shape = (-1,) + tuple(model.inputs[0].shape[1:])
    frozen = [layer for layer in model.layers
              if isinstance(layer, keras.layers.BatchNormalization) and layer.trainable]
    for layer in frozen:  # Keras runs a frozen batch norm in inference mode
        layer.trainable = False
    _seed_random_layers(model, settings.seed)
    model.compile(optimizer=keras.optimizers.Adam(settings.learning_rate),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    steps_done, last_report, window = 0, 0.0, []
    try:
        for step in range(settings.steps):
            if stop.is_set():
                break
            mine = rng.integers(0, len(images), settings.mine_per_batch)
            others = rng.integers(0, len(mnist.train), replay)
            parts = [random_affine(images[mine], rng, settings.augment),
                     mnist.train.images[others].astype(np.float32) / 255.0]
            targets = [labels[mine], mnist.train.labels[others].astype(np.int32)]
            if per_batch:
                parts.append(random_affine(nondigits[rng.integers(0, len(nondigits),
                                                                  per_batch)], rng))
                targets.append(np.full(per_batch, NOT_A_DIGIT, np.int32))
            loss, accuracy = model.train_on_batch(
                np.concatenate(parts).reshape(input_shape), np.concatenate(targets))[:2]
            if not np.isfinite(loss):
                raise TrainingError("adapt: the loss became infinite; try a lower "
                                    "learning rate")
            steps_done = step + 1
            window.append((float(loss), float(accuracy)))
            now = time.perf_counter()
            if on_batch and (now - last_report >= REPORT_EVERY_S or steps_done == settings.steps):
                mean_loss, mean_accuracy = np.mean(window, axis=0)
                on_batch(BatchReport(0, step, settings.steps, float(mean_loss),
                                     float(mean_accuracy), steps_done))
                last_report, window = now, []
    finally:
        for layer in frozen:  # saved as it came: a later training run trains it again
            layer.trainable = True
    return steps_done


def _seed_random_layers(model, seed: int) -> None:
    """Seed the model's own random layers (dropout) from ``seed``: the same digits and
    settings then give the same adapted weights, run after run. A model loaded from a file
    draws its dropout's seed anew each time (measured: the same writer 3 -> 1 or 3 -> 5
    held-out errors between runs); nothing outside the model is reseeded."""
    rng = np.random.default_rng([seed, 0x5EED])
    for layer in model.layers:
        generator = getattr(layer, "seed_generator", None)
        if generator is not None:
            generator.state.assign(np.array([rng.integers(1, 2**31 - 1), 0],
                                            generator.state.dtype))


def _has_not_a_digit(model) -> bool:
    return model.outputs[0].shape[-1] == NOT_A_DIGIT + 1
