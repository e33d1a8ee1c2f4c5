"""Map tab: the 10,000 MNIST test images laid out by what the active model makes of them."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (QHBoxLayout, QLabel, QProgressBar, QVBoxLayout, QWidget)

from digitpad.gui.model_hub import ActiveModel, ModelHub
from digitpad.gui.test_set_map import MapOfTestSet, MapView
from digitpad.gui.widgets.digit_map import DIGIT_COLOURS, DigitMap
from digitpad.gui.widgets.image_view import ImageView


class MapTab(QWidget):
    """Every test image as a point, placed by the model's penultimate-layer features:
    coloured by its true digit, ringed when the model gets it wrong; hover shows it, a click
    opens it in the Errors tab; the Draw pad's drawing is the star.

    A quick PCA view comes first, a t-SNE layout replaces it when ready (see
    :mod:`digitpad.gui.test_set_map`).
    """

    open_test_image = Signal(int)  # a test-set index the user clicked

    def __init__(self, hub: ModelHub, parent: QWidget | None = None):
        super().__init__(parent)
        self.hub = hub
        self.maps = MapOfTestSet(hub)
        self.view: MapView | None = None
        self._drawing_features: np.ndarray | None = None
        self._stale = True  # the active model's map has not been asked for yet

        self.status = QLabel("The map appears when the tab opens.")
        self.status.setTextFormat(Qt.PlainText)
        self.status.setWordWrap(True)
        self.progress = QProgressBar()
        self.progress.setVisible(False)
        self.plot = DigitMap()
        self.hover_image = ImageView(empty_text="Point at an image")
        self.hover_text = QLabel("")
        self.hover_text.setTextFormat(Qt.PlainText)
        self.hover_text.setWordWrap(True)
        legend = QLabel(" ".join(
            f"<span style='color: rgb{colour}'>&#9679;&nbsp;{digit}</span>"
            for digit, colour in enumerate(DIGIT_COLOURS)) +
            "<br>ringed: the model's mistakes<br>&#9733; the drawing on the Draw pad")
        legend.setTextFormat(Qt.RichText)  # our own text only
        legend.setWordWrap(True)

        side = QVBoxLayout()
        side.addWidget(self.hover_image)
        side.addWidget(self.hover_text)
        side.addWidget(legend)
        side.addStretch(1)
        body = QHBoxLayout()
        body.addWidget(self.plot, 4)
        body.addLayout(side, 1)
        layout = QVBoxLayout(self)
        layout.addWidget(self.status)
        layout.addWidget(self.progress)
        layout.addLayout(body, 1)

        self.maps.updated.connect(self._on_updated)
        self.maps.progress.connect(self._on_progress)
        self.maps.failed.connect(self._on_failed)
        self.plot.hovered.connect(self._on_hovered)
        self.plot.clicked.connect(self._on_clicked)
        hub.model_changed.connect(self._on_model_changed)
        hub.data.changed.connect(self._on_data_changed)

    def show_drawing(self, explanation) -> None:
        """Place the Draw pad's drawing (its Explanation, None for an empty pad) as the star."""
        self._drawing_features = None if explanation is None else explanation.features
        self._place_drawing()

    def showEvent(self, event) -> None:
        super().showEvent(event)
        if self._stale:
            self._stale = False
            self.maps.request()

    def _on_model_changed(self, active: ActiveModel) -> None:
        self._drawing_features = None  # the old model's features: the pad re-explains
        self.plot.set_live(None)
        self._refresh_when_shown()

    def _refresh_when_shown(self) -> None:
        self._stale = True
        if self.isVisible():
            self._stale = False
            self.maps.request()

    def _on_data_changed(self, folder) -> None:
        self.maps.forget_data()
        self._refresh_when_shown()

    def _on_updated(self, view: MapView) -> None:
        if self.hub.active is None or view.key != self.hub.active.key:
            return
        self.view = view
        self.plot.set_points(view.positions, view.labels, view.predictions != view.labels)
        errors = int((view.predictions != view.labels).sum())
        if view.final:
            self.progress.setVisible(False)
            self.status.setText(f"{len(view.indices):,} test images by {view.method} of the "
                                f"model's penultimate layer; {errors:,} mistakes ringed.")
        else:
            self.status.setText(f"Quick view: {len(view.indices):,} test images by "
                                f"{view.method}; a t-SNE layout, which keeps similar images "
                                f"together better, is on its way…")
        self._place_drawing()

    def _on_progress(self, what: str, done: int, total: int) -> None:
        self.progress.setVisible(True)
        self.progress.setFormat(f"{what}… %p%")
        self.progress.setMaximum(total)
        self.progress.setValue(done)

    def _on_failed(self, message: str) -> None:
        self.progress.setVisible(False)
        self._stale = True  # try again the next time the tab opens
        self.status.setText(f"The map could not be made: {message}")

    def _place_drawing(self) -> None:
        if self.view is None or self._drawing_features is None \
                or self._drawing_features.shape != self.view.values.shape[1:]:
            self.plot.set_live(None)
            return
        self.plot.set_live(self.view.place(self._drawing_features))

    def _on_hovered(self, row: int) -> None:
        images = self.maps.images()
        if row < 0 or self.view is None or images is None:
            return
        index = int(self.view.indices[row])
        self.hover_image.set_image(images[index])
        label, predicted = int(self.view.labels[row]), int(self.view.predictions[row])
        verdict = "right" if label == predicted else f"read as {predicted}"
        self.hover_text.setText(f"Test image #{index}: a {label}, {verdict}. Click to open "
                                f"it in the Errors tab.")

    def _on_clicked(self, row: int) -> None:
        if self.view is not None:
            self.open_test_image.emit(int(self.view.indices[row]))
