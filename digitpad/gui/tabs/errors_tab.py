"""Errors tab: where the active model goes wrong, on the 10,000 MNIST test images or on the
user's own digits."""

from __future__ import annotations

import html
from pathlib import Path

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (QCheckBox, QComboBox, QFileDialog, QFrame, QGroupBox,
                               QHBoxLayout, QLabel, QProgressBar, QPushButton, QScrollArea,
                               QSplitter,
                               QStackedWidget, QTableWidget, QTableWidgetItem, QVBoxLayout,
                               QWidget, QHeaderView)

from digitpad.core.atomic_files import write_bytes_atomically
from digitpad.core.evaluation import Evaluation
from digitpad.gui.explainer import Explainer
from digitpad.gui.evaluations import MNIST_TEST, MY_DIGITS
from digitpad.gui.model_hub import ActiveModel, ModelHub
from digitpad.gui.tabs.looked_at import LookedAt, caption
from digitpad.gui.error_export import SHEET_MAX_ITEMS, contact_sheet, csv_bytes, png_bytes
from digitpad.gui.tabs.mnist_panel import MnistPanel
from digitpad.gui.tabs.my_digits_actions import MyDigitsActions
from digitpad.gui.widgets.confusion_matrix import ConfusionMatrix, TitledConfusionMatrix
from digitpad.gui.widgets.image_gallery import ImageGallery
from digitpad.gui.widgets.image_view import ImageView
from digitpad.gui.widgets.probability_chart import ProbabilityChart

SORTS = (("Most confident first", "confidence"), ("Highest loss first", "loss"),
         ("Test-set order", "index"))
DATA_SETS = (("MNIST test", MNIST_TEST), ("My digits", MY_DIGITS))  # what the tab browses
MATRIX_TIPS = {  # by the evaluation's by_verdict
    False: "Rows: true digit. Columns: predicted digit (the model's best guess). Click a "
           "cell to see those images.",
    True: "Rows: your digit. Columns: the digit the pad answers; digits it answers “not "
          "sure” or “not a digit” are in no cell. Click a cell to see those digits."}


