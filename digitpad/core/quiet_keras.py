"""Importing Keras in a training process without TensorFlow's start-up noise.

Process policy, not library code: :func:`import_keras_quietly` changes the process's
environment, logging and (while the import runs) its stderr, so only the entry points of
training processes call it: the CLI's ``main`` and ``training_process.serve``. Nothing in
``core`` calls it; core imports Keras lazily with a plain ``import keras``.
"""

from __future__ import annotations

import logging
import os
import sys


def import_keras_quietly():
    """Import and return ``keras``, hiding what TensorFlow prints while it loads.

    ``TF_CPP_MIN_LOG_LEVEL`` silences most of the noise, but some lines (oneDNN, CUDA
    driver probes, absl) go to file descriptor 2 before logging is configured.
    """
    if "keras" in sys.modules:
        return sys.modules["keras"]
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with open(os.devnull, "wb") as devnull:
            os.dup2(devnull.fileno(), 2)
        import keras
    finally:
        os.dup2(saved, 2)
        os.close(saved)
    # TensorFlow's Python warnings advise model developers (e.g. on retracing, once a
    # process has trained several models): noise on a digitpad user's terminal.
    logging.getLogger("tensorflow").setLevel(logging.ERROR)
    return keras
