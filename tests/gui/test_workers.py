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
