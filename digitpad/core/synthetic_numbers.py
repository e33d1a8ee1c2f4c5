"""Synthetic written numbers: real single digits placed side by side as people write them.

A number is 2-6 digits, each at its own size (about +-15%) with the writer's slant (and a
little of each digit's own), its baseline wobbling, the gaps between digits realistic:
mostly apart, some tight, some touching or overlapping; a fifth of the numbers have a
decimal point (a tap, low between two digits). Digits come from strokes (drawn digits,
placed as the pen drew them) or from images (MNIST's, composed into one ink image).

The benchmarks read such numbers; the piece judge (``core.piece_judge``) learns from them
which pieces of ink are one whole digit, so an image number also says whose ink is where.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from digitpad.core.preprocess import INK_THRESHOLD
from digitpad.core.strokes import distance_to_polyline, draw_strokes

HEIGHT = 1.0  # a digit's height in stroke units
REAL_SLANT = 0.4  # share of the layout's slant given to real digits (already slanted)


@dataclass(frozen=True)
class Layout:
    """Where each digit of a number goes: sizes, slants, left edges, baselines, point."""

    sizes: np.ndarray
    slants: np.ndarray
    gaps: np.ndarray          # before each digit after the first, in digit heights;
    touch: np.ndarray         # ... or, where above 0, the distance its ink keeps (touching)
    lifts: np.ndarray         # baseline offsets, in digit heights
    point_after: int | None


def random_layout(count: int, rng: np.random.Generator, point_share: float = 0.2,
                  touching: float = 0.1) -> Layout:
    """A writer's way with ``count`` digits, ``touching`` the share of neighbours that touch."""
    slant = rng.uniform(-0.25, 0.25)
    # Apart, tight, touching/overlapping.
    kind = rng.choice(3, count - 1, p=[0.8 - touching, 0.2, touching])
    gaps = np.select([kind == 0, kind == 1],
                     [rng.uniform(0.12, 0.5, count - 1), rng.uniform(0.0, 0.12, count - 1)],
                     rng.uniform(-0.12, 0.0, count - 1))
    # Touching: the pen's lines (0.13 of the height wide) come closer than its width.
    touch = np.where(kind == 2, rng.uniform(0.03, 0.12, count - 1), 0.0)
    point_after = (int(rng.integers(1, count)) if count > 1 and rng.random() < point_share
                   else None)
    if point_after is not None:
        gaps[point_after - 1] = rng.uniform(0.3, 0.55)  # room for the point
        touch[point_after - 1] = 0.0
    return Layout(rng.uniform(0.85, 1.15, count), slant + rng.uniform(-0.05, 0.05, count),
                  gaps, touch, rng.normal(0, 0.04, count), point_after)


def stroke_number(digits: list[list[np.ndarray]], layout: Layout, rng: np.random.Generator,
                  slant_share: float = 1.0) -> list[np.ndarray]:
    """The strokes of one number from its digits' strokes (any units, y down), in the order
    a writer draws them: digit after digit, the point between its neighbours.
    ``slant_share``: how much of the layout's slant to add (real digits have their own)."""
    placed_digits, right = [], 0.0
    for n, strokes in enumerate(digits):
        points = np.concatenate([np.asarray(s, float)[:, :2] for s in strokes])
        low, high = points.min(axis=0), points.max(axis=0)
        scale = layout.sizes[n] * HEIGHT / max(high[1] - low[1], 1e-9)
        placed = [(np.asarray(s, float)[:, :2] - low) * scale for s in strokes]
        height = (high[1] - low[1]) * scale
        for s in placed:  # slant about the digit's middle, then sit on the baseline
            s[:, 0] -= slant_share * layout.slants[n] * (s[:, 1] - height / 2)
            s[:, 1] += HEIGHT - height + layout.lifts[n]
        left = min(s[:, 0].min() for s in placed)
        shift = (right + (layout.gaps[n - 1] if n else 0.0)) - left
        for s in placed:
            s[:, 0] += shift
        if n and layout.touch[n - 1] > 0:  # slide in from overlapping until the lines touch
            before = np.concatenate([s for s in placed_digits[-1][1]])
            for s in placed:
                s[:, 0] -= 0.3
            while min(distance_to_polyline(before, s).min() for s in placed) < layout.touch[n - 1]:
                for s in placed:
                    s[:, 0] += 0.01
        placed_digits.append((min(s[:, 0].min() for s in placed), placed))
        right = max(s[:, 0].max() for s in placed)
    out = []
    for n, (left, placed) in enumerate(placed_digits):
        if layout.point_after == n:
            previous_right = max(s[:, 0].max() for s in placed_digits[n - 1][1])
            out.append(_point(previous_right, left, rng))
        out += placed
    return out


