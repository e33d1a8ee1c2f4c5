"""Training runs for the window: a QThread that owns a training process and relays its reports.

The process (``digitpad.training_process``, started with multiprocessing's spawn method)
loads TensorFlow and trains; the QThread starts it and then blocks on its pipe, which
holds no lock the GUI needs, re-emitting every message (``core.link``) as a signal that
arrives in the GUI thread. One process serves run after run, so only the first pays for
starting TensorFlow, and :meth:`TrainingSession.prepare` can pay that before the user
presses Train.

The window never waits on anything the process holds. Stop and close are messages on a
pipe (never a shared lock or Event: a frozen process holding one would freeze the
window); closing then waits a bounded time for the process to end, then terminates it,
then kills it. A watchdog marks a run "not responding" when no report arrives for
``not_responding_s``; Stop then ends the process instead of asking it.
"""

from __future__ import annotations

import multiprocessing
import multiprocessing.connection
import os
import signal
import tempfile
import threading
import time

from PySide6.QtCore import QObject, QTimer, Signal

from digitpad import training_process
from digitpad.core import link
from digitpad.gui import workers

# Seconds the process has to end by itself once the window closes, then to obey a
# terminate, then to die of a kill: about a second in all, at most two.
CLOSE_GRACE_S = 0.7
TERMINATE_GRACE_S = 0.25
KILL_GRACE_S = 1.0
THREAD_WAIT_MS = 1000  # for the link's thread once its process is gone
NOT_RESPONDING_S = 60.0  # no report for this long while a run is on: "not responding"
STARTUP_S = 120.0  # the same before the process is ready (TensorFlow's import, MNIST read)
WATCHDOG_INTERVAL_MS = 500
END_AFTER_TERMINATE_MS = 500  # Stop on an unresponsive run: terminate, then kill after this
LOG_TAIL_CHARS = 4000  # of the process's log, shown behind "Details"


def end_process(process: multiprocessing.Process, grace_s: float = 0.0) -> None:
    """Make ``process`` end, waiting only on its sentinel (nothing it could hold): up to
    ``grace_s`` for it to end by itself, then a terminate, then a kill."""
    if process.pid is None:
        return
    sentinel = [process.sentinel]
    if grace_s and multiprocessing.connection.wait(sentinel, grace_s):
        return
    process.terminate()  # unwinds: temporary files are removed on the way out
    if not multiprocessing.connection.wait(sentinel, TERMINATE_GRACE_S):
        process.kill()  # also ends a stopped (SIGSTOP) process
        multiprocessing.connection.wait(sentinel, KILL_GRACE_S)


def describe_exit(code: int | None) -> str:
    """An exit code in words: "exit code 3", "killed by signal SIGSEGV"."""
    if code is None:
        return "exit code unknown"
    if code < 0:
        try:
            return f"killed by signal {signal.Signals(-code).name}"
        except ValueError:
            return f"killed by signal {-code}"
    return f"exit code {code}"


class _ProcessLink(workers.Worker):
    """Runs in the session's QThread: starts the training process, then relays its messages.

    ``finished`` carries the process's exit code once it has ended and its pipe closed.
    """

    received = Signal(object)  # a core.link message from the process
    broken = Signal(str)  # it sent something unreadable: the process is ended

    def __init__(self, target, data_folder: str | None):
        super().__init__()
        context = multiprocessing.get_context("spawn")  # a fresh interpreter: no Qt inside
        child_jobs, self.jobs = context.Pipe(duplex=False)
        self.reports, child_reports = context.Pipe(duplex=False)
        fd, self.log_path = tempfile.mkstemp(prefix="digitpad-trainer-", suffix=".log")
        os.close(fd)
        self.process = context.Process(
            target=target, name="digitpad-trainer", daemon=True,
            args=(child_jobs, child_reports, self.log_path, data_folder))
        self._child_ends = (child_jobs, child_reports)
        self._start_lock = threading.Lock()  # the process starts, or the link closes: not both
        self.closing = threading.Event()
        self.ready = False

    def work(self):
        with self._start_lock:
            if self.closing.is_set():
                return None  # the window closed before this thread got to start the process
            self.process.start()
        for end in self._child_ends:
            end.close()  # the child has its own copies: its exit now ends recv_bytes() below
        try:
            while True:
                try:
                    data = self.reports.recv_bytes(link.MAX_MESSAGE_BYTES)  # releases the lock
                except (EOFError, OSError):
                    break
                try:
                    message = link.decode(data, link.TO_WINDOW)
                except link.LinkError as exc:
                    self.broken.emit(str(exc))
                    break
                self.received.emit(message)
        finally:
            self.reports.close()
        # The pipe is closed: whatever the process still does, nobody hears it.
        end_process(self.process, grace_s=0.0 if self.closing.is_set() else CLOSE_GRACE_S)
        # Its sentinel fires as it exits, a moment before it can be reaped: join() then
        # waits for that moment (a poll could still find it running).
        self.process.join(KILL_GRACE_S)
        return self.process.exitcode

    def send(self, message) -> None:
        """Queue ``message`` for the process; from the GUI thread, never blocks on the
        process (the pipe buffers these few small messages, even before it has started)."""
        try:
            self.jobs.send_bytes(link.encode(message))
        except OSError:
            pass  # the process is gone; the link reports that as it ends

    def mark_closing(self) -> None:
        """From now on the process is not started, and its end is expected."""
        with self._start_lock:
            self.closing.set()

    def end(self) -> None:
        """Make the process end within about a second (two at most), saving nothing more."""
        self.mark_closing()
        self.send(link.Close())
        end_process(self.process, CLOSE_GRACE_S)
        self.close_pipes()

    def close_pipes(self) -> None:
        """Close the window's end of the jobs pipe (the reports end closes with the thread)."""
        self.jobs.close()

    def log_tail(self) -> str:
        """The end of what the process wrote to its stdout and stderr."""
        try:
            with open(self.log_path, "rb") as log:
                log.seek(0, os.SEEK_END)
                log.seek(max(0, log.tell() - LOG_TAIL_CHARS))
                return log.read().decode("utf-8", "replace").strip()
        except OSError:
            return ""

    def remove_log(self) -> None:
        try:
            os.remove(self.log_path)
        except OSError:
            pass


