"""digitpad-number: read the numbers drawn in a stroke file, without the window.

    digitpad-number FILE [--model MODEL]
    python -m digitpad.number_cli FILE

FILE is a "digitpad-digits" file (the format the user's own digits are imported from); each
drawing is read as the Draw tab reads the pad: one line a drawing with what was read, and,
for drawings with a label, whether it was read exactly.
"""

from __future__ import annotations

import argparse
import sys

PROGRAM = "digitpad-number"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog=PROGRAM, description=__doc__.split("\n\n")[0])
    parser.add_argument("file", help='a "digitpad-digits" stroke file (JSON)')
    parser.add_argument("--model", help="a .keras digit model (default: the shipped one)")
    args = parser.parse_args(argv)
    from digitpad.core.inference import Predictor
    from digitpad.core.number_file import StrokeFileError, read_numbers
    from digitpad.core.registry import ModelError, default_model_path

    try:
        predictor = Predictor.load(args.model or default_model_path())
        results = read_numbers(args.file, predictor)
    except (ModelError, StrokeFileError) as exc:
        print(f"{PROGRAM}: {exc}", file=sys.stderr)
        return 2
    exact = labelled = 0
    for n, (drawing, reading) in enumerate(results, 1):
        answer = reading.text() or reading.describe() or "nothing drawn"
        verdict = ""
        if drawing.label:
            labelled += 1
            exact += reading.number() == drawing.label
            verdict = "  (ok)" if reading.number() == drawing.label else \
                f"  (expected {drawing.label})"
        print(f"{n}: {answer}{verdict}")
    if labelled:
        print(f"{exact} of {labelled} labelled drawings read exactly")
    return 0


if __name__ == "__main__":
    sys.exit(main())
