"""The window fits the screen it opens on, and nothing in the Draw and Errors tabs is cut."""

import json
import os
import subprocess
import sys

import pytest
from PySide6.QtCore import QByteArray, QSettings
from PySide6.QtWidgets import QCheckBox, QComboBox, QLabel, QPushButton

from tests.gui.test_errors_tab import wait_for_evaluation

# A 1600x1000 screen at 1.5x display scaling, as Qt sees it.
SCALED_SCREEN = {"name": "scaled", "x": 0, "y": 0, "width": 1067, "height": 667,
                 "logicalDpi": 96, "logicalBaseDpi": 96, "dpr": 1}
OPEN_AND_REPORT = r"""
import sys
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication
app = QApplication([])
from digitpad.gui.main_window import MainWindow
window = MainWindow(settings=QSettings(sys.argv[1], QSettings.IniFormat))
window.show()
app.processEvents()
if len(sys.argv) > 2:  # set this geometry: closing the window remembers it
    window.setGeometry(*map(int, sys.argv[2].split(",")))
else:
    screen, frame = app.primaryScreen().availableGeometry(), window.frameGeometry()
    print(screen.width(), screen.height(), frame.x(), frame.y(), frame.width(), frame.height())
window.close()  # stops the window's background work, as a user's close does
"""


def open_on_scaled_screen(tmp_path, settings_file, remember: str | None = None):
    """Open the window on the scaled screen; report its frame, or set and remember one."""
    config = tmp_path / "screens.json"
    config.write_text(json.dumps({"screens": [SCALED_SCREEN]}))
    env = {**os.environ, "QT_QPA_PLATFORM": f"offscreen:configfile={config}"}
    done = subprocess.run([sys.executable, "-c", OPEN_AND_REPORT, str(settings_file),
                           *([remember] if remember else [])], env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    if remember:
        return None
    width, height, x, y, frame_width, frame_height = map(int, done.stdout.split()[-6:])
    assert (width, height) == (1067, 667)
    return x, y, frame_width, frame_height


def fits(x, y, frame_width, frame_height, width=1067, height=667):
    return x >= 0 and y >= 0 and x + frame_width <= width and y + frame_height <= height


def test_the_first_window_fits_a_small_scaled_screen(tmp_path):
    assert fits(*open_on_scaled_screen(tmp_path, tmp_path / "fresh.ini"))


def test_a_geometry_too_large_for_the_screen_is_fitted(tmp_path):
    settings_file = tmp_path / "settings.ini"
    open_on_scaled_screen(tmp_path, settings_file, remember="200,150,1500,900")
    assert isinstance(QSettings(str(settings_file), QSettings.IniFormat).value("geometry"),
                      QByteArray)
    assert fits(*open_on_scaled_screen(tmp_path, settings_file))


def test_a_remembered_geometry_that_fits_is_kept(tmp_path):
    settings_file = tmp_path / "settings.ini"
    open_on_scaled_screen(tmp_path, settings_file, remember="40,30,900,600")
    frame = open_on_scaled_screen(tmp_path, settings_file)  # the window's, with its frame
    assert all(abs(a - b) <= 4 for a, b in zip(frame, (40, 30, 900, 600))), frame


def cut_off(tab) -> list[str]:
    """Controls of ``tab`` shown narrower than their text needs."""
    cut = []
    for kind in (QLabel, QPushButton, QCheckBox, QComboBox):
        for widget in tab.findChildren(kind):
            if not widget.isVisibleTo(tab) or (kind is QLabel and widget.wordWrap()):
                continue
            needed = (widget.minimumSizeHint() if kind is QLabel else widget.sizeHint()).width()
            if widget.width() < needed:
                text = widget.currentText() if kind is QComboBox else widget.text()
                cut.append(f"{kind.__name__} {text!r}: {widget.width()} < {needed}")
    return cut


@pytest.mark.parametrize("tab_name", ["draw_tab", "errors_tab"])
def test_nothing_is_cut_off_at_900_by_600(qtbot, window, tab_name):
    window.resize(900, 600)
    tab = getattr(window, tab_name)
    window.tabs.setCurrentWidget(tab)
    if tab_name == "errors_tab":
        wait_for_evaluation(qtbot, tab)
    qtbot.wait(50)  # layouts settle
    assert (window.width(), window.height()) == (900, 600)
    assert cut_off(tab) == []
