"""The panel a tab shows while it has no MNIST: what is missing, and the two ways to get it."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (QFileDialog, QHBoxLayout, QLabel, QPlainTextEdit, QProgressBar,
                               QPushButton, QToolButton, QVBoxLayout, QWidget)

AFTER_DOWNLOAD_FAILED = "Choose a folder that has the four files instead."
AFTER_WRONG_FOLDER = "Choose a folder that has the four files."


class DataPanel(QWidget):
    """A plain message, "Choose folder…", "Download MNIST" and a Details toggle.

    A widget: it knows nothing of where the data comes from. It emits what the user asked
    for and is told what happened (``tabs.mnist_panel`` connects it to the hub's data
    source). Technical text (paths looked in, each mirror's error) stays behind "Details"
    so that the message itself reads as plain words.

    Parameters
    ----------
    purpose : str
        Why the tab needs MNIST, shown first ("The MNIST test set is needed to ...").

    Signals
    -------
    folder_chosen(str)
        The user chose this folder in the dialog.
    download_requested()
        The user pressed "Download MNIST".
    """

    folder_chosen = Signal(str)
    download_requested = Signal()

    def __init__(self, purpose: str, parent: QWidget | None = None):
        super().__init__(parent)
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
        self.show_problem("")

    def show_problem(self, text: str, hint: str = "") -> None:
        """Show ``text``'s first line under the purpose (with ``hint``), the rest as details."""
        summary, _, detail = text.partition("\n")
        self.message.setText(" ".join(part for part in (self.purpose, summary, hint) if part))
        self.details.setPlainText(detail.strip("\n"))
        self.details_button.setVisible(bool(detail.strip()))
        self.details.setVisible(self.details_button.isChecked() and bool(detail.strip()))

    def show_wrong_folder(self, message: str) -> None:
        """The chosen folder has no MNIST: ``message`` says why."""
        self.show_problem(message, AFTER_WRONG_FOLDER)

    def show_download_progress(self, done: int, total: int) -> None:
        """Bytes ``done`` of ``total`` (0: unknown) of the file being downloaded."""
        self._set_downloading(True)
        self.progress.setRange(0, total)
        self.progress.setValue(done)

    def show_download_failed(self, message: str) -> None:
        self._set_downloading(False)
        self.show_problem(message, AFTER_DOWNLOAD_FAILED)

    def show_data_found(self) -> None:
        """MNIST is there now (chosen or downloaded): the problem is gone."""
        self._set_downloading(False)
        self.show_problem("")

    def _on_choose(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Folder with the MNIST IDX files")
        if folder:
            self.folder_chosen.emit(folder)

    def _on_download(self) -> None:
        self._set_downloading(True)
        self.download_requested.emit()

    def _set_downloading(self, downloading: bool) -> None:
        self.download_button.setEnabled(not downloading)
        self.choose_button.setEnabled(not downloading)
        self.progress.setVisible(downloading)
        self.progress.setRange(0, 0)  # busy until the first report gives a size

    def _on_details_toggled(self, shown: bool) -> None:
        self.details_button.setArrowType(Qt.DownArrow if shown else Qt.RightArrow)
        self.details.setVisible(shown)
