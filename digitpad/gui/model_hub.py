"""The one shared model hub: it owns the models and the runs; every tab receives it, asks it
for what it needs and reacts to its signals."""

from __future__ import annotations

import dataclasses
import itertools
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import numpy as np
from PySide6.QtCore import QObject, Signal

from digitpad import paths
from digitpad.core import runs
from digitpad.core.comparison import Comparison, compare_adaptation, compare_cards
from digitpad.core.config import TrainConfig
from digitpad.core.link import Job
from digitpad.core.presets import PRESETS
from digitpad.core.registry import card_accuracy, release_model_path, reserve_model_path
from digitpad.core.runs import Run
from digitpad.core.verdict import NO_NOT_A_DIGIT
from digitpad.gui import workers
from digitpad.gui.data_source import DataSource
from digitpad.gui.evaluations import MY_DIGITS, Evaluations, my_digits_set
from digitpad.gui.my_digits import MyDigits
from digitpad.gui.training_session import TrainingSession

_serial = itertools.count(1)


@dataclass(frozen=True)
class ActiveModel:
    """A loaded model's predictor and card. ``key`` identifies it in caches."""

    predictor: object
    path: Path | None
    card: dict
    key: int = field(default_factory=lambda: next(_serial))
    run_id: int | None = None  # the run of this session that made it, if one did

    @property
    def name(self) -> str:
        if self.card.get("name"):
            return str(self.card["name"])
        return self.path.stem if self.path else "unsaved model"

    @property
    def test_accuracy(self) -> float | None:
        return card_accuracy(self.card)

    def describe(self, measured_accuracy: float | None = None) -> str:
        """One line for the status bar: name, architecture, test accuracy.

        The accuracy is ``measured_accuracy`` (measured on the MNIST test set) when given;
        else the card's own claim, shown as such: a card is only what the file says.
        """
        parts = [self.name]
        if self.card.get("architecture"):
            parts.append(str(self.card["architecture"]))
        if measured_accuracy is not None:
            parts.append(f"measured {measured_accuracy:.2%} test")
        elif self.test_accuracy is not None:
            parts.append(f"card says {self.test_accuracy:.2%} test")
        if not getattr(self.predictor, "has_not_a_digit", True):
            parts.append(NO_NOT_A_DIGIT)
        return " · ".join(parts)


def _load(path: Path, run_id: int | None = None) -> ActiveModel:
    """Runs in a worker thread: read the model file (NumPy only, no TensorFlow) and card.

    Temporary files that killed saves left beside the model are removed too: the app's
    first load, at start, is of the last model used, in the folder it was saved to.
    """
    from digitpad.core.inference import Predictor
    from digitpad.core.registry import clean_stale_temp_files

    predictor = Predictor.load(path)  # its card comes from the same read of the file
    active = ActiveModel(predictor, path, predictor.card, run_id=run_id)
    clean_stale_temp_files(path.parent)
    return active


