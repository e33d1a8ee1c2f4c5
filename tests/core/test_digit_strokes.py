"""Digits drawn as strokes: each style draws what it says, every drawing stays in the frame,
and no non-digit that training uses is a shape a digit style draws."""

import numpy as np
import pytest

from digitpad.core import digit_strokes as ds
from digitpad.core import nondigits
from digitpad.core.preprocess import CENTRE_OF_MASS


def skeletons(digit, style, count=20):
    rng = np.random.default_rng(0)
    return [ds.skeleton(digit, style, rng) for _ in range(count)]


def angle_below_horizontal(vector) -> float:
    return float(np.degrees(np.arctan2(vector[1], abs(vector[0]))))


@pytest.mark.parametrize("digit, style", ds.ALL_STYLES)
def test_every_style_renders_in_the_frame_as_the_pad_normalises(digit, style):
    rng = np.random.default_rng(1)
    for _ in range(6):
        got, name, strokes = ds.random_digit(rng, digit, style)
        assert (got, name) == (digit, style)
        points = np.concatenate(strokes)
        # Around the unit box a skeleton is drawn in, however the hand varies it.
        assert np.isfinite(points).all()
        assert points.min() > -0.6 and points.max() < 1.6 and np.ptp(points[:, 1]) > 0.7
        image = ds.render_digit(strokes, rng)
        assert image.shape == (28, 28) and image.dtype == np.float32 and image.max() == 1
        edge = np.concatenate([image[0], image[-1], image[:, 0], image[:, -1]])
        # Centring the ink's mass may push a top-heavy 7's foot to the frame's edge, as the
        # pad does with a drawn one; never more than a sliver of the drawing.
        assert edge.sum() < 0.03 * image.sum(), "the drawing cut by the frame"
        ys = np.arange(28) + 0.5
        assert abs(image.sum(axis=1) @ ys / image.sum() - CENTRE_OF_MASS) < 1.0


def test_a_long_flag_one_is_drawn_up_the_flag_then_down_the_stem():
    one_stroke = 0
    for strokes in skeletons(1, "long flag"):
        points = np.concatenate(strokes)
        top = points[np.argmin(points[:, 1])]
        flag_end = points[np.argmin(points[:, 0])]
        length = np.linalg.norm(flag_end - top)
        assert 0.6 <= length <= 1.0          # of the stem, which is 1 high
        assert 45 <= angle_below_horizontal(flag_end - top) <= 80
        if len(strokes) == 1:
            one_stroke += 1
            ys = strokes[0][:, 1]
            turn = np.argmin(ys)
            assert (np.diff(ys[:turn + 1]) < 0).all() and (np.diff(ys[turn:]) > 0).all()
    assert one_stroke >= 12  # usually one stroke


def test_a_short_flag_is_short_and_a_foot_lies_across_the_bottom():
    for strokes in skeletons(1, "short flag"):
        points = np.concatenate(strokes)
        assert np.linalg.norm(points[np.argmin(points[:, 0])] - (0.5, 0)) <= 0.4
    for strokes in skeletons(1, "foot"):
        foot = strokes[-1]
        assert np.allclose(foot[:, 1], 1.0) and np.ptp(foot[:, 0]) >= 0.4


def test_sevens_plain_crossed_and_hooked():
    for strokes in skeletons(7, "crossed"):
        stem, bar = strokes[0][-3:], strokes[1]
        row = bar[:, 1].mean()
        stem_x = np.interp(row, stem[:, 1], stem[:, 0])
        assert 0.4 <= row <= 0.65 and bar[:, 0].min() < stem_x < bar[:, 0].max()
    for strokes in skeletons(7, "hooked top"):
        start = strokes[0][:3]
        assert start[0, 1] >= 0.25 and start[-1, 1] <= 0.01  # up from below the bar to it
    assert all(len(s) == 1 and len(s[0]) == 4 for s in skeletons(7, "plain"))


def test_fours_open_closed_and_slanted():
    for strokes in skeletons(4, "open"):
        left, stem = strokes
        assert np.linalg.norm(left[0] - stem[0]) > 0.4  # the top stays open
    for strokes in skeletons(4, "closed"):
        points = np.concatenate(strokes)
        stem_top = points[np.argmin(points[:, 1])]
        # The diagonal leaves the stem's very top: a triangle.
        assert sum(np.linalg.norm(s - stem_top, axis=1).min() < 1e-9 for s in strokes) == len(strokes)
    for strokes in skeletons(4, "slanted"):
        stem = strokes[-1] if len(strokes) == 2 else strokes[0][:2][::-1]
        top, foot = stem[np.argmin(stem[:, 1])], stem[np.argmax(stem[:, 1])]
        assert top[0] - foot[0] >= 0.1  # leaning right


