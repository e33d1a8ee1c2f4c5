"""Where the app reads MNIST: one folder for every tab, chosen or downloaded once, remembered."""

from __future__ import annotations

import itertools
import threading
import traceback
from pathlib import Path

from PySide6.QtCore import QObject, QSettings, Signal

from digitpad import paths
from digitpad.core.data import (candidate_folders, download_mnist, find_mnist_folder,
                                not_found_message, require_mnist_folder, unusable_reason)
from digitpad.core.errors import EXPECTED_ERRORS, DataError, DownloadCancelled

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
    # From the download's thread to this object's (the GUI) thread, with the download's
    # number: reports of a download already given up arrive ignored.
    _progressed = Signal(int, int, int)
    _downloaded = Signal(int, object)
    _failed = Signal(int, str)

    def __init__(self, settings: QSettings | None = None, override: str | None = None,
                 parent: QObject | None = None):
        super().__init__(parent)
        self._settings = settings
        self._downloads = itertools.count(1)
        self._download: int | None = None  # the number of the download in progress
        self._stop_download: threading.Event | None = None
        self._progressed.connect(self._on_progress)
        self._downloaded.connect(self._on_downloaded)
        self._failed.connect(self._on_download_failed)
        self._folder: Path | None = Path(override).expanduser() if override else None
        if self._folder is None and settings is not None:
            stored = settings.value(SETTINGS_KEY)
            # A hand-edited value, or a folder that was moved or emptied since: forget it.
            # One that is there but cannot be read now (permissions) stays: the tabs say why.
            if isinstance(stored, str) and stored and (find_mnist_folder(Path(stored))
                                                       or unusable_reason(Path(stored))):
                self._folder = Path(stored)
            elif stored is not None:
                settings.remove(SETTINGS_KEY)

    @property
    def folder(self) -> Path | None:
        return self._folder

    def problem(self) -> str | None:
        """Why no MNIST can be read (from ``folder``, or MNIST's usual places without
        one), in words for the user; None when it can."""
        folder = str(self._folder) if self._folder else None
        reason = folder and unusable_reason(Path(folder))
        if reason:  # the app's own folder is there but unreadable: say that, not "missing"
            return f"{folder}: not usable: {reason}"
        folders = candidate_folders(folder)
        return None if any(find_mnist_folder(f) for f in folders) else not_found_message(folders)

    @property
    def is_downloading(self) -> bool:
        return self._download is not None

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
        """Download MNIST into the per-user folder in the background, then use it.

        The download runs in a daemon thread of its own rather than a QThread: it can wait
        on a silent server for as long as the socket's timeout, and the window closes
        without waiting for it (its stop flag ends it at the next read).
        """
        if self._download is not None:
            return
        number, stop, target = next(self._downloads), threading.Event(), paths.user_mnist_dir()
        self._download, self._stop_download = number, stop

        def job():
            try:
                download_mnist(target, stop=stop, progress=lambda name, done, total:
                               stop.is_set() or self._progressed.emit(number, done, total))
                result = (self._downloaded, target)
            except DownloadCancelled:
                return
            except Exception as exc:  # reported to the user, never raised into Qt
                if not isinstance(exc, EXPECTED_ERRORS):
                    traceback.print_exc()
                result = (self._failed, str(exc) or type(exc).__name__)
            if not stop.is_set():  # after a close this object may be gone
                result[0].emit(number, result[1])
        threading.Thread(target=job, name="digitpad-download", daemon=True).start()

    def shutdown(self) -> None:
        """Stop the download, if any, without waiting for it (the window is closing)."""
        if self._stop_download is not None:
            self._stop_download.set()
        self._download = self._stop_download = None

    def _on_progress(self, number: int, done: int, total: int) -> None:
        if number == self._download:
            self.download_progress.emit(done, total)

    def _on_downloaded(self, number: int, folder: Path) -> None:
        if number != self._download:
            return
        self._download = self._stop_download = None
        try:
            self.set_folder(folder)
        except DataError as exc:  # removed again while it was being verified
            self.download_failed.emit(str(exc))

    def _on_download_failed(self, number: int, message: str) -> None:
        if number != self._download:
            return
        self._download = self._stop_download = None
        self.download_failed.emit(message)
