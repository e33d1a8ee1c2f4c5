"""Teaching digitpad the user's handwriting from the Draw tab: a digit key saves the drawing."""

import dataclasses
import json
import sqlite3
import time

import numpy as np
import pytest
from PySide6.QtCore import Qt

from digitpad import paths
from digitpad.core.digit_store import DigitStore
from digitpad.core.digits_file import image_to_uint8
from digitpad.core.preprocess import to_model_input
from digitpad.gui.evaluations import MNIST_TEST, MY_DIGITS
from tests.gui.test_draw import ONE, SEVEN, draw_stroke, wait_for_prediction

SAVE_TIMEOUT_MS = 10_000
TRAINING_TIMEOUT_MS = 300_000  # the training process imports TensorFlow first


def stored(window):
    with DigitStore(window.hub.my_digits.path) as store:
        return store.samples()


def test_pressing_a_digit_saves_the_drawing_as_mine_and_undo_takes_it_back(qtbot, window):
    tab = window.draw_tab
    window.tabs.setCurrentWidget(tab)
    draw_stroke(tab.pad, SEVEN)
    wait_for_prediction(qtbot, tab)
    drawn_strokes = tab.pad.strokes()
    shown = to_model_input(tab.pad.render_ink())
    reading = tab.verdict()
    with qtbot.waitSignal(window.hub.my_digits.saved, timeout=SAVE_TIMEOUT_MS):
        qtbot.keyClick(window, Qt.Key_7)
    assert tab.pad.is_empty()  # ready for the next one
    assert tab.saved_label.text() == "Saved as 7: your first 7"
    [sample] = stored(window)
    assert sample.label == 7 and sample.model == window.hub.active.name
    assert sample.reading == (str(reading) if reading is not None else sample.reading)
    assert sample.reading in {str(reading), "unsure", "not_a_digit"}
    assert np.allclose(np.concatenate(sample.strokes), np.concatenate(drawn_strokes), atol=1e-6)
    assert np.array_equal(sample.image, image_to_uint8(shown))
    assert sample.pad_size == (min(tab.pad.width(), tab.pad.height()),) * 2

    with qtbot.waitSignal(window.hub.my_digits.changed, timeout=SAVE_TIMEOUT_MS):
        qtbot.keyClick(window, Qt.Key_Z, Qt.ControlModifier)
    assert tab.pad.strokes() == drawn_strokes  # the drawing is back on the pad...
    assert stored(window) == []                # ...and no longer saved
    assert "taken back" in tab.saved_label.text()
    qtbot.keyClick(window, Qt.Key_Z, Qt.ControlModifier)  # then undo is the pad's own again
    assert tab.pad.is_empty()


def test_a_click_on_a_digit_saves_too_and_counts_my_digits(qtbot, window):
    tab = window.draw_tab
    for shift, expected in ((0, "Saved as 1: your first 1"), (0.1, "Saved as 1: 2 of your 1s")):
        draw_stroke(tab.pad, [(x + shift, y) for x, y in ONE])
        wait_for_prediction(qtbot, tab)
        with qtbot.waitSignal(window.hub.my_digits.saved, timeout=SAVE_TIMEOUT_MS):
            tab.teach_buttons[1].click()
        assert tab.saved_label.text() == expected
    assert [s.label for s in stored(window)] == [1, 1]


