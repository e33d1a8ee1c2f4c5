import itertools
import threading

import numpy as np
import pytest
from PySide6.QtCore import QObject, Qt, Slot

from digitpad import paths
from digitpad.core.registry import load_card
from tests.gui.conftest import open_window

TRAIN_TIMEOUT_MS = 120_000


def test_a_short_real_run_updates_curves_and_swaps_the_model(qtbot, window):
    tab = window.train_tab
    window.tabs.setCurrentWidget(tab)
    tab.arch_box.setCurrentIndex(tab.arch_box.findData("mlp"))
    tab.fields["epochs"].setText("2")
    tab.fields["batch_size"].setText("64")
    before = window.hub.active
    batches, epochs = [], []
    with qtbot.waitSignal(window.hub.model_changed, timeout=TRAIN_TIMEOUT_MS):
        assert tab.start_training()
        tab._worker.batch_done.connect(batches.append)
        tab._worker.epoch_done.connect(epochs.append)
        assert not tab.train_button.isEnabled() and tab.stop_button.isEnabled()
    run = tab.runs[-1]
    assert run.status == "finished" and len(run.epochs) == 2
    assert batches and len(epochs) == 2
    assert len(tab.smooth_loss_curve.getData()[0]) > 0
    assert len(tab.val_acc_curve.getData()[1]) == 2
    assert tab.weights_view.has_image()  # first dense layer as 28x28 tiles
    active = window.hub.active
    assert active is not before and active.path == run.path and run.path.is_file()
    assert load_card(run.path)["architecture"] == "mlp"
    assert tab.train_button.isEnabled() and tab.history.rowCount() == 1
    # Selecting the run overlays its validation curve, named in the legend.
    assert not tab._compare_legend.items
    tab.history.selectRow(0)
    assert len(tab._compare_curves[0].getData()[0]) == 2
    assert [label.text for _, label in tab._compare_legend.items] == ["run 1"]
    # The Errors tab re-evaluates with the new model by itself when opened.
    window.tabs.setCurrentWidget(window.errors_tab)
    qtbot.waitUntil(lambda: active.key in window.errors_tab._cache, timeout=TRAIN_TIMEOUT_MS)


def start_long_run(tab):
    """Start a run of many tiny batches (linear, batch 4, 50 epochs) and return its worker."""
    tab.arch_box.setCurrentIndex(tab.arch_box.findData("linear"))
    tab.fields["epochs"].setText("50")
    tab.fields["batch_size"].setText("4")
    assert tab.start_training()
    return tab._worker


def test_stop_ends_the_run_within_one_batch(qtbot, window):
    tab = window.train_tab
    worker = start_long_run(tab)
    reported, clicked = [], threading.Event()

    def hold_until_clicked(report):
        # Runs in the training thread (direct connection): training waits here, right
        # after batch ``report.seen_batches``, until the user has pressed Stop.
        if not reported:
            reported.append(report.seen_batches)
            clicked.wait(30)

    worker.batch_done.connect(hold_until_clicked, Qt.DirectConnection)
    outcomes = []  # (TrainResult, path, card, predictor), as the worker finishes

    def keep(outcome):
        outcomes.append(outcome)

    worker.finished.connect(keep, Qt.DirectConnection)
    qtbot.waitUntil(lambda: bool(reported), timeout=TRAIN_TIMEOUT_MS)
    with qtbot.waitSignal(tab.run_finished, timeout=TRAIN_TIMEOUT_MS):
        qtbot.mouseClick(tab.stop_button, Qt.LeftButton)
        clicked.set()
    run = tab.runs[-1]
    assert run.status.startswith("stopped")
    qtbot.waitUntil(lambda: bool(outcomes))  # appended in the worker thread, maybe just now
    trained = int(outcomes[0][0].model.optimizer.iterations.numpy())
    assert reported[0] <= trained <= reported[0] + 1  # at most the batch already under way
    assert tab.train_button.isEnabled()


def test_closing_the_window_mid_run_exits_cleanly(qtbot, settings, synthetic_data_folder):
    window = open_window(qtbot, settings, str(synthetic_data_folder))
    tab = window.train_tab
    worker = start_long_run(tab)
    batches = []
    worker.batch_done.connect(batches.append)
    qtbot.waitUntil(lambda: len(batches) > 0, timeout=TRAIN_TIMEOUT_MS)
    window.close()
    assert worker.cancelled and not tab.is_training
    from PySide6.QtCore import QThread
    assert not any(t.isRunning() for t in window.findChildren(QThread))
    folder = paths.user_models_dir()
    leftovers = [p.name for p in folder.iterdir() if p.name.startswith(".")] if folder.exists() else []
    assert leftovers == []  # no half-written model


def test_invalid_values_are_refused_next_to_the_field(qtbot, window):
    tab = window.train_tab
    tab.fields["epochs"].setText("three")
    assert not tab.start_training()
    assert tab.errors["epochs"].isVisibleTo(tab) and "whole number" in tab.errors["epochs"].text()
    tab.fields["epochs"].setText("3")
    tab.fields["learning_rate"].setText("-0.1")
    assert not tab.start_training()
    assert tab.errors["learning_rate"].isVisibleTo(tab)
    assert not tab.errors["epochs"].isVisibleTo(tab)
    assert tab.runs == []


def test_presets_fill_the_form(window):
    tab = window.train_tab
    tab.arch_box.setCurrentIndex(tab.arch_box.findData("funnel"))
    assert tab.fields["optimizer"].currentData() == "nesterov"
    assert tab.fields["activation"].currentData() == "leaky_relu"
    assert float(tab.fields["l2"].text()) > 0
    config = tab.form_config()
    assert config.arch == "funnel" and np.isclose(config.learning_rate, 0.05)


