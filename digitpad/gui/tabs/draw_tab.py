"""Draw tab: the pad, live probabilities, the big answer, and what the model sees."""

from __future__ import annotations

import time

import numpy as np
from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (QHBoxLayout, QLabel, QPushButton, QSlider, QVBoxLayout, QWidget)

from digitpad.core.preprocess import to_model_input
from digitpad.core.verdict import DIGIT, NOT_A_DIGIT, TOO_SMALL, UNSURE, Verdict
from digitpad.gui.model_hub import ActiveModel, ModelHub
from digitpad.gui.widgets.draw_pad import DrawPad
from digitpad.gui.widgets.image_view import ImageView

FRAME_SECONDS = 1 / 60     # at most one prediction per frame while the pen moves
UNSURE_COLOUR = "#c08a20"
# In the big answer's place when there is no digit to show; the sentence goes under it.
VERDICT_WORDS = {NOT_A_DIGIT: "No digit", TOO_SMALL: "Too small"}
VERDICT_WORD_STYLE = "font-size: 28pt; color: #8a8f98;"  # a word, smaller than a digit


class DrawTab(QWidget):
    """Draw a digit, see what the model thinks after every stroke segment.

    While the pen moves, updates are coalesced: a move predicts at once if the last
    prediction is a frame old, otherwise a timer runs it at the next frame. Pen-up, undo,
    redo and clear predict at once, so the answer is final as soon as the drawing is.
    """

    prediction_updated = Signal()  # after the chart, answer and preview reflect the pad

    def __init__(self, hub: ModelHub, parent: QWidget | None = None):
        super().__init__(parent)
        self.hub = hub
        self._last_update = -1.0
        self._probabilities: np.ndarray | None = None
        self._verdict = None  # the Verdict shown, if any
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

        self.undo_button = QPushButton("Undo")
        self.redo_button = QPushButton("Redo")
        self.clear_button = QPushButton("Clear")
        self.undo_button.setToolTip("Undo the last stroke (Ctrl+Z)")
        self.redo_button.setToolTip("Redo (Ctrl+Shift+Z)")
        self.clear_button.setToolTip("Clear the pad (Esc)")
        self.undo_button.clicked.connect(self.pad.undo)
        self.redo_button.clicked.connect(self.pad.redo)
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
        right.addWidget(self._chart_placeholder, 3)
        preview_title = QLabel("What the model sees (28×28)")
        preview_title.setAlignment(Qt.AlignCenter)
        right.addSpacing(8)
        right.addWidget(preview_title)
        right.addWidget(self.preview, 0, Qt.AlignHCenter)
        right.addStretch(1)

        layout = QHBoxLayout(self)
        layout.addLayout(left, 3)
        layout.addLayout(right, 2)

        self.pad.changed.connect(self._on_pad_changed)
        hub.model_changed.connect(self._on_model_changed)
        hub.loading_started.connect(self._on_loading_started)
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
        drawn, "not sure", "not a digit" or "draw larger")."""
        if self._verdict is None or self._verdict.kind != DIGIT:
            return None
        return self._verdict.digit

    def show_test_image(self, image28: np.ndarray, index: int) -> None:
        """Put MNIST test image ``index`` on the pad exactly as the model sees it."""
        self.pad.set_background(image28, f"test image #{index}")

    def update_prediction(self) -> None:
        """Preprocess the pad once, predict, and update chart, answer and preview."""
        self._timer.stop()
        self._last_update = time.perf_counter()
        image = self._model_input()
        self.preview.set_image(image)
        reading = self.hub.read(image, self.pad.ink_extent()) if image is not None else None
        probabilities, verdict = reading if reading is not None else (None, None)
        if (verdict is not None and verdict.kind in (NOT_A_DIGIT, TOO_SMALL)
                and self.pad.sent_image() is None):
            # No digit to chart; but a sent test image shows what the Errors tab showed.
            probabilities = None
        self._probabilities, self._verdict = probabilities, verdict
        if self.chart is not None:
            self.chart.set_probabilities(probabilities)
        self._show_answer(verdict, drawn=image is not None)
        self.prediction_updated.emit()

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

    def _on_model_changed(self, active: ActiveModel) -> None:
        self.update_prediction()

    def _on_loading_started(self, path: str) -> None:
        if self.hub.active is None:
            self.detail.setText("Loading model…")

    def _refresh_buttons(self) -> None:
        self.undo_button.setEnabled(self.pad.can_undo())
        self.redo_button.setEnabled(self.pad.can_redo())
        self.clear_button.setEnabled(not self.pad.is_empty())
