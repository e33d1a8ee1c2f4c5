"""Train tab: set up a run, watch it live, and use its model; the hub owns the runs."""

from __future__ import annotations

import time
from datetime import datetime
from pathlib import Path

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (QCheckBox, QFileDialog, QFrame, QHBoxLayout, QLabel,
                               QPlainTextEdit, QProgressBar, QPushButton, QScrollArea, QSplitter,
                               QStackedWidget, QToolButton, QVBoxLayout, QWidget)

from digitpad import paths
from digitpad.core import runs
from digitpad.core.presets import PRESETS
from digitpad.core.runs import Run
from digitpad.gui.model_hub import ActiveModel, ModelHub
from digitpad.gui.tabs.mnist_panel import MnistPanel
from digitpad.gui.tabs.run_text import adapt_again, adapt_step, describe_run, stays_active
from digitpad.gui.widgets.plain_text import plain_tooltip
from digitpad.gui.widgets.run_history import RunHistory
from digitpad.gui.widgets.training_curves import TrainingCurves
from digitpad.gui.widgets.training_form import OPTIMIZER_NAMES, TrainingForm

ERROR_COLOUR = "#c0392b"
ADAPT_NOTE = ("Adapting the active model to your digits: a short fine-tune with settings of "
              "its own, not this form's. Follow it here or in My digits (Errors tab); the "
              "form is back when it ends.")
PREPARE_DELAY_MS = 100  # from the tab's first show to the training process's start


