"""Cutting touching digits apart: candidate cuts from the ink's profile, chosen by the model.

A mark too wide for one digit, or one the model is unsure of, may be two or more digits
that touch or overlap. The candidate cuts are seams: paths from top to bottom that cross
the least ink, straight down or bending around a digit that leans over its neighbour (a
7's bar above the next digit) to cross only where the two touch. Every run of pieces
between them is read by the model, and the cuts kept are those whose pieces the model is
most sure of as a whole (the product of the pieces' confidences, with a price on every
cut, so a digit the model reads well is never cut). A piece is also judged by its width:
a 3 as wide as two digits is more likely a 4 and a 3 touching (:func:`piece_score`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from digitpad.core.preprocess import INK_THRESHOLD, to_model_input

WIDE = 1.0           # a mark wider than this times its height may hold two digits
MIN_PIECE = 0.18     # no piece narrower than this share of the line's height
MAX_PIECE = 1.6      # no piece (but the whole) wider than this share of it
MAX_CUTS = 3         # straight cuts tried per mark
MAX_BENT = 1         # ... and bent ones, on the pad (each costs time after a pen-up)
EVERY = 0.1          # in an image, read once, cuts are also tried every this share of a line
CUT_PRICE = 0.9      # each cut multiplies a reading's confidence by this
MIN_CONFIDENCE = 1e-6
BEND = 0.1           # a seam's sideways step costs as much as this much of a pixel of ink
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


def read_ink(image: np.ndarray, line: float, predictor, cut: bool = True,
             judge=None) -> list[Piece]:
    """Read one mark's ink image (ink high, [0, 1]) as one digit, or cut into several.

    ``line``: the height of the line of digits, in the image's pixels (the image's top
    being the line's top); ``cut``: False to read it as one digit whatever it looks like;
    ``judge``: the piece judge (:mod:`digitpad.core.piece_judge`), or None to go by the
    model's confidence and the width alone.
    """
    if not (image > INK_THRESHOLD).any():
        return []
    left, top, right, bottom = _ink_box(image)
    line = max(float(line), 1.0)
    whole = to_model_input(image)
    wide = is_wide(right - left, bottom - top, line)
    if not wide or not cut:
        probabilities, not_a_digit = predictor.predict_with_not_a_digit(whole[None])
        piece = Piece((left, top, right, bottom), whole, probabilities[0], float(not_a_digit[0]))
        if not cut or (is_sure(piece, predictor.thresholds)
                       and (judge is None or judge.is_one_digit(image, line))):
            return [piece]
    count, inks = spans(image, line, every=judge is not None)
    images = {span: whole if span == (0, count - 1) else to_model_input(ink)
              for span, ink in inks.items()}
    readable = [span for span in inks if images[span] is not None]
    probabilities, not_a_digit = predictor.predict_with_not_a_digit(
        np.stack([images[span] for span in readable]))
    boxes = {span: _ink_box(inks[span]) for span in readable}
    scores = {span: piece_score(p, n, boxes[span], line)
              for span, p, n in zip(readable, probabilities, not_a_digit)}
    if judge is not None:
        for span, fit in zip(readable, judge.log_one_digit([inks[s] for s in readable], line)):
            scores[span] += fit
    path = _best_path(count, scores)
    by_span = dict(zip(readable, zip(probabilities, not_a_digit)))
    return [Piece(boxes[i, j], images[i, j], by_span[i, j][0], float(by_span[i, j][1]))
            for i, j in path]


def spans(image: np.ndarray, line: float,
          every: bool = False) -> tuple[int, dict[tuple[int, int], np.ndarray]]:
    """The pieces a mark may be cut into: the number of bounds (the mark's two edges and
    the candidate seams between them), and for each run ``(i, j)`` of bounds that may be
    one digit (no narrower than ``MIN_PIECE`` nor wider than ``MAX_PIECE`` lines, but the
    whole mark, ``(0, count - 1)``, always), the ink between bounds ``i`` and ``j``.
    ``every``: try cuts all along the mark (see :func:`candidate_seams`)."""
    columns = (image > INK_THRESHOLD).any(axis=0)
    left, right = np.flatnonzero(columns)[[0, -1]] + (0, 1)
    height, width = image.shape
    seams = ([np.zeros(height, int)] + candidate_seams(image, line, left, right, every)
             + [np.full(height, width)])
    middles = [float(seam.mean()) for seam in seams]
    last = len(seams) - 1
    columns = np.arange(width)
    return len(seams), {
        (i, j): image * ((columns >= seams[i][:, None]) & (columns < seams[j][:, None]))
        for i in range(len(seams)) for j in range(i + 1, len(seams))
        if (i, j) == (0, last) or MIN_PIECE * line <= middles[j] - middles[i] <= MAX_PIECE * line}


def _ink_box(ink: np.ndarray) -> tuple[float, float, float, float]:
    """The box (left, top, right, bottom) of ``ink``'s ink."""
    rows = np.flatnonzero((ink > INK_THRESHOLD).any(axis=1))
    columns = np.flatnonzero((ink > INK_THRESHOLD).any(axis=0))
    return (float(columns[0]), float(rows[0]), float(columns[-1] + 1), float(rows[-1] + 1))


