"""Help > About: the version, and where the active model, the data and the models are."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QVBoxLayout, QWidget

from digitpad import __version__, paths
from digitpad.core.data import candidate_folders, find_mnist_folder


def data_folder_text(chosen: Path | None) -> str:
    """The MNIST folder the app reads: the one chosen, else the first one found by the
    search every tab uses; says so when there is none."""
    if chosen is not None:
        return str(chosen)
    for candidate in candidate_folders():
        found = find_mnist_folder(candidate)
        if found is not None:
            return str(found)
    return "none found (the Errors tab offers to choose or download one)"


def about_text(active, data_folder: Path | None, settings_file: str) -> str:
    """About's plain text for the model ``active`` (an ``ActiveModel`` or None)."""
    if active is None:
        model = "Active model: none loaded"
    else:
        where = str(active.path) if active.path is not None else "not saved"
        model = f"Active model: {active.describe()}\n  {where}"
    return (f"digitpad {__version__}\n"
            "Draw a digit, see what a network thinks, study its errors, retrain it.\n\n"
            f"{model}\n"
            f"Data folder (MNIST): {data_folder_text(data_folder)}\n"
            f"Model folder (trained models): {paths.user_models_dir()}\n"
            f"Shipped models: {paths.bundled_models_dir()}\n"
            f"Settings: {settings_file}")


class AboutDialog(QDialog):
    """Help > About: ``text`` as plain, selectable lines, never wrapped (paths stay whole)."""

    def __init__(self, text: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("About digitpad")
        self.label = QLabel(text)
        self.label.setTextFormat(Qt.PlainText)  # paths and a card's name, never markup
        self.label.setTextInteractionFlags(Qt.TextSelectableByMouse)
        buttons = QDialogButtonBox(QDialogButtonBox.Ok)
        buttons.accepted.connect(self.accept)
        layout = QVBoxLayout(self)
        layout.addWidget(self.label)
        layout.addWidget(buttons)
