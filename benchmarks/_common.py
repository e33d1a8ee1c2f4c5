"""Shared set-up for the benchmarks: quiet TensorFlow, repository on the path, statistics."""

import os
import sys
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DEFAULT_DATA = ROOT.parent / "shared" / "data" / "mnist"
if DEFAULT_DATA.is_dir():
    os.environ.setdefault("DIGITPAD_DATA", str(DEFAULT_DATA))

import numpy as np  # noqa: E402


def summary(name: str, seconds: list[float]) -> str:
    ms = np.asarray(seconds) * 1000
    return (f"{name:<34} median {np.median(ms):8.3f} ms   p99 {np.percentile(ms, 99):8.3f} ms"
            f"   (n={len(ms)})")
