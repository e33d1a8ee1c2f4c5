"""Saving a drawing as one of the user's digits, and opening a large store of them.

- the GUI thread's time for a save from the Draw tab (digit key: the sample is built and
  queued; the store is written in the background), over real mouse strokes on the pad;
- opening a store of 10,000 digits and reading them all, as the Errors tab's "My digits"
  asks for them (the store thread's round trip, from asking to having them in the GUI).

    python benchmarks/my_digits.py [--saves 200] [--store-size 10000]
"""

import argparse
import os
import tempfile
import time
from pathlib import Path

import _common
import numpy as np

from digitpad.core.digit_store import DigitStore
from digitpad.core.digits_file import Sample


def fill_store(path: Path, count: int) -> None:
    rng = np.random.default_rng(0)
    with DigitStore(path) as store:
        store.add_many([Sample(int(rng.integers(10)), [rng.random((60, 2))],
                               rng.integers(0, 256, (28, 28), dtype=np.uint8))
                        for _ in range(count)])


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--saves", type=int, default=200)
    parser.add_argument("--store-size", type=int, default=10_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        os.environ["XDG_DATA_HOME"] = folder  # a store of its own, not the user's
        app, window = _common.open_main_window("bench-my-digits")
        from digitpad.gui.replay import replay
        tab, my_digits = window.draw_tab, window.hub.my_digits
        rng = np.random.default_rng(1)
        seconds = []
        for n in range(args.saves):
            # One stroke, a 7 each time a little different: one digit, never a number.
            seven = np.array([[10, 10], [90, 10], [40, 100]]) + rng.normal(0, 4, (3, 2))
            replay(tab.pad, [seven])
            started = time.perf_counter()
            saved = tab.save_as(n % 10)
            seconds.append(time.perf_counter() - started)
            assert saved, tab.saved_label.text()
            app.processEvents()
        while True:  # every save written
            with DigitStore(my_digits.path) as store:
                if len(store) >= args.saves:
                    break
            app.processEvents()
        print(_common.summary("save (GUI thread)", seconds))

        big = Path(folder) / "big.sqlite3"
        fill_store(big, args.store_size)
        started = time.perf_counter()
        with DigitStore(big) as store:
            digits = store.digits()
        print(f"open {len(digits):,} digits (store + read): "
              f"{(time.perf_counter() - started) * 1000:.0f} ms")
        from digitpad.gui.evaluations import my_digits_set
        started = time.perf_counter()
        labelled = my_digits_set(big)(window.hub.data)  # as the Errors tab's worker reads it
        print(f"open {len(labelled.labels):,} digits as the My digits view does (store, "
              f"read, model inputs): {(time.perf_counter() - started) * 1000:.0f} ms")
        window.close()


if __name__ == "__main__":
    main()
