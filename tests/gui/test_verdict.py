"""The Draw tab's answer with the shipped model: things that are no digit are never shown
as one, and what ``verdict()`` returns is what the tab shows."""

import numpy as np
import pytest
from PySide6.QtCore import QEvent, QPointF

from digitpad.gui.replay import send_mouse
from tests.gui.test_draw import ONE, SEVEN, draw_stroke


def tap(pad, x=0.5, y=0.5):
    at = QPointF(x * pad.width(), y * pad.height())
    send_mouse(pad, QEvent.MouseButtonPress, at)
    send_mouse(pad, QEvent.MouseButtonRelease, at)


def spiral(turns, radius, centre=(0.5, 0.5), points=160):
    t = np.linspace(0, turns * 2 * np.pi, points)
    r = np.linspace(0.01, radius, points)
    return list(zip(centre[0] + r * np.cos(t), centre[1] + r * np.sin(t)))


def shown(tab) -> tuple[str, str]:
    return tab.answer.text(), tab.detail.text()


def test_a_tap_and_a_dot_say_draw_larger(window):
    tab = window.draw_tab
    tap(tab.pad)
    assert tab.verdict() is None and shown(tab) == ("Too small", "Draw larger")
    assert tab.probabilities() is None
    tab.pad.clear()
    draw_stroke(tab.pad, spiral(2, 0.02))  # a small filled dot
    assert tab.verdict() is None and shown(tab) == ("Too small", "Draw larger")


@pytest.mark.parametrize("name, strokes", [
    ("dash", [[(0.2, 0.5), (0.5, 0.51), (0.8, 0.5)]]),
    ("filled blob", [spiral(7, 0.3)]),
    ("x", [[(0.25, 0.25), (0.75, 0.75)], [(0.75, 0.25), (0.25, 0.75)]]),
    ("plus", [[(0.5, 0.2), (0.5, 0.8)], [(0.2, 0.5), (0.8, 0.5)]]),
])
def test_things_that_are_no_digit_are_never_shown_as_one(window, name, strokes):
    tab = window.draw_tab
    for stroke in strokes:
        draw_stroke(tab.pad, stroke)
    assert tab.verdict() is None, name
    answer, detail = shown(tab)
    assert answer in ("No digit", "?"), (name, answer, detail)
    if answer == "No digit":  # rejected outright: no best guesses, no chart
        assert detail == "That doesn't look like a digit" and tab.probabilities() is None


def test_verdict_returns_the_digit_the_tab_shows(window):
    tab = window.draw_tab
    for strokes in ([ONE], [SEVEN]):
        tab.pad.clear()
        for stroke in strokes:
            draw_stroke(tab.pad, stroke)
        digit = tab.verdict()
        assert digit is not None and tab.answer.text() == str(digit)
        assert digit == int(tab.probabilities().argmax())
        assert tab.detail.text().endswith("sure")


def ink_extent(image: np.ndarray, level: float) -> tuple[int, int]:
    """(width, height) in pixels of what is brighter than ``level`` in ``image``."""
    rows, columns = np.nonzero(image > level)
    return columns.max() - columns.min() + 1, rows.max() - rows.min() + 1


def test_a_tap_is_a_round_dot_on_the_pad_and_in_what_the_model_sees(window):
    tab = window.draw_tab
    before = tab.pad.grab().toImage()
    tap(tab.pad)
    after = tab.pad.grab().toImage()
    ink = np.array([[after.pixelColor(x, y).red() - before.pixelColor(x, y).red()
                     for x in range(after.width())] for y in range(after.height())])
    width, height = ink_extent(ink, 128)
    on_screen = tab.pad.pen_width() * min(tab.pad.width(), tab.pad.height())
    assert abs(width - height) <= 1 and abs(width - on_screen) <= 2, (width, height, on_screen)
    width, height = ink_extent(tab.pad.render_ink(), 0.5)
    assert abs(width - height) <= 1, (width, height)
    width, height = ink_extent(tab._model_input(), 0.5)  # the 28x28 preview
    assert abs(width - height) <= 1 and width >= 10, (width, height)
