"""Every menu item and its shortcut does what it says, from every tab."""

import shutil
from datetime import datetime

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFileDialog

from digitpad import paths
from digitpad.core.registry import card_path, default_model_path
from tests.gui.conftest import MODEL_TIMEOUT_MS
from tests.gui.test_draw import ONE, draw_stroke, wait_for_prediction

TAB_KEYS = (Qt.Key_1, Qt.Key_2, Qt.Key_3)
TAB_ORDER = (1, 2, 0, 2, 1, 0)  # every move from every tab to every other one


def menu_action(window, menu_name: str, item: str):
    """The action ``item`` of menu ``menu_name``, found by their texts as a user reads them."""
    for menu_action_ in window.menuBar().actions():
        if menu_action_.text().replace("&", "") == menu_name:
            for action in menu_action_.menu().actions():
                if action.text().replace("&", "") == item:
                    return action
    raise AssertionError(f"no {menu_name} > {item}")


def tab_pages(window):
    return [window.draw_tab, window.errors_tab, window.train_tab]


def test_view_menu_goes_to_each_tab(window):
    pages = tab_pages(window)
    for index in TAB_ORDER:
        menu_action(window, "View", ("Draw", "Errors", "Train")[index]).trigger()
        assert window.tabs.currentWidget() is pages[index]


def test_ctrl_1_2_3_go_to_each_tab(qtbot, window):
    pages = tab_pages(window)
    for index in TAB_ORDER:
        qtbot.keyClick(window, TAB_KEYS[index], Qt.ControlModifier)
        assert window.tabs.currentWidget() is pages[index]


@pytest.mark.parametrize("use_shortcut", [False, True])
def test_edit_menu_undoes_redoes_and_clears_the_pad(qtbot, window, use_shortcut):
    pad = window.draw_tab.pad
    undo, redo, clear = (menu_action(window, "Edit", name)
                         for name in ("Undo stroke", "Redo stroke", "Clear pad"))
    assert not (undo.isEnabled() or redo.isEnabled() or clear.isEnabled())  # nothing to edit
    draw_stroke(pad, ONE)
    wait_for_prediction(qtbot, window.draw_tab)
    drawn = pad.strokes()

    def do(action, key, modifiers=Qt.NoModifier):
        if use_shortcut:
            qtbot.keyClick(window, key, modifiers)
        else:
            action.trigger()

    assert undo.isEnabled() and clear.isEnabled() and not redo.isEnabled()
    do(undo, Qt.Key_Z, Qt.ControlModifier)
    assert pad.is_empty() and redo.isEnabled() and not undo.isEnabled()
    do(redo, Qt.Key_Z, Qt.ControlModifier | Qt.ShiftModifier)
    assert pad.strokes() == drawn
    do(clear, Qt.Key_Escape)
    assert pad.is_empty()
    do(undo, Qt.Key_Z, Qt.ControlModifier)
    assert pad.strokes() == drawn
    if use_shortcut:
        qtbot.keyClick(window, Qt.Key_Delete)  # Delete clears as Esc does
        assert pad.is_empty()


def test_edit_shortcuts_leave_the_pad_alone_on_other_tabs(qtbot, window):
    pad = window.draw_tab.pad
    draw_stroke(pad, ONE)
    pad.undo()
    draw_stroke(pad, ONE)  # something to undo, and to clear
    drawn = pad.strokes()
    for page in tab_pages(window)[1:]:
        window.tabs.setCurrentWidget(page)
        for name in ("Undo stroke", "Redo stroke", "Clear pad"):
            assert not menu_action(window, "Edit", name).isEnabled()
        for key, modifiers in ((Qt.Key_Z, Qt.ControlModifier), (Qt.Key_Escape, Qt.NoModifier),
                               (Qt.Key_Delete, Qt.NoModifier)):
            qtbot.keyClick(window, key, modifiers)
        assert pad.strokes() == drawn


