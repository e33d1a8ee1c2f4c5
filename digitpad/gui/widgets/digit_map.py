"""A scatter map of many images: coloured by digit, mistakes ringed, one live point."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPointF, Signal
from PySide6.QtWidgets import QWidget

from digitpad.gui.widgets.plotting import pg

# Ten distinct colours (Tableau's), one per digit.
DIGIT_COLOURS = ((31, 119, 180), (255, 127, 14), (44, 160, 44), (214, 39, 40),
                 (148, 103, 189), (140, 86, 75), (227, 119, 194), (127, 127, 127),
                 (188, 189, 34), (23, 190, 207))
PICK_PIXELS = 8  # a point this close to the pointer (in screen pixels) is under it


class DigitMap(pg.PlotWidget):
    """Points at 2-D positions, filled by true digit; mistakes get a black ring; the
    drawing on the pad is a large star.

    Signals
    -------
    hovered(int)
        The point under the pointer (its row in :meth:`set_points`'s arrays), -1 for none.
    clicked(int)
        A point was clicked.
    """

    hovered = Signal(int)
    clicked = Signal(int)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setAspectLocked(True)
        self.hideAxis("left")
        self.hideAxis("bottom")
        self.setMenuEnabled(False)
        self._positions = np.zeros((0, 2), np.float32)
        self._brushes = [pg.mkBrush(*colour, 170) for colour in DIGIT_COLOURS]
        self._points = pg.ScatterPlotItem(size=5, pen=None)
        self._rings = pg.ScatterPlotItem(size=9, pen=pg.mkPen(0, 0, 0, 220, width=1.2),
                                         brush=None)
        self._live = pg.ScatterPlotItem(size=22, symbol="star", pen=pg.mkPen("k", width=1.5),
                                        brush=pg.mkBrush(255, 215, 0))
        for item in (self._points, self._rings, self._live):
            self.addItem(item)
        self._hovered = -1
        self.scene().sigMouseMoved.connect(self._on_mouse_moved)
        self.scene().sigMouseClicked.connect(self._on_mouse_clicked)

    def set_points(self, positions: np.ndarray, labels: np.ndarray,
                   mistakes: np.ndarray) -> None:
        """Show ``positions`` (n, 2), filled by ``labels`` (n,), ringed where ``mistakes``."""
        self._positions = np.asarray(positions, np.float32)
        self._points.setData(pos=self._positions,
                             brush=[self._brushes[int(label)] for label in labels])
        self._rings.setData(pos=self._positions[np.asarray(mistakes, bool)])
        self.autoRange(padding=0.04)

    def set_live(self, position: np.ndarray | None) -> None:
        """Put the star at ``position`` (2,), or remove it."""
        self._live.setData(pos=[] if position is None else [tuple(map(float, position))])

    def live_position(self) -> tuple[float, float] | None:
        points = self._live.data
        return None if not len(points) else (float(points[0]["x"]), float(points[0]["y"]))

    def point_at(self, scene_position: QPointF) -> int:
        """The row of the point nearest ``scene_position`` within PICK_PIXELS, or -1."""
        if not len(self._positions):
            return -1
        view = self.getPlotItem().getViewBox()
        where = view.mapSceneToView(scene_position)
        pixel = view.viewPixelSize()  # view units per screen pixel, (x, y)
        offsets = (self._positions - (where.x(), where.y())) / np.asarray(pixel, np.float32)
        distances = (offsets ** 2).sum(axis=1)
        nearest = int(distances.argmin())
        return nearest if distances[nearest] <= PICK_PIXELS ** 2 else -1

    def scene_position(self, row: int) -> QPointF:
        """Where point ``row`` is in the scene (to click it in tests)."""
        view = self.getPlotItem().getViewBox()
        x, y = self._positions[row]
        return view.mapViewToScene(QPointF(float(x), float(y)))

    def _on_mouse_moved(self, scene_position) -> None:
        row = self.point_at(scene_position)
        if row != self._hovered:
            self._hovered = row
            self.hovered.emit(row)

    def _on_mouse_clicked(self, event) -> None:
        row = self.point_at(event.scenePos())
        if row >= 0:
            self.clicked.emit(row)
