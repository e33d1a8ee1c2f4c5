"""The drawing pad: smooth vector strokes, undo/redo, and the ink image the model gets.

Finished strokes are painted once into an image the size of the widget (in device pixels)
and each repaint draws that image and the stroke in progress, so a mouse move costs the
same with 200 strokes on the pad as with one. The whole widget takes ink: a number is
written across it, wider than tall when the window is wide. Marks (a number's digits, each
with its box and small answer) are drawn over the ink; clicking one (its label, or
anywhere in its box with the right button) selects it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QImage, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import QApplication, QSizePolicy, QWidget

from digitpad.core import drawing
from digitpad.gui.widgets.image_view import SquareWidget, centred_square, to_qimage

DEFAULT_PEN_WIDTH = 0.045  # display stroke width as a share of the pad's side
MAX_UNDO = 1000  # undo states kept; the oldest go first
MARK_COLOURS = {"digit": QColor(110, 170, 255, 120), "unsure": QColor(235, 165, 40, 200),
                "culprit": QColor(240, 70, 70, 230)}
MARK_MARGIN = 4  # pixels between a digit's ink (as the pen shows it) and its box
LABEL_HEIGHT = 18


@dataclass(frozen=True)
class PadMark:
    """A box drawn over the ink: ``box`` (left, top, right, bottom) in pad coordinates, its
    small ``label`` and ``kind`` ("digit", "unsure" or "culprit")."""

    box: tuple[float, float, float, float]
    label: str
    kind: str = "digit"


class DrawPad(SquareWidget):
    """A square pad for drawing digits with mouse, pen or finger (white ink on black).

    Strokes are kept as vectors in pad-relative coordinates (0..1), so the pad re-renders
    crisply at any size. ``changed`` fires on every point added and on undo/redo/clear.
    """

    changed = Signal()
    mark_clicked = Signal(int)  # the index of the mark the user clicked

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self._strokes: list[list[QPointF]] = []
        self._current: list[QPointF] | None = None
        self._undo: list[tuple] = []   # earlier (strokes, background) states
        self._redo: list[tuple] = []
        self._background: np.ndarray | None = None  # an image sent to the pad as a start
        self._background_name = ""                  # what that image is, for a caption
        self._pen_width = DEFAULT_PEN_WIDTH
        self._finished: QImage | None = None  # backdrop, background and finished strokes
        self._marks: list[PadMark] = []
        self._selected_mark: int | None = None
        self._label_press: tuple[int, QPointF] | None = None  # a press on a digit's label
        self.setMinimumSize(200, 200)
        self.setSizePolicy(QSizePolicy.Expanding, QSizePolicy.Expanding)
        self.setCursor(Qt.CrossCursor)
        self.setFocusPolicy(Qt.StrongFocus)
        self.setAttribute(Qt.WA_OpaquePaintEvent)
        self.setToolTip("Draw a digit, or a number across the pad. Click a digit's label to "
                        "see its probabilities. Ctrl+Z undo, Ctrl+Shift+Z redo, Esc clear.")

    # ----- public API -------------------------------------------------------------------
    def is_empty(self) -> bool:
        return not self._strokes and self._current is None and self._background is None

    def is_drawing(self) -> bool:
        """True while a stroke is being drawn (between pen down and pen up)."""
        return self._current is not None

    def ink_extent(self) -> float | None:
        """The drawing's longer side as a share of the pad's side; None when empty."""
        box = self._ink_bounds(self._all_strokes())
        if box is None:
            return None
        left, top, right, bottom = box
        return max(right - left, bottom - top)

    def pen_width(self) -> float:
        return self._pen_width

    def set_pen_width(self, share_of_side: float) -> None:
        """Display stroke width as a share of the pad's side (kept on resize)."""
        self._pen_width = float(np.clip(share_of_side, 0.01, 0.15))
        self._finished = None
        self.update()

    def strokes(self) -> list[list[tuple[float, float]]]:
        """Finished strokes as lists of (x, y) in 0..1 pad coordinates."""
        return [[(p.x(), p.y()) for p in stroke] for stroke in self._all_strokes()]

    def set_background(self, image28: np.ndarray, name: str = "") -> None:
        """Start from a model-ready image (28x28, ink high, [0, 1]), shown filling the pad;
        strokes are drawn on top of it. ``name`` says what it is (``background_name``)."""
        self._push_undo()
        self._background = np.clip(np.asarray(image28, dtype=np.float32), 0, 1)
        self._background_name = name
        self._strokes = []
        self._after_edit()

    def sent_image(self) -> np.ndarray | None:
        """The background image while nothing is drawn on it, else None.

        It is already what a model sees, so it is predicted as it is; once strokes are
        added, background and strokes are rendered and preprocessed together.
        """
        if self._background is None or self._strokes or self._current is not None:
            return None
        return self._background

    def has_background(self) -> bool:
        """Whether an image sent to the pad is under the strokes."""
        return self._background is not None

    def set_marks(self, marks: list[PadMark], selected: int | None = None) -> None:
        """Draw ``marks`` over the ink (replacing any), ``selected`` one emphasised."""
        if marks != self._marks or selected != self._selected_mark:
            self._marks, self._selected_mark = list(marks), selected
            self.update()

    def marks(self) -> list[PadMark]:
        return list(self._marks)

    def mark_rects(self, index: int) -> tuple[QRectF, QRectF]:
        """Mark ``index``'s box and label, in widget coordinates."""
        area = centred_square(self)
        left, top, right, bottom = self._marks[index].box
        box = QRectF(area.left() + left * area.width(), area.top() + top * area.height(),
                     (right - left) * area.width(), (bottom - top) * area.height())
        margin = MARK_MARGIN + self._pen_width * area.width() / 2  # around the ink as shown
        box.adjust(-margin, -margin, margin, margin)
        label = QRectF(box.left(), box.top() - LABEL_HEIGHT - 2, max(box.width(), 24),
                       LABEL_HEIGHT)
        if label.top() < 0:  # no room above: inside the box's top
            label.moveTop(box.top() + 2)
        return box, label

    def background_name(self) -> str:
        return self._background_name if self._background is not None else ""

    def clear(self) -> None:
        if self.is_empty():
            return
        self._push_undo()
        self._strokes, self._current, self._background = [], None, None
        self._label_press = None
        self._background_name = ""
        self._after_edit()

    def undo(self) -> None:
        if self._undo:
            self._redo.append(self._state())
            self._strokes, self._background, self._background_name = self._undo.pop()
            self._after_edit()

    def redo(self) -> None:
        if self._redo:
            self._undo.append(self._state())
            self._strokes, self._background, self._background_name = self._redo.pop()
            self._after_edit()

    def can_undo(self) -> bool:
        return bool(self._undo)

    def can_redo(self) -> bool:
        return bool(self._redo)

    def redo_count(self) -> int:
        """How many undone steps :meth:`redo` can bring back: it grows by one with each
        undo and shrinks with each redo, and any new edit empties it."""
        return len(self._redo)

    def render_ink(self) -> np.ndarray | None:
        """The drawing as a float image (ink high) for ``core.preprocess``; None when empty.

        The drawing is rendered fitted to a fixed box with a stroke width proportional to
        its size, so the model sees MNIST-like strokes whether the digit was drawn large or
        small and whatever the display pen width: the definition in ``core.drawing``, which
        renders strokes from anywhere else the same way.
        """
        strokes = self._all_strokes()
        box = self._ink_bounds(strokes)
        if box is None:
            return None
        scale, centre_x, centre_y = drawing.fit_transform(box)
        side = drawing.INK_CANVAS
        image = QImage(side, side, QImage.Format_Grayscale8)
        image.fill(0)
        painter = QPainter(image)
        painter.setRenderHint(QPainter.Antialiasing)
        painter.setRenderHint(QPainter.SmoothPixmapTransform)

        # Pad coordinates -> canvas: the drawing's box centred in the canvas. Points are
        # mapped here rather than by the painter: under the huge scale of a tap (a box of
        # almost no size) Qt drew the tap's dot as a bar across the canvas.
        def to_canvas(x: float, y: float) -> QPointF:
            return QPointF(side / 2 + (x - centre_x) * scale, side / 2 + (y - centre_y) * scale)

        if self._background is not None:
            painter.drawImage(QRectF(to_canvas(0, 0), to_canvas(1, 1)),
                              to_qimage(self._background))
        _draw_strokes(painter, [[to_canvas(p.x(), p.y()) for p in stroke] for stroke in strokes],
                      drawing.pen_width())
        painter.end()
        return _to_array(image)

    # ----- Qt events ---------------------------------------------------------------------
    def sizeHint(self) -> QSize:
        return QSize(420, 420)

    def paintEvent(self, event) -> None:
        finished = self._finished_image()
        painter = QPainter(self)
        painter.drawImage(0, 0, finished)
        if self._current is not None:
            self._to_pad_painter(painter)
            _draw_strokes(painter, [self._current], self._pen_width)
        painter.end()
        if self._marks:
            self._paint_marks()
        if self.is_empty():
            hint = QPainter(self)
            hint.setPen(QColor(110, 110, 120))
            hint.drawText(self.rect(), Qt.AlignCenter, "Draw a digit or a number here")
            hint.end()

    def resizeEvent(self, event) -> None:
        self._finished = None
        super().resizeEvent(event)

    def mousePressEvent(self, event) -> None:
        position = event.position()
        clicked = self._mark_at(position, event.button())
        if event.button() != Qt.LeftButton:  # a right click in a digit's box selects it
            if clicked is not None:
                self.mark_clicked.emit(clicked)
            return
        # A click on a digit's label selects the digit; a stroke that starts on it draws,
        # as a number's next digit often starts just above the one before.
        if clicked is not None:
            self._label_press = (clicked, position)
            return
        self._start_stroke(position)

    def mouseMoveEvent(self, event) -> None:
        if self._label_press is not None:
            _, start = self._label_press
            if (event.position() - start).manhattanLength() < QApplication.startDragDistance():
                return
            self._label_press = None
            self._start_stroke(start)
        if self._current is None:
            return
        self._current.append(self._to_pad(event.position()))
        self.update()
        self.changed.emit()

    def _start_stroke(self, position: QPointF) -> None:
        self._current = [self._to_pad(position)]
        self.update()
        self.changed.emit()

    def mouseReleaseEvent(self, event) -> None:
        if event.button() == Qt.LeftButton and self._label_press is not None:
            clicked, self._label_press = self._label_press[0], None
            self.mark_clicked.emit(clicked)
            return
        if self._current is None or event.button() != Qt.LeftButton:
            return
        stroke = self._current + [self._to_pad(event.position())]
        self._current = None
        self._push_undo()
        self._strokes = self._strokes + [stroke]
        if self._finished is not None:  # one more stroke on the image: no full redraw
            painter = QPainter(self._finished)
            self._to_pad_painter(painter)
            _draw_strokes(painter, [stroke], self._pen_width)
            painter.end()
        self.update()
        self.changed.emit()

    # ----- internals ---------------------------------------------------------------------
    def _mark_at(self, position: QPointF, button) -> int | None:
        """The mark a press selects: on its label (any button), or in its box (right)."""
        for index in range(len(self._marks)):
            box, label = self.mark_rects(index)
            if label.contains(position) or (button == Qt.RightButton and box.contains(position)):
                return index
        return None

    def _paint_marks(self) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.Antialiasing)
        font = painter.font()
        font.setPointSize(10)
        font.setBold(True)
        painter.setFont(font)
        for index, mark in enumerate(self._marks):
            box, label = self.mark_rects(index)
            colour = MARK_COLOURS.get(mark.kind, MARK_COLOURS["digit"])
            selected = index == self._selected_mark
            pen = QPen(colour, 2.5 if selected or mark.kind == "culprit" else 1.2)
            pen.setStyle(Qt.SolidLine if selected or mark.kind == "culprit" else Qt.DashLine)
            painter.setPen(pen)
            painter.setBrush(Qt.NoBrush)
            painter.drawRoundedRect(box, 4, 4)
            painter.setPen(colour.lighter(130) if selected else colour)
            painter.drawText(label, Qt.AlignLeft | Qt.AlignVCenter, mark.label)
        painter.end()

    def _all_strokes(self) -> list[list[QPointF]]:
        return self._strokes + ([self._current] if self._current else [])

    def _state(self) -> tuple:
        return (self._strokes, self._background, self._background_name)

    def _push_undo(self) -> None:
        self._undo.append(self._state())
        del self._undo[:-MAX_UNDO]
        self._redo.clear()

    def _after_edit(self) -> None:
        """After an edit that changes what is drawn other than by adding one stroke."""
        self._finished = None
        self.update()
        self.changed.emit()

    def _finished_image(self) -> QImage:
        """The backdrop, background and finished strokes at the widget's device pixels."""
        ratio = self.devicePixelRatioF()
        size = QSize(round(self.width() * ratio), round(self.height() * ratio))
        if self._finished is not None and self._finished.size() == size \
                and self._finished.devicePixelRatioF() == ratio:
            return self._finished
        image = QImage(size, QImage.Format_ARGB32_Premultiplied)
        image.setDevicePixelRatio(ratio)
        image.fill(Qt.black)  # the whole pad takes ink, not just its centred square
        painter = QPainter(image)
        self._to_pad_painter(painter)
        if self._background is not None:
            painter.drawImage(QRectF(0, 0, 1, 1), to_qimage(self._background))
        _draw_strokes(painter, self._strokes, self._pen_width)
        painter.end()
        self._finished = image
        return image

    def _to_pad_painter(self, painter: QPainter) -> None:
        """Set ``painter`` to draw in pad coordinates (0..1 over the square area)."""
        area = centred_square(self)
        painter.setRenderHint(QPainter.Antialiasing)
        painter.setRenderHint(QPainter.SmoothPixmapTransform)
        painter.translate(area.topLeft())
        painter.scale(area.width(), area.height())

    def _to_pad(self, position: QPointF) -> QPointF:
        area = centred_square(self)
        return QPointF((position.x() - area.left()) / area.width(),
                       (position.y() - area.top()) / area.height())

    def _ink_bounds(self, strokes) -> tuple[float, float, float, float] | None:
        xs = [p.x() for stroke in strokes for p in stroke]
        ys = [p.y() for stroke in strokes for p in stroke]
        if self._background is not None:
            rows = np.flatnonzero(self._background.max(axis=1) > 0.05)
            cols = np.flatnonzero(self._background.max(axis=0) > 0.05)
            if rows.size:
                side = self._background.shape[0]
                ys += [rows[0] / side, (rows[-1] + 1) / side]
                xs += [cols[0] / side, (cols[-1] + 1) / side]
        if not xs:
            return None
        return min(xs), min(ys), max(xs), max(ys)


