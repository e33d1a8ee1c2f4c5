"""Controls inside a scrolling form that leave the wheel to the form unless focused."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtWidgets import QWidget


class WheelGuard(QObject):
    """An event filter: a guarded control takes wheel events only while it has the focus.

    Otherwise the event is marked ignored and filtered out, and Qt hands an ignored wheel
    event on to the control's parents: the scroll area around the form scrolls, and a
    combo box the pointer passes over keeps its value.
    """

    def guard(self, widget: QWidget) -> None:
        """Guard ``widget``; it takes the focus by click or Tab, never by the wheel."""
        widget.setFocusPolicy(Qt.StrongFocus)
        widget.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Wheel and isinstance(watched, QWidget) \
                and not watched.hasFocus():
            event.ignore()
            return True
        return super().eventFilter(watched, event)
