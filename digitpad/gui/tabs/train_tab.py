"""Train tab: configure, train in the background with live curves, and use the result."""

from __future__ import annotations

import dataclasses
import math
import time
from datetime import datetime
from pathlib import Path

import numpy as np
from digitpad.gui.widgets.plotting import pg
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (QAbstractItemView, QCheckBox, QComboBox, QFormLayout, QFrame,
                               QGroupBox, QHBoxLayout, QHeaderView, QLabel, QLineEdit, QPlainTextEdit,
                               QProgressBar, QPushButton, QScrollArea, QSplitter, QTableWidget,
                               QTableWidgetItem, QVBoxLayout, QWidget)

from digitpad import paths
from digitpad.core.architectures import PRESETS, preset_config
from digitpad.core.config import ACTIVATIONS, LR_SCHEDULES, OPTIMIZERS, ConfigError, TrainConfig
from digitpad.gui import workers
from digitpad.gui.model_hub import QtModelManager
from digitpad.gui.widgets.image_view import ImageView

SMOOTHING = 0.9  # per batch: the smoothed loss follows about the last 10 batches
TILE_LIMIT = 64  # first-layer units shown
LEFT_AXIS_WIDTH = 44  # pixels; fits "0.001" and "0.995"
OPTIMIZER_NAMES = {"sgd": "SGD", "nesterov": "SGD + Nesterov", "adam": "Adam", "rmsprop": "RMSprop"}
ACTIVATION_NAMES = {"relu": "ReLU", "leaky_relu": "Leaky ReLU", "sigmoid": "Sigmoid", "tanh": "tanh"}
# Form fields typed as text, with how to parse them.
TEXT_FIELDS = {"epochs": int, "batch_size": int, "learning_rate": float, "l2": float,
               "dropout": float, "patience": int, "validation_fraction": float,
               "train_size": int, "seed": int}
FIELD_LABELS = {"epochs": "Epochs", "batch_size": "Batch size", "learning_rate": "Learning rate",
                "l2": "L2 penalty", "dropout": "Dropout", "patience": "Early-stop patience",
                "validation_fraction": "Validation share", "train_size": "Training images (0 = all)",
                "seed": "Seed"}


def first_layer_tiles(model) -> np.ndarray | None:
    """The first layer's weights as one grid image in [0, 1]: 28x28 tiles for a dense layer,
    kxk tiles for a convolution; None for layers with neither."""
    for layer in model.layers:
        weights = layer.get_weights()
        if not weights:
            continue
        kernel = weights[0]
        if kernel.ndim == 2 and kernel.shape[0] == 28 * 28:
            tiles = kernel.T[:TILE_LIMIT].reshape(-1, 28, 28)
        elif kernel.ndim == 4:
            tiles = np.moveaxis(kernel[:, :, 0, :TILE_LIMIT], -1, 0)
        else:
            return None
        return _grid(tiles)
    return None


def _grid(tiles: np.ndarray) -> np.ndarray:
    count, height, width = tiles.shape
    columns = int(np.ceil(np.sqrt(count)))
    rows = int(np.ceil(count / columns))
    grid = np.zeros((rows * (height + 1) - 1, columns * (width + 1) - 1), np.float32)
    for n, tile in enumerate(tiles):
        low, high = tile.min(), tile.max()
        normalised = (tile - low) / (high - low) if high > low else np.zeros_like(tile)
        r, c = divmod(n, columns)
        grid[r * (height + 1):r * (height + 1) + height, c * (width + 1):c * (width + 1) + width] = normalised
    return grid


