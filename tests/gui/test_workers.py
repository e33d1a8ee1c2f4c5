import threading

from PySide6.QtCore import QObject

from digitpad.gui import workers


class Owner(QObject):
    """Keeps one worker at a time, as the hub and the tabs do."""

    def __init__(self):
        super().__init__()
        self._worker = None
        self.results = []

    @workers.from_current("_worker")
    def _on_finished(self, result):
        self.results.append(result)


def _start(owner, job):
    worker = workers.Worker(job)
    worker.finished.connect(owner._on_finished)
    owner._worker = worker
    workers.start(worker, owner)
    return worker


def test_signals_from_a_replaced_worker_are_ignored(qtbot):
    owner = Owner()
    go, first_done, late_done = threading.Event(), threading.Event(), threading.Event()

    def first_job(worker):
        go.wait(60)  # ends only once the second worker has replaced it
        first_done.set()
        return "first"

    _start(owner, first_job)
    _start(owner, lambda worker: "second")  # replaces the first, still running
    qtbot.waitUntil(lambda: owner.results == ["second"], timeout=10_000)
    go.set()
    qtbot.waitUntil(first_done.is_set, timeout=10_000)
    qtbot.wait(50)  # the first's result, queued to the owner, arrives and is ignored
    assert owner.results == ["second"]
    # After a shut-down (no current worker) nothing arrives either.
    _start(owner, lambda worker: late_done.set() or "late")
    owner._worker = None
    qtbot.waitUntil(late_done.is_set, timeout=10_000)
    qtbot.wait(50)
    assert owner.results == ["second"]
    assert workers.stop_and_wait(owner)


def test_a_failing_job_reports_its_message_and_cancel_reaches_the_job(qtbot):
    # Received by a slot of a GUI-thread object, as the app's owners do (a test blocker
    # called straight from the worker's thread could miss a signal that comes at once).
    owner = Owner()

    def job(worker):
        worker.stop_event.wait(10)
        raise ValueError(f"cancelled: {worker.cancelled}")

    worker = workers.Worker(job)
    worker.errored.connect(owner._on_finished)
    owner._worker = worker
    workers.start(worker, owner)
    worker.cancel()
    qtbot.waitUntil(lambda: owner.results == ["cancelled: True"], timeout=10_000)
    assert workers.stop_and_wait(owner)


def test_a_finished_worker_is_deleted_in_the_gui_thread(qtbot):
    """Deleted in its own thread, a worker's destructor could wait for Python's lock while
    holding Qt's signal lock, as the GUI thread waited the other way round: a hang."""
    from PySide6.QtCore import Qt

    owner = Owner()
    deleted_in = []
    worker = _start(owner, lambda worker: "done")
    worker.destroyed.connect(lambda: deleted_in.append(threading.current_thread()),
                             Qt.DirectConnection)
    qtbot.waitUntil(lambda: owner.results == ["done"], timeout=10_000)
    assert workers.stop_and_wait(owner)
    qtbot.wait(50)  # the thread's end, queued to the GUI thread, is handled
    assert not deleted_in  # alive while the owner still refers to it
    owner._worker = worker = None
    qtbot.waitUntil(lambda: bool(deleted_in), timeout=10_000)
    assert deleted_in == [threading.main_thread()]
