"""Each handwriting style changes a digit the way it says, and keeps it inside the frame."""

import numpy as np
import pytest

from digitpad.core import handwriting_styles as styles
from digitpad.core.strokes import render

WIDTH = 2.2  # MNIST-like stroke width, pixels


def digit(*strokes) -> np.ndarray:
    return render([np.array(s, np.float32) for s in strokes], 28, WIDTH)


ONE = digit([(14, 4), (14, 24)])
SEVEN = digit([(8, 5), (20, 5), (13, 24)])
_T = np.linspace(0, 2 * np.pi, 60)
ZERO = digit(np.stack([14 + 6 * np.cos(_T), 14 + 9 * np.sin(_T)], axis=1))
FOUR = digit([(11, 4), (7, 16), (21, 16)], [(17, 4), (17, 24)])
SIX = digit([(17, 4), (10, 14), (9, 20), (12, 24), (17, 23), (18, 19), (15, 16), (11, 17)])


def added(before: np.ndarray, after: np.ndarray) -> np.ndarray:
    """Where the edit put new ink."""
    return (after - before) > 0.5


def rng():
    return np.random.default_rng(0)


@pytest.mark.parametrize("edit, image", [
    (styles.flag_one, ONE), (styles.cross_seven, SEVEN), (styles.slash_zero, ZERO),
    (styles.close_four, FOUR), (styles.cross_six, SIX), (styles.vary_thickness, SEVEN)])
def test_every_style_stays_in_the_frame_and_in_range(edit, image):
    for seed in range(20):
        out = edit(image, np.random.default_rng(seed))
        assert out.shape == (28, 28) and out.dtype == np.float32
        assert out.min() >= 0 and out.max() <= image.max() + 1e-6
        assert not out[0].any() and not out[-1].any()
        assert not out[:, 0].any() and not out[:, -1].any()


def test_a_one_gets_a_flag_down_to_the_left_of_its_top():
    new = added(ONE, styles.flag_one(ONE, rng()))[:20]  # above any foot at the bottom
    ys, xs = np.nonzero(new)
    assert new.sum() >= 6
    assert xs.max() <= 15 and xs.min() <= 10  # to the left of the stem (x = 14)
    assert ys.min() <= 6                      # from the top
    assert np.any(ys[xs < 11] > 6)            # and down


def test_a_seven_gets_a_bar_across_its_stem():
    new = added(SEVEN, styles.cross_seven(SEVEN, rng()))
    ys, xs = np.nonzero(new)
    stem_x = 20 - (20 - 13) * (ys.mean() - 5) / 19
    assert 11 <= ys.mean() <= 18              # about halfway down
    assert xs.min() < stem_x - 1.5 < stem_x + 1.5 < xs.max()  # on both sides of the stem


def test_a_zero_gets_a_slash_through_its_inside():
    new = added(ZERO, styles.slash_zero(ZERO, rng()))
    assert new[10:18, 11:17].any()            # through the hole
    ys, xs = np.nonzero(new)
    assert np.corrcoef(xs, ys)[0, 1] < -0.8   # a rising diagonal, like /


def test_a_four_gets_closed_at_the_top():
    new = added(FOUR, styles.close_four(FOUR, rng()))
    ys, xs = np.nonzero(new)
    assert new.sum() >= 6
    assert ys.min() <= 6 and xs.max() >= 15   # from the top of the stem
    assert xs.min() <= 9 and ys.max() >= 13   # to the bar's left end


def test_a_six_gets_its_loop_run_on_past_the_stem():
    new = added(SIX, styles.cross_six(SIX, rng()))
    ys, xs = np.nonzero(new)
    assert new.any() and xs.min() < 9         # past the stem's left side (x of about 9-10)
    assert 14 <= ys.mean() <= 22              # where the loop closes


def test_thickness_varies_both_ways_and_keeps_the_digit_in_place():
    inks = [styles.vary_thickness(SEVEN, np.random.default_rng(seed)).sum() for seed in range(20)]
    assert min(inks) < SEVEN.sum() < max(inks)


def test_apply_styles_edits_a_modest_share_of_the_styled_digits_only():
    images = np.stack([ONE] * 200 + [SEVEN] * 200).astype(np.float32)
    labels = np.array([1] * 200 + [3] * 200)  # 3s have no style of their own
    out = styles.apply_styles(images, labels, np.random.default_rng(0))
    changed = np.abs(out - images).max(axis=(1, 2)) > 0.5
    ones = changed[:200].mean()
    assert styles.STYLE_RATES[1] * 0.6 < ones < styles.STYLE_RATES[1] + styles.THICKNESS_RATE + 0.1
    assert changed[200:].mean() <= styles.THICKNESS_RATE + 0.1  # only thickness changes
    assert np.array_equal(images[0], ONE)  # the input is left alone


def test_a_blank_image_is_left_unchanged():
    blank = np.zeros((28, 28), np.float32)
    for edit in styles.STYLE_EDITS.values():
        assert not edit(blank, rng()).any()
