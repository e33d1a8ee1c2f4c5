"""The piece judge: pieces of ink seen against their line, labelled from composed numbers,
and the shipped judge telling one digit from two."""

import numpy as np
import pytest

from digitpad.core.number_reader import image_groups
from digitpad.core.piece_judge import (NOT_ONE_DIGIT, PieceJudge, piece_examples,
                                       train_judge)
from digitpad.core.preprocess import to_line_view
from digitpad.core.strokes import draw_strokes
from digitpad.core.synthetic_numbers import Layout, owned_image_number
from tests import digit_strokes


def digit_image(label: int, seed: int = 0) -> np.ndarray:
    """A stroke-drawn digit as a 28x28 MNIST-style image (uint8, ink high)."""
    strokes = [s * 18 + [5, 5] for s in digit_strokes.digit(label, np.random.default_rng(seed))]
    image = draw_strokes(np.zeros((28, 28), np.float32), strokes, 2.6)
    return np.round(image * 255).astype(np.uint8)


def layout(count: int, touching: bool) -> Layout:
    """``count`` digits of one size, upright, apart or each touching the one before."""
    pairs = count - 1
    return Layout(np.ones(count), np.zeros(count),
                  np.full(pairs, -0.05 if touching else 0.4),
                  np.full(pairs, 0.05 if touching else 0.0), np.zeros(count), None)


def test_a_line_view_keeps_a_piece_s_size_against_its_line():
    line = np.zeros((40, 30), np.float32)
    line[:, 10:14] = 1.0          # a stroke the line's whole height
    short = np.zeros_like(line)
    short[20:, 10:14] = 1.0       # one half as tall, in the line's lower half
    tall_rows = np.flatnonzero(to_line_view(line, 40).max(axis=1) > 0.5)
    short_rows = np.flatnonzero(to_line_view(short, 40).max(axis=1) > 0.5)
    assert len(short_rows) == pytest.approx(len(tall_rows) / 2, abs=1)
    assert short_rows[-1] == tall_rows[-1]  # both end on the line's foot
    assert to_line_view(np.zeros((40, 30)), 40) is None


def test_pieces_are_labelled_by_whose_ink_they_hold():
    images = [digit_image(3), digit_image(7)]
    apart, owners = owned_image_number([i / 255 for i in images], layout(2, touching=False))
    views, targets = piece_examples(apart, owners, np.array([3, 7]))
    assert {3, 7} <= set(targets) <= {3, 7, NOT_ONE_DIGIT}  # a digit whole, or a fragment
    assert all(v.shape == (28, 28) for v in views)

    touching, owners = owned_image_number([i / 255 for i in images], layout(2, touching=True))
    views, targets = piece_examples(touching, owners, np.array([3, 7]))
    # One mark: read whole it is no one digit; cut at the seam, each side is its digit.
    assert NOT_ONE_DIGIT in targets and {3, 7} <= set(targets)


def one_mark_judged(judge, image) -> float:
    """The judge's "one digit" probability for an image's only mark, as the reader asks."""
    (box, ink), = image_groups(image)[0]
    return judge.one_digit([ink], box[3] - box[1])[0]


def test_the_shipped_judge_tells_one_digit_from_two_touching():
    judge = PieceJudge.load()
    singles, pairs = [], []
    rng = np.random.default_rng(1)
    for a, b in rng.integers(0, 10, (40, 2)):
        one, _ = owned_image_number([digit_image(a, seed=int(b)) / 255], layout(1, False))
        two, _ = owned_image_number([digit_image(a) / 255, digit_image(b) / 255],
                                    layout(2, touching=True))
        singles.append(one_mark_judged(judge, one))
        pairs.append(one_mark_judged(judge, two))
    assert np.mean(np.array(singles) >= 0.5) >= 0.9
    assert np.mean(np.array(pairs) < 0.5) >= 0.9


@pytest.mark.heavy
def test_a_judge_trains_from_mnist_and_loads(mnist, tmp_path):
    card = train_judge(mnist.train.images[:3000], mnist.train.labels[:3000],
                       tmp_path / "judge.keras", numbers=60, epochs=1, report=lambda _: None)
    assert card["purpose"] == "piece judge" and card["pieces"] > 600
    judge = PieceJudge.load(tmp_path / "judge.keras")
    assert judge.one_digit([np.ones((20, 10))], 20).shape == (1,)
