"""Digits drawn as strokes, in the styles people write them around the world.

MNIST was written in the US: it barely has continental 1s with a long flag, crossed 7s,
slashed 0s, closed 4s or 2s with a loop. Here each digit has several skeleton styles, drawn
as pen strokes in a unit box (x right, y down, height 1) and varied as a hand varies them:
slant, rotation and width (an affine jitter), a slow wobble and a per-point tremor, strokes
drawn in either direction and in any order, joins that overshoot or fall short, and the
pen's width. :func:`render_digit` draws them with the round pen and the normalisation the
drawing pad uses, so training sees them as it sees what people draw; the strokes themselves
can be replayed through the pad (``benchmarks/recognition.py``).

Styles, by digit (:data:`STYLES`):

- 1: plain; short flag; stem-long flag (60-100% of the stem, 45-80 degrees below the
  horizontal, usually one stroke up then down the stem); with a foot;
- 7: plain; crossed; hooked top;
- 4: open top; closed (a triangle); slanted, its stem leaning or hooked;
- 9: straight or curved stem, open or closed top;
- 6: plain; loop crossing the stem;
- 2: plain; bottom loop;
- 0: plain; slashed; with a tail;
- 3: flat or round top;
- 5: one or two strokes;
- 8: one stroke or two loops.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from digitpad.core.nondigits import _densify, render_shape

Strokes = list[np.ndarray]  # each (k, 2): x, y in a unit box, y down


def _arc(cx, cy, rx, ry, start_deg, end_deg, n=None) -> np.ndarray:
    """Points of an elliptic arc; angles in degrees, 0 = right, 90 = down (y down)."""
    n = n or max(6, int(abs(end_deg - start_deg) / 10))
    t = np.deg2rad(np.linspace(start_deg, end_deg, n))
    return np.stack([cx + rx * np.cos(t), cy + ry * np.sin(t)], axis=1)


def _line(*points) -> np.ndarray:
    return np.array(points, np.float64)


def _join(*pieces) -> np.ndarray:
    return np.concatenate(pieces)


# ----- 1 ------------------------------------------------------------------------------
def _flag(rng, length: tuple[float, float], angle: tuple[float, float]) -> np.ndarray:
    """From the flag's end up to the stem's top (0.5, 0): a share of the stem long, at an
    angle below the horizontal (degrees)."""
    size = rng.uniform(*length)
    theta = np.deg2rad(rng.uniform(*angle))
    return _line((0.5 - size * np.cos(theta), size * np.sin(theta)), (0.5, 0.0))


def _one_with_flag(rng, length, angle) -> Strokes:
    flag, stem = _flag(rng, length, angle), _line((0.5, 0.0), (0.5, 1.0))
    if rng.random() < 0.8:  # usually one stroke: up the flag, then down the stem
        return [_join(flag, stem[1:])]
    return [flag, stem]


def one_plain(rng) -> Strokes:
    return [_line((0.5, 0.0), (0.5, 1.0))]


def one_short_flag(rng) -> Strokes:
    return _one_with_flag(rng, (0.15, 0.4), (15, 50))


def one_long_flag(rng) -> Strokes:
    return _one_with_flag(rng, (0.6, 1.0), (45, 80))


def one_foot(rng) -> Strokes:
    strokes = one_short_flag(rng) if rng.random() < 0.7 else one_plain(rng)
    half = rng.uniform(0.2, 0.35)
    return strokes + [_line((0.5 - half, 1.0), (0.5 + half, 1.0))]


# ----- 7 ------------------------------------------------------------------------------
def _seven(rng, hook: bool) -> np.ndarray:
    top = rng.uniform(-0.04, 0.04)
    foot = (rng.uniform(0.2, 0.45), 1.0)
    bend = rng.uniform(-0.06, 0.04)  # the stem a little bowed
    stem = _line((1.0, top), ((1.0 + foot[0]) / 2 + bend, 0.5), foot)
    start = (_line((0.04, 0.3), (-0.02, 0.12), (0.1, 0.0)) if hook
             else _line((0.0, -top)))
    return _join(start, stem)


def seven_plain(rng) -> Strokes:
    return [_seven(rng, hook=False)]


def seven_crossed(rng) -> Strokes:
    stroke = _seven(rng, hook=rng.random() < 0.3)
    row = rng.uniform(0.45, 0.6)
    stem = stroke[-3:]  # the top bar's right end, the stem's middle and its foot
    x = float(np.interp(row, stem[:, 1], stem[:, 0]))
    half = rng.uniform(0.2, 0.35)
    return [stroke, _line((x - half, row + 0.02), (x + half, row - 0.02))]


def seven_hooked(rng) -> Strokes:
    return [_seven(rng, hook=True)]


# ----- 4 ------------------------------------------------------------------------------
def four_open(rng) -> Strokes:
    """The left stroke down and across, the stem apart from it: the top stays open."""
    bar = rng.uniform(0.55, 0.7)
    left = rng.uniform(0.0, 0.15)
    stem_x = rng.uniform(0.6, 0.75)
    return [_line((left + 0.1, 0.0), (left, bar), (1.0, bar)),
            _line((stem_x, rng.uniform(0.0, 0.15)), (stem_x, 1.0))]


def four_closed(rng) -> Strokes:
    """A triangle: from the stem's top down-left, across, then the stem."""
    bar = rng.uniform(0.55, 0.72)
    stem_x = rng.uniform(0.6, 0.75)
    if rng.random() < 0.5:
        return [_line((stem_x, 0.0), (0.0, bar), (1.0, bar)), _line((stem_x, 0.0), (stem_x, 1.0))]
    return [_line((stem_x, 1.0), (stem_x, 0.0), (0.0, bar), (1.0, bar))]


