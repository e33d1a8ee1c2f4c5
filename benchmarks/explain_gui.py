"""The GUI thread's share of explaining drawings: the Inside tab's update after pen-up, and
the Draw tab's map overlay, for real drawn digits replayed on the pad.

For each digit, the strokes are replayed as mouse events; once the worker thread's
explanation arrives, the time the GUI thread spends on it is measured: the Inside tab laying
out every layer's maps (and painting them, while it is the tab shown), and the Draw tab
setting the overlay (and painting the preview). Stroke-to-chart latency with the overlay on
is measured by ``benchmarks/draw_latency.py --looked-at``.

    python benchmarks/explain_gui.py [--digits 100]
"""

import argparse
import json
import time

import _common
from digitpad.gui.replay import replay

STROKES = _common.real_data_folder(_common.DRAWN_DATA) / "touch_strokes.json"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--digits", type=int, default=100)
    args = parser.parse_args()
    app, window = _common.open_main_window("digitpad-bench-explain")
    draw, inside = window.draw_tab, window.inside_tab
    draw.looked_at.box.setChecked(True)
    digits = json.loads(STROKES.read_text())[:args.digits]
    waits, inside_times, overlay_times = [], [], []
    for digit in digits:
        draw.pad.clear()
        app.processEvents()
        replay(draw.pad, digit["strokes"])
        start = time.perf_counter()
        while draw.explanation() is None and time.perf_counter() - start < 5:
            app.processEvents()
        waits.append(time.perf_counter() - start)
        explanation = draw.explanation()
        if explanation is None:
            continue
        window.tabs.setCurrentWidget(inside)
        app.processEvents()
        start = time.perf_counter()
        inside.show_explanation(explanation)
        inside.repaint()  # paints now, with every row's new maps
        inside_times.append(time.perf_counter() - start)
        window.tabs.setCurrentWidget(draw)
        app.processEvents()
        start = time.perf_counter()
        draw._on_explained(None, explanation)
        draw.preview.repaint()
        overlay_times.append(time.perf_counter() - start)
    print(f"model: {window.hub.active.describe()}; {len(digits)} drawn digits")
    print(_common.summary("pen-up -> explanation (worker)", waits))
    print(_common.summary("Inside tab update (GUI thread)", inside_times))
    print(_common.summary("Draw tab overlay (GUI thread)", overlay_times))
    window.close()


if __name__ == "__main__":
    main()