class TrainTab(QWidget):
    """The setup form, Train/Stop, live curves, and the runs of this session.

    It shows the hub's runs and asks the hub to start and stop them; the hub decides where
    a model is saved and whether a finished run's model becomes active (no worse than the
    active one) or is offered ("Use it anyway"), with one click back either way.

    Signals
    -------
    run_finished(Run)
        A run ended and its model was decided, whatever the outcome: active, offered,
        stopped or failed.
    """

    run_finished = Signal(object)

    def __init__(self, hub: ModelHub, parent: QWidget | None = None):
        super().__init__(parent)
        self.hub = hub
        self._offered: Run | None = None  # the run "Use…" makes active
        self._unsaved: Run | None = None  # the run whose model "Save as…" saves

        self.form = TrainingForm()
        self.curves = TrainingCurves()
        self.curves.reset(self.form.config().epochs)  # before any run: the preset's epochs
        self.history = RunHistory()
        self._build_controls()
        self._build_layout()
        # The curves appear a frame after the rest of the tab (see showEvent); their space
        # is kept meanwhile, so nothing moves when they do.
        policy = self.curves.sizePolicy()
        policy.setRetainSizeWhenHidden(True)
        self.curves.setSizePolicy(policy)
        self.curves.hide()

        hub.run_started.connect(self._on_run_started)
        hub.run_batch.connect(self._on_run_batch)
        hub.run_epoch.connect(self._on_run_epoch)
        hub.run_changed.connect(self._on_run_changed)
        hub.run_ended.connect(self._on_run_ended)
        hub.training_unavailable.connect(self._on_training_unavailable)
        hub.model_changed.connect(self._on_model_changed)
        hub.load_failed.connect(self._on_load_failed)
        hub.save_failed.connect(self._on_save_failed)
        self.history.activate_requested.connect(hub.use_run)
        hub.data.changed.connect(lambda folder: self._check_data())
        self._check_data()

    @property
    def data_folder(self) -> str | None:
        """The app's MNIST folder (``hub.data``); None: MNIST's usual places."""
        folder = self.hub.data.folder
        return str(folder) if folder else None

    def _check_data(self) -> None:
        """Before any run: say so, and offer a folder or a download, when MNIST is missing."""
        problem = self.hub.data.problem()
        found = problem is None
        if problem:
            self.data_panel.show_problem(problem)
        self.data_panel.setVisible(not found)
        self.train_button.setEnabled(found and not self.is_training)
        self.train_button.setToolTip("" if found else "MNIST is needed first (see above)")

    def _build_controls(self) -> None:
        self.train_button = QPushButton("Train")
        self.stop_button = QPushButton("Stop")
        self.stop_button.setEnabled(False)
        self.use_button = QPushButton("Use this model")
        self.use_button.setVisible(False)
        self.back_button = QPushButton("Back to the previous model")
        self.back_button.setVisible(False)
        self.save_as_button = QPushButton("Save as…")
        self.save_as_button.setToolTip("The model could not be saved in its folder: choose "
                                       "where to save it")
        self.save_as_button.setVisible(False)
        self.save_as_button.clicked.connect(self._on_save_as_clicked)
        self.train_button.clicked.connect(lambda: self.start_training())
        self.stop_button.clicked.connect(self.stop_training)
        self.use_button.clicked.connect(self._use_offered_run)
        self.back_button.clicked.connect(self._back_to_previous)
        self.progress = QProgressBar()
        self.progress.setRange(0, 1)
        self.progress.setValue(0)
        self.progress.setFormat("Ready")
        self.state_label = QLabel("")
        self.state_label.setTextFormat(Qt.PlainText)  # file names and errors, never markup
        self.state_label.setWordWrap(True)
        self.details_button = QToolButton()
        self.details_button.setText("Details")
        self.details_button.setCheckable(True)
        self.details_button.setArrowType(Qt.RightArrow)
        self.details_button.setToolButtonStyle(Qt.ToolButtonTextBesideIcon)
        self.details_button.setVisible(False)
        self.details_button.toggled.connect(self._on_details_toggled)
        self.details = QPlainTextEdit()  # the training process's log when a run failed
        self.details.setReadOnly(True)
        self.details.setVisible(False)
        self.log = QPlainTextEdit()
        self.log.setReadOnly(True)
        self.log.setMaximumBlockCount(2000)
        self.log.setPlaceholderText("The run's log: each epoch's scores, where its model "
                                    "was saved, and any problem")
        self.tensorboard_box = QCheckBox("Write TensorBoard logs")
        self.tensorboard_box.setToolTip(f"Keras TensorBoard logs of each run, in "
                                        f"{paths.user_data_dir() / 'tensorboard'}: see them "
                                        f"with tensorboard --logdir on that folder")
        self.data_panel = MnistPanel(self.hub.data, "Training needs the MNIST training images.")
        self.adapt_note = QLabel(ADAPT_NOTE)
        self.adapt_note.setWordWrap(True)
        self.adapt_note.setAlignment(Qt.AlignLeft | Qt.AlignTop)
        self.adapt_note.setMargin(8)

    def _build_layout(self) -> None:
        buttons = QHBoxLayout()
        for button in (self.train_button, self.stop_button, self.use_button, self.back_button,
                       self.save_as_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        buttons.addWidget(self.tensorboard_box)
        run_panel = QWidget()
        panel = QVBoxLayout(run_panel)
        panel.addWidget(self.data_panel)
        panel.addLayout(buttons)
        panel.addWidget(self.progress)  # a line of its own: its text is long mid-run
        panel.addWidget(self.state_label)
        panel.addWidget(self.details_button, 0, Qt.AlignLeft)
        panel.addWidget(self.details, 1)
        panel.addWidget(self.curves, 3)
        panel.addWidget(self.log, 1)
        # The form scrolls rather than setting the window's minimum height.
        form_scroll = QScrollArea()
        form_scroll.setWidget(self.form)
        form_scroll.setWidgetResizable(True)
        form_scroll.setFrameShape(QFrame.NoFrame)
        form_scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarAlwaysOff)
        form_scroll.setMinimumWidth(self.form.minimumSizeHint().width()
                                    + form_scroll.verticalScrollBar().sizeHint().width())
        # While an adaptation runs, a note takes the form's place: the form's preset is
        # not what it runs.
        self.form_pages = QStackedWidget()
        self.form_pages.addWidget(form_scroll)
        self.form_pages.addWidget(self.adapt_note)
        top = QSplitter()
        top.addWidget(self.form_pages)
        top.addWidget(run_panel)
        top.setStretchFactor(0, 2)
        top.setStretchFactor(1, 5)
        top.setChildrenCollapsible(False)
        # The live curves get the height; the history can be dragged taller.
        splitter = QSplitter(Qt.Vertical)
        splitter.addWidget(top)
        splitter.addWidget(self.history)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 1)
        splitter.setChildrenCollapsible(False)
        QVBoxLayout(self).addWidget(splitter)

    @property
    def runs(self) -> list[Run]:
        return self.hub.runs

    @property
    def is_training(self) -> bool:
        return self.hub.current_run is not None

    def showEvent(self, event) -> None:
        """The first time the tab opens, draw the curves in a frame of their own and start
        the training process in the background.

        Laying out and drawing the plots for the first time takes as long as the rest of the
        tab; together they would stall the window. The process imports TensorFlow and
        reads MNIST (seconds) while the user reads the form, not once Train is pressed;
        the window's own process does neither.
        """
        super().showEvent(event)
        if self.curves.isHidden():
            QTimer.singleShot(0, self.curves.show)
        # After this frame is drawn, as an event of its own: pipes and the spawn take a few
        # milliseconds, which on top of the tab's first paint would stall it.
        QTimer.singleShot(PREPARE_DELAY_MS, self.hub.prepare_training)

    def start_training(self, **overrides) -> bool:
        """Start a run with the form's settings, ``overrides`` applied (``arch="quick",
        epochs=1``, ...) and shown in the form. False, with the problem shown next to its
        field, if a value is refused; False if a run is in progress."""
        if self.is_training:
            return False
        if overrides.get("arch") in PRESETS:
            self.form.select_preset(overrides["arch"])
        config = self.form.config(**overrides)
        if config is None:
            return False
        self.form.set_config(config)
        return self.hub.start_run(config, tensorboard=self.tensorboard_box.isChecked()) is not None

    def stop_training(self) -> None:
        """Stop after the current batch (the best weights so far are kept); a run that is
        not responding is ended."""
        self.hub.stop_run()

    # ----- the hub's runs ------------------------------------------------------------------
    def _on_run_started(self, run: Run) -> None:
        config = run.config
        self._offered = None
        self.history.add(run)
        self.curves.reset(_epochs(run))
        self.train_button.setEnabled(False)
        self.stop_button.setEnabled(True)
        self.stop_button.setText("Stop")
        self.use_button.setVisible(False)
        self.back_button.setVisible(False)
        self._show_details("")
        self.form.setEnabled(False)
        self.form_pages.setCurrentWidget(self.adapt_note if run.kind == "adapt"
                                         else self.form_pages.widget(0))
        self.progress.setRange(0, 0)
        self.progress.setFormat("Starting…")
        self._set_state(_doing(run))
        if run.kind == "adapt":
            self._log("Adapting the active model to your digits (Errors tab, My digits)")
        else:
            self._log(f"Training {config.arch}: {config.epochs} epochs, batch "
                      f"{config.batch_size}, {OPTIMIZER_NAMES[config.optimizer]} lr "
                      f"{config.learning_rate:g}")

    def _on_run_batch(self, run: Run, report) -> None:
        if run.kind == "adapt":
            self._on_adapt_step(report)
            return
        self.curves.add_batch(report)
        epochs = _epochs(run)
        total = epochs * report.batches_per_epoch
        elapsed = time.time() - run.started
        eta = elapsed / report.seen_batches * (total - report.seen_batches)
        self.progress.setRange(0, total)
        self.progress.setValue(report.seen_batches)
        self.progress.setFormat(f"epoch {report.epoch + 1}/{epochs} · batch "
                                f"{report.batch + 1}/{report.batches_per_epoch} · "
                                f"loss {report.loss:.3f} · ETA {_clock(eta)}")

    def _on_adapt_step(self, report) -> None:
        """An adaptation's step: each fine-tune it tries is one epoch of its steps."""
        if report.epoch + 1 > self.curves.epochs:  # a second try: its curve goes on
            self.curves.set_epochs(report.epoch + 1)
            again = adapt_again(report)
            self._set_state(again)
            self._log(again)
        self.curves.add_batch(report)
        self.progress.setRange(0, report.batches_per_epoch)
        self.progress.setValue(report.batch + 1)
        self.progress.setFormat(f"{adapt_step(report)} · loss {report.loss:.3f}")

    def _on_run_epoch(self, run: Run, report, tiles) -> None:
        self.curves.show_epochs(run.epochs, tiles)
        self._log(f"epoch {report.epoch + 1}/{report.epochs}: loss {report.loss:.4f}, "
                  f"acc {report.accuracy:.4f}, val loss {report.val_loss:.4f}, "
                  f"val acc {report.val_accuracy:.4f}, {report.seconds:.1f}s"
                  + (" (best)" if report.improved else ""))
        self.history.update_run(run)

    def _on_run_changed(self, run: Run) -> None:
        self.history.update_run(run)
        if run.state == runs.STOPPING:
            self.stop_button.setEnabled(False)
            self._set_state("Stopping after this batch…")
        elif run.state == runs.NOT_RESPONDING:
            self.stop_button.setEnabled(True)
            self.stop_button.setText("End it")
            self._set_state("The training process is not responding. Wait, or end it "
                            "(nothing of this run is kept).", error=True)
            self._log(self.state_label.text())
        elif run.state == runs.TRAINING:
            self.stop_button.setText("Stop")
            self._set_state(_doing(run))
        elif run.state == runs.SAVING:
            self.progress.setRange(0, 0)
            self.progress.setFormat("Measuring on the test set and saving…")
        elif run.decision == runs.ACTIVE and self.hub.active is not None \
                and self.hub.active.run_id == run.id:
            self._show_active(run)

    def _on_run_ended(self, run: Run) -> None:
        self.history.update_run(run)
        outcome = run.outcome
        if run is self._unsaved and run.decision != runs.UNSAVED:  # saved as the user chose
            self._unsaved = None
            self.save_as_button.setVisible(False)
        if run.state == runs.FAILED:
            self._idle("Failed")
            self._set_state(f"Training failed: {run.message}\n"
                            f"{stays_active(self.hub.active)}", error=True)
            self._show_details(run.details)
        elif run.decision == runs.UNSAVED:
            self._idle("Not saved")
            self._set_state(f"{outcome.note} Its weights are kept: “Save as…” saves them "
                            f"where you choose.", error=True)
            self._unsaved = run
            self.save_as_button.setEnabled(True)
            self.save_as_button.setVisible(True)
        elif run.decision == runs.UNCHANGED:
            self._idle("Done", full=True)
            self._set_state(f"{describe_run(run)} {stays_active(self.hub.active)} "
                            f"No new model saved.")
        elif run.path is None:
            self._idle("Stopped")
            self._set_state("Stopped before the first epoch ended: nothing to keep.")
        elif run.stopped:
            self._idle("Stopped")
            best = ("What it learnt so far was" if outcome.best_epoch is None else
                    f"The best weights (epoch {outcome.best_epoch + 1}, validation "
                    f"{outcome.val_accuracy:.2%}, test {_percent(run.test_accuracy)}) were")
            self._set_state(f"Stopped. {best} saved to {run.path}.")
            self._offer(run, "Use this model", "Make the stopped run's best weights the "
                                               "active model")
        elif run.decision == runs.ACTIVE:
            self._idle("Done", full=True)
            self._show_active(run)
        elif run.decision == runs.OFFERED:
            self._idle("Done", full=True)
            self._set_state(f"Done, but not used: {run.comparison.describe()}. "
                            f"{stays_active(self.hub.active)}")
            self._offer(run, "Use it anyway", f"Make {run.path.name} the active model")
        else:  # NOT_LOADED
            self._idle("Done", full=True)
            self._set_state(f"The model was saved to {run.path} but could not be loaded: "
                            f"{run.message}", error=True)
        if outcome is not None and outcome.note and run.path is not None:  # a saved model
            self._set_state(f"{self.state_label.text()}\nNote: {outcome.note}")
        self._log(self.state_label.text())
        self.run_finished.emit(run)

    def _on_training_unavailable(self, message: str, details: str) -> None:
        if self.hub.current_run is None:
            self._set_state(f"Training is unavailable: {message}. Train tries again.",
                            error=True)
            self._show_details(details)
            self._log(self.state_label.text())

    # ----- the active model ------------------------------------------------------------------
    def _show_active(self, run: Run) -> None:
        previous = self.hub.previous
        before = "" if previous is None else (
            f", previous model {_percent(previous.test_accuracy)}"
            if previous.test_accuracy is not None else f", previous model {previous.name}")
        self._set_state(f"Now active: {run.path}. {_percent(run.test_accuracy)} test"
                        f"{before}.")
        self.use_button.setVisible(False)
        self.back_button.setVisible(previous is not None)
        self.back_button.setToolTip("" if previous is None
                                    else plain_tooltip(f"Use {previous.describe()}"))

    def _on_model_changed(self, active: ActiveModel) -> None:
        run = self.hub.run_by_id(active.run_id) if active.run_id is not None else None
        if run is None or run.decision != runs.ACTIVE:
            self.back_button.setVisible(False)  # another model: "previous" means another one
        if self._offered is not None and active.run_id == self._offered.id:
            self._offered = None
            self.use_button.setVisible(False)

    def _on_load_failed(self, message: str) -> None:
        if self._offered is not None:
            self.use_button.setVisible(True)  # the user may try again

    def _on_save_as_clicked(self) -> None:
        if self._unsaved is None:
            return
        kept = self._unsaved.outcome.unsaved
        path, _ = QFileDialog.getSaveFileName(self, "Save model as", str(Path.home() / kept.name),
                                              "Keras models (*.keras)")
        if path:
            self.save_unsaved_as(path)

    def save_unsaved_as(self, path: str | Path) -> None:
        """Save the run whose model its folder refused as ``path`` (``.keras`` added); the
        hub then makes it active."""
        if self._unsaved is None:
            return
        path = Path(path)
        path = path if path.suffix == ".keras" else path.with_name(path.name + ".keras")
        self.save_as_button.setEnabled(False)
        self._set_state(f"Saving {path}…")
        self.hub.save_run_as(self._unsaved, path)

    def _on_save_failed(self, run: Run, message: str) -> None:
        self.save_as_button.setEnabled(True)
        self._set_state(f"Could not save the model there: {message}\nIts weights are still "
                        f"kept: try “Save as…” elsewhere.", error=True)
        self._log(self.state_label.text())

    def _back_to_previous(self) -> None:
        previous = self.hub.previous
        if self.hub.restore_previous():
            self._set_state(f"Back to {previous.name}.")

    def _offer(self, run: Run, text: str, tooltip: str) -> None:
        self._offered = run
        self.use_button.setText(text)
        self.use_button.setToolTip(tooltip)
        self.use_button.setVisible(True)

    def _use_offered_run(self) -> None:
        if self._offered is not None:
            self.use_button.setVisible(False)
            self.hub.use_run(self._offered)

    # ----- display -------------------------------------------------------------------------
    def _idle(self, outcome: str, full: bool = False) -> None:
        """Back to idle after a run: the bar says how it ended; full only when it completed."""
        self.train_button.setEnabled(True)
        self.stop_button.setEnabled(False)
        self.stop_button.setText("Stop")
        self.form.setEnabled(True)
        self.form_pages.setCurrentIndex(0)
        if full or self.progress.maximum() == 0:  # still busy-looking: never ran a batch
            self.progress.setRange(0, 1)
            self.progress.setValue(1 if full else 0)
        self.progress.setFormat(outcome)

    def _set_state(self, text: str, error: bool = False) -> None:
        self.state_label.setStyleSheet(f"color: {ERROR_COLOUR};" if error else "")
        self.state_label.setText(text)

    def _show_details(self, text: str) -> None:
        """The training process's log behind "Details"; hidden when there is none."""
        self.details.setPlainText(text)
        self.details_button.setVisible(bool(text))
        self.details.setVisible(bool(text) and self.details_button.isChecked())

    def _on_details_toggled(self, shown: bool) -> None:
        self.details_button.setArrowType(Qt.DownArrow if shown else Qt.RightArrow)
        self.details.setVisible(shown)

    def _log(self, line: str) -> None:
        self.log.appendPlainText(f"[{datetime.now():%H:%M:%S}] {line}")


def _percent(value: float | None) -> str:
    return "?" if value is None else f"{value:.2%}"


def _clock(seconds: float) -> str:
    seconds = max(0, int(seconds))
    return f"{seconds // 60}:{seconds % 60:02d}"


def _epochs(run: Run) -> int:
    """The epochs a run goes through: an adaptation is one pass of its steps."""
    return 1 if run.kind == "adapt" else run.config.epochs


def _doing(run: Run) -> str:
    if run.kind == "adapt":
        return "Adapting the active model to your digits…"
    return f"Training {run.config.arch}…"