class TrainingWorker(workers.Worker):
    """Loads MNIST, trains, evaluates on the test set and saves atomically, off the GUI thread."""

    batch_done = Signal(object)    # BatchReport
    epoch_done = Signal(object)    # (EpochReport, first-layer tiles or None)

    def __init__(self, config: TrainConfig, data_folder: str | None, out: Path, mnist=None):
        super().__init__()
        self.config, self.data_folder, self.out = config, data_folder, out
        self.mnist = mnist  # loaded as the tab opened, if it could be; else loaded here

    def work(self):
        from digitpad.core.backend import import_keras_quietly
        from digitpad.core.data import load_mnist

        import_keras_quietly()
        from digitpad.core.architectures import build_model
        from digitpad.core.training import save_result, train, warm_up

        warm_up(self.stop_event)  # done as the tab opened; waits if still running

        mnist = self.mnist or load_mnist(self.data_folder, download=False)
        with workers.sharing_gui_core():  # Keras builds and traces the model in here
            model = build_model(self.config)

            def on_epoch(report):
                # Runs in this thread, inside fit(): read the weights here, not in the GUI.
                self.epoch_done.emit((report, first_layer_tiles(model)))

            result = train(self.config, mnist, model=model, on_batch=self.batch_done.emit,
                           on_epoch=on_epoch, stop=self.stop_event)
            if not result.history:
                return result, None, None, None  # stopped before one full epoch: nothing to keep
            # The predictor is traced here, in the worker, and handed to the hub with the model.
            card, predictor = save_result(result, mnist, self.out)
        return result, self.out, card, predictor


@dataclasses.dataclass
class Run:
    """One training run of this session, for the history table and overlays."""

    config: TrainConfig
    started: float
    epochs: list = dataclasses.field(default_factory=list)
    status: str = "running"
    path: Path | None = None
    card: dict = dataclasses.field(default_factory=dict)
    predictor: object = None  # the trained model's, once saved


