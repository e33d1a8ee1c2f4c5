"""Background work, one pattern: a QObject worker moved to its own QThread.

``start(worker, parent)`` wires the thread the same way for every job:
``thread.started -> worker.run``; ``finished/errored -> thread.quit``;
``thread.finished -> deleteLater``. Cancelling goes through a ``threading.Event`` set
directly from the GUI thread, because a queued signal would never reach a worker whose
thread is blocked inside ``fit()``.
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
import traceback
from typing import Callable

from PySide6.QtCore import QObject, QThread, Signal, Slot

from digitpad.core.config import ConfigError
from digitpad.core.data import DataError
from digitpad.core.errors import TrainingError
from digitpad.core.evaluation import EvaluationCancelled
from digitpad.core.registry import ModelError

# Niceness of worker threads (Linux): at 10 the scheduler gives a busy GUI thread about
# ten times the CPU share of each worker thread, so the window keeps its frame rate on two
# cores while training keeps both of them busy.
WORKER_NICENESS = 10

# Every core the process may use, read as the GUI thread imports this module, before any
# worker shares its core (see sharing_gui_core).
PROCESS_CORES = os.sched_getaffinity(0) if hasattr(os, "sched_setaffinity") else None

# Failures whose message says everything: no traceback, not even for developers.
EXPECTED_ERRORS = (ConfigError, DataError, EvaluationCancelled, ModelError, TrainingError)


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
        _yield_cpu_to_gui()
        try:
            result = self.work()
        except Exception as exc:  # reported to the user, never raised into Qt's event loop
            if not isinstance(exc, EXPECTED_ERRORS):
                traceback.print_exc()
            self.errored.emit(str(exc) or type(exc).__name__)
        else:
            self.finished.emit(result)


def _yield_cpu_to_gui() -> None:
    """Lower this worker thread's CPU priority, and that of the threads it starts.

    Linux schedules threads separately and new threads inherit their creator's niceness,
    so TensorFlow's compute threads, created by the worker that first runs it, yield too.
    Elsewhere the priority is left alone (on macOS it would apply to the whole app).
    A new thread also inherits its creator's cores: a worker started while the GUI thread
    shares one core with a training run takes all of them back.
    """
    if sys.platform.startswith("linux"):
        try:
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), WORKER_NICENESS)
        except OSError:
            pass  # not allowed here: the worker runs at normal priority
    if PROCESS_CORES is not None:
        with contextlib.suppress(OSError):
            os.sched_setaffinity(threading.get_native_id(), PROCESS_CORES)


@contextlib.contextmanager
def sharing_gui_core():
    """Run the body with this worker thread and the GUI thread on one CPU core (Linux).

    Why: TensorFlow tracing a model runs Python that calls into C thousands of times a
    second, and each call lets go of Python's lock and takes it back within microseconds,
    before the GUI thread, waking on another core, can take it: the window froze for 50 to
    500 ms at the start of each run. On a shared core the scheduler runs the waking GUI
    thread first (the worker has a lower priority), so it gets the lock at once.
    TensorFlow's compute threads already exist (started before this) and keep every core.
    Threads started inside the body would inherit the single core, so start none there.
    """
    if PROCESS_CORES is None:
        yield
        return
    threads = [threading.get_native_id(), threading.main_thread().native_id]
    before = [os.sched_getaffinity(tid) for tid in threads]
    try:
        for tid in threads:
            os.sched_setaffinity(tid, {min(before[1])})
    except OSError:
        pass  # not allowed here: the threads keep their cores (or get them back below)
    try:
        yield
    finally:
        for tid, cores in zip(threads, before):
            with contextlib.suppress(OSError):
                os.sched_setaffinity(tid, cores)


# A worker moved to a thread can have no Qt parent, so nothing in Qt keeps its Python object
# alive: a worker its caller does not keep would be collected and its job would never run.
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
    thread.finished.connect(worker.deleteLater)
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
