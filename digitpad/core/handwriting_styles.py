"""Handwriting styles that MNIST (written in the US) barely contains, added to its digits.

Each edit draws one or two extra strokes on a 28x28 MNIST digit (float, ink high), placed
from the digit's own ink, so the training set also shows:

- ``flag_one``: the continental 1, a long flag down-left from the top (and sometimes a foot);
- ``cross_seven``: a 7 with a bar across its stem;
- ``slash_zero``: a 0 with a diagonal slash;
- ``close_four``: a closed 4, the open top joined into a triangle;
- ``cross_six``: a 6 whose loop runs on across the stem;
- ``vary_thickness``: thicker or thinner strokes, as the pad's pen and scaling give.

:func:`apply_styles` applies them at modest rates during augmented training. Edits keep the
ink inside the frame; a digit too small or faint to place an edit on is left unchanged.
"""

from __future__ import annotations

import numpy as np

from digitpad.core.strokes import draw_strokes

INK = 0.3  # pixels above this count as the digit's ink when placing an edit
MARGIN = 1.0  # pixels kept free at the frame's edge

# Share of each digit's training images that get its style (thickness: of all images).
# Modest: at twice these the shipped model lost 0.1 pt on MNIST's own test set (7s read as
# flagged 1s, 9s as closed 4s).
STYLE_RATES = {1: 0.2, 7: 0.2, 0: 0.08, 4: 0.1, 6: 0.1}
THICKNESS_RATE = 0.15


