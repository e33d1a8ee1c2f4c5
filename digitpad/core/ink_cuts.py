"""Cutting touching digits apart: candidate cuts from the ink's profile, chosen by the model.

A mark too wide for one digit, or one the model is unsure of, may be two or more digits
that touch or overlap. The columns where its ink is thinnest are the candidate cuts; every
run of pieces between them is read by the model, and the cuts kept are those whose pieces
the model is most sure of as a whole (the product of the pieces' confidences, with a price
on every cut, so a digit the model reads well is never cut). A piece is also judged by its
width: a 3 as wide as two digits is more likely a 4 and a 3 touching (:func:`shape_fit`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from digitpad.core.preprocess import INK_THRESHOLD, to_model_input

WIDE = 1.3           # a mark wider than this times its height may hold two digits
MIN_PIECE = 0.18     # no piece narrower than this share of the line's height
MAX_PIECE = 1.6      # no piece (but the whole) wider than this share of it
MAX_CUTS = 3         # candidate cuts tried per mark
CUT_PRICE = 0.5      # each cut multiplies a reading's confidence by this
MIN_CONFIDENCE = 1e-6
# The width / height of the ink of MNIST's 60,000 training digits, by digit: the mean and
# standard deviation of its log (a 1 is 0.39 times as wide as high, a 2 0.93 times).
SHAPE_MEAN = np.log([0.90, 0.39, 0.93, 0.79, 0.78, 0.93, 0.72, 0.76, 0.75, 0.67])
SHAPE_SPREAD = np.array([0.20, 0.46, 0.22, 0.21, 0.22, 0.26, 0.22, 0.22, 0.22, 0.21])
SHAPE_TOLERANCE = 1.5  # standard deviations wider than usual that cost nothing: hands vary
LOW = 0.6              # a piece is measured against at least this share of the line


@dataclass(frozen=True)
class Piece:
    """One digit's worth of ink: its box in the mark's pixels (left, top, right, bottom),
    the 28x28 the model saw, its digit probabilities (10,) and not-a-digit score."""

    box: tuple[float, float, float, float]
    image: np.ndarray = field(repr=False)
    probabilities: np.ndarray = field(repr=False)
    not_a_digit: float


def read_ink(image: np.ndarray, line: float, predictor, cut: bool = True) -> list[Piece]:
    """Read one mark's ink image (ink high, [0, 1]) as one digit, or cut into several.

    ``line``: the height of the line of digits, in the image's pixels; ``cut``: False to
    read it as one digit whatever it looks like.
    """
    columns = (image > INK_THRESHOLD).any(axis=0)
    rows = (image > INK_THRESHOLD).any(axis=1)
    if not columns.any():
        return []
    left, right = np.flatnonzero(columns)[[0, -1]] + (0, 1)
    top, bottom = np.flatnonzero(rows)[[0, -1]] + (0, 1)
    line = max(float(line), 1.0)
    whole = to_model_input(image)
    thresholds = predictor.thresholds
    wide = is_wide(right - left, bottom - top, line)
    if not wide or not cut:
        probabilities, not_a_digit = predictor.predict_with_not_a_digit(whole[None])
        piece = Piece((left, top, right, bottom), whole, probabilities[0], float(not_a_digit[0]))
        if not cut or is_sure(piece, thresholds):
            return [piece]
    bounds = [int(left)] + candidate_cuts(image, line, left, right) + [int(right)]
    spans = [(i, j) for i in range(len(bounds)) for j in range(i + 1, len(bounds))
             if (i, j) == (0, len(bounds) - 1)
             or MIN_PIECE * line <= bounds[j] - bounds[i] <= MAX_PIECE * line]
    images = {}
    for i, j in spans:
        piece = image[:, bounds[i]:bounds[j]]
        images[i, j] = whole if (i, j) == (0, len(bounds) - 1) else to_model_input(piece)
    readable = [span for span in spans if images[span] is not None]
    probabilities, not_a_digit = predictor.predict_with_not_a_digit(
        np.stack([images[span] for span in readable]))
    boxes = {span: _ink_box(image, *span_bounds) for span, span_bounds in
             ((span, (bounds[span[0]], bounds[span[1]])) for span in readable)}
    scores = {span: log_confidence(p, n) + shape_fit(p, boxes[span], line)
              for span, p, n in zip(readable, probabilities, not_a_digit)}
    path = _best_path(len(bounds), scores, CUT_PRICE)
    by_span = dict(zip(readable, zip(probabilities, not_a_digit)))
    return [Piece(boxes[i, j], images[i, j], by_span[i, j][0], float(by_span[i, j][1]))
            for i, j in path]


def _ink_box(image: np.ndarray, left: int, right: int) -> tuple[float, float, float, float]:
    """The box of the ink between columns ``left`` and ``right``."""
    rows = np.flatnonzero((image[:, left:right] > INK_THRESHOLD).any(axis=1))
    return float(left), float(rows[0]), float(right), float(rows[-1] + 1)


def is_wide(width: float, height: float, line: float) -> bool:
    """Whether a mark this wide and high, on a line this high, may hold two digits."""
    return width > WIDE * max(height, line * 0.5)


def is_sure(piece: Piece, thresholds) -> bool:
    """Whether the model reads ``piece`` as a digit it is sure of (by the verdict's rule)."""
    return (piece.not_a_digit < thresholds.not_a_digit
            and piece.probabilities.max() >= thresholds.sure)


def shape_fit(probabilities: np.ndarray, box, line: float) -> float:
    """How well a piece's width fits the digits the model reads it as, as a log (0 when
    it is no wider than such digits are, up to ``SHAPE_TOLERANCE`` deviations more).

    Only width counts against a piece: a narrow one is a 1, or a digit written narrow.
    """
    width, height = box[2] - box[0], box[3] - box[1]
    aspect = max(width, 1e-9) / max(height, LOW * line, 1e-9)
    excess = np.maximum((np.log(aspect) - SHAPE_MEAN) / SHAPE_SPREAD - SHAPE_TOLERANCE, 0.0)
    return float(np.log(max(float(np.dot(probabilities, np.exp(-0.5 * excess ** 2))),
                            MIN_CONFIDENCE)))


def log_confidence(probabilities: np.ndarray, not_a_digit: float) -> float:
    """How sure the model is that a piece is its best digit, as a log: what cuts maximise."""
    return float(np.log(max(float(probabilities.max()) * (1 - float(not_a_digit)),
                            MIN_CONFIDENCE)))


def candidate_cuts(image: np.ndarray, line: float, left: int, right: int) -> list[int]:
    """Up to ``MAX_CUTS`` columns where the ink is thinnest (local minima of its column
    profile), each at least a narrow digit's width from the mark's edges and each other."""
    profile = image.sum(axis=0)
    profile = np.convolve(profile, [0.25, 0.5, 0.25], mode="same")
    margin = MIN_PIECE * line
    inner = range(int(np.ceil(left + margin)), int(right - margin) + 1)
    last = len(profile) - 1
    minima = [c for c in inner
              if profile[c] <= profile[c - 1] and profile[c] <= profile[min(c + 1, last)]]
    chosen: list[int] = []
    for c in sorted(minima, key=lambda c: profile[c]):
        if all(abs(c - other) >= margin for other in chosen):
            chosen.append(c)
        if len(chosen) == MAX_CUTS:
            break
    return sorted(chosen)


def _best_path(count: int, scores: dict, cut_price: float) -> list[tuple[int, int]]:
    """The run of spans from bound 0 to bound ``count - 1`` with the best total score, a
    cut costing ``log(cut_price)``."""
    price = np.log(cut_price)
    best = [0.0] + [-np.inf] * (count - 1)
    came = [None] * count
    for j in range(1, count):
        for i in range(j):
            if (i, j) in scores and best[i] > -np.inf:
                value = best[i] + scores[i, j] + (price if i > 0 else 0.0)
                if value > best[j]:
                    best[j], came[j] = value, i
    path, j = [], count - 1
    while j > 0:
        path.append((came[j], j))
        j = came[j]
    return path[::-1]
