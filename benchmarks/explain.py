"""Saliency maps of the shipped model: the deletion test and the time of one map.

Deletion test: for each of the first 300 MNIST test images, wipe (set to 0) the 10% of its
ink pixels (value > 0) that the map ranks highest for the model's answer, and, separately,
10% of its ink pixels at random; the ratio of the mean drops of the answer's probability
says how much better than chance the map finds the pixels the answer rests on. Ink
intensity as a "map" is printed as the baseline.

    python benchmarks/explain.py [--images 300]
"""

import argparse
import time

import _common
import numpy as np

from digitpad.core.explain import contrast, saliency
from digitpad.core.inference import Predictor
from digitpad.core.registry import default_model_path

WIPED_SHARE = 0.10


def deletion_ratio(predictor, images, make_map, seed=0):
    """(ratio of mean drops, map first / random, mean drop by the map, mean drop at random)."""
    rng = np.random.default_rng(seed)
    by_map, at_random = [], []
    for image in images:
        probabilities = predictor.predict_one(image)
        answer = int(probabilities.argmax())
        ys, xs = np.nonzero(image > 0)
        count = max(1, int(round(WIPED_SHARE * len(ys))))
        ranked = np.argsort(-make_map(image, answer)[ys, xs], kind="stable")[:count]
        chosen = rng.choice(len(ys), count, replace=False)
        for picked, drops in ((ranked, by_map), (chosen, at_random)):
            wiped = image.copy()
            wiped[ys[picked], xs[picked]] = 0
            drops.append(probabilities[answer] - predictor.predict_one(wiped)[answer])
    return np.mean(by_map) / np.mean(at_random), np.mean(by_map), np.mean(at_random)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=300)
    args = parser.parse_args()
    predictor = Predictor.load(default_model_path())
    test = _common.load_real_mnist().test
    images = test.images[:args.images].astype(np.float32) / 255

    for name, make_map in (("saliency (gradient x input)",
                            lambda image, digit: saliency(predictor, image, digit)),
                           ("ink intensity (baseline)", lambda image, digit: image)):
        ratio, drop, random_drop = deletion_ratio(predictor, images, make_map)
        print(f"deletion test, {name:<28} {ratio:5.2f}x  (drop {drop:.4f} by the map, "
              f"{random_drop:.4f} at random; {len(images)} images)")

    saliency(predictor, images[0], 0)  # builds the backward network once, as the app does
    for name, call in (("saliency, one image", lambda image: saliency(predictor, image, 3)),
                       ("contrast, one image", lambda image: contrast(predictor, image, 4, 9))):
        times = []
        for image in images:
            start = time.perf_counter()
            call(image)
            times.append(time.perf_counter() - start)
        print(_common.summary(name, times))


if __name__ == "__main__":
    main()
