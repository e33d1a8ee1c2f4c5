"""The training form in its scroll area: the wheel scrolls the form, never a setting."""

from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtWidgets import QApplication, QComboBox, QScrollArea

from digitpad.gui.widgets.training_form import TrainingForm

NOTCH = 120  # one step of a mouse wheel, in eighths of a degree


def turn_wheel(widget, notches: int) -> None:
    """A wheel turned over the middle of ``widget``, delivered as Qt delivers a real one:
    to the widget, then to its parents while none accepts it. (Qt propagates only events
    from the window system; ``sendEvent`` alone would stop at ``widget``.)"""
    position = QPointF(widget.rect().center())
    while widget is not None:
        event = QWheelEvent(position, QPointF(widget.mapToGlobal(position)), QPoint(0, 0),
                            QPoint(0, notches * NOTCH), Qt.NoButton, Qt.NoModifier,
                            Qt.NoScrollPhase, False)
        QApplication.sendEvent(widget, event)
        if event.isAccepted():
            return
        position = QPointF(widget.mapToParent(position))
        widget = widget.parentWidget()


def scrolled_form(qtbot):
    form = TrainingForm()
    scroll = QScrollArea()
    scroll.setWidget(form)
    scroll.setWidgetResizable(True)
    scroll.resize(320, 300)  # shorter than the form: it scrolls
    qtbot.addWidget(scroll)
    scroll.show()
    qtbot.waitExposed(scroll)
    return form, scroll


def test_the_wheel_over_any_field_scrolls_the_form_and_changes_no_setting(qtbot):
    form, scroll = scrolled_form(qtbot)
    form.select_preset("mlp")  # not the first preset: a wheel could move it both ways
    before = form.config()
    bar = scroll.verticalScrollBar()
    assert bar.maximum() > 0
    fields = [form.arch_box, *form.fields.values()]
    assert sum(isinstance(field, QComboBox) for field in fields) == 4
    for field in fields:
        scroll.ensureWidgetVisible(field)
        for notches in (-1, 1, -3, 3):
            turn_wheel(field, notches)
        assert form.config() == before, field
    bar.setValue(0)
    turn_wheel(form.fields["optimizer"], -2)  # down, over a combo box
    assert bar.value() > 0  # the form scrolled
    assert form.config() == before


def test_a_focused_combo_box_still_takes_the_wheel(qtbot):
    form, scroll = scrolled_form(qtbot)
    box = form.fields["optimizer"]
    scroll.ensureWidgetVisible(box)
    box.setFocus()
    qtbot.waitUntil(box.hasFocus, timeout=2000)
    index = box.currentIndex()
    turn_wheel(box, -1 if index + 1 < box.count() else 1)
    assert box.currentIndex() != index
