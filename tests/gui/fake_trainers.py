"""Fake training processes for the session's tests: they speak ``core.link`` like the real
one (``training_process.serve``) but train nothing, each misbehaving in its own way.

Module-level functions, so that multiprocessing's spawn can start them.
"""

import os
import signal
import sys
import threading
import time
import zipfile

from digitpad.core import link
from digitpad.core.registry import CARD_ENTRY, default_model_path, load_card
from digitpad.core.reports import BatchReport, EpochReport, RunOutcome
from digitpad.training_process import redirect_output


def _send(reports, message):
    reports.send_bytes(link.encode(message))


def _next_job(jobs) -> link.Job:
    while True:
        message = link.decode(jobs.recv_bytes())
        if isinstance(message, link.Job):
            return message
        if isinstance(message, link.Close):
            os._exit(0)


def _batch(n: int) -> BatchReport:
    return BatchReport(epoch=0, batch=n, batches_per_epoch=1000, loss=1.0, accuracy=0.5,
                       seen_batches=n + 1)


def _start(log_path):
    redirect_output(log_path)
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def crash_before_ready(jobs, reports, log_path, data_folder):
    _start(log_path)
    print("fake trainer: cannot load TensorFlow (ImportError: libcuda.so)", file=sys.stderr)
    os._exit(7)


def crash_mid_run(jobs, reports, log_path, data_folder):
    _start(log_path)
    _send(reports, link.Ready())
    job = _next_job(jobs)
    _send(reports, link.BatchDone(job.run_id, _batch(0)))
    print("fake trainer: Fatal Python error: Segmentation fault", file=sys.stderr)
    sys.stderr.flush()
    os.kill(os.getpid(), signal.SIGSEGV)


def garbage(jobs, reports, log_path, data_folder):
    _start(log_path)
    _send(reports, link.Ready())
    _next_job(jobs)
    reports.send_bytes(b"\x80\x04this is not a link message")
    time.sleep(600)  # the window must end this process


def foreign_class(jobs, reports, log_path, data_folder):
    import pickle
    _start(log_path)
    _send(reports, link.Ready())
    _next_job(jobs)
    reports.send_bytes(pickle.dumps(threading.Event))  # a pickle, but not a link message
    time.sleep(600)


def hang(jobs, reports, log_path, data_folder):
    """One batch, then silence: ignores Stop and Close (only a terminate ends it)."""
    _start(log_path)
    _send(reports, link.Ready())
    job = _next_job(jobs)
    _send(reports, link.BatchDone(job.run_id, _batch(0)))
    while True:
        time.sleep(600)


def steady(jobs, reports, log_path, data_folder):
    """Batch reports every 20 ms until stopped or closed, like a real run."""
    _start(log_path)
    stopped, closing = set(), threading.Event()

    def read():
        while True:
            try:
                message = link.decode(jobs.recv_bytes())
            except (EOFError, OSError):
                break
            if isinstance(message, link.Stop):
                stopped.add(message.run_id)
            elif isinstance(message, link.Close):
                break
            else:
                queue.append(message)
        closing.set()

    queue = []
    threading.Thread(target=read, daemon=True).start()
    _send(reports, link.Ready())
    while not closing.is_set():
        if not queue:
            time.sleep(0.01)
            continue
        job, n = queue.pop(0), 0
        while job.run_id not in stopped and not closing.is_set():
            _send(reports, link.BatchDone(job.run_id, _batch(n)))
            n += 1
            time.sleep(0.02)
        if not closing.is_set():
            _send(reports, link.Finished(job.run_id, RunOutcome(path=None, stopped=True,
                                                                batches_trained=n)))
    os._exit(0)


def finishes(jobs, reports, log_path, data_folder):
    """Each job "trains" an epoch and saves the shipped model with a card whose validation
    accuracy is the job's ``config.notes`` (e.g. "0.9999")."""
    _finish_each(jobs, reports, log_path, lambda job, card: {"path": job.out})


