"""Maps of the MNIST test set by the active model's penultimate features, per model.

The first view is ready within a second: a PCA of the features of one image in ten. Then
the features of all 10,000 images (NumPy in a worker thread, which releases Python's lock)
give a PCA of the whole set, and a t-SNE layout is computed in a process of its own
(``digitpad.layout_process``) while the PCA view is shown. Finished maps are kept per model.
"""

from __future__ import annotations

import multiprocessing
from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import QObject, Signal

from digitpad.gui import workers

FIRST_VIEW_STRIDE = 10  # the first view shows one test image in this many
CACHE_MODELS = 4        # finished maps kept, one per model
POLL_SECONDS = 0.1      # how often the wait for the layout process checks for a stop


@dataclass(frozen=True)
class MapView:
    """One view of the map: which test images it places, where, and by which method."""

    key: int               # the model's ActiveModel.key
    indices: np.ndarray    # test-set indices of the points, (m,)
    positions: np.ndarray  # (m, 2) in [-1, 1]
    values: np.ndarray     # (m, d) their features (to place new drawings among them)
    labels: np.ndarray     # (m,) true digits
    predictions: np.ndarray  # (m,) the model's answers
    method: str            # "PCA" or "t-SNE"
    final: bool            # no better view of this model is coming

    def place(self, new_values: np.ndarray) -> np.ndarray:
        """(2,) position of an image with features ``new_values`` on this map."""
        from digitpad.core.embedding import place

        return place(self.values, self.positions, new_values)


class _MapWorker(workers.Worker):
    partial = Signal(object)  # a MapView better than the last, more to come
    stage = Signal(str)       # what the progress that follows counts


class MapOfTestSet(QObject):
    """Computes and keeps the maps; parented to the hub, whose shutdown waits for it.

    Signals
    -------
    updated(MapView)
        A new view of the active model's map (PCA of a sample, of all, then t-SNE).
    progress(str, int, int)
        What is being computed, done, total.
    failed(str)
        The map could not be computed; the message says why.
    """

    updated = Signal(object)
    progress = Signal(str, int, int)
    failed = Signal(str)

    def __init__(self, hub: QObject):
        super().__init__(hub)
        self.hub = hub
        self._cache: dict[int, MapView] = {}
        self._test = None  # the MNIST test split, read once
        self._worker: workers.Worker | None = None
        self._working_for: int | None = None
        self._stage = ""
        self.layout: MapView | None = None  # the latest view for the active model

    def images(self) -> np.ndarray | None:
        """The test images (uint8, (10000, 28, 28)) once read."""
        return None if self._test is None else self._test.images

    def request(self) -> None:
        """Make the active model's map: from the cache, or computed in the background."""
        active = self.hub.active
        if active is None or self._working_for == active.key:
            return
        if active.key in self._cache:
            self.layout = self._cache[active.key]
            self.updated.emit(self.layout)
            return
        self.cancel()
        folder, test = self.hub.data.folder, self._test
        worker = _MapWorker(lambda w: _compute(w, active, folder, test))
        worker.partial.connect(self._on_partial)
        worker.stage.connect(self._on_stage)
        worker.progress.connect(self._on_progress)
        worker.finished.connect(self._on_finished)
        worker.errored.connect(self._on_errored)
        self._worker, self._working_for = worker, active.key
        workers.start(worker, self)

    def forget_data(self) -> None:
        """The app reads MNIST from another folder: read it again, drop every map."""
        self.cancel()
        self._test, self.layout = None, None
        self._cache.clear()

    def cancel(self) -> None:
        if self._worker is not None:
            self._worker.cancel()
        self._worker = self._working_for = None

    @workers.from_current("_worker")
    def _on_partial(self, item) -> None:
        if isinstance(item, tuple):  # the test split, read in the worker
            self._test = item[1]
            return
        self.layout = item
        self.updated.emit(item)

    @workers.from_current("_worker")
    def _on_stage(self, text: str) -> None:
        self._stage = text

    @workers.from_current("_worker")
    def _on_progress(self, done: int, total: int) -> None:
        self.progress.emit(self._stage, done, total)

    @workers.from_current("_worker")
    def _on_finished(self, layout: MapView | None) -> None:
        self._worker = self._working_for = None
        if layout is None:  # stopped
            return
        self._cache[layout.key] = self.layout = layout
        while len(self._cache) > CACHE_MODELS:
            self._cache.pop(next(iter(self._cache)))
        self.updated.emit(layout)

    @workers.from_current("_worker")
    def _on_errored(self, message: str) -> None:
        self._worker = self._working_for = None
        self.failed.emit(message)


