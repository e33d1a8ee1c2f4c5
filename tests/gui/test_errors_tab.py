import csv
import os
import re
import stat

import numpy as np
from PySide6.QtCore import QPoint, Qt

from digitpad.core.inference import Predictor
from digitpad.core.preprocess import to_model_batch
from digitpad.gui.error_export import contact_sheet, csv_bytes
from tests.gui.conftest import open_window

EVAL_TIMEOUT_MS = 60_000


def wait_for_evaluation(qtbot, tab):
    tab.window().tabs.setCurrentWidget(tab)  # the tab evaluates when it is opened
    if tab.evaluation is None:
        with qtbot.waitSignal(tab.evaluation_ready, timeout=EVAL_TIMEOUT_MS):
            pass
    return tab.evaluation


def click_cell(qtbot, matrix, row, column):
    rect = matrix.visualItemRect(matrix.item(row, column))
    qtbot.mouseClick(matrix.viewport(), Qt.LeftButton, pos=rect.center())


def test_summary_matrix_and_gallery_after_evaluation(qtbot, window):
    tab = window.errors_tab
    evaluation = wait_for_evaluation(qtbot, tab)
    assert len(evaluation.labels) == 300
    assert f"{evaluation.accuracy:.2%}" in tab.summary.text()
    assert tab.matrix.matrix().sum() == 300
    shown = tab.shown_indices()
    assert len(shown) == evaluation.error_count
    confidences = evaluation.confidence[shown]
    assert (np.diff(confidences) <= 0).all()  # most confident errors first by default


def test_clicking_a_confusion_cell_shows_exactly_that_pair(qtbot, window):
    tab = window.errors_tab
    window.tabs.setCurrentWidget(tab)
    evaluation = wait_for_evaluation(qtbot, tab)
    matrix = evaluation.confusion_matrix()
    off_diagonal = matrix * (1 - np.eye(10, dtype=int))
    true, predicted = np.unravel_index(off_diagonal.argmax(), matrix.shape)
    click_cell(qtbot, tab.matrix, int(true), int(predicted))
    shown = tab.shown_indices()
    assert len(shown) == matrix[true, predicted] > 0
    assert (evaluation.labels[shown] == true).all() and (evaluation.predictions[shown] == predicted).all()
    click_cell(qtbot, tab.matrix, 3, 3)  # the diagonal shows the correct ones
    shown = tab.shown_indices()
    assert len(shown) == matrix[3, 3] and (evaluation.predictions[shown] == 3).all()


def test_the_confusion_matrix_names_its_axes(qtbot, window):
    tab = window.errors_tab
    window.tabs.setCurrentWidget(tab)
    wait_for_evaluation(qtbot, tab)
    titled = tab.matrix.parentWidget()
    assert (titled.column_title.text(), titled.row_title.text()) == ("predicted", "true")
    matrix = tab.matrix.geometry()
    over, beside = titled.column_title.geometry(), titled.row_title.geometry()
    assert titled.column_title.isVisible() and titled.row_title.isVisible()
    assert over.bottom() < matrix.top() and over.left() <= matrix.center().x() <= over.right()
    assert beside.right() < matrix.left() and beside.top() <= matrix.center().y() <= beside.bottom()
    assert beside.height() >= titled.row_title.sizeHint().height()  # the word fits


def test_sorting_and_filtering(qtbot, window):
    tab = window.errors_tab
    evaluation = wait_for_evaluation(qtbot, tab)
    tab.include_correct.setChecked(True)
    tab.sort_box.setCurrentIndex(tab.sort_box.findData("index"))
    assert tab.shown_indices().tolist() == list(range(300))
    tab.sort_box.setCurrentIndex(tab.sort_box.findData("loss"))
    assert (np.diff(evaluation.loss[tab.shown_indices()]) <= 1e-7).all()
    tab.true_box.setCurrentIndex(tab.true_box.findData(4))
    assert (evaluation.labels[tab.shown_indices()] == 4).all()
    tab.predicted_box.setCurrentIndex(tab.predicted_box.findData(4))
    tab.include_correct.setChecked(False)
    assert len(tab.shown_indices()) == 0


def test_a_top_guess_never_wraps_between_its_digit_and_its_share(qtbot, window):
    from PySide6.QtGui import QTextDocument
    tab = window.errors_tab
    wait_for_evaluation(qtbot, tab)
    tab.include_correct.setChecked(True)
    document = QTextDocument()
    document.setHtml(tab.detail_text.text())  # the label's rich text, as it is laid out
    [line] = [line for line in document.toRawText().splitlines()
              if line.startswith("top guesses: ")]
    # "4 (0.0%)" kept together by a no-break space: a narrow detail column used to show
    # "..., 4" at a line's end and "(0.0%)" under it.
    assert re.fullmatch(r"top guesses: \d\u00a0\(\d+\.\d%\)(, \d\u00a0\(\d+\.\d%\))*",
                        line), line


