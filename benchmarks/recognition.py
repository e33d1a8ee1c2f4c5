"""Can the Draw tab's answer be trusted? Digits read, digits flagged, non-digits rejected.

Prints the recognition table for a model (default: the shipped one):

- MNIST test accuracy, and the share of its digits the verdict rejects as "not a digit";
- real drawn digits: touch_strokes.json replayed through the pad as mouse strokes, and the
  hwd1000 paint images through ``to_model_input``: read correctly, flagged ("not a digit"
  or "not sure");
- a non-digit dev set: hand-drawn-style letters, symbols and shapes made with a seed that
  training never uses, replayed through the pad like the touch strokes, plus a few kinds
  training never saw at all; the share rejected ("not a digit" or "draw larger").

``--calibrate`` first sets the model's verdict thresholds from the drawn digits (never
from MNIST) and stores them in its card, re-saving the model (TensorFlow needed).

    python benchmarks/recognition.py [--model FILE] [--calibrate]
"""

import argparse
import csv
import json

import _common
import numpy as np
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QApplication

from digitpad.core import nondigits
from digitpad.core.inference import Predictor
from digitpad.core.preprocess import to_model_batch, to_model_input
from digitpad.core.registry import default_model_path
from digitpad.core.verdict import DIGIT, NOT_A_DIGIT, TOO_SMALL, Thresholds, decide
from digitpad.gui import replay
from digitpad.gui.widgets.draw_pad import DrawPad

DRAWN = _common.real_data_folder(_common.DRAWN_DATA)
DEV_SEED = 20261202  # never used by training (training uses its config's seed + 2)
DEV_COUNT = 1000
# Shares of the real drawn digits the calibration lets each threshold flag.
NOT_A_DIGIT_BUDGET = 0.003
UNSURE_BUDGET = 0.004


def _unseen_kinds() -> dict:
    """Non-digits of kinds that training never draws, to see how far rejection carries."""
    line = nondigits._line
    return {
        "<": lambda rng: [line((1, 0), (0, 0.5), (1, 1))],
        ">": lambda rng: [line((0, 0), (1, 0.5), (0, 1))],
        "pi": lambda rng: [line((0, 0.1), (1, 0.1)), line((0.3, 0.1), (0.25, 1)),
                           line((0.7, 0.1), (0.75, 1))],
        "divide": lambda rng: [line((0, 0.5), (1, 0.5)), nondigits._dot(0.5, 0.1),
                               nondigits._dot(0.5, 0.9)],
        "not-equal": lambda rng: [line((0, 0.35), (1, 0.35)), line((0, 0.65), (1, 0.65)),
                                  line((0.65, 0), (0.35, 1))],
    }


def pad_readings(predictor, pad, drawings) -> list[tuple[np.ndarray, float, float]]:
    """Each drawing (strokes in any coordinates) drawn on the pad as mouse strokes:
    (digit probabilities, not-a-digit score, ink share of the pad)."""
    readings = []
    for strokes in drawings:
        pad.clear()
        replay.replay(pad, strokes)
        probabilities, not_a_digit = predictor.predict_with_not_a_digit(
            to_model_input(pad.render_ink())[None])
        readings.append((probabilities[0], float(not_a_digit[0]), pad.ink_extent()))
    return readings


def hwd_readings(predictor) -> tuple[list, list[int]]:
    rows = list(csv.DictReader(open(DRAWN / "hwd1000" / "dataset.csv")))
    images = []
    for row in rows:
        image = QImage(str(DRAWN / "hwd1000" / row["image"])).convertToFormat(QImage.Format_Grayscale8)
        pixels = np.frombuffer(image.constBits(), np.uint8).reshape(image.height(), image.bytesPerLine())
        images.append(to_model_input(1.0 - pixels[:, :image.width()] / 255.0))  # ink high
    probabilities, not_a_digit = predictor.predict_with_not_a_digit(np.stack(images))
    return [(p, float(s), None) for p, s in zip(probabilities, not_a_digit)], [int(r["label"]) for r in rows]


def dev_nondigits(seed: int, count: int, symbols=nondigits.SYMBOLS) -> list:
    rng = np.random.default_rng(seed)
    return [nondigits.random_shape(rng, symbols)[1] for _ in range(count)]


