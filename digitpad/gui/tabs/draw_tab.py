"""Draw tab: the pad, live probabilities, the big answer, and what the model sees.

A drawing of one digit is read as a whole, as always. Digits written side by side are read
as a number (``core.number_reader``): the answer shows the number ("2024", "3.14", "20?4"
with a digit unsure, whose alternatives are one click away), each digit gets a faint box on
the pad with its own small answer, and clicking a digit shows its probabilities and its
28x28 image.
"""

from __future__ import annotations

import time

import numpy as np
from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QFont, QKeySequence, QShortcut
from PySide6.QtWidgets import (QHBoxLayout, QLabel, QPushButton, QSizePolicy, QSlider,
                               QToolButton, QVBoxLayout, QWidget)

from digitpad.core.digits_file import Sample, image_to_uint8
from digitpad.core.ink_groups import group_strokes
from digitpad.core.number_reader import NOT_A_NUMBER, NumberReading, read_number
from digitpad.core.preprocess import to_model_input
from digitpad.core.verdict import DIGIT, NOT_A_DIGIT, TOO_SMALL, UNSURE, Verdict
from digitpad.gui.explainer import Explainer
from digitpad.gui.model_hub import ActiveModel, ModelHub
from digitpad.gui.tabs.looked_at import LookedAt, caption
from digitpad.gui.widgets.draw_pad import DrawPad, PadMark
from digitpad.gui.widgets.image_view import ImageView

FRAME_SECONDS = 1 / 60     # at most one prediction per frame while the pen moves
MAX_ALTERNATIVES = 4       # an unsure number's readings offered as buttons
UNSURE_COLOUR = "#c08a20"
# In the big answer's place when there is no digit to show; the sentence goes under it.
VERDICT_WORDS = {NOT_A_DIGIT: "No digit", TOO_SMALL: "Too small"}
NUMBER_WORDS = {NOT_A_NUMBER: "Not a number", TOO_SMALL: "Too small"}
VERDICT_WORD_STYLE = "font-size: 28pt; color: #8a8f98;"  # a word, smaller than a digit


