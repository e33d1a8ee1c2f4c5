"""File > Export model: choose where, then watch the export run in a process of its own.

The dialog shows the export's steps as they come, then what was written and how it was
verified, with "Show in folder". Closing it while the export runs cancels the export
(nothing is written). The window keeps working the whole time.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, QUrl, Signal
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (QDialog, QDialogButtonBox, QFileDialog, QLabel, QProgressBar,
                               QPushButton, QVBoxLayout, QWidget)

from digitpad.export import job
from digitpad.gui.export_session import ExportSession

# File-dialog filters: (filter, suffix added when the name has none, TFLite weights).
FILTERS = (
    ("ONNX (*.onnx)", ".onnx", "float32"),
    ("TensorFlow Lite (*.tflite)", ".tflite", "float32"),
    ("TensorFlow Lite, float16 weights (*.tflite)", ".tflite", "float16"),
    ("TensorFlow Lite, int8 dynamic-range weights (*.tflite)", ".tflite", "int8"),
    ("TF SavedModel folder (*)", "", "float32"),
)


def ask_export_target(parent: QWidget, model_path: Path) -> tuple[Path, str] | None:
    """Ask where to export the model in ``model_path``: (OUT, TFLite weights), or None."""
    start = str(model_path.with_suffix(FILTERS[0][1]))
    path, chosen = QFileDialog.getSaveFileName(parent, "Export model", start,
                                               ";;".join(f for f, _, _ in FILTERS))
    if not path:
        return None
    _, suffix, tflite_type = next((f for f in FILTERS if f[0] == chosen), FILTERS[0])
    out = Path(path)
    if suffix and out.suffix.lower() != suffix:
        out = out.with_name(out.name + suffix)
    return out, tflite_type


class ExportDialog(QDialog):
    """One export of a model, run off the window's process, with its progress and outcome.

    Signals
    -------
    done(job.Done or str)
        The export finished (its summary) or failed (the message).
    """

    done = Signal(object)

    def __init__(self, request: job.Request, model_name: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("Export model")
        self.request = request
        self.result: job.Done | None = None
        self.session = ExportSession(self)
        self.session.progressed.connect(self._on_progressed)
        self.session.finished.connect(self._on_finished)
        self.session.failed.connect(self._on_failed)

        heading = QLabel(f"Exporting {model_name} to {request.out}")
        self.progress = QProgressBar()
        self.progress.setRange(0, 0)  # busy until the first step reports how many there are
        self.status = QLabel("Starting the export process…")
        for label in (heading, self.status):
            label.setTextFormat(Qt.PlainText)  # paths and messages are never markup
            label.setWordWrap(True)
            label.setTextInteractionFlags(Qt.TextSelectableByMouse)
            label.setMinimumWidth(520)
        self.buttons = QDialogButtonBox()
        self.show_in_folder = QPushButton("Show in folder")
        self.show_in_folder.setEnabled(False)
        self.show_in_folder.clicked.connect(self.open_folder)
        self.buttons.addButton(self.show_in_folder, QDialogButtonBox.ActionRole)
        self.close_button = self.buttons.addButton(QDialogButtonBox.Cancel)
        self.close_button.clicked.connect(self.close)
        layout = QVBoxLayout(self)
        for widget in (heading, self.progress, self.status, self.buttons):
            layout.addWidget(widget)

    def start(self) -> None:
        """Start the export and show the dialog (non-modal: the window stays usable)."""
        self.session.start(self.request)
        self.show()

    def cancel(self) -> None:
        """End the export if it is still running; nothing is written then."""
        self.session.cancel()

    def open_folder(self) -> None:
        if self.result is not None:
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(self.result.path.parent)))

    def closeEvent(self, event) -> None:
        self.cancel()
        super().closeEvent(event)
        self.deleteLater()  # one dialog per export: a closed one is done with

    def _on_progressed(self, step: int, steps: int, text: str) -> None:
        self.progress.setRange(0, steps)
        self.progress.setValue(step - 1)
        self.status.setText(f"{text}…")

    def _on_finished(self, result: job.Done) -> None:
        self.result = result
        self.progress.setRange(0, 1)
        self.progress.setValue(1)
        self.status.setText("\n".join(result.lines))
        self._finish()
        self.show_in_folder.setEnabled(True)
        self.done.emit(result)

    def _on_failed(self, message: str) -> None:
        self.progress.setRange(0, 1)
        self.progress.setValue(0)
        self.status.setText(f"Not exported: {message}")
        self._finish()
        self.done.emit(message)

    def _finish(self) -> None:
        self.close_button.setText("Close")
        self.adjustSize()  # room for the whole outcome, however many lines it wrapped to