def _compute(worker: _MapWorker, active, folder, test) -> MapView | None:
    """The worker's job: PCA of a sample, PCA of all, then t-SNE in a child process; None
    when it was stopped."""
    from digitpad.core.embedding import LayoutCancelled

    try:
        return _views(worker, active, folder, test)
    except LayoutCancelled:
        return None


def _views(worker: _MapWorker, active, folder, test) -> MapView:
    from digitpad.core.data import load_mnist
    from digitpad.core.embedding import LayoutCancelled, features, pca_layout
    from digitpad.core.preprocess import to_model_batch

    if test is None:
        worker.stage.emit("Reading the MNIST test set")
        test = load_mnist(folder, download=False).test
        worker.partial.emit(("test", test))
    images = to_model_batch(test.images)
    sample = np.arange(0, len(images), FIRST_VIEW_STRIDE)
    rest = np.setdiff1d(np.arange(len(images)), sample)

    def view(indices, found, method, positions=None, final=False):
        return MapView(active.key, indices, positions if positions is not None
                             else pca_layout(found.values), found.values,
                             test.labels[indices], found.predictions, method, final)

    first = features(active.predictor, images[sample], stop=worker.stop_event)
    worker.partial.emit(view(sample, first, "PCA"))
    worker.stage.emit("Features of every test image")
    others = features(active.predictor, images[rest], stop=worker.stop_event,
                      on_progress=lambda done, _: worker.progress.emit(
                          len(sample) + done, len(images)))
    order = np.argsort(np.concatenate([sample, rest]))
    everything = type(first)(np.concatenate([first.values, others.values])[order],
                             np.concatenate([first.predictions, others.predictions])[order])
    every_index = np.arange(len(images))
    worker.partial.emit(view(every_index, everything, "PCA"))
    worker.stage.emit("t-SNE layout")
    positions = _tsne_in_child(everything.values, worker)
    if positions is None:
        raise LayoutCancelled("stopped")
    return view(every_index, everything, "t-SNE", positions, final=True)


def _tsne_in_child(values: np.ndarray, worker: _MapWorker) -> np.ndarray | None:
    """t-SNE positions from a spawned layout process; None if the worker was cancelled.

    The wait polls the pipe (which releases Python's lock) and ends the process at once on
    a stop: it holds nothing worth keeping.
    """
    from digitpad import layout_process

    context = multiprocessing.get_context("spawn")
    receiver, sender = context.Pipe(duplex=False)
    process = context.Process(target=layout_process.serve, args=(sender, values),
                              daemon=True, name="digitpad-layout")
    process.start()
    sender.close()
    try:
        while True:
            if worker.cancelled:
                return None
            if not receiver.poll(POLL_SECONDS):
                if not process.is_alive() and not receiver.poll():
                    raise RuntimeError(f"the layout process ended without a result "
                                       f"(exit code {process.exitcode})")
                continue
            try:
                message = receiver.recv()
            except EOFError:
                raise RuntimeError(f"the layout process ended without a result (exit code "
                                   f"{process.exitcode})") from None
            if message[0] == "progress":
                worker.progress.emit(message[1], message[2])
            elif message[0] == "done":
                return message[1]
            else:
                raise RuntimeError(f"the layout failed: {message[1]}")
    finally:
        if process.is_alive():
            process.terminate()
        process.join(5)
        receiver.close()
