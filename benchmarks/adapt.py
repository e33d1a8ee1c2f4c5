"""Does "Adapt to me" work? Writers taught one digit of each, read on the rest of theirs.

For every stand-in writer, the model (default: the shipped one) is adapted with
``core.adapt.adapt`` (what the app and ``train_cli.py --adapt`` run) on one drawing of each
digit, then reads the writer's other drawings. Errors count as the Draw tab would show
them: a wrong digit, "not sure" and "not a digit" are all errors. Stand-in writers:

- ``touch A->B`` and ``touch B->A``: touch_strokes.json (one real writer) split in halves,
  taught from one half and read on the other;
- ``synthetic N``: synthetic people with a consistent style of their own
  (``benchmarks/_writers.py``), drawn as strokes and read as the pad reads them.

Bars: held-out errors cut to a third or less, no writer worse, MNIST test at most 0.15 pt
lower. ``--cli`` also times the whole ``train_cli.py --adapt`` command on 10 and 100
digits, on two cores (``taskset``).

    python benchmarks/adapt.py [--model FILE] [--writers 24] [--per-digit 20] [--cli]
                               [--seeds 0 1 2]
"""

import argparse
import dataclasses
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

import _common
import numpy as np

from _writers import Writer
from digitpad.core.digits_file import FORMAT
from digitpad.core.drawing import strokes_to_model_input
from digitpad.core.registry import default_model_path, load_card
from digitpad.core.verdict import Thresholds


def touch_writers(per_digit_teach: int = 1):
    """touch_strokes.json in halves (alternate drawings of each digit), both ways round."""
    folder = _common.real_data_folder(_common.DRAWN_DATA)
    digits = json.loads((folder / "touch_strokes.json").read_text())
    halves = ([], [])
    seen = {}
    for digit in digits:
        n = seen.get(digit["label"], 0)
        seen[digit["label"]] = n + 1
        halves[n % 2].append(digit)
    for name, (teach, read) in (("touch A->B", halves), ("touch B->A", halves[::-1])):
        taught = [next(d for d in teach if d["label"] == label) for label in range(10)]
        yield (name, [d["strokes"] for d in taught], list(range(10)),
               [d["strokes"] for d in read], [d["label"] for d in read])


def synthetic_writers(count: int, per_digit: int):
    for seed in range(count):
        writer = Writer(seed)
        taught = [writer.draw(digit) for digit in range(10)]
        read, labels = writer.drawings(per_digit)
        yield f"synthetic {seed}", taught, list(range(10)), read, list(labels)


def images(drawings) -> np.ndarray:
    return np.stack([strokes_to_model_input(strokes) for strokes in drawings])


def measure(model_path, mnist, writers, settings=None) -> list[tuple]:
    from digitpad.core.adapt import AdaptSettings, adapt
    from digitpad.core.registry import load_model

    settings = settings or AdaptSettings()

    thresholds = Thresholds.from_card(load_card(model_path))
    rows = []
    for name, taught, taught_labels, read, read_labels in writers:
        x = np.concatenate([images(taught), images(read)])
        y = np.array(taught_labels + read_labels)
        held = np.arange(len(taught), len(y))
        started = time.perf_counter()
        result = adapt(load_model(model_path), x, y, mnist, thresholds=thresholds,
                       held_out=held, settings=settings)
        rows.append((name, result.held_out_before.errors, result.held_out_after.errors,
                     len(held), result.mnist_before, result.mnist_after,
                     time.perf_counter() - started))
        print(f"{name:<14} errors {rows[-1][1]:>3} -> {rows[-1][2]:>3} of {len(held)}   "
              f"MNIST {result.mnist_before:.2%} -> {result.mnist_after:.2%}   "
              f"{rows[-1][6]:.0f}s", flush=True)
    return rows


