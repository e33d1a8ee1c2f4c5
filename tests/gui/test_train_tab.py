"""The Train tab over the hub's training session: real runs in a real training process.

Each window starts one training process (a few seconds: spawn and TensorFlow's import), so
the runs that can share one are tested in one test.
"""

import itertools
import os
import shutil
import time

import numpy as np
import pytest
from PySide6.QtCore import QThread, Qt

from digitpad import paths
from digitpad.core.registry import load_card
from digitpad.core.reports import BatchReport, EpochReport
from digitpad.core.verdict import NO_NOT_A_DIGIT
from tests.gui.conftest import open_window

TRAIN_TIMEOUT_MS = 120_000


def test_a_run_trains_in_its_own_process_and_its_model_becomes_active(qtbot, window):
    tab = window.train_tab
    session = window.hub.training
    with qtbot.waitSignal(session.ready, timeout=TRAIN_TIMEOUT_MS):
        window.tabs.setCurrentWidget(tab)  # opening the tab starts the training process
    assert session.process.is_alive() and session.process.pid != os.getpid()
    tab.form.arch_box.setCurrentIndex(tab.form.arch_box.findData("mlp"))
    tab.form.fields["epochs"].setText("2")
    tab.form.fields["batch_size"].setText("64")
    before = window.hub.active
    reports = []
    session.batch_done.connect(lambda run_id, report: reports.append(report))
    session.epoch_done.connect(lambda run_id, report, tiles: reports.append(report))
    with qtbot.waitSignal(tab.run_finished, timeout=TRAIN_TIMEOUT_MS):
        qtbot.mouseClick(tab.train_button, Qt.LeftButton)
        assert tab.is_training
        assert not tab.train_button.isEnabled() and tab.stop_button.isEnabled()
    run = tab.runs[-1]
    assert run is window.hub.runs[-1] and run.state == "finished" and len(run.epochs) == 2
    if hasattr(os, "SCHED_BATCH"):  # Linux: every trainer thread yields to the window's
        threads = os.listdir(f"/proc/{session.process.pid}/task")
        assert len(threads) > 2  # TensorFlow's own are among them
        assert all(os.sched_getscheduler(int(t)) == os.SCHED_BATCH for t in threads)
        assert os.sched_getscheduler(0) == os.SCHED_OTHER  # the window itself is unchanged
    # In order: each epoch's batches, then the epoch; batches counted up across epochs.
    epochs = [r.epoch for r in reports if isinstance(r, EpochReport)]
    batches = [r for r in reports if isinstance(r, BatchReport)]
    assert epochs == [0, 1] and batches
    assert [b.seen_batches for b in batches] == sorted({b.seen_batches for b in batches})
    first_epoch_end = next(n for n, r in enumerate(reports) if isinstance(r, EpochReport))
    assert all(r.epoch == 0 for r in reports[:first_epoch_end])
    assert len(tab.curves.smooth_loss_curve.getData()[0]) > 0
    assert len(tab.curves.val_acc_curve.getData()[1]) == 2
    assert tab.curves.weights_view.has_image()  # the first dense layer as 28x28 tiles
    # Saved, loaded by the hub and active everywhere: trained on other data than the shipped
    # model, nothing comparable speaks against it. The status compares it.
    active = window.hub.active
    assert active is not before and active.run_id == run.id and active.path == run.path
    assert run.path.is_file() and load_card(run.path)["architecture"] == "mlp"
    assert run.status == "finished, active" and window.hub.previous is before
    # Trained without the not-a-digit share, it says what it cannot do.
    assert load_card(run.path)["limitation"] == NO_NOT_A_DIGIT
    assert NO_NOT_A_DIGIT in window.model_label.text()
    assert (f"{run.test_accuracy:.2%} test, previous model {before.test_accuracy:.2%}"
            in tab.state_label.text())
    # Where the model went, in full: the status line and the run's log name the whole path.
    assert str(run.path) in tab.state_label.text() and str(run.path) in tab.log.toPlainText()
    assert tab.state_label.textFormat() == Qt.PlainText
    assert tab.progress.value() == tab.progress.maximum() and tab.progress.format() == "Done"
    assert tab.train_button.isEnabled() and tab.history.table.rowCount() == 1
    assert not tab.use_button.isVisibleTo(tab)
    # One click back to the model it replaced.
    assert tab.back_button.isVisibleTo(tab)
    qtbot.mouseClick(tab.back_button, Qt.LeftButton)
    assert window.hub.active is before and not tab.back_button.isVisibleTo(tab)
    # Selecting the run in the history shows its validation accuracy, named in the legend.
    tab.history.table.selectRow(0)
    assert tab.history.legend_labels() == ["run 1 · mlp"]


