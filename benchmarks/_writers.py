"""Stand-in writers for measuring adaptation: synthetic people with a consistent style.

Each writer (a seed) picks, once, a way of writing every digit: one of a few skeletons
(some of them styles MNIST barely has), bent by a warp of its own, with a slant, a width
and a stroke order of its own. Every drawing of theirs is then that same shape with the
small differences of a hand: a little jitter, size and turn. Drawings are strokes in a
unit box (y down), read through ``core.drawing`` exactly as the pad reads them.
"""

from __future__ import annotations

import numpy as np


def _line(*points):
    return np.array(points, np.float64)


def _arc(cx, cy, rx, ry, start, end, n=None):
    n = n or max(8, int(abs(end - start) / 12))
    t = np.deg2rad(np.linspace(start, end, n))
    return np.stack([cx + rx * np.cos(t), cy + ry * np.sin(t)], axis=1)


# Skeletons by digit: functions of nothing, strokes in a unit box, y down.
SKELETONS = {
    0: [lambda: [_arc(0.5, 0.5, 0.32, 0.5, -90, 270)],
        lambda: [_arc(0.5, 0.5, 0.32, 0.5, -90, 270), _line((0.75, 0.1), (0.25, 0.9))],
        lambda: [_arc(0.5, 0.5, 0.18, 0.5, -100, 280)]],
    1: [lambda: [_line((0.5, 0), (0.5, 1))],
        lambda: [_line((0.1, 0.45), (0.5, 0), (0.5, 1))],
        lambda: [_line((0.15, 0.35), (0.5, 0), (0.5, 1)), _line((0.25, 1), (0.75, 1))]],
    2: [lambda: [np.concatenate([_arc(0.5, 0.28, 0.35, 0.28, 190, 380),
                                 _line((0.1, 1), (0.95, 1))])],
        lambda: [np.concatenate([_arc(0.5, 0.28, 0.35, 0.28, 190, 370), _line((0.2, 0.9)),
                                 _arc(0.3, 0.88, 0.12, 0.1, 0, -300), _line((0.95, 0.95))])],
        lambda: [_line((0.1, 0.05), (0.9, 0.05), (0.1, 1), (0.95, 1))]],
    3: [lambda: [np.concatenate([_arc(0.45, 0.27, 0.35, 0.27, 200, 450),
                                 _arc(0.45, 0.75, 0.4, 0.25, 270, 500)])],
        lambda: [np.concatenate([_line((0.1, 0), (0.85, 0), (0.4, 0.42)),
                                 _arc(0.45, 0.7, 0.42, 0.3, 280, 510)])]],
    4: [lambda: [_line((0.35, 0), (0.05, 0.65), (0.95, 0.65)), _line((0.7, 0.2), (0.7, 1))],
        lambda: [_line((0.7, 1), (0.7, 0), (0.0, 0.65), (1.0, 0.65))],
        lambda: [_line((0.1, 0), (0.1, 0.5), (0.8, 0.5)), _line((0.8, 0), (0.8, 1))]],
    5: [lambda: [_line((0.85, 0), (0.2, 0), (0.15, 0.42)), _arc(0.45, 0.68, 0.4, 0.3, 230, 510)],
        lambda: [np.concatenate([_line((0.2, 0), (0.15, 0.42)), _arc(0.45, 0.68, 0.4, 0.3, 230, 510)]),
                 _line((0.2, 0), (0.9, -0.02))]],
    6: [lambda: [np.concatenate([_arc(0.55, 0.5, 0.4, 0.5, -60, -180),
                                 _arc(0.5, 0.72, 0.32, 0.27, 180, 540)])],
        lambda: [np.concatenate([_line((0.75, 0), (0.2, 0.7)), _arc(0.5, 0.75, 0.3, 0.25, 160, 470)])]],
    7: [lambda: [_line((0.05, 0), (0.95, 0), (0.35, 1))],
        lambda: [_line((0.05, 0), (0.95, 0), (0.35, 1)), _line((0.35, 0.5), (0.85, 0.5))],
        lambda: [_line((0.0, 0.25), (0.05, 0), (0.95, 0), (0.55, 1))]],
    8: [lambda: [np.concatenate([_arc(0.5, 0.25, 0.28, 0.25, 90, 450),
                                 _arc(0.5, 0.75, 0.35, 0.25, -90, 270)])],
        lambda: [_arc(0.5, 0.25, 0.25, 0.25, 0, 360), _arc(0.5, 0.75, 0.33, 0.25, 0, 360)]],
    9: [lambda: [np.concatenate([_arc(0.45, 0.3, 0.35, 0.3, 0, 360), _line((0.8, 0.3), (0.75, 1))])],
        lambda: [np.concatenate([_arc(0.45, 0.3, 0.35, 0.3, 10, 360), _line((0.8, 0.3), (0.5, 1))])],
        lambda: [_arc(0.4, 0.28, 0.3, 0.28, 0, 360), _line((0.7, 0.1), (0.7, 1))]],
}


def _warp(strokes, rng, strength):
    """A smooth random bend of the box: the writer's own shape for this digit."""
    coefficients = rng.normal(0, strength, (2, 3))

    def bend(points):
        x, y = points[:, 0], points[:, 1]
        basis = np.stack([np.sin(np.pi * y), np.sin(np.pi * x), np.sin(2 * np.pi * y)])
        return points + (coefficients @ basis).T
    return [bend(s) for s in strokes]


def _affine(strokes, slant, width, angle):
    cos, sin = np.cos(angle), np.sin(angle)
    out = []
    for s in strokes:
        x, y = (s[:, 0] - 0.5) * width, s[:, 1] - 0.5
        x = x - slant * y
        out.append(np.stack([cos * x - sin * y, sin * x + cos * y], axis=1))
    return out


class Writer:
    """One synthetic person; :meth:`draw` gives their drawings of a digit as strokes."""

    def __init__(self, seed: int, hard: bool = True):
        rng = np.random.default_rng(seed)
        self.seed = seed
        self.slant = rng.uniform(-0.15, 0.45)
        self.width = rng.uniform(0.6, 1.25)
        self.shapes = {}
        for digit, choices in SKELETONS.items():
            # A hard writer prefers the unusual skeletons (MNIST has few of them).
            weights = np.array([1.0] + [3.0 if hard else 1.0] * (len(choices) - 1))
            pick = rng.choice(len(choices), p=weights / weights.sum())
            strokes = _warp(choices[pick](), rng, rng.uniform(0.03, 0.1))
            if rng.random() < 0.3:  # drawn the other way round
                strokes = [s[::-1] for s in strokes[::-1]]
            self.shapes[digit] = strokes
        self._rng = np.random.default_rng(seed + 10_000)

    def draw(self, digit: int) -> list[np.ndarray]:
        """One drawing of ``digit``: this writer's shape with a hand's small differences."""
        rng = self._rng
        strokes = [s + rng.normal(0, 0.012, s.shape) for s in _warp(self.shapes[digit], rng, 0.02)]
        strokes = _affine(strokes, self.slant + rng.normal(0, 0.05),
                          self.width * rng.uniform(0.92, 1.08), rng.normal(0, 0.05))
        scale = rng.uniform(80, 200)  # any unit: core.drawing fits them as the pad does
        return [s * scale + 300 for s in strokes]

    def drawings(self, per_digit: int) -> tuple[list, np.ndarray]:
        """``per_digit`` drawings of every digit, digit by digit, and their labels."""
        drawings, labels = [], []
        for digit in range(10):
            for _ in range(per_digit):
                drawings.append(self.draw(digit))
                labels.append(digit)
        return drawings, np.array(labels)
