"""Latency from a mouse-move event on the pad to the updated chart, through the real window.

Strokes of real drawn digits are replayed as mouse events on a real-time schedule: one move
every 8 ms (a 125 Hz mouse), whatever the app is doing, as a hand would. For each move we
measure the time from when it was due to the end of the first chart update that includes
it. The Draw tab predicts at most once per 60 Hz frame, so a move that comes right after a
prediction waits for the next frame. The window runs in a process set up as the app's
(``digitpad.app``), its event loop asleep between events as the app's is, and the first
stroke waits until the window has finished starting (``--at-once``: as soon as the model
is loaded).

    python benchmarks/draw_latency.py [--digits 60] [--model FILE] [--looked-at] [--at-once]
                                      [--burners 2]

``--burners N`` keeps N CPU-bound processes running beside the app, as a busy machine would.

``--looked-at`` ticks "What it looked at": each pen-up then also explains the drawing (in a
worker thread) and lays its map over the preview.
"""

import argparse
import json
import sys
import time
from pathlib import Path

import _common
import numpy as np
from PySide6.QtCore import QEvent
from digitpad.gui.replay import fit_to_pad, send_mouse

STROKES = _common.real_data_folder(_common.DRAWN_DATA) / "touch_strokes.json"
MOVE_INTERVAL = 0.008


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--digits", type=int, default=60)
    parser.add_argument("--model", help="a .keras model to draw with (default: the shipped one)")
    parser.add_argument("--looked-at", action="store_true",
                        help="with the saliency overlay on the preview")
    parser.add_argument("--at-once", action="store_true",
                        help="draw as soon as the model is loaded, not once the window is idle")
    parser.add_argument("--burners", type=int, default=0,
                        help="CPU-bound processes to run beside the app")
    args = parser.parse_args()
    with _common.cpu_burners(args.burners):
        measure(args)


def measure(args) -> None:
    print(f"{args.burners} CPU burner(s) beside the app; {_common.machine_load()}")
    app, window = _common.open_main_window("digitpad-bench-draw")
    if args.model:
        window.hub.load(args.model)
        while window.hub.is_loading:
            app.processEvents()
        if window.hub.active.path is None or window.hub.active.path.resolve() != \
                Path(args.model).resolve():
            sys.exit(f"draw_latency.py: could not load {args.model}")
    if not args.at_once:
        _common.wait_for_idle(app, window)
    tab = window.draw_tab
    tab.looked_at.box.setChecked(args.looked_at)
    pad = tab.pad
    updates = []
    tab.prediction_updated.connect(lambda: updates.append(time.perf_counter()))
    due_times = []
    digits = json.loads(STROKES.read_text())[:args.digits]

    def wait_until(moment):
        _common.wait_until(app, moment)

    for digit in digits:
        pad.clear()
        wait_until(time.perf_counter() + 0.05)
        due = time.perf_counter()
        for stroke in fit_to_pad(digit["strokes"], pad):
            send_mouse(pad, QEvent.MouseButtonPress, stroke[0])
            for point in stroke[1:]:
                due += MOVE_INTERVAL
                wait_until(due)
                send_mouse(pad, QEvent.MouseMove, point)
                due_times.append(due)
            send_mouse(pad, QEvent.MouseButtonRelease, stroke[-1])
        wait_until(time.perf_counter() + 0.05)  # the last frame's prediction lands
    done = np.asarray(updates)
    latencies = [done[np.searchsorted(done, t)] - t for t in due_times]
    predict_costs = []
    for _ in range(200):  # cost of one full update on its own
        start = time.perf_counter()
        tab.update_prediction()
        predict_costs.append(time.perf_counter() - start)
    print(f"model: {window.hub.active.describe()}")
    print(f"{len(due_times)} moves, {len(updates)} predictions")
    print(_common.summary("mouse move -> chart updated", latencies))
    print(_common.summary("one update (render+prep+predict+draw)", predict_costs))
    window.close()


if __name__ == "__main__":
    main()