class DrawTab(QWidget):
    """Draw a digit, see what the model thinks after every stroke segment.

    While the pen moves, updates are coalesced: a move predicts at once if the last
    prediction is a frame old, otherwise a timer runs it at the next frame. Pen-up, undo,
    redo and clear predict at once, so the answer is final as soon as the drawing is.

    A digit key (or a click on a digit under the chart) saves the drawing as one of the
    user's own digits, whatever the model answered, and clears the pad for the next one;
    undo right after brings the drawing back and takes it out of the store again.
    """

    prediction_updated = Signal()  # after the chart, answer and preview reflect the pad
    my_digits_requested = Signal()  # the user asked to see the digits they saved
    explained = Signal(object)  # the finished drawing's Explanation, None for an empty pad

    def __init__(self, hub: ModelHub, parent: QWidget | None = None):
        super().__init__(parent)
        self.hub = hub
        self._last_update = -1.0
        self._probabilities: np.ndarray | None = None
        self._verdict = None  # the Verdict shown, if any
        self._image: np.ndarray | None = None  # the model input shown, if any
        self._last_saved: Sample | None = None  # while undo would take it back
        # A save undo took back, and the pad's redo count then: redo saves it again.
        self._taken_back: tuple[Sample, int] | None = None
        self._clearing_after_save = False
        self._reading: NumberReading | None = None  # the number shown, if any
        self._selected: int | None = None  # the number's digit in the chart and preview
        self._chosen: str | None = None  # an unsure number's alternative the user picked
        self._number_cache: dict = {}  # groups of strokes read before (core.number_reader)
        self._timer = QTimer(self, singleShot=True)
        self._timer.timeout.connect(self.update_prediction)

        self.pad = DrawPad()
        self.sent_label = QLabel("")  # names the test image sent from the Errors tab
        self.sent_label.setTextFormat(Qt.PlainText)
        self.sent_label.setAlignment(Qt.AlignCenter)
        self.sent_label.setVisible(False)
        self.chart = None  # a ProbabilityChart once add_chart() has run
        self._chart_placeholder = QWidget()
        self._chart_placeholder.setMinimumHeight(140)
        self.preview = ImageView(empty_text="What the model sees")
        self.preview.setToolTip("The 28x28 image the model sees: cropped, scaled to 20 px "
                                "and centred by mass, as in MNIST")
        self.explainer = Explainer(hub)
        self.explainer.explained.connect(self._on_explained)
        self.looked_at = LookedAt(self.preview)  # the map, updated when the pen lifts
        self.looked_at.box.toggled.connect(self._on_looked_at_toggled)
        self._explanation = None  # the Explanation of the drawing on the pad, once known
        self._to_explain = None   # (image, probabilities, verdict) of the finished drawing
        # Explain every finished drawing, not only while the map is shown (set while a tab
        # that shows explanations is open).
        self.explain_always = False
        self.answer = QLabel("")
        self.answer.setAlignment(Qt.AlignCenter)
        font = QFont()
        font.setPointSize(54)
        font.setBold(True)
        self.answer.setFont(font)
        self.answer.setMinimumHeight(90)
        self.detail = QLabel("Loading model…")
        self.detail.setTextFormat(Qt.PlainText)
        self.detail.setAlignment(Qt.AlignCenter)
        self.detail.setWordWrap(True)
        self.teach_buttons = []
        teach_row = QHBoxLayout()
        teach_row.setSpacing(2)
        teach_title = QLabel("It's a")
        teach_title.setToolTip("Save the drawing as one of your digits (or press its key)")
        teach_row.addWidget(teach_title)
        for digit in range(10):
            # Tool buttons: ten of them fit beside the chart in a 900 px window.
            button = QToolButton()
            button.setText(str(digit))
            button.setSizePolicy(QSizePolicy.Expanding, QSizePolicy.Fixed)
            button.setFocusPolicy(Qt.NoFocus)  # the pad keeps the keyboard
            button.setToolTip(f"Save this drawing as your {digit} (key {digit})")
            button.clicked.connect(lambda _=False, d=digit: self.save_as(d))
            teach_row.addWidget(button, 1)
            self.teach_buttons.append(button)
            for key in (str(digit), f"Num+{digit}"):
                # The window's while this tab shows (a hidden widget's shortcuts are off),
                # wherever the keyboard focus is on it: the tab has no text fields.
                shortcut = QShortcut(QKeySequence(key), self)
                shortcut.setContext(Qt.WindowShortcut)
                shortcut.activated.connect(lambda d=digit: self.save_as(d))
        self.saved_label = QLabel("")  # what the last save did
        self.saved_label.setTextFormat(Qt.PlainText)
        self.saved_label.setAlignment(Qt.AlignCenter)
        self.saved_label.setWordWrap(True)
        # Where the saved digits are, one click away: the Errors tab's "My digits".
        self.my_digits_button = QToolButton()
        self.my_digits_button.setText("Your digits…")
        self.my_digits_button.setFocusPolicy(Qt.NoFocus)  # the pad keeps the keyboard
        self.my_digits_button.setToolTip("See the digits you saved, how the model reads "
                                         "them, and adapt it to them (Errors tab, My digits)")
        self.my_digits_button.clicked.connect(self.my_digits_requested)
        # An unsure number's likeliest readings, one click each.
        self.alternatives = QHBoxLayout()
        self.alternative_buttons = [QPushButton() for _ in range(MAX_ALTERNATIVES)]
        self.alternatives.addStretch(1)
        for button in self.alternative_buttons:
            button.setVisible(False)
            button.clicked.connect(lambda _=False, b=button: self._choose(b.text()))
            self.alternatives.addWidget(button)
        self.alternatives.addStretch(1)

        self.undo_button = QPushButton("Undo")
        self.redo_button = QPushButton("Redo")
        self.clear_button = QPushButton("Clear")
        self.undo_button.setToolTip("Undo the last stroke (Ctrl+Z)")
        self.redo_button.setToolTip("Redo (Ctrl+Shift+Z)")
        self.clear_button.setToolTip("Clear the pad (Esc)")
        self.undo_button.clicked.connect(self.undo)
        self.redo_button.clicked.connect(self.redo)
        self.clear_button.clicked.connect(self.pad.clear)
        self.pen_slider = QSlider(Qt.Horizontal)
        self.pen_slider.setRange(2, 12)
        self.pen_slider.setValue(round(self.pad.pen_width() * 100))
        self.pen_slider.setToolTip("Pen width on screen (what the model sees is normalised)")
        self.pen_slider.valueChanged.connect(lambda v: self.pad.set_pen_width(v / 100))

        buttons = QHBoxLayout()
        for button in (self.undo_button, self.redo_button, self.clear_button):
            buttons.addWidget(button)
        buttons.addSpacing(12)
        buttons.addWidget(QLabel("Pen"))
        buttons.addWidget(self.pen_slider, 1)
        left = QVBoxLayout()
        left.addWidget(self.sent_label)
        left.addWidget(self.pad, 1)
        left.addLayout(buttons)

        right = self._right_column = QVBoxLayout()
        right.addWidget(self.answer)
        right.addWidget(self.detail)
        right.addLayout(self.alternatives)
        right.addWidget(self._chart_placeholder, 3)
        right.addLayout(teach_row)
        saved_row = QHBoxLayout()
        saved_row.addWidget(self.saved_label, 1)
        saved_row.addWidget(self.my_digits_button)
        right.addLayout(saved_row)
        preview_title = QLabel("What the model sees (28×28)")
        preview_title.setAlignment(Qt.AlignCenter)
        right.addSpacing(8)
        right.addWidget(preview_title)
        right.addWidget(self.preview, 0, Qt.AlignHCenter)
        right.addWidget(self.looked_at)
        right.addStretch(1)

        layout = QHBoxLayout(self)
        layout.addLayout(left, 3)
        layout.addLayout(right, 2)

        self.pad.changed.connect(self._on_pad_changed)
        self.pad.mark_clicked.connect(self._on_mark_clicked)
        hub.model_changed.connect(self._on_model_changed)
        hub.loading_started.connect(self._on_loading_started)
        hub.my_digits.saved.connect(self._on_saved)
        hub.my_digits.failed.connect(self._on_store_failed)
        self._refresh_buttons()

    def add_chart(self) -> None:
        """Put the probability chart in its place (after the window's first frame: its
        plotting library takes half a second to import)."""
        from digitpad.gui.widgets.probability_chart import ProbabilityChart

        self.chart = ProbabilityChart()
        self._right_column.replaceWidget(self._chart_placeholder, self.chart)
        self._chart_placeholder.deleteLater()
        self.chart.set_probabilities(self._probabilities)

    def probabilities(self) -> np.ndarray | None:
        """The probabilities currently displayed, or None when nothing is shown."""
        return None if self._probabilities is None else self._probabilities.copy()

    def verdict(self) -> int | None:
        """The digit shown as the answer, or None when the tab shows no digit (nothing
        drawn, "not sure", "not a digit", "draw larger", or a number of several digits)."""
        if self._verdict is None or self._verdict.kind != DIGIT:
            return None
        return self._verdict.digit

    def save_as(self, label: int) -> bool:
        """Save the drawing as the user's ``label`` and clear the pad; False if nothing is
        drawn. Only queues the write: the store is written in the background."""
        if self.pad.is_drawing():
            return False
        if self._reading is not None or self.pad.has_background():
            self.saved_label.setStyleSheet("color: #c0392b;")
            self.saved_label.setText("Not saved: your digits are taught one at a time, "
                                     "drawn on the pad" if self._reading is not None else
                                     "Not saved: only what you draw is your handwriting")
            return False
        if self._image is None:
            return False
        verdict = self._verdict
        reading = ("" if verdict is None else
                   str(verdict.digit) if verdict.kind == DIGIT else verdict.kind)
        side = min(self.pad.width(), self.pad.height())
        sample = Sample(label, self.pad.strokes(), image_to_uint8(self._image),
                        pad_size=(side, side), reading=reading,
                        model=self.hub.active.name if self.hub.active else "")
        self._save(sample, self.pad.clear)
        return True

    def _save(self, sample: Sample, clear_pad) -> None:
        """Queue ``sample`` for the store and clear the pad with ``clear_pad`` (undo can
        take the save back while nothing is drawn since)."""
        self.hub.my_digits.save(sample)
        self._clearing_after_save = True
        try:
            clear_pad()
        finally:
            self._clearing_after_save = False
        self._last_saved = sample
        self.saved_label.setStyleSheet("")
        self.saved_label.setText(f"Saving as {sample.label}…")

    def undo(self) -> None:
        """Undo the last stroke; right after a save, bring the drawing back and unsave it."""
        sample, self._last_saved = self._last_saved, None
        if sample is not None:
            self.hub.my_digits.forget(sample)
            self.saved_label.setStyleSheet("")
            self.saved_label.setText(f"Not saved: taken back from your {sample.label}s")
        self.pad.undo()
        if sample is not None:
            self._taken_back = (sample, self.pad.redo_count())

    def redo(self) -> None:
        """Redo what undo undid; where that is a save taken back, save it again."""
        taken_back, self._taken_back = self._taken_back, None
        if taken_back is None or self.pad.redo_count() != taken_back[1]:
            self.pad.redo()  # a stroke (or a save's clear the pad no longer matches)
            return
        self._save(taken_back[0], self.pad.redo)  # the pad's redo is the save's clear

    def show_sent_image(self, image28: np.ndarray, name: str) -> None:
        """Put an image (``name``: what it is) on the pad exactly as the model sees it."""
        self.pad.set_background(image28, name)

    def number(self) -> str | None:
        """The digits shown as the answer ("2024", "3.14", "7"), or None when no number is
        shown (nothing drawn, too small, not a digit, or a digit unsure and not picked)."""
        if self._reading is not None:
            return self._chosen or self._reading.number()
        digit = self.verdict()
        return None if digit is None else str(digit)

    def number_reading(self) -> NumberReading | None:
        """The number read from the pad when several digits (or a point) are drawn."""
        return self._reading

    def select_digit(self, index: int) -> None:
        """Show digit ``index`` of the number in the chart and preview, its box emphasised."""
        if self._reading is None or not 0 <= index < len(self._reading.digits):
            return
        self._select(index)
        self.prediction_updated.emit()

    def _select(self, index: int | None) -> None:
        digit = self._reading.digits[index] if index is not None else None
        self._selected = index
        self._probabilities = digit.probabilities if digit is not None else None
        if self.chart is not None:
            self.chart.set_probabilities(self._probabilities)
        self.preview.set_image(digit.image if digit is not None else None)
        self.pad.set_marks(self.pad.marks(), index)

    def update_prediction(self) -> None:
        """Preprocess the pad once, predict, and update chart, answer and preview."""
        self._timer.stop()
        self._last_update = time.perf_counter()
        self._reading, self._selected, self._chosen = None, None, None
        self._image = None  # a number is taught one digit at a time
        self._show_alternatives([])
        strokes, grouping = self._grouping()
        if grouping is not None and (len(grouping.groups) > 1 or grouping.point):
            self._show_number(self._read_number(strokes))
            self._request_explanation(None, None)  # a number: no one drawing to explain
            self.prediction_updated.emit()
            return
        image = self._model_input()
        self.preview.set_image(image)
        reading = self.hub.read(image, self.pad.ink_extent()) if image is not None else None
        probabilities, verdict = reading if reading is not None else (None, None)
        self._image = image
        self.pad.set_marks([])
        if (verdict is not None and verdict.kind in (NOT_A_DIGIT, TOO_SMALL)
                and self.pad.sent_image() is None):
            # No digit to chart; but a sent test image shows what the Errors tab showed.
            probabilities = None
        self._probabilities, self._verdict = probabilities, verdict
        if self.chart is not None:
            self.chart.set_probabilities(probabilities)
        self._show_answer(verdict, drawn=image is not None)
        self._request_explanation(image, reading)
        self.prediction_updated.emit()

    def explanation(self):
        """The :class:`~digitpad.core.explain.Explanation` of the drawing on the pad, or
        None while there is none (nothing drawn, the pen down, or not computed yet)."""
        return self._explanation

    def explain_drawing(self) -> None:
        """Explain the finished drawing now (off the GUI thread), if not done already;
        ``explained`` follows."""
        if self._explanation is not None or self._to_explain is None:
            return
        image, probabilities, verdict = self._to_explain
        if verdict.kind == UNSURE:
            self.explainer.request(image, *verdict.candidates)
        else:  # the layers and map of its best digit, shown when the answer is a digit
            self.explainer.request(image, int(np.argmax(probabilities)))

    def _request_explanation(self, image: np.ndarray | None, reading) -> None:
        """On pen-up (and undo, redo, clear), explain the finished drawing off the GUI
        thread when anything shows it; while the pen moves, drop the old explanation: it
        no longer fits the pad."""
        self._explanation = self._to_explain = None
        self.looked_at.set_map(None)
        self.explainer.cancel()
        if image is None or reading is None or self.pad.is_drawing():
            if image is None:
                self.explained.emit(None)
            return
        self._to_explain = (image, *reading)
        if self.explain_always or self.looked_at.box.isChecked():
            self.explain_drawing()

    def _on_looked_at_toggled(self, checked: bool) -> None:
        if checked:
            self.explain_drawing()

    def _on_explained(self, _tag, explanation) -> None:
        self._explanation = explanation
        if self._verdict is not None and self._verdict.kind in (DIGIT, UNSURE):
            self.looked_at.set_map(explanation.heat, caption(explanation))
        self.explained.emit(explanation)

    def _grouping(self):
        """The pad's strokes and how they group into digits; (None, None) when there is no
        number to read (no model, nothing drawn, or an image sent to the pad)."""
        if self.hub.active is None or self.pad.has_background():
            return None, None
        strokes = self.pad.strokes()
        return (strokes, group_strokes(strokes)) if strokes else (None, None)

    def _read_number(self, strokes) -> NumberReading:
        # While the pen moves each group is read whole (a frame's budget); touching digits
        # are looked for once the drawing is final.
        return read_number(strokes, self.hub.active.predictor, pad_side=1.0,
                           cache=self._number_cache, split=not self.pad.is_drawing())

    def _show_number(self, reading: NumberReading) -> None:
        self._reading, self._verdict = reading, None
        kinds = {"digit": "digit", "unsure": "unsure"}
        self.pad.set_marks([PadMark(d.box, d.text or "✗", kinds.get(d.verdict.kind, "culprit"))
                            for d in reading.digits])
        if reading.text():
            self._set_answer(reading.text(), f"color: {UNSURE_COLOUR};" if reading.unsure() else "")
        else:
            self._set_answer(NUMBER_WORDS.get(reading.kind, ""), VERDICT_WORD_STYLE)
        self.detail.setText(reading.describe())
        self._show_alternatives(reading.alternatives())
        # The digit to look at first: one that is not read, else the rightmost.
        flagged = reading.culprits() + reading.unsure()
        readable = [i for i, d in enumerate(reading.digits) if d.probabilities is not None]
        self._select(min(flagged) if flagged else (readable[-1] if readable else None))

    def _show_alternatives(self, alternatives: list[str]) -> None:
        for n, button in enumerate(self.alternative_buttons):
            button.setVisible(n < len(alternatives))
            if n < len(alternatives):
                button.setText(alternatives[n])
                button.setToolTip(f"Read the number as {alternatives[n]}")

    def _choose(self, text: str) -> None:
        """The user picked ``text`` among an unsure number's alternatives."""
        if self._reading is None:
            return
        self._chosen = text
        self._set_answer(text)
        self.detail.setText(f"{text}: picked by you")
        self._show_alternatives([])
        self.prediction_updated.emit()

    def _on_mark_clicked(self, index: int) -> None:
        self.select_digit(index)

    def _show_answer(self, verdict: Verdict | None, drawn: bool) -> None:
        if verdict is None:
            self._set_answer("")
            if self.hub.active is None:
                self.detail.setText("Loading model…" if drawn or self.hub.is_loading
                                    else "No model loaded")
            else:
                self.detail.setText("Draw a digit" if not drawn else "")
            return
        self.detail.setText(verdict.text())
        if verdict.kind == DIGIT:
            self._set_answer(str(verdict.digit))
        elif verdict.kind == UNSURE:
            self._set_answer("?", f"color: {UNSURE_COLOUR};")
        else:  # not a digit, or too small to read: a word where the digit would be
            self._set_answer(VERDICT_WORDS[verdict.kind], VERDICT_WORD_STYLE)

    def _set_answer(self, text: str, style: str = "") -> None:
        # A new style sheet re-polishes the label: only when it changes, not every frame.
        if self.answer.styleSheet() != style:
            self.answer.setStyleSheet(style)
        self.answer.setText(text)

    def _model_input(self) -> np.ndarray | None:
        sent = self.pad.sent_image()
        if sent is not None:
            return sent  # already preprocessed: a second pass would change what is read
        ink = self.pad.render_ink()
        return to_model_input(ink) if ink is not None else None

    def _on_pad_changed(self) -> None:
        if not self._clearing_after_save:
            self._last_saved = None  # drawn on since: undo is the pad's own again
        if not self.pad.can_redo():
            self._taken_back = None  # a new edit: the save taken back is not redone
        self._refresh_buttons()
        # Named until the user draws on it or clears it: then it is their drawing.
        name = self.pad.background_name() if self.pad.sent_image() is not None else ""
        self.sent_label.setText(f"{name} (as the model sees it)" if name else "")
        self.sent_label.setVisible(bool(name))
        wait = FRAME_SECONDS - (time.perf_counter() - self._last_update)
        if wait <= 0 or not self.pad.is_drawing():
            self.update_prediction()
        elif not self._timer.isActive():
            self._timer.start(max(1, int(wait * 1000)))

    def _on_saved(self, saved) -> None:
        if saved.id is None:
            text = "That drawing is saved already"
        else:
            text = (f"Saved as {saved.label}: {saved.count} of your {saved.label}s"
                    if saved.count > 1 else f"Saved as {saved.label}: your first {saved.label}")
        self.saved_label.setStyleSheet("")
        self.saved_label.setText(text)

    def _on_store_failed(self, message: str, file: str) -> None:
        if file:  # an import or export, which My digits reports
            return
        self.saved_label.setStyleSheet("color: #c0392b;")
        self.saved_label.setText(f"Not saved: {message}")

    def _on_model_changed(self, active: ActiveModel) -> None:
        self._number_cache.clear()  # groups were read by the previous model
        self.update_prediction()

    def _on_loading_started(self, path: str) -> None:
        if self.hub.active is None:
            self.detail.setText("Loading model…")

    def _refresh_buttons(self) -> None:
        self.undo_button.setEnabled(self.pad.can_undo())
        self.redo_button.setEnabled(self.pad.can_redo())
        self.clear_button.setEnabled(not self.pad.is_empty())
        for button in self.teach_buttons:
            button.setEnabled(not self.pad.is_empty())
