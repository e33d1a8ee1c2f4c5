"""Replay recorded strokes into a DrawPad as real mouse events (tests, benchmarks, demos)."""

from __future__ import annotations

from typing import Callable, Sequence

from PySide6.QtCore import QEvent, QPointF, Qt
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QApplication

PAD_FILL = 0.7  # share of the pad a replayed digit's longer side covers, as people draw


def fit_to_pad(strokes: Sequence[Sequence[Sequence[float]]], pad) -> list[list[QPointF]]:
    """Map strokes in any screen coordinates onto the pad, centred, aspect kept."""
    xs = [p[0] for stroke in strokes for p in stroke]
    ys = [p[1] for stroke in strokes for p in stroke]
    span = max(max(xs) - min(xs), max(ys) - min(ys), 1e-6)
    side = min(pad.width(), pad.height())
    scale = PAD_FILL * side / span
    cx, cy = (max(xs) + min(xs)) / 2, (max(ys) + min(ys)) / 2
    return [[QPointF(pad.width() / 2 + (x - cx) * scale, pad.height() / 2 + (y - cy) * scale)
             for x, y, *_ in stroke] for stroke in strokes]


def send_mouse(widget, kind: QEvent.Type, position: QPointF) -> None:
    """Deliver one mouse event to ``widget`` the way a real mouse would."""
    buttons = Qt.NoButton if kind == QEvent.MouseButtonRelease else Qt.LeftButton
    button = Qt.NoButton if kind == QEvent.MouseMove else Qt.LeftButton
    global_position = QPointF(widget.mapToGlobal(position.toPoint()))
    event = QMouseEvent(kind, position, global_position, button, buttons, Qt.NoModifier)
    QApplication.sendEvent(widget, event)


def replay(pad, strokes, *, after_move: Callable[[], None] | None = None) -> None:
    """Draw ``strokes`` on ``pad``: press, a move per recorded point, release."""
    for stroke in fit_to_pad(strokes, pad):
        send_mouse(pad, QEvent.MouseButtonPress, stroke[0])
        for point in stroke[1:]:
            send_mouse(pad, QEvent.MouseMove, point)
            if after_move:
                after_move()
        send_mouse(pad, QEvent.MouseButtonRelease, stroke[-1])
