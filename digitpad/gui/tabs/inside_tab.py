"""Inside tab: what each layer of the active model computes for the drawing on the pad."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QScrollArea, QVBoxLayout, QWidget

from digitpad.core.tiles import filter_response_pairs, maps_grid
from digitpad.gui.model_hub import ActiveModel, ModelHub
from digitpad.gui.widgets.image_view import GridView, ImageView

EMPTY_TEXT = "Draw a digit on the Draw tab: each layer's response to it appears here."


class InsideTab(QWidget):
    """Small multiples of every hidden layer's outputs, and each first-layer filter beside
    its response, for the Draw pad's latest finished drawing.

    The window hands it each :class:`~digitpad.core.explain.Explanation` the Draw tab
    receives (after every pen-up); the arrays come computed from a worker thread, so the
    GUI thread only lays them out as images.
    """

    shown = Signal()  # after the panels show the latest explanation

    def __init__(self, hub: ModelHub, parent: QWidget | None = None):
        super().__init__(parent)
        self.hub = hub
        self._filters: np.ndarray | None = None  # the first convolution's kernels
        self._names: tuple[str, ...] = ()  # the layers the rows were built for
        self.explanation = None

        self.status = QLabel(EMPTY_TEXT)
        self.status.setTextFormat(Qt.PlainText)
        self.status.setWordWrap(True)
        self.image = ImageView(empty_text="")
        self.image.setFixedSize(84, 84)
        top = QHBoxLayout()
        top.addWidget(self.image)
        top.addWidget(self.status, 1)

        self.filters_title = QLabel("First layer: each filter (left, grey = 0) and its "
                                    "response to the drawing (right)")
        self.filters_view = GridView()
        self._rows = QVBoxLayout()
        self._rows.setSpacing(4)
        self._row_widgets: list[tuple[QLabel, GridView]] = []
        content = QWidget()
        column = QVBoxLayout(content)
        column.addWidget(self.filters_title)
        column.addWidget(self.filters_view)
        column.addLayout(self._rows)
        column.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(content)

        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(scroll, 1)
        self._set_filters_visible(False)
        hub.model_changed.connect(self._on_model_changed)
        if hub.active is not None:
            self._on_model_changed(hub.active)

    def layer_views(self) -> list[tuple[str, GridView]]:
        """(title, view) of each hidden layer's row, in model order."""
        return [(label.text(), view) for label, view in self._row_widgets]

    def show_explanation(self, explanation) -> None:
        """Show every layer's outputs for ``explanation`` (from the active model); None
        when the pad is empty."""
        if explanation is None:
            self.clear()
            return
        self.explanation = explanation
        names = tuple(layer.name for layer in explanation.layers)
        if names != self._names:
            self._build_rows(explanation.layers)
        for (label, view), layer in zip(self._row_widgets, explanation.layers):
            label.setText(_title(layer))
            view.set_image(maps_grid(layer.maps, _columns(layer.maps)))
        first = explanation.layers[0].maps if explanation.layers else None
        pairs = (self._filters is not None and first is not None and first.ndim == 3
                 and first.shape[2] == len(self._filters))
        self._set_filters_visible(pairs)
        if pairs:
            self.filters_view.set_image(filter_response_pairs(self._filters, first))
        self.image.set_image(explanation.image)
        self.status.setText(f"Read as {explanation.digit}. Each square is one channel of a "
                            f"layer, brighter where it responds more (one scale per layer).")
        self.shown.emit()

    def clear(self) -> None:
        """Nothing on the pad: no layer outputs to show."""
        self.explanation = None
        self._build_rows(())
        self._set_filters_visible(False)
        self.image.set_image(None)
        self.status.setText(EMPTY_TEXT)

    def _set_filters_visible(self, visible: bool) -> None:
        self.filters_title.setVisible(visible)
        self.filters_view.setVisible(visible)

    def _build_rows(self, layers) -> None:
        """One title and one grid per hidden layer: built once per model's layers, then
        updated in place."""
        for label, view in self._row_widgets:
            label.deleteLater()
            view.deleteLater()
        self._row_widgets = []
        for layer in layers:
            label, view = QLabel(_title(layer)), GridView()
            label.setTextFormat(Qt.PlainText)  # layer names come from the model file
            self._rows.addWidget(label)
            self._rows.addWidget(view)
            self._row_widgets.append((label, view))
        self._names = tuple(layer.name for layer in layers)

    def _on_model_changed(self, active: ActiveModel) -> None:
        from digitpad.core.explain import first_layer_filters
        from digitpad.core.registry import ModelError

        try:
            self._filters = first_layer_filters(active.predictor)
        except ModelError as exc:
            self._filters = None
            self.clear()
            self.status.setText(f"This model's layers cannot be shown: {exc}")
            return
        self.clear()


def _title(layer) -> str:
    maps = layer.maps
    if maps.ndim == 3:
        return f"{layer.name}: {maps.shape[2]} maps of {maps.shape[0]}×{maps.shape[1]}"
    return f"{layer.name}: {maps.size} values"


def _columns(maps: np.ndarray) -> int:
    """Wide rows for the small multiples: a layer's maps in at most four rows."""
    count = maps.shape[2] if maps.ndim == 3 else maps.size
    return count if maps.ndim == 1 else max(8, int(np.ceil(count / 4)))
