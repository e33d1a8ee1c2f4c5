"""A gallery of labelled digit thumbnails that scales to thousands of items (model/view)."""

from __future__ import annotations

from collections import OrderedDict

import numpy as np
from PySide6.QtCore import QAbstractListModel, QModelIndex, QRect, QSize, Qt
from PySide6.QtGui import QColor, QPainter, QPixmap
from PySide6.QtWidgets import QListView, QStyle, QStyledItemDelegate

from digitpad.gui.widgets.image_view import to_qimage

THUMB = 56
CELL = QSize(THUMB + 24, THUMB + 22)
CACHE_SIZE = 2000  # pixmaps kept; generating one costs ~20 us
WRONG = QColor(231, 76, 60)  # misread items' frame and caption


def _test_image_name(item: int) -> str:
    return f"test image #{item}"


class GalleryModel(QAbstractListModel):
    """Items are indices into a set of images, captioned ``true -> predicted (confidence)``."""

    IndexRole = Qt.UserRole + 1

    def __init__(self, parent=None):
        super().__init__(parent)
        self._images = np.zeros((0, 28, 28), np.uint8)
        self._evaluation = None
        self._indices = np.zeros(0, dtype=np.int64)
        self._pixmaps: OrderedDict[int, QPixmap] = OrderedDict()
        self._name = _test_image_name

    def set_source(self, images: np.ndarray, evaluation, name=None) -> None:
        """Show ``images`` as ``evaluation`` read them; ``name(item)`` says what an item is
        (default: "test image #N")."""
        self.beginResetModel()
        self._images, self._evaluation = images, evaluation
        self._name = name or _test_image_name
        self._indices = np.zeros(0, dtype=np.int64)
        self._pixmaps.clear()
        self.endResetModel()

    def set_indices(self, indices: np.ndarray) -> None:
        self.beginResetModel()
        self._indices = np.asarray(indices, dtype=np.int64)
        self.endResetModel()

    def indices(self) -> np.ndarray:
        return self._indices.copy()

    def rowCount(self, parent=QModelIndex()) -> int:  # noqa: B008 (Qt's own signature)
        return 0 if parent.isValid() else len(self._indices)

    def data(self, index: QModelIndex, role=Qt.DisplayRole):
        if not index.isValid() or self._evaluation is None:
            return None
        item = int(self._indices[index.row()])
        if role == Qt.DisplayRole:
            return self.caption(item)
        if role == Qt.DecorationRole:
            return self.pixmap(item)
        if role == Qt.ToolTipRole:
            guesses = ", ".join(f"{d}: {p:.1%}" for d, p in self._evaluation.top_guesses(item))
            return f"{self._name(item)}\n{guesses}"
        if role == self.IndexRole:
            return item
        if role == Qt.ForegroundRole and self.is_wrong(item):
            return WRONG
        return None

    def is_wrong(self, item: int) -> bool:
        """Whether the model's reading of ``item`` is not its label."""
        return bool(self._evaluation.error_mask[item])

    def caption(self, item: int) -> str:
        evaluation = self._evaluation
        label, guess = evaluation.labels[item], evaluation.predictions[item]
        if evaluation.by_verdict and evaluation.rejected_mask[item]:
            return f"{label} → no digit"
        unsure = "?" if evaluation.by_verdict and evaluation.unsure_mask[item] else ""
        return f"{label} → {guess}{unsure} ({evaluation.confidence[item]:.0%})"

    def pixmap(self, item: int) -> QPixmap:
        pixmap = self._pixmaps.get(item)
        if pixmap is None:
            pixmap = QPixmap.fromImage(to_qimage(self._images[item]))
            self._pixmaps[item] = pixmap
            if len(self._pixmaps) > CACHE_SIZE:
                self._pixmaps.popitem(last=False)
        else:
            self._pixmaps.move_to_end(item)
        return pixmap


class ThumbnailDelegate(QStyledItemDelegate):
    """Paints a thumbnail with its caption; fixed size so the view can lay out lazily."""

    def sizeHint(self, option, index) -> QSize:
        return CELL

    def paint(self, painter: QPainter, option, index) -> None:
        painter.save()
        if option.state & QStyle.State_Selected:
            painter.fillRect(option.rect, option.palette.highlight())
        rect = option.rect
        thumb = QRect(rect.left() + (rect.width() - THUMB) // 2, rect.top() + 2, THUMB, THUMB)
        pixmap = index.data(Qt.DecorationRole)
        if pixmap is not None:
            painter.drawPixmap(thumb, pixmap)
        wrong = index.data(Qt.ForegroundRole)
        if wrong is not None:  # a misread: framed and captioned in red
            painter.setPen(wrong)
            painter.drawRect(thumb.adjusted(-1, -1, 0, 0))
        painter.setPen(option.palette.highlightedText().color()
                       if option.state & QStyle.State_Selected else
                       wrong or QColor(option.palette.text().color()))
        text_rect = QRect(rect.left(), thumb.bottom() + 2, rect.width(), rect.bottom() - thumb.bottom() - 2)
        painter.drawText(text_rect, Qt.AlignHCenter | Qt.AlignTop, index.data(Qt.DisplayRole) or "")
        painter.restore()


class ImageGallery(QListView):
    """Icon-mode list view over a :class:`GalleryModel`; paints only visible items."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.gallery_model = GalleryModel(self)
        self.setModel(self.gallery_model)
        self.setItemDelegate(ThumbnailDelegate(self))
        self.setViewMode(QListView.IconMode)
        self.setResizeMode(QListView.Adjust)
        self.setMovement(QListView.Static)
        self.setUniformItemSizes(True)
        self.setLayoutMode(QListView.Batched)
        self.setBatchSize(200)
        self.setGridSize(CELL + QSize(4, 4))
        self.setSpacing(2)
        self.setSelectionMode(QListView.SingleSelection)

    def current_item(self) -> int | None:
        index = self.currentIndex()
        return index.data(GalleryModel.IndexRole) if index.isValid() else None
