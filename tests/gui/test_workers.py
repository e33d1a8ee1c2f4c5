import threading

from PySide6.QtCore import QObject, Signal

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
    go = threading.Event()
    first = _start(owner, lambda worker: go.wait(60) and "first")  # ends only after go.set()
    _start(owner, lambda worker: "second")  # replaces the first, still running
    qtbot.waitUntil(lambda: owner.results == ["second"], timeout=10_000)
    with qtbot.waitSignal(first.finished, timeout=10_000):
        go.set()
    qtbot.wait(20)  # the first's result, queued to the owner, arrives and is ignored
    assert owner.results == ["second"]
    # After a shut-down (no current worker) nothing arrives either.
    owner._worker = None
    late = workers.Worker(lambda worker: "late")
    late.finished.connect(owner._on_finished)
    with qtbot.waitSignal(late.finished, timeout=10_000):
        workers.start(late, owner)
    qtbot.wait(20)
    assert owner.results == ["second"]
    assert workers.stop_and_wait(owner)


def test_a_failing_job_reports_its_message_and_cancel_reaches_the_job(qtbot):
    owner = QObject()

    def job(worker):
        worker.stop_event.wait(10)
        raise ValueError(f"cancelled: {worker.cancelled}")

    worker = workers.Worker(job)
    with qtbot.waitSignal(worker.errored, timeout=10_000) as errored:
        workers.start(worker, owner)
        worker.cancel()
    assert errored.args == ["cancelled: True"]
    assert workers.stop_and_wait(owner)
