"""The panel a tab shows while it has no MNIST: what is missing, and the two ways to get it."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (QFileDialog, QHBoxLayout, QLabel, QPlainTextEdit, QProgressBar,
                               QPushButton, QToolButton, QVBoxLayout, QWidget)

from digitpad.core.data import DataError
from digitpad.gui.data_source import DataSource

AFTER_DOWNLOAD_FAILED = "Choose a folder that has the four files instead."
AFTER_WRONG_FOLDER = "Choose a folder that has the four files."


class DataPanel(QWidget):
    """A plain message, "Choose folder…", "Download MNIST" and a Details toggle.

    Self-contained: it talks to the :class:`DataSource` only. A chosen folder or a finished
    download changes ``data.folder`` for the whole app, and the tabs react to
    ``data.changed``. Technical text (paths looked in, each mirror's error) stays behind
    "Details" so that the message itself reads as plain words.

    Parameters
    ----------
    data : DataSource
        The app's data source (``hub.data``).
    purpose : str
        Why the tab needs MNIST, shown first ("The MNIST test set is needed to ...").
    """

    def __init__(self, data: DataSource, purpose: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.data = data
        self.purpose = purpose
        self.message = QLabel(purpose)
        self.message.setTextFormat(Qt.PlainText)  # folder names and errors, never markup
        self.message.setWordWrap(True)
        self.message.setTextInteractionFlags(Qt.TextSelectableByMouse)
        self.choose_button = QPushButton("Choose folder…")
        self.choose_button.setToolTip("A folder with the four MNIST IDX files (gzip or raw)")
        self.download_button = QPushButton("Download MNIST")
        self.download_button.setToolTip("About 11 MB into your data folder; every file's "
                                        "checksum is verified")
        self.progress = QProgressBar()
        self.progress.setFormat("Downloading MNIST… %p%")
        self.progress.setVisible(False)
        self.details_button = QToolButton()
        self.details_button.setText("Details")
        self.details_button.setCheckable(True)
        self.details_button.setArrowType(Qt.RightArrow)
        self.details_button.setToolButtonStyle(Qt.ToolButtonTextBesideIcon)
        self.details = QPlainTextEdit()
        self.details.setReadOnly(True)
        self.details.setVisible(False)

        buttons = QHBoxLayout()
        buttons.addWidget(self.choose_button)
        buttons.addWidget(self.download_button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addWidget(self.message)
        layout.addLayout(buttons)
        layout.addWidget(self.progress)
        layout.addWidget(self.details_button, 0, Qt.AlignLeft)
        layout.addWidget(self.details, 1)
        layout.addStretch(0)

        self.choose_button.clicked.connect(self._on_choose)
        self.download_button.clicked.connect(self._on_download)
        self.details_button.toggled.connect(self._on_details_toggled)
        data.download_progress.connect(self._on_download_progress)
        data.download_failed.connect(self._on_download_failed)
        data.changed.connect(self._on_data_changed)
        self.show_problem("")

    def show_problem(self, text: str, hint: str = "") -> None:
        """Show ``text``'s first line under the purpose (with ``hint``), the rest as details."""
        summary, _, detail = text.partition("\n")
        self.message.setText(" ".join(part for part in (self.purpose, summary, hint) if part))
        self.details.setPlainText(detail.strip("\n"))
        self.details_button.setVisible(bool(detail.strip()))
        self.details.setVisible(self.details_button.isChecked() and bool(detail.strip()))

    def choose_folder(self, folder: str) -> bool:
        """Use ``folder`` for the whole app; a folder without MNIST is explained here."""
        try:
            self.data.set_folder(folder)
        except DataError as exc:
            self.show_problem(str(exc), AFTER_WRONG_FOLDER)
            return False
        return True

    def _on_choose(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Folder with the MNIST IDX files")
        if folder:
            self.choose_folder(folder)

    def _on_download(self) -> None:
        self._set_downloading(True)
        self.data.download()

    def _set_downloading(self, downloading: bool) -> None:
        self.download_button.setEnabled(not downloading)
        self.choose_button.setEnabled(not downloading)
        self.progress.setVisible(downloading)
        self.progress.setRange(0, 0)  # busy until the first report gives a size

    def _on_download_progress(self, done: int, total: int) -> None:
        self._set_downloading(True)
        self.progress.setRange(0, total)
        self.progress.setValue(done)

    def _on_download_failed(self, message: str) -> None:
        self._set_downloading(False)
        self.show_problem(message, AFTER_DOWNLOAD_FAILED)

    def _on_data_changed(self, folder) -> None:
        self._set_downloading(False)
        self.show_problem("")

    def _on_details_toggled(self, shown: bool) -> None:
        self.details_button.setArrowType(Qt.DownArrow if shown else Qt.RightArrow)
        self.details.setVisible(shown)
