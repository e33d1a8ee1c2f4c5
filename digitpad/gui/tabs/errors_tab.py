"""Errors tab: where the active model goes wrong on the 10,000 MNIST test images."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
from PySide6.QtCore import QRect, Qt, Signal
from PySide6.QtGui import QColor, QFont, QImage, QPainter
from PySide6.QtWidgets import (QCheckBox, QComboBox, QFileDialog, QGridLayout, QGroupBox,
                               QHBoxLayout, QLabel, QProgressBar, QPushButton, QSplitter,
                               QStackedWidget, QTableWidget, QTableWidgetItem, QVBoxLayout,
                               QWidget, QHeaderView)

from digitpad.core.data import load_mnist
from digitpad.core.evaluation import Evaluation, evaluate
from digitpad.core.preprocess import to_model_batch
from digitpad.gui import workers
from digitpad.gui.model_hub import ActiveModel, ModelHub
from digitpad.gui.widgets.confusion_matrix import ConfusionMatrix
from digitpad.gui.widgets.image_gallery import ImageGallery
from digitpad.gui.widgets.image_view import ImageView, to_qimage
from digitpad.gui.widgets.probability_chart import ProbabilityChart

SORTS = (("Most confident first", "confidence"), ("Highest loss first", "loss"),
         ("Test-set order", "index"))
CACHE_MODELS = 4            # evaluations kept, one per model
SHEET_COLUMNS = 20
SHEET_MAX_ITEMS = 1000      # a contact sheet larger than this is unreadable anyway


def write_csv(path: str | Path, evaluation: Evaluation, indices: np.ndarray) -> None:
    """index, true, predicted, confidence: one row per selected test image."""
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["index", "true", "predicted", "confidence"])
        for i in indices:
            writer.writerow([int(i), int(evaluation.labels[i]), int(evaluation.predictions[i]),
                             f"{evaluation.confidence[i]:.4f}"])


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


class ErrorsTab(QWidget):
    """Evaluates each active model once (in the background) and browses its mistakes."""

    send_to_pad = Signal(object)      # a 28x28 float image for the Draw tab's pad
    evaluation_ready = Signal(object)  # the Evaluation now shown

    def __init__(self, hub: ModelHub, parent: QWidget | None = None, *,
                 data_folder: str | None = None):
        super().__init__(parent)
        self.hub = hub
        self._data_folder = data_folder
        self._test_images: np.ndarray | None = None
        self._test_labels: np.ndarray | None = None
        self._cache: dict[int, Evaluation] = {}
        self.evaluation: Evaluation | None = None
        self._pending: ActiveModel | None = None
        self._worker: workers.Worker | None = None
        self._on_done = None  # what to do with the running worker's result

        self.summary = QLabel("Waiting for a model…")
        self.summary.setWordWrap(True)
        self.progress = QProgressBar()
        self.progress.setVisible(False)
        self.matrix = ConfusionMatrix()
        self.class_table = QTableWidget(2, 10)
        self.class_table.setVerticalHeaderLabels(["prec. %", "recall %"])
        self.class_table.setHorizontalHeaderLabels([str(d) for d in range(10)])
        self.class_table.horizontalHeader().setSectionResizeMode(QHeaderView.Stretch)
        self.class_table.horizontalHeader().setMinimumSectionSize(16)
        self.class_table.setEditTriggers(QTableWidget.NoEditTriggers)
        self.class_table.setMaximumHeight(78)
        self.class_table.setFont(self.matrix.font())
        self.class_table.setTextElideMode(Qt.ElideNone)
        self.class_table.setHorizontalScrollBarPolicy(Qt.ScrollBarAlwaysOff)
        self.class_table.setVerticalScrollBarPolicy(Qt.ScrollBarAlwaysOff)
        self.class_table.setToolTip("Per-digit precision and recall, in percent")

        self.sort_box = QComboBox()
        for text, key in SORTS:
            self.sort_box.addItem(text, key)
        self.true_box, self.predicted_box = QComboBox(), QComboBox()
        for box in (self.true_box, self.predicted_box):
            box.addItem("any", None)
            for digit in range(10):
                box.addItem(str(digit), digit)
        self.label_errors_only = QCheckBox("Only possible label errors")
        self.label_errors_only.setToolTip("The model disagrees with the label with at least "
                                          "98% confidence: the label itself may be wrong")
        self.include_correct = QCheckBox("Include correct")
        self.count_label = QLabel("")
        self.export_png = QPushButton("Export PNG…")
        self.export_csv = QPushButton("Export CSV…")
        self.gallery = ImageGallery()

        self.detail_image = ImageView(empty_text="Select an image")
        self.detail_chart = ProbabilityChart()
        self.detail_text = QLabel("")
        self.detail_text.setWordWrap(True)
        self.detail_text.setTextInteractionFlags(Qt.TextSelectableByMouse)
        self.send_button = QPushButton("Send to Draw pad")
        self.send_button.setEnabled(False)

        self.missing_text = QLabel("")
        self.missing_text.setWordWrap(True)
        self.missing_text.setTextInteractionFlags(Qt.TextSelectableByMouse)
        self.choose_folder = QPushButton("Choose MNIST folder…")
        self.download_button = QPushButton("Download MNIST")

        self._build_layout()
        for box in (self.sort_box, self.true_box, self.predicted_box):
            box.currentIndexChanged.connect(self._apply_filters)
        self.label_errors_only.toggled.connect(self._apply_filters)
        self.include_correct.toggled.connect(self._apply_filters)
        self.matrix.cell_chosen.connect(self.show_cell)
        self.gallery.selectionModel().currentChanged.connect(self._on_current_changed)
        self.send_button.clicked.connect(self._on_send)
        self.export_png.clicked.connect(self._on_export_png)
        self.export_csv.clicked.connect(self._on_export_csv)
        self.choose_folder.clicked.connect(self._on_choose_folder)
        self.download_button.clicked.connect(lambda: self._load_data(download=True))
        hub.model_changed.connect(self._on_model_changed)

    # ----- layout ------------------------------------------------------------------------
    def _build_layout(self) -> None:
        choices = QHBoxLayout()
        for text, widget in (("Sort", self.sort_box), ("True", self.true_box),
                             ("Predicted", self.predicted_box)):
            choices.addWidget(QLabel(text))
            choices.addWidget(widget)
        choices.addStretch(1)
        choices.addWidget(self.count_label)
        toggles = QHBoxLayout()
        toggles.addWidget(self.label_errors_only)
        toggles.addWidget(self.include_correct)
        toggles.addStretch(1)
        toggles.addWidget(self.export_png)
        toggles.addWidget(self.export_csv)
        filters = QVBoxLayout()
        filters.addLayout(choices)
        filters.addLayout(toggles)

        left = QVBoxLayout()
        left.addWidget(self.summary)
        left.addWidget(self.matrix, 3)
        left.addWidget(self.class_table)
        left_widget = QWidget()
        left_widget.setLayout(left)

        detail = QGroupBox("Selected image")
        detail_layout = QVBoxLayout(detail)
        detail_layout.addWidget(self.detail_image, 2, Qt.AlignHCenter)
        detail_layout.addWidget(self.detail_text)
        detail_layout.addWidget(self.detail_chart, 2)
        detail_layout.addWidget(self.send_button)

        middle = QVBoxLayout()
        middle.addLayout(filters)
        middle.addWidget(self.gallery, 1)
        middle_widget = QWidget()
        middle_widget.setLayout(middle)

        browser = QSplitter()
        browser.addWidget(left_widget)
        browser.addWidget(middle_widget)
        browser.addWidget(detail)
        browser.setStretchFactor(0, 3)
        browser.setStretchFactor(1, 5)
        browser.setStretchFactor(2, 2)
        browser.setSizes([380, 560, 260])

        missing = QWidget()
        missing_layout = QGridLayout(missing)
        missing_layout.addWidget(self.missing_text, 0, 0, 1, 2)
        missing_layout.addWidget(self.choose_folder, 1, 0)
        missing_layout.addWidget(self.download_button, 1, 1)
        missing_layout.setRowStretch(2, 1)

        self.pages = QStackedWidget()
        self.pages.addWidget(browser)
        self.pages.addWidget(missing)
        layout = QVBoxLayout(self)
        layout.addWidget(self.progress)
        layout.addWidget(self.pages, 1)

    # ----- public API --------------------------------------------------------------------
    def show_cell(self, true: int, predicted: int) -> None:
        """Show the images of one confusion-matrix cell (the diagonal shows correct ones)."""
        self.include_correct.setChecked(true == predicted)
        self.label_errors_only.setChecked(False)
        self.true_box.setCurrentIndex(true + 1)
        self.predicted_box.setCurrentIndex(predicted + 1)

    def shown_indices(self) -> np.ndarray:
        """Test-set indices in the gallery, in display order."""
        return self.gallery.gallery_model.indices()

    def shutdown(self) -> None:
        workers.stop_and_wait(self, self._worker)
        self._worker = None

    # ----- evaluation --------------------------------------------------------------------
    def _on_model_changed(self, active: ActiveModel) -> None:
        self._pending = active
        if self.isVisible():
            self._refresh()
        # Otherwise the evaluation waits until the tab is opened, so that it never competes
        # with drawing for the CPU at start-up or right after training.

    def showEvent(self, event) -> None:
        super().showEvent(event)
        self._refresh()

    def _refresh(self) -> None:
        """Show the pending model's evaluation: from the cache, or computed in the background."""
        active = self._pending
        if active is None:
            return
        if active.key in self._cache:
            self._pending = None
            self._show(self._cache[active.key])
        elif self._test_images is None:
            self._load_data(download=False)
        else:
            self._start_evaluation()

    def _load_data(self, download: bool) -> None:
        if self._worker is not None:
            return  # data loading or evaluation in progress; it continues from there
        # A download goes to the user data folder, whatever folder was named before.
        folder = None if download else self._data_folder

        def job(worker):
            mnist = load_mnist(folder, download=download,
                               progress=lambda name, done, total: worker.progress.emit(done, total))
            return mnist.test
        self._run(job, self._on_data_loaded, "Loading the MNIST test set… %p%")

    def _on_data_loaded(self, test_split) -> None:
        self._test_images = test_split.images
        self._test_labels = test_split.labels
        self.pages.setCurrentIndex(0)
        self._start_evaluation()

    def _start_evaluation(self) -> None:
        active = self._pending
        if active is None or self._worker is not None:
            return
        images = to_model_batch(self._test_images)
        labels = self._test_labels

        def job(worker):
            result = evaluate(active.predictor, images, labels, stop=worker.stop_event,
                              on_progress=worker.progress.emit)
            return active.key, result
        self.summary.setText(f"Evaluating {active.name} on {len(labels):,} test images…")
        self._run(job, self._on_evaluated, "Evaluating… %p%")

    def _on_evaluated(self, keyed) -> None:
        key, evaluation = keyed
        self._cache[key] = evaluation
        while len(self._cache) > CACHE_MODELS:
            self._cache.pop(next(iter(self._cache)))
        if self._pending is not None and self._pending.key != key:
            self._start_evaluation()  # the model changed while this one was evaluated
            return
        self._pending = None
        self._show(evaluation)

    def _run(self, job, on_done, progress_format: str) -> None:
        worker = workers.Worker(job)
        # Bound methods (not lambdas) so the slots run in the GUI thread.
        worker.progress.connect(self._on_progress)
        worker.finished.connect(self._worker_done)
        worker.errored.connect(self._on_failed)
        self._worker, self._on_done = worker, on_done
        self.progress.setFormat(progress_format)
        self.progress.setValue(0)
        self.progress.setVisible(True)
        workers.start(worker, self)

    @workers.from_current("_worker")  # arrived after shutdown: start nothing new
    def _worker_done(self, result) -> None:
        self._worker = None
        self.progress.setVisible(False)
        self._on_done(result)

    @workers.from_current("_worker")
    def _on_progress(self, done: int, total: int) -> None:
        self.progress.setMaximum(total or 0)
        self.progress.setValue(done)

    @workers.from_current("_worker")
    def _on_failed(self, message: str) -> None:
        self._worker = None
        self.progress.setVisible(False)
        if self._test_images is None:
            self.missing_text.setText(f"The MNIST test set is needed to find the model's "
                                      f"errors.\n\n{message}")
            self.pages.setCurrentIndex(1)
        else:
            self.summary.setText(f"Evaluation failed: {message}")

    def _on_choose_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Folder with the MNIST IDX files")
        if folder:
            self._data_folder = folder
            self._load_data(download=False)

    # ----- display -----------------------------------------------------------------------
    def _show(self, evaluation: Evaluation) -> None:
        self.evaluation = evaluation
        self.pages.setCurrentIndex(0)
        name = self.hub.active.name if self.hub.active else "model"
        label_errors = int(evaluation.label_error_mask.sum())
        self.summary.setText(
            f"<b>{name}</b>: accuracy <b>{evaluation.accuracy:.2%}</b> · "
            f"{evaluation.error_count} errors of {len(evaluation.labels):,} · "
            f"{label_errors} possible label errors")
        self.matrix.set_matrix(evaluation.confusion_matrix())
        precision, recall = evaluation.precision_recall()
        for row, values in enumerate((precision, recall)):
            for digit, value in enumerate(values):
                item = QTableWidgetItem("–" if np.isnan(value) else f"{value * 100:.0f}")
                item.setToolTip("" if np.isnan(value) else f"{value:.2%}")
                item.setTextAlignment(Qt.AlignCenter)
                self.class_table.setItem(row, digit, item)
        self.gallery.gallery_model.set_source(self._test_images, evaluation)
        self._apply_filters()
        self.evaluation_ready.emit(evaluation)

    def _apply_filters(self) -> None:
        if self.evaluation is None:
            return
        indices = self.evaluation.select(
            true=self.true_box.currentData(), predicted=self.predicted_box.currentData(),
            errors_only=not self.include_correct.isChecked(),
            label_errors_only=self.label_errors_only.isChecked(),
            sort_by=self.sort_box.currentData())
        self.gallery.gallery_model.set_indices(indices)
        self.count_label.setText(f"{len(indices):,} images")
        if len(indices):
            self.gallery.setCurrentIndex(self.gallery.gallery_model.index(0))
        else:
            self._show_detail(None)

    def _on_current_changed(self, current, previous) -> None:
        self._show_detail(self.gallery.current_item())

    def _show_detail(self, item: int | None) -> None:
        self.send_button.setEnabled(item is not None)
        if item is None or self.evaluation is None:
            self.detail_image.set_image(None)
            self.detail_chart.set_probabilities(None)
            self.detail_text.setText("")
            return
        evaluation = self.evaluation
        self.detail_image.set_image(self._test_images[item])
        self.detail_chart.set_probabilities(evaluation.probabilities[item])
        guesses = ", ".join(f"{d} ({p:.1%})" for d, p in evaluation.top_guesses(item))
        flag = ("<br><b style='color:#c0392b'>Possible label error</b>"
                if evaluation.label_error_mask[item] else "")
        self.detail_text.setText(
            f"Test image <b>#{item}</b><br>label {evaluation.labels[item]}, "
            f"predicted {evaluation.predictions[item]}<br>top guesses: {guesses}{flag}")

    def _on_send(self) -> None:
        item = self.gallery.current_item()
        if item is not None:
            self.send_to_pad.emit(self._test_images[item] / 255.0)

    def _on_export_png(self) -> None:
        if self.evaluation is None:
            return
        path, _ = QFileDialog.getSaveFileName(self, "Export contact sheet", "errors.png",
                                              "PNG images (*.png)")
        if path and not contact_sheet(self._test_images, self.evaluation,
                                      self.shown_indices()).save(path, "PNG"):
            self.summary.setText(f"Could not write {path}")

    def _on_export_csv(self) -> None:
        if self.evaluation is None:
            return
        path, _ = QFileDialog.getSaveFileName(self, "Export CSV", "errors.csv", "CSV (*.csv)")
        if path:
            try:
                write_csv(path, self.evaluation, self.shown_indices())
            except OSError as exc:
                self.summary.setText(f"Could not write {path}: {exc.strerror}")
