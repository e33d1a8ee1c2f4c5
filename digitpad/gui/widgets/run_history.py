"""The runs of this session: a table, and their validation curves side by side for comparison."""

from __future__ import annotations

from datetime import datetime

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (QAbstractItemView, QGroupBox, QHBoxLayout, QHeaderView, QLabel,
                               QPushButton, QStackedWidget, QTableWidget, QTableWidgetItem,
                               QVBoxLayout, QWidget)

from digitpad.core.curves import fitted_range
from digitpad.core.runs import Run
from digitpad.gui.widgets.plotting import pg
from digitpad.gui.widgets.training_form import ACTIVATION_NAMES, OPTIMIZER_NAMES

COLUMNS = ["Started", "Architecture", "Settings", "Epochs", "Val acc", "Test acc", "Status"]
# One colour per selected run, in selection order; beyond these they repeat.
PALETTE = [(40, 90, 200), (220, 110, 30), (40, 160, 90), (180, 50, 160), (120, 120, 120),
           (200, 40, 40)]
HINT = ("Select runs in the table to compare their validation accuracy. The models of "
        "earlier sessions are in File > Models…")


class RunHistory(QGroupBox):
    """A row per run; selected runs' validation accuracy by epoch, one legend entry each.

    It shows the run records it is given (``core.runs.Run``, the hub's own) and asks for
    nothing: "Make active" is a signal.

    Signals
    -------
    activate_requested(Run)
        "Make active" was pressed with one saved run selected.
    """

    activate_requested = Signal(object)

    def __init__(self, parent: QWidget | None = None):
        super().__init__("Runs this session", parent)
        self.runs: list[Run] = []
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeToContents)
        header.setSectionResizeMode(COLUMNS.index("Settings"), QHeaderView.Stretch)
        self.table.setSelectionBehavior(QAbstractItemView.SelectRows)
        self.table.setEditTriggers(QAbstractItemView.NoEditTriggers)
        self.table.setTextElideMode(Qt.ElideRight)  # the whole text is in each tooltip
        self.table.itemSelectionChanged.connect(self._on_selection_changed)
        self.activate_button = QPushButton("Make active")
        self.activate_button.setEnabled(False)
        self.activate_button.clicked.connect(self._on_activate_clicked)

        # Little height down here: a small title and no axis label keep the curves readable.
        self.compare_plot = pg.PlotWidget()
        self.compare_plot.setTitle("Validation accuracy by epoch", size="9pt")
        self.compare_plot.setMinimumHeight(120)
        self.compare_plot.disableAutoRange()
        self.legend = self.compare_plot.addLegend(offset=(-10, -10))
        self._curves: list = []  # created as more runs are selected, then reused
        self.hint = QLabel(HINT)
        self.hint.setAlignment(Qt.AlignCenter)
        self.hint.setWordWrap(True)
        self.hint.setStyleSheet("color: #777;")
        self.compare = QStackedWidget()
        self.compare.addWidget(self.hint)
        self.compare.addWidget(self.compare_plot)
        self.compare.setMinimumWidth(240)

        side = QVBoxLayout()
        side.addWidget(self.activate_button)
        side.addStretch(1)
        layout = QHBoxLayout(self)
        layout.addWidget(self.table, 3)
        layout.addLayout(side)
        layout.addWidget(self.compare, 2)

    def add(self, run: Run) -> None:
        """Add a row for ``run`` (a run just started)."""
        self.runs.append(run)
        self.table.insertRow(len(self.runs) - 1)
        self.update_run(run)

    def update_run(self, run: Run) -> None:
        """Show ``run``'s latest epochs, accuracy and status."""
        row = self.runs.index(run)
        config = run.config
        settings = (f"{OPTIMIZER_NAMES[config.optimizer]} lr {config.learning_rate:g}, "
                    f"batch {config.batch_size}, {ACTIVATION_NAMES[config.activation]}"
                    + (", augment" if config.augment else "")
                    + (f", dropout {config.dropout:g}" if config.dropout else "")
                    + (f", L2 {config.l2:g}" if config.l2 else ""))
        epochs = f"{len(run.epochs)}/{config.epochs}"
        if run.kind == "adapt":  # its config names the model's architecture, nothing more
            settings, epochs = _adaptation(run.card.get("adaptation", {})), "–"
        best = max((e.val_accuracy for e in run.epochs), default=None)
        test = run.test_accuracy
        values = [datetime.fromtimestamp(run.started).strftime("%H:%M:%S"), config.arch,
                  settings, epochs,
                  "" if best is None else f"{best:.2%}",
                  "" if test is None else f"{test:.2%}", run.status]
        for column, value in enumerate(values):
            item = QTableWidgetItem(value)
            item.setToolTip(value)
            self.table.setItem(row, column, item)
        if row in self.selected_rows():
            self._on_selection_changed()

    def selected_rows(self) -> list[int]:
        return sorted({index.row() for index in self.table.selectedIndexes()})

    def legend_labels(self) -> list[str]:
        """The comparison legend's entries, top to bottom."""
        return [label.text for _, label in self.legend.items]

    def _on_selection_changed(self) -> None:
        rows = self.selected_rows()
        self.activate_button.setEnabled(len(rows) == 1 and self.runs[rows[0]].path is not None)
        while len(self._curves) < len(rows):
            colour = PALETTE[len(self._curves) % len(PALETTE)]
            self._curves.append(self.compare_plot.plot(pen=pg.mkPen(colour, width=2),
                                                       symbol="o", symbolSize=5,
                                                       symbolBrush=colour))
        self.legend.clear()
        accuracies, longest = [], 1
        for n, curve in enumerate(self._curves):
            if n >= len(rows):
                curve.setData([], [])
                continue
            run = self.runs[rows[n]]
            epochs = [e.epoch + 1 for e in run.epochs]
            values = [e.val_accuracy for e in run.epochs]
            curve.setData(epochs, values)
            self.legend.addItem(curve, f"run {rows[n] + 1} · {run.config.arch}")
            accuracies += values
            longest = max(longest, len(values))
        self.compare.setCurrentWidget(self.compare_plot if rows else self.hint)
        self.compare_plot.setXRange(0.5, longest + 0.5, padding=0)
        self.compare_plot.setYRange(*fitted_range(accuracies), padding=0)

    def _on_activate_clicked(self) -> None:
        rows = self.selected_rows()
        if len(rows) == 1 and self.runs[rows[0]].path is not None:
            self.activate_requested.emit(self.runs[rows[0]])


def _adaptation(adaptation: dict) -> str:
    """An adaptation run's settings, from its card once it has one."""
    if "samples_taught" not in adaptation:
        return "adapt to your digits"
    return (f"adapt to your digits: {adaptation['samples_taught']} taught, "
            f"{adaptation.get('steps_done', 0)} steps")
