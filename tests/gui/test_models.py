import threading
from pathlib import Path

from PySide6.QtCore import Qt
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


def test_loading_a_model_at_start_removes_what_killed_saves_left_beside_it(
        qtbot, settings, tmp_path):
    import subprocess
    import sys

    from digitpad.core.registry import load_model, save_model
    path = save_model(load_model(default_model_path()), tmp_path / "mine.keras", {})
    ended = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                           capture_output=True, text=True, check=True)
    litter = tmp_path / f".mine.keras.{int(ended.stdout)}-89abcdef.keras"
    litter.write_bytes(b"half a model")
    settings.setValue("last_model", str(path))
    window = open_window(qtbot, settings)
    assert window.hub.active.path == path
    assert not litter.exists()
    window.close()


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


def test_a_settings_file_with_values_of_the_wrong_type_starts_on_the_defaults(qtbot, tmp_path):
    """A hand-edited .ini: a list for the last model, text for the geometry and pen width."""
    from PySide6.QtCore import QSettings

    from digitpad.gui.widgets.draw_pad import DEFAULT_PEN_WIDTH
    ini = tmp_path / "garbled.ini"
    ini.write_text("[General]\nlast_model=one.keras, two.keras\ngeometry=not a geometry\n"
                   "pen_width=wide\n")
    settings = QSettings(str(ini), QSettings.IniFormat)
    assert isinstance(settings.value("last_model"), list)
    window = open_window(qtbot, settings)  # waits for the model: no stuck "Loading model…"
    assert window.hub.active.path == default_model_path()
    assert window.model_label.text().startswith("Model: ")
    assert window.draw_tab.pad.pen_width() == DEFAULT_PEN_WIDTH
    window.close()


def test_read_setting_falls_back_to_the_default_for_any_other_type(tmp_path):
    from PySide6.QtCore import QByteArray, QSettings

    from digitpad.gui.settings import read_setting
    settings = QSettings(str(tmp_path / "s.ini"), QSettings.IniFormat)
    for key, value in {"path": ["a", "b"], "number": "0.07", "nan": "nan", "text": "x",
                       "bytes": QByteArray(b"\x01\x02")}.items():
        settings.setValue(key, value)
    settings.sync()
    settings = QSettings(str(tmp_path / "s.ini"), QSettings.IniFormat)  # read back from disk
    assert read_setting(settings, "path", str, "") == ""
    assert read_setting(settings, "number", float, 1.0) == 0.07
    assert read_setting(settings, "nan", float, 1.0) == 1.0
    assert read_setting(settings, "text", float, 1.0) == 1.0
    assert read_setting(settings, "text", QByteArray, QByteArray()).isEmpty()
    assert read_setting(settings, "bytes", QByteArray, QByteArray()) == QByteArray(b"\x01\x02")
    assert read_setting(settings, "missing", str, "default") == "default"


def test_card_text_is_shown_as_plain_text(qtbot, window, tmp_path):
    """A crafted card cannot draw markup or load images in the window."""
    import json

    from digitpad.core.architectures import build_model, preset_config
    from digitpad.core.registry import card_path
    crafted = '<b>big</b><img src="/usr/share/pixmaps/x.png" width="2000" height="900">'
    path = tmp_path / "crafted.keras"
    build_model(preset_config("linear")).save(path)  # a model with its card beside it only
    card_path(path).write_text(json.dumps({"name": crafted, "architecture": "<i>linear</i>"}))
    with qtbot.waitSignal(window.hub.model_changed, timeout=MODEL_TIMEOUT_MS):
        window.hub.load(path)
    assert crafted in window.model_label.text()
    assert window.model_label.sizeHint().width() < 1500
    assert window.model_label.sizeHint().height() < 100
    from tests.gui.test_errors_tab import wait_for_evaluation
    wait_for_evaluation(qtbot, window.errors_tab)
    assert window.errors_tab.summary.textFormat() == Qt.PlainText
    assert window.errors_tab.summary.sizeHint().height() < 100


def test_the_cards_accuracy_is_its_claim_until_the_errors_tab_measures_it(qtbot, window):
    from tests.gui.test_errors_tab import wait_for_evaluation
    claimed = window.hub.active.test_accuracy
    assert f"card says {claimed:.2%} test" in window.model_label.text()
    evaluation = wait_for_evaluation(qtbot, window.errors_tab)
    assert f"measured {evaluation.accuracy:.2%} test" in window.model_label.text()
    assert "card says" not in window.model_label.text()