def four_slanted(rng) -> Strokes:
    """Open or closed, with a stem leaning right, and sometimes hooked at its foot."""
    strokes = four_open(rng) if rng.random() < 0.5 else four_closed(rng)
    lean = rng.uniform(0.12, 0.25)
    out = []
    for stroke in strokes:
        stroke = stroke.copy()
        stroke[:, 0] += lean * (0.5 - stroke[:, 1])  # the top to the right, the foot left
        out.append(stroke)
    if len(out) == 2 and rng.random() < 0.4:  # a hook at the stem's foot, curling left
        out[1] = _join(out[1], out[1][-1:] + (-rng.uniform(0.08, 0.15), 0.04))
    return out


# ----- 9 ------------------------------------------------------------------------------
def _nine(rng, closed: bool, curved: bool) -> Strokes:
    rx, ry = rng.uniform(0.32, 0.45), rng.uniform(0.2, 0.28)
    cx, cy = 0.95 - rx, ry
    # Counter-clockwise on screen from the right side: up, left, down, back right.
    gap = 0 if closed else rng.uniform(35, 70)
    loop = _arc(cx, cy, rx, ry, -gap, -360, 30)
    loop_end = loop[-1]
    if curved:
        stem = _join(_line(loop_end, (0.95, 0.6)), _arc(0.62, 0.75, 0.33, 0.25, 0, 120)[1:])
    else:
        stem = _line(loop_end, (0.95 - rng.uniform(0.0, 0.1), 1.0))
    if closed and rng.random() < 0.4:  # the loop and the stem as two strokes
        return [loop, _line((0.95, cy), stem[-1])]
    return [_join(loop, stem[1:])]


def nine_straight_closed(rng) -> Strokes:
    return _nine(rng, closed=True, curved=False)


def nine_straight_open(rng) -> Strokes:
    return _nine(rng, closed=False, curved=False)


def nine_curved_closed(rng) -> Strokes:
    return _nine(rng, closed=True, curved=True)


def nine_curved_open(rng) -> Strokes:
    return _nine(rng, closed=False, curved=True)


# ----- 6 ------------------------------------------------------------------------------
def _six(rng, overshoot: float) -> Strokes:
    ry = rng.uniform(0.2, 0.28)
    cy = 1 - ry
    # From the top right, down the left side into the loop, round it and back to the stem.
    stem = _arc(0.95, cy, 0.9, cy, -100, -180, 12)
    loop = _arc(0.5, cy, 0.45, ry, 180, 180 - 330, 34)  # down, right, up, back left
    if overshoot:  # on across the stem and out to its left
        loop = _join(loop, _line(loop[-1], (0.0 - overshoot, cy - ry * rng.uniform(0.6, 1.1))))
    return [_join(stem, loop[1:])]


