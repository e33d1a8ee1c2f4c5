"""Text from files, cards, folders and errors is shown as it is: never as markup.

Each place that shows such text gets a hostile one: an image tag that would draw a
3000x2000 box and a link that would open a URL handler.
"""

import json
import zipfile

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QMessageBox

from digitpad.core.registry import default_model_path
from digitpad.gui.data_source import SETTINGS_KEY
from tests.gui.conftest import MODEL_TIMEOUT_MS, open_window
from tests.gui.test_errors_tab import EVAL_TIMEOUT_MS, wait_for_evaluation

IMAGE = "<img src=x width=3000 height=2000>"
LINK = "<a href='https://example.com/'>click</a>"
HOSTILE = IMAGE + LINK


def assert_plain(label: QLabel, text: str = HOSTILE) -> None:
    assert label.textFormat() == Qt.PlainText
    assert text in label.text()
    # An image drawn from the text would take 3000x2000 pixels; as text it takes a line.
    assert label.sizeHint().width() < 2000 and label.sizeHint().height() < 1000


def message_box_label(window) -> QLabel:
    boxes = window.findChildren(QMessageBox)
    assert boxes, "no message box was shown"
    return boxes[-1].findChild(QLabel, "qt_msgbox_label")


def test_a_file_name_in_a_load_failure_message_is_plain(qtbot, window, tmp_path):
    path = tmp_path / f"{HOSTILE.replace('/', '_')}.keras"
    path.write_bytes(b"not a model")
    with qtbot.waitSignal(window.hub.load_failed, timeout=MODEL_TIMEOUT_MS):
        window.hub.load(path)
    assert_plain(message_box_label(window), path.name)


def test_a_layer_class_name_from_config_json_is_plain(qtbot, window, tmp_path):
    path = tmp_path / "layer.keras"
    with zipfile.ZipFile(default_model_path()) as shipped, \
            zipfile.ZipFile(path, "w") as crafted:
        for entry in shipped.infolist():
            content = shipped.read(entry)
            if entry.filename == "config.json":
                config = json.loads(content)
                config["config"]["layers"][-1]["class_name"] = HOSTILE
                content = json.dumps(config).encode()
            crafted.writestr(entry.filename, content)
    with qtbot.waitSignal(window.hub.load_failed, timeout=MODEL_TIMEOUT_MS):
        window.hub.load(path)
    assert_plain(message_box_label(window))


def test_a_card_name_is_plain_in_the_status_bar_the_errors_tab_and_tooltips(qtbot, window):
    predictor = window.hub.active.predictor
    window.hub.set_model(predictor, None, {"name": HOSTILE, "architecture": LINK})
    assert_plain(window.model_label)
    summary = window.errors_tab.summary
    wait_for_evaluation(qtbot, window.errors_tab)
    assert_plain(summary)


def test_a_tooltip_naming_a_model_shows_its_text_literally():
    """Tooltips ("Back to the previous model" names the model) have no plain-text switch."""
    from PySide6.QtGui import QTextDocument
    from digitpad.gui.widgets.plain_text import plain_tooltip
    document = QTextDocument()
    document.setHtml(plain_tooltip(f"Use {HOSTILE}"))
    assert document.toPlainText() == f"Use {HOSTILE}"
    assert document.idealWidth() < 2000  # no 3000-pixel image


def test_an_export_file_name_is_plain(qtbot, window, tmp_path):
    tab = window.errors_tab
    wait_for_evaluation(qtbot, tab)
    path = tmp_path / f"{HOSTILE.replace('/', '_')}.csv"
    assert tab.export(path)
    assert_plain(tab.export_status, path.name)
    assert not tab.export(tmp_path / "missing" / path.name)
    assert_plain(tab.export_status, path.name)


def test_a_data_folder_name_is_plain_in_the_data_panels(qtbot, settings, tmp_path,
                                                        monkeypatch):
    monkeypatch.delenv("DIGITPAD_DATA", raising=False)
    window = open_window(qtbot, settings)
    folder = tmp_path / HOSTILE.replace("/", "_")
    folder.mkdir()
    for panel in (window.errors_tab.data_panel, window.train_tab.data_panel):
        assert not panel.choose_folder(str(folder))
        assert_plain(panel.message, folder.name)
    window.close()


def test_an_error_from_a_run_is_plain_in_the_train_tab(qtbot, window, tmp_path):
    from digitpad.core.architectures import preset_config
    from digitpad.core.runs import Run
    tab = window.train_tab
    run = Run(id=99, config=preset_config("linear"), save_path=tmp_path / "x.keras",
              started=0.0, state="training")
    window.hub.runs.append(run)  # as the hub records a run it started
    tab.history.add(run)
    window.hub.training.failed.emit(run.id, f"could not save {HOSTILE}.keras",
                                    f"Traceback: {HOSTILE}")
    assert_plain(tab.state_label)
    assert f"{window.hub.active.name} stays active" in tab.state_label.text()
    assert tab.details_button.isVisibleTo(tab)
    assert HOSTILE in tab.details.toPlainText()  # a QPlainTextEdit: never markup


def test_a_remembered_folder_that_cannot_be_searched_opens_the_app_and_says_why(
        qtbot, settings, tmp_path, monkeypatch):
    """Mode 000 as root sees it without its capabilities (simulated: root ignores modes)."""
    from tests.helpers import make_unsearchable, synthetic_mnist, write_mnist_folder
    monkeypatch.delenv("DIGITPAD_DATA", raising=False)
    folder = write_mnist_folder(tmp_path / "locked", synthetic_mnist(30, 10))
    settings.setValue(SETTINGS_KEY, str(folder))
    make_unsearchable(monkeypatch, folder)
    window = open_window(qtbot, settings)
    tab = window.errors_tab
    window.tabs.setCurrentWidget(tab)
    qtbot.waitUntil(lambda: tab.pages.currentIndex() == 1, timeout=EVAL_TIMEOUT_MS)
    assert "locked: not usable: Permission denied" in tab.data_panel.message.text()
    train = window.train_tab.data_panel
    assert train.isVisibleTo(window.train_tab)
    assert "locked: not usable: Permission denied" in train.message.text()
    assert settings.value(SETTINGS_KEY) == str(folder)  # kept: it may be readable next time
    window.close()


def test_a_remembered_mode_000_folder_for_real(tmp_path, settings):
    """The same with real permissions, in a child process (under capsh as root)."""
    from tests.helpers import run_python_with_folder_locked, synthetic_mnist, write_mnist_folder
    folder = write_mnist_folder(tmp_path / "locked", synthetic_mnist(30, 10))
    settings.setValue(SETTINGS_KEY, str(folder))
    settings.sync()
    code = ("import sys\nfrom PySide6.QtCore import QSettings\n"
            "from digitpad.gui.data_source import DataSource\n"
            "from digitpad.core.data import load_mnist, DataError\n"
            "source = DataSource(QSettings(sys.argv[1], QSettings.IniFormat))\n"
            "try:\n    load_mnist(source.folder, download=False)\n"
            "except DataError as exc:\n    print(exc)\n")
    child = run_python_with_folder_locked(folder, "-c", code, settings.fileName())
    assert child.returncode == 0, child.stderr
    assert child.stdout.strip() == f"{folder}: not usable: Permission denied"