def test_failed_stopped_and_repeated_runs_share_one_training_process(qtbot, window, tmp_path):
    tab = window.train_tab
    session = window.hub.training
    window.tabs.setCurrentWidget(tab)
    before = window.hub.active
    outcomes = []
    session.finished.connect(lambda run_id, outcome: outcomes.append(outcome))
    # A run on broken data fails with a message naming the file; no full "Ready" bar.
    data_folder = window.hub.data.folder
    broken = tmp_path / "broken-data"
    shutil.copytree(data_folder, broken)
    (broken / "train-images-idx3-ubyte.gz").write_bytes(b"not gzip at all")
    window.hub.data.set_folder(broken)
    with qtbot.waitSignal(tab.run_finished, timeout=TRAIN_TIMEOUT_MS):
        assert tab.start_training(arch="linear", epochs=1)
    process = session.process
    assert tab.runs[-1].status == "failed" and "broken-data" in tab.state_label.text()
    assert tab.progress.format() == "Failed" and tab.progress.value() < tab.progress.maximum()
    assert window.hub.active is before
    window.hub.data.set_folder(data_folder)

    # Stop pressed before training begins: the run stops after its first batch.
    with qtbot.waitSignal(tab.run_finished, timeout=TRAIN_TIMEOUT_MS):
        assert tab.start_training(arch="linear", epochs=50, batch_size=4)
        assert tab.form.arch_box.currentData() == "linear"  # the form shows what runs
        assert tab.form.fields["epochs"].text() == "50"
        qtbot.mouseClick(tab.stop_button, Qt.LeftButton)
    assert outcomes[-1].batches_trained == 1 and outcomes[-1].path is None
    assert tab.runs[-1].status == "stopped (nothing kept)"

    # Stopped after an epoch: the best weights are saved and offered, not made active.
    with qtbot.waitSignal(session.epoch_done, timeout=TRAIN_TIMEOUT_MS):
        assert tab.start_training()
    with qtbot.waitSignal(tab.run_finished, timeout=10_000):
        qtbot.mouseClick(tab.stop_button, Qt.LeftButton)
    run = tab.runs[-1]
    assert run.status == "stopped" and run.path.is_file() and outcomes[-1].stopped
    assert outcomes[-1].best_epoch is not None and window.hub.active is before
    assert tab.use_button.isVisibleTo(tab)
    with qtbot.waitSignal(window.hub.model_changed, timeout=TRAIN_TIMEOUT_MS):
        qtbot.mouseClick(tab.use_button, Qt.LeftButton)
    assert window.hub.active.path == run.path
    assert session.process is process and process.is_alive()  # one process for all runs


@pytest.mark.parametrize("frozen", [False, True], ids=["running", "frozen after Stop"])
def test_closing_the_window_mid_run_ends_the_training_process_within_3_s(
        qtbot, settings, synthetic_data_folder, frozen):
    import signal
    window = open_window(qtbot, settings, str(synthetic_data_folder))
    tab = window.train_tab
    session = window.hub.training
    with qtbot.waitSignal(session.batch_done, timeout=TRAIN_TIMEOUT_MS):
        assert tab.start_training(arch="linear", epochs=50, batch_size=4)
    process = session.process
    if frozen:  # as a debugger or the OS can freeze it; then the user presses Stop
        os.kill(process.pid, signal.SIGSTOP)
        qtbot.mouseClick(tab.stop_button, Qt.LeftButton)
        assert tab.state_label.text() == "Stopping after this batch…"
    started = time.perf_counter()
    window.close()
    closing_seconds = time.perf_counter() - started
    assert closing_seconds <= 3.0  # about a second on an idle machine
    assert not process.is_alive() and not tab.is_training
    assert not any(t.isRunning() for t in window.findChildren(QThread))
    folder = paths.user_models_dir()
    assert not folder.exists() or list(folder.iterdir()) == []  # nothing, not even half