def calibrate(readings) -> Thresholds:
    """Thresholds that flag at most the budgeted shares of real drawn digits."""
    scores = np.array([s for _, s, _ in readings])
    confidence = np.array([p.max() for p, _, _ in readings])
    not_a_digit = float(np.clip(np.quantile(scores, 1 - NOT_A_DIGIT_BUDGET), 0.3, 0.95))
    sure = float(np.clip(np.quantile(confidence[scores < not_a_digit], UNSURE_BUDGET), 0.3, 0.6))
    return Thresholds(not_a_digit=round(not_a_digit, 3), sure=round(sure, 3))


def summarise(readings, labels, thresholds) -> tuple[float, float]:
    """(share read correctly, share flagged) of labelled digit readings."""
    verdicts = [decide(p, s, thresholds, ink) for p, s, ink in readings]
    correct = np.mean([v.kind == DIGIT and v.digit == y for v, y in zip(verdicts, labels)])
    flagged = np.mean([v.kind != DIGIT for v in verdicts])
    return float(correct), float(flagged)


def rejected(readings, thresholds) -> float:
    return float(np.mean([decide(p, s, thresholds, ink).kind in (NOT_A_DIGIT, TOO_SMALL)
                          for p, s, ink in readings]))


def save_thresholds(path, thresholds: Thresholds) -> None:
    from digitpad.core.quiet_keras import import_keras_quietly
    from digitpad.core.registry import load_card, load_model, save_model

    import_keras_quietly()
    card = load_card(path)
    save_model(load_model(path), path, {**card, "thresholds": thresholds.to_card()})


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default=str(default_model_path()))
    parser.add_argument("--calibrate", action="store_true")
    args = parser.parse_args()
    QApplication([])
    predictor = Predictor.load(args.model)
    pad = DrawPad()
    pad.resize(420, 420)

    touch = json.loads((DRAWN / "touch_strokes.json").read_text())
    touch_readings = pad_readings(predictor, pad, [d["strokes"] for d in touch])
    touch_labels = [d["label"] for d in touch]
    hwd, hwd_labels = hwd_readings(predictor)
    if args.calibrate:
        thresholds = calibrate(touch_readings + hwd)
        save_thresholds(args.model, thresholds)
        predictor = Predictor.load(args.model)
        print(f"calibrated on {len(touch_readings) + len(hwd)} drawn digits: {thresholds}")
    thresholds = predictor.thresholds

    mnist = _common.load_real_mnist()
    probabilities, scores = predictor.predict_with_not_a_digit(to_model_batch(mnist.test.images))
    mnist_accuracy = float(np.mean(probabilities.argmax(axis=1) == mnist.test.labels))
    mnist_rejected = float(np.mean(scores >= thresholds.not_a_digit))

    touch_read, touch_flagged = summarise(touch_readings, touch_labels, thresholds)
    hwd_read, hwd_flagged = summarise(hwd, hwd_labels, thresholds)
    both_flagged = ((touch_flagged * len(touch) + hwd_flagged * len(hwd)) / (len(touch) + len(hwd)))
    dev = rejected(pad_readings(predictor, pad, dev_nondigits(DEV_SEED, DEV_COUNT)), thresholds)
    unseen = _unseen_kinds()
    unseen_rejected = rejected(pad_readings(
        predictor, pad, dev_nondigits(DEV_SEED + 1, 200, unseen)), thresholds)

    print(f"\nmodel {args.model}; thresholds {thresholds}\n")
    print("| measure | result | goal |")
    print("| --- | --- | --- |")
    print(f"| MNIST test accuracy | {mnist_accuracy:.2%} | >= 99.70% |")
    print(f"| touch_strokes through the pad, read | {touch_read:.2%} | >= 99.5% |")
    print(f"| hwd1000, read | {hwd_read:.2%} | >= 99.8% |")
    print(f"| real digits flagged (touch + hwd1000) | {both_flagged:.2%} "
          f"(touch {touch_flagged:.2%}, hwd {hwd_flagged:.2%}) | <= 1% |")
    print(f"| dev non-digits rejected ({DEV_COUNT}, through the pad) | {dev:.2%} | >= 95% |")
    print(f"| unseen kinds of non-digit rejected (200: {', '.join(unseen)}) | "
          f"{unseen_rejected:.2%} | (no goal) |")
    print(f"| MNIST test digits rejected | {mnist_rejected:.2%} | <= 0.5% |")


if __name__ == "__main__":
    main()
