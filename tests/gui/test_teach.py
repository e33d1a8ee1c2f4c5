"""Teaching digitpad the user's handwriting from the Draw tab: a digit key saves the drawing."""

import sqlite3

import numpy as np
from PySide6.QtCore import Qt

from digitpad.core.digit_store import DigitStore
from digitpad.core.digits_file import image_to_uint8
from digitpad.core.preprocess import to_model_input
from tests.gui.test_draw import ONE, SEVEN, draw_stroke, wait_for_prediction

SAVE_TIMEOUT_MS = 10_000


def stored(window):
    with DigitStore(window.hub.my_digits.path) as store:
        return store.samples()


def test_pressing_a_digit_saves_the_drawing_as_mine_and_undo_takes_it_back(qtbot, window):
    tab = window.draw_tab
    window.tabs.setCurrentWidget(tab)
    draw_stroke(tab.pad, SEVEN)
    wait_for_prediction(qtbot, tab)
    drawn_strokes = tab.pad.strokes()
    shown = to_model_input(tab.pad.render_ink())
    reading = tab.verdict()
    with qtbot.waitSignal(window.hub.my_digits.saved, timeout=SAVE_TIMEOUT_MS):
        qtbot.keyClick(window, Qt.Key_7)
    assert tab.pad.is_empty()  # ready for the next one
    assert tab.saved_label.text() == "Saved as 7: your first 7"
    [sample] = stored(window)
    assert sample.label == 7 and sample.model == window.hub.active.name
    assert sample.reading == (str(reading) if reading is not None else sample.reading)
    assert sample.reading in {str(reading), "unsure", "not_a_digit"}
    assert np.allclose(np.concatenate(sample.strokes), np.concatenate(drawn_strokes), atol=1e-6)
    assert np.array_equal(sample.image, image_to_uint8(shown))
    assert sample.pad_size == (min(tab.pad.width(), tab.pad.height()),) * 2

    with qtbot.waitSignal(window.hub.my_digits.changed, timeout=SAVE_TIMEOUT_MS):
        qtbot.keyClick(window, Qt.Key_Z, Qt.ControlModifier)
    assert tab.pad.strokes() == drawn_strokes  # the drawing is back on the pad...
    assert stored(window) == []                # ...and no longer saved
    assert "taken back" in tab.saved_label.text()
    qtbot.keyClick(window, Qt.Key_Z, Qt.ControlModifier)  # then undo is the pad's own again
    assert tab.pad.is_empty()


def test_a_click_on_a_digit_saves_too_and_counts_my_digits(qtbot, window):
    tab = window.draw_tab
    for shift, expected in ((0, "Saved as 1: your first 1"), (0.1, "Saved as 1: 2 of your 1s")):
        draw_stroke(tab.pad, [(x + shift, y) for x, y in ONE])
        wait_for_prediction(qtbot, tab)
        with qtbot.waitSignal(window.hub.my_digits.saved, timeout=SAVE_TIMEOUT_MS):
            tab.teach_buttons[1].click()
        assert tab.saved_label.text() == expected
    assert [s.label for s in stored(window)] == [1, 1]


def test_saving_never_waits_for_the_disk(qtbot, window):
    tab = window.draw_tab
    DigitStore(window.hub.my_digits.path).close()
    other = sqlite3.connect(window.hub.my_digits.path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # another writer holds the store: saving must wait
    try:
        draw_stroke(tab.pad, ONE)
        wait_for_prediction(qtbot, tab)
        saved = []
        window.hub.my_digits.saved.connect(saved.append)
        qtbot.keyClick(window, Qt.Key_1)
        assert tab.pad.is_empty() and tab.saved_label.text() == "Saving as 1…"
        draw_stroke(tab.pad, SEVEN)  # drawing goes on meanwhile
        wait_for_prediction(qtbot, tab)
        assert tab.probabilities() is not None and not saved
    finally:
        other.execute("COMMIT")
        other.close()
    qtbot.waitUntil(lambda: len(saved) == 1, timeout=SAVE_TIMEOUT_MS)
    assert tab.saved_label.text() == "Saved as 1: your first 1"


def test_nothing_is_saved_from_an_empty_pad(qtbot, window):
    tab = window.draw_tab
    assert not any(button.isEnabled() for button in tab.teach_buttons)
    assert tab.save_as(4) is False
    qtbot.keyClick(window, Qt.Key_4)
    qtbot.wait(100)
    assert tab.saved_label.text() == ""