class ErrorsTab(QWidget):
    """Shows the active model's evaluation on a data set and browses its mistakes: MNIST's
    test set, or the user's own digits (``hub.my_digits``), with their actions.

    The evaluation is the hub's (``hub.evaluations``): computed in the background once per
    model and set and cached there; this tab asks for it when it is shown.
    """

    send_to_pad = Signal(object, str)  # an image exactly as the model saw it, what it is
    evaluation_ready = Signal(object)  # the Evaluation now shown

    def __init__(self, hub: ModelHub, parent: QWidget | None = None):
        super().__init__(parent)
        self.hub = hub
        self._shown = None  # the LabelledSet of the evaluation shown
        self.evaluation: Evaluation | None = None
        # Built after the model arrived (the first frame came late): evaluate that one.
        self._pending: ActiveModel | None = hub.active
        self._opening: int | None = None  # a test image to show once evaluated

        self.dataset_box = QComboBox()
        for text, name in DATA_SETS:
            self.dataset_box.addItem(text, name)
        self.dataset_box.setToolTip("Where to look for the model's mistakes: MNIST's test "
                                    "set, or the digits you saved on the Draw tab")
        self.mine_actions = MyDigitsActions(hub, self.gallery_selection)
        self.mine_actions.setVisible(False)
        self.mine_actions.for_selected.setVisible(False)
        self.summary = QLabel("Waiting for a model…")
        self.summary.setTextFormat(Qt.PlainText)  # the card's name and error text, as they are
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
        # My digits are read as the pad answers: what no cell counts is said here.
        self.matrix_note = QLabel("")
        self.matrix_note.setTextFormat(Qt.PlainText)
        self.matrix_note.setWordWrap(True)
        self.matrix_note.setVisible(False)

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
        self.rejected_only = QCheckBox("Only “not a digit”")
        self.rejected_only.setToolTip("Test digits that the Draw tab would answer with "
                                      "“That doesn't look like a digit”, right or wrong")
        self.count_label = QLabel("")
        self.export_png = QPushButton("Export PNG…")
        self.export_csv = QPushButton("Export CSV…")
        self.export_status = QLabel("")  # what the last export did; the summary stays
        self.export_status.setTextFormat(Qt.PlainText)  # it names the file written
        self.export_status.setWordWrap(True)
        self.export_status.setTextInteractionFlags(Qt.TextSelectableByMouse)
        self.export_status.setVisible(False)
        self.gallery = ImageGallery()
        # Delete removes the digit selected, as the Delete button does (my digits only).
        self.delete_shortcut = QShortcut(QKeySequence.Delete, self.gallery)
        self.delete_shortcut.setContext(Qt.WidgetWithChildrenShortcut)
        self.delete_shortcut.setEnabled(False)
        self.delete_shortcut.activated.connect(self.mine_actions.delete_selected)

        self.detail_image = ImageView(empty_text="Select an image")
        self.looked_at = LookedAt(self.detail_image, "Why this answer")
        self.explainer = Explainer(hub)
        self.explainer.explained.connect(self._on_explained)
        self.looked_at.box.toggled.connect(lambda: self._explain(self.gallery.current_item()))
        self.detail_chart = ProbabilityChart()
        self.detail_text = QLabel("")
        self.detail_text.setWordWrap(True)
        self.detail_text.setTextInteractionFlags(Qt.TextSelectableByMouse)
        self.send_button = QPushButton("Send to Draw pad")
        self.send_button.setEnabled(False)

        self.data_panel = MnistPanel(hub.data, "The MNIST test set is needed to find the "
                                              "model's errors.")

        self._build_layout()
        for box in (self.sort_box, self.true_box, self.predicted_box):
            box.currentIndexChanged.connect(self._apply_filters)
        self.label_errors_only.toggled.connect(self._apply_filters)
        self.include_correct.toggled.connect(self._apply_filters)
        self.rejected_only.toggled.connect(self._apply_filters)
        self.matrix.cell_chosen.connect(self.show_cell)
        self.gallery.selectionModel().currentChanged.connect(self._on_current_changed)
        self.send_button.clicked.connect(self._on_send)
        self.export_png.clicked.connect(self._on_export_png)
        self.export_csv.clicked.connect(self._on_export_csv)
        self.dataset_box.currentIndexChanged.connect(self._on_dataset_changed)
        hub.model_changed.connect(self._on_model_changed)
        hub.data.changed.connect(self._on_data_changed)
        hub.my_digits.changed.connect(self._on_my_digits_changed)
        hub.evaluations.progress.connect(self._on_progress)
        hub.evaluations.ready.connect(self._on_evaluated)
        hub.evaluations.failed.connect(self._on_failed)

    # ----- layout ------------------------------------------------------------------------
    def _build_layout(self) -> None:
        # Short rows, so that the gallery column stays narrow enough for a 900 px window.
        sorting = QHBoxLayout()
        sorting.addWidget(QLabel("Sort"))
        sorting.addWidget(self.sort_box)
        sorting.addStretch(1)
        sorting.addWidget(self.count_label)
        digits = QHBoxLayout()
        for text, widget in (("True", self.true_box), ("Predicted", self.predicted_box)):
            digits.addWidget(QLabel(text))
            digits.addWidget(widget)
        digits.addWidget(self.rejected_only)
        digits.addStretch(1)
        toggles = QHBoxLayout()
        toggles.addWidget(self.label_errors_only)
        toggles.addWidget(self.include_correct)
        toggles.addStretch(1)
        exports = QHBoxLayout()
        exports.addWidget(self.export_status, 1)
        exports.addWidget(self.export_png)
        exports.addWidget(self.export_csv)
        filters = QVBoxLayout()
        for row in (sorting, digits, toggles, exports):
            filters.addLayout(row)

        left = QVBoxLayout()
        dataset_row = QHBoxLayout()
        dataset_row.addWidget(QLabel("Data set"))
        dataset_row.addWidget(self.dataset_box, 1)
        left.addLayout(dataset_row)
        left.addWidget(self.summary)
        left.addWidget(self.mine_actions)  # the whole store's: a column wide for its words
        left.addWidget(TitledConfusionMatrix(self.matrix), 3)
        left.addWidget(self.matrix_note)
        left.addWidget(self.class_table)
        left_widget = QScrollArea()
        # In a small window what My digits says (a few sentences after adapting) scrolls
        # instead of being squeezed into lines cut in half.
        left_widget.setWidgetResizable(True)
        left_widget.setFrameShape(QFrame.NoFrame)
        left_widget.setHorizontalScrollBarPolicy(Qt.ScrollBarAlwaysOff)
        left_widget.setWidget(QWidget())
        left_widget.widget().setLayout(left)
        for plain in (left_widget.viewport(), left_widget.widget()):  # the tab's background
            plain.setAutoFillBackground(False)
        left_widget.setMinimumWidth(left_widget.widget().minimumSizeHint().width()
                                    + left_widget.verticalScrollBar().sizeHint().width())

        detail = QGroupBox("Selected image")
        detail_layout = QVBoxLayout(detail)
        detail_layout.addWidget(self.detail_image, 2, Qt.AlignHCenter)
        detail_layout.addWidget(self.looked_at)
        detail_layout.addWidget(self.detail_text)
        detail_layout.addWidget(self.detail_chart, 2)
        detail_layout.addWidget(self.send_button)
        detail_layout.addWidget(self.mine_actions.for_selected)

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

        self.pages = QStackedWidget()
        self.pages.addWidget(browser)
        self.pages.addWidget(self.data_panel)
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

    def show_dataset(self, name: str) -> None:
        """Browse data set ``name``: ``MNIST_TEST`` or ``MY_DIGITS``."""
        self.dataset_box.setCurrentIndex(self.dataset_box.findData(name))

    def dataset(self) -> str:
        """The name of the data set browsed."""
        return self.dataset_box.currentData()

    def gallery_selection(self) -> list[int]:
        """The store ids of the user's digits selected in the gallery (my digits only)."""
        item = self.gallery.current_item()
        if item is None or self._shown is None or self._shown.ids is None:
            return []
        return [int(self._shown.ids[item])]

    def open_image(self, index: int) -> None:
        """Select test image ``index`` and show it in the detail (once evaluated), with the
        filters set to its true and predicted digits."""
        self._opening = int(index)
        self.show_dataset(MNIST_TEST)
        self._open_pending()

    def _open_pending(self) -> None:
        index, evaluation = self._opening, self.evaluation
        if index is None or evaluation is None or not 0 <= index < len(evaluation.labels):
            return
        self._opening = None
        label, predicted = int(evaluation.labels[index]), int(evaluation.predictions[index])
        self.label_errors_only.setChecked(False)
        self.rejected_only.setChecked(False)
        self.include_correct.setChecked(label == predicted)
        self.true_box.setCurrentIndex(label + 1)
        self.predicted_box.setCurrentIndex(predicted + 1)
        self._select(index)

    def _select(self, item: int) -> None:
        """Select ``item`` of the set in the gallery, where the filters show it."""
        rows = np.flatnonzero(self.shown_indices() == item)
        if len(rows):
            self.gallery.setCurrentIndex(self.gallery.gallery_model.index(int(rows[0])))

    def shown_indices(self) -> np.ndarray:
        """Test-set indices in the gallery, in display order."""
        return self.gallery.gallery_model.indices()

    # ----- evaluation --------------------------------------------------------------------
    def _on_model_changed(self, active: ActiveModel) -> None:
        self._pending = active
        if self.isVisible():
            self._refresh()
        # Otherwise the evaluation waits until the tab is opened, so that it never competes
        # with drawing for the CPU at start-up or right after training.

    def _on_data_changed(self, folder) -> None:
        """Another MNIST folder: the hub evaluates again, on the new test set."""
        self._pending = self.hub.active
        if self.isVisible():
            self._refresh()

    def _on_dataset_changed(self) -> None:
        mine = self.dataset() == MY_DIGITS
        self.mine_actions.setVisible(mine)
        self.mine_actions.for_selected.setVisible(mine)
        self.delete_shortcut.setEnabled(mine)
        self.include_correct.setChecked(mine)  # all of one's own digits; MNIST's mistakes
        # One's own misread digits first: among all of them, those are the highest losses.
        self.sort_box.setCurrentIndex(self.sort_box.findData("loss" if mine else "confidence"))
        self.label_errors_only.setVisible(not mine)  # the user's labels are theirs to fix
        self._pending = self.hub.active
        if self.isVisible():
            self._refresh()

    def _on_my_digits_changed(self) -> None:
        """Digits saved, deleted, relabelled or imported: the hub dropped their evaluations."""
        if self.dataset() == MY_DIGITS:
            self._pending = self.hub.active
            if self.isVisible():
                self._refresh()

    def showEvent(self, event) -> None:
        super().showEvent(event)
        self._refresh()

    def _refresh(self) -> None:
        """Show the pending model's evaluation: the hub's cached one, or asked for."""
        active = self._pending
        if active is None:
            return
        name = self.dataset()
        evaluation = self.hub.evaluations.request(active, name)
        if evaluation is not None:
            self._pending = None
            self._show(evaluation)
            return
        what = "your digits" if name == MY_DIGITS else "the MNIST test set"
        self.summary.setText(f"Evaluating {active.name} on {what}…")
        self.progress.setFormat("Evaluating… %p%")
        self.progress.setValue(0)
        self.progress.setVisible(True)

    def _on_progress(self, name: str, done: int, total: int) -> None:
        if name == self.dataset() and self._pending is not None:
            self.progress.setMaximum(total or 0)
            self.progress.setValue(done)

    def _on_evaluated(self, model, name: str, evaluation: Evaluation) -> None:
        if name != self.dataset() or self._pending is None or model.key != self._pending.key:
            return  # another model's, or another set's
        self._pending = None
        self.progress.setVisible(False)
        self._show(evaluation)

    def _on_failed(self, model, name: str, message: str, data_problem: bool) -> None:
        if name != self.dataset() or self._pending is None or model.key != self._pending.key:
            return
        self.progress.setVisible(False)
        if data_problem and name == MNIST_TEST:
            self.data_panel.show_problem(message)
            self.pages.setCurrentIndex(1)
        else:
            self._pending = None
            self.summary.setText(f"Evaluation failed: {message}")

    # ----- display -----------------------------------------------------------------------
    def _show(self, evaluation: Evaluation) -> None:
        # The user's digit selected stays selected when their digits change (a relabel):
        # the next Delete must not remove whichever digit came first instead.
        kept = self.gallery_selection()
        self.evaluation = evaluation
        self._shown = self.hub.evaluations.labelled_set(self.dataset())
        self.pages.setCurrentIndex(0)
        name = self.hub.active.name if self.hub.active else "model"
        label_errors = int(evaluation.label_error_mask.sum())
        rejected = int(evaluation.rejected_mask.sum())
        rejection = (f" · {rejected} ({rejected / max(1, len(evaluation.labels)):.2%}) would "
                     f"be answered “not a digit”" if evaluation.not_a_digit is not None else "")
        self.rejected_only.setEnabled(evaluation.not_a_digit is not None)
        if self._shown.ids is not None:
            self.summary.setText(_my_digits_summary(name, evaluation))
            self.mine_actions.set_count(len(evaluation.labels))
        else:
            self.summary.setText(
                f"{name}: accuracy {evaluation.accuracy:.2%} · "
                f"{evaluation.error_count} errors of {len(evaluation.labels):,} · "
                f"{label_errors} possible label errors{rejection}")
        self.matrix.set_matrix(evaluation.confusion_matrix())
        self.matrix.setToolTip(MATRIX_TIPS[evaluation.by_verdict])
        note = _unanswered_note(evaluation)
        self.matrix_note.setText(note)
        self.matrix_note.setVisible(bool(note))
        for box in (self.true_box, self.predicted_box):  # a new model: no cell chosen yet
            box.blockSignals(True)
            box.setCurrentIndex(0)
            box.blockSignals(False)
        precision, recall = evaluation.precision_recall()
        for row, values in enumerate((precision, recall)):
            for digit, value in enumerate(values):
                text = "–" if np.isnan(value) else f"{value * 100:.1f}".removesuffix(".0")
                item = QTableWidgetItem(text)  # "100", not "100.0": the columns are narrow
                item.setToolTip("" if np.isnan(value) else f"{value:.2%}")
                item.setTextAlignment(Qt.AlignCenter)
                self.class_table.setItem(row, digit, item)
        self.gallery.gallery_model.set_source(self._shown.images, evaluation, self._item_name)
        self._apply_filters()
        if kept and self._shown.ids is not None:
            for item in np.flatnonzero(self._shown.ids == kept[0]):  # ids are unique
                self._select(int(item))
        if self._shown.ids is None:  # the MNIST test accuracy, which the window shows
            self._open_pending()
            self.evaluation_ready.emit(evaluation)

    def _item_name(self, item: int) -> str:
        if self._shown.ids is not None:
            return f"your {self._shown.labels[item]} (#{self._shown.ids[item]})"
        return f"test image #{item}"

    def _apply_filters(self) -> None:
        if self.evaluation is None:
            return
        indices = self.evaluation.select(
            true=self.true_box.currentData(), predicted=self.predicted_box.currentData(),
            errors_only=not (self.include_correct.isChecked() or self.rejected_only.isChecked()),
            label_errors_only=self.label_errors_only.isChecked(),
            rejected_only=self.rejected_only.isChecked(),
            sort_by=self.sort_box.currentData())
        self.gallery.gallery_model.set_indices(indices)
        self.count_label.setText(f"{len(indices):,} images")
        # The matrix shows a cell as chosen exactly while both of its filters are set.
        self.matrix.highlight(self.true_box.currentData(), self.predicted_box.currentData())
        if len(indices):
            self.gallery.setCurrentIndex(self.gallery.gallery_model.index(0))
        else:
            self._show_detail(None)

    def _on_current_changed(self, current, previous) -> None:
        self._show_detail(self.gallery.current_item())

    def _show_detail(self, item: int | None) -> None:
        self.send_button.setEnabled(item is not None)
        self._explain(item)
        if item is None or self.evaluation is None:
            self.detail_image.set_image(None)
            self.detail_chart.set_probabilities(None)
            self.detail_text.setText("")
            return
        evaluation = self.evaluation
        if self._shown.ids is not None:  # the likeliest fix of a digit saved under a wrong key
            self.mine_actions.relabel_box.setCurrentIndex(int(evaluation.predictions[item]))
        self.detail_image.set_image(self._shown.images[item])
        self.detail_chart.set_probabilities(evaluation.probabilities[item])
        # A guess stays on one line: "4 (0.0%)", never "4" at a line's end.
        guesses = ", ".join(f"{d}&nbsp;({p:.1%})" for d, p in evaluation.top_guesses(item))
        flag = ("<br><b style='color:#c0392b'>Possible label error</b>"
                if evaluation.label_error_mask[item] else "")
        answered = (f"answered “{evaluation.answer(item)}”, " if evaluation.by_verdict
                    and evaluation.answer(item) != str(evaluation.predictions[item]) else "")
        self.detail_text.setText(
            f"{html.escape(self._item_name(item)).capitalize()}<br>"
            f"label {evaluation.labels[item]}, {answered}"
            f"predicted {evaluation.predictions[item]}<br>top guesses: {guesses}{flag}")

    def _explain(self, item: int | None) -> None:
        """Ask for the map of the image in the detail: for a mistake, what made it the
        predicted digit rather than its label; else what made it its digit."""
        self.looked_at.set_map(None)
        self.explainer.cancel()
        if item is None or self.evaluation is None or not self.looked_at.box.isChecked():
            return
        predicted = int(self.evaluation.predictions[item])
        label = int(self.evaluation.labels[item])
        image = self._shown.inputs[item]
        self.explainer.request(image, predicted, label if label != predicted else None,
                               tag=(self.evaluation, int(item)))

    def _on_explained(self, tag, explanation) -> None:
        evaluation, item = tag
        if evaluation is self.evaluation and item == self.gallery.current_item():
            self.looked_at.set_map(explanation.heat,
                                   caption(explanation, int(evaluation.labels[item])))

    def _on_send(self) -> None:
        item = self.gallery.current_item()
        if item is not None:
            # The very input the evaluation gave the model, so the pad reads it the same.
            self.send_to_pad.emit(self._shown.inputs[item], self._item_name(item))

    def _on_export_png(self) -> None:
        if self.evaluation is not None:
            path, _ = QFileDialog.getSaveFileName(self, "Export contact sheet", "errors.png",
                                                  "PNG images (*.png)")
            if path:
                self.export(path)

    def _on_export_csv(self) -> None:
        if self.evaluation is not None:
            path, _ = QFileDialog.getSaveFileName(self, "Export CSV", "errors.csv",
                                                  "CSV (*.csv)")
            if path:
                self.export(path)

    def export(self, path: str | Path) -> bool:
        """Write the images shown as a PNG contact sheet or a CSV (by ``path``'s suffix).

        The outcome (the path written, or the system's reason it could not be) is shown
        beside the export buttons.
        """
        path = Path(path)
        indices = self.shown_indices()
        if path.suffix.lower() == ".csv":
            content = csv_bytes(self.evaluation, indices)
        else:
            indices = indices[:SHEET_MAX_ITEMS]
            content = png_bytes(contact_sheet(self._shown.images, self.evaluation, indices))
        try:
            write_bytes_atomically(path, content)
        except OSError as exc:
            self._show_export_status(f"Could not write {path}: {exc.strerror or exc}", ok=False)
            return False
        self._show_export_status(f"Exported {len(indices):,} images to {path}", ok=True)
        return True

    def _show_export_status(self, text: str, ok: bool) -> None:
        self.export_status.setText(text)
        self.export_status.setStyleSheet("" if ok else "color: #c0392b;")
        self.export_status.setVisible(True)


