"""Synthetic drawings that are not digits: letters, symbols, shapes, scribbles and blobs.

They teach a model its "not a digit" class. Each drawing is made of strokes, bent and
jittered like a hand's, rendered with a round pen as the drawing pad renders (pen width a
share of the drawing's size) and normalised by :func:`~digitpad.core.preprocess.to_model_input`,
so the model sees them exactly as it sees what people draw.

Shapes that people also write digits with are left out on purpose: rings and ovals (0),
vertical and slanted bars (1), S and Z (5, 2), b, d, g, q, o, l, I, B, D, G, T, Y, H, F, J, P, U
and the like. A negative that looks like a digit teaches the model to reject real digits.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from digitpad.core.preprocess import to_model_input
from digitpad.core.strokes import render, thinned

CANVAS = 48            # side of the canvas drawings are rendered on
CANVAS_BOX = 36        # the drawing's longer side on that canvas
PEN_RATIOS = (0.10, 0.16)  # pen width as a share of the longer side (the pad uses 0.13)

Shape = list[np.ndarray]  # strokes in a unit box, x right, y down


def _line(*points) -> np.ndarray:
    return np.array(points, np.float64)


def _arc(cx, cy, rx, ry, start_deg, end_deg, n=24) -> np.ndarray:
    t = np.deg2rad(np.linspace(start_deg, end_deg, n))
    return np.stack([cx + rx * np.cos(t), cy + ry * np.sin(t)], axis=1)


def _dot(x, y) -> np.ndarray:
    return _line((x, y), (x + 0.01, y + 0.01))


def _filled_blob(rng) -> Shape:
    """A filled, irregular patch: a spiral scribbled tight enough to cover it."""
    turns = rng.uniform(3, 6)
    t = np.linspace(0, turns * 2 * np.pi, 120)
    radius = np.linspace(0.02, 0.5, len(t)) * (1 + 0.15 * np.sin(3 * t + rng.uniform(0, 6)))
    aspect = rng.uniform(0.6, 1.0)
    return [np.stack([0.5 + radius * np.cos(t), 0.5 + aspect * radius * np.sin(t)], axis=1)]


def _scribble(rng) -> Shape:
    """A random zig-zagging path across the box, as when someone tests the pad."""
    points = rng.uniform(0, 1, (rng.integers(6, 14), 2))
    return [_smooth(points, 6)]


def _zigzag(rng) -> Shape:
    teeth = rng.integers(4, 8)
    xs = np.linspace(0, 1, teeth + 1)
    ys = np.where(np.arange(teeth + 1) % 2 == 0, 0.7, 0.3)
    return [np.stack([xs, ys * rng.uniform(0.4, 1.0) + 0.2], axis=1)]


def _wave(rng) -> Shape:
    t = np.linspace(0, 1, 40)
    periods = rng.uniform(1.5, 3.0)
    return [np.stack([t, 0.5 + 0.12 * np.sin(2 * np.pi * periods * t)], axis=1)]


def _hatch(rng) -> Shape:
    """Several parallel lines crossed by several others: a grid or a cross-hatching."""
    n, m = rng.integers(2, 4), rng.integers(2, 4)
    strokes = [_line((0, y), (1, y)) for y in np.linspace(0.15, 0.85, n)]
    strokes += [_line((x, 0), (x, 1)) for x in np.linspace(0.15, 0.85, m)]
    return strokes


def _star(rng) -> Shape:
    angles = np.deg2rad(-90 + 144 * np.arange(6))
    return [np.stack([0.5 + 0.5 * np.cos(angles), 0.5 + 0.5 * np.sin(angles)], axis=1)]


def _heart(rng) -> Shape:
    t = np.linspace(0, 2 * np.pi, 60)
    x = 16 * np.sin(t) ** 3
    y = -(13 * np.cos(t) - 5 * np.cos(2 * t) - 2 * np.cos(3 * t) - np.cos(4 * t))
    return [np.stack([(x + 17) / 34, (y + 17) / 34], axis=1)]


def _triangle(rng) -> Shape:
    return [_line((0.5, 0), (1, 1), (0, 1), (0.5, 0))]


def _arrow(rng) -> Shape:
    """A horizontal arrow (vertical ones look like a 1 with a flag)."""
    head = rng.uniform(0.2, 0.35)
    shape = [_line((0, 0.5), (1, 0.5)), _line((1 - head, 0.5 - head), (1, 0.5), (1 - head, 0.5 + head))]
    return shape if rng.random() < 0.5 else [s * [-1, 1] + [1, 0] for s in shape]


def _infinity(rng) -> Shape:
    t = np.linspace(0, 2 * np.pi, 60)
    return [np.stack([0.5 + 0.5 * np.sin(t), 0.5 + 0.22 * np.sin(2 * t)], axis=1)]


def _check_mark(rng) -> Shape:
    return [_line((0, 0.55), (0.35, 1), (1, 0))]


SYMBOLS: dict[str, Callable[[np.random.Generator], Shape]] = {
    "x": lambda rng: [_line((0, 0), (1, 1)), _line((1, 0), (0, 1))],
    "+": lambda rng: [_line((0.5, 0), (0.5, 1)), _line((0, 0.5), (1, 0.5))],
    "-": lambda rng: [_line((0, 0.5), (1, 0.5))],
    "=": lambda rng: [_line((0, 0.3), (1, 0.3)), _line((0, 0.7), (1, 0.7))],
    "^": lambda rng: [_line((0, 0.9), (0.5, 0.1), (1, 0.9))],
    "v": lambda rng: [_line((0, 0.1), (0.5, 0.9), (1, 0.1))],
    "?": lambda rng: [np.concatenate([_arc(0.5, 0.27, 0.32, 0.25, 200, 400),
                                      _line((0.5, 0.55), (0.5, 0.72))]), _dot(0.5, 0.95)],
    "!": lambda rng: [_line((0.5, 0), (0.5, 0.7)), _dot(0.5, 0.97)],
    "e": lambda rng: [np.concatenate([_line((0.05, 0.5), (0.95, 0.5)),
                                      _arc(0.5, 0.5, 0.45, 0.45, 0, -300)])],
    "#": lambda rng: [_line((0.3, 0), (0.25, 1)), _line((0.75, 0), (0.7, 1)),
                      _line((0, 0.32), (1, 0.32)), _line((0, 0.68), (1, 0.68))],
    "*": lambda rng: [_line((0.5, 0), (0.5, 1)), _line((0.07, 0.25), (0.93, 0.75)),
                      _line((0.93, 0.25), (0.07, 0.75))],
    "A": lambda rng: [_line((0, 1), (0.5, 0), (1, 1)), _line((0.25, 0.55), (0.75, 0.55))],
    "E": lambda rng: [_line((1, 0), (0, 0), (0, 1), (1, 1)), _line((0, 0.5), (0.8, 0.5))],
    "K": lambda rng: [_line((0, 0), (0, 1)), _line((0.9, 0), (0, 0.55), (1, 1))],
    "L": lambda rng: [_line((0.1, 0), (0.1, 1), (1, 1))],
    "M": lambda rng: [_line((0, 1), (0.1, 0), (0.5, 0.7), (0.9, 0), (1, 1))],
    "N": lambda rng: [_line((0, 1), (0, 0), (1, 1), (1, 0))],
    "W": lambda rng: [_line((0, 0), (0.25, 1), (0.5, 0.3), (0.75, 1), (1, 0))],
    "X": lambda rng: [_line((0.1, 0), (0.9, 1)), _line((0.9, 0), (0.1, 1))],
    "k": lambda rng: [_line((0, 0), (0, 1)), _line((0.8, 0.4), (0, 0.75), (0.85, 1))],
    "m": lambda rng: [np.concatenate([_line((0, 1), (0, 0.35)), _arc(0.25, 0.45, 0.25, 0.15, 180, 360),
                                      _line((0.5, 0.45), (0.5, 1))]),
                      np.concatenate([_arc(0.75, 0.45, 0.25, 0.15, 180, 360), _line((1, 0.45), (1, 1))])],
    "w": lambda rng: [_line((0, 0.3), (0.25, 1), (0.5, 0.5), (0.75, 1), (1, 0.3))],
    "t": lambda rng: [np.concatenate([_line((0.45, 0), (0.45, 0.85)), _arc(0.7, 0.85, 0.25, 0.15, 180, 90)]),
                      _line((0.05, 0.3), (0.9, 0.3))],
    "blob": _filled_blob,
    "scribble": _scribble,
    "zigzag": _zigzag,
    "wave": _wave,
    "hatch": _hatch,
    "star": _star,
    "heart": _heart,
    "triangle": _triangle,
    "arrow": _arrow,
    "infinity": _infinity,
    "check": _check_mark,
}
"""Every kind of non-digit, by name, each a function of a random generator."""

# Horizontal strokes: their height is small, so keep them flat.
FLAT = {"-", "=", "wave"}


# Two legs meeting at a point: with one leg near vertical they are a 1 with a long flag.
LEGGED = {"^", "v", "A"}
MIN_LEG_TILT = 20  # degrees a leg of those keeps away from the vertical


def random_shape(rng: np.random.Generator, symbols: dict = SYMBOLS) -> tuple[str, Shape]:
    """One non-digit of a random kind from ``symbols``, jittered like a hand's:
    (its kind, its strokes)."""
    kinds = list(symbols)
    kind = kinds[rng.integers(len(kinds))]
    while True:
        strokes = _hand_jitter(symbols[kind](rng), rng, flat=kind in FLAT)
        if kind not in LEGGED or not _has_upright_leg(strokes[0]):
            return kind, strokes


def _has_upright_leg(stroke: np.ndarray) -> bool:
    """Whether a two-legged stroke (^, v, A's legs) has a leg within ``MIN_LEG_TILT``
    degrees of the vertical, as a 1's stem is."""
    apex = stroke[np.argmin(stroke[:, 1])] if stroke[0, 1] > stroke[len(stroke) // 2, 1] \
        else stroke[np.argmax(stroke[:, 1])]
    for end in (stroke[0], stroke[-1]):
        dx, dy = np.abs(end - apex)
        if np.degrees(np.arctan2(dx, dy)) < MIN_LEG_TILT:
            return True
    return False


def render_shape(strokes: Shape, rng: np.random.Generator) -> np.ndarray | None:
    """Strokes (any scale) fitted to the canvas and rendered, then as the model sees them."""
    points = np.concatenate(strokes)
    low, high = points.min(axis=0), points.max(axis=0)
    scale = CANVAS_BOX / max(float((high - low).max()), 1e-6)
    offset = CANVAS / 2 - (low + high) / 2 * scale
    width = rng.uniform(*PEN_RATIOS) * CANVAS_BOX
    # Points about two pixels apart, under half the pen width: as smooth, and cheaper.
    strokes = [thinned(s * scale + offset, 2.0) for s in strokes]
    return to_model_input(render(strokes, CANVAS, width))


def make_nondigits(count: int, seed: int, symbols: dict = SYMBOLS) -> np.ndarray:
    """``count`` model-ready non-digit images (count, 28, 28) float32, reproducible by seed."""
    rng = np.random.default_rng(seed)
    images = np.zeros((count, 28, 28), np.float32)
    for i in range(count):
        _, strokes = random_shape(rng, symbols)
        image = render_shape(strokes, rng)
        if image is not None:
            images[i] = image
    return images


def _hand_jitter(strokes: Shape, rng: np.random.Generator, flat: bool) -> Shape:
    """Random aspect, slant, rotation, wobble and endpoint noise, as a hand draws."""
    aspect = rng.uniform(0.12, 0.35) if flat else rng.uniform(0.7, 1.3)
    angle = np.deg2rad(rng.uniform(-15, 15))
    shear = rng.uniform(-0.25, 0.25)
    rotate = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    transform = rotate @ np.array([[1, shear], [0, aspect]])
    phase = rng.uniform(0, 2 * np.pi, 2)
    out = []
    for stroke in strokes:
        stroke = _densify(stroke - 0.5, 0.04)
        # A slow wobble along the stroke, then a little per-point tremor.
        t = np.linspace(0, 1, len(stroke))[:, None]
        stroke = stroke + 0.03 * np.sin(2 * np.pi * t * rng.uniform(0.5, 2) + phase)
        stroke = stroke + rng.normal(0, 0.006, stroke.shape)
        out.append(stroke @ transform.T)
    return out


def _densify(stroke: np.ndarray, step: float) -> np.ndarray:
    """Points along the polyline no more than ``step`` apart (so wobble bends the lines)."""
    pieces = [stroke[:1]]
    for a, b in zip(stroke[:-1], stroke[1:]):
        n = max(1, int(np.ceil(np.linalg.norm(b - a) / step)))
        pieces.append(a + (b - a) * (np.arange(1, n + 1)[:, None] / n))
    return np.concatenate(pieces)


def _smooth(points: np.ndarray, per_segment: int) -> np.ndarray:
    """A smooth curve through ``points`` (Catmull-Rom)."""
    padded = np.concatenate([points[:1], points, points[-1:]])
    t = np.linspace(0, 1, per_segment, endpoint=False)[:, None]
    out = []
    for p0, p1, p2, p3 in zip(padded[:-3], padded[1:-2], padded[2:-1], padded[3:]):
        out.append(0.5 * (2 * p1 + (-p0 + p2) * t + (2 * p0 - 5 * p1 + 4 * p2 - p3) * t ** 2
                          + (-p0 + 3 * p1 - 3 * p2 + p3) * t ** 3))
    return np.concatenate(out + [points[-1:]])


DIGIT_LIKE_SHARE = 0.95


def unlike(nondigits: np.ndarray, digits: np.ndarray, rows: int = 2000) -> np.ndarray:
    """The ``nondigits`` (n, 28, 28) that no drawn digit resembles.

    A non-digit is dropped when it lies as near to one of ``digits`` (model-ready drawings
    of every digit style, e.g. :func:`digitpad.core.digit_strokes.make_digits`) as
    ``DIGIT_LIKE_SHARE`` of the digits lie to their own nearest neighbour: a shape a digit
    style can produce must not be taught as "not a digit". (Of 3,000 non-digits, 2.9% go:
    nearly all of them "!" marks, which normalised are a 1 with a gap.)
    """
    flat_digits = digits.reshape(len(digits), -1).astype(np.float32)
    norms = (flat_digits ** 2).sum(axis=1)
    within = _nearest(flat_digits, flat_digits, norms, rows, exclude_self=True)
    limit = float(np.quantile(within, DIGIT_LIKE_SHARE))
    flat = nondigits.reshape(len(nondigits), -1).astype(np.float32)
    return nondigits[_nearest(flat, flat_digits, norms, rows) >= limit]


def _nearest(queries: np.ndarray, references: np.ndarray, norms: np.ndarray, rows: int,
             exclude_self: bool = False) -> np.ndarray:
    """Each query's Euclidean distance to its nearest reference, ``rows`` queries at a time."""
    out = np.empty(len(queries), np.float32)
    for start in range(0, len(queries), rows):
        block = queries[start:start + rows]
        squared = (block ** 2).sum(axis=1)[:, None] + norms[None] - 2 * block @ references.T
        if exclude_self:
            squared[np.arange(len(block)), np.arange(start, start + len(block))] = np.inf
        out[start:start + rows] = np.sqrt(np.maximum(squared.min(axis=1), 0))
    return out
