"""The app's training process: a spawned child that trains models for the window.

Training is Python-heavy (Keras traces models and runs callbacks holding Python's lock in
long pieces), so the window runs it in a process of its own rather than in a thread beside
the GUI. The process calls the same ``core.training.train`` as the CLI, saves the model
atomically, and reports over a pipe; the window never imports TensorFlow.

Process-wide policy for training processes lives here and only here: stdout and stderr
go to the log file the window names, TensorFlow's start-up noise is silenced
(``core.quiet_keras``, which the CLI uses too), signals are handled.

The conversation (``core.link``'s messages, in both directions through its codec):

- window -> process, on the jobs pipe: ``Job``, ``Stop(run_id)``, ``Close``. A thread of
  this process reads them as they come, so a Stop reaches a run in the middle of its
  batches and a Close ends the process wherever its main thread is. The window waits on
  nothing this process holds: it never shares a lock or an Event with it.
- process -> window, on the reports pipe: ``Ready`` once TensorFlow is loaded, then per run
  ``BatchDone``, ``EpochDone``, ``Saving`` and finally ``Finished`` or ``Failed``.

Anything unexpected ends the process with a non-zero exit code and its traceback in the
log: the window reports both.
"""

from __future__ import annotations

import _thread
import os
import queue
import signal
import sys
import threading
import traceback

from digitpad.core import link
from digitpad.core.errors import EXPECTED_ERRORS, DataError, first_line, reason
from digitpad.core.quiet_keras import import_keras_quietly
from digitpad.core.reports import RunOutcome

EXIT_BROKEN_LINK = 3  # the window sent something that is not a link message


def _schedule_as_batch() -> None:
    """Mark this process's threads (TensorFlow's, created later, inherit it) as batch work.

    Linux's SCHED_BATCH keeps the process's share of the CPU but lets a waking interactive
    thread, the window's, run first instead of waiting out the trainer's time slice: while
    training uses every core, the window's repaints then stall it less.
    """
    if not (hasattr(os, "sched_setscheduler") and hasattr(os, "SCHED_BATCH")):
        return
    try:  # the threads already running too (BLAS starts its own on NumPy's import)
        threads = [int(tid) for tid in os.listdir("/proc/self/task")]
    except OSError:
        threads = [0]
    for thread in threads:
        try:
            os.sched_setscheduler(thread, os.SCHED_BATCH, os.sched_param(0))
        except OSError:
            pass  # not allowed here: training runs as before, only the window less smooth


def serve(jobs, reports, log_path: str | None = None, data_folder: str | None = None) -> None:
    """The training process's main function: load TensorFlow, then run jobs until told to end.

    ``jobs`` and ``reports`` are the two ends of the process's pipes; ``log_path`` receives
    its stdout and stderr. ``data_folder`` is read ahead, while no run waits for it; jobs
    on other folders read theirs when they start.
    """
    if log_path:
        redirect_output(log_path)
    # Ctrl-C in the terminal reaches the whole process group: the window decides what
    # happens to its runs. A terminate from the window unwinds (removing temporary files).
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, _exit_on_terminate)
    _schedule_as_batch()
    inbox = _Inbox(jobs)
    code = 0
    try:
        import_keras_quietly()
        datasets = _Datasets()
        datasets.preload(data_folder)
        _send(reports, link.Ready())
        while (job := inbox.next_job()) is not None:
            inbox.busy = True  # from here a Close interrupts the run (see _Inbox)
            try:
                message = _run(job, datasets, reports, inbox)
            finally:
                inbox.busy = False
            if message is not None:
                _send(reports, message)
        code = inbox.exit_code
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
        code = inbox.exit_code or code
    except (BrokenPipeError, EOFError):
        code = 1  # the window went away while a report was on its way
    except BaseException:
        traceback.print_exc()
        code = 1
    finally:
        # Skip the interpreter's teardown: with TensorFlow loaded it takes about a second,
        # and the window waits for this process to end when it closes.
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


