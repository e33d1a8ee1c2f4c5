"""Screenshots of the three tabs for README, taken from the real app (offscreen).

A digit is drawn on the pad with real mouse events, then each tab is opened and the window
saved as a PNG in docs/screenshots/. The Errors tab needs MNIST: --data DIR, or the app's
own search (DIGITPAD_DATA, then the per-user folder).

    python scripts/screenshots.py [--data DIR]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "docs" / "screenshots"
WINDOW_SIZE = (1100, 680)
WAIT_SECONDS = 120


def seven() -> list[list[tuple[float, float]]]:
    """A hand-like 7: a slightly rising top bar, then a long, slightly curved down-stroke."""
    top = [(0.22 + 0.56 * t, 0.24 - 0.02 * t) for t in (i / 12 for i in range(13))]
    down = [(0.78 - 0.34 * t - 0.04 * t * (1 - t), 0.22 + 0.6 * t) for t in (i / 16 for i in range(1, 17))]
    return [top + down]


def wait_until(app, done, what: str) -> None:
    deadline = time.monotonic() + WAIT_SECONDS
    while not done():
        if time.monotonic() > deadline:
            sys.exit(f"screenshots: gave up waiting for {what}")
        app.processEvents()
        time.sleep(0.01)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", metavar="DIR", help="folder with the MNIST IDX files")
    args = parser.parse_args()
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    sys.path.insert(0, str(ROOT))

    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication

    from digitpad.gui import replay
    from digitpad.gui.main_window import MainWindow

    app = QApplication([sys.argv[0]])
    with tempfile.TemporaryDirectory() as scratch:  # fresh settings: no remembered state
        settings = QSettings(str(Path(scratch) / "settings.ini"), QSettings.IniFormat)
        window = MainWindow(settings=settings, data_folder=args.data)
        window.show()
        window.resize(*WINDOW_SIZE)
        wait_until(app, lambda: window.hub.active is not None, "the model")
        tabs = (window.draw_tab, window.errors_tab, window.train_tab)  # builds all of them

        draw = window.draw_tab
        replay.replay(draw.pad, seven())
        wait_until(app, lambda: draw.probabilities() is not None and not draw._timer.isActive(),
                   "the prediction")
        OUT.mkdir(parents=True, exist_ok=True)
        for name, tab in zip(("draw", "errors", "train"), tabs):
            window.tabs.setCurrentWidget(tab)
            if tab is window.errors_tab:
                wait_until(app, lambda tab=tab: tab.evaluation is not None
                           or tab.pages.currentIndex() == 1, "the evaluation")
            for _ in range(20):  # let layouts and plots settle
                app.processEvents()
                time.sleep(0.01)
            path = OUT / f"{name}.png"
            if not window.grab().save(str(path), "PNG"):
                sys.exit(f"screenshots: could not write {path}")
            print(f"wrote {path.relative_to(ROOT)}")
        window.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
