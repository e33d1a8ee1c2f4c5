import os
import sys
import threading

import pytest
from PySide6.QtCore import QObject

from digitpad.gui import workers


def _own_niceness(worker=None) -> int:
    return os.getpriority(os.PRIO_PROCESS, threading.get_native_id())


@pytest.mark.skipif(not sys.platform.startswith("linux"),
                    reason="worker priorities are lowered on Linux only")
def test_workers_yield_the_cpu_to_the_gui_thread(qtbot):
    gui_niceness = _own_niceness()
    owner = QObject()
    worker = workers.Worker(_own_niceness)
    with qtbot.waitSignal(worker.finished, timeout=10_000) as finished:
        workers.start(worker, owner)
    assert finished.args[0] >= workers.WORKER_NICENESS
    assert _own_niceness() == gui_niceness
    assert workers.stop_and_wait(owner)


@pytest.mark.skipif(not hasattr(os, "sched_setaffinity"), reason="no CPU affinity here")
def test_a_worker_sharing_the_gui_core_runs_on_one_core_with_it_then_gets_all_back(qtbot):
    gui_thread = threading.get_native_id()
    all_cores = os.sched_getaffinity(gui_thread)

    def job(worker):
        with workers.sharing_gui_core():
            inside = (os.sched_getaffinity(threading.get_native_id()),
                      os.sched_getaffinity(gui_thread))
        return inside, os.sched_getaffinity(threading.get_native_id())

    owner = QObject()
    worker = workers.Worker(job)
    with qtbot.waitSignal(worker.finished, timeout=10_000) as finished:
        workers.start(worker, owner)
    (worker_cores, gui_cores), worker_after = finished.args[0]
    assert len(worker_cores) == 1 and gui_cores == worker_cores
    assert worker_after == all_cores
    assert os.sched_getaffinity(gui_thread) == all_cores
    assert workers.stop_and_wait(owner)


@pytest.mark.skipif(not hasattr(os, "sched_setaffinity"), reason="no CPU affinity here")
def test_a_worker_started_while_the_gui_shares_a_core_gets_every_core(qtbot):
    gui_thread = threading.get_native_id()
    owner = QObject()
    worker = workers.Worker(lambda worker: os.sched_getaffinity(threading.get_native_id()))
    os.sched_setaffinity(gui_thread, {min(workers.PROCESS_CORES)})
    try:
        with qtbot.waitSignal(worker.finished, timeout=10_000) as finished:
            workers.start(worker, owner)
    finally:
        os.sched_setaffinity(gui_thread, workers.PROCESS_CORES)
    assert finished.args[0] == workers.PROCESS_CORES
    assert workers.stop_and_wait(owner)
