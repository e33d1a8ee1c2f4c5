"""Every menu item and its shortcut does what it says, from every tab."""

import shutil

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
