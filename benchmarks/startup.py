"""Start-up: launch -> window shown, -> window complete, -> first prediction possible.

Each run is a fresh process (digitpad's ``main()`` as a user would start it), measured from
before the interpreter starts. "Shown" is the end of the window's first paint (the drawing
pad on screen); "complete" is when the chart and the other tabs have been built after it;
"ready" is when the model is loaded and a stroke would get a prediction.

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
Window = main_window_module.MainWindow
original_paint, original_complete, original_init = Window.paintEvent, Window._complete, Window.__init__
def stamp(name):
    print(f"{name} {time.time() - launch:.3f}", flush=True)
def paint(self, event):
    original_paint(self, event)
    if not hasattr(self, "_probe_painted"):
        self._probe_painted = True
        stamp("shown")
def complete(self):
    built = self._errors_tab is not None
    original_complete(self)
    if not built:
        stamp("complete")
def init(self, *args, **kwargs):
    original_init(self, *args, **kwargs)
    self.hub.model_changed.connect(lambda active: (stamp("ready"),
                                                   QTimer.singleShot(500, self.close)))
Window.paintEvent, Window._complete, Window.__init__ = paint, complete, init
from digitpad.app import main
main([])
"""


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    stamps = {"shown": [], "complete": [], "ready": []}
    for _ in range(args.runs):
        env = {**os.environ, "DIGITPAD_LAUNCH": repr(time.time()),
               "XDG_CONFIG_HOME": "/tmp/digitpad-startup-config"}
        out = subprocess.run([sys.executable, "-c", PROBE], env=env, capture_output=True,
                             text=True, cwd=_common.ROOT, timeout=120).stdout
        values = dict(line.split() for line in out.splitlines() if line.split()[0] in stamps)
        for name, times in stamps.items():
            times.append(float(values[name]))
    for name, label in (("shown", "window shown (first frame)"),
                        ("complete", "window complete (chart, all tabs)"),
                        ("ready", "first prediction possible")):
        print(f"launch -> {label:34s} median {np.median(stamps[name]):.2f} s  "
              f"(runs {stamps[name]})")


if __name__ == "__main__":
    main()