class TrainTab(QWidget):
    """Setup form, Train/Stop, live curves, first-layer weights, and the runs of this session."""

    run_finished = Signal(object)  # the Run, after its model was saved (or it failed/stopped)

    def __init__(self, hub: QtModelManager, parent: QWidget | None = None, *,
                 data_folder: str | None = None):
        super().__init__(parent)
        self.hub = hub
        self.data_folder = data_folder
        self.runs: list[Run] = []
        self._worker: TrainingWorker | None = None
        self._preparation: workers.Worker | None = None
        self._mnist = None  # the training data, once loaded
        self._smoothed: float | None = None  # log of the smoothed loss
        self._smoothed_batches = 0  # batches the smoothed loss has seen
        self._loss_x: list[float] = []
        self._loss_raw: list[float] = []
        self._loss_smooth: list[float] = []

        self.fields: dict[str, QWidget] = {}
        self.errors: dict[str, QLabel] = {}
        self._build_form()
        self._build_run_panel()
        self._build_history()

        # The form scrolls rather than setting the window's minimum height.
        form_scroll = QScrollArea()
        form_scroll.setWidget(self.form_box)
        form_scroll.setWidgetResizable(True)
        form_scroll.setFrameShape(QFrame.NoFrame)
        form_scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarAlwaysOff)
        form_scroll.setMinimumWidth(self.form_box.minimumSizeHint().width())
        top = QSplitter()
        top.addWidget(form_scroll)
        top.addWidget(self.run_panel)
        top.setStretchFactor(0, 2)
        top.setStretchFactor(1, 5)
        # The live curves get the height; the history can be dragged taller.
        splitter = QSplitter(Qt.Vertical)
        splitter.addWidget(top)
        splitter.addWidget(self.history_box)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 1)
        splitter.setChildrenCollapsible(False)
        layout = QVBoxLayout(self)
        layout.addWidget(splitter)
        self.arch_box.currentIndexChanged.connect(self._on_arch_changed)
        self._on_arch_changed()

    # ----- form --------------------------------------------------------------------------
    def _build_form(self) -> None:
        self.form_box = QGroupBox("Setup")
        form = QFormLayout(self.form_box)
        self.arch_box = QComboBox()
        for preset in PRESETS.values():
            self.arch_box.addItem(f"{preset.name}: {preset.description}", preset.name)
        self.arch_box.setCurrentIndex(list(PRESETS).index("quick"))
        self.arch_box.setSizeAdjustPolicy(QComboBox.AdjustToMinimumContentsLengthWithIcon)
        self.arch_box.setMinimumContentsLength(16)
        form.addRow("Architecture", self.arch_box)
        self.optimizer_box = self._choice(OPTIMIZERS, OPTIMIZER_NAMES)
        self.activation_box = self._choice(ACTIVATIONS, ACTIVATION_NAMES)
        self.schedule_box = self._choice(LR_SCHEDULES, {"constant": "Constant", "cosine": "Cosine"})
        self.augment_box = QCheckBox("Random shifts, rotations, zooms")
        for name, widget in (("optimizer", self.optimizer_box), ("activation", self.activation_box),
                             ("lr_schedule", self.schedule_box), ("augment", self.augment_box)):
            self.fields[name] = widget
        for name in TEXT_FIELDS:
            self.fields[name] = QLineEdit()
        order = ["epochs", "batch_size", "optimizer", "learning_rate", "lr_schedule",
                 "activation", "l2", "dropout", "patience", "augment", "validation_fraction",
                 "train_size", "seed"]
        labels = {**FIELD_LABELS, "optimizer": "Optimizer", "activation": "Activation",
                  "lr_schedule": "LR schedule", "augment": "Augmentation"}
        for name in order:
            error = QLabel("")
            error.setStyleSheet("color: #c0392b;")
            error.setWordWrap(True)
            error.setVisible(False)
            self.errors[name] = error
            row = QVBoxLayout()
            row.setSpacing(0)
            row.addWidget(self.fields[name])
            row.addWidget(error)
            form.addRow(labels[name], row)
        self.errors["arch"] = QLabel()

    @staticmethod
    def _choice(values, names) -> QComboBox:
        box = QComboBox()
        for value in values:
            box.addItem(names[value], value)
        return box

    def _on_arch_changed(self) -> None:
        self.set_form(preset_config(self.arch_box.currentData()))

    def set_form(self, config: TrainConfig) -> None:
        """Fill the form from ``config`` (e.g. a preset's defaults)."""
        self.arch_box.blockSignals(True)
        self.arch_box.setCurrentIndex(list(PRESETS).index(config.arch))
        self.arch_box.blockSignals(False)
        for name in TEXT_FIELDS:
            self.fields[name].setText(f"{getattr(config, name):g}")
        for name in ("optimizer", "activation", "lr_schedule"):
            box = self.fields[name]
            box.setCurrentIndex(box.findData(getattr(config, name)))
        self.augment_box.setChecked(config.augment)
        self._clear_errors()

    def form_config(self) -> TrainConfig | None:
        """The configuration in the form, or None after showing what is wrong next to the field."""
        self._clear_errors()
        values = {"arch": self.arch_box.currentData(), "augment": self.augment_box.isChecked()}
        for name in ("optimizer", "activation", "lr_schedule"):
            values[name] = self.fields[name].currentData()
        for name, parse in TEXT_FIELDS.items():
            text = self.fields[name].text().strip()
            try:
                values[name] = parse(text)
            except ValueError:
                kind = "a whole number" if parse is int else "a number"
                return self._field_error(name, f"“{text}” is not {kind}")
        try:
            return TrainConfig(**values).validated()
        except ConfigError as exc:
            return self._field_error(exc.field_name, exc.message)

    def _field_error(self, name: str, message: str) -> None:
        self.errors[name].setText(message)
        self.errors[name].setVisible(True)
        self.fields.get(name, self.arch_box).setFocus()
        return None

    def _clear_errors(self) -> None:
        for label in self.errors.values():
            label.setVisible(False)

    # ----- run panel ---------------------------------------------------------------------
    def _build_run_panel(self) -> None:
        self.run_panel = QWidget()
        self.train_button = QPushButton("Train")
        self.stop_button = QPushButton("Stop")
        self.stop_button.setEnabled(False)
        self.use_button = QPushButton("Use this model")
        self.use_button.setVisible(False)
        self.train_button.clicked.connect(self.start_training)
        self.stop_button.clicked.connect(self.stop_training)
        self.use_button.clicked.connect(self._use_last_run)
        self.progress = QProgressBar()
        self.progress.setFormat("Ready")
        self.progress.setValue(0)
        self.state_label = QLabel("")
        self.state_label.setWordWrap(True)

        self.loss_plot = pg.PlotWidget(title="Loss")
        self.loss_plot.addLegend(offset=(-10, 10))
        self.loss_plot.setLabel("bottom", "epoch")
        self.loss_plot.setLogMode(y=True)
        self.raw_loss_curve = self.loss_plot.plot(pen=pg.mkPen((150, 170, 210), width=1), name="batch",
                                                  antialias=False)
        self.smooth_loss_curve = self.loss_plot.plot(pen=pg.mkPen((40, 90, 200), width=2), name="smoothed",
                                                     antialias=False)
        for curve in (self.raw_loss_curve, self.smooth_loss_curve):
            curve.setDownsampling(auto=True)
            curve.setClipToView(True)
        self.val_loss_curve = self.loss_plot.plot(pen=pg.mkPen((220, 110, 30), width=2), symbol="o",
                                                  symbolSize=6, name="validation")
        self.accuracy_plot = pg.PlotWidget(title="Accuracy")
        self.accuracy_plot.addLegend(offset=(-10, -10))
        self.accuracy_plot.setLabel("bottom", "epoch")
        self.train_acc_curve = self.accuracy_plot.plot(pen=pg.mkPen((40, 90, 200), width=2),
                                                       symbol="o", symbolSize=6, name="training")
        self.val_acc_curve = self.accuracy_plot.plot(pen=pg.mkPen((220, 110, 30), width=2),
                                                     symbol="o", symbolSize=6, name="validation")
        for plot in (self.loss_plot, self.accuracy_plot):
            # Wide enough for any tick label: an axis that grew with its labels would
            # re-lay out and redraw the whole plot in the middle of training.
            plot.getAxis("left").setWidth(LEFT_AXIS_WIDTH)
        self.weights_view = ImageView(grid=False, empty_text="First-layer weights appear "
                                                             "after the first epoch")
        self.weights_view.setToolTip("The first layer's weights: 28x28 tiles for dense layers, "
                                     "kernels for convolutions")
        self.log = QPlainTextEdit()
        self.log.setReadOnly(True)
        self.log.setMaximumBlockCount(2000)

        buttons = QHBoxLayout()
        buttons.addWidget(self.train_button)
        buttons.addWidget(self.stop_button)
        buttons.addWidget(self.use_button)
        buttons.addWidget(self.progress, 1)
        plots = QHBoxLayout()
        plots.addWidget(self.loss_plot, 2)
        plots.addWidget(self.accuracy_plot, 2)
        weights_box = QVBoxLayout()
        weights_box.addWidget(QLabel("First layer"))
        weights_box.addWidget(self.weights_view, 1)
        plots.addLayout(weights_box, 1)
        layout = QVBoxLayout(self.run_panel)
        layout.addLayout(buttons)
        layout.addWidget(self.state_label)
        layout.addLayout(plots, 3)
        layout.addWidget(self.log, 1)

    # ----- history -----------------------------------------------------------------------
    def _build_history(self) -> None:
        self.history_box = QGroupBox("Runs this session (select two to compare)")
        self.history = QTableWidget(0, 7)
        self.history.setHorizontalHeaderLabels(["Started", "Architecture", "Settings", "Epochs",
                                                "Val acc", "Test acc", "Status"])
        self.history.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeToContents)
        self.history.horizontalHeader().setSectionResizeMode(2, QHeaderView.Stretch)
        self.history.setSelectionBehavior(QAbstractItemView.SelectRows)
        self.history.setEditTriggers(QAbstractItemView.NoEditTriggers)
        self.history.itemSelectionChanged.connect(self._on_history_selection)
        self.activate_button = QPushButton("Make active")
        self.activate_button.setEnabled(False)
        self.activate_button.clicked.connect(self._activate_selected)
        # Little height down here: a small title and no axis label keep the curves readable.
        self.compare_plot = pg.PlotWidget()
        self.compare_plot.setTitle("Validation accuracy by epoch", size="9pt")
        self._compare_legend = self.compare_plot.addLegend()
        self.compare_plot.setMinimumWidth(280)
        self.compare_plot.setMinimumHeight(120)
        # Unnamed, so the legend lists only the runs actually shown.
        self._compare_curves = [self.compare_plot.plot(pen=pg.mkPen(colour, width=2), symbol="o",
                                                       symbolSize=5)
                                for colour in [(40, 90, 200), (220, 110, 30)]]
        side = QVBoxLayout()
        side.addWidget(self.activate_button)
        side.addStretch(1)
        layout = QHBoxLayout(self.history_box)
        layout.addWidget(self.history, 3)
        layout.addLayout(side)
        layout.addWidget(self.compare_plot, 2)

    def _on_history_selection(self) -> None:
        rows = sorted({index.row() for index in self.history.selectedIndexes()})
        finished = [r for r in rows if self.runs[r].path is not None]
        self.activate_button.setEnabled(len(rows) == 1 and bool(finished))
        self._compare_legend.clear()
        for curve, row in zip(self._compare_curves, rows[:2] + [None, None]):
            if row is None:
                curve.setData([], [])
                continue
            epochs = self.runs[row].epochs
            curve.setData([e.epoch + 1 for e in epochs], [e.val_accuracy for e in epochs])
            self._compare_legend.addItem(curve, f"run {row + 1}")

    def _activate_selected(self) -> None:
        rows = {index.row() for index in self.history.selectedIndexes()}
        if len(rows) == 1:
            run = self.runs[rows.pop()]
            if run.path is not None:
                self.hub.load(run.path)

    def _history_row(self, row: int) -> None:
        run = self.runs[row]
        config = run.config
        settings = (f"{OPTIMIZER_NAMES[config.optimizer]} lr {config.learning_rate:g}, "
                    f"batch {config.batch_size}, {config.activation}"
                    + (", augment" if config.augment else "")
                    + (f", dropout {config.dropout:g}" if config.dropout else "")
                    + (f", L2 {config.l2:g}" if config.l2 else ""))
        best = max((e.val_accuracy for e in run.epochs), default=None)
        test = run.card.get("test_accuracy")
        values = [datetime.fromtimestamp(run.started).strftime("%H:%M:%S"), config.arch, settings,
                  f"{len(run.epochs)}/{config.epochs}",
                  "" if best is None else f"{best:.2%}",
                  "" if test is None else f"{test:.2%}", run.status]
        if self.history.rowCount() <= row:
            self.history.insertRow(row)
        for column, value in enumerate(values):
            self.history.setItem(row, column, QTableWidgetItem(value))

    # ----- training ----------------------------------------------------------------------
    def showEvent(self, event) -> None:
        """The first time the tab opens, start TensorFlow in the background.

        Its import, its first training and loading MNIST take seconds and hold Python's lock
        in many short pieces: here, while the user reads the form, not once Train is pressed.
        """
        super().showEvent(event)
        if self._preparation is None:
            folder = self.data_folder
            self._preparation = workers.Worker(lambda w: _prepare_training(w, folder))
            self._preparation.finished.connect(self._on_prepared)
            workers.start(self._preparation, self)

    @property
    def is_training(self) -> bool:
        return self._worker is not None

    def start_training(self) -> bool:
        """Validate the form and start a run; False (with a message by the field) if invalid."""
        if self.is_training:
            return False
        config = self.form_config()
        if config is None:
            return False
        out = paths.user_models_dir() / f"{config.arch}-{datetime.now():%Y%m%d-%H%M%S}.keras"
        run = Run(config=config, started=time.time())
        self.runs.append(run)
        self._history_row(len(self.runs) - 1)
        self._reset_curves(config.epochs)
        worker = TrainingWorker(config, self.data_folder, out, self._mnist)
        worker.batch_done.connect(self._on_batch_done)
        worker.epoch_done.connect(self._on_epoch_done)
        worker.finished.connect(self._on_finished)
        worker.errored.connect(self._on_errored)
        self._worker = worker
        self.train_button.setEnabled(False)
        self.stop_button.setEnabled(True)
        self.use_button.setVisible(False)
        self.form_box.setEnabled(False)
        self.progress.setRange(0, 0)
        self.progress.setFormat("Starting…")
        self.state_label.setText(f"Training {config.arch}…")
        self._log(f"Training {config.arch}: {config.epochs} epochs, batch {config.batch_size}, "
                  f"{OPTIMIZER_NAMES[config.optimizer]} lr {config.learning_rate:g}")
        workers.start(worker, self)
        return True

    def stop_training(self) -> None:
        """Stop after the current batch; the best weights so far are kept."""
        if self._worker is not None:
            self._worker.cancel()
            self.stop_button.setEnabled(False)
            self.state_label.setText("Stopping after this batch…")

    def shutdown(self) -> None:
        """Stop the run (if any) and wait for its thread: no half-written files."""
        worker, self._worker = self._worker, None
        if self._preparation is not None:
            self._preparation.cancel()
        workers.stop_and_wait(self, worker, timeout_ms=120_000)

    def _reset_curves(self, epochs: int) -> None:
        self._smoothed, self._smoothed_batches = None, 0
        self._loss_x, self._loss_raw, self._loss_smooth = [], [], []
        for curve in (self.raw_loss_curve, self.smooth_loss_curve, self.val_loss_curve,
                      self.train_acc_curve, self.val_acc_curve):
            curve.setData([], [])
        self.weights_view.set_image(None)
        # The curves' ranges are set here and changed only when the data leaves them.
        # pyqtgraph's auto-range would move them on every update, and redrawing both axes
        # (ticks and labels) is most of what a live update costs the GUI thread, which
        # competes with training for the CPU.
        self._loss_span: tuple[float, float] | None = None
        self._loss_decades: tuple[int, int] | None = None
        self._accuracy_floor: float | None = None
        for plot in (self.loss_plot, self.accuracy_plot):
            plot.disableAutoRange()
        self.loss_plot.setXRange(0, epochs, padding=0.02)
        self.accuracy_plot.setXRange(0.5, epochs + 0.5, padding=0)
        self._fit_accuracy_axis([1.0])

    def _fit_loss_axis(self, *losses: float) -> None:
        """Widen the loss plot (log scale) to whole decades around every loss so far."""
        low, high = self._loss_span or (losses[0], losses[0])
        self._loss_span = low, high = min(low, *losses), max(high, *losses)
        bottom = math.floor(math.log10(low))
        decades = (bottom, max(math.ceil(math.log10(high)), bottom + 1))
        if decades != self._loss_decades:
            self._loss_decades = decades
            self.loss_plot.setYRange(*decades, padding=0.02)  # log10 units in log mode

    def _fit_accuracy_axis(self, accuracies) -> None:
        """Show accuracy from the lowest value so far (down to a multiple of 5%) to 100%."""
        floor = min(0.95, math.floor(min(accuracies) * 20) / 20)
        if floor != self._accuracy_floor:
            self._accuracy_floor = floor
            self.accuracy_plot.setYRange(floor, 1.0, padding=0.02)

    def _on_batch_done(self, report) -> None:
        if self._worker is None or self.sender() is not self._worker:
            return  # a run that was shut down
        loss = max(report.loss, 1e-6)
        # Smoothed per batch, not per report (reports come every 0.2 s, however many batches
        # that is), and in log space, as the axis shows it.
        keep = SMOOTHING ** (report.seen_batches - self._smoothed_batches)
        self._smoothed = math.log(loss) if self._smoothed is None else (
            keep * self._smoothed + (1 - keep) * math.log(loss))
        self._smoothed_batches = report.seen_batches
        self._loss_x.append(report.seen_batches / report.batches_per_epoch)
        self._loss_raw.append(loss)
        self._loss_smooth.append(math.exp(self._smoothed))
        self._fit_loss_axis(loss)
        self.raw_loss_curve.setData(self._loss_x, self._loss_raw)
        self.smooth_loss_curve.setData(self._loss_x, self._loss_smooth)
        run = self.runs[-1]
        total = run.config.epochs * report.batches_per_epoch
        elapsed = time.time() - run.started
        eta = elapsed / report.seen_batches * (total - report.seen_batches)
        self.progress.setRange(0, total)
        self.progress.setValue(report.seen_batches)
        self.progress.setFormat(f"epoch {report.epoch + 1}/{run.config.epochs} · batch "
                                f"{report.batch + 1}/{report.batches_per_epoch} · "
                                f"loss {report.loss:.3f} · ETA {_clock(eta)}")

    def _on_epoch_done(self, payload) -> None:
        if self._worker is None or self.sender() is not self._worker:
            return  # a run that was shut down
        report, tiles = payload
        run = self.runs[-1]
        run.epochs.append(report)
        x = [e.epoch + 1 for e in run.epochs]
        val_losses = [max(e.val_loss, 1e-6) for e in run.epochs]
        train_accuracies = [e.accuracy for e in run.epochs]
        val_accuracies = [e.val_accuracy for e in run.epochs]
        self._fit_loss_axis(val_losses[-1])
        self._fit_accuracy_axis(train_accuracies + val_accuracies)
        self.val_loss_curve.setData(x, val_losses)
        self.train_acc_curve.setData(x, train_accuracies)
        self.val_acc_curve.setData(x, val_accuracies)
        if tiles is not None:
            self.weights_view.set_image(tiles)
        self._log(f"epoch {report.epoch + 1}/{report.epochs}: loss {report.loss:.4f}, "
                  f"acc {report.accuracy:.4f}, val loss {report.val_loss:.4f}, "
                  f"val acc {report.val_accuracy:.4f}, {report.seconds:.1f}s"
                  + (" (best)" if report.improved else ""))
        self._history_row(len(self.runs) - 1)

    def _on_finished(self, outcome) -> None:
        if self._worker is None or self.sender() is not self._worker:
            return  # a run that was shut down
        result, path, card, predictor = outcome
        self._worker = None
        run = self.runs[-1]
        run.path, run.card, run.predictor = path, card or {}, predictor
        self._idle()
        if path is None:
            run.status = "stopped (nothing kept)"
            self.state_label.setText("Stopped before the first epoch ended: nothing to keep.")
        elif result.stopped:
            run.status = "stopped"
            self.state_label.setText(
                f"Stopped. The best weights (epoch {result.best_epoch + 1}, validation "
                f"{result.val_accuracy:.2%}, test {run.card.get('test_accuracy', 0):.2%}) "
                f"were saved to {path.name}.")
            self.use_button.setVisible(True)
        else:
            run.status = "finished"
            self.state_label.setText(
                f"Done: validation {result.val_accuracy:.2%}, test "
                f"{run.card.get('test_accuracy', 0):.2%}. Saved to {path}; now active.")
        self._log(self.state_label.text())
        self._history_row(self.runs.index(run))
        # Last: listeners of the hub and of run_finished may start another run right away.
        if run.status == "finished":
            self.hub.set_model(predictor, path, run.card)
        self.run_finished.emit(run)

    def _on_errored(self, message: str) -> None:
        if self._worker is None or self.sender() is not self._worker:
            return  # a run that was shut down
        self._worker = None
        run = self.runs[-1]
        run.status = "failed"
        self._idle()
        self.state_label.setText(f"<span style='color:#c0392b'>Training failed: {message}</span>"
                                 f"<br>The previous model stays active.")
        self._log(f"Training failed: {message}")
        self._history_row(len(self.runs) - 1)
        self.run_finished.emit(run)

    def _use_last_run(self) -> None:
        run = self.runs[-1]
        if run.predictor is not None:
            self.hub.set_model(run.predictor, run.path, run.card)
            self.use_button.setVisible(False)

    def _on_prepared(self, mnist) -> None:
        self._mnist = mnist

    def _idle(self) -> None:
        self.train_button.setEnabled(True)
        self.stop_button.setEnabled(False)
        self.form_box.setEnabled(True)
        self.progress.setRange(0, 1)
        self.progress.setValue(1)
        self.progress.setFormat("Ready")

    def _log(self, line: str) -> None:
        self.log.appendPlainText(f"[{datetime.now():%H:%M:%S}] {line}")


def _prepare_training(worker, data_folder: str | None):
    """Import and warm up TensorFlow and load MNIST, so that a run starts without either.

    Returns the data set, or None when it is not there yet: each run looks for it again.
    """
    from digitpad.core.backend import import_keras_quietly
    from digitpad.core.data import DataError, load_mnist

    import_keras_quietly()
    from digitpad.core.training import warm_up

    warm_up(worker.stop_event)
    if worker.cancelled:  # the window is closing
        return None
    try:
        return load_mnist(data_folder, download=False)
    except DataError:
        return None


def _clock(seconds: float) -> str:
    seconds = max(0, int(seconds))
    return f"{seconds // 60}:{seconds % 60:02d}"
