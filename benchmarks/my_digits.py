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
            replay(tab.pad, [rng.random((12, 2)) * 100 + [[0, 50]], [[50, 0], [50, 100]]])
            started = time.perf_counter()
            tab.save_as(n % 10)
            seconds.append(time.perf_counter() - started)
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
        from digitpad.gui.my_digits import MyDigits
        view = MyDigits(path=big)
        got = []
        view.loaded.connect(got.append)
        started = time.perf_counter()
        view.load()
        while not got:
            app.processEvents()
        print(f"open {len(got[0]):,} digits through hub.my_digits (first use, thread start "
              f"included): {(time.perf_counter() - started) * 1000:.0f} ms")
        view.shutdown()
        window.close()


if __name__ == "__main__":
    main()