def finishes_without_card_beside(jobs, reports, log_path, data_folder):
    """As :func:`finishes`, but the card's copy beside the model was not written."""
    _finish_each(jobs, reports, log_path, lambda job, card: {
        "path": job.out, "note": f"{job.out} was saved with its card inside, but the copy "
                                 f"of the card beside it could not be written"})


def finishes_in_a_refusing_folder(jobs, reports, log_path, data_folder):
    """As :func:`finishes`, but the model folder refused the model: it is kept elsewhere
    (in a folder beside the model folder, as the temporary space), for "Save as…"."""
    def keep(job, card):
        kept = job.out.parent.parent / "kept" / job.out.name
        kept.parent.mkdir(exist_ok=True)
        job.out.replace(kept)
        return {"path": None, "unsaved": kept,
                "note": f"The model could not be saved as {job.out} (Read-only file system)."}
    _finish_each(jobs, reports, log_path, keep)


def _finish_each(jobs, reports, log_path, outcome):
    """Runs every job as :func:`finishes` says; ``outcome(job, card)`` then gives the
    ``RunOutcome`` fields that say where the model went."""
    import json
    _start(log_path)
    _send(reports, link.Ready())
    while True:
        job = _next_job(jobs)
        _send(reports, link.BatchDone(job.run_id, _batch(0)))
        _send(reports, link.EpochDone.with_tiles(job.run_id, EpochReport(
            epoch=0, epochs=1, loss=0.1, accuracy=0.9, val_loss=0.1, val_accuracy=0.9,
            learning_rate=1e-3, seconds=0.1, eta_seconds=0.0, improved=True), None))
        _send(reports, link.Saving(job.run_id))
        job.out.parent.mkdir(parents=True, exist_ok=True)
        card = {**load_card(default_model_path()), "test_accuracy": 0.97, "name": job.out.stem,
                "validation_accuracy": float(job.config.notes)}
        with zipfile.ZipFile(default_model_path()) as source, \
                zipfile.ZipFile(job.out, "w") as out:
            for entry in source.infolist():
                if entry.filename != CARD_ENTRY:
                    out.writestr(entry, source.read(entry))
            out.writestr(CARD_ENTRY, json.dumps(card))
        _send(reports, link.Finished(job.run_id, RunOutcome(
            card=card, best_epoch=0, val_accuracy=float(job.config.notes),
            **outcome(job, card))))


def adapts_nothing(jobs, reports, log_path, data_folder):
    """Each job is an adaptation whose model already reads every taught digit: it ends
    as the real one does then, with the model left unchanged and nothing saved."""
    _adapt_each(jobs, reports, log_path, steps=[])


def adapts_twice(jobs, reports, log_path, data_folder):
    """Each job reports the steps of two fine-tunes of 60 steps, as the real adaptation
    does when the first cost MNIST too much, then ends as :func:`adapts_nothing`."""
    steps = [BatchReport(epoch=tried, batch=step, batches_per_epoch=60, loss=0.1,
                         accuracy=0.9, seen_batches=60 * tried + step + 1)
             for tried in (0, 1) for step in (0, 29, 59)]
    _adapt_each(jobs, reports, log_path, steps)


def _adapt_each(jobs, reports, log_path, steps):
    _start(log_path)
    _send(reports, link.Ready())
    while True:
        job = _next_job(jobs)
        for step in steps:
            _send(reports, link.BatchDone(job.run_id, step))
        card = {**load_card(job.base_model), "adaptation": {
            "taught_already_read": True, "samples_taught": 10, "samples_held_out": 5,
            "held_out_before": {"count": 5, "errors": 1, "accuracy": 0.8},
            "held_out_after": {"count": 5, "errors": 1, "accuracy": 0.8},
            "mnist_test_before": 0.99, "mnist_test_after": 0.99}}
        _send(reports, link.Finished(job.run_id, RunOutcome(path=None, card=card,
                                                            unchanged=True, seconds=0.5)))
