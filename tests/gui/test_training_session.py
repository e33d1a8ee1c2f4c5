"""The training session alone, with fake training processes (tests/gui/fake_trainers.py):
every way a child can fail is reported, the child is always ended, and nothing waits on it."""

import os
import signal
import time
from pathlib import Path

import pytest
from PySide6.QtCore import QThread

from digitpad.core.config import preset_config
from digitpad.core.link import Job
from digitpad.gui.training_session import TrainingSession
from tests.gui import fake_trainers

START_TIMEOUT_MS = 30_000  # a spawned interpreter importing numpy on a busy machine
CLOSE_LIMIT_S = 3.0


@pytest.fixture
def make_session(qtbot):
    sessions = []

    def make(target, **options):
        session = TrainingSession(target=target, **options)
        sessions.append(session)
        return session
    yield make
    for session in sessions:
        session.shutdown()


def _job(tmp_path: Path, run_id: int = 1, notes: str = "") -> Job:
    return Job(run_id, preset_config("linear", notes=notes), None, tmp_path / f"{run_id}.keras")


def _gone(process) -> bool:
    return process is None or (process.pid is not None and not process.is_alive())


def test_a_child_that_crashes_before_ready_is_reported_with_its_log_and_not_respawned(
        qtbot, make_session):
    session = make_session(fake_trainers.crash_before_ready)
    with qtbot.waitSignal(session.process_failed, timeout=START_TIMEOUT_MS) as failed:
        session.prepare()
    message, details = failed.args
    assert "ended before it was ready (exit code 7)" in message
    assert "cannot load TensorFlow" in details
    session.prepare()  # as the Train tab does each time it opens: no second doomed child
    assert session.process is None and not session.is_running


def test_a_run_whose_child_crashes_before_ready_fails_and_the_next_start_tries_again(
        qtbot, make_session, tmp_path):
    session = make_session(fake_trainers.crash_before_ready)
    with qtbot.waitSignal(session.failed, timeout=START_TIMEOUT_MS) as failed:
        assert session.start(_job(tmp_path))
    run_id, message, details = failed.args
    assert run_id == 1 and "exit code 7" in message and "libcuda" in details
    with qtbot.waitSignal(session.failed, timeout=START_TIMEOUT_MS):
        assert session.start(_job(tmp_path, 2))  # the user asked again: one more try


def test_a_crash_mid_run_reports_the_signal_and_the_childs_stderr(
        qtbot, make_session, tmp_path):
    session = make_session(fake_trainers.crash_mid_run)
    with qtbot.waitSignal(session.failed, timeout=START_TIMEOUT_MS) as failed:
        session.start(_job(tmp_path))
    run_id, message, details = failed.args
    assert "ended unexpectedly (killed by signal SIGSEGV)" in message
    assert "Segmentation fault" in details and not session.is_running


@pytest.mark.parametrize("child", [fake_trainers.garbage, fake_trainers.foreign_class])
def test_an_unreadable_message_ends_the_run_with_a_clear_error_and_ends_the_child(
        qtbot, make_session, tmp_path, child):
    session = make_session(child)
    processes = []
    session.ready.connect(lambda: processes.append(session.process))
    with qtbot.waitSignal(session.failed, timeout=START_TIMEOUT_MS) as failed:
        session.start(_job(tmp_path))
    run_id, message, details = failed.args
    assert message.startswith("the training process sent ") and "it was ended" in message
    assert "Traceback" not in message
    qtbot.waitUntil(lambda: not processes[0].is_alive(), timeout=5000)
    qtbot.waitUntil(lambda: not any(t.isRunning() for t in session.findChildren(QThread)),
                    timeout=3000)


def test_a_silent_run_is_marked_not_responding_and_stop_ends_it(
        qtbot, make_session, tmp_path):
    session = make_session(fake_trainers.hang, not_responding_s=1.0)
    with qtbot.waitSignal(session.batch_done, timeout=START_TIMEOUT_MS):
        session.start(_job(tmp_path))
    process = session.process
    session.stop()  # asked nicely: the fake ignores it
    with qtbot.waitSignal(session.not_responding, timeout=5000) as silent:
        pass
    assert silent.args[0] == 1 and silent.args[1] >= 1.0 and not session.is_responding
    with qtbot.waitSignal(session.failed, timeout=1000) as failed:
        session.stop()  # now it ends the process
    assert "stopped responding" in failed.args[1] and not session.is_running
    qtbot.waitUntil(lambda: not process.is_alive(), timeout=3000)


def test_close_with_a_frozen_child_after_stop_returns_within_3_s_and_leaves_no_child(
        qtbot, make_session, tmp_path):
    session = make_session(fake_trainers.steady)
    with qtbot.waitSignal(session.batch_done, timeout=START_TIMEOUT_MS):
        session.start(_job(tmp_path))
    process = session.process
    os.kill(process.pid, signal.SIGSTOP)
    session.stop()
    started = time.perf_counter()
    session.shutdown()
    assert time.perf_counter() - started <= CLOSE_LIMIT_S
    assert not process.is_alive()
    assert not any(t.isRunning() for t in session.findChildren(QThread))


def test_stop_reaches_a_run_in_the_middle_of_its_batches(qtbot, make_session, tmp_path):
    session = make_session(fake_trainers.steady)
    with qtbot.waitSignal(session.batch_done, timeout=START_TIMEOUT_MS):
        session.start(_job(tmp_path))
    with qtbot.waitSignal(session.finished, timeout=5000) as finished:
        session.stop()
    assert finished.args[0] == 1 and finished.args[1].stopped
    process = session.process
    with qtbot.waitSignal(session.batch_done, timeout=5000) as batch:
        assert session.start(_job(tmp_path, 2))  # the same process serves the next run
    assert batch.args[0] == 2 and session.process is process