def apply_styles(images: np.ndarray, labels: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A copy of ``images`` (n, 28, 28) with styles drawn on a random share of them."""
    out = np.array(images, dtype=np.float32, copy=True)
    for i in np.flatnonzero(rng.random(len(out)) < [STYLE_RATES.get(int(d), 0) for d in labels]):
        out[i] = STYLE_EDITS[int(labels[i])](out[i], rng)
    for i in np.flatnonzero(rng.random(len(out)) < THICKNESS_RATE):
        out[i] = vary_thickness(out[i], rng)
    return out


def flag_one(image: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A 1 with a flag from its top, down to the left, 30-55% of its height long."""
    box = _ink_box(image)
    if box is None:
        return image
    top, bottom, _, _ = box
    height = bottom - top
    top_x = _ink_centre_x(image, top, top + 2)
    length = rng.uniform(0.3, 0.55) * height
    angle = np.deg2rad(rng.uniform(25, 60))  # below the horizontal
    start = (top_x + 0.3, top + 0.8)
    end = (top_x - length * np.cos(angle), top + length * np.sin(angle))
    strokes = [np.array([start, end])]
    if rng.random() < 0.3:  # a foot across the bottom
        bottom_x = _ink_centre_x(image, bottom - 2, bottom)
        half = rng.uniform(0.2, 0.35) * height
        strokes.append(np.array([(bottom_x - half, bottom - 1), (bottom_x + half, bottom - 1)]))
    return _draw(image, strokes, rng)


def cross_seven(image: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A 7 with a short, nearly level bar across the middle of its stem."""
    box = _ink_box(image)
    if box is None:
        return image
    top, bottom, left, right = box
    row = top + rng.uniform(0.45, 0.62) * (bottom - top)
    centre = _ink_centre_x(image, int(row) - 1, int(row) + 1)
    half = max(3.0, rng.uniform(0.25, 0.4) * (right - left))
    tilt = np.tan(np.deg2rad(rng.uniform(-8, 8))) * half
    return _draw(image, [np.array([(centre - half, row + tilt), (centre + half, row - tilt)])], rng)


def slash_zero(image: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A 0 with a slash from one corner of its box to the other."""
    box = _ink_box(image)
    if box is None:
        return image
    top, bottom, left, right = box
    inset = rng.uniform(0.08, 0.2)  # mostly inside the ring, its tips just past it
    dy, dx = inset * (bottom - top), inset * (right - left)
    corners = [(right - dx, top + dy), (left + dx, bottom - dy)]
    if rng.random() < 0.15:  # a backslash
        corners = [(left + dx, top + dy), (right - dx, bottom - dy)]
    return _draw(image, [np.array(corners)], rng)


def close_four(image: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A closed 4: the top of the stem joined to the left end of the bar."""
    box = _ink_box(image)
    if box is None:
        return image
    top, bottom, left, right = box
    ink = image > INK
    middle = (left + right) / 2
    right_half = ink[:, int(np.ceil(middle)):]
    rows = np.flatnonzero(right_half.any(axis=1))
    if rows.size == 0:
        return image
    stem_top = (np.ceil(middle) + np.flatnonzero(right_half[rows[0]]).mean() + 0.5, rows[0] + 0.5)
    # The bar is the widest row in the middle band of the digit.
    band = _rows_between(top, bottom, 0.35, 0.8)
    widths = [np.ptp(np.flatnonzero(ink[r])) if ink[r].any() else 0 for r in band]
    bar_row = int(band[int(np.argmax(widths))])
    bar_left = (np.flatnonzero(ink[bar_row])[0] + 0.5, bar_row + 0.5)
    return _draw(image, [np.array([stem_top, bar_left])], rng)


def cross_six(image: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A 6 whose loop, closing on the stem, runs on past it to the left."""
    box = _ink_box(image)
    if box is None:
        return image
    top, bottom, left, right = box
    ink = image > INK
    rows = _rows_between(top, bottom, 0.45, 0.7)
    # Where the loop's top meets the stem: the row where the ink reaches furthest right.
    rightmost = [np.flatnonzero(ink[r])[-1] if ink[r].any() else -1 for r in rows]
    row = int(rows[int(np.argmax(rightmost))])
    stem = np.flatnonzero(ink[row])[0] + 0.5
    start = (stem + 1.5, row + 0.5)
    end = (min(stem, left + 1) - rng.uniform(1.5, 3.5), row + 0.5 - rng.uniform(0.5, 2.5))
    return _draw(image, [np.array([start, end])], rng)


def vary_thickness(image: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Strokes grown or thinned by up to about a pixel (grey dilation or erosion, blended)."""
    padded = np.pad(image, 1)
    neighbours = np.stack([padded[1 + dy:image.shape[0] + 1 + dy, 1 + dx:image.shape[1] + 1 + dx]
                           for dy, dx in ((0, 0), (-1, 0), (1, 0), (0, -1), (0, 1))])
    if rng.random() < 0.5:
        target, amount = neighbours.max(axis=0), rng.uniform(0.3, 1.0)
    else:  # thinning all the way would break the thin strokes
        target, amount = neighbours.min(axis=0), rng.uniform(0.2, 0.5)
    return (image + amount * (target - image)).astype(np.float32)


STYLE_EDITS = {1: flag_one, 7: cross_seven, 0: slash_zero, 4: close_four, 6: cross_six}


def _draw(image: np.ndarray, strokes: list[np.ndarray], rng: np.random.Generator) -> np.ndarray:
    """Draw ``strokes`` as wide as the digit's own strokes, clipped inside the frame."""
    side = image.shape[0]
    strokes = [np.clip(s, MARGIN, side - MARGIN) for s in strokes]
    width = float(np.clip(_stroke_width(image) * rng.uniform(0.85, 1.1), 1.5, 3.5))
    return draw_strokes(image, strokes, width, intensity=float(image.max()))


def _ink_box(image: np.ndarray) -> tuple[float, float, float, float] | None:
    """(top, bottom, left, right) edges of the ink, or None for a too small digit."""
    ink = image > INK
    rows, cols = np.flatnonzero(ink.any(axis=1)), np.flatnonzero(ink.any(axis=0))
    if rows.size < 6:
        return None
    return float(rows[0]), float(rows[-1] + 1), float(cols[0]), float(cols[-1] + 1)


def _rows_between(top: float, bottom: float, low: float, high: float) -> np.ndarray:
    """The rows from ``low`` to ``high`` of the way down the ink (shares of its height)."""
    return np.arange(int(top + low * (bottom - top)), int(top + high * (bottom - top)) + 1)


def _ink_centre_x(image: np.ndarray, first_row: float, last_row: float) -> float:
    """Mean x of the ink in rows ``first_row..last_row`` (pixel-centre coordinates)."""
    first, last = max(0, int(first_row)), int(last_row)
    band = image[first:max(first + 1, last + 1)]
    weights = band.sum(axis=0)
    if weights.sum() <= 0:
        weights = image.sum(axis=0)
    return float(weights @ (np.arange(image.shape[1]) + 0.5) / weights.sum())


def _stroke_width(image: np.ndarray) -> float:
    """Typical stroke width: ink area over the length of the ink's outline halved."""
    ink = image > INK
    edges = (np.count_nonzero(ink[1:] != ink[:-1]) + np.count_nonzero(ink[:, 1:] != ink[:, :-1]))
    return 2.0 * np.count_nonzero(ink) / max(edges, 1)
