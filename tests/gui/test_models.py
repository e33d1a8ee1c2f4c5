import threading
from pathlib import Path

from PySide6.QtWidgets import QMessageBox

from digitpad.core.registry import default_model_path
from digitpad.gui.main_window import MainWindow
from tests.gui.conftest import MODEL_TIMEOUT_MS, open_window


def test_status_bar_names_the_active_model(window):
    active = window.hub.active
    assert active.path.name == "default.keras"
    assert active.describe() in window.model_label.text()


def test_a_corrupt_model_file_shows_a_message_and_keeps_the_model(qtbot, window, tmp_path):
    before = window.hub.active
    bad = tmp_path / "broken.keras"
    bad.write_bytes(b"this is not a model")
    with qtbot.waitSignal(window.hub.load_failed, timeout=MODEL_TIMEOUT_MS) as failed:
        window.hub.load(bad)
    assert "broken.keras" in failed.args[0]
    assert window.hub.active is before
    boxes = [b for b in window.findChildren(QMessageBox) if b.isVisible()]
    assert boxes and "broken.keras" in boxes[-1].text()
    window.draw_tab.update_prediction()  # the app still works


def test_a_missing_last_model_falls_back_to_the_shipped_one(qtbot, settings, tmp_path):
    settings.setValue("last_model", str(tmp_path / "gone.keras"))
    window = open_window(qtbot, settings)
    assert window.hub.active.path == default_model_path()
    assert any("shipped" in b.text() for b in window.findChildren(QMessageBox))
    window.close()


def test_closing_while_the_model_loads(qtbot, settings, monkeypatch):
    from digitpad.gui import model_hub
    # The load waits until the window is closing, so the close always meets it under way.
    release, real_load = threading.Event(), model_hub._load
    monkeypatch.setattr(model_hub, "_load", lambda path: release.wait(30) and real_load(path))
    window = MainWindow(settings=settings)
    qtbot.addWidget(window)
    with qtbot.waitSignal(window.hub.loading_started, timeout=5000):
        window.show()
    assert window.hub.is_loading
    release.set()
    window.close()
    assert not window.hub.is_loading and window.hub.active is None


def test_reset_to_shipped_model(qtbot, window, tmp_path):
    with qtbot.waitSignal(window.hub.model_changed, timeout=MODEL_TIMEOUT_MS):
        window.reset_to_shipped_model()
    assert Path(window.settings.value("last_model")) == default_model_path()