def six_plain(rng) -> Strokes:
    return _six(rng, 0.0)


def six_crossing(rng) -> Strokes:
    return _six(rng, rng.uniform(0.05, 0.2))


# ----- 2 ------------------------------------------------------------------------------
def _two(rng, looped: bool) -> Strokes:
    top = _arc(0.5, 0.28, 0.45, 0.28, 200, 360 + 20, 20)
    corner = (0.05, 1.0)
    if looped:
        r = rng.uniform(0.08, 0.14)
        loop = _arc(corner[0] + r, 1.0 - r, r, r, 180 + 45, 180 + 45 - 330, 18)
        down = _line(top[-1], loop[0])
        return [_join(top, down[1:], loop[1:], _line(loop[-1], (1.0, 1.0 - r * 0.4))[1:])]
    return [_join(top, _line(top[-1], corner, (1.0, rng.uniform(0.95, 1.02)))[1:])]


def two_plain(rng) -> Strokes:
    return _two(rng, looped=False)


def two_looped(rng) -> Strokes:
    return _two(rng, looped=True)


# ----- 0 ------------------------------------------------------------------------------
def _zero(rng, tail: float) -> np.ndarray:
    start = rng.uniform(-110, -70)  # near the top, going counter-clockwise (as most do)
    sweep = 360 + rng.uniform(0, 25) + tail
    return _arc(0.5, 0.5, 0.5, 0.5, start, start - sweep, 40)


def zero_plain(rng) -> Strokes:
    return [_zero(rng, 0.0)]


def zero_slashed(rng) -> Strokes:
    inset = rng.uniform(0.1, 0.25)
    slash = _line((1.0 - inset, inset), (inset, 1.0 - inset))
    return [_zero(rng, 0.0), slash]


def zero_tail(rng) -> Strokes:
    ring = _zero(rng, rng.uniform(30, 60))
    # The overshoot leaves the ring: the last points pushed outwards.
    n = 6
    out = ring[-n:] - 0.5
    ring[-n:] = 0.5 + out * np.linspace(1.0, rng.uniform(1.25, 1.5), n)[:, None]
    return [ring]


# ----- 3, 5, 8 -------------------------------------------------------------------------
def three_round(rng) -> Strokes:
    middle = rng.uniform(0.42, 0.52)
    upper = _arc(0.5, middle / 2, 0.42, middle / 2, 200, 450, 18)
    lower = _arc(0.5, (1 + middle) / 2, 0.5, (1 - middle) / 2, 270, 520, 22)
    return [_join(upper, lower[1:])]


def three_flat(rng) -> Strokes:
    middle = rng.uniform(0.4, 0.5)
    lower = _arc(0.5, (1 + middle) / 2, 0.5, (1 - middle) / 2, 270, 520, 22)
    return [_join(_line((0.05, 0.0), (0.95, 0.0), (0.45, middle)), lower)]


def five(rng) -> Strokes:
    corner = (rng.uniform(0.1, 0.2), rng.uniform(0.4, 0.5))
    belly = _arc(0.5, (1 + corner[1]) / 2 + 0.02, 0.48, (1 - corner[1]) / 2, 235, 500, 24)
    body = _join(_line((0.15, 0.0), corner), belly)
    bar = _line((0.15, 0.0), (0.95, rng.uniform(-0.05, 0.03)))
    if rng.random() < 0.35:  # one stroke: the bar first, back along it, then down
        return [_join(bar[::-1], body)]
    return [body, bar]


def eight_one_stroke(rng) -> Strokes:
    t = np.linspace(0, 2 * np.pi, 48) + rng.uniform(-0.3, 0.0)
    extra = np.linspace(0, rng.uniform(0, 0.5), 4)[1:] + t[-1]
    t = np.concatenate([t, extra])
    waist = rng.uniform(0.4, 0.5)
    y = np.where(np.cos(t) > 0, waist * (1 - np.cos(t)), 1 - (1 - waist) * (1 + np.cos(t)))
    return [np.stack([0.5 - 0.45 * np.sin(2 * t), y], axis=1)]


