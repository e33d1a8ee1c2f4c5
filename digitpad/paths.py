"""The one place that resolves digitpad's folders: bundled resources and models, user data.

Installed from a wheel, ``models/`` and ``resources/`` live inside the package; in a source
checkout (or an editable install) they live at the repository root, beside the package.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

APP_NAME = "digitpad"
_PACKAGE_DIR = Path(__file__).resolve().parent


def _bundled(name: str) -> Path:
    inside = _PACKAGE_DIR / name
    return inside if inside.is_dir() else _PACKAGE_DIR.parent / name


def resources_dir() -> Path:
    """Folder with icons and other files the GUI loads by path."""
    return _bundled("resources")


def bundled_models_dir() -> Path:
    """Folder with the models shipped with digitpad (read-only for the app)."""
    return _bundled("models")


def user_data_dir() -> Path:
    """Per-user folder for downloaded data and trained models (not created here)."""
    if sys.platform == "win32":
        base = Path(os.environ.get("APPDATA", Path.home() / "AppData" / "Roaming"))
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Application Support"
    else:
        base = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    return base / APP_NAME


def user_models_dir() -> Path:
    """Where models trained by the user are saved."""
    return user_data_dir() / "models"


def user_mnist_dir() -> Path:
    """Where MNIST is looked for last, and downloaded to when online."""
    return user_data_dir() / "mnist"


def my_digits_path() -> Path:
    """The user's own digits: the SQLite store the Draw tab saves corrections to."""
    return user_data_dir() / "my_digits.sqlite3"
