"""What the Errors tab offers while it shows the user's own digits: relabel, delete, import,
export, and "Adapt to me". Digits go through ``hub.my_digits``, which writes in the
background; adapting is a run of the training process, started and stopped through the hub."""

from __future__ import annotations

from pathlib import Path
from typing import Callable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (QComboBox, QFileDialog, QGridLayout, QLabel, QProgressBar,
                               QPushButton, QWidget)

from digitpad.core import runs
from digitpad.core.runs import Run
from digitpad.gui.model_hub import ModelHub
from digitpad.gui.my_digits import Imported
from digitpad.gui.tabs.mnist_panel import MnistPanel
from digitpad.gui.tabs.run_text import adapt_again, adapt_step, describe_run, stays_active


class MyDigitsActions(QWidget):
    """Buttons for the whole store (import, export, adapt), with lines saying what the last
    action did, and ``for_selected``: relabel and delete for the digit selected in the
    gallery (``selection()``: its store ids), to be placed beside it.

    The store's part needs a column's width: what adapting measured is a few sentences.
    """

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
        self.delete_button.setToolTip("Remove this digit from your digits (Delete)")
        self.undo_delete_button = QPushButton("Undo delete")
        self.undo_delete_button.setToolTip("Put the digit just deleted back")
        self.undo_delete_button.setVisible(False)
        self._deleted: list = []  # the digits the last Delete removed, for Undo
        self.import_button = QPushButton("Import…")
        self.import_button.setToolTip("Add the digits of a digits file (.json)")
        self.export_button = QPushButton("Export…")
        self.export_button.setToolTip("Write all your digits to one digits file (.json)")
        self.adapt_button = QPushButton("Adapt to me")
        self._count: int | None = None  # the user's digits, once counted (set_count)
        self.stop_button = QPushButton("Stop")
        self.stop_button.setEnabled(False)
        self.use_button = QPushButton("Use it anyway")
        self.use_button.setToolTip("Make the adapted model active all the same")
        self.use_button.setVisible(False)
        self.back_button = QPushButton("Back to the previous model")
        self.back_button.setVisible(False)
        self.adapt_progress = QProgressBar()
        self.adapt_progress.setVisible(False)
        self.adapt_status = QLabel("")
        self.adapt_status.setTextFormat(Qt.PlainText)
        self.adapt_status.setWordWrap(True)
        self.adapt_status.setVisible(False)
        self._run: Run | None = None  # the last adaptation run, shown here
        # Offered when "Adapt to me" finds no MNIST, before any process starts.
        self.data_panel = MnistPanel(hub.data, "Adapting needs MNIST: its training digits "
                                     "are mixed in so that the model keeps reading "
                                     "everyone else's.")
        self.data_panel.setVisible(False)
        self.status = QLabel("")
        self.status.setTextFormat(Qt.PlainText)  # file names and messages, never markup
        self.status.setWordWrap(True)
        self.status.setVisible(False)
        self.for_selected = QWidget()
        selected = QGridLayout(self.for_selected)
        selected.setContentsMargins(0, 0, 0, 0)
        selected.addWidget(self.relabel_box, 0, 0)
        selected.addWidget(self.relabel_button, 0, 1)
        selected.addWidget(self.delete_button, 1, 0)
        selected.addWidget(self.undo_delete_button, 1, 1)
        layout = QGridLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.import_button, 0, 0)
        layout.addWidget(self.export_button, 0, 1)
        layout.addWidget(self.status, 1, 0, 1, 2)
        layout.addWidget(self.adapt_button, 2, 0)
        layout.addWidget(self.stop_button, 2, 1)
        layout.addWidget(self.adapt_progress, 3, 0, 1, 2)
        layout.addWidget(self.adapt_status, 4, 0, 1, 2)
        layout.addWidget(self.use_button, 5, 0, 1, 2)
        layout.addWidget(self.back_button, 6, 0, 1, 2)
        layout.addWidget(self.data_panel, 7, 0, 1, 2)

        self.relabel_button.clicked.connect(self.relabel_selected)
        self.delete_button.clicked.connect(self.delete_selected)
        self.undo_delete_button.clicked.connect(self.undo_delete)
        hub.my_digits.deleted.connect(self._on_deleted)
        self.import_button.clicked.connect(self._on_import)
        self.export_button.clicked.connect(self._on_export)
        hub.my_digits.imported.connect(self._on_imported)
        hub.my_digits.exported.connect(
            lambda count, path: self._say(f"Exported {count:,} digits to {path.name}",
                                          file=str(path)))
        hub.my_digits.failed.connect(
            lambda message, file: self._say(message, ok=False, file=file))
        self.adapt_button.clicked.connect(self.adapt)
        self.stop_button.clicked.connect(hub.stop_run)
        self.use_button.clicked.connect(self._on_use)
        self.back_button.clicked.connect(self._on_back)
        hub.run_started.connect(self._on_run_started)
        hub.run_batch.connect(self._on_run_batch)
        hub.run_changed.connect(self._on_run_changed)
        hub.run_ended.connect(self._on_run_ended)
        hub.data.changed.connect(self._on_data_changed)
        self._refresh_adapt_button()

    def adapt(self) -> bool:
        """Start adapting the active model to the user's digits; False if it cannot start."""
        problem = self.hub.data.problem()
        if problem is not None:  # say so now, not after the training process started
            self.data_panel.show_problem(problem)
            self.data_panel.setVisible(True)
            return False
        run = self.hub.adapt_to_my_digits()
        if run is None:
            self._tell("Cannot adapt now: a run is in progress, or no saved model is active.",
                       ok=False)
            return False
        return True

    def set_count(self, count: int) -> None:
        """How many digits the user has saved: adapting needs one at least (without, the
        training process would start only to say so)."""
        self._count = count
        self._refresh_adapt_button()

    def _refresh_adapt_button(self) -> None:
        # One run at a time, whoever started it.
        self.adapt_button.setEnabled(self.hub.current_run is None and self._count != 0)
        self.adapt_button.setToolTip(
            "Save some digits first: draw them on the Draw tab and press their digit keys"
            if self._count == 0 else "Fine-tune the active model on your digits (a fifth "
            "of each digit held out to measure on), in the background")

    def _on_data_changed(self, folder) -> None:
        self.data_panel.setVisible(self.data_panel.isVisibleTo(self)
                                   and self.hub.data.problem() is not None)

    def _on_run_started(self, run: Run) -> None:
        self._refresh_adapt_button()
        if run.kind != "adapt":
            return
        self._run = run
        self.stop_button.setEnabled(True)
        self.use_button.setVisible(False)
        self.back_button.setVisible(False)
        self.adapt_progress.setRange(0, 0)
        self.adapt_progress.setVisible(True)
        self._tell("Adapting: starting the training process…")

    def _on_run_batch(self, run: Run, report) -> None:
        if run is self._run:
            self.adapt_progress.setRange(0, report.batches_per_epoch)
            self.adapt_progress.setValue(report.batch + 1)
            again = adapt_again(report)
            self._tell(f"Adapting: {adapt_step(report)}, loss {report.loss:.3f}"
                       + (f". {again}" if again else ""))

    def _on_run_changed(self, run: Run) -> None:
        if run is not self._run:
            return
        if run.state == runs.STOPPING:
            self.stop_button.setEnabled(False)
            self._tell("Stopping after this step…")
        elif run.state == runs.SAVING:
            self.adapt_progress.setRange(0, 0)
            self._tell("Measuring and saving the adapted model…")
        elif run.decision == runs.ACTIVE:  # the user chose it after all
            self._show_active(run)

    def _on_run_ended(self, run: Run) -> None:
        self._refresh_adapt_button()
        if run is not self._run:
            return
        self.stop_button.setEnabled(False)
        self.adapt_progress.setVisible(False)
        if run.state == runs.FAILED:
            self._tell(f"Adapting failed: {run.message}", ok=False)
        elif run.decision == runs.ACTIVE:
            self._show_active(run)
        elif run.decision == runs.UNCHANGED:  # nothing to teach: no new model, none switched
            self.use_button.setVisible(False)
            self.back_button.setVisible(False)
            self._tell(f"{describe_run(run)} {stays_active(self.hub.active)}")
        elif run.decision == runs.OFFERED:
            why = "" if run.stopped else f" Worse: {run.comparison.describe()}."
            self._tell(f"{describe_run(run)}{why} Saved as {run.path.name}, not made active.")
            self.use_button.setVisible(True)
        elif run.decision == runs.UNSAVED:
            self._tell(f"{run.outcome.note} Its weights are kept: “Save as…” on the Train "
                       f"tab saves them.", ok=False)
        elif run.decision == runs.NOT_LOADED:
            self._tell(f"The adapted model was saved to {run.path} but could not be loaded: "
                       f"{run.message}", ok=False)

    def _show_active(self, run: Run) -> None:
        self.use_button.setVisible(False)
        self.back_button.setVisible(self.hub.previous is not None)
        self._tell(f"{describe_run(run)} Now active: {run.path.name}.")

    def _on_use(self) -> None:
        if self._run is not None:
            self.hub.use_run(self._run)

    def _on_back(self) -> None:
        if self.hub.restore_previous():
            self.back_button.setVisible(False)
            self._tell(f"Back to {self.hub.active.name}.")

    def _tell(self, text: str, ok: bool = True) -> None:
        _show_message(self.adapt_status, text, ok)

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

    def undo_delete(self) -> None:
        """Put back the digits the last Delete removed."""
        if self._deleted:
            self.hub.my_digits.restore(self._deleted)
            self._on_deleted([])
            self._say("Put back")

    def _on_deleted(self, samples: list) -> None:
        self._deleted = samples
        self.undo_delete_button.setVisible(bool(samples))
        if samples:
            self._say(f"Deleted your {samples[0].label}"
                      if len(samples) == 1 else f"Deleted {len(samples)} digits")

    def import_file(self, path: str) -> None:
        self._say(f"Importing {Path(path).name}…", file=path)
        self.hub.my_digits.import_file(path)

    def export_file(self, path: str) -> None:
        self._say(f"Exporting to {Path(path).name}…", file=path)
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

    def _on_imported(self, result: Imported) -> None:
        if not result.added and not result.duplicates:
            self._say(f"{result.path.name} holds no digits", file=str(result.path))
            return
        skipped = f", {result.duplicates:,} you had already" if result.duplicates else ""
        self._say(f"Imported {result.added:,} digits{skipped}", file=str(result.path))

    def _say(self, text: str, ok: bool = True, file: str = "") -> None:
        """``text`` in the status line; ``file``, the file it is about, named in full in
        its tooltip (the text names it by its name)."""
        _show_message(self.status, text, ok)
        self.status.setToolTip(file)


def _show_message(label: QLabel, text: str, ok: bool) -> None:
    """``text`` in ``label``, red when something went wrong; no empty line while silent."""
    label.setStyleSheet("" if ok else "color: #c0392b;")
    label.setText(text)
    label.setVisible(bool(text))
