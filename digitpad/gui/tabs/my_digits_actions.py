"""What the Errors tab offers while it shows the user's own digits: relabel, delete, import,
export. Everything goes through ``hub.my_digits``, which writes in the background."""

from __future__ import annotations

from typing import Callable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (QComboBox, QFileDialog, QGridLayout, QLabel, QPushButton,
                               QWidget)

from digitpad.gui.model_hub import ModelHub


class MyDigitsActions(QWidget):
    """Buttons for the digit selected in the gallery (``selection()``: its store ids) and for
    the whole store, with a line saying what the last action did."""

    def __init__(self, hub: ModelHub, selection: Callable[[], list[int]],
                 parent: QWidget | None = None):
        super().__init__(parent)
        self.hub = hub
        self._selection = selection
        self.relabel_box = QComboBox()
        for digit in range(10):
            self.relabel_box.addItem(f"Relabel as {digit}", digit)
        self.relabel_box.setToolTip("Change what this digit of yours is")
        self.relabel_button = QPushButton("Relabel")
        self.delete_button = QPushButton("Delete")
        self.delete_button.setToolTip("Remove this digit from your digits")
        self.import_button = QPushButton("Import…")
        self.import_button.setToolTip("Add the digits of a digits file (.json)")
        self.export_button = QPushButton("Export…")
        self.export_button.setToolTip("Write all your digits to one digits file (.json)")
        self.status = QLabel("")
        self.status.setTextFormat(Qt.PlainText)  # file names and messages, never markup
        self.status.setWordWrap(True)
        layout = QGridLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.relabel_box, 0, 0)
        layout.addWidget(self.relabel_button, 0, 1)
        layout.addWidget(self.delete_button, 1, 0, 1, 2)
        layout.addWidget(self.import_button, 2, 0)
        layout.addWidget(self.export_button, 2, 1)
        layout.addWidget(self.status, 3, 0, 1, 2)

        self.relabel_button.clicked.connect(self.relabel_selected)
        self.delete_button.clicked.connect(self.delete_selected)
        self.import_button.clicked.connect(self._on_import)
        self.export_button.clicked.connect(self._on_export)
        hub.my_digits.imported.connect(self._on_imported)
        hub.my_digits.exported.connect(
            lambda count: self._say(f"Exported {count:,} digits"))
        hub.my_digits.failed.connect(lambda message: self._say(message, ok=False))

    def relabel_selected(self) -> None:
        ids = self._selection()
        if ids:
            label = self.relabel_box.currentData()
            self.hub.my_digits.relabel(ids, label)
            self._say(f"Relabelled as {label}")

    def delete_selected(self) -> None:
        ids = self._selection()
        if ids:
            self.hub.my_digits.delete(ids)
            self._say("Deleted")

    def import_file(self, path: str) -> None:
        self._say(f"Importing {path}…")
        self.hub.my_digits.import_file(path)

    def export_file(self, path: str) -> None:
        self._say(f"Exporting to {path}…")
        self.hub.my_digits.export_file(path)

    def _on_import(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Import digits", "", "Digits files (*.json)")
        if path:
            self.import_file(path)

    def _on_export(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Export your digits", "my-digits.json",
                                              "Digits files (*.json)")
        if path:
            self.export_file(path)

    def _on_imported(self, result) -> None:
        skipped = f", {result.duplicates:,} you had already" if result.duplicates else ""
        self._say(f"Imported {result.added:,} digits{skipped}")

    def _say(self, text: str, ok: bool = True) -> None:
        self.status.setStyleSheet("" if ok else "color: #c0392b;")
        self.status.setText(text)
