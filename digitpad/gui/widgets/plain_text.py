"""Text from files, cards and errors shown as it is: never read as markup by Qt."""

from __future__ import annotations

import html


def plain_tooltip(text: str) -> str:
    """``text`` as a tooltip that shows it literally.

    Qt reads a tooltip as rich text whenever it looks like markup, and tooltips have no
    plain-text switch as labels do (``setTextFormat(Qt.PlainText)``): so the text is
    escaped inside markup, which Qt then renders back to the literal characters.
    """
    return f"<qt>{html.escape(text)}</qt>"
