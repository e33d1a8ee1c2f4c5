"""A clickable 10x10 confusion matrix heatmap with counts."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QPainter
from PySide6.QtWidgets import (QAbstractItemView, QGridLayout, QHeaderView, QLabel, QTableWidget,
                               QTableWidgetItem, QWidget)

ROWS_TITLE, COLUMNS_TITLE = "true", "predicted"


def _blend(low: QColor, high: QColor, t: float) -> QColor:
    return QColor(*(round(a + (b - a) * t) for a, b in zip(low.getRgb()[:3], high.getRgb()[:3])))


class ConfusionMatrix(QTableWidget):
    """Rows: true digit; columns: predicted digit. Errors in warm colours, correct in green.

    Colour intensity follows log(count) so a handful of errors is still visible next to
    a thousand correct predictions.
    """

    cell_chosen = Signal(int, int)  # (true, predicted)

    def __init__(self, parent=None):
        super().__init__(10, 10, parent)
        labels = [str(d) for d in range(10)]
        self.setHorizontalHeaderLabels(labels)
        self.setVerticalHeaderLabels(labels)
        self.horizontalHeader().setSectionResizeMode(QHeaderView.Stretch)
        self.verticalHeader().setSectionResizeMode(QHeaderView.Stretch)
        self.setEditTriggers(QAbstractItemView.NoEditTriggers)
        self.setSelectionMode(QAbstractItemView.SingleSelection)
        self.setToolTip("Rows: true digit. Columns: predicted digit. Click a cell to see "
                        "those images.")
        self.setMinimumSize(300, 260)
        self.setTextElideMode(Qt.ElideNone)  # counts up to 4 digits must stay whole
        small = self.font()
        small.setPointSizeF(max(7.0, small.pointSizeF() - 1.5))
        self.setFont(small)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarAlwaysOff)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarAlwaysOff)
        self.cellClicked.connect(lambda row, column: self.cell_chosen.emit(row, column))
        self._matrix = np.zeros((10, 10), dtype=np.int64)

    def set_matrix(self, matrix: np.ndarray) -> None:
        self._matrix = np.asarray(matrix)
        off_diagonal = self._matrix[~np.eye(10, dtype=bool)]
        error_scale = np.log1p(off_diagonal.max()) if off_diagonal.size and off_diagonal.max() else 1
        for true in range(10):
            for predicted in range(10):
                count = int(self._matrix[true, predicted])
                item = QTableWidgetItem(str(count) if count else "")
                item.setTextAlignment(Qt.AlignCenter)
                if true == predicted:
                    colour = QColor(200, 235, 205)
                elif count:
                    t = 0.25 + 0.75 * np.log1p(count) / error_scale
                    colour = _blend(QColor(255, 236, 210), QColor(215, 60, 40), float(t))
                else:
                    colour = QColor(250, 250, 250)
                item.setBackground(QBrush(colour))
                item.setForeground(QBrush(QColor(255, 255, 255) if colour.lightness() < 140
                                          else QColor(20, 20, 20)))
                item.setToolTip(f"true {true}, predicted {predicted}: {count}")
                self.setItem(true, predicted, item)

    def highlight(self, true: int | None, predicted: int | None) -> None:
        """Show cell (true, predicted) as chosen; no cell when either is None."""
        if true is None or predicted is None:
            self.clearSelection()
            self.setCurrentCell(-1, -1)
        else:
            self.setCurrentCell(true, predicted)

    def highlighted(self) -> tuple[int, int] | None:
        """(true, predicted) of the cell shown as chosen, or None."""
        selected = self.selectedIndexes()
        return (selected[0].row(), selected[0].column()) if selected else None

    def matrix(self) -> np.ndarray:
        return self._matrix.copy()


class VerticalLabel(QWidget):
    """A short text written bottom to top, beside what it names (a row header's title)."""

    def __init__(self, text: str, parent: QWidget | None = None):
        super().__init__(parent)
        self._text = text

    def text(self) -> str:
        return self._text

    def sizeHint(self) -> QSize:
        metrics = self.fontMetrics()
        return QSize(metrics.height() + 4, metrics.horizontalAdvance(self._text) + 8)

    def minimumSizeHint(self) -> QSize:
        return self.sizeHint()

    def paintEvent(self, event) -> None:
        painter = QPainter(self)
        painter.translate(0, self.height())
        painter.rotate(-90)
        painter.drawText(0, 0, self.height(), self.width(), Qt.AlignCenter, self._text)
        painter.end()


class TitledConfusionMatrix(QWidget):
    """A :class:`ConfusionMatrix` with its axes named: "predicted" over the columns and
    "true" beside the rows."""

    def __init__(self, matrix: ConfusionMatrix, parent: QWidget | None = None):
        super().__init__(parent)
        self.matrix = matrix
        self.column_title = QLabel(COLUMNS_TITLE)
        self.column_title.setAlignment(Qt.AlignCenter)
        self.row_title = VerticalLabel(ROWS_TITLE)
        grid = QGridLayout(self)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setSpacing(2)
        grid.addWidget(self.column_title, 0, 1)
        grid.addWidget(self.row_title, 1, 0)
        grid.addWidget(matrix, 1, 1)
