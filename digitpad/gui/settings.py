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
