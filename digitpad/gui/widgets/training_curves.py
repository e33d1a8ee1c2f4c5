"""Live training curves: batch and smoothed loss, per-epoch accuracy, first-layer weights."""

from __future__ import annotations

import math

from PySide6.QtWidgets import QHBoxLayout, QLabel, QVBoxLayout, QWidget

from digitpad.core.curves import LOSS_FLOOR, accuracy_floor, loss_decades, smoothed_log_loss
from digitpad.gui.widgets.image_view import ImageView
from digitpad.gui.widgets.plotting import pg

LEFT_AXIS_WIDTH = 44  # pixels; fits "0.001" and "0.995"
TRAIN_COLOUR, VALIDATION_COLOUR = (40, 90, 200), (220, 110, 30)
EMPTY_LOSS_DECADES = (-2, 1)  # log10: 0.01 to 10, before a run's first loss
MAX_EPOCH_TICKS = 10


def epoch_tick_step(epochs: int) -> int:
    """Whole epochs between ticks: every epoch for short runs, at most about ten ticks."""
    return max(1, math.ceil(epochs / MAX_EPOCH_TICKS))


class TrainingCurves(QWidget):
    """The curves of one run, updated in place as its reports arrive.

    Axis ranges are set by :meth:`reset` and moved only when the data leaves them:
    pyqtgraph's auto-range would move them on every update, and redrawing an axis (ticks
    and labels) is most of what a live update costs.
    """

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.loss_plot = pg.PlotWidget(title="Loss")
        self.loss_plot.addLegend(offset=(-10, 10))
        self.loss_plot.setLabel("bottom", "epoch")
        self.loss_plot.setLogMode(y=True)
        self.raw_loss_curve = self.loss_plot.plot(pen=pg.mkPen((150, 170, 210), width=1),
                                                  name="batch", antialias=False)
        self.smooth_loss_curve = self.loss_plot.plot(pen=pg.mkPen(TRAIN_COLOUR, width=2),
                                                     name="smoothed", antialias=False)
        for curve in (self.raw_loss_curve, self.smooth_loss_curve):
            curve.setDownsampling(auto=True)
            curve.setClipToView(True)
        self.val_loss_curve = self.loss_plot.plot(pen=pg.mkPen(VALIDATION_COLOUR, width=2),
                                                  symbol="o", symbolSize=6, name="validation")
        self.accuracy_plot = pg.PlotWidget(title="Accuracy")
        self.accuracy_plot.addLegend(offset=(-10, -10))
        self.accuracy_plot.setLabel("bottom", "epoch")
        self.train_acc_curve = self.accuracy_plot.plot(pen=pg.mkPen(TRAIN_COLOUR, width=2),
                                                       symbol="o", symbolSize=6, name="training")
        self.val_acc_curve = self.accuracy_plot.plot(pen=pg.mkPen(VALIDATION_COLOUR, width=2),
                                                     symbol="o", symbolSize=6, name="validation")
        for plot in (self.loss_plot, self.accuracy_plot):
            # Wide enough for any tick label: an axis that grew with its labels would
            # re-lay out and redraw the whole plot in the middle of training.
            plot.getAxis("left").setWidth(LEFT_AXIS_WIDTH)
            plot.disableAutoRange()
        self.weights_view = ImageView(grid=False, empty_text="First-layer weights appear "
                                                             "after the first epoch")
        self.weights_view.setToolTip("The first layer's weights: 28x28 tiles for dense layers, "
                                     "kernels for convolutions")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.loss_plot, 2)
        layout.addWidget(self.accuracy_plot, 2)
        weights = QVBoxLayout()
        weights.addWidget(QLabel("First layer"))
        weights.addWidget(self.weights_view, 1)
        layout.addLayout(weights, 1)
        self.reset(1)

    def reset(self, epochs: int) -> None:
        """Empty the curves for a run of ``epochs`` epochs."""
        self._smoothed: float | None = None  # log of the smoothed loss
        self._smoothed_batches = 0  # batches the smoothed loss has seen
        self._loss_x: list[float] = []
        self._loss_raw: list[float] = []
        self._loss_smooth: list[float] = []
        self._loss_span: tuple[float, float] | None = None
        self._loss_decades: tuple[int, int] | None = None
        self._accuracy_floor: float | None = None
        for curve in (self.raw_loss_curve, self.smooth_loss_curve, self.val_loss_curve,
                      self.train_acc_curve, self.val_acc_curve):
            curve.setData([], [])
        self.weights_view.set_image(None)
        self.set_epochs(epochs)
        # Until the run reports, the axes span what runs usually show: losses of 0.01 to 10
        # and accuracies of 0 to 100%; the first reports narrow them.
        self._show_loss_decades(EMPTY_LOSS_DECADES)
        self._fit_accuracy_axis([0.0])

    def set_epochs(self, epochs: int) -> None:
        """Span ``epochs`` epochs (a run found it goes on longer: the curves so far stay)."""
        self.epochs = epochs
        self.loss_plot.setXRange(0, epochs, padding=0.02)
        self.accuracy_plot.setXRange(0.5, epochs + 0.5, padding=0)
        step = epoch_tick_step(epochs)
        for plot in (self.loss_plot, self.accuracy_plot):
            plot.getAxis("bottom").setTickSpacing(step, step)  # whole epochs only

    def add_batch(self, report) -> None:
        """Append a :class:`~digitpad.core.reports.BatchReport` to the loss curves."""
        loss = max(report.loss, LOSS_FLOOR)
        self._smoothed = smoothed_log_loss(self._smoothed, self._smoothed_batches, loss,
                                           report.seen_batches)
        self._smoothed_batches = report.seen_batches
        self._loss_x.append(report.seen_batches / report.batches_per_epoch)
        self._loss_raw.append(loss)
        self._loss_smooth.append(math.exp(self._smoothed))
        self._fit_loss_axis(loss)
        self.raw_loss_curve.setData(self._loss_x, self._loss_raw)
        self.smooth_loss_curve.setData(self._loss_x, self._loss_smooth)

    def show_epochs(self, epochs: list, tiles=None) -> None:
        """Show the run's :class:`~digitpad.core.reports.EpochReport` list so far, and the
        first layer's latest weights (None keeps the previous picture)."""
        x = [e.epoch + 1 for e in epochs]
        val_losses = [max(e.val_loss, LOSS_FLOOR) for e in epochs]
        train_accuracies = [e.accuracy for e in epochs]
        val_accuracies = [e.val_accuracy for e in epochs]
        self._fit_loss_axis(val_losses[-1])
        self._fit_accuracy_axis(train_accuracies + val_accuracies)
        self.val_loss_curve.setData(x, val_losses)
        self.train_acc_curve.setData(x, train_accuracies)
        self.val_acc_curve.setData(x, val_accuracies)
        if tiles is not None:
            self.weights_view.set_image(tiles)

    def _fit_loss_axis(self, loss: float) -> None:
        """Widen the loss plot (log scale) to whole decades around every loss so far."""
        low, high = self._loss_span or (loss, loss)
        self._loss_span = low, high = min(low, loss), max(high, loss)
        decades = loss_decades(low, high)
        if decades != self._loss_decades:
            self._show_loss_decades(decades)

    def _show_loss_decades(self, decades: tuple[int, int]) -> None:
        """Span the loss plot over ``decades`` (log10 units in log mode), labelled at each
        decade only: over two decades pyqtgraph labels every minor tick too (0.002, 0.003,
        ...), and in a plot 260 px high half of those labels overlapped."""
        self._loss_decades = decades
        self.loss_plot.setYRange(*decades, padding=0.02)
        self.loss_plot.getAxis("left").setTicks(
            [[(d, f"{10.0 ** d:g}") for d in range(decades[0], decades[1] + 1)], []])

    def _fit_accuracy_axis(self, accuracies) -> None:
        floor = accuracy_floor(accuracies)
        if floor != self._accuracy_floor:
            self._accuracy_floor = floor
            self.accuracy_plot.setYRange(floor, 1.0, padding=0.02)
