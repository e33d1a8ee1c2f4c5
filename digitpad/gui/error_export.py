"""Exports of the Errors tab: a PNG contact sheet or a CSV of the images shown.

The tab writes them with ``core.atomic_files.write_bytes_atomically``: never half a file.
"""

from __future__ import annotations

import csv
import io

import numpy as np
from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QRect, Qt
from PySide6.QtGui import QColor, QFont, QImage, QPainter

from digitpad.core.evaluation import Evaluation
from digitpad.gui.widgets.image_view import to_qimage

SHEET_COLUMNS = 20
SHEET_MAX_ITEMS = 1000      # a contact sheet larger than this is unreadable anyway


def csv_bytes(evaluation: Evaluation, indices: np.ndarray) -> bytes:
    """index, true, predicted, confidence: one row per selected test image."""
    text = io.StringIO(newline="")
    writer = csv.writer(text)
    writer.writerow(["index", "true", "predicted", "confidence"])
    for i in indices:
        writer.writerow([int(i), int(evaluation.labels[i]), int(evaluation.predictions[i]),
                         f"{evaluation.confidence[i]:.4f}"])
    return text.getvalue().encode("utf-8")


def png_bytes(image: QImage) -> bytes:
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.WriteOnly)
    image.save(buffer, "PNG")
    return bytes(data)


def contact_sheet(images: np.ndarray, evaluation: Evaluation, indices: np.ndarray) -> QImage:
    """A grid of the selected images, each captioned ``#index true→predicted (conf)``."""
    indices = np.asarray(indices)[:SHEET_MAX_ITEMS]
    cell_w, cell_h, thumb = 84, 104, 72
    rows = max(1, -(-len(indices) // SHEET_COLUMNS))
    columns = min(SHEET_COLUMNS, max(1, len(indices)))
    sheet = QImage(columns * cell_w, rows * cell_h, QImage.Format_RGB32)
    sheet.fill(QColor(255, 255, 255))
    painter = QPainter(sheet)
    font = QFont()
    font.setPixelSize(11)
    painter.setFont(font)
    for n, i in enumerate(indices):
        x, y = (n % SHEET_COLUMNS) * cell_w, (n // SHEET_COLUMNS) * cell_h
        painter.drawImage(QRect(x + 6, y + 4, thumb, thumb), to_qimage(images[i]))
        painter.setPen(QColor(30, 30, 30))
        caption = (f"#{i}\n{evaluation.labels[i]}→{evaluation.predictions[i]} "
                   f"({evaluation.confidence[i]:.0%})")
        painter.drawText(QRect(x, y + thumb + 4, cell_w, cell_h - thumb - 4),
                         Qt.AlignHCenter | Qt.AlignTop, caption)
    painter.end()
    return sheet
