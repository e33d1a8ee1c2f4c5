"""Thick anti-aliased strokes drawn in NumPy: for synthetic drawings and edits of digits.

A stroke is a polyline of (x, y) points in pixel coordinates (x right, y down, pixel i
covering [i, i+1)). Ink is the distance to the nearest segment turned into coverage with a
one-pixel soft edge and round caps, as a pen with round tips draws it.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

Stroke = np.ndarray  # (k, 2) float: x, y
SEGMENTS_PER_PIECE = 6  # segments drawn together (see draw_strokes)


def draw_strokes(image: np.ndarray, strokes: Sequence[Stroke], width: float,
                 intensity: float = 1.0) -> np.ndarray:
    """Return ``image`` (2-D float, ink high) with ``strokes`` drawn on it at ``width`` px."""
    out = image.astype(np.float32, copy=True)
    reach = width / 2 + 1
    for stroke in strokes:
        stroke = np.asarray(stroke, np.float32)
        # A long stroke is drawn a few segments at a time, each piece over the pixels its
        # own box reaches: ink is the nearest segment's coverage, so the pieces' maximum is
        # the whole stroke's, at a fraction of the cost of every pixel against every segment.
        for start in range(0, max(1, len(stroke) - 1), SEGMENTS_PER_PIECE):
            _draw_piece(out, stroke[start:start + SEGMENTS_PER_PIECE + 1], width, reach,
                        intensity)
    return out


def _draw_piece(out: np.ndarray, stroke: np.ndarray, width: float, reach: float,
                intensity: float) -> None:
    """Draw one polyline into ``out`` in place."""
    # Only the pixels the pen can reach: the piece's box widened by the pen.
    (x0, y0), (x1, y1) = stroke.min(axis=0) - reach, stroke.max(axis=0) + reach
    rows = slice(max(0, int(y0)), min(out.shape[0], int(np.ceil(y1))))
    cols = slice(max(0, int(x0)), min(out.shape[1], int(np.ceil(x1))))
    ys, xs = np.mgrid[rows, cols].astype(np.float32) + 0.5
    if ys.size == 0:
        return
    distance = _distance_to_polyline(np.stack([xs.ravel(), ys.ravel()], axis=1), stroke)
    coverage = np.clip(width / 2 - distance + 0.5, 0.0, 1.0) * intensity
    np.maximum(out[rows, cols], coverage.reshape(ys.shape), out=out[rows, cols])


def render(strokes: Sequence[Stroke], side: int, width: float) -> np.ndarray:
    """``strokes`` drawn on a blank ``side`` x ``side`` canvas."""
    return draw_strokes(np.zeros((side, side), np.float32), strokes, width)


def _distance_to_polyline(points: np.ndarray, stroke: np.ndarray) -> np.ndarray:
    """Distance from each of ``points`` (n, 2) to the nearest point of the polyline."""
    if len(stroke) == 1:
        return np.linalg.norm(points - stroke[0], axis=1)
    # x and y as separate (n, m) arrays, and one square root at the end: the many
    # temporaries of this function are most of the cost of drawing a synthetic digit.
    px, py = points[:, :1], points[:, 1:]
    sx, sy = stroke[None, :-1, 0], stroke[None, :-1, 1]
    dx, dy = np.diff(stroke[:, 0])[None], np.diff(stroke[:, 1])[None]
    length2 = np.maximum(dx * dx + dy * dy, 1e-12)
    rx, ry = px - sx, py - sy                                     # (n, m)
    along = np.clip((rx * dx + ry * dy) / length2, 0.0, 1.0)
    ex, ey = rx - along * dx, ry - along * dy
    return np.sqrt((ex * ex + ey * ey).min(axis=1))


def distance_to_polyline(points: np.ndarray, stroke: np.ndarray) -> np.ndarray:
    """Distance from each of ``points`` (n, 2) to the nearest point of the polyline
    ``stroke`` (k, 2): how close two strokes come, for grouping them."""
    return _distance_to_polyline(np.asarray(points, np.float64), np.asarray(stroke, np.float64))


def thinned(stroke: np.ndarray, spacing: float) -> np.ndarray:
    """The stroke's points, dropping those closer than ``spacing`` (on both axes) to the last
    one kept; the last point always stays. Fewer segments, the same drawing at that scale."""
    kept = [stroke[0]]
    for point in stroke[1:-1]:
        if np.abs(point - kept[-1]).max() >= spacing:
            kept.append(point)
    kept.append(stroke[-1])
    return np.array(kept)
