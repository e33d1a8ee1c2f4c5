"""Explanations of one image at a time, computed off the GUI thread, the latest one wins."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QObject, Signal

from digitpad.gui import workers


class Explainer(QObject):
    """Asks :func:`digitpad.core.explain.explain` about an image in a worker thread.

    A map and every layer's output take a few milliseconds with NumPy (which releases
    Python's lock), more on a busy machine: the GUI thread only receives the result. One
    explanation runs at a time: a request made meanwhile waits for it and replaces any
    request already waiting, and the running one's result is then dropped. So fast drawing
    never piles up threads. Parented to the hub, so that the hub's shutdown waits for it.

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
        self._running: workers.Worker | None = None
        self._wanted = False  # whether the running job's result is still wanted
        self._tag = None      # the running job's tag
        self._next = None     # the request waiting for it, if any

    def request(self, image28: np.ndarray, digit: int, rival: int | None = None,
                tag=None) -> bool:
        """Explain ``digit`` (against ``rival``, if given) for ``image28`` with the active
        model; False when no model is loaded."""
        active = self.hub.active
        if active is None:
            return False
        image = np.array(image28, np.float32)  # a copy: the caller may reuse its array
        self._next = (active.predictor, image, digit, rival, tag)
        self._wanted = False
        if self._running is None:
            self._start_next()
        return True

    def cancel(self) -> None:
        """Drop the running and waiting requests' results, if any."""
        self._next = None
        self._wanted = False

    def _start_next(self) -> None:
        if self._next is None:
            return
        from digitpad.core.explain import explain

        predictor, image, digit, rival, tag = self._next
        self._next = None
        worker = workers.Worker(lambda _: explain(predictor, image, digit, rival))
        worker.finished.connect(self._on_finished)
        worker.errored.connect(self._on_errored)
        self._running, self._wanted, self._tag = worker, True, tag
        workers.start(worker, self)

    @workers.from_current("_running")
    def _on_finished(self, explanation) -> None:
        self._running = None
        if self._wanted:
            self.explained.emit(self._tag, explanation)
        self._start_next()

    @workers.from_current("_running")
    def _on_errored(self, message: str) -> None:
        self._running = None
        if self._wanted:
            self.failed.emit(self._tag, message)
        self._start_next()