def is_wide(width: float, height: float, line: float) -> bool:
    """Whether a mark this wide and high, on a line this high, may hold two digits."""
    return width > WIDE * max(height, line * 0.5)


def is_sure(piece: Piece, thresholds) -> bool:
    """Whether the model reads ``piece`` as a digit it is sure of (by the verdict's rule)."""
    return (piece.not_a_digit < thresholds.not_a_digit
            and piece.probabilities.max() >= thresholds.sure)


def piece_score(probabilities: np.ndarray, not_a_digit: float, box, line: float) -> float:
    """A piece's score as one digit, as a log: how sure the model is of it
    (:func:`log_confidence`) and how well its width fits (:func:`shape_fit`). Readings
    are chosen by their pieces' scores together, less a price per cut."""
    return log_confidence(probabilities, not_a_digit) + shape_fit(probabilities, box, line)


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


def candidate_seams(image: np.ndarray, line: float, left: int, right: int,
                    every: bool = False) -> list[np.ndarray]:
    """Candidate cuts, left to right, each a seam: for each row, the column where the cut
    passes (ink left of it goes left). Up to ``MAX_CUTS`` straight cuts down the columns
    where the ink is thinnest (digits that touch along a stretch), and ``MAX_BENT`` bent
    ones that cross the least ink (digits that touch at a point, one leaning over the other).

    A bent seam moves at most a pixel sideways per row, each move costing ``BEND`` (a tenth
    of a pixel of ink), so that it goes straight down a gap and bends only round ink.

    ``every``: besides those, a straight and a bent seam every ``EVERY`` of a line along the
    mark, for a reader with time to judge many pieces (an image's, with its piece judge):
    digits that overlap along a stretch, a 1 pressed against a 0, leave no thin column.
    """
    height, width = image.shape
    profile = _smoothed(image.sum(axis=0))
    straight = [np.full(height, c) for c in _thinnest(profile, line, left, right, MAX_CUTS)]
    cost = image.astype(np.float64)
    total = cost[0].copy()
    moves = np.zeros((height, width), np.int8)
    for row in range(1, height):
        # From the column left of, above or right of each one.
        choices = np.stack([np.r_[np.inf, total[:-1]] + BEND, total,
                            np.r_[total[1:], np.inf] + BEND])
        moves[row] = choices.argmin(axis=0) - 1
        total = choices.min(axis=0) + cost[row]
    total = _smoothed(total)
    seams = straight + [_traced(moves, c) for c in _thinnest(total, line, left, right, MAX_BENT)]
    if every:
        margin = MIN_PIECE * line
        step = max(int(round(EVERY * line)), 1)
        for c in range(int(np.ceil(left + margin)), int(right - margin) + 1, step):
            seams += [np.full(height, c), _traced(moves, c)]
    kept: list[np.ndarray] = []  # seams at most a pixel apart are one
    for seam in seams:
        if not any(np.abs(seam - other).max() <= 1 for other in kept):
            kept.append(seam)
    return sorted(kept, key=lambda seam: float(seam.mean()))


def _smoothed(cost: np.ndarray) -> np.ndarray:
    """``cost`` by column, each averaged with its neighbours (a pixel's noise is no minimum)."""
    return np.convolve(cost, [0.25, 0.5, 0.25], mode="same")


def _thinnest(cost: np.ndarray, line: float, left: int, right: int, count: int) -> list[int]:
    """Up to ``count`` columns where ``cost`` has a local minimum, lowest first, each a
    narrow digit's width from the mark's edges and from each other."""
    margin = MIN_PIECE * line
    inner = range(int(np.ceil(left + margin)), int(right - margin) + 1)
    last = len(cost) - 1
    minima = [c for c in inner if cost[c] <= cost[c - 1] and cost[c] <= cost[min(c + 1, last)]]
    chosen: list[int] = []
    for c in sorted(minima, key=lambda c: cost[c]):
        if all(abs(c - other) >= margin for other in chosen):
            chosen.append(c)
        if len(chosen) == count:
            break
    return chosen


def _traced(moves: np.ndarray, end: int) -> np.ndarray:
    """The seam ending at column ``end`` of the last row, followed back to the top."""
    seam = np.empty(len(moves), int)
    seam[-1] = end
    for row in range(len(moves) - 1, 0, -1):
        seam[row - 1] = seam[row] + moves[row, seam[row]]
    return seam


def _best_path(count: int, scores: dict) -> list[tuple[int, int]]:
    """The run of spans from bound 0 to bound ``count - 1`` with the best total score, a
    cut costing ``log(CUT_PRICE)``."""
    price = np.log(CUT_PRICE)
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
