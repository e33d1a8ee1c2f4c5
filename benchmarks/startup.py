"""Start-up: launch -> window shown, and launch -> first prediction possible (model loaded).

Each run is a fresh process (``python -m digitpad`` as a user would start it), measured from
before the interpreter starts.

    python benchmarks/startup.py [--runs 3]
"""

import argparse
import os
import subprocess
import sys
import time

import _common
import numpy as np

PROBE = r"""
import os, sys, time
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication
import digitpad.gui.main_window as main_window_module
launch = float(os.environ["DIGITPAD_LAUNCH"])
original_show = main_window_module.MainWindow.show
def show(self):
    original_show(self)
    QApplication.processEvents()
    print(f"shown {time.time() - launch:.3f}", flush=True)
    self.hub.model_changed.connect(lambda active: (print(f"ready {time.time() - launch:.3f}",
                                   flush=True), QTimer.singleShot(0, self.close)))
main_window_module.MainWindow.show = show
from digitpad.app import main
main([])
"""


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    shown, ready = [], []
    for _ in range(args.runs):
        env = {**os.environ, "DIGITPAD_LAUNCH": repr(time.time()),
               "XDG_CONFIG_HOME": "/tmp/digitpad-startup-config"}
        out = subprocess.run([sys.executable, "-c", PROBE], env=env, capture_output=True,
                             text=True, cwd=_common.ROOT, timeout=120).stdout
        values = dict(line.split() for line in out.splitlines() if line.split()[0] in ("shown", "ready"))
        shown.append(float(values["shown"]))
        ready.append(float(values["ready"]))
    print(f"launch -> window shown:             median {np.median(shown):.2f} s  (runs {shown})")
    print(f"launch -> first prediction possible: median {np.median(ready):.2f} s  (runs {ready})")


if __name__ == "__main__":
    main()
