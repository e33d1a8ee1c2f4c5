"""The real entry point, as a user starts it: opens, loads the model, closes with status 0."""

import os
import subprocess
import sys

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
