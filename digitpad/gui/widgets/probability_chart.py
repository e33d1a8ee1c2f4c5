"""Bar chart of the 10 class probabilities, updated in place (pyqtgraph)."""

from __future__ import annotations

import numpy as np
from digitpad.gui.widgets.plotting import pg
from PySide6.QtWidgets import QWidget

BAR_COLOUR = (90, 140, 200)
TOP_COLOUR = (255, 170, 40)


class ProbabilityChart(pg.PlotWidget):
    """Probabilities of digits 0-9; the most likely digit's bar is highlighted."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent, background=None)
        self._probabilities: np.ndarray | None = None
        self.setMouseEnabled(False, False)
        self.hideButtons()
        self.setMenuEnabled(False)
        self.setYRange(0, 1, padding=0.02)
        self.setXRange(-0.6, 9.6, padding=0)
        self.setMinimumHeight(140)
        axis = self.getAxis("bottom")
        axis.setTicks([[(d, str(d)) for d in range(10)]])
        self.getAxis("left").setTicks([[(v, f"{v:.0%}") for v in (0, 0.25, 0.5, 0.75, 1.0)]])
        self.showGrid(y=True, alpha=0.2)
        self._bars = pg.BarGraphItem(x=np.arange(10), height=np.zeros(10), width=0.7,
                                     brushes=[pg.mkBrush(BAR_COLOUR)] * 10, pen=None)
        self.addItem(self._bars)
        self._brushes = [pg.mkBrush(BAR_COLOUR), pg.mkBrush(TOP_COLOUR)]

    def set_probabilities(self, probabilities: np.ndarray | None) -> None:
        """Show (10,) probabilities, or an empty chart for None."""
        if probabilities is None:
            self._probabilities = None
            self._bars.setOpts(height=np.zeros(10))
            return
        self._probabilities = np.asarray(probabilities, dtype=np.float32).copy()
        top = int(self._probabilities.argmax())
        brushes = [self._brushes[d == top] for d in range(10)]
        self._bars.setOpts(height=self._probabilities, brushes=brushes)

    def probabilities(self) -> np.ndarray | None:
        """What the chart currently shows."""
        return None if self._probabilities is None else self._probabilities.copy()
