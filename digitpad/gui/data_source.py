"""Where the app reads MNIST: one folder for every tab, chosen or downloaded once, remembered."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, QSettings, Signal

from digitpad import paths
from digitpad.core.errors import DataError
from digitpad.core.data import download_mnist, find_mnist_folder, require_mnist_folder
from digitpad.gui import workers

SETTINGS_KEY = "mnist_folder"


class DataSource(QObject):
    """The MNIST folder the whole app uses, owned by the hub as ``hub.data``.

    ``folder`` is the folder chosen in the app (remembered in the settings), or the one
    given with ``--data`` for this session; None leaves the search to ``core.data``
    (``$DIGITPAD_DATA``, then the per-user folder). Tabs load from ``folder`` and reload
    when ``changed`` fires.

    Signals
    -------
    changed(object)
        The folder (a Path) changed: data loaded from the previous one is stale.
    download_progress(int, int)
        Bytes done and total (0 when unknown) of the file being downloaded.
    download_failed(str)
        A download failed; first line in plain words, technical detail after it.
    """

    changed = Signal(object)
    download_progress = Signal(int, int)
    download_failed = Signal(str)

    def __init__(self, settings: QSettings | None = None, override: str | None = None,
                 parent: QObject | None = None):
        super().__init__(parent)
        self._settings = settings
        self._downloader: workers.Worker | None = None
        self._folder: Path | None = Path(override).expanduser() if override else None
        if self._folder is None and settings is not None:
            stored = settings.value(SETTINGS_KEY)
            # A hand-edited value, or a folder that was moved or emptied since: forget it.
            if isinstance(stored, str) and stored and find_mnist_folder(Path(stored)):
                self._folder = Path(stored)
            elif stored is not None:
                settings.remove(SETTINGS_KEY)

    @property
    def folder(self) -> Path | None:
        return self._folder

    @property
    def is_downloading(self) -> bool:
        return self._downloader is not None

    def set_folder(self, folder: str | Path) -> None:
        """Use ``folder`` everywhere from now on, and remember it.

        Raises
        ------
        DataError
            The folder (or its ``mnist/`` child) does not hold the four MNIST files;
            nothing changes then.
        """
        found = require_mnist_folder(folder)
        self._folder = found
        if self._settings is not None:
            self._settings.setValue(SETTINGS_KEY, str(found))
        self.changed.emit(found)

    def download(self) -> None:
        """Download MNIST into the per-user folder in the background, then use it."""
        if self._downloader is not None:
            return
        target = paths.user_mnist_dir()

        def job(worker):
            download_mnist(target, progress=lambda name, done, total:
                           worker.progress.emit(done, total))
            return target
        downloader = workers.Worker(job)
        # Bound methods (not lambdas) so the slots run in the GUI thread.
        downloader.progress.connect(self._on_progress)
        downloader.finished.connect(self._on_downloaded)
        downloader.errored.connect(self._on_download_failed)
        self._downloader = downloader
        workers.start(downloader, self)

    def shutdown(self) -> None:
        """Stop waiting for a download (the window is closing)."""
        workers.stop_and_wait(self, self._downloader)
        self._downloader = None

    @workers.from_current("_downloader")
    def _on_progress(self, done: int, total: int) -> None:
        self.download_progress.emit(done, total)

    @workers.from_current("_downloader")
    def _on_downloaded(self, folder: Path) -> None:
        self._downloader = None
        try:
            self.set_folder(folder)
        except DataError as exc:  # removed again while it was being verified
            self.download_failed.emit(str(exc))

    @workers.from_current("_downloader")
    def _on_download_failed(self, message: str) -> None:
        self._downloader = None
        self.download_failed.emit(message)
