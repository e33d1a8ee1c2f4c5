"""The piece judge: whether a piece of ink is one whole digit, seen against its line.

The digit model reads every piece fitted to the same box, so it may read a 1 and a 0
that touch as a 0, or the left half of a wide 6 as a 6, both at full confidence. The
judge is a second network (the quick preset's layers: 10 digits and "not one digit") that
sees each piece at its size within its line (``preprocess.to_line_view``): a fragment
stays small, two digits stay wide. It learns from numbers composed of MNIST's training
digits (``core.synthetic_numbers``), every piece of every candidate cut labelled by whose
ink it holds. Cutting an image's marks (``ink_cuts.read_ink``) adds the log of its "one
digit" probability to each piece's score, and cuts a mark the digit model is sure of when
the judge finds it is not one digit.

It ships as ``resources/piece_judge.keras``; ``python train_cli.py --piece-judge FILE``
trains it again.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import numpy as np

from digitpad import paths
from digitpad.core.ink_cuts import MIN_CONFIDENCE, spans
from digitpad.core.inference import NUM_CLASSES, Predictor
from digitpad.core.number_reader import COMPONENT_INK, image_groups
from digitpad.core.preprocess import to_line_view
from digitpad.core.synthetic_numbers import owned_image_number, random_layout

NOT_ONE_DIGIT = NUM_CLASSES  # the judge's last class
WHOLE = 0.9     # a piece is one digit when at least this share of its ink is that digit's
COVERED = 0.85  # ... and it holds at least this share of that digit's ink in its mark
TOUCHING = 0.3  # the share of neighbours that touch in the training numbers (readers: 0.1)


def default_judge_path() -> Path:
    """The piece judge shipped with digitpad."""
    return paths.resources_dir() / "piece_judge.keras"


class PieceJudge:
    """How likely pieces of ink are to be one whole digit each."""

    def __init__(self, predictor: Predictor):
        self._predictor = predictor

    @classmethod
    def load(cls, path: str | os.PathLike | None = None) -> "PieceJudge":
        """Read a judge's ``.keras`` file (the shipped one by default); raises ModelError."""
        return cls(Predictor.load(path or default_judge_path()))

    def one_digit(self, inks: list[np.ndarray], line: float) -> np.ndarray:
        """For each piece's ink (pieces of one mark, its top the line's top), the
        probability that it is one whole digit."""
        views = [to_line_view(ink, line) for ink in inks]
        shown = [k for k, view in enumerate(views) if view is not None]
        out = np.zeros(len(inks))
        if shown:
            _, not_one = self._predictor.predict_with_not_a_digit(
                np.stack([views[k] for k in shown]))
            out[shown] = 1.0 - not_one
        return out

    def log_one_digit(self, inks: list[np.ndarray], line: float) -> np.ndarray:
        """:meth:`one_digit` as logs, what piece scores add."""
        return np.log(np.maximum(self.one_digit(inks, line), MIN_CONFIDENCE))

    def is_one_digit(self, ink: np.ndarray, line: float) -> bool:
        """Whether a mark is more likely one digit than not."""
        return bool(self.one_digit([ink], line)[0] >= 0.5)


def piece_examples(image: np.ndarray, owners: np.ndarray,
                   labels: np.ndarray) -> tuple[list[np.ndarray], list[int]]:
    """The judge's examples from one composed number: every candidate piece of every mark,
    as the judge sees it, with its digit's label when it is one whole digit and
    ``NOT_ONE_DIGIT`` otherwise. ``owners``: each pixel's digit (index into ``labels``)."""
    views, targets = [], []
    groups, _ = image_groups(image)
    for (left, top, right, bottom), ink in groups:
        own = owners[top:bottom, left:right]
        # The pad's few candidate cuts: cuts all along a mark are mostly near-copies of
        # each other (and many times the memory).
        _, inks = spans(ink, bottom - top)
        for piece in inks.values():
            view = to_line_view(piece, bottom - top)
            if view is None:
                continue
            held = own[(piece > COMPONENT_INK) & (own >= 0)]
            target = NOT_ONE_DIGIT
            if held.size:
                digit = int(np.bincount(held).argmax())
                mine = int((held == digit).sum())
                whole = int(((own == digit) & (ink > COMPONENT_INK)).sum())
                if mine >= WHOLE * held.size and mine >= COVERED * whole:
                    target = int(labels[digit])
            views.append(view)
            targets.append(target)
    return views, targets


def training_examples(images: np.ndarray, labels: np.ndarray, numbers: int,
                      rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Examples (uint8 views (n, 28, 28), targets (n,)) from ``numbers`` composed numbers
    of 2-6 of ``images`` (uint8 MNIST digits), more of them touching than in the readers'
    benchmark, so that pairs are well represented."""
    views, targets = [], []
    for _ in range(numbers):
        count = int(rng.integers(2, 7))
        picks = rng.integers(0, len(labels), count)
        layout = random_layout(count, rng, touching=TOUCHING)
        image, owners = owned_image_number([images[k] / 255.0 for k in picks], layout, rng=rng)
        more_views, more_targets = piece_examples(image, owners, labels[picks])
        views += more_views
        targets += more_targets
    return (np.round(np.stack(views) * 255).astype(np.uint8),
            np.asarray(targets, np.int64))


def train_judge(images: np.ndarray, labels: np.ndarray, out: str | os.PathLike, *,
                numbers: int = 7000, epochs: int = 4, seed: int = 0,
                report=print) -> dict:
    """Train a judge on numbers composed of ``images`` (MNIST training digits) and save it
    to ``out`` with its card, atomically; returns the card. Needs TensorFlow."""
    import keras

    from digitpad.core.architectures import build_model
    from digitpad.core.config import TrainConfig
    from digitpad.core.registry import save_model

    start = time.monotonic()
    rng = np.random.default_rng(seed)
    views, targets = training_examples(images, labels, numbers, rng)
    report(f"{len(targets)} pieces from {numbers} numbers, "
           f"{np.mean(targets != NOT_ONE_DIGIT):.0%} of them one digit "
           f"({time.monotonic() - start:.0f} s)")
    order = rng.permutation(len(targets))
    held_out = order[:len(order) // 20]
    train = order[len(order) // 20:]
    x = views.astype(np.float32) / 255.0
    keras.utils.set_random_seed(seed)
    model = build_model(TrainConfig(arch="quick", not_a_digit=0.1, dropout=0.25, seed=seed))
    steps = epochs * int(np.ceil(len(train) / 128))
    model.compile(optimizer=keras.optimizers.Adam(
        keras.optimizers.schedules.CosineDecay(3e-3, steps)),
        loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(x[train], targets[train], batch_size=128, epochs=epochs,
                        validation_data=(x[held_out], targets[held_out]), verbose=0,
                        callbacks=[keras.callbacks.LambdaCallback(
                            on_epoch_end=lambda epoch, logs: report(
                                f"epoch {epoch + 1}/{epochs}: held-out accuracy "
                                f"{logs['val_accuracy']:.4f}"))])
    card = {"architecture": "quick", "purpose": "piece judge",
            "trained_on": f"{numbers} numbers composed of MNIST training digits",
            "pieces": int(len(targets)), "epochs": epochs, "seed": seed,
            "held_out_accuracy": float(history.history["val_accuracy"][-1]),
            "training_seconds": round(time.monotonic() - start, 1)}
    shipped = keras.models.clone_model(model)  # uncompiled: no optimizer state in the file
    shipped.set_weights(model.get_weights())
    save_model(shipped, out, card)
    return card
