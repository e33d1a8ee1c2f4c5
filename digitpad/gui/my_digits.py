"""The user's digits for the window: every store access in one background thread.

Saving a drawing must never hold up drawing (a committed, synced SQLite transaction takes
from a fraction of a millisecond to tens of them), so the GUI thread only queues work: a
save costs it the time to put a job on a queue. One worker thread owns the store's
connection and runs the jobs in the order they were queued, so a delete queued after a
save always finds the sample, and a view that reloads after a change sees it.
"""

from __future__ import annotations

import queue
import traceback
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QObject, Signal

from digitpad import paths
from digitpad.core.digit_store import DigitStore, StoreError
from digitpad.core.digits_file import DigitsFileError, Sample
from digitpad.gui import workers


@dataclass(frozen=True)
class Saved:
    """A sample saved (``id`` None: that drawing was stored already) and how many of its
    digit the store now holds."""

    label: int
    id: int | None
    count: int


@dataclass(frozen=True)
class Imported:
    """A digits file imported: the digits it added and those the store held already."""

    path: Path
    added: int
    duplicates: int


class _StoreThread(workers.Worker):
    """Runs queued jobs, ``(job, file)`` with ``job(store) -> (kind, result)``, against one
    store connection; ``file`` is the file the job reads or writes, if any."""

    done = Signal(str, object)    # kind, result
    failed = Signal(str, str)     # a job's error for the user, the job's file ("" if none)

    def __init__(self, path: Path):
        super().__init__()
        self.path = path
        self.jobs: queue.SimpleQueue = queue.SimpleQueue()

    def work(self):
        store = None
        try:
            while (queued := self.jobs.get()) is not None:  # waits without Python's lock
                job, file = queued
                try:
                    store = store or DigitStore(self.path)
                    kind, result = job(store)
                except (StoreError, DigitsFileError) as exc:
                    self.failed.emit(_named(exc, file), str(file or ""))
                except Exception as exc:  # noqa: BLE001 (one job's bug must not end saving)
                    # This thread is the only one that saves: were it to end here, every
                    # later save would wait in its queue, lost, without a word.
                    traceback.print_exc()
                    self.failed.emit(f"{type(exc).__name__}: {exc}", str(file or ""))
                else:
                    self.done.emit(kind, result)
        finally:
            if store is not None:
                store.close()


class MyDigits(QObject):
    """The user's own digits (``hub.my_digits``): save, delete, relabel, import, export.

    Every call returns at once; results arrive as signals, in the GUI thread.

    Signals
    -------
    saved(Saved)
        A drawing was saved (or found saved already).
    deleted(list of Sample)
        Samples were deleted (given whole: :meth:`restore` puts them back).
    changed()
        The stored digits changed (a save, delete, restore, relabel or import).
    imported(Imported) / exported(int, Path)
        The digits added from a file / how many were written, and to which file.
    failed(str, str)
        A store or file problem, in words for the user (a file named by its name alone),
        and the full path of the file the failed job read or wrote ("" for none: a save,
        delete or relabel).
    """

    saved = Signal(object)
    deleted = Signal(object)  # the samples deleted, strokes and all
    changed = Signal()
    imported = Signal(object)
    exported = Signal(int, object)  # how many, the file
    failed = Signal(str, str)

    def __init__(self, parent: QObject | None = None, path: Path | None = None):
        super().__init__(parent)
        self.path = Path(path) if path is not None else paths.my_digits_path()
        self._thread: _StoreThread | None = None
        self._shut_down = False

    def save(self, sample: Sample) -> None:
        """Store ``sample`` (in the background)."""
        def job(store):
            sample_id = store.add(sample)
            return "saved", Saved(sample.label, sample_id, int(store.counts()[sample.label]))
        self._queue(job)

    def forget(self, sample: Sample) -> None:
        """Remove the stored drawing ``sample`` (by content: it may still be on its way in)."""
        self._queue(lambda store: ("changed", store.delete_drawing(sample)))

    def delete(self, ids) -> None:
        """Remove the samples ``ids``; ``deleted`` gives them back, for :meth:`restore`."""
        ids = list(ids)

        def job(store):
            samples = store.samples(ids)
            store.delete(ids)
            return "deleted", samples
        self._queue(job)

    def restore(self, samples) -> None:
        """Store ``samples`` (deleted ones) again."""
        samples = list(samples)
        self._queue(lambda store: ("changed", store.add_many(samples)))

    def relabel(self, ids, label: int) -> None:
        ids = list(ids)
        self._queue(lambda store: ("changed", store.relabel(ids, label)))

    def import_file(self, path: str | Path) -> None:
        path = Path(path)

        def job(store):
            result = store.import_file(path)
            return "imported", Imported(path, result.added, result.duplicates)
        self._queue(job, path)

    def export_file(self, path: str | Path) -> None:
        path = Path(path)
        self._queue(lambda store: ("exported", (store.export_file(path), path)), path)

    def shutdown(self, timeout_ms: int = 10_000) -> None:
        """Finish the queued jobs and end the thread (the window closes)."""
        self._shut_down = True
        if self._thread is not None:
            self._thread.jobs.put(None)
            self._thread = None
        workers.stop_and_wait(self, None, timeout_ms)

    def _queue(self, job, file: Path | None = None) -> None:
        if self._shut_down:
            return
        if self._thread is None:  # started on first use: the window's start pays nothing
            thread = _StoreThread(self.path)
            thread.done.connect(self._on_done)
            thread.failed.connect(self.failed)  # relayed, queued to this (the GUI) thread
            self._thread = thread
            workers.start(thread, self)
        self._thread.jobs.put((job, file))

    def _on_done(self, kind: str, result) -> None:
        if kind == "saved":
            self.saved.emit(result)
            self.changed.emit()
        elif kind == "imported":
            self.imported.emit(result)
            self.changed.emit()
        elif kind == "exported":
            self.exported.emit(*result)
        elif kind == "deleted":
            self.deleted.emit(result)
            self.changed.emit()
        else:
            self.changed.emit()


def _named(exc: Exception, file: Path | None) -> str:
    """``exc``'s message with ``file`` named by its name: the window shows the full path
    only where there is room (a tooltip)."""
    if isinstance(exc, DigitsFileError) and exc.path is not None:
        return f"{Path(exc.path).name}: {exc.problem}"
    return str(exc).replace(str(file), file.name) if file is not None else str(exc)
