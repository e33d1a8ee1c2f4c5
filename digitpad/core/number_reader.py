"""Reading a written number: strokes (or an ink image) -> digits, a point, and their verdicts.

Strokes are grouped into digits (:mod:`digitpad.core.ink_groups`); each group is rendered
as the pad renders a single digit and goes through the same preprocessing and verdict.
A group too wide for one digit, or one the model is unsure of, may be two or more touching
digits: it is cut at the best of the candidate cuts its ink's column profile offers, the
cuts chosen by the model's confidence in the pieces (see :mod:`digitpad.core.ink_cuts`).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Sequence

import numpy as np

from digitpad.core.ink_cuts import CUT_PRICE, Piece, is_sure, is_wide, piece_score, read_ink
from digitpad.core.ink_groups import Box, group_marks, group_strokes, stroke_box, union_box
from digitpad.core.strokes import draw_strokes, thinned
from digitpad.core.verdict import DIGIT, NOT_A_DIGIT, TOO_SMALL, UNSURE, Verdict, decide

# How a group is drawn for the model, as the pad draws a single digit: the pen is this
# share of the digit's size (the pad's MODEL_PEN_RATIO), the digit GROUP_SIZE px high.
MODEL_PEN_RATIO = 0.13
GROUP_SIZE = 32
THIN = 1.5  # points kept this many pixels apart: as smooth at this size, far fewer segments
MAX_CACHED = 512  # groups a cache handed to read_number keeps
LINE_STEP = 0.1  # the line's height is taken in steps of about 10%
COMPONENT_INK = 0.3  # an image's pieces are joined by pixels this dark (not by soft edges)
SPECK = 0.08  # an image's piece of ink no larger than this share of its tallest is a speck

EMPTY = "empty"
NUMBER = "number"
NOT_A_NUMBER = "not_a_number"
MAX_ALTERNATIVES = 6


@dataclass(frozen=True)
class DigitReading:
    """One digit of a number: where it is, what the model saw, and the verdict on it.

    ``box`` is in the strokes' (or image's) units; ``image`` the 28x28 the model saw and
    ``probabilities`` its (10,) digit probabilities (both None for a mark too small to read);
    ``strokes`` the indices of the strokes it was drawn with (pieces of one group share them).
    """

    box: Box
    verdict: Verdict
    image: np.ndarray | None = field(default=None, repr=False)
    probabilities: np.ndarray | None = field(default=None, repr=False)
    strokes: tuple[int, ...] = ()

    @property
    def text(self) -> str:
        """The digit, "?" when unsure, "" for a mark that is no digit."""
        if self.verdict.kind == DIGIT:
            return str(self.verdict.digit)
        return "?" if self.verdict.kind == UNSURE else ""


@dataclass(frozen=True)
class NumberReading:
    """A number read from a drawing: its digits left to right and its decimal point.

    ``point_after`` is how many digits stand left of the point (None: no point).
    """

    digits: tuple[DigitReading, ...] = ()
    point_after: int | None = None
    point_box: Box | None = None

    @property
    def kind(self) -> str:
        """``"empty"``, ``"too_small"`` (nothing big enough to read), ``"not_a_number"``
        (some mark is no digit), ``"unsure"`` (some digit is unsure) or ``"number"``."""
        kinds = {d.verdict.kind for d in self.digits}
        if not kinds:
            return EMPTY if self.point_box is None else TOO_SMALL
        if kinds == {TOO_SMALL}:
            return TOO_SMALL
        if kinds & {NOT_A_DIGIT, TOO_SMALL}:
            return NOT_A_NUMBER
        return UNSURE if UNSURE in kinds else NUMBER

    def text(self) -> str:
        """The answer as shown: "2024", "3.14", "20?4" (a digit unsure); "" otherwise."""
        if self.kind not in (NUMBER, UNSURE):
            return ""
        return self._joined([d.text for d in self.digits])

    def number(self) -> str | None:
        """The digits as a string when every digit is sure, else None."""
        return self.text() if self.kind == NUMBER else None

    def culprits(self) -> list[int]:
        """Indices of the marks that are no digit (or too small to read)."""
        return [i for i, d in enumerate(self.digits) if d.verdict.kind in (NOT_A_DIGIT, TOO_SMALL)]

    def unsure(self) -> list[int]:
        return [i for i, d in enumerate(self.digits) if d.verdict.kind == UNSURE]

    def alternatives(self) -> list[str]:
        """The numbers the unsure digits' candidates make ("2024", "2074"), most likely
        first; empty unless the reading is unsure."""
        if self.kind != UNSURE:
            return []
        options = [[(str(c), d.probabilities[c]) for c in d.verdict.candidates]
                   if d.verdict.kind == UNSURE else [(d.text, 1.0)] for d in self.digits]
        combos = sorted(itertools.product(*options),
                        key=lambda combo: -float(np.prod([p for _, p in combo])))
        return [self._joined([t for t, _ in combo]) for combo in combos[:MAX_ALTERNATIVES]]

    def describe(self) -> str:
        """The answer in words, as the Draw tab shows it under the number."""
        kind = self.kind
        if kind == NUMBER:
            return f"{len(self.digits)} digits" + (", a decimal point" if self.point_box else "")
        if kind == UNSURE:
            return "Not sure of " + ", ".join(
                f"{self.digits[i].verdict.candidates[0]} or "
                f"{self.digits[i].verdict.candidates[1]}" for i in self.unsure()) + "?"
        if kind == NOT_A_NUMBER:
            return "Not a number: the boxed mark doesn't look like a digit"
        return "Draw larger" if kind == TOO_SMALL else ""

    def _joined(self, texts: list[str]) -> str:
        if self.point_after is not None:
            texts = texts[:self.point_after] + ["."] + texts[self.point_after:]
        return "".join(texts)


def read_number(strokes: Sequence, predictor, *, pad_side: float | None = None,
                cache: dict | None = None, split: bool = True) -> NumberReading:
    """Read the number drawn with ``strokes``.

    Parameters
    ----------
    strokes : sequence of (k, 2) array-likes
        Each stroke's points (x, y), y down, in any units, in the order they were drawn.
    predictor : digitpad.core.inference.Predictor
        The model, with its verdict thresholds.
    pad_side : float, optional
        The pad's side in the strokes' units, for "draw larger"; default: the drawing's
        height (its width when it has none).
    cache : dict, optional
        Groups read before, reused when the same strokes come again (the pad redraws after
        every stroke); drop it when the model changes.
    split : bool
        False to read each group as one digit, never looking for touching digits in it:
        a quick reading while the pen moves (the pad's final one, at pen-up, splits).

    Raises
    ------
    ValueError
        A stroke is not a non-empty list of finite (x, y) points.
    """
    strokes = [_as_stroke(s, n) for n, s in enumerate(strokes)]
    if not strokes:
        return NumberReading()
    grouping = group_strokes(strokes)
    boxes = [stroke_box(s) for s in strokes]
    group_boxes = [union_box([boxes[i] for i in g]) for g in grouping.groups]
    left, top, right, bottom = union_box(boxes)
    pad_side = pad_side or (bottom - top) or (right - left) or 1.0
    heights = [b[3] - b[1] for b in group_boxes]
    # The line's height; a lone digit is its own line, as wide as it is.
    line = (float(np.median(heights)) if len(group_boxes) > 1
            else max(group_boxes[0][2] - group_boxes[0][0], heights[0]))
    # In steps of LINE_STEP, so that a digit added to the line leaves the others' readings
    # (and the cache's keys) as they were.
    line = float(np.exp(np.round(np.log(max(line, 1e-9)) / LINE_STEP) * LINE_STEP))
    digits = []
    for group, box in zip(grouping.groups, group_boxes):
        share = max(box[2] - box[0], box[3] - box[1]) / pad_side
        if share < predictor.thresholds.min_ink:
            digits.append(DigitReading(box, decide(np.zeros(10), 0.0, predictor.thresholds,
                                                   share), strokes=group))
            continue
        key = (id(predictor), line, split, tuple(strokes[i].tobytes() for i in group))
        pieces = cache.get(key) if cache is not None else None
        if pieces is None:
            pieces = _read_group([strokes[i] for i in group], box, line, predictor, split)
            if cache is not None:
                if len(cache) >= MAX_CACHED:
                    cache.clear()
                cache[key] = pieces
        digits += [_digit(piece_box, piece, pad_side, predictor, group)
                   for piece_box, piece in pieces]
    point_box = union_box([boxes[i] for i in grouping.point]) if grouping.point else None
    point_after = _digits_left_of(point_box, digits) if point_box else None
    return NumberReading(tuple(digits), point_after, point_box)


def read_number_image(image: np.ndarray, predictor, *, pad_side: float | None = None,
                      judge=None) -> NumberReading:
    """Read the number in an ink image (2-D, ink high, on [0, 1]); boxes are in pixels.

    The image's connected pieces of ink play the part of strokes: grouped by horizontal
    overlap into digits and a point, each group read (and cut) as drawn groups are.
    ``judge``: the piece judge that helps choose the cuts (see ``ink_cuts.read_ink``).
    """
    ink = np.clip(np.asarray(image, np.float32), 0, 1)
    if ink.ndim != 2:
        raise ValueError(f"expected a 2-D image, got shape {ink.shape}")
    groups, point_box = image_groups(ink)
    pad_side = pad_side or ink.shape[0]
    digits = []
    for (left, top, right, bottom), group_ink in groups:
        share = max(right - left, bottom - top) / pad_side
        if share < predictor.thresholds.min_ink:
            digits.append(DigitReading((left, top, right, bottom),
                                       decide(np.zeros(10), 0.0, predictor.thresholds, share)))
            continue
        for piece in read_ink(group_ink, bottom - top, predictor, judge=judge):
            piece_box = (left + piece.box[0], top + piece.box[1],
                         left + piece.box[2], top + piece.box[3])
            digits.append(_digit(piece_box, piece, pad_side, predictor, ()))
    point_after = _digits_left_of(point_box, digits) if point_box else None
    return NumberReading(tuple(digits), point_after, point_box)


def image_groups(ink: np.ndarray) -> tuple[list[tuple[tuple[int, int, int, int], np.ndarray]],
                                            Box | None]:
    """An ink image's marks, grouped as strokes are: each group's box (left, top, right,
    bottom, in pixels) and its own ink cut out to that box (its neighbours' ink left out),
    and the decimal point's box (None when there is none)."""
    labels, boxes = _components(ink > COMPONENT_INK)
    if not boxes:
        return [], None
    # Specks far thinner than any pen's line are noise of the image, not marks.
    tallest = max(b[3] - b[1] for b in boxes)
    kept = [k for k, b in enumerate(boxes) if max(b[2] - b[0], b[3] - b[1]) > SPECK * tallest]
    boxes = [boxes[k] for k in kept]
    pixels = [np.argwhere(labels == k + 1) for k in kept]

    def gap(a, b) -> float:
        ours = np.concatenate([pixels[i] for i in a])
        theirs = np.concatenate([pixels[i] for i in b])
        return float(np.sqrt(((ours[:, None] - theirs[None]) ** 2).sum(axis=2).min()))

    grouping = group_marks(boxes, gap, pieces=True)
    groups = []
    for group in grouping.groups:
        left, top, right, bottom = (int(v) for v in union_box([boxes[i] for i in group]))
        # The group's own pieces, grown by a pixel to keep their soft edges.
        own = _grown(np.isin(labels, [kept[i] + 1 for i in group]))[top:bottom, left:right]
        groups.append(((left, top, right, bottom), ink[top:bottom, left:right] * own))
    return groups, (boxes[grouping.point[0]] if grouping.point else None)


def _grown(mask: np.ndarray) -> np.ndarray:
    padded = np.pad(mask, 1)
    rows, cols = mask.shape
    return np.max([padded[dy:dy + rows, dx:dx + cols] for dy in range(3) for dx in range(3)],
                  axis=0)


def _components(mask: np.ndarray) -> tuple[np.ndarray, list[Box]]:
    """8-connected pieces of ``mask``: labels (0 = none, k + 1 = piece k) and their boxes,
    pieces in no particular order."""
    labels = np.where(mask, np.arange(1, mask.size + 1).reshape(mask.shape), 0)
    while True:  # every pixel takes its neighbours' largest label until none changes
        padded = np.pad(labels, 1)
        rows, cols = mask.shape
        spread = np.max([padded[dy:dy + rows, dx:dx + cols]
                         for dy in range(3) for dx in range(3)], axis=0)
        spread = np.where(mask, spread, 0)
        if np.array_equal(spread, labels):
            break
        labels = spread
    found = np.unique(labels[labels > 0])
    relabelled = np.zeros_like(labels)
    boxes = []
    for k, label in enumerate(found):
        ys, xs = np.nonzero(labels == label)
        relabelled[labels == label] = k + 1
        boxes.append((float(xs.min()), float(ys.min()), float(xs.max() + 1), float(ys.max() + 1)))
    return relabelled, boxes


def _digit(box: Box, piece: Piece, pad_side: float, predictor, strokes) -> DigitReading:
    share = max(box[2] - box[0], box[3] - box[1]) / pad_side
    verdict = decide(piece.probabilities, piece.not_a_digit, predictor.thresholds, share)
    return DigitReading(box, verdict, piece.image, piece.probabilities, tuple(strokes))


def _digit_size(box: Box, line: float) -> float:
    """The size strokes are drawn at: their longer side, as the pad does for one digit, but
    no wider than the line is high, so that two touching digits get one digit's pen."""
    width, height = box[2] - box[0], box[3] - box[1]
    return max(height, min(width, line), 1e-9)


def _read_group(strokes: list[np.ndarray], box: Box, line: float, predictor,
                split: bool = True) -> list[tuple[Box, Piece]]:
    """Read one group of strokes as a digit, or as several when that reads better.

    A stroke the model cannot read as one digit may hold touching digits written without
    lifting the pen: it is cut at its ink's thinnest columns. Several strokes the model is
    unsure of (or that are wide) are split between strokes, left ones from right ones; the
    reading the model is surest of wins, each split costing ``CUT_PRICE``.
    """
    whole = _read_strokes(strokes, box, line, predictor, cut=False)
    if not split:
        return whole
    if len(strokes) == 1:
        # People lift the pen between digits: one stroke is cut only when the model cannot
        # read it as one digit (a wide 2 stays a 2).
        if is_sure(whole[0][1], predictor.thresholds):
            return whole
        return _read_strokes(strokes, box, line, predictor, cut=True)
    wide = is_wide(box[2] - box[0], box[3] - box[1], line)
    if is_sure(whole[0][1], predictor.thresholds) and not wide:
        return whole
    best = whole
    best_score = _score(whole, line)
    order = sorted(range(len(strokes)), key=lambda i: float(strokes[i][:, 0].mean()))
    for k in range(1, len(strokes)):
        pieces = []
        for side in (order[:k], order[k:]):
            chosen = [strokes[i] for i in side]
            pieces += _read_group(chosen, union_box([stroke_box(s) for s in chosen]), line,
                                  predictor)
        score = _score(pieces, line)
        if score > best_score:
            best, best_score = pieces, score
    return best


def _score(pieces: list[tuple[Box, Piece]], line: float) -> float:
    """A reading's log confidence: its pieces' together (each judged by its width too),
    less a price for each split."""
    return (sum(piece_score(p.probabilities, p.not_a_digit, box, line) for box, p in pieces)
            + (len(pieces) - 1) * np.log(CUT_PRICE))


def _read_strokes(strokes: list[np.ndarray], box: Box, line: float, predictor,
                  cut: bool) -> list[tuple[Box, Piece]]:
    """Render strokes as the pad renders a digit and read them (cut into pieces if need
    be and ``cut``); the pieces' boxes in the strokes' units."""
    size = _digit_size(box, line)
    scale = GROUP_SIZE / size
    pen = MODEL_PEN_RATIO * GROUP_SIZE
    margin = pen / 2 + 2
    left, top, right, bottom = box
    shape = (int(np.ceil((bottom - top) * scale + 2 * margin)),
             int(np.ceil((right - left) * scale + 2 * margin)))
    origin = np.array([left, top]) - margin / scale
    placed = [thinned((s - origin) * scale, THIN) for s in strokes]
    image = draw_strokes(np.zeros(shape, np.float32), placed, pen)
    out = []
    for piece in read_ink(image, line * scale, predictor, cut):
        # Back to the strokes' units, less the pen's reach around the line drawn.
        (x0, y0), (x1, y1) = (origin + (np.array(piece.box[:2]) + pen / 2) / scale,
                              origin + (np.array(piece.box[2:]) - pen / 2) / scale)
        out.append(((float(x0), float(y0), float(max(x1, x0)), float(max(y1, y0))), piece))
    if len(out) == 1:  # uncut: the strokes' own box, exactly
        out = [(box, out[0][1])]
    return out


def _digits_left_of(point: Box, digits: list[DigitReading]) -> int:
    centre = (point[0] + point[2]) / 2
    return sum((d.box[0] + d.box[2]) / 2 < centre for d in digits)


def _as_stroke(stroke, n: int) -> np.ndarray:
    try:
        array = np.asarray(stroke, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"stroke {n + 1} is not a list of (x, y) points") from None
    if array.ndim != 2 or array.shape[1] < 2 or len(array) == 0:
        raise ValueError(f"stroke {n + 1} is not a list of (x, y) points")
    array = np.ascontiguousarray(array[:, :2])
    if not np.isfinite(array).all():
        raise ValueError(f"stroke {n + 1} has a point that is not a finite number")
    return array
