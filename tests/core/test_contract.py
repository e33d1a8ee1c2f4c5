"""Import boundaries: digitpad.core never imports Qt, its NumPy parts (prediction included)
never import TensorFlow, and the window's first frame waits for neither."""

import os
import subprocess
import sys

QT = ("PySide6", "pyqtgraph", "shiboken6")


def _imported_after(statement: str) -> set[str]:
    code = f"import sys; {statement}; print(' '.join(sys.modules))"
    output = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return set(output.stdout.split())


def test_core_never_imports_qt():
    modules = _imported_after("import digitpad.core.training, digitpad.core.inference, "
                              "digitpad.core.registry, digitpad.core.evaluation, digitpad.cli, "
                              "digitpad.core.number_reader")
    assert not {m for m in modules if m.split('.')[0] in QT}


def test_pure_core_modules_do_not_pay_for_tensorflow():
    modules = _imported_after("import digitpad.core.data, digitpad.core.preprocess, "
                              "digitpad.core.evaluation, digitpad.core.registry, "
                              "digitpad.core.architectures, digitpad.core.inference, "
                              "digitpad.core.number_reader, digitpad.paths")
    assert "tensorflow" not in modules and "keras" not in modules


def test_the_first_frame_needs_neither_tensorflow_nor_pyqtgraph():
    # Start-up budget: the window's first frame (the pad) must not wait for either import.
    modules = _imported_after("import digitpad.app, digitpad.gui.main_window")
    assert not {"tensorflow", "keras", "pyqtgraph"} & modules


# Everything about a process that a library could change behind its caller's back.
PROCESS_STATE = """
import gc, hashlib, os, pickle, random, signal, sys
import numpy as np
from threadpoolctl import threadpool_info

def state():
    stderr = os.fstat(2)
    return {"gc": (gc.isenabled(), gc.get_freeze_count(), gc.get_threshold()),
            "stderr": (stderr.st_dev, stderr.st_ino),
            "threads": sorted((i["internal_api"], i["num_threads"]) for i in threadpool_info()),
            "switch": sys.getswitchinterval(),
            "random": hashlib.sha1(pickle.dumps(random.getstate())).hexdigest(),
            "numpy_random": hashlib.sha1(pickle.dumps(np.random.get_state())).hexdigest(),
            "signals": (signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)),
            "priority": os.getpriority(os.PRIO_PROCESS, 0),
            "cores": sorted(os.sched_getaffinity(0))}
"""


def test_using_core_changes_nothing_process_wide(tmp_path):
    # Import every pure module and use the parts the GUI uses: load the shipped model,
    # predict one image and a batch big enough for the thread pool, evaluate.
    script = PROCESS_STATE + """
before = state()
import digitpad.core.data, digitpad.core.preprocess, digitpad.core.architectures
import digitpad.core.curves, digitpad.core.tiles, digitpad.core.reports, digitpad.core.config
from digitpad.core.evaluation import evaluate
from digitpad.core.inference import Predictor
from digitpad.core.registry import default_model_path, load_card
predictor = Predictor.load(default_model_path())
images = np.random.default_rng(0).random((600, 28, 28), dtype=np.float32)
predictor.predict_one(images[0])
predictor.predict(images)
evaluate(predictor, images, np.zeros(600, np.uint8))
load_card(default_model_path())
after = state()
changed = {key: (before[key], after[key]) for key in before if before[key] != after[key]}
print(changed or "unchanged")
"""
    output = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                            check=True)
    assert output.stdout.strip() == "unchanged"



def test_a_large_prediction_leaves_blas_alone_for_every_other_thread():
    # BLAS's thread setting is process-wide: while a worker predicts a large set, the GUI
    # thread's own predictions must keep whatever the process chose.
    script = """
import threading
import numpy as np
from threadpoolctl import threadpool_info
from digitpad.core.inference import Predictor
from digitpad.core.registry import default_model_path
predictor = Predictor.load(default_model_path())
images = np.random.default_rng(0).random((1000, 28, 28), dtype=np.float32)
done = threading.Event()
def work():
    for _ in range(3):
        predictor.predict(images)
    done.set()
threading.Thread(target=work).start()
seen = set()
while not done.is_set():
    seen |= {i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"}
print(sorted(seen))
"""
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "2"}  # BLAS's own pool, as on most machines
    output = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                            check=True, env=env)
    assert output.stdout.strip() == "[2]"
