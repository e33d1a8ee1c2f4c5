"""A drawing's strokes rendered as the drawing pad renders them for the model, in NumPy.

The pad (``gui.widgets.draw_pad``) and this module share one definition of the ink image:
the drawing's bounding box is fitted, aspect kept, into an ``INK_BOX`` square centred in an
``INK_CANVAS`` canvas, and strokes are drawn with round caps and joins at a width of
``MODEL_PEN_RATIO`` of that box, whatever size the drawing was made at. ``to_model_input``
then turns the ink image into what the model sees. Drawings that come from elsewhere (an
imported file, a synthetic writer) are read exactly as if they had been drawn on the pad.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from digitpad.core.preprocess import to_model_input
from digitpad.core.strokes import draw_strokes

INK_CANVAS = 96      # side of the image rendered for the model (before preprocessing)
INK_BOX = 72         # the drawing's longer side inside that canvas
# Model-side stroke width as a share of the drawing's longer side. MNIST strokes are about
# 2-3 px in a 20 px box; tuned on real drawn digits (see benchmarks/drawn_digits.py).
MODEL_PEN_RATIO = 0.13
MIN_SPAN = 1e-3      # a drawing's box side below this (a tap) is fitted as if it were this


def fit_transform(bounds: tuple[float, float, float, float], span_floor: float = MIN_SPAN
                  ) -> tuple[float, float, float]:
    """(scale, centre x, centre y) that put a drawing with ``bounds`` (left, top, right,
    bottom, in any unit) into the canvas: ``canvas = INK_CANVAS / 2 + (p - centre) * scale``.

    ``span_floor`` is the smallest box side used, in the drawing's own unit (the pad uses
    ``MIN_SPAN`` of its side).
    """
    left, top, right, bottom = bounds
    scale = INK_BOX / max(right - left, bottom - top, span_floor)
    return scale, (left + right) / 2, (top + bottom) / 2


def pen_width() -> float:
    """The model-side stroke width in canvas pixels."""
    return MODEL_PEN_RATIO * INK_BOX


def render_ink(strokes: Sequence[Sequence[Sequence[float]]], *,
               span_floor: float | None = None) -> np.ndarray | None:
    """``strokes`` drawn as the pad draws them for the model; None when there is no point.

    Parameters
    ----------
    strokes : sequence of strokes
        Each stroke a sequence of points ``(x, y, ...)`` in any unit, y growing downwards;
        numbers after x and y (time, pressure) are ignored.
    span_floor : float, optional
        The smallest box side, in the strokes' unit; default ``MIN_SPAN`` times the
        drawing's own scale (its largest coordinate), so that a tap stays a dot.

    Returns
    -------
    np.ndarray or None
        (INK_CANVAS, INK_CANVAS) float32, ink high on [0, 1].
    """
    arrays = [np.asarray([point[:2] for point in stroke], np.float64).reshape(-1, 2)
              for stroke in strokes]
    arrays = [a for a in arrays if len(a)]
    if not arrays:
        return None
    points = np.concatenate(arrays)
    if not np.isfinite(points).all():
        raise ValueError("stroke points must be finite numbers")
    low, high = points.min(axis=0), points.max(axis=0)
    if span_floor is None:
        span_floor = MIN_SPAN * max(1.0, float(np.abs(points).max()))
    scale, cx, cy = fit_transform((low[0], low[1], high[0], high[1]), span_floor)
    centre = np.array([cx, cy])
    canvas = [INK_CANVAS / 2 + (a - centre) * scale for a in arrays]
    image = np.zeros((INK_CANVAS, INK_CANVAS), np.float32)
    return draw_strokes(image, [c.astype(np.float32) for c in canvas], pen_width())


def strokes_to_model_input(strokes: Sequence[Sequence[Sequence[float]]]) -> np.ndarray | None:
    """The 28x28 image the model would see for ``strokes`` drawn on the pad (or None)."""
    ink = render_ink(strokes)
    return to_model_input(ink) if ink is not None else None
