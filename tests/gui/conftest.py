"""GUI fixtures: a real main window with the shipped model, settings kept in tmp_path."""

import pytest
from PySide6.QtCore import QSettings

from digitpad.app import limit_blas_threads
from digitpad.gui.main_window import MainWindow
from tests.helpers import synthetic_mnist, write_mnist_folder

MODEL_TIMEOUT_MS = 60_000  # the first load imports TensorFlow

limit_blas_threads()  # the window's process runs with the app's policy (digitpad.app)


@pytest.fixture
def settings(tmp_path):
    return QSettings(str(tmp_path / "settings.ini"), QSettings.IniFormat)


@pytest.fixture
def synthetic_data_folder(tmp_path):
    return write_mnist_folder(tmp_path / "mnist", synthetic_mnist(n_train=1500, n_test=300))


def open_window(qtbot, settings, data_folder=None, wait_for_model=True) -> MainWindow:
    window = MainWindow(settings=settings, data_folder=data_folder)
    qtbot.addWidget(window)
    if wait_for_model:
        with qtbot.waitSignal(window.hub.model_changed, timeout=MODEL_TIMEOUT_MS):
            window.show()
    else:
        window.show()
    return window


@pytest.fixture
def window(qtbot, settings, synthetic_data_folder):
    """The main window with the shipped model active and a small synthetic MNIST."""
    window = open_window(qtbot, settings, str(synthetic_data_folder))
    yield window
    window.close()
