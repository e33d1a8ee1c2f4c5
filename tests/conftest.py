"""Test-wide settings: no display, quiet TensorFlow, and no reach into the user's folders."""

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import pytest  # noqa: E402
from hypothesis import settings  # noqa: E402

# Deterministic property tests: the same examples on every run and in CI.
settings.register_profile("digitpad", derandomize=True, database=None, deadline=None)
settings.load_profile("digitpad")

from tests.helpers import SHARED_MNIST  # noqa: E402

# The real data sets come from ../shared beside the checkout unless the caller points elsewhere.
if SHARED_MNIST.is_dir():
    os.environ.setdefault("DIGITPAD_DATA", str(SHARED_MNIST))


@pytest.fixture(autouse=True)
def isolated_user_data(tmp_path, monkeypatch):
    """Point the per-user data folder (models, settings, downloads) into the test's tmp dir."""
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg-data"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg-config"))
