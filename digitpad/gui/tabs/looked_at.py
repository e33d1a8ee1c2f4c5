"""The "what it looked at" switch: a saliency map over a tab's 28x28 preview, with its
caption. Used by the Draw tab and the Errors tab's detail."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QCheckBox, QLabel, QVBoxLayout, QWidget

from digitpad.gui.widgets.image_view import ImageView


class LookedAt(QWidget):
    """A check box that lays the latest map over ``preview``, and the map's caption.

    The tab hands it each map as it arrives (:meth:`set_map`) or None when the preview has
    none; ticked, the box shows it at once.
    """

    def __init__(self, preview: ImageView, text: str = "What it looked at",
                 parent: QWidget | None = None):
        super().__init__(parent)
        self.preview = preview
        self._heat: np.ndarray | None = None
        self._caption = ""
        self.box = QCheckBox(text)
        self.box.setToolTip("Colour the pixels by how much they made the answer: orange "
                            "for it, blue against it")
        self.caption = QLabel("")
        self.caption.setTextFormat(Qt.PlainText)
        self.caption.setAlignment(Qt.AlignCenter)
        self.caption.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.box, 0, Qt.AlignHCenter)
        layout.addWidget(self.caption)
        self.box.toggled.connect(self._show)

    def set_map(self, heat: np.ndarray | None, caption: str = "") -> None:
        """The map for the image now in the preview (None: there is none)."""
        self._heat, self._caption = heat, caption
        self._show()

    def _show(self) -> None:
        shown = self.box.isChecked() and self._heat is not None
        self.preview.set_overlay(self._heat if shown else None)
        self.caption.setText(self._caption if shown else "")


def caption(explanation, true_label: int | None = None) -> str:
    """What the map of ``explanation`` shows, in words."""
    if explanation.rival is None:
        return f"Orange: the ink that makes it a {explanation.digit}"
    if true_label is not None:
        return (f"Why {explanation.digit} and not {true_label}: orange for "
                f"{explanation.digit}, blue for {true_label}")
    return (f"Why {explanation.digit} and not {explanation.rival}: orange for "
            f"{explanation.digit}, blue for {explanation.rival}")