def test_detail_and_send_to_pad(qtbot, window):
    tab = window.errors_tab
    evaluation = wait_for_evaluation(qtbot, tab)
    tab.include_correct.setChecked(True)
    first = tab.gallery.current_item()
    assert first is not None and f"#{first}" in tab.detail_text.text()
    assert tab.detail_chart.probabilities() is not None
    qtbot.mouseClick(tab.send_button, Qt.LeftButton)
    draw = window.draw_tab
    assert window.tabs.currentWidget() is draw
    draw.update_prediction()
    # The pad reads the image as the Errors tab did: the model input, not preprocessed again.
    assert np.allclose(draw.probabilities(), evaluation.probabilities[first], atol=1e-5)
    test_images = window.hub.evaluations.labelled_set().images
    assert np.array_equal(draw.pad.sent_image(), to_model_batch(test_images[first:first + 1])[0])
    assert draw.sent_label.isVisible() and f"test image #{first}" in draw.sent_label.text()
    pad = draw.pad
    qtbot.mousePress(pad, Qt.LeftButton, pos=pad.rect().center())
    assert not draw.sent_label.isVisible()  # the user started drawing: it is their digit now
    qtbot.mouseRelease(pad, Qt.LeftButton, pos=pad.rect().center() + QPoint(10, 10))
    pad.undo()
    assert draw.sent_label.isVisible()
    pad.clear()
    assert not draw.sent_label.isVisible()


def test_a_sent_test_image_reads_on_the_pad_as_in_the_errors_tab(qtbot, window):
    """Every error the Errors tab lists gets the same answer on the pad."""
    tab = window.errors_tab
    evaluation = wait_for_evaluation(qtbot, tab)
    for item in tab.shown_indices()[:10]:
        tab.gallery.setCurrentIndex(tab.gallery.gallery_model.index(
            int(np.flatnonzero(tab.shown_indices() == item)[0])))
        qtbot.mouseClick(tab.send_button, Qt.LeftButton)
        window.draw_tab.update_prediction()
        assert np.allclose(window.draw_tab.probabilities(), evaluation.probabilities[item],
                           atol=1e-5)


def test_a_model_change_triggers_re_evaluation(qtbot, window):
    tab = window.errors_tab
    first = wait_for_evaluation(qtbot, tab)  # the tab stays open: a new model re-evaluates now
    import keras
    zeros = keras.Sequential([keras.Input((28, 28)), keras.layers.Flatten(),
                              keras.layers.Dense(10, activation="softmax", kernel_initializer="zeros")])
    with qtbot.waitSignal(tab.evaluation_ready, timeout=EVAL_TIMEOUT_MS) as ready:
        window.hub.set_model(Predictor(zeros), None, {"name": "uniform"})
    assert ready.args[0] is not first
    assert np.allclose(ready.args[0].probabilities, 0.1)  # evaluated with the new model
    assert "uniform" in tab.summary.text()


def test_missing_data_shows_where_it_looked(qtbot, settings, tmp_path):
    window = open_window(qtbot, settings, str(tmp_path / "no-such-folder"))
    tab = window.errors_tab
    window.tabs.setCurrentWidget(tab)
    qtbot.waitUntil(lambda: tab.pages.currentIndex() == 1, timeout=EVAL_TIMEOUT_MS)
    panel = tab.data_panel
    assert "no-such-folder" in panel.message.text()
    assert "Traceback" not in panel.message.text()
    assert panel.choose_button.isVisible() and panel.download_button.isVisible()
    window.close()


def test_precision_and_recall_have_one_decimal_and_whole_percents_none(qtbot, window):
    tab = window.errors_tab
    evaluation = wait_for_evaluation(qtbot, tab)
    precision, recall = evaluation.precision_recall()
    for row, values in enumerate((precision, recall)):
        for digit, value in enumerate(values):
            if not np.isnan(value):
                text = tab.class_table.item(row, digit).text()
                # "99.5", "100": one decimal, none when it is 0 (the columns are narrow).
                assert re.fullmatch(r"\d+(\.[1-9])?", text) and float(text) == round(value * 100, 1)


