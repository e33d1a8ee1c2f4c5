"""The real entry point, as a user starts it: opens, loads the model, closes with status 0."""

import gc
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

LAUNCH_AND_CLOSE = r"""
from PySide6.QtCore import QTimer
import digitpad.gui.main_window as main_window_module
original_show = main_window_module.MainWindow.show
def show(self):
    original_show(self)
    self.hub.model_changed.connect(lambda active: (print("ready", active.name, flush=True),
                                                   QTimer.singleShot(0, self.close)))
main_window_module.MainWindow.show = show
from digitpad.app import main
main([])
"""


def test_app_starts_loads_the_model_and_exits_cleanly(tmp_path):
    env = {**os.environ, "XDG_CONFIG_HOME": str(tmp_path), "QT_QPA_PLATFORM": "offscreen"}
    env.pop("TF_CPP_MIN_LOG_LEVEL", None)  # the app must quieten TensorFlow by itself
    done = subprocess.run([sys.executable, "-c", LAUNCH_AND_CLOSE], env=env, capture_output=True,
                          text=True, timeout=180)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "ready default" in done.stdout
    for noise in ("cuda", "absl", "oneDNN"):
        assert noise not in done.stderr, done.stderr[-2000:]


def test_train_cli_help_explains_every_option():
    done = subprocess.run([sys.executable, "train_cli.py", "--help"], capture_output=True,
                          text=True, timeout=60,
                          cwd=os.path.dirname(os.path.dirname(os.path.dirname(__file__))))
    assert done.returncode == 0
    for option in ("--arch", "--epochs", "--batch-size", "--optimizer", "--learning-rate",
                   "--activation", "--l2", "--dropout", "--augment", "--patience",
                   "--validation-fraction", "--train-size", "--seed", "--experiments", "--data"):
        assert option in done.stdout


# Once the window has finished starting, how many lasting objects the drawing may make
# before Python's next full collection (a stall of 40-150 ms on a busy machine).
FIRST_FULL_COLLECTION = r"""
import gc
from PySide6.QtCore import QTimer
import digitpad.gui.main_window as main_window_module
original_show = main_window_module.MainWindow.show
def show(self):
    original_show(self)
    def when_started():
        if self.hub.active is None or self.draw_tab.chart is None:  # still starting
            QTimer.singleShot(10, when_started)
            return
        kept, full = [], []
        def watch(phase, info):
            if phase == "start" and info["generation"] == 2:
                full.append(len(kept))
        gc.callbacks.append(watch)
        while not full and len(kept) < 1_000_000:
            kept.append([])  # a lasting object, as the pad's strokes and history are
        gc.callbacks.remove(watch)
        print("first full collection after", full[0] if full else None, flush=True)
        self.close()
    QTimer.singleShot(0, when_started)
main_window_module.MainWindow.show = show
from digitpad.app import main
main([])
"""


def test_start_up_leaves_no_full_collection_owed_to_the_first_strokes(tmp_path):
    # Start-up makes tens of thousands of lasting objects; the full collection they owe
    # would otherwise fall due a few seconds into the first drawing, in mid-stroke. Once
    # started, the window owes none: the collector's own thresholds (a gen-1 collection
    # every threshold1 gen-0 ones, a full one every threshold2 of those) run in full first.
    threshold0, threshold1, threshold2 = gc.get_threshold()
    env = {**os.environ, "XDG_CONFIG_HOME": str(tmp_path), "QT_QPA_PLATFORM": "offscreen"}
    done = subprocess.run([sys.executable, "-c", FIRST_FULL_COLLECTION], env=env,
                          capture_output=True, text=True, timeout=180, cwd=ROOT)
    assert done.returncode == 0, done.stderr[-2000:]
    after = done.stdout.split("first full collection after")[1].split()[0]
    assert after != "None", "no full collection in a million objects: " + done.stdout
    assert int(after) >= threshold0 * threshold1 * threshold2, done.stdout