def test_invalid_values_are_refused_next_to_the_field(window):
    tab = window.train_tab
    tab.form.fields["epochs"].setText("three")
    assert not tab.start_training()
    error = tab.form.errors["epochs"]
    assert error.isVisibleTo(tab) and "whole number" in error.text()
    tab.form.fields["epochs"].setText("3")
    assert not tab.start_training(learning_rate=-0.1)
    assert tab.form.errors["learning_rate"].isVisibleTo(tab)
    assert not tab.form.errors["epochs"].isVisibleTo(tab)
    assert tab.runs == [] and not tab.is_training


def test_presets_fill_the_form_and_show_their_name_with_the_description_below(window):
    from digitpad.core.architectures import PRESETS, preset_config
    form = window.train_tab.form
    form.arch_box.setCurrentIndex(form.arch_box.findData("funnel"))
    assert form.arch_box.currentText() == "funnel"
    assert form.arch_description.text() == PRESETS["funnel"].description
    assert form.fields["optimizer"].currentData() == "nesterov"
    assert form.fields["activation"].currentData() == "leaky_relu"
    config = form.config()
    assert config.arch == "funnel" and np.isclose(config.learning_rate, 0.05)
    # Settings the form does not show come from the preset.
    form.arch_box.setCurrentIndex(form.arch_box.findData("strong"))
    assert form.config().not_a_digit == preset_config("strong").not_a_digit
    assert form.config().drawn_digits == preset_config("strong").drawn_digits


def test_the_not_a_digit_share_is_on_for_cnns_and_reaches_the_training_run(window, monkeypatch):
    tab = window.train_tab
    form = tab.form
    assert form.fields["not_a_digit"].text() == "0.1"   # quick, the form's first preset
    form.arch_box.setCurrentIndex(form.arch_box.findData("mlp"))
    assert form.fields["not_a_digit"].text() == "0"
    form.fields["not_a_digit"].setText("0.6")
    assert form.config() is None and form.errors["not_a_digit"].isVisibleTo(tab)
    form.fields["not_a_digit"].setText("0.25")
    jobs = []
    monkeypatch.setattr(window.hub.training, "start", jobs.append)
    tab.train_button.click()
    assert [job.config.not_a_digit for job in jobs] == [0.25]
    assert jobs[0].config.arch == "mlp"


def _text_room(widget) -> tuple[str, int, int]:
    """(text, width it needs, width it has) for a button, label, text field or combo box."""
    from PySide6.QtWidgets import QComboBox, QLineEdit, QStyle, QStyleOptionComboBox
    if isinstance(widget, QLineEdit):
        text = widget.text()
        margins = widget.textMargins()
        room = widget.contentsRect().width() - margins.left() - margins.right() - 4
        return text, widget.fontMetrics().horizontalAdvance(text), room
    if isinstance(widget, QComboBox):
        option = QStyleOptionComboBox()
        widget.initStyleOption(option)
        field = widget.style().subControlRect(QStyle.CC_ComboBox, option,
                                              QStyle.SC_ComboBoxEditField, widget)
        text = widget.currentText()
        return text, widget.fontMetrics().horizontalAdvance(text), field.width()
    return widget.text(), widget.sizeHint().width(), widget.width()


def test_opening_the_tab_draws_the_curves_a_frame_later_in_the_space_kept_for_them(
        qtbot, window):
    tab = window.train_tab
    window.tabs.setCurrentWidget(tab)  # the tab is shown, its first frame not yet drawn
    assert tab.curves.isHidden() and tab.log.isVisible()
    held = tab.curves.geometry()
    qtbot.waitUntil(tab.curves.isVisible, timeout=1000)
    assert tab.curves.geometry() == held and held.height() > 100