def copy_of_shipped_model(folder, name="copy"):
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{name}.keras"
    shutil.copy(default_model_path(), target)
    shutil.copy(card_path(default_model_path()), card_path(target))
    return target


@pytest.mark.parametrize("use_shortcut", [False, True])
def test_open_model_starts_in_the_model_folder_and_loads_the_choice(qtbot, window, monkeypatch,
                                                                    use_shortcut):
    chosen = copy_of_shipped_model(paths.user_models_dir())
    asked = []

    def get_open_file_name(parent, caption, folder, filters):
        asked.append(folder)
        return str(chosen), filters

    monkeypatch.setattr(QFileDialog, "getOpenFileName", get_open_file_name)
    with qtbot.waitSignal(window.hub.model_changed, timeout=MODEL_TIMEOUT_MS):
        if use_shortcut:
            qtbot.keyClick(window, Qt.Key_O, Qt.ControlModifier)
        else:
            menu_action(window, "File", "Open model…").trigger()
    assert asked == [str(paths.user_models_dir())]
    assert window.hub.active.path == chosen


def test_open_model_cancelled_keeps_the_model(qtbot, window, monkeypatch):
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *args: ("", ""))
    active = window.hub.active
    menu_action(window, "File", "Open model…").trigger()
    qtbot.wait(50)
    assert window.hub.active is active and not window.hub.is_loading


@pytest.mark.parametrize("use_shortcut", [False, True])
def test_reset_to_shipped_model(qtbot, window, tmp_path, use_shortcut):
    with qtbot.waitSignal(window.hub.model_changed, timeout=MODEL_TIMEOUT_MS):
        window.hub.load(copy_of_shipped_model(tmp_path / "elsewhere"))
    with qtbot.waitSignal(window.hub.model_changed, timeout=MODEL_TIMEOUT_MS):
        if use_shortcut:
            qtbot.keyClick(window, Qt.Key_R, Qt.ControlModifier | Qt.ShiftModifier)
        else:
            menu_action(window, "File", "Reset to shipped model").trigger()
    assert window.hub.active.path == default_model_path()


@pytest.mark.parametrize("use_shortcut", [False, True])
def test_quit_closes_the_window(qtbot, window, use_shortcut):
    if use_shortcut:
        qtbot.keyClick(window, Qt.Key_Q, Qt.ControlModifier)
    else:
        menu_action(window, "File", "Quit").trigger()
    qtbot.waitUntil(lambda: not window.isVisible(), timeout=5000)


def test_models_window_lists_the_model_folder_from_the_cards(qtbot, window, monkeypatch):
    from digitpad.gui.models_dialog import ModelsDialog

    folder = paths.user_models_dir()
    earlier = copy_of_shipped_model(folder, "earlier-run")  # as a run of another session left it
    broken = folder / "broken.keras"
    broken.write_bytes(b"half a model")
    dialog_shown = []
    monkeypatch.setattr(ModelsDialog, "refresh",
                        lambda self, real=ModelsDialog.refresh: (dialog_shown.append(self),
                                                                 real(self)))
    qtbot.keyClick(window, Qt.Key_M, Qt.ControlModifier)
    dialog = window._models_dialog
    assert dialog.isVisible() and dialog_shown == [dialog]
    shipped = paths.bundled_models_dir() / "default.keras"
    qtbot.waitUntil(lambda: {m.path for m in dialog.models()} >= {earlier, broken, shipped},
                    timeout=10_000)
    rows = {dialog.table.item(row, 4).text():
            [dialog.table.item(row, column).text() for column in range(5)]
            for row in range(dialog.table.rowCount())}
    card = window.hub.active.card
    saved = datetime.fromisoformat(card["saved"]).astimezone()
    assert rows[str(earlier)] == ["earlier-run", card["architecture"],
                                  f"{card['test_accuracy']:.2%}", f"{saved:%Y-%m-%d %H:%M}",
                                  str(earlier)]
    assert rows[str(broken)][0] == "broken"
    assert rows[str(broken)][1] == "unreadable"
    assert "broken.keras: not a readable model file" in dialog.status_label.text()
    assert str(folder) in dialog.folder_label.text()
    metrics = dialog.table.fontMetrics()
    assert not dialog.table.wordWrap() and all(  # every path whole, on one line
        dialog.table.columnWidth(4) >= metrics.horizontalAdvance(path) for path in rows)
    assert "1 unreadable" in dialog.status_label.text()

    opened = []
    monkeypatch.setattr("digitpad.gui.models_dialog.QDesktopServices.openUrl",
                        lambda url: opened.append(url.toLocalFile()) or True)
    qtbot.mouseClick(dialog.folder_button, Qt.LeftButton)
    assert opened == [str(folder)]

    dialog.table.selectRow([m.path for m in dialog.models()].index(earlier))
    with qtbot.waitSignal(window.hub.model_changed, timeout=MODEL_TIMEOUT_MS):
        qtbot.mouseClick(dialog.open_button, Qt.LeftButton)
    assert window.hub.active.path == earlier and not dialog.isVisible()

    menu_action(window, "File", "Models…").trigger()  # shown again: read again
    assert dialog.isVisible() and dialog_shown == [dialog, dialog]


