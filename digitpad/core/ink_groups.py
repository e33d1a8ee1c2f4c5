"""Which strokes make one digit: a drawn number's strokes grouped into digits and a point.

People write a number left to right, one digit beside the next, so strokes that overlap
horizontally belong to one digit: a 4, 5 or 7 drawn in two strokes stays one digit, while a
1 written beside a 0 stays two (their overlap, if any, is small beside the narrower one's
width). A small dot, low on the line and between two digits, is a decimal point (one at
most). Everything here works on boxes, in whatever units the strokes are in (y down).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np

from digitpad.core.strokes import distance_to_polyline

Box = tuple[float, float, float, float]  # left, top, right, bottom

# Overlap that joins two strokes, as a share of the narrower one's width, counted as at
# least MIN_WIDTH of the line's height.
JOIN_OVERLAP = 0.5
MIN_WIDTH = 0.2
TOUCH = 0.15        # ... and when their ink comes this close, as a share of the line's height
# Two marks side by side, all that is drawn, are one digit drawn in two strokes when their
# ink comes this close (a share of their height) and together they are no wider than high.
TWO_STROKE_TOUCH = 0.1
MAX_DENSE = 400     # points a stroke is measured by, at most
DOT_TOUCH = 0.06    # a dot this close to a digit's ink is part of it
PIECE = 0.6         # a mark less high than this share of the line may be a piece of a digit
PIECE_REACH = 0.3   # ... of one this near, as a share of the line's height (in an image)
DOT_SIZE = 0.22     # a stroke whose longer side is under this share of the line's height
POINT_LOW = 0.55    # a decimal point's centre is below this share of the line's height
POINT_REACH = 0.2   # ... and within this share of the line's height of the gap between two digits


@dataclass(frozen=True)
class Grouping:
    """Strokes grouped into digit candidates, left to right, and the decimal point.

    ``groups`` holds the indices of the strokes of each group, in pen order; ``point`` the
    indices of the point's strokes, with ``point_after`` the number of groups left of it.
    """

    groups: tuple[tuple[int, ...], ...]
    point: tuple[int, ...] = ()
    point_after: int | None = None


def stroke_box(stroke: np.ndarray) -> Box:
    """The box of one stroke's points (k, 2)."""
    low, high = stroke.min(axis=0), stroke.max(axis=0)
    return float(low[0]), float(low[1]), float(high[0]), float(high[1])


def union_box(boxes: Sequence[Box]) -> Box:
    lefts, tops, rights, bottoms = zip(*boxes)
    return min(lefts), min(tops), max(rights), max(bottoms)


def group_strokes(strokes: Sequence[np.ndarray]) -> Grouping:
    """Group ``strokes`` ((k, 2) arrays of x, y, y down) into digits and a decimal point."""
    strokes = [np.asarray(s, float) for s in strokes]
    # Points close enough along each stroke that two crossing strokes have points near
    # each other's lines (recorded strokes may have few points); a drawing with no height
    # (a dash) is measured by its width.
    extent = max((float((s.max(axis=0) - s.min(axis=0)).max()) for s in strokes), default=0.0)
    dense = [_densified(s, extent * TOUCH / 3) for s in strokes]

    def gap(a: Sequence[int], b: Sequence[int]) -> float:
        points = np.concatenate([dense[i] for i in a])
        return min(float(distance_to_polyline(points, strokes[j]).min()) for j in b)

    boxes = [stroke_box(s) for s in strokes]
    return _one_digit_in_two_marks(group_marks(boxes, gap), boxes, gap)


def _one_digit_in_two_marks(grouping: Grouping, boxes: list[Box], gap: Callable) -> Grouping:
    """A drawing of exactly two marks side by side that nearly touch and together are no
    wider than high, as one group: a 4 whose stem misses the end of its bar, a 9 whose stem
    starts beside its loop, a 5 whose flag floats off its body. The reader still reads them
    as two digits when the model reads them better apart."""
    if len(grouping.groups) != 2 or grouping.point:
        return grouping
    first, second = grouping.groups
    left, top, right, bottom = union_box([boxes[i] for i in first + second])
    if right - left > bottom - top or gap(first, second) > TWO_STROKE_TOUCH * (bottom - top):
        return grouping
    return Grouping((tuple(sorted(first + second)),))


