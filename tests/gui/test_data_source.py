"""One MNIST folder for the whole app: chosen or downloaded once, used by every tab, remembered."""

from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from digitpad import paths
from digitpad.core import data as data_module
from digitpad.gui.data_source import SETTINGS_KEY, DataSource
from tests.gui.conftest import open_window
from tests.gui.test_errors_tab import EVAL_TIMEOUT_MS, wait_for_evaluation


def no_data_window(qtbot, settings, monkeypatch):
    monkeypatch.delenv("DIGITPAD_DATA", raising=False)
    window = open_window(qtbot, settings)
    tab = window.errors_tab
    window.tabs.setCurrentWidget(tab)
    qtbot.waitUntil(lambda: tab.pages.currentIndex() == 1, timeout=EVAL_TIMEOUT_MS)
    return window


def test_a_folder_chosen_in_the_errors_tab_serves_every_tab_and_the_next_start(
        qtbot, settings, synthetic_data_folder, monkeypatch):
    window = no_data_window(qtbot, settings, monkeypatch)
    tab = window.errors_tab
    with qtbot.waitSignal(tab.evaluation_ready, timeout=EVAL_TIMEOUT_MS):
        assert tab.data_panel.choose_folder(str(synthetic_data_folder))
    assert len(tab.evaluation.labels) == 300
    assert window.train_tab.data_folder == str(synthetic_data_folder)
    window.close()
    again = open_window(qtbot, settings)
    assert again.hub.data.folder == synthetic_data_folder
    assert wait_for_evaluation(qtbot, again.errors_tab) is not None
    again.close()


def test_a_folder_without_mnist_is_refused_with_its_reason(qtbot, settings, tmp_path,
                                                          monkeypatch):
    window = no_data_window(qtbot, settings, monkeypatch)
    panel = window.errors_tab.data_panel
    assert not panel.choose_folder(str(tmp_path))
    assert "MNIST files not found there" in panel.message.text()
    assert window.hub.data.folder is None and settings.value(SETTINGS_KEY) is None
    window.close()


def test_data_given_on_the_command_line_wins_for_the_session_only(settings, tmp_path,
                                                                  synthetic_data_folder):
    settings.setValue(SETTINGS_KEY, str(synthetic_data_folder))
    source = DataSource(settings, override=str(tmp_path / "other"))
    assert source.folder == tmp_path / "other"
    assert settings.value(SETTINGS_KEY) == str(synthetic_data_folder)


def test_a_stored_value_that_is_not_a_folder_with_mnist_is_forgotten(settings, tmp_path):
    for stored in (["a", "list"], str(tmp_path / "moved-away"), ""):
        settings.setValue(SETTINGS_KEY, stored)
        assert DataSource(settings).folder is None
        assert settings.value(SETTINGS_KEY) is None


def test_offline_download_explains_plainly_with_details_behind_a_toggle(
        qtbot, settings, monkeypatch):
    monkeypatch.setattr(data_module, "MIRRORS", ("http://127.0.0.1:1/",))  # refused: offline
    window = no_data_window(qtbot, settings, monkeypatch)
    panel = window.errors_tab.data_panel
    with qtbot.waitSignal(window.hub.data.download_failed, timeout=EVAL_TIMEOUT_MS):
        qtbot.mouseClick(panel.download_button, Qt.LeftButton)
    assert panel.message.text().endswith(
        "No internet connection: could not download MNIST. "
        "Choose a folder that has the four files instead.")
    assert not panel.details.isVisible() and panel.details_button.isVisible()
    qtbot.mouseClick(panel.details_button, Qt.LeftButton)
    assert panel.details.isVisible() and "127.0.0.1:1" in panel.details.toPlainText()
    assert panel.download_button.isEnabled() and not panel.progress.isVisible()
    assert not paths.user_mnist_dir().exists() and not Path(paths.user_data_dir()).exists()
    window.close()


@pytest.mark.heavy
def test_a_download_from_the_panel_is_used_at_once(qtbot, settings, monkeypatch, mnist_folder):
    monkeypatch.setattr(data_module, "MIRRORS", (mnist_folder.as_uri() + "/",))
    window = no_data_window(qtbot, settings, monkeypatch)
    tab = window.errors_tab
    with qtbot.waitSignal(tab.evaluation_ready, timeout=EVAL_TIMEOUT_MS):
        qtbot.mouseClick(tab.data_panel.download_button, Qt.LeftButton)
    assert len(tab.evaluation.labels) == 10_000
    assert window.hub.data.folder == paths.user_mnist_dir()
    assert settings.value(SETTINGS_KEY) == str(paths.user_mnist_dir())
    window.close()


class _TrickleHandler(__import__("http.server").server.BaseHTTPRequestHandler):
    """A server as slow as a bad connection: 100 bytes of a large file every 0.2 s."""

    def do_GET(self):
        import time
        self.send_response(200)
        self.send_header("Content-Length", str(10 << 20))
        self.end_headers()
        try:
            for _ in range(3000):
                self.wfile.write(b"\0" * 100)
                self.wfile.flush()
                time.sleep(0.2)
        except OSError:
            pass  # the client went away

    def log_message(self, *args):
        pass


@pytest.fixture
def slow_mirror():
    import http.server
    import threading
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _TrickleHandler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


def test_closing_the_window_during_a_slow_download_takes_under_3_s(
        qtbot, settings, monkeypatch, slow_mirror):
    import time
    monkeypatch.setattr(data_module, "MIRRORS", (slow_mirror,))
    window = no_data_window(qtbot, settings, monkeypatch)
    with qtbot.waitSignal(window.hub.data.download_progress, timeout=EVAL_TIMEOUT_MS):
        qtbot.mouseClick(window.errors_tab.data_panel.download_button, Qt.LeftButton)
    assert window.hub.data.is_downloading
    started = time.perf_counter()
    window.close()
    assert time.perf_counter() - started <= 3.0
    assert not window.hub.data.is_downloading


def test_a_stopped_download_ends_at_its_next_read_and_keeps_no_partial_file(
        tmp_path, slow_mirror):
    import threading
    import time
    from digitpad.core.errors import DownloadCancelled
    stop, reads = threading.Event(), []

    def progress(name, done, total):
        reads.append(done)
        if len(reads) == 3:
            stop.set()
    started = time.perf_counter()
    with pytest.raises(DownloadCancelled):
        data_module.download_mnist(tmp_path / "mnist", mirrors=(slow_mirror,), stop=stop,
                                   progress=progress)
    assert time.perf_counter() - started < 5 and len(reads) == 3
    assert not (tmp_path / "mnist").exists()  # no partial file, not even the folder


def test_without_data_the_message_names_the_folders_searched_and_the_four_files(
        qtbot, settings, monkeypatch):
    window = no_data_window(qtbot, settings, monkeypatch)
    message = window.errors_tab.data_panel.message
    assert message.isVisibleTo(window.errors_tab) and message.textFormat() == Qt.PlainText
    for expected in (str(paths.user_mnist_dir()), "train-images-idx3-ubyte.gz",
                     "train-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz",
                     "t10k-labels-idx1-ubyte.gz"):
        assert expected in message.text()
    window.close()
