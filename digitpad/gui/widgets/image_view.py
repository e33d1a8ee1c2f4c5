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


SUPPORT_RGB = (255, 96, 0)   # ink that speaks for the answer: orange
AGAINST_RGB = (40, 140, 255)  # ink that speaks against it: blue


def heat_qimage(heat: np.ndarray) -> QImage:
    """A signed map as a translucent colour image: orange where it is positive, blue where
    negative, more opaque the larger the value (scaled by the largest magnitude)."""
    heat = np.asarray(heat, np.float32)
    peak = float(np.abs(heat).max()) if heat.size else 0.0
    scaled = heat / peak if peak > 0 else np.zeros_like(heat)
    rgba = np.zeros(heat.shape + (4,), np.uint8)
    rgba[scaled > 0, :3] = SUPPORT_RGB
    rgba[scaled < 0, :3] = AGAINST_RGB
    # sqrt: a map's mass sits in a few pixels; the rest stays visible, only fainter.
    rgba[..., 3] = (np.sqrt(np.abs(scaled)) * 230).round().astype(np.uint8)
    data = np.ascontiguousarray(rgba)
    return QImage(data.data, data.shape[1], data.shape[0], data.strides[0],
                  QImage.Format_RGBA8888).copy()


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
        self._overlay: QImage | None = None
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

    def set_overlay(self, heat: np.ndarray | None) -> None:
        """Paint a signed map (see :func:`heat_qimage`) over the image; None removes it."""
        self._overlay = None if heat is None else heat_qimage(heat)
        self.update()

    def has_overlay(self) -> bool:
        return self._overlay is not None

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
        if self._overlay is not None:
            painter.fillRect(area, QColor(0, 0, 0, 110))  # dim the ink: the map stands out
            painter.drawImage(area, self._overlay)
        columns, rows = self._pixels
        if self._grid and side / max(columns, rows) >= 5:
            painter.setPen(QPen(QColor(60, 60, 70), 0))
            for i in range(1, columns):
                x = area.left() + area.width() * i / columns
                painter.drawLine(x, area.top(), x, area.bottom())
            for j in range(1, rows):
                y = area.top() + area.height() * j / rows
                painter.drawLine(area.left(), y, area.right(), y)


class GridView(QWidget):
    """Paints a grayscale grid image (e.g. a layer's feature maps) as wide as the widget,
    its aspect kept and its pixels sharp; its height follows its width."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self._image: QImage | None = None
        self.setSizePolicy(QSizePolicy.Expanding, QSizePolicy.Preferred)

    def set_image(self, array: np.ndarray | None) -> None:
        changed_shape = (array is None) != (self._image is None) or (
            array is not None and (array.shape[1], array.shape[0])
            != (self._image.width(), self._image.height()))
        self._image = None if array is None else to_qimage(array)
        if changed_shape:
            self.updateGeometry()
        self.update()

    def hasHeightForWidth(self) -> bool:
        return self._image is not None

    def heightForWidth(self, width: int) -> int:
        if self._image is None:
            return 0
        return min(round(width * self._image.height() / self._image.width()),
                   self._image.height() * 12)  # a strip of values stays a strip

    def sizeHint(self) -> QSize:
        return QSize(400, self.heightForWidth(400))

    def paintEvent(self, event) -> None:
        if self._image is None:
            return
        painter = QPainter(self)
        scale = min(self.width() / self._image.width(), self.height() / self._image.height())
        painter.drawImage(QRectF(0, 0, self._image.width() * scale,
                                 self._image.height() * scale), self._image)
