"""Stroke -> answer latency for a 6-digit number written on the pad of the real window.

Numbers of six touch_strokes.json digits are written across the pad as mouse events (a
move every 8 ms, as a 125 Hz mouse sends them); at each pen-up the answer is final within
the release event, so the release's handling time is the stroke -> answer latency. Wall
time, this process's CPU time (what it costs on a core of its own: the benchmark
machine may be busy with other work), and the GUI thread's share of it. How late each mouse
move gets to the pad is how long the event loop was busy at that moment: the GUI's stalls
while writing, whatever their cause (a pen-up's reading, a collection, the system's load).

The window runs in a process set up as the app sets up its own (``digitpad.app``), and the
event loop sleeps between mouse events as the app's does. The first stroke waits until the
window has finished starting; ``--at-once`` starts writing as soon as the model is loaded,
while the rest of the window is still being built, as a user who draws at once.
``--burners N`` keeps N CPU-bound processes running beside the app, as a busy machine would.

    python benchmarks/number_latency.py [--numbers 20] [--at-once] [--burners 2]
"""

import argparse
import json
import time

import _common
import numpy as np
from PySide6.QtCore import QEvent, QPointF
from digitpad.core.synthetic_numbers import REAL_SLANT, random_layout, stroke_number

from digitpad.gui.replay import send_mouse

STROKES = _common.real_data_folder(_common.DRAWN_DATA) / "touch_strokes.json"
MOVE_INTERVAL = 0.008
GOAL_MS = 16.0


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--numbers", type=int, default=20)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--at-once", action="store_true",
                        help="write as soon as the model is loaded, not once the window is idle")
    parser.add_argument("--burners", type=int, default=0,
                        help="CPU-bound processes to run beside the app")
    args = parser.parse_args()
    with _common.cpu_burners(args.burners):
        measure(args)


def measure(args) -> None:
    print(f"{args.burners} CPU burner(s) beside the app; {_common.machine_load()}")
    app, window = _common.open_main_window("digitpad-bench-numbers")
    if not args.at_once:
        _common.wait_for_idle(app, window)
    tab, pad = window.draw_tab, window.draw_tab.pad
    digits = [(d["label"], [np.asarray(s, float) for s in d["strokes"]])
              for d in json.loads(STROKES.read_text())]
    rng = np.random.default_rng(args.seed)
    wall, cpu, gui_cpu, late, read = [], [], [], [], 0

    for _ in range(args.numbers):
        chosen = [digits[i] for i in rng.integers(0, len(digits), 6)]
        strokes = stroke_number([s for _, s in chosen], random_layout(6, rng, 0.0), rng,
                                REAL_SLANT)
        right = max(s[:, 0].max() for s in strokes)
        unit = min(0.9 * pad.width() / right, 0.45 * pad.height())  # a digit's height
        pad.clear()
        due = time.perf_counter()
        for stroke in strokes:
            points = [QPointF(0.05 * pad.width() + x * unit, 0.25 * pad.height() + y * unit)
                      for x, y in stroke]
            send_mouse(pad, QEvent.MouseButtonPress, points[0])
            for point in points[1:]:
                due += MOVE_INTERVAL
                _common.wait_until(app, due)
                late.append(time.perf_counter() - due)  # the event loop was busy (a stall)
                send_mouse(pad, QEvent.MouseMove, point)
            start, start_cpu = time.perf_counter(), time.process_time()
            start_gui = time.thread_time()
            send_mouse(pad, QEvent.MouseButtonRelease, points[-1])
            wall.append(time.perf_counter() - start)
            cpu.append(time.process_time() - start_cpu)
            gui_cpu.append(time.thread_time() - start_gui)
        read += tab.number() == "".join(str(label) for label, _ in chosen)
    print(f"model: {window.hub.active.describe()}; pad {pad.width()}x{pad.height()} px; "
          f"{'written at once after the model loaded' if args.at_once else 'window idle first'}")
    print(f"{args.numbers} six-digit numbers, {read} read exactly; {_common.machine_load()}")
    for name, seconds in (("pen-up -> answer (wall)", wall), ("pen-up -> answer (CPU)", cpu),
                          ("pen-up -> answer (GUI thread CPU)", gui_cpu)):
        p99 = np.percentile(seconds, 99) * 1000
        print(_common.summary(name, seconds)
              + f"  [{'PASS' if p99 <= GOAL_MS else 'FAIL'} p99 <= {GOAL_MS:.0f} ms]")
    print(_common.summary("mouse move sent late (GUI stall)", late)
          + f"   longest {max(late) * 1000:.1f} ms")
    window.close()


if __name__ == "__main__":
    main()
