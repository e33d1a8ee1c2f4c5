"""An enlarged grayscale image with visible pixels (what the model sees)."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QColor, QImage, QPainter, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget


def to_qimage(array: np.ndarray) -> QImage:
    """A [0, 1] float (or uint8) 2-D array as a grayscale QImage that owns its pixels."""
    array = np.asarray(array)
    if array.dtype != np.uint8:
        array = (np.clip(array, 0, 1) * 255).round().astype(np.uint8)
    data = np.ascontiguousarray(array)
    return QImage(data.data, data.shape[1], data.shape[0], data.strides[0],
                  QImage.Format_Grayscale8).copy()


def centred_square(widget: QWidget) -> QRectF:
    """The largest square centred in ``widget``: where square content is painted."""
    side = min(widget.width(), widget.height())
    return QRectF((widget.width() - side) / 2, (widget.height() - side) / 2, side, side)


class SquareWidget(QWidget):
    """A widget whose content is square: layouts give it as much height as width."""

    def hasHeightForWidth(self) -> bool:
        return True

    def heightForWidth(self, width: int) -> int:
        return width


class ImageView(SquareWidget):
    """Paints a small image scaled up without smoothing, with a faint pixel grid."""

    def __init__(self, parent: QWidget | None = None, *, grid: bool = True, empty_text: str = ""):
        super().__init__(parent)
        self._image: QImage | None = None
        self._pixels: tuple[int, int] = (0, 0)
        self._grid = grid
        self._empty_text = empty_text
        self.setMinimumSize(112, 112)
        self.setSizePolicy(QSizePolicy.Preferred, QSizePolicy.Preferred)

    def set_image(self, array: np.ndarray | None) -> None:
        if array is None:
            self._image = None
        else:
            self._image = to_qimage(array)
            self._pixels = (array.shape[1], array.shape[0])
        self.update()

    def has_image(self) -> bool:
        return self._image is not None

    def sizeHint(self) -> QSize:
        return QSize(196, 196)

    def paintEvent(self, event) -> None:
        painter = QPainter(self)
        area = centred_square(self)
        side = area.width()
        painter.fillRect(area, Qt.black)
        if self._image is None:
            painter.setPen(QColor(120, 120, 130))
            painter.drawText(area, Qt.AlignCenter | Qt.TextWordWrap, self._empty_text)
            return
        painter.drawImage(area, self._image)  # no smoothing: every model pixel stays visible
        columns, rows = self._pixels
        if self._grid and side / max(columns, rows) >= 5:
            painter.setPen(QPen(QColor(60, 60, 70), 0))
            for i in range(1, columns):
                x = area.left() + area.width() * i / columns
                painter.drawLine(x, area.top(), x, area.bottom())
            for j in range(1, rows):
                y = area.top() + area.height() * j / rows
                painter.drawLine(area.left(), y, area.right(), y)
