"""Importing Keras (and TensorFlow) without its start-up noise on the user's terminal."""

from __future__ import annotations

import os
import sys
import threading

_lock = threading.Lock()


def import_keras_quietly():
    """Import and return ``keras``, hiding what TensorFlow's C++ side prints while loading.

    ``TF_CPP_MIN_LOG_LEVEL`` silences most of it, but some lines (CUDA driver probes, absl)
    are written to file descriptor 2 before logging is configured, so stderr is pointed at
    the null device for the duration of the first import.
    """
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    with _lock:
        if "keras" in sys.modules:
            return sys.modules["keras"]
        sys.stderr.flush()
        saved = os.dup(2)
        try:
            with open(os.devnull, "wb") as devnull:
                os.dup2(devnull.fileno(), 2)
            import keras
        finally:
            os.dup2(saved, 2)
            os.close(saved)
        return keras