def test_saving_never_waits_for_the_disk(qtbot, window):
    tab = window.draw_tab
    DigitStore(window.hub.my_digits.path).close()
    other = sqlite3.connect(window.hub.my_digits.path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # another writer holds the store: saving must wait
    try:
        draw_stroke(tab.pad, ONE)
        wait_for_prediction(qtbot, tab)
        saved = []
        window.hub.my_digits.saved.connect(saved.append)
        qtbot.keyClick(window, Qt.Key_1)
        assert tab.pad.is_empty() and tab.saved_label.text() == "Saving as 1…"
        draw_stroke(tab.pad, SEVEN)  # drawing goes on meanwhile
        wait_for_prediction(qtbot, tab)
        assert tab.probabilities() is not None and not saved
    finally:
        other.execute("COMMIT")
        other.close()
    qtbot.waitUntil(lambda: len(saved) == 1, timeout=SAVE_TIMEOUT_MS)
    assert tab.saved_label.text() == "Saved as 1: your first 1"


def test_the_window_closes_at_once_after_saving_a_digit(qtbot, window):
    # The digits' store thread waits for work until told to end: closing must tell it
    # first, not wait for it (which took the hub's 30 s timeout, twice).
    tab = window.draw_tab
    draw_stroke(tab.pad, SEVEN)
    wait_for_prediction(qtbot, tab)
    with qtbot.waitSignal(window.hub.my_digits.saved, timeout=SAVE_TIMEOUT_MS):
        qtbot.keyClick(window, Qt.Key_7)
    start = time.monotonic()
    window.close()
    assert time.monotonic() - start < 5.0
    assert [s.label for s in stored(window)] == [7]


def test_nothing_is_saved_from_an_empty_pad(qtbot, window):
    tab = window.draw_tab
    assert not any(button.isEnabled() for button in tab.teach_buttons)
    assert tab.save_as(4) is False
    qtbot.keyClick(window, Qt.Key_4)
    qtbot.wait(100)
    assert tab.saved_label.text() == ""


def save_a_seven(qtbot, window) -> None:
    """Draw a 7 on the Draw tab and press 7: it is saved as one of the user's digits."""
    draw = window.draw_tab
    window.tabs.setCurrentWidget(draw)
    draw_stroke(draw.pad, SEVEN)
    wait_for_prediction(qtbot, draw)
    with qtbot.waitSignal(window.hub.my_digits.saved, timeout=SAVE_TIMEOUT_MS):
        qtbot.keyClick(window, Qt.Key_7)


def open_my_digits(qtbot, window, count):
    tab = window.errors_tab
    window.tabs.setCurrentWidget(tab)
    tab.show_dataset(MY_DIGITS)
    qtbot.waitUntil(lambda: tab.evaluation is not None and tab._shown.name == MY_DIGITS
                    and len(tab.evaluation.labels) == count, timeout=SAVE_TIMEOUT_MS)
    return tab


def test_a_saved_drawing_shows_in_my_digits_where_it_can_be_relabelled_and_deleted(
        qtbot, window):
    save_a_seven(qtbot, window)
    tab = open_my_digits(qtbot, window, 1)
    assert tab.evaluation.labels.tolist() == [7]
    first, counts = tab.summary.text().split("\n")
    assert "on your 1 digit: reads" in first
    assert counts == "7s: 1 · none yet of 0, 1, 2, 3, 4, 5, 6, 8, 9"
    assert tab.shown_indices().tolist() == [0]  # correct or not, one's own digits all show
    [sample] = stored(window)
    assert np.array_equal(tab._shown.images[0], sample.image)
    assert tab.gallery_selection() == [sample.id]
    model = tab.gallery.gallery_model
    wrong = tab.evaluation.predictions[0] != 7
    assert (model.data(model.index(0), Qt.ForegroundRole) is not None) == wrong

    tab.mine_actions.relabel_box.setCurrentIndex(1)
    with qtbot.waitSignal(window.hub.my_digits.changed, timeout=SAVE_TIMEOUT_MS):
        tab.mine_actions.relabel_button.click()
    qtbot.waitUntil(lambda: tab.evaluation.labels.tolist() == [1], timeout=SAVE_TIMEOUT_MS)
    assert [s.label for s in stored(window)] == [1]
    with qtbot.waitSignal(window.hub.my_digits.changed, timeout=SAVE_TIMEOUT_MS):
        tab.mine_actions.delete_button.click()
    qtbot.waitUntil(lambda: len(tab.evaluation.labels) == 0, timeout=SAVE_TIMEOUT_MS)
    assert stored(window) == [] and "no digits yet" in tab.summary.text()
    tab.show_dataset(MNIST_TEST)  # and back to the test set
    qtbot.waitUntil(lambda: tab._shown.name == MNIST_TEST and tab.evaluation is not None
                    and len(tab.evaluation.labels) == 300, timeout=60_000)


def test_digits_files_import_into_my_digits_and_bad_ones_say_why(qtbot, window, tmp_path):
    good = tmp_path / "mine.json"
    good.write_text('{"format": "digitpad-digits", "version": 1, "samples": ['
                    '{"label": 7, "strokes": [[[10, 10], [60, 10], [30, 90]]]},'
                    '{"label": 1, "strokes": [[[5, 0], [5, 50]]]}]}')
    bad = tmp_path / "bad.json"
    bad.write_text('{"format": "digitpad-digits", "version": 1, "samples": [{"label": 7, "str')
    empty = tmp_path / "empty.json"
    empty.write_text('{"format": "digitpad-digits", "version": 1, "samples": []}')
    tab = open_my_digits(qtbot, window, 0)
    status = tab.mine_actions.status
    with qtbot.waitSignal(window.hub.my_digits.failed, timeout=SAVE_TIMEOUT_MS):
        tab.mine_actions.import_file(str(bad))
    # The file's name says which file; its folder is in the tooltip, not in the way.
    assert status.text().startswith("bad.json: not valid JSON")
    assert str(tmp_path) not in status.text() and status.toolTip() == str(bad)
    assert window.draw_tab.saved_label.text() == ""  # no drawing was "not saved"
    with qtbot.waitSignal(window.hub.my_digits.imported, timeout=SAVE_TIMEOUT_MS):
        tab.mine_actions.import_file(str(empty))
    assert status.text() == "empty.json holds no digits" and status.toolTip() == str(empty)
    with qtbot.waitSignal(window.hub.my_digits.imported, timeout=SAVE_TIMEOUT_MS):
        tab.mine_actions.import_file(str(good))
    assert tab.mine_actions.status.text() == "Imported 2 digits"
    qtbot.waitUntil(lambda: sorted(tab.evaluation.labels.tolist()) == [1, 7],
                    timeout=SAVE_TIMEOUT_MS)
    with qtbot.waitSignal(window.hub.my_digits.imported, timeout=SAVE_TIMEOUT_MS):
        tab.mine_actions.import_file(str(good))
    assert tab.mine_actions.status.text() == "Imported 0 digits, 2 you had already"
    exported = tmp_path / "out.json"
    with qtbot.waitSignal(window.hub.my_digits.exported, timeout=SAVE_TIMEOUT_MS):
        tab.mine_actions.export_file(str(exported))
    assert len(json.loads(exported.read_text())["samples"]) == 2
    assert status.text() == "Exported 2 digits to out.json"
    assert status.toolTip() == str(exported)
    nowhere = tmp_path / "no such folder" / "out.json"
    with qtbot.waitSignal(window.hub.my_digits.failed, timeout=SAVE_TIMEOUT_MS):
        tab.mine_actions.export_file(str(nowhere))
    assert status.text().startswith("could not write out.json (")
    assert status.toolTip() == str(nowhere)


def pattern_digits(per_digit: int) -> str:
    """A digits file in the minimal form: digit k drawn as its own zig-zag, a little jittered."""
    rng = np.random.default_rng(0)
    samples = []
    for digit in range(10):
        shape = np.random.default_rng(digit).random((4 + digit % 3, 2)) * 100
        for _ in range(per_digit):
            points = shape + rng.normal(0, 2, shape.shape)
            samples.append({"label": digit, "strokes": [points.tolist()]})
    return json.dumps({"format": "digitpad-digits", "version": 1, "samples": samples})


@pytest.mark.heavy
def test_adapt_to_me_runs_in_the_training_process_and_its_model_becomes_active(
        qtbot, window, tmp_path):
    mine = tmp_path / "mine.json"
    mine.write_text(pattern_digits(5))
    tab = open_my_digits(qtbot, window, 0)
    with qtbot.waitSignal(window.hub.my_digits.imported, timeout=SAVE_TIMEOUT_MS):
        tab.mine_actions.import_file(str(mine))
    shipped = window.hub.active
    actions = tab.mine_actions
    steps = []
    window.hub.run_batch.connect(lambda run, report: steps.append(report))
    with qtbot.waitSignal(window.hub.model_changed, timeout=TRAINING_TIMEOUT_MS):
        assert actions.adapt()
        assert not actions.adapt_button.isEnabled() and actions.stop_button.isEnabled()
    adapted = window.hub.active
    assert adapted is not shipped and adapted.path.parent == paths.user_models_dir()
    assert steps and steps[-1].seen_batches == steps[-1].batches_per_epoch
    adaptation = adapted.card["adaptation"]
    assert adaptation["samples_taught"] == 40 and adaptation["samples_held_out"] == 10
    assert adapted.card["thresholds"] == shipped.card["thresholds"]
    assert adapted.card["adapted_from"]["file"] == str(shipped.path)
    assert adapted.predictor.has_not_a_digit
    assert "Your held-out digits:" in actions.adapt_status.text()
    assert "Now active" in actions.adapt_status.text() and actions.back_button.isVisible()
    # The Train tab offers the same way back, in the same words.
    train = window.train_tab
    assert train.back_button.isVisibleTo(train)
    assert train.back_button.text() == actions.back_button.text() == "Back to the previous model"
    with qtbot.waitSignal(window.hub.model_changed, timeout=SAVE_TIMEOUT_MS):
        actions.back_button.click()
    assert window.hub.active is shipped


def shown_whole(label) -> bool:
    """``label`` shows all its lines: tall enough for its wrapped text, none clipped."""
    return (label.height() >= label.heightForWidth(label.width())
            and label.visibleRegion().boundingRect() == label.rect())


@pytest.mark.parametrize("size", [(900, 600), (1100, 760)])
def test_what_my_digits_says_is_shown_whole_in_a_small_window(qtbot, window, tmp_path, size):
    from digitpad.core import runs
    from digitpad.core.config import preset_config
    from digitpad.core.reports import RunOutcome
    from digitpad.core.runs import Run
    window.resize(*size)
    tab = open_my_digits(qtbot, window, 0)
    actions = tab.mine_actions
    bad = tmp_path / "a folder with a long name for its digits" / "my digits, corrupt.json"
    bad.parent.mkdir()
    bad.write_text('{"format": "digitpad-digits", "version": 1, "samples": [{"label": 7, "str')
    with qtbot.waitSignal(window.hub.my_digits.failed, timeout=SAVE_TIMEOUT_MS):
        actions.import_file(str(bad))
    # The longest thing an adaptation says: stopped, saved, offered with "Use it anyway".
    reading = {"count": 10, "errors": 3, "accuracy": 0.7}
    card = {"adaptation": {"samples_taught": 40, "stopped": True, "steps_done": 41,
                           "settings": {"steps": 60}, "held_out_before": reading,
                           "held_out_after": {**reading, "errors": 0},
                           "mnist_test_before": 0.9972, "mnist_test_after": 0.9964}}
    run = Run(id=98, config=preset_config("linear"), save_path=tmp_path / "a.keras",
              started=0.0, kind="adapt", state=runs.TRAINING)
    window.hub.run_started.emit(run)
    run.state, run.decision = runs.FINISHED, runs.OFFERED
    run.outcome = RunOutcome(path=tmp_path / "adapted-20261205-104848.keras", card=card,
                             stopped=True)
    window.hub.run_ended.emit(run)
    qtbot.wait(50)  # layouts settle
    assert actions.status.text().startswith("my digits, corrupt.json: ")
    assert actions.adapt_status.text() == (
        "Stopped after 41 of 60 steps on 40 of your digits. Your held-out digits: 3 of 10 "
        "misread before, 0 after. MNIST test 99.72% -> 99.64%. Saved as "
        "adapted-20261205-104848.keras, not made active.")
    assert actions.use_button.isVisible()
    assert shown_whole(actions.status) and shown_whole(actions.adapt_status)


def test_the_draw_tab_opens_my_digits_with_the_one_just_saved(qtbot, window):
    save_a_seven(qtbot, window)
    draw = window.draw_tab
    assert draw.my_digits_button.isVisible()
    qtbot.mouseClick(draw.my_digits_button, Qt.LeftButton)
    tab = window.errors_tab
    assert window.tabs.currentWidget() is tab and tab.dataset() == MY_DIGITS
    qtbot.waitUntil(lambda: tab.evaluation is not None and tab._shown.name == MY_DIGITS
                    and tab.evaluation.labels.tolist() == [7], timeout=SAVE_TIMEOUT_MS)
    assert tab.mine_actions.isVisible()


def test_my_digits_never_wait_for_the_mnist_test_set(qtbot, window):
    evaluations, active = window.hub.evaluations, window.hub.active
    tab = window.errors_tab
    window.tabs.setCurrentWidget(tab)  # the MNIST test set's evaluation starts
    assert evaluations.is_busy and evaluations.cached(active, MNIST_TEST) is None
    tab.show_dataset(MY_DIGITS)  # at once, as a user choosing it: it goes first
    qtbot.waitUntil(lambda: tab.evaluation is not None and tab._shown.name == MY_DIGITS,
                    timeout=SAVE_TIMEOUT_MS)
    assert evaluations.cached(active, MNIST_TEST) is None
    qtbot.waitUntil(lambda: evaluations.cached(active, MNIST_TEST) is not None,
                    timeout=60_000)  # and MNIST's comes after, in full
    assert len(evaluations.cached(active, MNIST_TEST).labels) == 300


def test_my_digits_read_as_the_pad_answers_them(qtbot, window):
    # A model that is never sure: the pad answers "Not sure" to every drawing, and saving
    # one is the usual way to teach it. My digits must not call such a digit read right.
    window.hub.active.predictor.thresholds = dataclasses.replace(
        window.hub.active.predictor.thresholds, sure=1.01)
    draw = window.draw_tab
    draw_stroke(draw.pad, SEVEN)
    wait_for_prediction(qtbot, draw)
    assert draw.verdict() is None  # "not sure"
    with qtbot.waitSignal(window.hub.my_digits.saved, timeout=SAVE_TIMEOUT_MS):
        qtbot.keyClick(window, Qt.Key_7)
    tab = open_my_digits(qtbot, window, 1)
    model = tab.gallery.gallery_model
    first = model.index(0)
    assert tab.evaluation.predictions[0] == 7  # its best guess is right...
    assert model.data(first, Qt.DisplayRole).startswith("7 → 7?")  # ...but not sure
    assert model.data(first, Qt.ForegroundRole) is not None  # marked as misread
    assert "reads 0.0% right · 1 wrong" in tab.summary.text()
    assert "answered “not sure”" in tab.detail_text.text()
    # The matrix and recall count it as the pad answers it: not a 7 read as a 7.
    assert tab.matrix.matrix().sum() == 0
    assert tab.class_table.item(1, 7).text() == "0"  # recall of 7
    assert tab.matrix_note.isVisible()
    assert tab.matrix_note.text() == ("Not in the matrix: 1 answered “not sure”. Its columns "
                                      "are the digits the pad answers.")
    tab.show_dataset(MNIST_TEST)  # the test set is read by the best guess, every image
    qtbot.waitUntil(lambda: tab._shown.name == MNIST_TEST and tab.evaluation is not None,
                    timeout=60_000)
    assert not tab.matrix_note.isVisible() and tab.matrix.matrix().sum() == 300


def test_the_status_bar_names_a_model_in_a_deep_folder_without_running_into_it(
        qtbot, window, tmp_path):
    import zipfile

    from digitpad.core.registry import CARD_ENTRY, default_model_path, load_card
    window.resize(900, 600)
    deep = tmp_path.joinpath(*["a folder with a rather long name"] * 4)
    deep.mkdir(parents=True)
    model = deep / "adapted-20261205-104848.keras"
    # The shipped model under a longer name: the model's label on the right grows too.
    card = {**load_card(default_model_path()), "name": "adapted-20261205-104848"}
    with zipfile.ZipFile(default_model_path()) as source, zipfile.ZipFile(model, "w") as out:
        for entry in source.infolist():
            out.writestr(entry, source.read(entry) if entry.filename != CARD_ENTRY
                         else json.dumps(card))
    with qtbot.waitSignal(window.hub.model_changed, timeout=60_000):
        window.hub.load(model)
    bar = window.statusBar()
    message = bar.currentMessage()
    assert message.startswith("Model ready: adapted-2026")
    assert message.endswith("adapted-20261205-104848.keras)")  # the file's name stays
    qtbot.wait(50)  # the label on the right takes its new width
    # Qt draws the message from x = 6 + 2 up to 2 + 2 pixels left of the label (and of the
    # size grip): all of it, closing bracket included, must fit there.
    room = window.model_label.x() - 12
    assert bar.fontMetrics().horizontalAdvance(message) <= room


def test_adapting_waits_for_a_digit_to_learn_from(qtbot, window, tmp_path):
    tab = open_my_digits(qtbot, window, 0)
    actions = tab.mine_actions
    assert not actions.adapt_button.isEnabled()  # it would start TensorFlow only to refuse
    assert actions.adapt_button.toolTip().startswith("Save some digits first")
    mine = tmp_path / "mine.json"
    mine.write_text(pattern_digits(1))
    with qtbot.waitSignal(window.hub.my_digits.imported, timeout=SAVE_TIMEOUT_MS):
        actions.import_file(str(mine))
    qtbot.waitUntil(lambda: len(tab.evaluation.labels) == 10, timeout=SAVE_TIMEOUT_MS)
    assert actions.adapt_button.isEnabled()
    assert actions.adapt_button.toolTip().startswith("Fine-tune the active model")


def test_a_file_that_breaks_the_reader_says_so_and_saving_goes_on(qtbot, window, tmp_path):
    nested = tmp_path / "nested.json"  # valid JSON, nested deeper than Python's parser goes
    nested.write_text('{"format": "digitpad-digits", "version": 1, "samples": ['
                      + "[" * 100_000 + "]" * 100_000 + "]}")
    tab = open_my_digits(qtbot, window, 0)
    with qtbot.waitSignal(window.hub.my_digits.failed, timeout=SAVE_TIMEOUT_MS):
        tab.mine_actions.import_file(str(nested))
    assert tab.mine_actions.status.text().startswith("nested.json: ")
    save_a_seven(qtbot, window)  # the store's thread still saves
    assert [s.label for s in stored(window)] == [7]


def test_an_unexpected_failure_of_one_store_job_leaves_saving_working(
        qtbot, window, tmp_path, monkeypatch):
    def out_of_memory(store, path):
        raise MemoryError("cannot allocate 2.0 GiB")
    monkeypatch.setattr(DigitStore, "import_file", out_of_memory)
    mine = tmp_path / "mine.json"
    mine.write_text(pattern_digits(1))
    tab = open_my_digits(qtbot, window, 0)
    with qtbot.waitSignal(window.hub.my_digits.failed, timeout=SAVE_TIMEOUT_MS):
        tab.mine_actions.import_file(str(mine))
    assert tab.mine_actions.status.text() == "MemoryError: cannot allocate 2.0 GiB"
    save_a_seven(qtbot, window)
    assert [s.label for s in stored(window)] == [7]


def test_a_relabelled_digit_stays_selected(qtbot, window, tmp_path):
    mine = tmp_path / "mine.json"
    mine.write_text(pattern_digits(2))
    tab = open_my_digits(qtbot, window, 0)
    with qtbot.waitSignal(window.hub.my_digits.imported, timeout=SAVE_TIMEOUT_MS):
        tab.mine_actions.import_file(str(mine))
    qtbot.waitUntil(lambda: len(tab.evaluation.labels) == 20, timeout=SAVE_TIMEOUT_MS)
    gallery = tab.gallery
    row = gallery.visualRect(gallery.gallery_model.index(5)).center()
    qtbot.mouseClick(gallery.viewport(), Qt.LeftButton, pos=row)
    [picked] = tab.gallery_selection()
    new_label = (int(tab._shown.labels[gallery.current_item()]) + 1) % 10
    tab.mine_actions.relabel_box.setCurrentIndex(new_label)
    with qtbot.waitSignal(window.hub.my_digits.changed, timeout=SAVE_TIMEOUT_MS):
        tab.mine_actions.relabel_button.click()
    qtbot.waitUntil(lambda: tab._pending is None, timeout=SAVE_TIMEOUT_MS)
    # Still the digit the user relabelled: a Delete now removes that one, no other.
    assert tab.gallery_selection() == [picked]
    assert tab._shown.labels[gallery.current_item()] == new_label


def test_a_deleted_digit_can_be_put_back(qtbot, window):
    save_a_seven(qtbot, window)
    [before] = stored(window)
    tab = open_my_digits(qtbot, window, 1)
    actions = tab.mine_actions
    assert not actions.undo_delete_button.isVisible()
    with qtbot.waitSignal(window.hub.my_digits.changed, timeout=SAVE_TIMEOUT_MS):
        qtbot.mouseClick(actions.delete_button, Qt.LeftButton)
    assert stored(window) == [] and actions.status.text() == "Deleted your 7"
    assert actions.undo_delete_button.isVisible()
    with qtbot.waitSignal(window.hub.my_digits.changed, timeout=SAVE_TIMEOUT_MS):
        qtbot.mouseClick(actions.undo_delete_button, Qt.LeftButton)
    [after] = stored(window)
    assert (after.label, after.created, after.reading) == (before.label, before.created,
                                                           before.reading)
    assert np.array_equal(after.image, before.image)
    assert not actions.undo_delete_button.isVisible()
    qtbot.waitUntil(lambda: len(tab.evaluation.labels) == 1, timeout=SAVE_TIMEOUT_MS)


def test_adapting_without_mnist_offers_it_at_once(
        qtbot, settings, tmp_path, monkeypatch, synthetic_data_folder):
    from tests.gui.conftest import open_window
    monkeypatch.delenv("DIGITPAD_DATA", raising=False)
    window = open_window(qtbot, settings)
    window.resize(1100, 760)
    mine = tmp_path / "mine.json"
    mine.write_text(pattern_digits(1))
    tab = open_my_digits(qtbot, window, 0)
    actions = tab.mine_actions
    with qtbot.waitSignal(window.hub.my_digits.imported, timeout=SAVE_TIMEOUT_MS):
        actions.import_file(str(mine))
    qtbot.waitUntil(lambda: len(tab.evaluation.labels) == 10, timeout=SAVE_TIMEOUT_MS)
    started = []
    window.hub.run_started.connect(started.append)
    qtbot.mouseClick(actions.adapt_button, Qt.LeftButton)
    assert not started and window.hub.current_run is None  # no process started to fail
    assert actions.data_panel.isVisible()
    assert actions.data_panel.message.text().startswith("Adapting needs MNIST")
    qtbot.wait(50)  # layouts settle
    assert shown_whole(actions.data_panel.message)
    assert actions.data_panel.choose_folder(str(synthetic_data_folder))  # as the user picks
    assert not actions.data_panel.isVisible() and actions.adapt_button.isEnabled()
    window.close()


def test_relabel_offers_what_the_model_reads(qtbot, window):
    draw = window.draw_tab
    draw_stroke(draw.pad, SEVEN)
    wait_for_prediction(qtbot, draw)
    with qtbot.waitSignal(window.hub.my_digits.saved, timeout=SAVE_TIMEOUT_MS):
        qtbot.keyClick(window, Qt.Key_1)  # the wrong key
    tab = open_my_digits(qtbot, window, 1)
    assert tab.evaluation.predictions[0] == 7
    assert tab.mine_actions.relabel_box.currentText() == "Relabel as 7"


def test_the_delete_key_deletes_the_digit_selected_in_my_digits(qtbot, window):
    save_a_seven(qtbot, window)
    tab = open_my_digits(qtbot, window, 1)
    gallery = tab.gallery
    gallery.setFocus()
    assert tab.gallery_selection() and gallery.hasFocus()
    with qtbot.waitSignal(window.hub.my_digits.changed, timeout=SAVE_TIMEOUT_MS):
        qtbot.keyClick(gallery, Qt.Key_Delete)
    assert stored(window) == [] and tab.mine_actions.status.text() == "Deleted your 7"
    assert tab.mine_actions.undo_delete_button.isVisible()
    qtbot.waitUntil(lambda: len(tab.evaluation.labels) == 0, timeout=SAVE_TIMEOUT_MS)
    tab.show_dataset(MNIST_TEST)  # the test set's images are not the user's to delete
    qtbot.waitUntil(lambda: tab._shown.name == MNIST_TEST and tab.evaluation is not None,
                    timeout=60_000)
    deleting = []
    window.hub.my_digits.deleted.connect(deleting.append)
    gallery.setFocus()
    qtbot.keyClick(gallery, Qt.Key_Delete)
    qtbot.wait(100)
    assert not deleting


def test_redo_after_taking_a_save_back_saves_it_again(qtbot, window):
    draw = window.draw_tab
    save_a_seven(qtbot, window)
    [saved] = stored(window)
    with qtbot.waitSignal(window.hub.my_digits.changed, timeout=SAVE_TIMEOUT_MS):
        qtbot.keyClick(window, Qt.Key_Z, Qt.ControlModifier)
    drawn = draw.pad.strokes()
    assert drawn and stored(window) == [] and "taken back" in draw.saved_label.text()
    assert draw.redo_button.isEnabled()
    with qtbot.waitSignal(window.hub.my_digits.saved, timeout=SAVE_TIMEOUT_MS):
        qtbot.keyClick(window, Qt.Key_Z, Qt.ControlModifier | Qt.ShiftModifier)
    assert draw.pad.is_empty() and draw.saved_label.text() == "Saved as 7: your first 7"
    [again] = stored(window)
    assert (again.label, again.created) == (saved.label, saved.created)
    # Undo takes it back once more, and the Redo button saves it as the key did.
    with qtbot.waitSignal(window.hub.my_digits.changed, timeout=SAVE_TIMEOUT_MS):
        qtbot.keyClick(window, Qt.Key_Z, Qt.ControlModifier)
    assert draw.pad.strokes() == drawn and stored(window) == []
    with qtbot.waitSignal(window.hub.my_digits.saved, timeout=SAVE_TIMEOUT_MS):
        qtbot.mouseClick(draw.redo_button, Qt.LeftButton)
    assert draw.pad.is_empty() and len(stored(window)) == 1


def test_redo_of_a_stroke_after_taking_a_save_back_saves_nothing(qtbot, window):
    draw = window.draw_tab
    save_a_seven(qtbot, window)
    with qtbot.waitSignal(window.hub.my_digits.changed, timeout=SAVE_TIMEOUT_MS):
        qtbot.keyClick(window, Qt.Key_Z, Qt.ControlModifier)
    qtbot.keyClick(window, Qt.Key_Z, Qt.ControlModifier)  # the 7's stroke undone too
    assert draw.pad.is_empty()
    qtbot.keyClick(window, Qt.Key_Z, Qt.ControlModifier | Qt.ShiftModifier)  # the stroke back
    assert draw.pad.strokes()
    qtbot.wait(200)
    assert stored(window) == []