class ModelHub(QObject):
    """Owns the active model and the runs; loads models off the GUI thread; announces every
    change.

    Evaluations: ``evaluations`` (:class:`~digitpad.gui.evaluations.Evaluations`) measures
    models on the MNIST test set and on the user's digits (``my_digits``, the store the
    Draw tab saves to) off the GUI thread, cached per model.

    Models: :meth:`load` reads a file in the background and makes it active;
    ``previous`` is the model the active one replaced, which :meth:`restore_previous`
    brings back.

    Runs: :meth:`start_run` creates a :class:`~digitpad.core.runs.Run` record (id, config,
    save path, state, reports, outcome), which the hub alone updates, and hands its job to
    ``training`` (the training process). Everything about a run (reports, its saved model,
    that model once loaded) is matched to the record by the run's id. A run that completes
    is loaded and replaces the active model only if it is no worse
    (``core.comparison``: validation accuracy on the same data, and the drawn dev sets
    where both cards have them; for an adaptation, the user's held-out digits and MNIST's
    test set before and after); a worse one, or a stopped one, is offered
    (:meth:`use_run`). :meth:`adapt_to_my_digits` starts an adaptation run. The general
    API: a run's ``kind`` names what the training process does with its job
    (``core.link.JOB_KINDS``), ``base_model`` the model it starts from, if any.

    Signals
    -------
    loading_started(str)
        A load of this path began; predictions continue with the previous model.
    model_changed(ActiveModel)
        A new model is active everywhere.
    load_failed(str)
        A load failed; the message names the file and the problem. The previous model
        stays active.
    run_started(Run)
    run_batch(Run, BatchReport)
    run_epoch(Run, EpochReport, tiles)
        ``tiles`` is the first layer's weights as an image, or None.
    run_changed(Run)
        Its state changed while it runs (saving, stopping, not responding, responding).
    run_ended(Run)
        The run is over and its model decided: ``run.state`` is FINISHED (``decision``:
        ACTIVE, OFFERED, NOT_LOADED, UNSAVED for :meth:`save_run_as`, UNCHANGED when the
        run left the model as it was (the active model stays); none when nothing was
        kept) or FAILED (``message``, ``details``). Once an UNSAVED run's model is saved it
        is decided again, and ends again.
    save_failed(Run, str)
        :meth:`save_run_as` could not save the run's model; the message says why. It is
        still kept for another try.
    training_unavailable(str, str)
        The training process died before it was ready, with no run to fail: message,
        details. The next run tries again.
    """

    loading_started = Signal(str)
    model_changed = Signal(object)
    load_failed = Signal(str)
    run_started = Signal(object)
    run_batch = Signal(object, object)
    run_epoch = Signal(object, object, object)
    run_changed = Signal(object)
    run_ended = Signal(object)
    save_failed = Signal(object, str)
    training_unavailable = Signal(str, str)

    def __init__(self, parent: QObject | None = None, data: DataSource | None = None,
                 training: TrainingSession | None = None):
        super().__init__(parent)
        self.data = data if data is not None else DataSource()  # where every tab reads MNIST
        self.data.setParent(self)
        self.evaluations = Evaluations(self.data, self)  # MNIST test (and more), per model
        self.my_digits = MyDigits(self)  # the user's own digits, for every tab
        self.evaluations.add_set(MY_DIGITS, my_digits_set(self.my_digits.path))
        self.my_digits.changed.connect(lambda: self.evaluations.forget_set(MY_DIGITS))
        self.active: ActiveModel | None = None
        self.previous: ActiveModel | None = None
        self.runs: list[Run] = []
        self._run_ids = itertools.count(1)
        self._loader: workers.Worker | None = None
        self._saver: workers.Worker | None = None
        self._saving_run: int | None = None  # the run whose model save_run_as saves
        self._loading_run: int | None = None  # the run whose model is loading, if any
        self._use_when_loaded = False  # that model becomes active whatever it compares
        self._offered: dict[int, ActiveModel] = {}  # loaded but not made active, by run id
        self.training = training if training is not None else TrainingSession()
        self.training.setParent(self)
        self.training.batch_done.connect(self._on_batch_done)
        self.training.epoch_done.connect(self._on_epoch_done)
        self.training.saving.connect(lambda run_id: self._set_state(run_id, runs.SAVING))
        self.training.not_responding.connect(
            lambda run_id, seconds: self._set_state(run_id, runs.NOT_RESPONDING))
        self.training.responding.connect(
            lambda run_id: self._set_state(run_id, runs.TRAINING))
        self.training.finished.connect(self._on_run_finished)
        self.training.failed.connect(self._on_run_failed)
        self.training.process_failed.connect(self.training_unavailable)

    @property
    def is_loading(self) -> bool:
        return self._loader is not None

    # ----- models --------------------------------------------------------------------------
    def load(self, path: str | Path) -> None:
        """Load ``path`` in the background; the result arrives as ``model_changed``."""
        self._start_load(Path(path), None, use=True)

    def set_model(self, predictor, path: Path | None, card: dict) -> None:
        """Make a model active from its predictor. GUI thread only."""
        self._set_active(ActiveModel(predictor, path, card))

    def restore_previous(self) -> bool:
        """Make the model that the active one replaced active again; False if there is none."""
        if self.previous is None:
            return False
        self._cancel_load()
        self._set_active(self.previous)
        return True

    def predict(self, image28: np.ndarray) -> np.ndarray | None:
        """(10,) probabilities for one model-ready image, or None while no model is loaded."""
        if self.active is None:
            return None
        return self.active.predictor.predict_one(image28)

    def read(self, image28: np.ndarray, ink_share: float | None = None):
        """(probabilities (10,), Verdict) for one model-ready image by the active model's
        rule, or None while no model is loaded."""
        if self.active is None:
            return None
        return self.active.predictor.read(image28, ink_share)

    # ----- runs ----------------------------------------------------------------------------
    @property
    def current_run(self) -> Run | None:
        """The run in progress, if any."""
        return next((run for run in reversed(self.runs) if run.is_running), None)

    def prepare_training(self) -> None:
        """Start the training process ahead of the first run (it loads TensorFlow)."""
        self.training.prepare(self._data_folder())

    def adapt_to_my_digits(self) -> Run | None:
        """Adapt the active model to the user's digits: a run of kind "adapt", saved as a
        new model and decided by the same rule; None when no saved model is active or a
        run is in progress."""
        if self.active is None or self.active.path is None:
            return None
        arch = self.active.card.get("architecture")
        config = TrainConfig(arch=arch) if arch in PRESETS else TrainConfig()
        return self.start_run(config, kind="adapt", base_model=self.active.path,
                              my_digits=self.my_digits.path)

    def start_run(self, config: TrainConfig, *, kind: str = "train",
                  base_model: Path | None = None, my_digits: Path | None = None,
                  tensorboard: bool = False) -> Run | None:
        """Start a run of ``config``; its record, or None while another run is in progress.

        The hub decides where the model is saved (a new file in the user's model folder)
        and, with ``tensorboard``, where its logs go. ``kind``, ``base_model`` and
        ``my_digits`` are passed to the training process as they are (see
        ``core.link.Job``).
        """
        if self.current_run is not None or self.training.is_running:
            return None
        run_id = next(self._run_ids)
        try:
            save_path = _new_model_path("adapted" if kind == "adapt" else config.arch)
        except OSError as exc:  # the model folder cannot be written: the run fails at once
            run = Run(id=run_id, config=config, started=time.time(), kind=kind,
                      save_path=paths.user_models_dir(), state=runs.FAILED,
                      message=f"cannot create a model file in {paths.user_models_dir()} "
                              f"({exc.strerror or exc})")
            self.runs.append(run)
            self.run_started.emit(run)
            self.run_ended.emit(run)
            return run
        run = Run(id=run_id, config=config, started=time.time(), kind=kind, save_path=save_path)
        logs = (paths.user_data_dir() / "tensorboard" / run.save_path.stem
                if tensorboard else None)
        job = Job(run.id, config, self._data_folder(), run.save_path, tensorboard_dir=logs,
                  kind=kind, base_model=base_model, my_digits=my_digits)
        if not self.training.start(job):
            release_model_path(save_path)
            return None
        self.runs.append(run)
        self.run_started.emit(run)
        return run

    def stop_run(self) -> None:
        """Stop the run in progress after its batch (its best weights are kept); a run that
        is not responding is ended with its training process."""
        run = self.current_run
        if run is None:
            return
        if run.state != runs.NOT_RESPONDING:
            self._set_state(run.id, runs.STOPPING)
        self.training.stop()

    def use_run(self, run: Run) -> None:
        """Make ``run``'s saved model active, whatever it compares to (the user chose it)."""
        offered = self._offered.pop(run.id, None)
        if offered is not None:
            self._cancel_load()
            self._activate(run, offered)
        elif run.path is not None:
            self._start_load(run.path, run.id, use=True)

    def save_run_as(self, run: Run, target: str | Path) -> None:
        """Save the model of ``run``, which its folder refused (decision UNSAVED), as
        ``target`` in the background, its card renamed to match; then it is loaded and made
        active, and the run ends again (``run_ended``), as if it had been saved at once."""
        from digitpad.core.errors import CardNotWritten
        from digitpad.core.registry import discard_unsaved, save_copy

        source, card, target = run.outcome.unsaved, run.outcome.card, Path(target)

        def save(worker):
            try:
                saved, note = save_copy(source, target), ""
            except CardNotWritten as exc:  # saved, its card inside it
                saved, note = card, str(exc)
            try:
                discard_unsaved(source)  # saved where it belongs: the kept copy is spare
            except OSError:
                pass
            return run.id, target, saved, note

        saver = workers.Worker(save)
        # Bound methods (not lambdas) so the slots run in this object's (the GUI) thread.
        saver.finished.connect(self._on_saved)
        saver.errored.connect(self._on_save_failed)
        self._saver, self._saving_run = saver, run.id
        workers.start(saver, self)

    def run_by_id(self, run_id: int) -> Run | None:
        return next((run for run in self.runs if run.id == run_id), None)

    def shutdown(self, timeout_ms: int = 30_000) -> None:
        """End the training process, the evaluation and the download under way, and wait
        for a load in progress and the digits being saved (the window closes). A run in
        progress fails, unsaved."""
        self.training.shutdown()
        run = self.current_run
        if run is not None:
            run.state, run.message = runs.FAILED, "the window closed during the run"
            release_model_path(run.save_path)
            self.run_ended.emit(run)
        self.evaluations.shutdown()
        # First, as waiting for the hub's threads waits for its children's too: the digits'
        # store thread ends only once told to.
        self.my_digits.shutdown()
        workers.stop_and_wait(self, self._loader, timeout_ms)
        workers.stop_and_wait(self, self._saver, timeout_ms)
        self._loader = self._saver = None
        self.data.shutdown()

    def _data_folder(self) -> str | None:
        return str(self.data.folder) if self.data.folder else None

    def _set_state(self, run_id: int, state: str) -> None:
        run = self.run_by_id(run_id)
        if run is not None and run.is_running and run.state != state:
            run.state = state
            self.run_changed.emit(run)

    def _on_batch_done(self, run_id: int, report) -> None:
        run = self.run_by_id(run_id)
        if run is None:
            return
        run.last_batch = report
        if run.state == runs.STARTING:
            self._set_state(run_id, runs.TRAINING)
        self.run_batch.emit(run, report)

    def _on_epoch_done(self, run_id: int, report, tiles) -> None:
        run = self.run_by_id(run_id)
        if run is not None:
            run.epochs.append(report)
            self.run_epoch.emit(run, report, tiles)

    def _on_run_finished(self, run_id: int, outcome) -> None:
        run = self.run_by_id(run_id)
        if run is None:
            return
        run.outcome, run.state = outcome, runs.FINISHED
        if outcome.unsaved is not None:  # its folder refused it: kept for save_run_as
            release_model_path(run.save_path)
            run.decision = runs.UNSAVED
            self.run_ended.emit(run)
        elif outcome.unchanged:  # nothing to teach: the active model stays, none saved
            release_model_path(run.save_path)
            run.decision = runs.UNCHANGED
            self.run_ended.emit(run)
        elif outcome.path is None:  # stopped before its first epoch ended: nothing kept
            release_model_path(run.save_path)
            self.run_ended.emit(run)
        elif outcome.stopped:
            run.decision = runs.OFFERED  # a stopped run's best weights: the user decides
            self.run_ended.emit(run)
        else:
            self._start_load(outcome.path, run.id, use=False)  # decided once loaded

    @workers.from_current("_saver")
    def _on_saved(self, saved: tuple) -> None:
        self._saver = None
        run_id, target, card, note = saved
        run = self.run_by_id(run_id)
        if run is None:
            return
        run.outcome = dataclasses.replace(run.outcome, path=target, card=card, unsaved=None,
                                          note=note)
        run.decision = ""  # decided again, as a run that saved at once
        self._start_load(target, run.id, use=True)

    @workers.from_current("_saver")
    def _on_save_failed(self, message: str) -> None:
        self._saver = None
        run = self.run_by_id(self._saving_run)
        if run is not None:
            self.save_failed.emit(run, message)

    def _on_run_failed(self, run_id: int, message: str, details: str) -> None:
        run = self.run_by_id(run_id)
        if run is not None:
            run.state, run.message, run.details = runs.FAILED, message, details
            release_model_path(run.save_path)
            self.run_ended.emit(run)

    def _decide(self, run: Run, candidate: ActiveModel) -> None:
        """The no-worse rule: a completed run's model replaces the active one unless it is
        worse on a measure both have; otherwise it is offered."""
        run.comparison = self._compare(run, candidate)
        if run.comparison.no_worse:
            self._activate(run, candidate)
        else:
            run.decision = runs.OFFERED
            self._offered[run.id] = candidate
            self.run_ended.emit(run)

    def _compare(self, run: Run, candidate: ActiveModel) -> Comparison:
        if run.kind == "adapt":  # measured before and after on the same digits, in the run
            return compare_adaptation(candidate.card)
        if self.active is None:
            return Comparison(())
        return compare_cards(candidate.card, self.active.card)

    def _activate(self, run: Run, model: ActiveModel) -> None:
        """Make ``run``'s model active: its first decision ends the run, a later one (the
        user chose an offered model) changes it."""
        if run.comparison is None:
            run.comparison = self._compare(run, model)
        first = not run.decision
        run.decision = runs.ACTIVE
        self._set_active(model)
        (self.run_ended if first else self.run_changed).emit(run)

    # ----- loading -------------------------------------------------------------------------
    def _start_load(self, path: Path, run_id: int | None, use: bool) -> None:
        """Load ``path`` in a worker; ``use``: make it active, else decide by the rule."""
        self._cancel_load()
        loader = workers.Worker(lambda worker: _load(path, run_id))
        # Bound methods (not lambdas) so the slots run in this object's (the GUI) thread.
        loader.finished.connect(self._on_loaded)
        loader.errored.connect(self._on_load_failed)
        self._loader, self._loading_run, self._use_when_loaded = loader, run_id, use
        self.loading_started.emit(str(path))
        workers.start(loader, self)

    def _cancel_load(self) -> None:
        if self._loader is not None:
            self._loader.cancel()
            self._loader = None  # its result is ignored when it arrives
            run = self.run_by_id(self._loading_run) if self._loading_run is not None else None
            if run is not None and not run.decision:  # another model came first: offer it
                run.decision = runs.OFFERED
                self.run_ended.emit(run)

    @workers.from_current("_loader")  # superseded by a later load otherwise
    def _on_loaded(self, model: ActiveModel) -> None:
        self._loader = None
        run = self.run_by_id(model.run_id) if model.run_id is not None else None
        if run is None:
            self._set_active(model)
        elif self._use_when_loaded:
            self._activate(run, model)
        else:
            self._decide(run, model)

    @workers.from_current("_loader")
    def _on_load_failed(self, message: str) -> None:
        self._loader = None
        run = self.run_by_id(self._loading_run) if self._loading_run is not None else None
        if run is not None and not run.decision:
            run.decision = runs.NOT_LOADED
            run.message = message
            self.run_ended.emit(run)
        self.load_failed.emit(message)

    def _set_active(self, active: ActiveModel) -> None:
        if self.active is not None and self.active is not active:
            self.previous = self.active
        self.active = active
        self.model_changed.emit(active)


def _new_model_path(arch: str) -> Path:
    """A new file in the user's model folder, named after the architecture and the time,
    reserved (``registry.reserve_model_path``): no other run, of this window or another
    instance, gets the same name. Released again when the run keeps nothing."""
    return reserve_model_path(paths.user_models_dir(), f"{arch}-{datetime.now():%Y%m%d-%H%M%S}")
