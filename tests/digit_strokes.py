"""Digits drawn as strokes, jittered as a hand draws them (tests and synthetic numbers).

Each digit has one or two ways of being written (a 4 and a 5 in one stroke or two, a 7
with or without its bar, a 1 with or without a flag), drawn in a unit-high box, y down,
then given a random width, rotation, slow wobble and tremor.
"""

from __future__ import annotations

import numpy as np

from digitpad.core.nondigits import _arc, _densify, _line


def _two(a, b) -> np.ndarray:
    return np.concatenate([a, b])


STYLES = {
    0: [lambda: [_arc(0.3, 0.5, 0.28, 0.48, -90, -450, 40)]],
    1: [lambda: [_line((0.35, 0.0), (0.3, 1.0))],
        lambda: [_line((0.12, 0.25), (0.35, 0.0), (0.3, 1.0))]],
    2: [lambda: [_two(_arc(0.3, 0.28, 0.27, 0.26, 200, 390, 20),
                      _line((0.02, 1.0), (0.6, 1.0)))]],
    3: [lambda: [_two(_arc(0.3, 0.25, 0.25, 0.24, 200, 450, 20),
                      _arc(0.3, 0.73, 0.28, 0.26, 270, 520, 20))]],
    4: [lambda: [_line((0.4, 0.0), (0.0, 0.65), (0.6, 0.65)), _line((0.44, 0.3), (0.44, 1.0))],
        lambda: [_line((0.4, 0.0), (0.0, 0.65), (0.6, 0.65), (0.44, 0.65), (0.44, 0.3),
                       (0.44, 1.0))]],
    5: [lambda: [_two(_line((0.1, 0.0), (0.07, 0.45)), _arc(0.3, 0.68, 0.28, 0.3, 220, 520, 24)),
                 _line((0.1, 0.0), (0.55, 0.0))],
        lambda: [_two(_line((0.55, 0.0), (0.1, 0.0), (0.07, 0.45)),
                      _arc(0.3, 0.68, 0.28, 0.3, 220, 520, 24))]],
    6: [lambda: [_two(_line((0.48, 0.0), (0.25, 0.2), (0.06, 0.5)),
                      _arc(0.3, 0.72, 0.26, 0.27, 180, 540, 30))]],
    7: [lambda: [_line((0.0, 0.0), (0.6, 0.0), (0.2, 1.0))],
        lambda: [_line((0.0, 0.0), (0.6, 0.0), (0.2, 1.0)), _line((0.18, 0.5), (0.52, 0.5))]],
    8: [lambda: [_two(_arc(0.3, 0.25, 0.22, 0.24, 90, 450, 30),
                      _arc(0.3, 0.73, 0.28, 0.26, -90, 270, 30))]],
    9: [lambda: [_two(_arc(0.3, 0.28, 0.26, 0.27, 0, 360, 30), _line((0.56, 0.28), (0.5, 1.0)))]],
}


def digit(label: int, rng: np.random.Generator) -> list[np.ndarray]:
    """One jittered drawing of ``label``: its strokes, in pen order."""
    styles = STYLES[label]
    strokes = styles[int(rng.integers(len(styles)))]()
    width = rng.uniform(0.8, 1.25)
    angle = np.deg2rad(rng.uniform(-8, 8))
    rotate = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    phase = rng.uniform(0, 2 * np.pi, 2)
    out = []
    for stroke in strokes:
        stroke = _densify(stroke, 0.03) * [width, 1.0]
        t = np.linspace(0, 1, len(stroke))[:, None]
        stroke = stroke + 0.02 * np.sin(2 * np.pi * t * rng.uniform(0.5, 1.5) + phase)
        stroke = stroke + rng.normal(0, 0.004, stroke.shape)
        out.append((stroke - 0.5) @ rotate.T + 0.5)
    return out


def make_digits(count: int, rng: np.random.Generator) -> list[tuple[int, list[np.ndarray]]]:
    """``count`` (label, strokes) drawings, labels cycling through 0-9."""
    return [(n % 10, digit(n % 10, rng)) for n in range(count)]
