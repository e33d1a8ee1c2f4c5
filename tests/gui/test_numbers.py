"""Numbers on the pad: digits written side by side with real mouse strokes are read as a
number, with a box per digit, unsure digits marked and their alternatives one click away."""

import numpy as np
from PySide6.QtCore import QEvent, QPointF, Qt

from digitpad.core.verdict import Thresholds
from digitpad.gui.replay import send_mouse
from tests import digit_strokes

HEIGHT = 0.32  # a digit's height as a share of the pad's height


def write(pad, labels, left=0.08, gap=0.35, seed=3):
    """Write ``labels`` (digits, or "." for a point) across ``pad`` with mouse strokes:
    press, a move every few pixels, release; a point is a tap. Returns the pen-ups'
    count."""
    rng = np.random.default_rng(seed)
    unit = HEIGHT * pad.height()
    x, top = left * pad.width(), 0.34 * pad.height()
    for label in labels:
        if label == ".":
            at = QPointF(x - gap * unit / 2, top + 0.97 * unit)
            send_mouse(pad, QEvent.MouseButtonPress, at)
            send_mouse(pad, QEvent.MouseButtonRelease, at)
            continue
        strokes = digit_strokes.digit(label, rng)
        low = min(s[:, 0].min() for s in strokes)
        for stroke in strokes:
            points = [QPointF(x + (px - low) * unit, top + py * unit) for px, py in stroke]
            send_mouse(pad, QEvent.MouseButtonPress, points[0])
            for point in points[1:]:
                send_mouse(pad, QEvent.MouseMove, point)
            send_mouse(pad, QEvent.MouseButtonRelease, points[-1])
        x += (max(s[:, 0].max() for s in strokes) - low + gap) * unit


def test_a_number_written_with_the_mouse_is_read_at_pen_up(qtbot, window):
    window.resize(1180, 720)
    tab = window.draw_tab
    answers = []  # the number after each update, as the pen goes up for the last time
    tab.prediction_updated.connect(lambda: answers.append(tab.number()))
    write(tab.pad, [2, 0, 2, 4])
    assert answers[-1] == "2024" and not tab._timer.isActive()  # final within the pen-up
    assert tab.answer.text() == "2024" and tab.verdict() is None
    marks = tab.pad.marks()
    assert [m.label for m in marks] == list("2024") and {m.kind for m in marks} == {"digit"}
    lefts = [m.box[0] for m in marks]
    assert lefts == sorted(lefts)
    # Clicking a digit's label shows its own probabilities and 28x28 image.
    reading = tab.number_reading()
    _, label = tab.pad.mark_rects(1)
    qtbot.mouseClick(tab.pad, Qt.LeftButton, pos=label.center().toPoint())
    assert np.allclose(tab.probabilities(), reading.digits[1].probabilities)
    assert np.allclose(tab.chart.probabilities(), reading.digits[1].probabilities)
    assert tab.probabilities().argmax() == 0 and tab.pad.marks() == marks  # nothing drawn


def test_a_stroke_that_starts_on_a_digit_s_label_draws(qtbot, window):
    # A number's next digit often starts just above the one before, where its label is:
    # a click there selects the digit, a stroke from there draws.
    window.resize(1180, 720)
    tab = window.draw_tab
    write(tab.pad, [2, 0])
    before = len(tab.pad.strokes())
    zero = tab.pad.marks()[1].box
    _, label = tab.pad.mark_rects(1)
    start = label.center()
    stroke = [start + QPointF(dx, dx * 1.5) for dx in range(0, 60, 4)]
    send_mouse(tab.pad, QEvent.MouseButtonPress, stroke[0])
    for point in stroke[1:]:
        send_mouse(tab.pad, QEvent.MouseMove, point)
    send_mouse(tab.pad, QEvent.MouseButtonRelease, stroke[-1])
    assert len(tab.pad.strokes()) == before + 1
    assert tab.pad.strokes()[-1][0][1] < zero[1]  # from where the pen went down, above the 0


def test_a_decimal_point_and_a_single_digit(qtbot, window):
    window.resize(1180, 720)
    tab = window.draw_tab
    write(tab.pad, [3, ".", 1, 4])
    assert tab.number() == "3.14" and tab.answer.text() == "3.14"
    tab.pad.clear()
    write(tab.pad, [7], left=0.4)
    # One digit is read whole, as always: no boxes, the verdict and the number agree.
    assert tab.verdict() == 7 and tab.number() == "7" and tab.pad.marks() == []


def test_an_unsure_digit_is_marked_and_its_alternatives_are_one_click_away(qtbot, window):
    window.resize(1180, 720)
    tab = window.draw_tab
    predictor = window.hub.active.predictor
    write(tab.pad, [2, 0, 2, 4], seed=34)  # its second 2 is the digit the model is least sure of
    reading = tab.number_reading()
    # The rule of a model that is sure of a digit only above the third digit's confidence.
    third = float(reading.digits[2].probabilities.max())
    others = min(float(d.probabilities.max()) for i, d in enumerate(reading.digits) if i != 2)
    assert third < others
    predictor.thresholds = Thresholds(predictor.thresholds.not_a_digit,
                                      (third + others) / 2, predictor.thresholds.min_ink)
    tab.update_prediction()
    assert tab.number() is None and tab.answer.text() == "20?4"
    assert [m.kind for m in tab.pad.marks()] == ["digit", "digit", "unsure", "digit"]
    assert np.allclose(tab.probabilities(), reading.digits[2].probabilities)  # shown first
    buttons = [b for b in tab.alternative_buttons if b.isVisible()]
    assert buttons[0].text() == "2024"
    qtbot.mouseClick(buttons[0], Qt.LeftButton)
    assert tab.number() == "2024" and tab.answer.text() == "2024"


def test_a_mark_that_is_no_digit_makes_no_number(qtbot, window):
    window.resize(1180, 720)
    tab = window.draw_tab
    write(tab.pad, [2, 0])
    pad = tab.pad
    # A tap far right of the digits, at their middle: no point, too small to read.
    at = QPointF(0.9 * pad.width(), 0.5 * pad.height())
    send_mouse(pad, QEvent.MouseButtonPress, at)
    send_mouse(pad, QEvent.MouseButtonRelease, at)
    assert tab.number() is None and tab.answer.text() == "Not a number"
    assert tab.detail.text().startswith("Not a number")
    assert [m.kind for m in pad.marks()] == ["digit", "digit", "culprit"]