class TrainingSession(QObject):
    """The window's training process and the run it is doing, one at a time.

    Owned by the model hub (``hub.training``), which owns the runs themselves: it sends
    :class:`~digitpad.core.link.Job` values and hears back by run id. Everything is called
    from the GUI thread and every signal arrives there.

    Parameters
    ----------
    target : callable
        The process's main function, ``training_process.serve`` (tests pass fake ones).
    not_responding_s, startup_s : float
        How long a run may go without a report before it is marked not responding; the
        second applies until the process is ready.

    Signals
    -------
    ready()
        The training process has loaded TensorFlow: a run starts without waiting for it.
    batch_done(int, BatchReport), epoch_done(int, EpochReport, tiles), saving(int)
        Reports about run ``run_id``; ``tiles`` is the first layer's weights (or None).
    finished(int, RunOutcome)
        The run ended (completed or stopped); its model, if any, is saved.
    failed(int, str, str)
        The run could not train: a message for the user and details (the process's log).
    not_responding(int, float)
        No report about the run for this many seconds; Stop now ends the process.
    responding(int)
        A report arrived again after ``not_responding``.
    process_failed(str, str)
        The process ended before it was ready, with no run to blame: message, details. It
        is not started again by :meth:`prepare`, only by the next :meth:`start`.
    """

    ready = Signal()
    batch_done = Signal(int, object)
    epoch_done = Signal(int, object, object)
    saving = Signal(int)
    finished = Signal(int, object)
    failed = Signal(int, str, str)
    not_responding = Signal(int, float)
    responding = Signal(int)
    process_failed = Signal(str, str)

    def __init__(self, parent: QObject | None = None, *, target=None,
                 not_responding_s: float = NOT_RESPONDING_S, startup_s: float = STARTUP_S):
        super().__init__(parent)
        self._target = target or training_process.serve
        self.not_responding_s = not_responding_s
        self.startup_s = startup_s
        self._link: _ProcessLink | None = None
        self._run_id: int | None = None
        self._last_heard = 0.0
        self._silent = False  # the run is marked not responding
        self._broken: str | None = None  # why the current link was ended, if it was
        self._start_failed = False  # the last process died before it was ready
        self._shut_down = False
        self._watchdog = QTimer(self)
        self._watchdog.setInterval(WATCHDOG_INTERVAL_MS)
        self._watchdog.timeout.connect(self._check_watchdog)

    @property
    def is_running(self) -> bool:
        return self._run_id is not None

    @property
    def run_id(self) -> int | None:
        """The id of the run in progress, if any."""
        return self._run_id

    @property
    def is_ready(self) -> bool:
        """Whether a training process is up with TensorFlow loaded."""
        return self._link is not None and self._link.ready

    @property
    def is_responding(self) -> bool:
        return not self._silent

    @property
    def process(self) -> multiprocessing.Process | None:
        """The current training process, if any (for checks)."""
        return self._link.process if self._link is not None else None

    def prepare(self, data_folder: str | None = None) -> None:
        """Start the training process now, if none is running, reading ``data_folder``
        ahead, so that the first run does not wait for TensorFlow's import. Does nothing
        once the session is shut down (a window closing) or after a process died before
        it was ready (until the next :meth:`start`)."""
        if self._link is None and not self._shut_down and not self._start_failed:
            link_ = _ProcessLink(self._target, data_folder)
            link_.received.connect(self._on_received)
            link_.broken.connect(self._on_broken)
            link_.finished.connect(self._on_link_finished)
            link_.errored.connect(self._on_link_errored)
            self._link, self._broken = link_, None
            workers.start(link_, self)

    def start(self, job: link.Job) -> bool:
        """Start ``job``; False if a run is in progress or the session is shut down."""
        if self._run_id is not None or self._shut_down:
            return False
        self._start_failed = False  # asked for: one more try
        self.prepare(job.data_folder)
        self._run_id = job.run_id
        self._hear()
        self._watchdog.start()
        self._link.send(job)
        return True

    def stop(self) -> None:
        """Stop the run after its current batch (its best weights so far are kept); a run
        marked not responding is ended with its process instead."""
        if self._run_id is None:
            return
        if self._silent:
            self._end_unresponsive()
        else:
            self._link.send(link.Stop(self._run_id))

    def shutdown(self) -> None:
        """End the training process (about a second, two at most) and its thread.

        A run in progress is dropped without saving anything.
        """
        link_, self._link = self._link, None
        self._run_id = None
        self._shut_down = True
        self._watchdog.stop()
        if link_ is not None:
            link_.end()
        workers.stop_and_wait(self, None, THREAD_WAIT_MS)
        if link_ is not None:
            link_.remove_log()

    # ----- from the link --------------------------------------------------------------------
    def _hear(self) -> None:
        self._last_heard = time.monotonic()
        if self._silent:
            self._silent = False
            if self._run_id is not None:
                self.responding.emit(self._run_id)

    @workers.from_current("_link")
    def _on_received(self, message) -> None:
        self._hear()
        if isinstance(message, link.Ready):
            self._link.ready = True
            self.ready.emit()
            return
        if message.run_id != self._run_id:
            return  # about a run already ended here (failed, or ended as unresponsive)
        if isinstance(message, link.BatchDone):
            self.batch_done.emit(message.run_id, message.report)
        elif isinstance(message, link.EpochDone):
            self.epoch_done.emit(message.run_id, message.report, message.tiles)
        elif isinstance(message, link.Saving):
            self.saving.emit(message.run_id)
        elif isinstance(message, link.Finished):
            self._end_run()
            self.finished.emit(message.run_id, message.outcome)
        elif isinstance(message, link.Failed):
            self._end_run()
            self.failed.emit(message.run_id, message.message, self._link.log_tail())

    @workers.from_current("_link")
    def _on_broken(self, reason: str) -> None:
        self._broken = (f"the training process sent {reason}; it was ended. This is a bug "
                        f"in digitpad or a foreign program on its pipe")

    @workers.from_current("_link")
    def _on_link_finished(self, exit_code) -> None:
        link_, self._link = self._link, None  # the next run starts another process
        details = "\n".join(part for part in (link_.log_tail(), f"({describe_exit(exit_code)})")
                            if part)
        link_.close_pipes()
        link_.remove_log()
        if self._broken is not None:
            message = self._broken
        elif not link_.ready:
            message = (f"the training process ended before it was ready "
                       f"({describe_exit(exit_code)})")
        else:
            message = f"the training process ended unexpectedly ({describe_exit(exit_code)})"
        if not link_.ready:
            self._start_failed = True  # prepare() does not spawn another doomed process
        self._report_lost(message, details)

    @workers.from_current("_link")
    def _on_link_errored(self, message: str) -> None:
        link_, self._link = self._link, None
        link_.close_pipes()
        link_.remove_log()
        self._start_failed = True
        self._report_lost(f"the training process could not start: {message}", "")

    def _report_lost(self, message: str, details: str) -> None:
        """The process is gone: fail the run in progress, or say so when there is none."""
        if self._run_id is not None:
            run_id = self._run_id
            self._end_run()
            self.failed.emit(run_id, message, details)
        elif self._start_failed:
            self.process_failed.emit(message, details)

    # ----- the watchdog ---------------------------------------------------------------------
    def _check_watchdog(self) -> None:
        if self._run_id is None or self._link is None or self._silent:
            return
        limit = self.not_responding_s if self._link.ready else self.startup_s
        silent_for = time.monotonic() - self._last_heard
        if silent_for > limit:
            self._silent = True
            self.not_responding.emit(self._run_id, silent_for)

    def _end_unresponsive(self) -> None:
        """Stop pressed on a run that is not responding: fail it and end its process
        (terminate, then kill), without waiting for it here."""
        run_id, link_ = self._run_id, self._link
        self._end_run()
        self._link = None  # its last signals arrive ignored
        details = link_.log_tail()
        link_.mark_closing()
        link_.close_pipes()  # its end of the pipe: the process sees the window gone
        process = link_.process
        if process.pid is not None:
            process.terminate()
            # Killed unless its sentinel says it is gone (is_alive() would reap it under the
            # feet of the link's thread, which reports its exit code).
            QTimer.singleShot(END_AFTER_TERMINATE_MS, lambda: multiprocessing.connection.wait(
                [process.sentinel], 0) or process.kill())
        QTimer.singleShot(END_AFTER_TERMINATE_MS * 4, link_.remove_log)
        self.failed.emit(run_id, f"the training process stopped responding (no report for "
                                 f"{self.not_responding_s:g} s) and was ended", details)

    def _end_run(self) -> None:
        self._run_id = None
        self._silent = False
        self._watchdog.stop()
