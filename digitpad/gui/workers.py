"""Background work, one pattern: a QObject worker moved to its own QThread.

``start(worker, parent)`` wires the thread the same way for every job:
``thread.started -> worker.run``; ``finished/errored -> thread.quit``;
``thread.finished -> thread.deleteLater``. The worker itself is deleted by Python, in the
GUI thread, once nothing refers to it. Cancelling goes through a ``threading.Event`` set
directly from the GUI thread, because a queued signal would never reach a worker whose
thread is busy with its job. Signals from a replaced worker are ignored with
:func:`from_current`. Training is the exception to threads: it runs in a process of its own
(see ``training_session``), because Keras holds Python's lock in long pieces.
"""

from __future__ import annotations

import functools
import threading
import traceback
from typing import Callable

from PySide6.QtCore import QObject, QThread, Signal, Slot

from digitpad.core.errors import EXPECTED_ERRORS


class Worker(QObject):
    """Runs ``job(worker)`` in a worker thread and reports its result or its error.

    The job reads ``worker.stop_event`` and may emit ``worker.progress(done, total)``.
    ``errored`` carries a message meant for the user: the exception's text, never a
    traceback (that goes to stderr for developers).
    """

    progress = Signal(int, int)
    finished = Signal(object)
    errored = Signal(str)

    def __init__(self, job: Callable[["Worker"], object] | None = None):
        super().__init__()
        self._job = job
        self.stop_event = threading.Event()
        self.thread: QThread | None = None

    def cancel(self) -> None:
        """Ask the job to stop; safe to call from any thread."""
        self.stop_event.set()

    @property
    def cancelled(self) -> bool:
        return self.stop_event.is_set()

    def work(self):
        """The job itself; subclasses override this instead of passing ``job``."""
        return self._job(self)

    @Slot()
    def run(self) -> None:
        try:
            result = self.work()
        except Exception as exc:  # reported to the user, never raised into Qt's event loop
            if not isinstance(exc, EXPECTED_ERRORS):
                traceback.print_exc()
            self.errored.emit(str(exc) or type(exc).__name__)
        else:
            self.finished.emit(result)


def relay(reports, emit: Callable[[object], None]) -> None:
    """Pass every message from the pipe end ``reports`` to ``emit`` until the process at
    its other end is gone. Blocks in ``recv``, which holds no lock the GUI thread needs:
    for the thread that owns a child process."""
    while True:
        try:
            message = reports.recv()
        except (EOFError, OSError):
            return
        emit(message)


def from_current(attribute: str):
    """Decorate a slot so that it runs only for signals from the worker in ``self.<attribute>``.

    A replaced or shut-down worker may still deliver signals queued before it was replaced;
    owners set the attribute to the new worker (or None) and these arrive ignored.
    """
    def decorate(slot):
        @functools.wraps(slot)
        def guarded(self, *args):
            current = getattr(self, attribute)
            if current is None or self.sender() is not current:
                return None
            return slot(self, *args)
        return guarded
    return decorate


# A worker moved to a thread can have no Qt parent, so nothing in Qt keeps its Python object
# alive: a worker its caller does not keep would be collected and its job would never run.
# The reference is dropped in the GUI thread once the thread has finished, and the worker
# is deleted there: deleted in its own thread (deleteLater), its destructor held Qt's
# signal lock while waiting for Python's, as the GUI thread held Python's lock and waited
# for that signal lock: the window hung for good.
_started: set[Worker] = set()


def start(worker: Worker, parent: QObject) -> QThread:
    """Move ``worker`` to a new QThread owned by ``parent`` and start it."""
    thread = QThread(parent)
    worker.moveToThread(thread)
    worker.thread = thread
    _started.add(worker)
    thread.finished.connect(lambda: _started.discard(worker))
    thread.started.connect(worker.run)
    worker.finished.connect(thread.quit)
    worker.errored.connect(thread.quit)
    thread.finished.connect(thread.deleteLater)
    thread.start()
    return thread


def stop_and_wait(owner: QObject, worker: Worker | None = None,
                  timeout_ms: int = 60_000) -> bool:
    """Cancel ``worker`` (if any), then wait for every worker thread ``owner`` started.

    Waiting for all of them matters: a worker that already reported its result may still
    be winding its thread down, and a QThread destroyed while running aborts the process.
    """
    if worker is not None:
        worker.cancel()
    ended = True
    for thread in owner.findChildren(QThread):
        thread.quit()  # takes effect once the worker's run() has returned
        ended = thread.wait(timeout_ms) and ended
    return ended
