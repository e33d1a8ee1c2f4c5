"""Reading numbers: strokes grouped into digits and a point, touching digits split, each
digit read by the shipped model with the single digit's rule."""

import numpy as np
import pytest

from digitpad.core.ink_groups import group_strokes
from digitpad.core.inference import Predictor
from digitpad.core.nondigits import _arc
from digitpad.core.number_reader import (EMPTY, NOT_A_NUMBER, NUMBER, read_number,
                                         read_number_image)
from digitpad.core.piece_judge import PieceJudge
from digitpad.core.registry import default_model_path
from digitpad.core.strokes import draw_strokes
from digitpad.core.verdict import TOO_SMALL, UNSURE, Thresholds
from tests import digit_strokes


@pytest.fixture(scope="module")
def predictor():
    return Predictor.load(default_model_path())


@pytest.fixture(scope="module")
def judge():
    return PieceJudge.load()


def written(*digits, gap=0.35, seed=0):
    """Strokes of ``digits`` (labels, or "." for a point) written left to right, each a
    unit high, ``gap`` apart; a point is a tap low between its neighbours."""
    rng = np.random.default_rng(seed)
    strokes, right = [], -gap
    for label in digits:
        if label == ".":
            strokes.append(np.array([[right + gap / 2, 0.97]]))
            continue
        drawing = digit_strokes.digit(label, rng)
        left = min(s[:, 0].min() for s in drawing)
        placed = [s + [right + gap - left, 0.0] for s in drawing]
        strokes += placed
        right = max(s[:, 0].max() for s in placed)
    return strokes


FOUR = digit_strokes.STYLES[4][0]()     # an open 4: bar, then stem
FIVE = digit_strokes.STYLES[5][0]()     # body, then flag
SEVEN = digit_strokes.STYLES[7][1]()    # a crossed 7: body, then bar


@pytest.mark.parametrize("label, strokes", [(4, FOUR), (5, FIVE), (7, SEVEN)])
def test_a_digit_drawn_in_two_strokes_is_one_digit(predictor, label, strokes):
    assert len(strokes) == 2 and len(group_strokes(strokes).groups) == 1
    reading = read_number(strokes, predictor)
    assert reading.kind == NUMBER and reading.text() == str(label)
    assert reading.digits[0].strokes == (0, 1)


# Drawn apart by a hair: the bar stops short of the stem, the stem starts beside the loop.
FOUR_OPEN = [np.array([[0.15, 0.0], [0.05, 0.6], [0.6, 0.6]]),
             np.array([[0.66, 0.15], [0.66, 1.0]])]
NINE_APART = [_arc(0.35, 0.3, 0.3, 0.28, 0, 360, 40),
              np.array([[0.7, 0.32], [0.68, 1.0]])]


@pytest.mark.parametrize("label, strokes", [(4, FOUR_OPEN), (9, NINE_APART)])
def test_two_strokes_that_nearly_touch_and_are_all_drawn_are_one_digit(predictor, label,
                                                                      strokes):
    assert len(group_strokes(strokes).groups) == 1
    assert read_number(strokes, predictor).text() == str(label)


def test_a_one_beside_a_zero_is_two_digits(predictor):
    one = digit_strokes.STYLES[1][0]()
    zero = [s + [0.45, 0.0] for s in digit_strokes.STYLES[0][0]()]  # its box 0.1 after the 1's
    grouping = group_strokes(one + zero)
    assert grouping.groups == ((0,), (1,))
    reading = read_number(one + zero, predictor)
    assert reading.number() == "10" and [d.strokes for d in reading.digits] == [(0,), (1,)]


def test_numbers_of_several_digits_and_two_stroke_digits(predictor):
    strokes = written(2, 0, 4, 7, 5)
    reading = read_number(strokes, predictor)
    assert reading.number() == "20475"
    boxes = [d.box for d in reading.digits]
    assert all(a[2] < b[0] for a, b in zip(boxes, boxes[1:]))  # left to right, apart
    assert all(d.image.shape == (28, 28) and d.probabilities.shape == (10,)
               for d in reading.digits)


def test_a_small_dot_low_between_digits_is_a_decimal_point(predictor):
    reading = read_number(written(3, ".", 1, 4), predictor)
    assert reading.number() == "3.14" and reading.point_after == 1
    assert reading.point_box is not None and len(reading.digits) == 3
    # Only one point: a second dot is a mark of its own, too small to be a digit.
    twice = read_number(written(3, ".", 1, ".", 4), predictor)
    assert twice.kind == NOT_A_NUMBER and twice.number() is None
    assert [twice.digits[i].verdict.kind for i in twice.culprits()] == [TOO_SMALL]


def test_a_dot_high_up_is_no_decimal_point(predictor):
    strokes = written(3, 1)
    strokes.insert(1, np.array([[0.75, 0.1]]))  # between the digits, but at the top
    assert group_strokes(strokes).point == ()
    assert read_number(strokes, predictor).number() is None


def test_a_lone_tap_is_too_small(predictor):
    reading = read_number([np.array([[0.5, 0.5]])], predictor, pad_side=1.0)
    assert reading.kind == TOO_SMALL and reading.describe() == "Draw larger"
    assert reading.number() is None and reading.text() == ""
    tiny = read_number(written(2, 4), predictor, pad_side=40.0)  # a number a 40th of the pad
    assert tiny.kind == TOO_SMALL


def test_nothing_drawn_is_empty(predictor):
    reading = read_number([], predictor)
    assert reading.kind == EMPTY and reading.number() is None and reading.digits == ()