def test_a_failed_run_keeps_the_previous_model(qtbot, settings, tmp_path):
    window = open_window(qtbot, settings, str(tmp_path / "missing-data"))
    tab = window.train_tab
    before = window.hub.active
    with qtbot.waitSignal(tab.run_finished, timeout=TRAIN_TIMEOUT_MS):
        assert tab.start_training()
    assert tab.runs[-1].status == "failed"
    assert "missing-data" in tab.state_label.text()
    assert window.hub.active is before
    window.close()


def test_live_curves_stay_in_view_and_move_their_axes_only_when_needed(qtbot, window,
                                                                      monkeypatch):
    """Redrawing the axes is the costliest part of a live update, so the loss plot's range
    moves only when the loss leaves it: here once per decade as it falls from 2.3 to 0.005."""
    import digitpad.gui.tabs.train_tab as train_tab_module
    from digitpad.core.training import BatchReport

    losses = np.geomspace(2.3, 0.005, 40)
    go = threading.Event()

    def fake_training(worker):
        go.wait(10)
        for n, loss in enumerate(losses):
            worker.batch_done.emit(BatchReport(epoch=n // 20, batch=n % 20, batches_per_epoch=20,
                                               loss=float(loss), accuracy=0.9,
                                               seen_batches=n + 1))
        return None, None, None, None  # as if stopped before an epoch ended

    class RangeRecorder(QObject):  # lives in the GUI thread: called after the tab's own slot
        ranges = []

        @Slot(object)
        def record(self, report):
            self.ranges.append(tuple(map(tuple, tab.loss_plot.viewRange())))

    monkeypatch.setattr(train_tab_module.TrainingWorker, "work", fake_training)
    tab = window.train_tab
    tab.fields["epochs"].setText("2")
    recorder = RangeRecorder()
    with qtbot.waitSignal(tab.run_finished, timeout=10_000):
        assert tab.start_training()
        tab._worker.batch_done.connect(recorder.record)
        go.set()
    ranges = recorder.ranges
    assert len(ranges) == len(losses)
    assert len({x for x, _ in ranges}) == 1  # the x axis spans the whole run from the start
    assert [y for y, _ in itertools.groupby(y for _, y in ranges)] == [
        pytest.approx(y, abs=0.1) for y in [(0, 1), (-1, 1), (-2, 1), (-3, 1)]]
    (x_low, x_high), (y_low, y_high) = ranges[-1]
    x, y = tab.raw_loss_curve.getData()  # y in log10 units: the plot is logarithmic
    assert len(x) == len(losses)
    assert x_low <= x.min() and x.max() <= x_high and y_low <= y.min() and y.max() <= y_high


def test_opening_the_tab_starts_tensorflow_in_the_background(qtbot, window, monkeypatch):
    import gc

    import digitpad.gui.tabs.train_tab as train_tab_module
    started = threading.Event()
    monkeypatch.setattr(train_tab_module, "_prepare_training",
                        lambda worker, folder: started.set())
    window.tabs.setCurrentWidget(window.train_tab)
    gc.collect()  # nothing but the thread's start keeps the import's worker alive
    qtbot.waitUntil(started.is_set, timeout=10_000)


def test_a_run_starts_with_tensorflow_warmed_up_and_the_data_already_loaded(qtbot, window):
    from digitpad.core import training
    tab = window.train_tab
    window.tabs.setCurrentWidget(tab)
    qtbot.waitUntil(lambda: tab._mnist is not None, timeout=TRAIN_TIMEOUT_MS)
    assert training._warmed_up
    assert len(tab._mnist.train) > 0
    worker = start_long_run(tab)
    assert worker.mnist is tab._mnist  # the run does not read and unzip MNIST again
    with qtbot.waitSignal(tab.run_finished, timeout=TRAIN_TIMEOUT_MS):
        qtbot.waitUntil(lambda: bool(tab._loss_x), timeout=TRAIN_TIMEOUT_MS)
        tab.stop_training()


def test_the_smoothed_loss_follows_the_last_batches_however_often_reports_come(
        qtbot, window, monkeypatch):
    import digitpad.gui.tabs.train_tab as train_tab_module
    from digitpad.core.training import BatchReport

    batches_per_report, reports = 5, 16  # a report per 5 batches, as on a fast machine
    losses = np.geomspace(2.0, 0.02, reports)  # a decade every 40 batches

    def fake_training(worker):
        for n, loss in enumerate(losses):
            seen = (n + 1) * batches_per_report
            worker.batch_done.emit(BatchReport(epoch=seen // 40, batch=seen % 40 - 1,
                                               batches_per_epoch=40, loss=float(loss),
                                               accuracy=0.9, seen_batches=seen))
        return None, None, None, None

    monkeypatch.setattr(train_tab_module.TrainingWorker, "work", fake_training)
    tab = window.train_tab
    tab.fields["epochs"].setText("2")
    with qtbot.waitSignal(tab.run_finished, timeout=10_000):
        assert tab.start_training()
    _, raw = tab.raw_loss_curve.getData()  # log10 units
    _, smoothed = tab.smooth_loss_curve.getData()
    # About 10 batches behind: a quarter of a decade here, never 10 reports (50 batches).
    lag_in_decades = smoothed[-1] - raw[-1]
    assert 0.1 < lag_in_decades < 0.4
