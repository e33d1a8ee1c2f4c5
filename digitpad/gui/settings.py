"""Reading QSettings values that a hand edit or another version may have garbled."""

from __future__ import annotations

import math

from PySide6.QtCore import QSettings


def read_setting(settings: QSettings, key: str, kind: type, default):
    """``settings``' value for ``key`` if it is a ``kind``, else ``default``.

    INI files keep numbers as text, so for ``int`` and ``float`` text holding a finite
    number of that kind counts too. Anything else (a list where a path belongs, text
    where a window geometry belongs, ``nan``) gives ``default``: a damaged settings file
    must never keep the app from starting.
    """
    value = settings.value(key)
    if value is None:
        return default
    if kind in (int, float):
        if isinstance(value, bool) or not isinstance(value, (int, float, str)):
            return default
        try:
            number = kind(value)
        except ValueError:
            return default
        return number if math.isfinite(number) else default
    return value if isinstance(value, kind) else default


RECENT_MODELS_KEY = "recent_models"
MAX_RECENT_MODELS = 8


def recent_models(settings: QSettings) -> list[str]:
    """The model files opened last, newest first (full paths; some may be gone since)."""
    value = settings.value(RECENT_MODELS_KEY)
    if isinstance(value, str):  # an INI file gives back a one-item list as its item
        value = [value]
    if not isinstance(value, list):
        return []
    return [path for path in value if isinstance(path, str) and path][:MAX_RECENT_MODELS]


def remember_recent_model(settings: QSettings, path: str) -> None:
    """Put ``path`` first in the recent models."""
    others = [other for other in recent_models(settings) if other != path]
    settings.setValue(RECENT_MODELS_KEY, [path, *others][:MAX_RECENT_MODELS])