def test_at_900_by_600_no_train_tab_control_is_cut_off(qtbot, window):
    from PySide6.QtWidgets import QAbstractButton, QComboBox, QLabel, QLineEdit
    window.resize(900, 600)
    window.tabs.setCurrentWidget(window.train_tab)
    qtbot.waitExposed(window)
    tab = window.train_tab
    tab.use_button.setVisible(True)  # the widest the button row gets
    tab.back_button.setVisible(True)
    tab.progress.setFormat("epoch 12/50 · batch 338/338 · loss 0.123 · ETA 12:34")
    qtbot.wait(50)
    cut = []
    tab.form.fields["learning_rate"].setText("0.00015")  # the longest values a user types
    tab.form.fields["train_size"].setText("54000")
    for widget in (tab.findChildren(QAbstractButton) + tab.findChildren(QComboBox)
                   + tab.findChildren(QLabel) + tab.findChildren(QLineEdit)):
        if not widget.isVisibleTo(tab) or (isinstance(widget, QLabel) and widget.wordWrap()):
            continue
        if isinstance(widget, QComboBox):  # every choice, not only the current one
            for index in range(widget.count()):
                widget.setCurrentIndex(index)
                text, needed, room = _text_room(widget)
                if needed > room:
                    cut.append(f"{text!r}: {room} < {needed}")
            continue
        text, needed, room = _text_room(widget)
        if needed > room:
            cut.append(f"{text!r}: {room} < {needed}")
    progress_text = tab.progress.text()
    if tab.progress.fontMetrics().horizontalAdvance(progress_text) > tab.progress.width() - 40:
        cut.append(f"{progress_text!r}: {tab.progress.width()}")
    assert cut == []


def test_the_comparison_fits_its_runs_with_one_legend_entry_each_and_hints_when_empty(
        window, tmp_path):
    from digitpad.core.architectures import preset_config
    from digitpad.core.runs import Run
    history = window.train_tab.history
    assert history.compare.currentWidget() is history.hint
    for n, (arch, accuracies) in enumerate((("mlp", [0.962, 0.975, 0.981]),
                                            ("quick", [0.985, 0.991]))):
        run = Run(id=n + 1, config=preset_config(arch), save_path=tmp_path / f"{n}.keras",
                  started=time.time(), state="finished")
        run.epochs = [EpochReport(epoch=n, epochs=3, loss=0.1, accuracy=a, val_loss=0.1,
                                  val_accuracy=a, learning_rate=0.001, seconds=1.0,
                                  eta_seconds=0.0, improved=True)
                      for n, a in enumerate(accuracies)]
        history.add(run)
    history.table.selectAll()
    assert history.compare.currentWidget() is history.compare_plot
    assert history.legend_labels() == ["run 1 · mlp", "run 2 · quick"]
    (_, _), (low, high) = history.compare_plot.viewRange()
    assert 0.94 < low <= 0.962 and 0.991 <= high <= 1.0
    history.table.clearSelection()
    assert history.compare.currentWidget() is history.hint and history.legend_labels() == []


def _feed(curves, reports):
    """Reports into the curves widget, recording the loss plot's range after each."""
    curves.reset(2)
    ranges = []
    for report in reports:
        curves.add_batch(report)
        ranges.append(tuple(map(tuple, curves.loss_plot.viewRange())))
    return ranges


def test_live_curves_stay_in_view_and_move_their_axes_only_when_needed(window):
    """Redrawing the axes is the costliest part of a live update, so the loss plot's range
    moves only when the loss leaves it: here once per decade as it falls from 2.3 to 0.005."""
    curves = window.train_tab.curves
    losses = np.geomspace(2.3, 0.005, 40)
    ranges = _feed(curves, [BatchReport(epoch=n // 20, batch=n % 20, batches_per_epoch=20,
                                        loss=float(loss), accuracy=0.9, seen_batches=n + 1)
                            for n, loss in enumerate(losses)])
    assert len({x for x, _ in ranges}) == 1  # the x axis spans the whole run from the start
    assert [y for y, _ in itertools.groupby(y for _, y in ranges)] == [
        pytest.approx(y, abs=0.1) for y in [(0, 1), (-1, 1), (-2, 1), (-3, 1)]]
    (x_low, x_high), (y_low, y_high) = ranges[-1]
    x, y = curves.raw_loss_curve.getData()  # y in log10 units: the plot is logarithmic
    assert len(x) == len(losses)
    assert x_low <= x.min() and x.max() <= x_high and y_low <= y.min() and y.max() <= y_high


