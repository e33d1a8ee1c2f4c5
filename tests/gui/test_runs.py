"""The hub owns the runs: records, matching by run id, and the no-worse rule, with a fake
training process that saves the shipped model under a card of the test's choosing."""

import pytest

from digitpad.core import runs
from digitpad.core.config import preset_config
from digitpad.core.registry import default_model_path
from digitpad.gui import model_hub
from digitpad.gui.model_hub import ModelHub
from digitpad.gui.training_session import TrainingSession
from tests.gui import fake_trainers

TIMEOUT_MS = 60_000


@pytest.fixture
def hub(qtbot):
    hub = ModelHub(training=TrainingSession(target=fake_trainers.finishes))
    with qtbot.waitSignal(hub.model_changed, timeout=TIMEOUT_MS):
        hub.load(default_model_path())  # validation 99.30% by its card
    yield hub
    hub.shutdown()


def _run(qtbot, hub, validation: str):
    with qtbot.waitSignal(hub.run_ended, timeout=TIMEOUT_MS) as ended:
        run = hub.start_run(preset_config("linear", notes=validation))
        assert run is not None and run is hub.runs[-1] and run.is_running
        assert run.save_path.parent.name == "models"  # decided by the hub
    assert ended.args[0] is run
    return run


def test_a_better_run_becomes_active_with_one_click_back(qtbot, hub):
    shipped = hub.active
    run = _run(qtbot, hub, "0.9999")
    assert run.state == runs.FINISHED and run.decision == runs.ACTIVE
    assert [e.epoch for e in run.epochs] == [0] and run.last_batch is not None
    assert hub.active.run_id == run.id and hub.active.path == run.path == run.save_path
    assert run.comparison.no_worse and "99.99% vs 99.30% validation" in run.comparison.describe()
    assert hub.previous is shipped
    assert hub.restore_previous() and hub.active is shipped


def test_a_worse_run_is_offered_with_the_comparison_and_used_only_when_asked(qtbot, hub):
    shipped = hub.active
    run = _run(qtbot, hub, "0.988")
    assert run.decision == runs.OFFERED and hub.active is shipped
    assert run.comparison.describe() == "98.80% vs 99.30% validation"
    assert run.status == "finished, not used"
    with qtbot.waitSignal(hub.run_changed, timeout=TIMEOUT_MS):
        hub.use_run(run)  # "Use it anyway"
    assert hub.active.run_id == run.id and run.decision == runs.ACTIVE
    assert hub.previous is shipped


def test_an_equal_run_counts_as_no_worse(qtbot, hub):
    run = _run(qtbot, hub, str(hub.active.card["validation_accuracy"]))
    assert run.decision == runs.ACTIVE


def test_a_finished_run_is_matched_by_id_even_when_its_model_loads_synchronously(
        qtbot, hub, monkeypatch):
    start = model_hub.workers.start

    def start_now(worker, parent):  # a load completes inside the call that starts it
        if parent is hub:
            worker.run()
        else:
            start(worker, parent)  # the training process's link
    monkeypatch.setattr(model_hub.workers, "start", start_now)
    run = _run(qtbot, hub, "0.9999")
    assert run.decision == runs.ACTIVE and hub.active.run_id == run.id


def test_runs_get_their_own_ids_and_save_paths(qtbot, hub):
    first = _run(qtbot, hub, "0.5")
    second = _run(qtbot, hub, "0.5")
    assert first.id != second.id and first.save_path != second.save_path
    assert hub.run_by_id(second.id) is second


def _hub_with(qtbot, target, data_folder=None):
    from digitpad.gui.data_source import DataSource
    hub = ModelHub(data=DataSource(override=data_folder), training=TrainingSession(target=target))
    with qtbot.waitSignal(hub.model_changed, timeout=TIMEOUT_MS):
        hub.load(default_model_path())
    return hub