def test_touching_digits_in_one_group_are_split_between_their_strokes(predictor):
    # A 7 written into the 1 before it: their boxes overlap and their ink touches, so the
    # strokes make one group, which the model cannot read as one digit; split, it is "17".
    one = digit_strokes.STYLES[1][0]()
    seven = [s + [0.25, 0.0] for s in digit_strokes.STYLES[7][0]()]
    assert len(group_strokes(one + seven).groups) == 1
    reading = read_number(one + seven, predictor)
    assert reading.number() == "17" and [d.strokes for d in reading.digits] == [(0, 1)] * 2
    assert reading.digits[0].box[2] < reading.digits[1].box[2]


def test_touching_digits_in_one_image_are_cut_apart(predictor):
    # Two 0s whose rings touch: one piece of ink, too wide for one digit.
    image = draw_strokes(np.zeros((40, 70), np.float32),
                         [_arc(18, 20, 11, 15, 0, 360, 40), _arc(41, 20, 11, 15, 0, 360, 40)],
                         3.2)
    reading = read_number_image(image, predictor)
    assert reading.number() == "00"
    assert reading.digits[0].box[2] <= reading.digits[1].box[0] + 1


def test_an_image_speck_is_noise_and_a_broken_off_flag_is_part_of_its_digit(predictor):
    # A 5 whose flag, drawn apart, stops short of the body (a faint stretch of a scanned
    # line), and a one-pixel speck beside it: one digit, the speck ignored.
    five = [s * 24 + [8, 6] for s in digit_strokes.STYLES[5][0]()]
    five[1] = five[1] + [3.0, -4.0]  # the flag, lifted clear of the body
    image = draw_strokes(np.zeros((44, 44), np.float32), five, 3.0)
    assert len(read_number_image(image, predictor).digits) == 1
    image[40, 40] = 1.0
    reading = read_number_image(image, predictor)
    assert reading.number() == "5", reading.describe()


@pytest.mark.heavy
def test_mnist_digits_read_as_numbers_are_one_digit_each(predictor, judge, mnist):
    # Scanned digits, each an image of its own: broken strokes, specks, wide digits. Read
    # as numbers, nearly every one is its digit, whole (the model alone reads 99.7%; the
    # reader read 98.4% before the piece judge, 98.95% with it).
    images = np.kron(mnist.test.images[:2000] / 255.0, np.ones((2, 2)))
    read = [read_number_image(image, predictor, judge=judge).text() == str(label)
            for image, label in zip(images, mnist.test.labels[:2000])]
    assert np.mean(read) >= 0.987


def touching(left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """Two digit images side by side, the right one slid in until their inks touch."""
    canvas_width = 2 * left.shape[1]
    for start in range(left.shape[1] // 2, canvas_width - right.shape[1] + 1):
        canvas = np.zeros((left.shape[0], canvas_width + 8), np.float32)
        canvas[:, 4:4 + left.shape[1]] = left
        placed = canvas[:, 4 + start:4 + start + right.shape[1]]
        if not ((placed > 0.3) & (right > 0.3)).any():
            np.maximum(placed, right, out=placed)
            return canvas
    raise AssertionError("the digits never came apart")


@pytest.mark.heavy
def test_touching_mnist_digits_are_cut_apart_most_of_the_time(predictor, judge, mnist):
    # Pairs of scanned digits whose inks touch: one piece of ink each, often with a digit
    # leaning over its neighbour, so that no straight cut parts them.
    # (Straight cuts read 91% of these, seams 97%, seams and the piece judge 99%.)
    pairs = np.random.default_rng(0).integers(0, len(mnist.test.labels), (200, 2))
    images = np.kron(mnist.test.images[pairs] / 255.0, np.ones((2, 2)))
    read = [read_number_image(touching(*pair), predictor, judge=judge).text()
            == f"{mnist.test.labels[a]}{mnist.test.labels[b]}"
            for pair, (a, b) in zip(images, pairs)]
    assert np.mean(read) >= 0.975


def test_an_unsure_digit_is_marked_with_its_alternatives(predictor):
    strokes = written(2, 0, 4)
    # Judged as sure only at a confidence no reading reaches: every digit is unsure.
    strict = type("Strict", (), {"thresholds": Thresholds(not_a_digit=0.99, sure=1.01),
                                 "predict_with_not_a_digit": predictor.predict_with_not_a_digit})
    reading = read_number(strokes, strict())
    assert reading.kind == UNSURE and reading.number() is None
    assert reading.text() == "???" and reading.unsure() == [0, 1, 2]
    assert reading.alternatives()[0] == "204" and len(reading.alternatives()) <= 6
    assert "Not sure of 2 or" in reading.describe()


def test_a_cache_gives_the_same_reading(predictor):
    strokes = written(9, 8, 6)
    cache = {}
    first = read_number(strokes, predictor, cache=cache)
    again = read_number(strokes, predictor, cache=cache)
    assert first.number() == again.number() == "986" and len(cache) == 3


def test_strokes_that_are_not_points_are_refused(predictor):
    with pytest.raises(ValueError, match="stroke 2"):
        read_number([[(0, 0), (1, 1)], [(0, float("nan"))]], predictor)
    with pytest.raises(ValueError, match="stroke 1"):
        read_number([[]], predictor)


def test_flat_strokes_and_taps_are_grouped_without_trouble(predictor):
    dash = [np.array([[0.0, 0.5], [1.0, 0.5]])]
    assert group_strokes(dash).groups == ((0,),)
    assert group_strokes(dash + [np.array([[0.5, 0.5], [0.6, 0.5]])]).groups == ((0, 1),)
    taps = [np.array([[0.2, 0.2]]), np.array([[0.2, 0.2]])]
    assert read_number(taps, predictor).kind == TOO_SMALL
