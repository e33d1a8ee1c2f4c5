"""The Models window: every saved model, read from its card, with its full path."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from PySide6.QtCore import Qt, QUrl, Signal
from PySide6.QtGui import QBrush, QColor, QDesktopServices
from PySide6.QtWidgets import (QAbstractItemView, QDialog, QDialogButtonBox, QHeaderView, QLabel,
                               QPushButton, QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget)

from digitpad import paths
from digitpad.core.registry import SavedModel, card_accuracy, list_models
from digitpad.gui import workers

COLUMNS = ("Name", "Architecture", "Test accuracy", "Saved", "File")
UNREADABLE_COLOUR = QColor("#c0392b")


def open_folder(folder: Path) -> bool:
    """Show ``folder`` in the desktop's file manager, creating it first; False if that
    could not be done (no file manager, or the folder cannot be created)."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        return False
    return QDesktopServices.openUrl(QUrl.fromLocalFile(str(folder)))


def describe_saved(model: SavedModel) -> tuple[str, str, str, str, str]:
    """The row shown for ``model``: name, architecture, test accuracy, date, full path.

    Everything comes from the model's card, which is only what the file says; a card that
    cannot be read makes the row say so rather than hiding the model.
    """
    card = model.card
    name = model.path.stem  # the file's: a copied or renamed model keeps its card's old name
    if model.problem is not None:  # why: in the row's tooltip and under the table
        architecture = "unreadable"
    else:
        architecture = str(card.get("architecture") or "—")
    accuracy = card_accuracy(card)  # None for NaN and hand-edited nonsense
    accuracy = f"{accuracy:.2%}" if accuracy is not None else "—"
    return name, architecture, accuracy, _saved_at(card.get("saved"), model.modified), \
        str(model.path)


def _saved_at(saved, modified: float) -> str:
    """The card's save time in local time; the file's modification time without one."""
    try:
        when = datetime.fromisoformat(saved).astimezone()
    except (TypeError, ValueError):
        when = datetime.fromtimestamp(modified)
    return f"{when:%Y-%m-%d %H:%M}"


class ModelsDialog(QDialog):
    """The models in the user's model folder, newest first, then the shipped ones.

    Runs of every session are there: each run saves its model and card in the model
    folder. The list is read again, off the GUI thread, whenever the window is shown.

    Signals
    -------
    model_chosen(str)
        The user asked to open this model file.
    """

    model_chosen = Signal(str)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("Models")
        self.resize(900, 420)
        self._lister: workers.Worker | None = None
        self._models: list[SavedModel] = []

        self.folder_label = QLabel()
        self.folder_label.setTextFormat(Qt.PlainText)  # a path, never markup
        self.folder_label.setTextInteractionFlags(Qt.TextSelectableByMouse)
        self.status_label = QLabel()
        self.status_label.setTextFormat(Qt.PlainText)
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.setEditTriggers(QAbstractItemView.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SingleSelection)
        self.table.verticalHeader().setVisible(False)
        # Whole paths on one line: a wrapped or elided path is no path to copy or look for.
        self.table.setWordWrap(False)
        self.table.setTextElideMode(Qt.ElideNone)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeToContents)  # the last one too
        self.table.itemSelectionChanged.connect(self._refresh_buttons)
        self.table.itemDoubleClicked.connect(lambda item: self._open_selected())

        buttons = QDialogButtonBox(QDialogButtonBox.Close)
        self.open_button = buttons.addButton("Open", QDialogButtonBox.AcceptRole)
        self.folder_button = QPushButton("Open model folder")
        buttons.addButton(self.folder_button, QDialogButtonBox.ActionRole)
        buttons.rejected.connect(self.reject)
        self.open_button.clicked.connect(self._open_selected)
        self.folder_button.clicked.connect(self._open_folder)

        layout = QVBoxLayout(self)
        layout.addWidget(self.folder_label)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.status_label)
        layout.addWidget(buttons)
        self._refresh_buttons()

    def models(self) -> list[SavedModel]:
        """The models listed, in the order shown."""
        return list(self._models)

    def refresh(self) -> None:
        """Read the model folders again (in a worker thread); the table follows."""
        folder = paths.user_models_dir()
        self.folder_label.setText(f"Model folder: {folder}")
        self.status_label.setText("Reading the model folder…")
        if self._lister is not None:
            self._lister.cancel()
        folders = (folder, paths.bundled_models_dir())
        self._lister = workers.Worker(
            lambda worker: [model for f in folders for model in list_models(f)])
        self._lister.finished.connect(self._on_listed)
        self._lister.errored.connect(self._on_list_failed)
        workers.start(self._lister, self)

    def showEvent(self, event) -> None:
        super().showEvent(event)
        self.refresh()

    def shutdown(self) -> None:
        """Wait for a listing under way (the window closes)."""
        workers.stop_and_wait(self, self._lister)
        self._lister = None

    @workers.from_current("_lister")
    def _on_listed(self, models: list[SavedModel]) -> None:
        self._lister = None
        self._models = models
        self.table.setRowCount(len(models))
        for row, model in enumerate(models):
            for column, text in enumerate(describe_saved(model)):
                item = QTableWidgetItem(text)  # items show plain text
                item.setToolTip(text)
                if model.problem is not None:
                    item.setForeground(QBrush(UNREADABLE_COLOUR))
                    item.setToolTip(f"{model.path}: {model.problem}")
                self.table.setItem(row, column, item)
        self.table.resizeColumnsToContents()  # now, not at the next layout: the width is used
        self._fit_to_table()
        unreadable = [f"{model.path.name}: {model.problem}" for model in models
                      if model.problem is not None]
        self.status_label.setText("\n".join([
            f"{len(models)} model{'s' if len(models) != 1 else ''}"
            + (f", {len(unreadable)} unreadable" if unreadable else "")
            + ". Every run's model is saved in the model folder with its card.",
            *unreadable]))
        self._refresh_buttons()

    def _fit_to_table(self) -> None:
        """Widen the window to show every column whole, as far as the screen allows."""
        table = self.table
        wanted = (sum(table.columnWidth(c) for c in range(table.columnCount()))
                  + table.verticalScrollBar().sizeHint().width() + 2 * table.frameWidth()
                  + self.layout().contentsMargins().left()
                  + self.layout().contentsMargins().right())
        screen = self.screen().availableGeometry() if self.screen() else None
        limit = int(screen.width() * 0.9) if screen is not None else wanted
        if self.width() < wanted:
            self.resize(min(wanted, limit), self.height())

    @workers.from_current("_lister")
    def _on_list_failed(self, message: str) -> None:
        self._lister = None
        self.status_label.setText(f"Could not read the model folder: {message}")

    def _selected(self) -> SavedModel | None:
        rows = self.table.selectionModel().selectedRows()
        return self._models[rows[0].row()] if rows else None

    def _refresh_buttons(self) -> None:
        self.open_button.setEnabled(self._selected() is not None)

    def _open_selected(self) -> None:
        model = self._selected()
        if model is not None:
            self.model_chosen.emit(str(model.path))
            self.accept()

    def _open_folder(self) -> None:
        folder = paths.user_models_dir()
        if not open_folder(folder):
            self.status_label.setText(f"Could not open {folder} in a file manager.")
