"""Importing Keras (and TensorFlow) without its start-up noise on the user's terminal."""

from __future__ import annotations

import ctypes
import gc
import importlib.util
import logging
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
        # A full garbage collection holds Python's lock while it visits every tracked
        # object, freezing the GUI thread: during this import, which creates hundreds of
        # thousands of them, collections took 20-130 ms each and found nothing to free.
        # None run during the import, and its objects are left out of all later ones
        # (reference counting still frees them), which had stalled training runs by
        # 100-300 ms every few seconds.
        collecting = gc.isenabled()
        gc.disable()
        try:
            with open(os.devnull, "wb") as devnull:
                os.dup2(devnull.fileno(), 2)
            _preload_tensorflow_libraries()
            import keras

            # TensorFlow's Python warnings advise model developers (e.g. on retracing, once
            # a process has trained several models): noise on a digitpad user's terminal.
            logging.getLogger("tensorflow").setLevel(logging.ERROR)
            # TensorFlow's runtime starts with its first operation, holding Python's lock
            # for ~40 ms: here, with the import, rather than in the middle of training.
            keras.ops.zeros(1)
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            gc.freeze()
            if collecting:
                gc.enable()
        return keras


def _preload_tensorflow_libraries() -> None:
    """Load TensorFlow's two big native libraries (1.2 GB) without holding Python's lock.

    Python's import loads them while holding the lock, freezing every other thread (the
    GUI) for about 0.4 s. Loaded first through libc's ``dlopen``, a plain C call that
    releases the lock, they are already in memory when the import asks for them. Linux
    only; anything unexpected leaves the ordinary import to do the work.
    """
    if not sys.platform.startswith("linux"):
        return
    spec = importlib.util.find_spec("tensorflow")
    if spec is None or spec.origin is None:
        return
    folder = os.path.dirname(spec.origin)
    try:
        libc = ctypes.CDLL(None)
        dlopen = libc.dlopen
    except (OSError, AttributeError):
        return
    dlopen.restype, dlopen.argtypes = ctypes.c_void_p, [ctypes.c_char_p, ctypes.c_int]
    for name in ("libtensorflow_framework.so.2", "libtensorflow_cc.so.2"):
        path = os.path.join(folder, name)
        if os.path.isfile(path):
            dlopen(os.fsencode(path), sys.getdlopenflags())
