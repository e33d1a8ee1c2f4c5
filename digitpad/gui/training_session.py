"""Training runs for the window: a QThread that owns a training process and relays its reports.

The process (``digitpad.training_process``, started with multiprocessing's spawn method)
loads TensorFlow and trains; the QThread starts it and then blocks on its pipe, which
holds no lock the GUI needs, re-emitting every report as a signal that arrives in the GUI
thread. Stop and close go to the process through multiprocessing Events, which it checks
after every batch. One process serves run after run, so only the first pays for starting
TensorFlow, and :meth:`TrainingSession.prepare` can pay that before the user presses Train.
"""

from __future__ import annotations

import multiprocessing
import multiprocessing.connection
import multiprocessing.synchronize  # imported with the window, not when Train first opens

from PySide6.QtCore import QObject, Signal

from digitpad import training_process
from digitpad.gui import workers

# Seconds the process has to end by itself once the window closes, then to obey a
# terminate; together within the second a closing window may take.
CLOSE_GRACE_S = 0.7
TERMINATE_GRACE_S = 0.25


class _ProcessLink(workers.Worker):
    """Runs in the session's QThread: starts the training process, then relays its messages."""

    received = Signal(object)

    def __init__(self, data_folder: str | None):
        super().__init__()
        context = multiprocessing.get_context("spawn")  # a fresh interpreter: no Qt inside
        child_jobs, self.jobs = context.Pipe(duplex=False)
        self.reports, child_reports = context.Pipe(duplex=False)
        self.stop = context.Event()
        self.closing = context.Event()
        self.process = context.Process(
            target=training_process.serve, name="digitpad-trainer", daemon=True,
            args=(child_jobs, child_reports, self.stop, self.closing, data_folder))
        self._child_ends = (child_jobs, child_reports)
        self.ready = False

    def work(self):
        if self.closing.is_set():
            return None  # the window closed before this thread got to start the process
        self.process.start()
        for end in self._child_ends:
            end.close()  # the child has its own copies: its exit now ends recv() below
        workers.relay(self.reports, self.received.emit)
        self.process.join()
        return self.process.exitcode

    def send(self, job) -> None:
        """Queue ``job`` (or None: end) for the process; from the GUI thread, never blocks
        on the process (the pipe buffers it, even before the process has started)."""
        try:
            self.jobs.send(job)
        except OSError:
            pass  # the process is gone; the link reports that as it ends

    def end(self) -> None:
        """Make the process end within ``CLOSE_GRACE_S + TERMINATE_GRACE_S`` seconds."""
        self.closing.set()
        self.stop.set()
        self.send(None)
        if self.process.pid is None:
            return  # never started
        sentinel = [self.process.sentinel]
        if multiprocessing.connection.wait(sentinel, CLOSE_GRACE_S):
            return
        self.process.terminate()  # unwinds: temporary files are removed on the way out
        if not multiprocessing.connection.wait(sentinel, TERMINATE_GRACE_S):
            self.process.kill()


class TrainingSession(QObject):
    """The window's training runs, one at a time, in one training process.

    Owned by the model hub (``hub.training``). Everything is called from the GUI thread and
    every signal arrives there.

    Signals
    -------
    ready()
        The training process has loaded TensorFlow: a run starts without waiting for it.
    batch_done(BatchReport)
    epoch_done(EpochReport, tiles)
        ``tiles`` is the first layer's weights as an image (``core.tiles``), or None.
    finished(RunOutcome)
        The run ended (completed or stopped); its model, if any, is saved.
    failed(str)
        The run could not train; the message says why, for the user.
    """

    ready = Signal()
    batch_done = Signal(object)
    epoch_done = Signal(object, object)
    finished = Signal(object)
    failed = Signal(str)

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self._link: _ProcessLink | None = None
        self._running = False
        self._shut_down = False

    @property
    def is_running(self) -> bool:
        return self._running

    @property
    def is_ready(self) -> bool:
        """Whether a training process is up with TensorFlow loaded."""
        return self._link is not None and self._link.ready

    @property
    def process(self) -> multiprocessing.Process | None:
        """The current training process, if any (for checks)."""
        return self._link.process if self._link is not None else None

    def prepare(self, data_folder: str | None = None) -> None:
        """Start the training process now, if none is running, reading ``data_folder``
        ahead, so that the first run does not wait for TensorFlow's import. Does nothing
        once the session is shut down (a window closing)."""
        if self._link is None and not self._shut_down:
            link = _ProcessLink(data_folder)
            link.received.connect(self._on_received)
            link.finished.connect(self._on_link_finished)
            link.errored.connect(self._on_link_failed)
            self._link = link
            workers.start(link, self)

    def start(self, job: training_process.Job) -> bool:
        """Start a run; False if one is running already or the session is shut down."""
        if self._running or self._shut_down:
            return False
        self.prepare(job.data_folder)
        self._link.stop.clear()  # before the job: a Stop pressed from now on counts
        self._running = True
        self._link.send(job)
        return True

    def stop(self) -> None:
        """Stop the run after its current batch; its best weights so far are kept."""
        if self._running:
            self._link.stop.set()

    def shutdown(self, timeout_ms: int = 5_000) -> None:
        """End the training process (within about a second) and wait for its thread.

        A run in progress is dropped without saving anything.
        """
        link, self._link = self._link, None
        self._running = False
        self._shut_down = True
        if link is not None:
            link.end()
        workers.stop_and_wait(self, None, timeout_ms)

    @workers.from_current("_link")
    def _on_received(self, message: tuple) -> None:
        kind = message[0]
        if kind == "ready":
            self._link.ready = True
            self.ready.emit()
        elif kind == "batch":
            self.batch_done.emit(message[1])
        elif kind == "epoch":
            self.epoch_done.emit(message[1], message[2])
        elif kind == "finished":
            self._running = False
            self.finished.emit(message[1])
        elif kind == "failed":
            self._running = False
            self.failed.emit(message[1])

    @workers.from_current("_link")
    def _on_link_finished(self, exit_code) -> None:
        self._link = None  # the process ended by itself: the next run starts another
        if self._running:
            self._running = False
            self.failed.emit(f"the training process ended unexpectedly (exit code {exit_code})")

    @workers.from_current("_link")
    def _on_link_failed(self, message: str) -> None:
        self._link = None
        if self._running:
            self._running = False
            self.failed.emit(f"the training process could not start: {message}")