def eight_two_loops(rng) -> Strokes:
    waist = rng.uniform(0.4, 0.5)
    top = _arc(0.5, waist / 2, 0.38, waist / 2, 90, 90 + 370, 26)
    bottom = _arc(0.5, (1 + waist) / 2, 0.5, (1 - waist) / 2, -90, -90 - 370, 30)
    return [top, bottom]


Style = Callable[[np.random.Generator], Strokes]

STYLES: dict[int, dict[str, Style]] = {
    0: {"plain": zero_plain, "slashed": zero_slashed, "tail": zero_tail},
    1: {"plain": one_plain, "short flag": one_short_flag, "long flag": one_long_flag,
        "foot": one_foot},
    2: {"plain": two_plain, "bottom loop": two_looped},
    3: {"round top": three_round, "flat top": three_flat},
    4: {"open": four_open, "closed": four_closed, "slanted": four_slanted},
    5: {"plain": five},
    6: {"plain": six_plain, "loop crossing the stem": six_crossing},
    7: {"plain": seven_plain, "crossed": seven_crossed, "hooked top": seven_hooked},
    8: {"one stroke": eight_one_stroke, "two strokes": eight_two_loops},
    9: {"straight, closed": nine_straight_closed, "straight, open": nine_straight_open,
        "curved, closed": nine_curved_closed, "curved, open": nine_curved_open},
}
"""Every digit's skeleton styles, by name: functions of a random generator."""

ALL_STYLES = [(digit, name) for digit, styles in STYLES.items() for name in styles]


def skeleton(digit: int, style: str, rng: np.random.Generator) -> Strokes:
    """The style's strokes before any hand variation (unit box, y down)."""
    return [np.asarray(s, np.float64) for s in STYLES[digit][style](rng)]


def random_digit(rng: np.random.Generator, digit: int | None = None,
                 style: str | None = None) -> tuple[int, str, Strokes]:
    """A digit (random when None) in a style (random when None), varied as a hand varies
    it: (digit, style, strokes in a unit-scale box, y down)."""
    if digit is None:
        digit = int(rng.integers(10))
    if style is None:
        names = list(STYLES[digit])
        style = names[rng.integers(len(names))]
    return digit, style, hand_variation(skeleton(digit, style, rng), rng)


def hand_variation(strokes: Strokes, rng: np.random.Generator) -> Strokes:
    """Slant, rotation and width; wobble and tremor; joins off by a little; strokes in any
    direction and order."""
    width = rng.uniform(0.55, 1.1)
    slant = rng.uniform(-0.3, 0.1)  # x moves right going up: most hands lean right
    angle = np.deg2rad(rng.uniform(-8, 8))
    rotate = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    transform = rotate @ np.array([[width, slant], [0.0, 1.0]])
    phase = rng.uniform(0, 2 * np.pi, 2)
    out = []
    for stroke in strokes:
        stroke = _densify(stroke - 0.5, 0.03)
        t = np.linspace(0, 1, len(stroke))[:, None]
        stroke = stroke + rng.uniform(0.005, 0.025) * np.sin(
            2 * np.pi * t * rng.uniform(0.5, 1.5) + phase)
        stroke = stroke + rng.normal(0, 0.004, stroke.shape)
        if len(strokes) > 1:  # the pen lands a little off where the other strokes are
            stroke = stroke + rng.normal(0, 0.015, 2)
        if rng.random() < 0.2 and len(strokes) > 1:
            stroke = stroke[::-1]
        out.append(stroke @ transform.T + 0.5)
    order = rng.permutation(len(out))
    return [out[i] for i in order]


def render_digit(strokes: Strokes, rng: np.random.Generator) -> np.ndarray | None:
    """The strokes as the model sees them: fitted to a box, drawn with a round pen (a
    share of their size around the pad's) and normalised as the pad's drawings are."""
    return render_shape(strokes, rng)


def make_digits(count: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """``count`` model-ready digits (count, 28, 28) float32 and their labels (int32), every
    style about as often as every other of its digit, reproducible by seed."""
    rng = np.random.default_rng(seed)
    images = np.zeros((count, 28, 28), np.float32)
    labels = np.zeros(count, np.int32)
    for i in range(count):
        digit, _, strokes = random_digit(rng, digit=i % 10)
        images[i], labels[i] = render_digit(strokes, rng), digit
    return images, labels
