"""Cutting touching digits apart: candidate cuts from the ink's profile, chosen by the model.

A mark too wide for one digit, or one the model is unsure of, may be two or more digits
that touch or overlap. The columns where its ink is thinnest are the candidate cuts; every
run of pieces between them is read by the model, and the cuts kept are those whose pieces
the model is most sure of as a whole (the product of the pieces' confidences, with a price
on every cut, so a digit the model reads well is never cut).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from digitpad.core.preprocess import INK_THRESHOLD, to_model_input

WIDE = 1.3           # a mark wider than this times its height may hold two digits
WIDE_PRICE = 0.5     # ... and its reading as one digit is trusted that much less
MIN_PIECE = 0.18     # no piece narrower than this share of the line's height
MAX_PIECE = 1.6      # no piece (but the whole) wider than this share of it
MAX_CUTS = 3         # candidate cuts tried per mark
CUT_PRICE = 0.5      # each cut multiplies a reading's confidence by this
MIN_CONFIDENCE = 1e-6


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
    scores = {span: log_confidence(p, n)
              for span, p, n in zip(readable, probabilities, not_a_digit)}
    if wide:  # likely more than one digit: the whole must be read that much better
        scores[0, len(bounds) - 1] += np.log(WIDE_PRICE)
    path = _best_path(len(bounds), scores, 1.0 if wide else CUT_PRICE)
    by_span = dict(zip(readable, zip(probabilities, not_a_digit)))
    pieces = []
    for i, j in path:
        p, n = by_span[i, j]
        piece = image[:, bounds[i]:bounds[j]]
        piece_rows = np.flatnonzero((piece > INK_THRESHOLD).any(axis=1))
        box = (bounds[i], piece_rows[0], bounds[j], piece_rows[-1] + 1)
        pieces.append(Piece(tuple(float(v) for v in box), images[i, j], p, float(n)))
    return pieces


def is_wide(width: float, height: float, line: float) -> bool:
    """Whether a mark this wide and high, on a line this high, may hold two digits."""
    return width > WIDE * max(height, line * 0.5)


def is_sure(piece: Piece, thresholds) -> bool:
    """Whether the model reads ``piece`` as a digit it is sure of (by the verdict's rule)."""
    return (piece.not_a_digit < thresholds.not_a_digit
            and piece.probabilities.max() >= thresholds.sure)


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