def test_open_model_folder_shows_the_model_folder(window, monkeypatch):
    opened = []
    monkeypatch.setattr("digitpad.gui.models_dialog.QDesktopServices.openUrl",
                        lambda url: opened.append(url.toLocalFile()) or True)
    menu_action(window, "File", "Open model folder").trigger()
    assert opened == [str(paths.user_models_dir())] and paths.user_models_dir().is_dir()


def recent_menu_items(window):
    window.recent_menu.aboutToShow.emit()
    return [action for action in window.recent_menu.actions() if not action.isSeparator()]


def test_recent_models_lists_the_models_opened_and_opens_them(qtbot, window, settings, tmp_path):
    first = copy_of_shipped_model(tmp_path / "a", "first")
    second = copy_of_shipped_model(tmp_path / "b", "second")
    for path in (first, second):
        with qtbot.waitSignal(window.hub.model_changed, timeout=MODEL_TIMEOUT_MS):
            window.hub.load(path)
    items = recent_menu_items(window)
    assert [a.text() for a in items[:3]] == [str(second), str(first), str(default_model_path())]
    with qtbot.waitSignal(window.hub.model_changed, timeout=MODEL_TIMEOUT_MS):
        items[1].trigger()
    assert window.hub.active.path == first
    second.unlink()
    items = recent_menu_items(window)
    assert items[1].text() == f"{second} (missing)" and not items[1].isEnabled()
    items[-1].trigger()  # Clear recent models
    assert [a.text() for a in recent_menu_items(window)] == ["No models opened yet"]


def test_about_names_the_version_the_model_and_the_folders(window, synthetic_data_folder):
    from digitpad import __version__
    from digitpad.gui.about import AboutDialog

    menu_action(window, "Help", "About digitpad").trigger()
    shown = [d for d in window.findChildren(AboutDialog) if d.isVisible()]
    assert len(shown) == 1
    text = shown[0].label.text()
    assert shown[0].label.textFormat() == Qt.PlainText and not shown[0].label.wordWrap()
    for expected in (f"digitpad {__version__}", str(window.hub.active.path),
                     str(synthetic_data_folder), str(paths.user_models_dir()),
                     window.settings.fileName()):
        assert expected in text


def test_a_row_shows_only_what_the_card_says_and_the_files_date_without_one(tmp_path):
    from digitpad.core.registry import SavedModel
    from digitpad.gui.models_dialog import describe_saved

    path = tmp_path / "odd.keras"
    for claimed in (float("nan"), 1.7, "99%", True):
        row = describe_saved(SavedModel(path, {"test_accuracy": claimed, "saved": "soon"},
                                        None, 1e9))
        assert row == ("odd", "—", "—", f"{datetime.fromtimestamp(1e9):%Y-%m-%d %H:%M}",
                       str(path))