@pytest.mark.parametrize("style, closed", [("straight, closed", True), ("straight, open", False),
                                          ("curved, closed", True), ("curved, open", False)])
def test_nines_open_or_closed_at_the_top(style, closed):
    for strokes in skeletons(9, style):
        loop_start = strokes[0][0]
        joined = np.linalg.norm(loop_start - (0.95, loop_start[1])) < 1e-6 and \
            abs(loop_start[1] - strokes[0][:30, 1].min()) > 0.1
        gap = np.linalg.norm(loop_start - strokes[0][29])
        assert (gap < 1e-6) == closed, (style, gap, joined)
        if style.startswith("curved"):
            assert strokes[-1][-1][0] < 0.7  # the stem's foot curls left


def test_a_six_whose_loop_crosses_the_stem_ends_left_of_it():
    for plain, crossing in zip(skeletons(6, "plain"), skeletons(6, "loop crossing the stem")):
        assert plain[0][-1][0] >= 0.0
        assert crossing[0][-1][0] < -0.04  # out past the stem, which is at x = 0.05


def test_a_two_with_a_bottom_loop_crosses_itself_and_a_plain_one_does_not():
    def crossings(stroke):
        a, b = stroke[:-1], stroke[1:]
        count = 0
        for i in range(len(a)):
            for j in range(i + 2, len(a)):
                d1, d2 = b[i] - a[i], b[j] - a[j]
                den = d1[0] * d2[1] - d1[1] * d2[0]
                if abs(den) < 1e-12:
                    continue
                r = a[j] - a[i]
                t, u = (r[0] * d2[1] - r[1] * d2[0]) / den, (r[0] * d1[1] - r[1] * d1[0]) / den
                count += 0 <= t <= 1 and 0 <= u <= 1
        return count
    assert all(crossings(s[0]) >= 1 for s in skeletons(2, "bottom loop", 10))
    assert all(crossings(s[0]) == 0 for s in skeletons(2, "plain", 10))


def test_zeros_slashed_or_with_a_tail():
    for strokes in skeletons(0, "slashed"):
        assert len(strokes) == 2
    for strokes in skeletons(0, "tail"):
        radius = np.linalg.norm(strokes[0] - 0.5, axis=1)
        assert radius[-1] >= 0.6 and np.median(radius) == pytest.approx(0.5)


def test_threes_fives_and_eights():
    for strokes in skeletons(3, "flat top"):
        assert np.allclose(strokes[0][:2, 1], 0.0)  # a straight bar along the top
    for strokes in skeletons(3, "round top"):
        assert strokes[0][1, 1] < strokes[0][0, 1]  # rising into an arc
    assert {len(s) for s in skeletons(5, "plain")} == {1, 2}
    assert {len(s) for s in skeletons(8, "one stroke")} == {1}
    assert {len(s) for s in skeletons(8, "two strokes")} == {2}


def test_hand_variation_changes_every_drawing_and_the_same_seed_repeats():
    images, labels = ds.make_digits(30, seed=5)
    again, _ = ds.make_digits(30, seed=5)
    assert np.array_equal(images, again) and list(labels) == [i % 10 for i in range(30)]
    assert len({image.tobytes() for image in images}) == 30
    assert not np.allclose(images, ds.make_digits(30, seed=6)[0])


def test_non_digits_a_digit_style_could_draw_are_left_out():
    digits, _ = ds.make_digits(300, seed=1)
    like_digits, _ = ds.make_digits(40, seed=2)   # drawn by the digit styles
    rng = np.random.default_rng(3)
    shapes = np.stack([nondigits.render_shape(nondigits.random_shape(
        rng, {"star": nondigits.SYMBOLS["star"], "#": nondigits.SYMBOLS["#"]})[1], rng)
        for _ in range(40)])
    kept = nondigits.unlike(np.concatenate([like_digits, shapes]), digits)
    assert len(kept) >= 38                               # the stars and hashes stay...
    assert sum(any(np.array_equal(k, d) for k in kept) for d in like_digits) <= 6  # digits go


def test_carets_never_stand_a_leg_upright_like_a_ones_stem():
    rng = np.random.default_rng(4)
    for _ in range(200):
        kind, strokes = nondigits.random_shape(rng, {k: nondigits.SYMBOLS[k] for k in "^vA"})
        assert not nondigits._has_upright_leg(strokes[0]), kind