def test_the_loss_axis_labels_never_overlap_over_two_decades(qtbot, window):
    """An adaptation's losses fall from 0.1 to 0.002: its axis spans two decades."""
    from PySide6.QtGui import QPainter, QPixmap
    window.tabs.setCurrentWidget(window.train_tab)
    qtbot.wait(50)  # the curves are drawn a frame after the tab shows
    curves = window.train_tab.curves
    _feed(curves, [BatchReport(epoch=0, batch=n, batches_per_epoch=60, loss=float(loss),
                               accuracy=0.9, seen_batches=n + 1)
                   for n, loss in enumerate(np.geomspace(0.1, 0.0022, 60))])
    axis = curves.loss_plot.getAxis("left")
    pixmap = QPixmap(axis.size().toSize())
    painter = QPainter(pixmap)
    labels = axis.generateDrawSpecs(painter)[2]  # (rect, flags, text) of each label
    painter.end()
    assert [text for _, _, text in labels] == ["0.001", "0.01", "0.1"]
    rects = [rect for rect, _, _ in labels]
    assert not any(a.intersects(b) for a, b in itertools.combinations(rects, 2))


def test_before_any_run_the_curves_span_the_presets_epochs_and_usual_values(window):
    tab = window.train_tab
    epochs = tab.form.config().epochs
    (x_low, x_high), (y_low, y_high) = tab.curves.loss_plot.viewRange()
    assert x_low <= 0 and epochs <= x_high < epochs + 0.5
    assert (y_low, y_high) == (pytest.approx(-2, abs=0.1), pytest.approx(1, abs=0.1))  # 0.01-10
    (x_low, x_high), (y_low, y_high) = tab.curves.accuracy_plot.viewRange()
    assert (x_low, x_high) == (pytest.approx(0.5), pytest.approx(epochs + 0.5))
    assert (y_low, y_high) == (pytest.approx(0, abs=0.03), pytest.approx(1, abs=0.03))
    for plot in (tab.curves.loss_plot, tab.curves.accuracy_plot):
        (x_low, x_high), _ = plot.viewRange()
        ticks = [value for _, values in plot.getAxis("bottom").tickValues(x_low, x_high, 400)
                 for value in values]
        assert ticks and all(float(value).is_integer() for value in ticks), ticks


def test_the_smoothed_loss_follows_the_last_batches_however_often_reports_come(window):
    curves = window.train_tab.curves
    batches_per_report, reports = 5, 16  # a report per 5 batches, as on a fast machine
    losses = np.geomspace(2.0, 0.02, reports)  # a decade every 40 batches
    _feed(curves, [BatchReport(epoch=(n + 1) * 5 // 40, batch=(n + 1) * 5 % 40 - 1,
                               batches_per_epoch=40, loss=float(loss), accuracy=0.9,
                               seen_batches=(n + 1) * batches_per_report)
                   for n, loss in enumerate(losses)])
    _, raw = curves.raw_loss_curve.getData()  # log10 units
    _, smoothed = curves.smooth_loss_curve.getData()
    # About 10 batches behind: a quarter of a decade here, never 10 reports (50 batches).
    assert 0.1 < smoothed[-1] - raw[-1] < 0.4


WHOLE_RUN = """
import sys
from PySide6.QtCore import QEventLoop, QSettings, QTimer
from PySide6.QtWidgets import QApplication
import digitpad.gui.main_window as main_window
app = QApplication([])
window = main_window.MainWindow(settings=QSettings(sys.argv[1], QSettings.IniFormat),
                                data_folder=sys.argv[2])
window.show()
loop = QEventLoop()
window.hub.model_changed.connect(loop.quit)
loop.exec()
window.tabs.setCurrentWidget(window.train_tab)
window.train_tab.run_finished.connect(loop.quit)
QTimer.singleShot(120_000, loop.quit)
assert window.train_tab.start_training(arch="mlp", epochs=1, batch_size=64)
loop.exec()
print(window.train_tab.runs[-1].state, window.train_tab.runs[-1].path.is_file())
window.errors_tab  # built and evaluating the new model with NumPy
window.close()
print(sorted(m for m in sys.modules if m.split(".")[0] in ("tensorflow", "keras")))
"""


def test_the_window_never_imports_tensorflow_even_while_it_trains(tmp_path, synthetic_data_folder):
    import subprocess
    import sys
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    env.pop("TF_CPP_MIN_LOG_LEVEL", None)  # the training process quietens TensorFlow itself
    output = subprocess.run(
        [sys.executable, "-c", WHOLE_RUN, str(tmp_path / "settings.ini"),
         str(synthetic_data_folder)], capture_output=True, text=True, timeout=180, env=env)
    assert output.returncode == 0, output.stderr[-2000:]
    assert output.stdout.split("\n")[:2] == ["finished True", "[]"]
    for noise in ("cuda", "absl", "oneDNN"):
        assert noise not in output.stderr, output.stderr[-2000:]