def test_a_chosen_cell_stays_highlighted_only_while_its_filter_is(qtbot, window):
    tab = window.errors_tab
    evaluation = wait_for_evaluation(qtbot, tab)
    off_diagonal = evaluation.confusion_matrix() * (1 - np.eye(10, dtype=int))
    true, predicted = (int(v) for v in np.unravel_index(off_diagonal.argmax(), (10, 10)))
    click_cell(qtbot, tab.matrix, true, predicted)
    assert tab.matrix.highlighted() == (true, predicted)
    tab.true_box.setCurrentIndex(0)  # "any"
    assert tab.matrix.highlighted() is None
    click_cell(qtbot, tab.matrix, true, predicted)
    tab.predicted_box.setCurrentIndex(0)
    assert tab.matrix.highlighted() is None
    click_cell(qtbot, tab.matrix, true, predicted)
    import keras
    zeros = keras.Sequential([keras.Input((28, 28)), keras.layers.Flatten(),
                              keras.layers.Dense(10, activation="softmax")])
    with qtbot.waitSignal(tab.evaluation_ready, timeout=EVAL_TIMEOUT_MS):
        window.hub.set_model(Predictor(zeros), None, {"name": "other"})
    assert tab.matrix.highlighted() is None
    assert tab.true_box.currentData() is None and tab.predicted_box.currentData() is None


def test_export_says_where_it_wrote_or_why_not_and_keeps_the_summary(qtbot, window, tmp_path):
    previous_umask = os.umask(0o022)  # exports are files like any other: 0644 under 022
    try:
        _export_and_check(qtbot, window, tmp_path)
    finally:
        os.umask(previous_umask)


def _export_and_check(qtbot, window, tmp_path):
    tab = window.errors_tab
    wait_for_evaluation(qtbot, tab)
    summary = tab.summary.text()
    count = len(tab.shown_indices())
    for name in ("sheet.png", "errors.csv"):
        assert tab.export(tmp_path / name)
        assert tab.export_status.text() == f"Exported {count:,} images to {tmp_path / name}"
        assert (tmp_path / name).stat().st_size > 0
        assert stat.S_IMODE((tmp_path / name).stat().st_mode) == 0o644
    missing = tmp_path / "no-such-folder" / "errors.csv"
    assert not tab.export(missing)
    assert tab.export_status.text() == f"Could not write {missing}: No such file or directory"
    assert tab.export_status.isVisible() and tab.summary.text() == summary


def test_exports(qtbot, window, tmp_path):
    tab = window.errors_tab
    evaluation = wait_for_evaluation(qtbot, tab)
    tab.include_correct.setChecked(True)
    shown = tab.shown_indices()[:25]
    (tmp_path / "e.csv").write_bytes(csv_bytes(evaluation, shown))
    with open(tmp_path / "e.csv") as handle:
        rows = list(csv.DictReader(handle))
    assert [int(r["index"]) for r in rows] == shown.tolist()
    assert int(rows[0]["predicted"]) == evaluation.predictions[shown[0]]
    sheet = contact_sheet(tab._shown.images, evaluation, shown)
    assert sheet.width() == 20 * 84 and sheet.height() == 2 * 104
    assert sheet.save(str(tmp_path / "sheet.png"))


def test_evaluation_waits_until_the_tab_is_opened(qtbot, window):
    tab = window.errors_tab
    qtbot.wait(300)
    assert tab.evaluation is None and not window.hub.evaluations.is_busy
    assert wait_for_evaluation(qtbot, tab) is not None


def test_a_tab_built_after_the_model_loaded_still_evaluates_it(qtbot, settings,
                                                               synthetic_data_folder):
    window = open_window(qtbot, settings, str(synthetic_data_folder), wait_for_model=False)
    qtbot.waitUntil(lambda: window.hub.active is not None, timeout=60_000)
    from digitpad.gui.tabs.errors_tab import ErrorsTab
    late = ErrorsTab(window.hub)  # as when the first frame comes after the model
    qtbot.addWidget(late)
    with qtbot.waitSignal(late.evaluation_ready, timeout=EVAL_TIMEOUT_MS):
        late.show()
    window.close()


def test_evaluations_are_the_hubs_cached_per_model(qtbot, window):
    tab = window.errors_tab
    evaluation = wait_for_evaluation(qtbot, tab)
    evaluations = window.hub.evaluations
    assert evaluations.request(window.hub.active) is evaluation  # at once, from the cache
    assert not evaluations.is_busy
    assert evaluations.labelled_set() is tab._shown


def test_closing_the_window_during_an_evaluation_takes_under_3_s(
        qtbot, settings, mnist_folder):
    import time
    window = open_window(qtbot, settings, str(mnist_folder))
    with qtbot.waitSignal(window.hub.evaluations.progress, timeout=EVAL_TIMEOUT_MS):
        window.tabs.setCurrentWidget(window.errors_tab)  # 10,000 test images to evaluate
    assert window.hub.evaluations.is_busy
    started = time.perf_counter()
    window.close()
    assert time.perf_counter() - started <= 3.0