def _point(left_edge: float, next_left: float, rng: np.random.Generator) -> np.ndarray:
    """A tap (or a tiny dab) low between the digit ending at ``left_edge`` and the next."""
    x = (left_edge + next_left) / 2 + rng.normal(0, 0.03)
    y = HEIGHT - rng.uniform(0.0, 0.08)
    if rng.random() < 0.5:
        return np.array([[x, y]])
    return np.array([[x, y], [x + rng.uniform(-0.03, 0.03), y + rng.uniform(0, 0.03)]])


def image_number(images: list[np.ndarray], layout: Layout, height_px: int = 28,
                 rng: np.random.Generator | None = None) -> np.ndarray:
    """One ink image (float, ink high) of MNIST-style digit images side by side."""
    return owned_image_number(images, layout, height_px, rng)[0]


def owned_image_number(images: list[np.ndarray], layout: Layout, height_px: int = 28,
                       rng: np.random.Generator | None = None) -> tuple[np.ndarray, np.ndarray]:
    """:func:`image_number` and, for each of its pixels, the digit whose ink it shows most
    (its index in ``images``; -1 for none, or the point)."""
    rng = rng or np.random.default_rng(0)
    margin = height_px
    pieces, x = [], float(margin)
    for n, image in enumerate(images):
        ink = np.asarray(image, np.float32)
        ink = ink / max(ink.max(), 1e-9)
        rows = np.flatnonzero(ink.max(axis=1) > 0.1)
        cols = np.flatnonzero(ink.max(axis=0) > 0.1)
        crop = ink[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1]
        target = height_px * layout.sizes[n]
        # MNIST's digits carry their writers' own slant: a little more at most.
        placed = _sheared(crop, target / crop.shape[0], REAL_SLANT * layout.slants[n])
        if n:
            x += layout.gaps[n - 1] * height_px
        top = int(round(margin + height_px * (1 + layout.lifts[n]) - placed.shape[0]))
        if n and layout.touch[n - 1] > 0:  # slide in until the inks touch, not overlap
            x = _touching(pieces[-1], placed, top, x - 0.3 * height_px)
        pieces.append((placed, top, int(round(x)), n))
        if layout.point_after == n + 1:
            x += placed.shape[1]
            gap = layout.gaps[n] * height_px
            pieces.append((_dot_image(height_px, rng), int(margin + height_px * 0.93),
                           int(round(x + gap / 2 - height_px * 0.05)), -1))
            x -= placed.shape[1]
        x += placed.shape[1]
    width = int(x) + 2 * margin
    canvas = np.zeros((3 * height_px + 2 * margin, width), np.float32)
    owners = np.full(canvas.shape, -1, np.int16)
    for piece, top, left, owner in pieces:
        view = canvas[top:top + piece.shape[0], left:left + piece.shape[1]]
        piece = piece[:view.shape[0], :view.shape[1]]
        owners[top:top + piece.shape[0], left:left + piece.shape[1]][
            (piece > view) & (piece > INK_THRESHOLD)] = owner
        np.maximum(view, piece, out=view)
    rows = np.flatnonzero(canvas.max(axis=1) > 0)
    kept = slice(max(rows[0] - 4, 0), rows[-1] + 5)
    return canvas[kept], owners[kept]


def _touching(before, placed: np.ndarray, top: int, x: float) -> float:
    """The first left edge from ``x`` on where ``placed`` no longer overlaps the ink of
    the piece ``before`` (image, top, left): their inks touch."""
    image, before_top, before_left, _ = before
    ink_before = {(y + before_top, x_ + before_left) for y, x_ in np.argwhere(image > 0.3)}
    ours = np.argwhere(placed > 0.3)
    while any((y + top, xx + int(round(x))) in ink_before for y, xx in ours):
        x += 1
    return x


def _sheared(image: np.ndarray, scale: float, slant: float) -> np.ndarray:
    """``image`` scaled by ``scale`` and slanted (x -= slant * (y - middle)), bilinear."""
    height, width = image.shape
    out_h = max(int(round(height * scale)), 1)
    extra = abs(slant) * out_h
    out_w = int(np.ceil(width * scale + extra)) + 1
    ys, xs = np.mgrid[0:out_h, 0:out_w].astype(np.float32) + 0.5
    source_x = (xs - extra / 2 + slant * (ys - out_h / 2)) / scale - 0.5
    source_y = ys / scale - 0.5
    x0, y0 = np.floor(source_x).astype(int), np.floor(source_y).astype(int)
    fx, fy = source_x - x0, source_y - y0
    padded = np.pad(image, 1)

    def at(yy, xx):
        return padded[np.clip(yy + 1, 0, height + 1), np.clip(xx + 1, 0, width + 1)]

    return ((1 - fy) * ((1 - fx) * at(y0, x0) + fx * at(y0, x0 + 1))
            + fy * ((1 - fx) * at(y0 + 1, x0) + fx * at(y0 + 1, x0 + 1)))


def _dot_image(height_px: int, rng: np.random.Generator) -> np.ndarray:
    side = max(int(height_px * 0.18), 3)
    return draw_strokes(np.zeros((side, side), np.float32),
                        [np.array([[side / 2, side / 2]])], side * rng.uniform(0.5, 0.8))
