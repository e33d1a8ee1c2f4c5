"""Test-wide settings: no display, quiet TensorFlow, no reach into the user's folders, and
the real data sets as fixtures that skip (or, in CI, fail) with what to set."""

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import pytest  # noqa: E402
from hypothesis import settings  # noqa: E402

from tests.helpers import DRAWN_DATA, MNIST_DATA, REQUIRE_DATA_ENV_VAR, RealData  # noqa: E402

# Deterministic property tests: the same examples on every run and in CI.
settings.register_profile("digitpad", derandomize=True, database=None, deadline=None)
settings.load_profile("digitpad")


@pytest.fixture(autouse=True)
def isolated_user_data(tmp_path, monkeypatch):
    """Point the per-user data folder (models, settings, downloads) into the test's tmp dir."""
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg-data"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg-config"))


def _real_data(data_set: RealData):
    found = data_set.find()
    if isinstance(found, str):
        if os.environ.get(REQUIRE_DATA_ENV_VAR) == "1":
            pytest.fail(f"{found} ({REQUIRE_DATA_ENV_VAR}=1)", pytrace=False)
        pytest.skip(found)
    return found


@pytest.fixture(scope="session")
def mnist_folder():
    """The folder with the real MNIST files ($DIGITPAD_DATA, else ../shared/data/mnist)."""
    return _real_data(MNIST_DATA)


@pytest.fixture(scope="session")
def mnist(mnist_folder):
    """The real MNIST set, loaded once for the session (its arrays are read-only)."""
    from digitpad.core.data import load_mnist
    return load_mnist(mnist_folder, download=False)


@pytest.fixture(scope="session")
def drawn_folder():
    """The drawn-dev folder of real drawn digits ($DIGITPAD_DRAWN, else ../shared/data/drawn-dev)."""
    return _real_data(DRAWN_DATA)
