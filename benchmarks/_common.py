"""Shared set-up for the benchmarks: quiet TensorFlow, repository on the path, the real data
sets (found as the tests find them), statistics."""

import contextlib
import os
import subprocess
import sys
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
import numpy as np  # noqa: E402

from tests.helpers import DRAWN_DATA, MNIST_DATA  # noqa: E402, F401 (DRAWN_DATA: for the benchmarks)


def real_data_folder(data_set) -> Path:
    """The folder of ``MNIST_DATA`` or ``DRAWN_DATA``; exits saying what to set if missing."""
    found = data_set.find()
    if isinstance(found, str):
        sys.exit(f"{Path(sys.argv[0]).name}: {found}")
    return found


def load_real_mnist():
    from digitpad.core.data import load_mnist
    return load_mnist(real_data_folder(MNIST_DATA), download=False)


def summary(name: str, seconds: list[float]) -> str:
    ms = np.asarray(seconds) * 1000
    return (f"{name:<34} median {np.median(ms):8.3f} ms   p99 {np.percentile(ms, 99):8.3f} ms"
            f"   (n={len(ms)})")


def open_main_window(settings_name: str):
    """A QApplication and a shown MainWindow with fresh settings, once its model is loaded,
    in a process run by the window's own policy (``digitpad.app.limit_blas_threads``, which
    ``digitpad.app.main`` sets before the window exists). Without it, BLAS's thread pool
    spins beside the GUI thread and each prediction waits for pool threads the system has
    put aside on a busy machine: pen-up -> answer p99 0.28-0.35 s instead of 0.02-0.04 s
    (number_latency.py, other processes using the cores), 0.7-1.2 s beside two burners."""
    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication

    from digitpad.app import limit_blas_threads
    from digitpad.gui.main_window import MainWindow

    limit_blas_threads()
    app = QApplication.instance() or QApplication([])
    settings = QSettings(f"/tmp/{settings_name}.ini", QSettings.IniFormat)
    settings.clear()
    window = MainWindow(settings=settings)
    window.resize(1180, 720)
    window.show()
    while window.hub.active is None:
        app.processEvents()
    return app, window


def wait_until(app, moment: float) -> None:
    """Run the event loop until ``time.perf_counter()`` reaches ``moment``, asleep between
    events as the app's own loop is: a ``processEvents()`` spin would keep a core busy for
    the whole run, adding its own load to the machine it measures."""
    import time

    from PySide6.QtCore import QEventLoop

    timer = _wake_timer()
    while (left := moment - time.perf_counter()) > 0:
        if left >= 0.001:
            timer.start(int(left * 1000))  # whole ms, not later than due: the rest spins
            app.processEvents(QEventLoop.AllEvents | QEventLoop.WaitForMoreEvents)
        else:
            app.processEvents()


_timer = None  # wait_until's wake-up, made once the QApplication exists


def _wake_timer():
    global _timer
    from PySide6.QtCore import Qt, QTimer

    if _timer is None:
        _timer = QTimer()
        _timer.setSingleShot(True)
        _timer.setTimerType(Qt.PreciseTimer)
    return _timer


def wait_for_idle(app, window, quiet: float = 1.0) -> float:
    """Wait until the window has finished starting (its chart and tabs built after the
    first frame) and then ``quiet`` seconds more, in the event loop: start-up work
    (building the tabs) then no longer overlaps the first strokes. Returns the seconds
    waited."""
    import time

    started = time.perf_counter()
    while window.draw_tab.chart is None:
        wait_until(app, time.perf_counter() + 0.01)
    wait_until(app, time.perf_counter() + quiet)
    return time.perf_counter() - started


@contextlib.contextmanager
def cpu_burners(count: int):
    """``count`` CPU-bound processes running beside the benchmark (at its priority), as on a
    busy machine; stopped on leaving."""
    burners = [subprocess.Popen([sys.executable, "-c", "while True: pass"])
               for _ in range(count)]
    try:
        yield burners
    finally:
        for burner in burners:
            burner.kill()
            burner.wait()


def machine_load() -> str:
    """The system's load averages (1, 5, 15 min), to read a timing by."""
    return "load average " + " ".join(f"{v:.2f}" for v in os.getloadavg())