def test_a_model_its_folder_refused_is_offered_with_save_as_and_becomes_active_once_saved(
        qtbot, tmp_path, monkeypatch):
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QFileDialog

    from digitpad.gui.tabs.train_tab import TrainTab
    hub = _hub_with(qtbot, fake_trainers.finishes_in_a_refusing_folder)
    tab = TrainTab(hub)
    qtbot.addWidget(tab)
    tab.show()
    shipped = hub.active
    try:
        run = _run(qtbot, hub, "0.9999")
        assert run.state == runs.FINISHED and run.decision == runs.UNSAVED
        assert run.path is None and run.status == "not saved" and hub.active is shipped
        assert "could not be saved as" in tab.state_label.text()
        assert "“Save as…”" in tab.state_label.text()
        assert tab.save_as_button.isVisible() and tab.train_button.isEnabled()
        assert not run.save_path.exists()  # the name reserved for it is free again
        kept = run.outcome.unsaved
        chosen = tmp_path / "chosen.keras"
        monkeypatch.setattr(QFileDialog, "getSaveFileName",
                            lambda *args: (str(tmp_path / "chosen"), ""))
        with qtbot.waitSignal(hub.run_ended, timeout=TIMEOUT_MS):
            qtbot.mouseClick(tab.save_as_button, Qt.LeftButton)
        assert run.decision == runs.ACTIVE and run.path == chosen
        assert hub.active.run_id == run.id and hub.active.path == chosen
        assert hub.active.card["name"] == "chosen" and run.card["file"] == "chosen.keras"
        assert run.status == "finished, active" and not tab.save_as_button.isVisible()
        assert f"Now active: {chosen}" in tab.state_label.text()
        assert not kept.exists()  # saved where the user chose: the kept copy is spare
    finally:
        hub.shutdown()


def test_saving_a_kept_model_where_it_cannot_go_says_so_and_keeps_it(
        qtbot, tmp_path):
    from digitpad.gui.tabs.train_tab import TrainTab
    hub = _hub_with(qtbot, fake_trainers.finishes_in_a_refusing_folder)
    tab = TrainTab(hub)
    qtbot.addWidget(tab)
    try:
        run = _run(qtbot, hub, "0.9999")
        (tmp_path / "a-file").write_text("not a folder")
        with qtbot.waitSignal(hub.save_failed, timeout=TIMEOUT_MS):
            tab.save_unsaved_as(tmp_path / "a-file" / "chosen.keras")
        assert run.decision == runs.UNSAVED and run.outcome.unsaved.is_file()
        assert "Could not save the model there" in tab.state_label.text()
        assert tab.save_as_button.isEnabled()
    finally:
        hub.shutdown()


def test_a_card_not_written_beside_a_saved_model_is_a_note_on_a_finished_run(qtbot):
    from digitpad.gui.tabs.train_tab import TrainTab
    hub = _hub_with(qtbot, fake_trainers.finishes_without_card_beside)
    tab = TrainTab(hub)
    qtbot.addWidget(tab)
    try:
        run = _run(qtbot, hub, "0.9999")
        assert run.state == runs.FINISHED and run.decision == runs.ACTIVE
        assert hub.active.run_id == run.id
        text = tab.state_label.text()
        assert f"Now active: {run.path}" in text and "Training failed" not in text
        assert "Note: " in text and "could not be written" in text
    finally:
        hub.shutdown()


def _adapting_views(qtbot, target, data_folder):
    """A hub with the fake training process ``target`` and MNIST in ``data_folder`` (My
    digits asks for MNIST before it starts), and the two views of adaptations: My digits'
    actions and the Train tab."""
    from digitpad.gui.tabs.my_digits_actions import MyDigitsActions
    from digitpad.gui.tabs.train_tab import TrainTab
    hub = _hub_with(qtbot, target, str(data_folder))
    actions, tab = MyDigitsActions(hub, lambda: []), TrainTab(hub)
    qtbot.addWidget(actions)
    qtbot.addWidget(tab)
    return hub, actions, tab


