"""The whole "teach it my handwriting" loop, as a user goes through it in the window.

A stand-in writer (``benchmarks/_writers.py``) whose 6s the shipped model misreads draws
one of each digit on the Draw pad with real mouse strokes and presses each digit's key,
opens My digits, presses "Adapt to me" (the real training process, on the real MNIST set),
and, once the adapted model is active, draws more of their 6s: the pad now reads them.
"""

import time

import pytest
from PySide6.QtCore import Qt

from benchmarks._writers import Writer
from digitpad.gui.evaluations import MY_DIGITS
from digitpad.gui.replay import replay
from tests.gui.conftest import open_window
from tests.gui.test_draw import wait_for_prediction
from tests.gui.test_teach import SAVE_TIMEOUT_MS

WRITER = 15         # writes 6s the shipped model reads as other things, or not at all
MISREAD = 6
PROBES = 4          # more of the writer's 6s, read before and after adapting
ADAPT_TIMEOUT_MS = 120_000  # the training process imports TensorFlow, then fine-tunes


def answer(qtbot, window, strokes) -> str:
    """Draw ``strokes`` on the pad as a mouse would; the pad's answer (a digit, "?", or a
    word), then Esc clears the pad."""
    draw = window.draw_tab
    replay(draw.pad, strokes)
    wait_for_prediction(qtbot, draw)
    shown = draw.answer.text()
    qtbot.keyClick(window, Qt.Key_Escape)
    assert draw.pad.is_empty()
    return shown


@pytest.mark.heavy
def test_a_writer_teaches_one_of_each_digit_and_the_pad_then_reads_their_6s(
        qtbot, settings, mnist_folder):
    started = time.monotonic()
    window = open_window(qtbot, settings, str(mnist_folder))
    window.resize(1100, 760)
    draw = window.draw_tab
    window.tabs.setCurrentWidget(draw)
    writer = Writer(WRITER)
    taught = [writer.draw(digit) for digit in range(10)]
    probes = [writer.draw(MISREAD) for _ in range(PROBES)]

    shipped = window.hub.active
    before = [answer(qtbot, window, strokes) for strokes in probes]
    assert all(text != str(MISREAD) for text in before), before  # the style it misreads

    for digit, strokes in enumerate(taught):
        replay(draw.pad, strokes)
        wait_for_prediction(qtbot, draw)
        with qtbot.waitSignal(window.hub.my_digits.saved, timeout=SAVE_TIMEOUT_MS):
            qtbot.keyClick(window, getattr(Qt, f"Key_{digit}"))
        assert draw.saved_label.text() == f"Saved as {digit}: your first {digit}"

    qtbot.mouseClick(draw.my_digits_button, Qt.LeftButton)
    mine = window.errors_tab
    assert window.tabs.currentWidget() is mine and mine.dataset() == MY_DIGITS
    qtbot.waitUntil(lambda: mine.evaluation is not None and mine._shown.name == MY_DIGITS
                    and sorted(mine.evaluation.labels.tolist()) == list(range(10)),
                    timeout=SAVE_TIMEOUT_MS)
    actions = mine.mine_actions
    assert actions.adapt_button.isEnabled()
    with qtbot.waitSignal(window.hub.model_changed, timeout=ADAPT_TIMEOUT_MS):
        qtbot.mouseClick(actions.adapt_button, Qt.LeftButton)
    adapted = window.hub.active
    assert adapted is not shipped and adapted.card["adaptation"]["samples_taught"] == 10
    assert "Now active" in actions.adapt_status.text()

    window.tabs.setCurrentWidget(draw)
    after = [answer(qtbot, window, strokes) for strokes in probes]
    assert after == [str(MISREAD)] * PROBES, (before, after)
    print(f"\nwriter {WRITER}'s 6s read as {before} before adapting, {after} after; "
          f"whole loop {time.monotonic() - started:.1f} s")
    window.close()
