"""File > Export model: the export runs in a process of its own, reports its steps, and
ends with what was written, "Show in folder", or one clear line."""

import os

from PySide6.QtCore import Qt
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QFileDialog

from digitpad.export import job
from digitpad.gui.export_dialog import ExportDialog

EXPORT_TIMEOUT_MS = 240_000  # a fresh process imports TensorFlow, converts and verifies


def _menu_action(window, text):
    file_menu = window.menuBar().actions()[0].menu()
    return next(a for a in file_menu.actions() if a.text().replace("&", "") == text)


def test_export_from_the_menu_runs_off_the_windows_process(qtbot, window, tmp_path,
                                                           monkeypatch):
    chosen = tmp_path / "exports" / "digits"  # no suffix typed: the filter's is added
    monkeypatch.setattr(QFileDialog, "getSaveFileName",
                        lambda *args, **kwargs: (str(chosen), "ONNX (*.onnx)"))
    steps = []
    _menu_action(window, "Export model…").trigger()
    dialog = window.findChild(ExportDialog)
    dialog.session.progressed.connect(lambda step, total, text: steps.append(step))
    with qtbot.waitSignal(dialog.done, timeout=EXPORT_TIMEOUT_MS) as outcome:
        assert window.draw_tab.isEnabled()  # the window is not blocked meanwhile
    result = outcome.args[0]
    assert isinstance(result, job.Done), result
    assert result.pid != os.getpid()  # TensorFlow and the converters stayed out of here
    assert result.path == chosen.with_suffix(".onnx") and result.path.is_file()
    assert steps == sorted(steps) and steps[-1] == 4
    assert "verified with ONNX Runtime" in dialog.status.text()
    assert dialog.status.textFormat() == Qt.PlainText

    opened = []
    monkeypatch.setattr(QDesktopServices, "openUrl",
                        lambda url: opened.append(url.toLocalFile()))
    qtbot.mouseClick(dialog.show_in_folder, Qt.LeftButton)
    assert opened == [str(result.path.parent)]


def test_a_failed_export_says_why_in_one_line(qtbot, window, tmp_path):
    dialog = window.export_model(tmp_path / "model.pb")
    with qtbot.waitSignal(dialog.done, timeout=EXPORT_TIMEOUT_MS) as outcome:
        pass
    message = outcome.args[0]
    assert isinstance(message, str) and "unknown format '.pb'" in message
    assert dialog.status.text() == f"Not exported: {message}"
    assert "Traceback" not in message and len(message.splitlines()) == 1
    assert not dialog.show_in_folder.isEnabled() and not list(tmp_path.glob("model*"))


def test_closing_the_dialog_cancels_the_export(qtbot, window, tmp_path):
    out = tmp_path / "cancelled.tflite"
    dialog = window.export_model(out)
    with qtbot.waitSignal(dialog.session.progressed, timeout=EXPORT_TIMEOUT_MS):
        pass
    process = dialog.session.process
    dialog.close()
    assert not dialog.session.is_running and process.exitcode is not None
    assert not out.exists()
