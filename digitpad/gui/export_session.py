"""Exports for the window: each runs in a process of its own, relayed by a QThread.

The process (``digitpad.export.job.serve``, started with multiprocessing's spawn method)
imports TensorFlow and the converters, which the window's process never does. A worker
thread starts it and blocks on its pipe (holding no lock the GUI needs), re-emitting each
message as a signal that arrives in the GUI thread.
"""

from __future__ import annotations

import multiprocessing
import multiprocessing.connection

from PySide6.QtCore import QObject, Signal

from digitpad.export import job
from digitpad.gui import workers

TERMINATE_GRACE_S = 2.0  # for the export to remove its temporary file as it unwinds


class _ExportLink(workers.Worker):
    """Runs in the session's QThread: starts the export process, then relays its messages."""

    received = Signal(object)

    def __init__(self, request: job.Request):
        super().__init__()
        context = multiprocessing.get_context("spawn")  # a fresh interpreter: no Qt inside
        self.reports, child_reports = context.Pipe(duplex=False)
        self.process = context.Process(target=job.serve, name="digitpad-export", daemon=True,
                                       args=(request, child_reports))
        self._child_end = child_reports

    def work(self):
        if self.cancelled:
            return None  # ended before this thread got to start the process
        self.process.start()
        self._child_end.close()  # the child has its own copy: its exit ends recv() below
        workers.relay(self.reports, self.received.emit)
        self.process.join()
        return self.process.exitcode

    def end(self) -> None:
        """End the export process (it removes its temporary file as it goes)."""
        self.cancel()
        if self.process.pid is None or self.process.exitcode is not None:
            return
        self.process.terminate()
        if not multiprocessing.connection.wait([self.process.sentinel], TERMINATE_GRACE_S):
            self.process.kill()


class ExportSession(QObject):
    """One export at a time, off the window's process.

    Signals
    -------
    progressed(int, int, str)
        Step, steps and what the export is doing.
    finished(job.Done)
        The export is written and verified.
    failed(str)
        The export could not be done; one line for the user.
    """

    progressed = Signal(int, int, str)
    finished = Signal(object)
    failed = Signal(str)

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self._link: _ExportLink | None = None
        self._outcome_sent = False

    @property
    def is_running(self) -> bool:
        return self._link is not None

    @property
    def process(self) -> multiprocessing.Process | None:
        """The current export process, if any (for checks)."""
        return self._link.process if self._link is not None else None

    def start(self, request: job.Request) -> bool:
        """Start exporting; False if an export is running already."""
        if self._link is not None:
            return False
        link = _ExportLink(request)
        link.received.connect(self._on_received)
        link.finished.connect(self._on_link_finished)
        link.errored.connect(self._on_link_failed)
        self._link, self._outcome_sent = link, False
        workers.start(link, self)
        return True

    def cancel(self, timeout_ms: int = 5_000) -> None:
        """End the export under way, if any, and wait for its thread; nothing is written."""
        link, self._link = self._link, None
        if link is not None:
            link.end()
        workers.stop_and_wait(self, None, timeout_ms)

    @workers.from_current("_link")
    def _on_received(self, message) -> None:
        if isinstance(message, job.Progress):
            self.progressed.emit(message.step, message.steps, message.text)
        elif isinstance(message, job.Done):
            self._outcome_sent = True
            self.finished.emit(message)
        elif isinstance(message, job.Failed):
            self._outcome_sent = True
            self.failed.emit(message.message)

    @workers.from_current("_link")
    def _on_link_finished(self, exit_code) -> None:
        self._link = None
        if not self._outcome_sent:
            self.failed.emit(f"the export process ended unexpectedly (exit code {exit_code})")

    @workers.from_current("_link")
    def _on_link_failed(self, message: str) -> None:
        self._link = None
        self.failed.emit(f"the export process could not start: {message}")