def test_an_adaptation_with_nothing_to_teach_keeps_the_active_model_and_saves_no_copy(
        qtbot, synthetic_data_folder):
    from digitpad import paths
    hub, actions, tab = _adapting_views(qtbot, fake_trainers.adapts_nothing,
                                        synthetic_data_folder)
    shipped, changes = hub.active, []
    hub.model_changed.connect(changes.append)
    try:
        with qtbot.waitSignal(hub.run_ended, timeout=TIMEOUT_MS) as ended:
            assert actions.adapt()
        run = ended.args[0]
        assert run.kind == "adapt" and run.state == runs.FINISHED
        assert run.decision == runs.UNCHANGED and run.status == "finished, model unchanged"
        assert hub.active is shipped and not changes and hub.previous is None
        assert not run.save_path.exists()  # the name reserved for it is free again
        assert list(paths.user_models_dir().glob("*.keras")) == []
        text = actions.adapt_status.text()
        assert text.startswith("Nothing needed teaching") and "1 of 5 misread" in text
        assert f"{shipped.name} stays active" in text
        assert not actions.back_button.isVisible() and not actions.use_button.isVisible()
        assert actions.adapt_button.isEnabled()
        row = [tab.history.table.item(0, column).text() for column in range(7)]
        assert row[2:5] == ["adapt to your digits: 10 taught, 0 steps", "–", ""]
        assert tab.state_label.text().startswith("Nothing needed teaching")
        assert f"{shipped.name} stays active. No new model saved." in tab.state_label.text()
    finally:
        hub.shutdown()


def test_an_adaptation_that_tries_again_says_why_its_steps_start_over(qtbot,
                                                                      synthetic_data_folder):
    hub, actions, tab = _adapting_views(qtbot, fake_trainers.adapts_twice,
                                        synthetic_data_folder)
    seen = []  # connected after both views: what they show after each step
    hub.run_batch.connect(lambda run, report: seen.append((
        actions.adapt_status.text(), actions.adapt_progress.value(),
        tab.progress.format(), tab.progress.value(), tab.state_label.text())))
    try:
        with qtbot.waitSignal(hub.run_ended, timeout=TIMEOUT_MS):
            assert actions.adapt()
        first, second = seen[2], seen[3]
        assert first[:4] == ("Adapting: step 60/60, loss 0.100", 60, "step 60/60 · loss 0.100", 60)
        assert second[0] == ("Adapting: try 2, step 1/60, loss 0.100. The first try cost "
                             "MNIST's test set more than 0.15 points, so it is adapting "
                             "again from the start.")
        assert second[1:4] == (1, "try 2, step 1/60 · loss 0.100", 1)
        assert second[4] == ("The first try cost MNIST's test set more than 0.15 points, "
                             "so it is adapting again from the start.")
        assert tab.curves.epochs == 2  # the second try's curve goes on after the first's
    finally:
        hub.shutdown()


def test_nothing_to_teach_from_one_digit_says_so_in_words():
    from digitpad.gui.tabs.run_text import describe_adaptation
    text = describe_adaptation({"taught_already_read": True, "samples_taught": 1})
    assert text.startswith("Nothing needed teaching: the model already reads your one digit "
                           "right, even moved, turned or resized, so it is left unchanged.")
    # Not a list of states ("reads all 3 of your digits taught, moved, turned and resized").
    text = describe_adaptation({"taught_already_read": True, "samples_taught": 3})
    assert text.startswith("Nothing needed teaching: the model already reads all 3 of your "
                           "digits right, even moved, turned or resized, so it is left "
                           "unchanged.")


def test_an_adaptation_that_held_nothing_out_says_what_holding_out_needs():
    from digitpad.gui.tabs.run_text import describe_adaptation
    # A fifth of each digit, rounded down: four 7s hold none out, five hold one.
    text = describe_adaptation({"samples_taught": 12, "held_out_before": None,
                                "settings": {"holdout": 0.2}})
    assert "No digits held out (that needs 5 or more of a digit)." in text