def test_the_train_tab_offers_mnist_before_any_run_when_it_is_missing(
        qtbot, settings, tmp_path, monkeypatch, synthetic_data_folder):
    monkeypatch.delenv("DIGITPAD_DATA", raising=False)
    window = open_window(qtbot, settings)
    tab = window.train_tab
    window.tabs.setCurrentWidget(tab)
    assert tab.data_panel.isVisible() and not tab.train_button.isEnabled()
    assert "MNIST" in tab.data_panel.message.text()
    assert tab.data_panel.choose_folder(str(synthetic_data_folder))  # as the user picks one
    assert not tab.data_panel.isVisible() and tab.train_button.isEnabled()
    assert tab.data_folder == str(synthetic_data_folder)
    window.close()


def test_a_run_can_write_tensorboard_logs(qtbot, window):
    tab = window.train_tab
    window.tabs.setCurrentWidget(tab)
    tab.tensorboard_box.setChecked(True)
    with qtbot.waitSignal(tab.run_finished, timeout=TRAIN_TIMEOUT_MS):
        assert tab.start_training(arch="linear", epochs=1, train_size=200)
    logs = [p for p in (paths.user_data_dir() / "tensorboard").rglob("*") if "tfevents" in p.name]
    assert logs and tab.runs[-1].path.stem in str(logs[0])


def test_a_model_its_folder_refuses_after_training_is_kept_and_can_be_saved_as(
        qtbot, window, tmp_path, monkeypatch):
    """The folder was fine when the run started, then became unusable (here: replaced by a
    file; a read-only or full folder fails the same way): the weights are not thrown away."""
    from PySide6.QtWidgets import QFileDialog
    tab = window.train_tab
    session = window.hub.training
    with qtbot.waitSignal(session.ready, timeout=TRAIN_TIMEOUT_MS):
        window.tabs.setCurrentWidget(tab)
    folder = paths.user_models_dir()
    with qtbot.waitSignal(tab.run_finished, timeout=TRAIN_TIMEOUT_MS):
        assert tab.start_training(arch="linear", epochs=1, train_size=200)
        shutil.move(folder, tmp_path / "moved-away")
        folder.write_text("no longer a folder")
    run = tab.runs[-1]
    assert run.state == "finished" and run.status == "not saved" and run.path is None
    assert f"could not be saved as {run.save_path}" in tab.state_label.text()
    assert tab.save_as_button.isVisible()
    kept = run.outcome.unsaved
    assert kept.is_file() and kept.parent != folder
    chosen = tmp_path / "chosen.keras"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *args: (str(chosen), ""))
    with qtbot.waitSignal(tab.run_finished, timeout=TRAIN_TIMEOUT_MS):
        qtbot.mouseClick(tab.save_as_button, Qt.LeftButton)
    assert window.hub.active.path == chosen and window.hub.active.run_id == run.id
    assert window.hub.active.card["name"] == "chosen" and load_card(chosen)["name"] == "chosen"
    assert run.status == "finished, active" and not tab.save_as_button.isVisible()
    assert f"Now active: {chosen}" in tab.state_label.text()
    assert not kept.parent.exists()  # the kept copy is gone once saved


def test_while_an_adaptation_runs_the_form_makes_way_for_what_runs(qtbot, window, tmp_path):
    # The form's preset is not what an adaptation runs: it must not be shown as if it were.
    from digitpad.core import runs
    from digitpad.core.config import preset_config
    from digitpad.core.runs import Run
    tab = window.train_tab
    window.tabs.setCurrentWidget(tab)
    assert tab.form.isVisible() and not tab.adapt_note.isVisible()
    run = Run(id=97, config=preset_config("linear"), save_path=tmp_path / "a.keras",
              started=0.0, kind="adapt", state=runs.TRAINING)
    window.hub.run_started.emit(run)
    assert not tab.form.isVisible() and tab.adapt_note.isVisible()
    assert tab.adapt_note.text().startswith("Adapting the active model to your digits")
    run.state, run.message = runs.FAILED, "the training process ended"
    window.hub.run_ended.emit(run)
    assert tab.form.isVisible() and tab.form.isEnabled() and not tab.adapt_note.isVisible()