def group_marks(boxes: Sequence[Box], gap: Callable | None = None,
                pieces: bool = False) -> Grouping:
    """Group marks (strokes, or an image's connected pieces of ink) by their boxes.

    ``gap(a, b)``: the distance between the ink of marks ``a`` and marks ``b`` (index
    lists); marks that overlap horizontally join only when their ink (nearly) touches, as
    a 4's stem crosses its bar, while a 1 written into its neighbour's span stays apart.
    ``pieces``: also join small marks to marks they nearly touch (an image's broken
    strokes; a pen's strokes are whole).
    """
    boxes = list(boxes)
    if not boxes:
        return Grouping(())
    line = max(b[3] - b[1] for b in boxes)  # the line's height: its tallest mark
    dots = [i for i, b in enumerate(boxes) if is_dot(b, line)]
    groups = _join_overlapping([i for i in range(len(boxes)) if i not in dots], boxes, line,
                               gap, pieces)
    point, point_after = (), None
    # A dot that nearly touches a digit is part of it; in an image, where strokes break
    # into dots a pixel or two apart, as near as strokes join, unless it is the point.
    reach = (PIECE_REACH if pieces else DOT_TOUCH) * line
    for dot in sorted(dots, key=lambda i: boxes[i][0]):
        overlapping = [g for g in groups if _overlap(boxes[dot], _box_of(g, boxes)) > 0]
        near = overlapping or [g for g in groups if gap is not None and gap([dot], g) <= reach]
        # A pen's dot near a digit is its own; an image's may yet be the point.
        claimed = overlapping if pieces else near
        after = None if point or claimed else point_position(
            boxes[dot], [_box_of(g, boxes) for g in groups])
        if after is not None:
            point, point_after = (dot,), after
        elif near:  # a piece of the digit it touches or overlaps
            near[0].append(dot)
        else:  # a mark of its own
            groups.append([dot])
    groups = sorted((sorted(g) for g in groups), key=lambda g: _centre_x(_box_of(g, boxes)))
    if point:  # groups may have gained dots: count again those left of the point
        centre = _centre_x(boxes[point[0]])
        point_after = sum(_centre_x(_box_of(g, boxes)) < centre for g in groups)
    return Grouping(tuple(tuple(g) for g in groups), point, point_after)


def _join_overlapping(marks: list[int], boxes: list[Box], line: float,
                      gap: Callable | None, pieces: bool) -> list[list[int]]:
    """Marks joined into groups while two groups overlap horizontally: the narrower one's
    middle within the wider one's span (a 4's stem has no width but crosses its bar), or
    an overlap of half the narrower one's width, counted as at least ``MIN_WIDTH`` of the
    line (a thin 1 slanting a little into its neighbour's span stays apart)."""
    groups = [[i] for i in marks]
    joined = True
    while joined:
        joined = False
        for a, b in itertools.combinations(range(len(groups)), 2):
            if _belong_together(groups[a], groups[b], boxes, line, gap, pieces):
                groups[a] = sorted(groups[a] + groups.pop(b))
                joined = True
                break
    return groups


def _belong_together(a: list[int], b: list[int], boxes: list[Box], line: float,
                     gap: Callable | None, pieces: bool) -> bool:
    """Whether marks ``a`` and ``b`` make one digit: their ink touches (or nearly) and they
    overlap horizontally, or one is a small piece (a flag, a broken stroke)."""
    box_a, box_b = _box_of(a, boxes), _box_of(b, boxes)
    narrow, wide = sorted((box_a, box_b), key=lambda box: box[2] - box[0])
    overlapping = (wide[0] <= _centre_x(narrow) <= wide[2]
                   or _overlap(box_a, box_b)
                   >= JOIN_OVERLAP * max(narrow[2] - narrow[0], MIN_WIDTH * line))
    if gap is None:
        return overlapping
    small = min(box_a[3] - box_a[1], box_b[3] - box_b[1]) <= PIECE * line
    if pieces and small:
        # An image's piece too small to be a digit is part of one: a 5's flag or a stem
        # broken off by a faint stretch of the line, some way from the rest.
        return _overlap(box_a, box_b) > 0 or gap(a, b) <= PIECE_REACH * line
    if not overlapping:
        return False
    return gap(a, b) <= TOUCH * line


def is_dot(box: Box, line: float) -> bool:
    """Whether a mark in ``box`` is small enough beside a line ``line`` high to be a dot."""
    return max(box[2] - box[0], box[3] - box[1]) <= DOT_SIZE * line


def point_position(dot: Box, digits: Sequence[Box]) -> int | None:
    """How many of the ``digits`` (their boxes) lie left of ``dot`` if it is a decimal
    point, else None.

    A point sits between two neighbouring digits (near the gap between them), low on the
    line they make.
    """
    ordered = sorted(digits, key=_centre_x)
    centre_x, centre_y = _centre_x(dot), (dot[1] + dot[3]) / 2
    for n, (left, right) in enumerate(zip(ordered[:-1], ordered[1:])):
        top, bottom = min(left[1], right[1]), max(left[3], right[3])
        reach = POINT_REACH * (bottom - top)
        if (left[2] - reach <= centre_x <= right[0] + reach
                and _centre_x(left) < centre_x < _centre_x(right)
                and centre_y >= top + POINT_LOW * (bottom - top)
                and centre_y <= bottom + reach):
            return n + 1
    return None


def _densified(stroke: np.ndarray, step: float) -> np.ndarray:
    """``stroke``'s polyline with points no more than ``step`` apart."""
    if len(stroke) < 2 or step <= 0:
        return stroke
    lengths = np.sqrt((np.diff(stroke, axis=0) ** 2).sum(axis=1))
    along = np.concatenate([[0.0], np.cumsum(lengths)])
    count = min(int(np.ceil(along[-1] / step)) + 1, MAX_DENSE)
    at = np.linspace(0.0, along[-1], max(count, 2))
    return np.stack([np.interp(at, along, stroke[:, 0]), np.interp(at, along, stroke[:, 1])],
                    axis=1)


def _box_of(group: Sequence[int], boxes: list[Box]) -> Box:
    return union_box([boxes[i] for i in group])


def _overlap(a: Box, b: Box) -> float:
    return min(a[2], b[2]) - max(a[0], b[0])


def _centre_x(box: Box) -> float:
    return (box[0] + box[2]) / 2
