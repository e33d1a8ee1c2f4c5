"""The app's training process: a spawned child that trains models for the window.

Training is Python-heavy (Keras traces models and runs callbacks holding Python's lock in
long pieces), so the window runs it in a process of its own rather than in a thread beside
the GUI. The process calls the same ``core.training.train`` as the CLI, saves the model
atomically, and reports over a pipe; the window never imports TensorFlow.

Process-wide policy for training processes lives here and only here: TensorFlow's start-up
noise silenced (``core.quiet_keras``, which the CLI uses too), signals handled.

Protocol, between :func:`serve` and ``gui.training_session``:

- parent -> child, on the jobs pipe: a ``core.link.Job``, or None to end.
- child -> parent, on the reports pipe: ``("ready",)`` once TensorFlow is loaded, then per
  job ``("batch", BatchReport)``, ``("epoch", EpochReport, tiles)`` and finally
  ``("finished", RunOutcome)`` or ``("failed", message)``.
- ``stop`` (a multiprocessing Event, cleared by the parent before each job): the run stops
  after the current batch and keeps its best weights.
- ``closing`` (set by the parent as the window closes): the process ends at once, saving
  nothing more (a save under way removes its temporary file as it unwinds).
"""

from __future__ import annotations

import _thread
import os
import signal
import sys
import threading
import traceback

from digitpad.core.errors import EXPECTED_ERRORS, DataError
from digitpad.core.link import Job
from digitpad.core.quiet_keras import import_keras_quietly
from digitpad.core.reports import RunOutcome


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


def serve(jobs, reports, stop, closing, data_folder: str | None = None) -> None:
    """The training process's main function: load TensorFlow, then run jobs until told to end.

    ``data_folder`` is read ahead, while no run waits for it; jobs on other folders read
    theirs when they start.
    """
    # Ctrl-C in the terminal reaches the whole process group: the window decides what
    # happens to its runs. A terminate from the window unwinds (removing temporary files).
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, _exit_on_terminate)
    _schedule_as_batch()
    # Closing must not wait for the run to wind down (validation, evaluation): the main
    # thread is interrupted as a terminate would, wherever it is, and unwinds from there.
    threading.Thread(target=_interrupt_when_set, args=(closing,), daemon=True).start()
    code = 0
    try:
        import_keras_quietly()
        datasets = _Datasets()
        datasets.preload(data_folder)
        reports.send(("ready",))
        while not closing.is_set():
            try:
                job = jobs.recv()
            except (EOFError, OSError):
                break  # the window is gone
            if job is None:
                break
            message = _run(job, datasets, reports, stop, closing)
            if message is not None:
                reports.send(message)
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    except (BrokenPipeError, EOFError, OSError):
        code = 1  # the window went away while a report was on its way
    finally:
        # Skip the interpreter's teardown: with TensorFlow loaded it takes about a second,
        # and the window waits for this process to end when it closes.
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


def _exit_on_terminate(signum, frame):
    raise SystemExit(1)


def _interrupt_when_set(closing) -> None:
    closing.wait()
    _thread.interrupt_main(signal.SIGTERM)


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


def _run(job: Job, datasets: _Datasets, reports, stop, closing):
    """Train, save and describe one job; the final message, or None when closing."""
    from digitpad.core.architectures import build_model
    from digitpad.core.tiles import first_layer_tiles
    from digitpad.core.training import save_result, train

    try:
        mnist = datasets.get(job.data_folder)
        model = build_model(job.config)

        def on_epoch(report):
            # Read here, in the training loop: the window never sees the model itself.
            reports.send(("epoch", report, first_layer_tiles(model)))

        result = train(job.config, mnist, model=model,
                       on_batch=lambda report: reports.send(("batch", report)),
                       on_epoch=on_epoch, stop=stop, tensorboard_dir=job.tensorboard_dir)
        if closing.is_set():
            return None
        path, card = None, {}
        if result.has_model:  # not when stopped before its first epoch ended
            card, _ = save_result(result, mnist, job.out)
            path = job.out
        return ("finished", RunOutcome(
            path=path, card=card, stopped=result.stopped, early_stopped=result.early_stopped,
            best_epoch=result.best_epoch, val_accuracy=result.val_accuracy,
            seconds=result.seconds, batches_trained=int(model.optimizer.iterations.numpy())))
    except EXPECTED_ERRORS as exc:
        return ("failed", str(exc))
    except (BrokenPipeError, EOFError):
        raise
    except Exception as exc:  # reported to the user; the traceback is for developers
        traceback.print_exc()
        return ("failed", str(exc) or type(exc).__name__)