def redirect_output(log_path: str) -> None:
    """File descriptors 1 and 2 (Python's and C libraries' output) into ``log_path``."""
    fd = os.open(log_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    for target in (1, 2):
        os.dup2(fd, target)
    os.close(fd)


def _send(reports, message) -> None:
    reports.send_bytes(link.encode(message))


def _exit_on_terminate(signum, frame):
    raise SystemExit(1)


class _Inbox:
    """Reads the window's messages in a thread of its own, as they arrive.

    Jobs queue up for the main thread; a ``Stop`` marks its run stopped at once; a
    ``Close``, the window's end of the pipe closing, or anything unreadable ends the
    process: a run in progress stops after its batch, and the main thread is interrupted
    as a terminate would, wherever it is (validation, saving), and unwinds from there.
    Between runs the main thread only waits for the next job, which is then None.
    """

    def __init__(self, jobs):
        self._jobs = jobs
        self._queue: queue.Queue = queue.Queue()
        self._stopped: set[int] = set()
        self.closing = threading.Event()
        self.busy = False  # the main thread is running a job
        self.exit_code = 0
        threading.Thread(target=self._read, name="digitpad-inbox", daemon=True).start()

    def next_job(self) -> link.Job | None:
        """The next job, or None once the process is to end."""
        return None if self.closing.is_set() else self._queue.get()

    def stop_flag(self, run_id: int) -> "_StopFlag":
        return _StopFlag(self, run_id)

    def is_stopped(self, run_id: int) -> bool:
        return run_id in self._stopped or self.closing.is_set()

    def _read(self) -> None:
        while True:
            try:
                message = link.decode(self._jobs.recv_bytes(link.MAX_MESSAGE_BYTES),
                                      link.TO_CHILD)
            except (EOFError, OSError):
                break  # the window is gone
            except link.LinkError as exc:
                print(f"digitpad training process: the window sent {exc}", file=sys.stderr)
                self.exit_code = EXIT_BROKEN_LINK
                break
            if isinstance(message, link.Job):
                self._queue.put(message)
            elif isinstance(message, link.Stop):
                self._stopped.add(message.run_id)
            else:  # Close
                break
        self.closing.set()
        self._queue.put(None)
        if self.busy:
            _thread.interrupt_main(signal.SIGTERM)


class _StopFlag:
    """``core.training.train``'s stop flag for one run: set once the window stops it or
    the process is closing."""

    def __init__(self, inbox: _Inbox, run_id: int):
        self._inbox, self._run_id = inbox, run_id

    def is_set(self) -> bool:
        return self._inbox.is_stopped(self._run_id)


class _Datasets:
    """The last data set read, by folder: runs on the same folder do not read it again."""

    def __init__(self):
        self._folder: str | None = None
        self._mnist = None

    def preload(self, folder: str | None) -> None:
        try:
            self.get(folder)
        except DataError:
            pass  # reported by the first run that needs it

    def get(self, folder: str | None):
        from digitpad.core.data import load_mnist

        if self._mnist is None or folder != self._folder:
            self._mnist = load_mnist(folder, download=False)
            self._folder = folder
        return self._mnist


def _run(job: link.Job, datasets: _Datasets, reports, inbox: _Inbox):
    """Run one job; its final message, or None when the process is closing."""
    runner = RUNNERS.get(job.kind)
    if runner is None:
        return link.Failed(job.run_id, f"this training process cannot run {job.kind!r} jobs")
    try:
        return runner(job, datasets, reports, inbox)
    except EXPECTED_ERRORS as exc:
        return link.Failed(job.run_id, str(exc))
    except (BrokenPipeError, EOFError):
        raise
    except Exception as exc:  # reported to the user; the traceback is for the log
        traceback.print_exc()
        return link.Failed(job.run_id, first_line(exc))


def _train(job: link.Job, datasets: _Datasets, reports, inbox: _Inbox):
    """Train a model from scratch, save it and describe the outcome."""
    from digitpad.core.architectures import build_model
    from digitpad.core.tiles import first_layer_tiles
    from digitpad.core.training import result_card, train

    mnist = datasets.get(job.data_folder)
    model = build_model(job.config)

    def on_epoch(report):
        # Read here, in the training loop: the window never sees the model itself.
        _send(reports, link.EpochDone.with_tiles(job.run_id, report, first_layer_tiles(model)))

    result = train(job.config, mnist, model=model,
                   on_batch=lambda report: _send(reports, link.BatchDone(job.run_id, report)),
                   on_epoch=on_epoch, stop=inbox.stop_flag(job.run_id),
                   tensorboard_dir=job.tensorboard_dir)
    if inbox.closing.is_set():
        return None
    saved = {"path": None}
    if result.has_model:  # not when stopped before its first epoch ended
        _send(reports, link.Saving(job.run_id))
        card, _ = result_card(result, mnist, job.out)
        saved = _save(result.model, job.out, card)
    return link.Finished(job.run_id, RunOutcome(
        stopped=result.stopped, early_stopped=result.early_stopped,
        best_epoch=result.best_epoch, val_accuracy=result.val_accuracy,
        seconds=result.seconds, batches_trained=int(model.optimizer.iterations.numpy()),
        **saved))


def _adapt(job: link.Job, datasets: _Datasets, reports, inbox: _Inbox):
    """Adapt ``job.base_model`` to the user's digits (``core.adapt``), saved as a new model;
    a model that already reads the taught digits is left as it is and nothing is saved."""
    from digitpad.core.adapt import adapt_saved_model
    from digitpad.core.digit_store import DigitStore
    from digitpad.core.errors import TrainingError
    from digitpad.core.preprocess import to_model_batch

    mnist = datasets.get(job.data_folder)
    with DigitStore(job.my_digits) as store:
        digits = store.digits()
    if not len(digits):
        raise TrainingError("you have saved no digits to learn from yet: draw some on the "
                            "Draw tab and press their digit keys")
    result, card = adapt_saved_model(
        job.base_model, to_model_batch(digits.images), digits.labels, mnist,
        digits_source=str(job.my_digits), stop=inbox.stop_flag(job.run_id),
        on_batch=lambda report: _send(reports, link.BatchDone(job.run_id, report)))
    if inbox.closing.is_set():
        return None
    if result.already_read:  # nothing taught: the active model stays, no copy of it saved
        return link.Finished(job.run_id, RunOutcome(
            path=None, card=card, unchanged=True, seconds=result.seconds))
    return link.Finished(job.run_id, RunOutcome(
        stopped=result.stopped, seconds=result.seconds, batches_trained=result.steps_done,
        **_save(result.model, job.out, card)))


def _save(model, out, card: dict) -> dict:
    """Save a run's model as ``out``; the ``RunOutcome`` fields that say where it went.

    The folder was writable when the run started (its name was reserved then), but may
    not be once training is over (made read-only, full). The trained weights are not
    thrown away then: they are kept in the system's temporary space for "Save as…". A
    card that cannot be written beside a saved model is a note: the model and the card
    inside it are saved.
    """
    from digitpad.core.errors import CardNotWritten, ModelError
    from digitpad.core.registry import keep_unsaved, save_model, stamp_card

    card = stamp_card(card, out)
    try:
        save_model(model, out, card)
    except CardNotWritten as exc:
        return {"path": out, "card": card, "note": str(exc)}
    except (OSError, ModelError) as exc:
        problem = f"The model could not be saved as {out} ({reason(exc)})."
        try:
            kept = keep_unsaved(model, out.name, card)
        except (OSError, ModelError) as again:
            raise ModelError(f"{problem} Its weights could not be kept elsewhere either "
                             f"({reason(again)}).") from None
        return {"path": None, "card": card, "unsaved": kept, "note": problem}
    return {"path": out, "card": card}


# One runner per ``link.JOB_KINDS`` name.
RUNNERS = {"train": _train, "adapt": _adapt}
