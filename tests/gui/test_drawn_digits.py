"""Real drawn digits, replayed through the pad as mouse strokes, must be recognised."""

import json

import pytest

from digitpad.gui import replay


@pytest.mark.heavy
def test_finger_drawn_digits_are_recognised(qtbot, window, drawn_folder):
    digits = json.loads((drawn_folder / "touch_strokes.json").read_text())
    tab = window.draw_tab
    wrong = []
    for n, digit in enumerate(digits):
        tab.pad.clear()
        replay.replay(tab.pad, digit["strokes"])
        qtbot.waitUntil(lambda: not tab._timer.isActive(), timeout=2000)
        probabilities = tab.probabilities()  # None: answered "not a digit", wrong too
        predicted = None if probabilities is None else int(probabilities.argmax())
        if predicted != digit["label"]:
            wrong.append((n, digit["label"], predicted))
    accuracy = 1 - len(wrong) / len(digits)
    assert accuracy >= 0.99, f"{accuracy:.2%}; wrong (index, label, predicted): {wrong}"
