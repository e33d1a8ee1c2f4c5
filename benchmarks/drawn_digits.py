"""Accuracy on real drawn digits, replayed through the pad as mouse strokes.

touch_strokes.json (finger-drawn strokes) goes through the pad exactly as a user's drawing
does; hwd1000 (28x28 PNGs drawn in a paint program) goes through ``to_model_input``.
``--pen-ratios`` sweeps the model-side stroke width used by the pad's rendering.

    python benchmarks/drawn_digits.py [--pen-ratios 0.10 0.13 0.16]
"""

import argparse
import csv
import json

import _common
import numpy as np
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QApplication

from digitpad.core import drawing
from digitpad.core.quiet_keras import import_keras_quietly
from digitpad.core.inference import Predictor
from digitpad.core.preprocess import to_model_input
from digitpad.core.registry import default_model_path, load_model
from digitpad.gui import replay
from digitpad.gui.widgets.draw_pad import DrawPad

DRAWN = _common.real_data_folder(_common.DRAWN_DATA)


def touch_accuracy(predictor, pad, digits) -> tuple[float, list]:
    wrong = []
    for n, digit in enumerate(digits):
        pad.clear()
        replay.replay(pad, digit["strokes"])
        probabilities = predictor.predict_one(to_model_input(pad.render_ink()))
        if probabilities.argmax() != digit["label"]:
            wrong.append((n, digit["label"], int(probabilities.argmax())))
    return 1 - len(wrong) / len(digits), wrong


def hwd_accuracy(predictor) -> float:
    rows = list(csv.DictReader(open(DRAWN / "hwd1000" / "dataset.csv")))
    correct = 0
    for row in rows:
        image = QImage(str(DRAWN / "hwd1000" / row["image"])).convertToFormat(QImage.Format_Grayscale8)
        pixels = np.frombuffer(image.constBits(), np.uint8).reshape(image.height(), image.bytesPerLine())
        ink = 1.0 - pixels[:, :image.width()] / 255.0  # black ink on white -> ink high
        correct += predictor.predict_one(to_model_input(ink)).argmax() == int(row["label"])
    return correct / len(rows)


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pen-ratios", type=float, nargs="*", default=[drawing.MODEL_PEN_RATIO])
    args = parser.parse_args()
    QApplication([])
    import_keras_quietly()
    predictor = Predictor(load_model(default_model_path()))
    pad = DrawPad()
    pad.resize(420, 420)
    digits = json.loads((DRAWN / "touch_strokes.json").read_text())
    for ratio in args.pen_ratios:
        drawing.MODEL_PEN_RATIO = ratio
        accuracy, wrong = touch_accuracy(predictor, pad, digits)
        print(f"pen ratio {ratio:.3f}: touch_strokes {accuracy:.2%} ({len(wrong)} wrong of "
              f"{len(digits)}): {wrong[:12]}")
    print(f"hwd1000 (28x28 paint images): {hwd_accuracy(predictor):.2%}")


if __name__ == "__main__":
    main()
