"""The tabs' "no MNIST" panel, connected to the app's data source."""

from __future__ import annotations

from PySide6.QtWidgets import QWidget

from digitpad.core.errors import DataError
from digitpad.gui.data_source import DataSource
from digitpad.gui.widgets.data_panel import DataPanel


class MnistPanel(DataPanel):
    """A :class:`DataPanel` that acts on ``data`` (``hub.data``): a chosen folder or a
    finished download changes ``data.folder`` for the whole app, and the tabs react to
    ``data.changed``.

    Parameters
    ----------
    data : DataSource
        The app's data source.
    purpose : str
        Why the tab needs MNIST, shown first.
    """

    def __init__(self, data: DataSource, purpose: str, parent: QWidget | None = None):
        super().__init__(purpose, parent)
        self.data = data
        self.folder_chosen.connect(self.choose_folder)
        self.download_requested.connect(data.download)
        data.download_progress.connect(self.show_download_progress)
        data.download_failed.connect(self.show_download_failed)
        data.changed.connect(self._on_data_changed)

    def choose_folder(self, folder: str) -> bool:
        """Use ``folder`` for the whole app; a folder without MNIST is explained here."""
        try:
            self.data.set_folder(folder)
        except DataError as exc:
            self.show_wrong_folder(str(exc))
            return False
        return True

    def _on_data_changed(self, folder) -> None:
        self.show_data_found()
