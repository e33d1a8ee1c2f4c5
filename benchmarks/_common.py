"""Shared set-up for the benchmarks: quiet TensorFlow, repository on the path, the real data
sets (found as the tests find them), statistics."""

import os
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
    """A QApplication and a shown MainWindow with fresh settings, once its model is loaded."""
    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication

    from digitpad.gui.main_window import MainWindow

    app = QApplication.instance() or QApplication([])
    settings = QSettings(f"/tmp/{settings_name}.ini", QSettings.IniFormat)
    settings.clear()
    window = MainWindow(settings=settings)
    window.resize(1180, 720)
    window.show()
    while window.hub.active is None:
        app.processEvents()
    return app, window
