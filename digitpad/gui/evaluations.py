"""The hub's evaluation service: a model measured on a labelled set, off the GUI thread,
cached per model.

Any tab asks ``hub.evaluations.request(model)`` and shows the result when ``ready``
arrives (or at once, from the cache). Reading the set, turning it into model inputs and
predicting all happen in a worker thread; the GUI thread only receives the results.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np
from PySide6.QtCore import QObject, Signal

from digitpad.core.data import load_mnist_test
from digitpad.core.errors import DataError, StoreError
from digitpad.core.evaluation import Evaluation, evaluate
from digitpad.core.preprocess import to_model_batch
from digitpad.gui import workers
from digitpad.gui.data_source import DataSource

MNIST_TEST = "mnist-test"
MY_DIGITS = "my-digits"  # the user's own digits (``core.digit_store``), added by the hub
CACHE_SIZE = 8  # evaluations kept, one per (model, set)
# Images between two looks at the stop flag: closing the window waits for one such chunk
# (a fraction of a second; a couple of seconds on a machine busy many times over).
CHUNK = 200


@dataclass(frozen=True)
class LabelledSet:
    """A set to evaluate on: ``images`` as people see them (for galleries), ``inputs`` as
    the model sees them (float32 (n, 28, 28) in [0, 1]), and ``labels``; ``ids`` names
    each image where the set has ids of its own (the store's, for the user's digits)."""

    name: str
    images: np.ndarray
    inputs: np.ndarray
    labels: np.ndarray
    ids: np.ndarray | None = None


def _mnist_test(data: DataSource) -> LabelledSet:
    split = load_mnist_test(data.folder)  # only the test files: no training set decompressed
    return LabelledSet(MNIST_TEST, split.images, to_model_batch(split.images), split.labels)


def my_digits_set(path: Path) -> Callable[[DataSource], LabelledSet]:
    """The loader of the user's digits stored at ``path``, for :meth:`Evaluations.add_set`;
    it opens its own connection (the store is shared, in write-ahead-log mode)."""
    def load(data: DataSource) -> LabelledSet:
        from digitpad.core.digit_store import DigitStore

        try:
            with DigitStore(path) as store:
                digits = store.digits()
        except StoreError as exc:
            raise DataError(str(exc)) from None
        return LabelledSet(MY_DIGITS, digits.images, to_model_batch(digits.images),
                           digits.labels, digits.ids)
    return load


class Evaluations(QObject):
    """Evaluations of models on named sets, computed in a worker, cached per model.

    ``MNIST_TEST`` is built in; other sets (the user's own digits, say) are added with
    :meth:`add_set`. Owned by the hub as ``hub.evaluations``.

    Signals
    -------
    progress(str, int, int)
        Set name, images done and total of the evaluation under way.
    ready(object, str, Evaluation)
        A model (``ActiveModel``), the set's name, and the model's evaluation on it.
    failed(object, str, str, bool)
        The model, the set's name, the problem for the user, and whether it is the data
        that is missing or unreadable (rather than the model that failed).
    """

    progress = Signal(str, int, int)
    ready = Signal(object, str, object)
    failed = Signal(object, str, str, bool)

    def __init__(self, data: DataSource, parent: QObject | None = None):
        super().__init__(parent)
        self.data = data
        self._loaders: dict[str, Callable[[DataSource], LabelledSet]] = {
            MNIST_TEST: _mnist_test}
        self._sets: dict[str, LabelledSet] = {}
        self._cache: OrderedDict[tuple[int, str], Evaluation] = OrderedDict()
        self._queue: list[tuple[object, str]] = []  # (model, set name) waiting their turn
        self._worker: workers.Worker | None = None
        self._job: tuple[object, str] | None = None
        data.changed.connect(self._on_data_changed)

    def add_set(self, name: str, load: Callable[[DataSource], LabelledSet]) -> None:
        """Make set ``name`` available; ``load(data)`` reads it (in a worker thread) and
        raises DataError when it is missing. Replacing a set drops its evaluations."""
        self._loaders[name] = load
        self.forget_set(name)

    def forget_set(self, name: str) -> None:
        """Drop set ``name`` and its evaluations (its data changed): read it again on the
        next request. An evaluation of it under way starts again, on the new data."""
        self._sets.pop(name, None)
        for key in [key for key in self._cache if key[1] == name]:
            del self._cache[key]
        if self._job is not None and self._job[1] == name:
            self._restart_job()

    def _restart_job(self, before: tuple[object, str] | None = None) -> None:
        """Drop the evaluation under way (its result is ignored when it arrives) and queue
        it again, first, or right after ``before``."""
        if self._worker is not None:
            self._worker.cancel()
            self._worker = None
        if self._job is not None:
            self._queue.insert(0, self._job)
        if before is not None:
            self._queue.insert(0, before)
        self._job = None
        self._next()

    def labelled_set(self, name: str = MNIST_TEST) -> LabelledSet | None:
        """Set ``name`` once it has been read, else None."""
        return self._sets.get(name)

    def cached(self, model, name: str = MNIST_TEST) -> Evaluation | None:
        return self._cache.get((model.key, name))

    def request(self, model, name: str = MNIST_TEST) -> Evaluation | None:
        """``model``'s evaluation on set ``name`` from the cache, or None: then it is
        computed in the background (after the one under way) and arrives as ``ready``."""
        evaluation = self.cached(model, name)
        if evaluation is not None:
            return evaluation
        if (model, name) != self._job and (model, name) not in self._queue:
            if name != MNIST_TEST and self._job is not None and self._job[1] == MNIST_TEST:
                # The user's digits (tens of images, asked for on screen) never wait for
                # MNIST's 10,000 (measured: 14 s on a busy machine): that starts again after.
                self._restart_job(before=(model, name))
                return None
            self._queue.append((model, name))
        self._next()
        return None

    @property
    def is_busy(self) -> bool:
        return self._worker is not None

    def shutdown(self) -> None:
        """Cancel the evaluation under way (it stops within a chunk of images) and wait."""
        self._queue.clear()
        worker, self._worker = self._worker, None
        workers.stop_and_wait(self, worker)

    def _next(self) -> None:
        if self._worker is not None or not self._queue:
            return
        model, name = self._job = self._queue.pop(0)
        labelled = self._sets.get(name)
        load, data = self._loaders[name], self.data

        def job(worker):
            nonlocal labelled
            if labelled is None:
                try:
                    labelled = load(data)
                except DataError:
                    worker.data_problem = True  # read in the GUI thread once reported
                    raise
            # The user's digits are read as the pad answers them: they were saved because
            # it answered another digit, "not sure" or "not a digit".
            result = evaluate(model.predictor, labelled.inputs, labelled.labels, chunk=CHUNK,
                              stop=worker.stop_event, on_progress=worker.progress.emit,
                              by_verdict=name == MY_DIGITS)
            return labelled, result
        worker = workers.Worker(job)
        # Bound methods (not lambdas) so the slots run in the GUI thread.
        worker.progress.connect(self._on_progress)
        worker.finished.connect(self._on_finished)
        worker.errored.connect(self._on_errored)
        self._worker = worker
        workers.start(worker, self)

    @workers.from_current("_worker")
    def _on_progress(self, done: int, total: int) -> None:
        self.progress.emit(self._job[1], done, total)

    @workers.from_current("_worker")
    def _on_finished(self, result) -> None:
        labelled, evaluation = result
        (model, name), self._worker, self._job = self._job, None, None
        self._sets[name] = labelled
        self._cache[(model.key, name)] = evaluation
        while len(self._cache) > CACHE_SIZE:
            self._cache.popitem(last=False)
        self.ready.emit(model, name, evaluation)
        self._next()

    @workers.from_current("_worker")
    def _on_errored(self, message: str) -> None:
        data_problem = getattr(self._worker, "data_problem", False)
        (model, name), self._worker, self._job = self._job, None, None
        self.failed.emit(model, name, message, data_problem)
        self._next()

    def _on_data_changed(self, folder) -> None:
        """Another MNIST folder: what was read and evaluated from the old one is stale."""
        self.forget_set(MNIST_TEST)