def _my_digits_summary(name: str, evaluation: Evaluation) -> str:
    """The summary line for the user's own digits: how many of each, how many read right."""
    count = len(evaluation.labels)
    if not count:
        return ("You have saved no digits yet: draw one on the Draw tab and press its digit "
                "key, or import a digits file.")
    counts = np.bincount(evaluation.labels, minlength=10)
    saved = " · ".join(f"{d}s: {n}" for d, n in enumerate(counts) if n)
    missing = ", ".join(str(d) for d, n in enumerate(counts) if not n)
    none_yet = f" · none yet of {missing}" if missing else ""  # one of each teaches best
    return (f"{name} on your {count:,} digit{'s' if count > 1 else ''}: reads "
            f"{evaluation.accuracy:.1%} right · {evaluation.error_count} wrong\n"
            f"{saved}{none_yet}")


def _unanswered_note(evaluation: Evaluation) -> str:
    """What the confusion matrix leaves out when it counts the pad's answers: the digits
    answered "not sure" or "not a digit"; "" when there are none."""
    unsure = int((evaluation.unsure_mask & ~evaluation.answered_mask).sum())
    rejected = int((evaluation.rejected_mask & ~evaluation.answered_mask).sum())
    parts = [f"{count:,} answered {answer}" for count, answer in
             ((unsure, "“not sure”"), (rejected, "“not a digit”")) if count]
    if not parts:
        return ""
    return (f"Not in the matrix: {' and '.join(parts)}. Its columns are the digits the pad "
            f"answers.")
