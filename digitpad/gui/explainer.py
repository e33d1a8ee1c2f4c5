"""Explanations of one image at a time, computed off the GUI thread, the latest one wins."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QObject, Signal

from digitpad.gui import workers


class Explainer(QObject):
    """Asks :func:`digitpad.core.explain.explain` about an image in a worker thread.

    A map and every layer's output take a few milliseconds with NumPy (which releases
    Python's lock), more on a busy machine: the GUI thread only receives the result. A new
    request supersedes one still running, whose result is then dropped. Parented to the
    hub, so that the hub's shutdown waits for its threads.

    Signals
    -------
    explained(object, object)
        The request's tag (as given to :meth:`request`) and its
        :class:`~digitpad.core.explain.Explanation`.
    failed(object, str)
        The request's tag and a message for the user.
    """

    explained = Signal(object, object)
    failed = Signal(object, str)

    def __init__(self, hub: QObject):
        super().__init__(hub)
        self.hub = hub
        self._worker: workers.Worker | None = None
        self._tag = None

    def request(self, image28: np.ndarray, digit: int, rival: int | None = None,
                tag=None) -> bool:
        """Explain ``digit`` (against ``rival``, if given) for ``image28`` with the active
        model; False when no model is loaded."""
        active = self.hub.active
        if active is None:
            return False
        from digitpad.core.explain import explain

        self.cancel()
        image = np.array(image28, np.float32)  # a copy: the caller may reuse its array
        worker = workers.Worker(lambda _: explain(active.predictor, image, digit, rival))
        worker.finished.connect(self._on_finished)
        worker.errored.connect(self._on_errored)
        self._worker, self._tag = worker, tag
        workers.start(worker, self)
        return True

    def cancel(self) -> None:
        """Drop the running request's result, if any."""
        if self._worker is not None:
            self._worker.cancel()
            self._worker = None

    @workers.from_current("_worker")
    def _on_finished(self, explanation) -> None:
        self._worker = None
        self.explained.emit(self._tag, explanation)

    @workers.from_current("_worker")
    def _on_errored(self, message: str) -> None:
        self._worker = None
        self.failed.emit(self._tag, message)