def _draw_strokes(painter: QPainter, strokes, pen_width: float) -> None:
    pen = QPen(Qt.white, pen_width, Qt.SolidLine, Qt.RoundCap, Qt.RoundJoin)
    painter.setPen(pen)
    painter.setBrush(Qt.NoBrush)
    for stroke in strokes:
        if len(stroke) == 1 or all(p == stroke[0] for p in stroke):
            # A tap: a round dot of the pen's width. Not drawPoint: Qt strokes a point as a
            # line 1/63 unit long, and one unit here is the whole pad, so a dot came out a
            # wide oval (and a bar in the image the model sees).
            painter.setPen(Qt.NoPen)
            painter.setBrush(Qt.white)
            painter.drawEllipse(stroke[0], pen_width / 2, pen_width / 2)
            painter.setPen(pen)
            painter.setBrush(Qt.NoBrush)
            continue
        path = QPainterPath(stroke[0])
        for point in stroke[1:]:
            path.lineTo(point)
        painter.drawPath(path)


def _to_array(image: QImage) -> np.ndarray:
    width, height = image.width(), image.height()
    buffer = np.frombuffer(image.constBits(), dtype=np.uint8,
                           count=image.bytesPerLine() * height)
    return buffer.reshape(height, image.bytesPerLine())[:, :width].astype(np.float32) / 255.0