def report(rows) -> None:
    print("\n| writer | held-out errors before | after | MNIST test before | after |")
    print("| --- | --- | --- | --- | --- |")
    for name, before, after, count, mnist_before, mnist_after, _ in rows:
        print(f"| {name} | {before} of {count} | {after} | {mnist_before:.2%} | "
              f"{mnist_after:.2%} |")
    with_errors = [r for r in rows if r[1] > 0]
    cut = [r for r in with_errors if r[2] * 3 <= r[1]]
    worse = [r[0] for r in rows if r[2] > r[1]]
    drop = max((r[4] - r[5]) * 100 for r in rows)
    total_before, total_after = sum(r[1] for r in rows), sum(r[2] for r in rows)
    print(f"\nwriters with errors before: {len(with_errors)}; errors cut to a third or less: "
          f"{len(cut)} of them ({', '.join(r[0] for r in with_errors if r not in cut) or 'all'}"
          f"{' not' if len(cut) < len(with_errors) else ''})")
    print(f"all writers' errors: {total_before} -> {total_after}")
    print(f"writers worse after: {', '.join(worse) if worse else 'none'}")
    print(f"largest MNIST test drop: {drop:.2f} pt")


def time_cli(model_path, data_folder) -> None:
    """The whole ``train_cli.py --adapt`` command on 10 and 100 digits, on two cores."""
    writer = Writer(3)
    with tempfile.TemporaryDirectory() as folder:
        for count in (10, 100):
            drawings = [writer.draw(i % 10) for i in range(count)]
            document = {"format": FORMAT, "version": 1, "samples": [
                {"label": i % 10, "strokes": [s.tolist() for s in strokes]}
                for i, strokes in enumerate(drawings)]}
            mine = os.path.join(folder, f"mine{count}.json")
            with open(mine, "w") as handle:
                json.dump(document, handle)
            command = [sys.executable, str(_common.ROOT / "train_cli.py"), "--adapt", mine,
                       "--init", str(model_path), "--data", str(data_folder),
                       "--out", os.path.join(folder, "adapted.keras")]
            if shutil.which("taskset"):
                command = ["taskset", "-c", "0,1"] + command
            started = time.perf_counter()
            done = subprocess.run(command, capture_output=True, text=True)
            seconds = time.perf_counter() - started
            lines = [line for line in done.stdout.splitlines()
                     if line.startswith(("held-out", "MNIST"))]
            print(f"train_cli.py --adapt on {count} digits: {seconds:.1f} s (exit "
                  f"{done.returncode}); {' | '.join(lines)}", flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default=str(default_model_path()))
    parser.add_argument("--writers", type=int, default=24, help="synthetic writers")
    parser.add_argument("--per-digit", type=int, default=20,
                        help="drawings of each digit read per synthetic writer")
    parser.add_argument("--cli", action="store_true", help="also time train_cli.py --adapt")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0],
                        help="adaptation seeds (AdaptSettings.seed), one run each: the same "
                             "seed gives the same adapted weights")
    parser.add_argument("--setting", action="append", default=[], metavar="NAME=VALUE",
                        help="an AdaptSettings field other than the default's, to compare "
                             "(e.g. --setting steps=80)")
    args = parser.parse_args()
    from digitpad.core.quiet_keras import import_keras_quietly
    import_keras_quietly()
    if args.cli:
        time_cli(args.model, _common.real_data_folder(_common.MNIST_DATA))
    mnist = _common.load_real_mnist()
    from digitpad.core.adapt import AdaptSettings
    writers = list(touch_writers()) + list(synthetic_writers(args.writers, args.per_digit))
    fields = {f.name: f.type for f in dataclasses.fields(AdaptSettings)}
    changed = {}
    for setting in args.setting:
        name, _, value = setting.partition("=")
        if name not in fields or name == "augment":
            parser.error(f"--setting {setting}: no such AdaptSettings field")
        changed[name] = (int if fields[name] == "int" else float)(value)
    for seed in args.seeds:
        print(f"\n## seed {seed} {changed or ''}", flush=True)
        report(measure(args.model, mnist, writers, AdaptSettings(**{**changed, "seed": seed})))


if __name__ == "__main__":
    main()
