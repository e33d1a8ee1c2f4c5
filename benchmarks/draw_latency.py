"""Latency from a mouse-move event on the pad to the updated chart, through the real window.

Strokes of real drawn digits are replayed as mouse events at a realistic pace (one move every
8 ms, a 125 Hz mouse). For each move we measure the time until the chart shows a prediction
that includes it (predictions run as soon as the event loop is free).

    python benchmarks/draw_latency.py [--digits 60]
"""

import argparse
import json
import time

import _common
from PySide6.QtCore import QEvent
from digitpad.gui.replay import fit_to_pad, send_mouse

STROKES = _common.ROOT.parent / "shared" / "data" / "drawn-dev" / "touch_strokes.json"
MOVE_INTERVAL = 0.008


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--digits", type=int, default=60)
    args = parser.parse_args()
    app, window = _common.open_main_window("digitpad-bench-draw")
    tab = window.draw_tab
    pad = tab.pad
    updates = []
    tab.prediction_updated.connect(lambda: updates.append(time.perf_counter()))
    latencies, predict_costs = [], []
    digits = json.loads(STROKES.read_text())[:args.digits]
    for digit in digits:
        pad.clear()
        app.processEvents()
        for stroke in fit_to_pad(digit["strokes"], pad):
            send_mouse(pad, QEvent.MouseButtonPress, stroke[0])
            for point in stroke[1:]:
                sent = time.perf_counter()
                before = len(updates)
                send_mouse(pad, QEvent.MouseMove, point)
                # Wait (processing events) until a prediction covering this move is shown.
                while len(updates) == before:
                    app.processEvents()
                latencies.append(updates[-1] - sent)
                idle_until = sent + MOVE_INTERVAL
                while time.perf_counter() < idle_until:
                    app.processEvents()
            send_mouse(pad, QEvent.MouseButtonRelease, stroke[-1])
    for _ in range(200):  # cost of one full update on its own
        start = time.perf_counter()
        tab.update_prediction()
        predict_costs.append(time.perf_counter() - start)
    print(f"model: {window.hub.active.describe()}")
    print(_common.summary("mouse move -> chart updated", latencies))
    print(_common.summary("one update (render+prep+predict+draw)", predict_costs))
    window.close()


if __name__ == "__main__":
    main()
