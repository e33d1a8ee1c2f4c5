"""Train tab: set up a run, watch it live, and use its model; runs go through the hub's session."""

from __future__ import annotations

import time
from datetime import datetime
from pathlib import Path

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (QCheckBox, QFrame, QHBoxLayout, QLabel, QPlainTextEdit, QProgressBar,
                               QPushButton, QScrollArea, QSplitter, QVBoxLayout, QWidget)

from digitpad import paths
from digitpad.core.presets import PRESETS
from digitpad.core.data import candidate_folders, find_mnist_folder, not_found_message
from digitpad.core.link import Job
from digitpad.gui.model_hub import ActiveModel, ModelHub
from digitpad.gui.tabs.mnist_panel import MnistPanel
from digitpad.gui.widgets.run_history import Run, RunHistory
from digitpad.gui.widgets.training_curves import TrainingCurves
from digitpad.gui.widgets.training_form import OPTIMIZER_NAMES, TrainingForm

ERROR_COLOUR = "#c0392b"
PREPARE_DELAY_MS = 100  # from the tab's first show to the training process's start


class TrainTab(QWidget):
    """The setup form, Train/Stop, live curves, and the runs of this session.

    Runs go through ``hub.training`` (a training process owned by a QThread); a run that
    completes becomes the active model everywhere, with one click back to the one before.

    Signals
    -------
    run_finished(Run)
        A run ended, whatever the outcome: completed (its model is active by then),
        stopped, or failed.
    """

    run_finished = Signal(object)

    def __init__(self, hub: ModelHub, parent: QWidget | None = None):
        super().__init__(parent)
        self.hub = hub
        self.session = hub.training
        self._run: Run | None = None  # the run in progress
        self._awaiting: Run | None = None  # a completed run whose model the hub is loading
        self._stopped_run: Run | None = None  # offered by "Use this model"

        self.form = TrainingForm()
        self.curves = TrainingCurves()
        self.history = RunHistory()
        self._build_controls()
        self._build_layout()
        # The curves appear a frame after the rest of the tab (see showEvent); their space
        # is kept meanwhile, so nothing moves when they do.
        policy = self.curves.sizePolicy()
        policy.setRetainSizeWhenHidden(True)
        self.curves.setSizePolicy(policy)
        self.curves.hide()

        self.session.batch_done.connect(self._on_batch_done)
        self.session.epoch_done.connect(self._on_epoch_done)
        self.session.finished.connect(self._on_finished)
        self.session.failed.connect(self._on_failed)
        self.hub.model_changed.connect(self._on_model_changed)
        self.hub.load_failed.connect(self._on_load_failed)
        self.history.activate_requested.connect(lambda run: self.hub.load(run.path))
        self.hub.data.changed.connect(lambda folder: self._check_data())
        self._check_data()

    @property
    def data_folder(self) -> str | None:
        """The app's MNIST folder (``hub.data``); None: MNIST's usual places."""
        folder = self.hub.data.folder
        return str(folder) if folder else None

    def _check_data(self) -> None:
        """Before any run: say so, and offer a folder or a download, when MNIST is missing."""
        folders = candidate_folders(self.data_folder)
        found = any(find_mnist_folder(folder) for folder in folders)
        if not found:
            self.data_panel.show_problem(not_found_message(folders))
        self.data_panel.setVisible(not found)
        self.train_button.setEnabled(found and not self.is_training)
        self.train_button.setToolTip("" if found else "MNIST is needed first (see above)")

    def _build_controls(self) -> None:
        self.train_button = QPushButton("Train")
        self.stop_button = QPushButton("Stop")
        self.stop_button.setEnabled(False)
        self.use_button = QPushButton("Use this model")
        self.use_button.setToolTip("Make the stopped run's best weights the active model")
        self.use_button.setVisible(False)
        self.back_button = QPushButton("Back to previous model")
        self.back_button.setVisible(False)
        self.train_button.clicked.connect(lambda: self.start_training())
        self.stop_button.clicked.connect(self.stop_training)
        self.use_button.clicked.connect(self._use_stopped_run)
        self.back_button.clicked.connect(self._back_to_previous)
        self.progress = QProgressBar()
        self.progress.setRange(0, 1)
        self.progress.setValue(0)
        self.progress.setFormat("Ready")
        self.state_label = QLabel("")
        self.state_label.setWordWrap(True)
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

    def _build_layout(self) -> None:
        buttons = QHBoxLayout()
        for button in (self.train_button, self.stop_button, self.use_button, self.back_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        buttons.addWidget(self.tensorboard_box)
        run_panel = QWidget()
        panel = QVBoxLayout(run_panel)
        panel.addWidget(self.data_panel)
        panel.addLayout(buttons)
        panel.addWidget(self.progress)  # a line of its own: its text is long mid-run
        panel.addWidget(self.state_label)
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
        top = QSplitter()
        top.addWidget(form_scroll)
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
        return self.history.runs

    @property
    def is_training(self) -> bool:
        return self.session.is_running

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
        # After this frame is drawn, as an event of its own: pipes, semaphores and the spawn
        # take a few milliseconds, which on top of the tab's first paint would stall it.
        QTimer.singleShot(PREPARE_DELAY_MS, self._prepare_session)

    def _prepare_session(self) -> None:
        self.session.prepare(self.data_folder)

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
        run = Run(config=config, started=time.time())
        self.history.add(run)
        self._run, self._awaiting, self._stopped_run = run, None, None
        self.curves.reset(config.epochs)
        out = _new_model_path(config.arch)
        logs = (paths.user_data_dir() / "tensorboard" / out.stem
                if self.tensorboard_box.isChecked() else None)
        self.session.start(Job(config, self.data_folder, out, tensorboard_dir=logs))
        self.train_button.setEnabled(False)
        self.stop_button.setEnabled(True)
        self.use_button.setVisible(False)
        self.back_button.setVisible(False)
        self.form.setEnabled(False)
        self.progress.setRange(0, 0)
        self.progress.setFormat("Starting…")
        self._set_state(f"Training {config.arch}…")
        self._log(f"Training {config.arch}: {config.epochs} epochs, batch {config.batch_size}, "
                  f"{OPTIMIZER_NAMES[config.optimizer]} lr {config.learning_rate:g}")
        return True

    def stop_training(self) -> None:
        """Stop after the current batch; the best weights so far are kept."""
        if self.is_training:
            self.session.stop()
            self.stop_button.setEnabled(False)
            self._set_state("Stopping after this batch…")

    # ----- reports from the session --------------------------------------------------------
    def _on_batch_done(self, report) -> None:
        if self._run is None:
            return
        self.curves.add_batch(report)
        config = self._run.config
        total = config.epochs * report.batches_per_epoch
        elapsed = time.time() - self._run.started
        eta = elapsed / report.seen_batches * (total - report.seen_batches)
        self.progress.setRange(0, total)
        self.progress.setValue(report.seen_batches)
        self.progress.setFormat(f"epoch {report.epoch + 1}/{config.epochs} · batch "
                                f"{report.batch + 1}/{report.batches_per_epoch} · "
                                f"loss {report.loss:.3f} · ETA {_clock(eta)}")

    def _on_epoch_done(self, report, tiles) -> None:
        if self._run is None:
            return
        self._run.epochs.append(report)
        self.curves.show_epochs(self._run.epochs, tiles)
        self._log(f"epoch {report.epoch + 1}/{report.epochs}: loss {report.loss:.4f}, "
                  f"acc {report.accuracy:.4f}, val loss {report.val_loss:.4f}, "
                  f"val acc {report.val_accuracy:.4f}, {report.seconds:.1f}s"
                  + (" (best)" if report.improved else ""))
        self.history.update_run(self._run)

    def _on_finished(self, outcome) -> None:
        run, self._run = self._run, None
        if run is None:
            return
        run.path, run.card = outcome.path, outcome.card
        if outcome.path is None:
            run.status = "stopped (nothing kept)"
            self._idle("Stopped")
            self._set_state("Stopped before the first epoch ended: nothing to keep.")
        elif outcome.stopped:
            run.status = "stopped"
            self._idle("Stopped")
            self._set_state(f"Stopped. The best weights (epoch {outcome.best_epoch + 1}, "
                            f"validation {outcome.val_accuracy:.2%}, test "
                            f"{_percent(run.test_accuracy)}) were saved to {outcome.path.name}.")
            self._stopped_run = run
            self.use_button.setVisible(True)
        else:
            run.status = "finished"
            self._idle("Done", full=True)
            self._set_state(f"Done: validation {outcome.val_accuracy:.2%}, test "
                            f"{_percent(run.test_accuracy)}. Loading it…")
            self._awaiting = run  # the hub loads it: see _on_model_changed
        self._log(self.state_label.text())
        self.history.update_run(run)
        if self._awaiting is None:
            self.run_finished.emit(run)

    def _on_failed(self, message: str) -> None:
        run, self._run = self._run, None
        if run is None:
            return
        run.status = "failed"
        self._idle("Failed")
        self._set_state(f"Training failed: {message}<br>The previous model stays active.",
                        error=True)
        self._log(f"Training failed: {message}")
        self.history.update_run(run)
        self.run_finished.emit(run)

    # ----- the active model ------------------------------------------------------------------
    def _on_model_changed(self, active: ActiveModel) -> None:
        run, self._awaiting = self._awaiting, None
        if run is None or active.path != run.path:
            self.back_button.setVisible(False)  # another model: "previous" means another one
            if run is not None:
                self.run_finished.emit(run)
            return
        previous = self.hub.previous
        before = "" if previous is None else (
            f", previous model {_percent(previous.test_accuracy)}"
            if previous.test_accuracy is not None else f", previous model {previous.name}")
        self._set_state(f"Now active: {run.path.name}. {_percent(run.test_accuracy)} test"
                        f"{before}.")
        self._log(self.state_label.text())
        self.back_button.setVisible(previous is not None)
        self.back_button.setToolTip("" if previous is None else f"Use {previous.describe()}")
        self.run_finished.emit(run)

    def _on_load_failed(self, message: str) -> None:
        run, self._awaiting = self._awaiting, None
        if run is not None:
            run.status = "saved, not loaded"
            self.history.update_run(run)
            self._set_state(f"The model was saved to {run.path} but could not be loaded: "
                            f"{message}", error=True)
            self.run_finished.emit(run)

    def _back_to_previous(self) -> None:
        previous = self.hub.previous
        if self.hub.restore_previous():
            self._set_state(f"Back to {previous.name}.")

    def _use_stopped_run(self) -> None:
        if self._stopped_run is not None and self._stopped_run.path is not None:
            self.hub.load(self._stopped_run.path)
            self.use_button.setVisible(False)

    # ----- display -------------------------------------------------------------------------
    def _idle(self, outcome: str, full: bool = False) -> None:
        """Back to idle after a run: the bar says how it ended; full only when it completed."""
        self.train_button.setEnabled(True)
        self.stop_button.setEnabled(False)
        self.form.setEnabled(True)
        if full or self.progress.maximum() == 0:  # still busy-looking: never ran a batch
            self.progress.setRange(0, 1)
            self.progress.setValue(1 if full else 0)
        self.progress.setFormat(outcome)

    def _set_state(self, text: str, error: bool = False) -> None:
        self.state_label.setText(f"<span style='color:{ERROR_COLOUR}'>{text}</span>"
                                 if error else text)

    def _log(self, line: str) -> None:
        self.log.appendPlainText(f"[{datetime.now():%H:%M:%S}] {line}")


def _new_model_path(arch: str) -> Path:
    """A new file in the user's model folder, named after the architecture and the time."""
    stem = f"{arch}-{datetime.now():%Y%m%d-%H%M%S}"
    path, n = paths.user_models_dir() / f"{stem}.keras", 1
    while path.exists():
        n += 1
        path = path.with_name(f"{stem}-{n}.keras")
    return path


def _percent(value: float | None) -> str:
    return "?" if value is None else f"{value:.2%}"


def _clock(seconds: float) -> str:
    seconds = max(0, int(seconds))
    return f"{seconds // 60}:{seconds % 60:02d}"
