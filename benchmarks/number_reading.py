"""Numbers, not just digits: how often a written number is read exactly, and how fast.

Synthetic numbers of 2-6 digits (see ``digitpad.core.synthetic_numbers``: realistic gaps, slants,
sizes, some touching or overlapping pairs, a fifth with a decimal point):

- from MNIST test digits, composed into one ink image (``read_number_image``, its cuts
  helped by the piece judge, and for comparison without it);
- from touch_strokes.json digits (one writer's strokes), read as strokes (``read_number``);
- from digits drawn as jittered strokes (``tests/digit_strokes.py``, no data needed).

A number counts as read when the answer is exactly its digits (and point). The latency is
the reader's time after each pen-up while a 6-digit number is written, groups already read
kept in a cache as the Draw tab keeps them, BLAS on one thread as in the window.

    python benchmarks/number_reading.py [--count 500] [--seed 1]
"""

import argparse
import json
import time

import _common
import numpy as np
from digitpad.core.synthetic_numbers import REAL_SLANT, image_number, random_layout, stroke_number

from digitpad.app import limit_blas_threads
from digitpad.core.inference import Predictor
from digitpad.core.number_reader import read_number, read_number_image
from digitpad.core.piece_judge import PieceJudge
from digitpad.core.registry import default_model_path
from tests import digit_strokes

GOAL = 0.97
LATENCY_GOAL_MS = 16.0


def _expected(labels, point_after) -> str:
    text = "".join(str(int(d)) for d in labels)
    return text if point_after is None else text[:point_after] + "." + text[point_after:]


def _report(name: str, results: list[tuple[str, str]]) -> float:
    right = sum(got == want for want, got in results)
    share = right / len(results)
    wrong = [(want, got) for want, got in results if got != want]
    verdict = "PASS" if share >= GOAL else "FAIL"
    print(f"{name:<40} {share:7.2%} read exactly ({len(results)} numbers)  [{verdict} "
          f">= {GOAL:.0%}]")
    print(f"    no answer: {sum(got in ('', None) for _, got in results) / len(results):.2%};"
          f" some wrong (want, got): {wrong[:8]}")
    return share


def stroke_numbers(digits, count, rng, slant_share):
    """``count`` (strokes, expected text) numbers from ``digits``: (label, strokes) pairs."""
    out = []
    for _ in range(count):
        length = int(rng.integers(2, 7))
        chosen = [digits[i] for i in rng.integers(0, len(digits), length)]
        layout = random_layout(length, rng)
        strokes = stroke_number([s for _, s in chosen], layout, rng, slant_share)
        out.append((strokes, _expected([label for label, _ in chosen], layout.point_after)))
    return out


def read_strokes(predictor, numbers):
    return [(want, read_number(strokes, predictor).text()) for strokes, want in numbers]


def read_mnist(predictor, mnist, count, rng, judge=None):
    results = []
    for _ in range(count):
        length = int(rng.integers(2, 7))
        picks = rng.integers(0, len(mnist.test.labels), length)
        layout = random_layout(length, rng)
        image = image_number([mnist.test.images[i] / 255.0 for i in picks], layout, rng=rng)
        results.append((_expected(mnist.test.labels[picks], layout.point_after),
                        read_number_image(image, predictor, judge=judge).text()))
    return results


def latency(predictor, digits, rng, numbers=40) -> tuple[list[float], list[float]]:
    """Seconds from pen-up to the answer after every stroke of 6-digit numbers: wall-clock,
    and this process's CPU time (what it costs on a core of its own, on a busy machine)."""
    times, cpu = [], []
    for _ in range(numbers):
        chosen = [digits[i] for i in rng.integers(0, len(digits), 6)]
        strokes = stroke_number([s for _, s in chosen], random_layout(6, rng, 0.0), rng,
                                REAL_SLANT)
        cache = {}
        for n in range(1, len(strokes) + 1):
            start, start_cpu = time.perf_counter(), time.process_time()
            read_number(strokes[:n], predictor, pad_side=1.6, cache=cache)
            times.append(time.perf_counter() - start)
            cpu.append(time.process_time() - start_cpu)
    return times, cpu


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=500, help="numbers per set")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    predictor = Predictor.load(default_model_path())
    rng = np.random.default_rng(args.seed)
    touch = [(d["label"], [np.asarray(s, float) for s in d["strokes"]])
             for d in json.loads((_common.real_data_folder(_common.DRAWN_DATA)
                                  / "touch_strokes.json").read_text())]
    drawn = digit_strokes.make_digits(2000, np.random.default_rng(args.seed + 1))
    singles = [(str(label), read_number(strokes, predictor).text()) for label, strokes in touch]
    print(f"model: {default_model_path().name}")
    _report("touch_strokes single digits (core)", singles)
    mnist = _common.load_real_mnist()
    state = rng.bit_generator.state  # the same numbers with and without the judge
    _report("MNIST test digits as numbers", read_mnist(predictor, mnist, args.count, rng,
                                                       PieceJudge.load()))
    rng.bit_generator.state = state
    _report("... without the piece judge", read_mnist(predictor, mnist, args.count, rng))
    _report("jittered stroke-drawn digits as numbers",
            read_strokes(predictor, stroke_numbers(drawn, args.count, rng, 1.0)))
    _report("touch_strokes digits as numbers",
            read_strokes(predictor, stroke_numbers(touch, args.count, rng, REAL_SLANT)))
    limit_blas_threads()  # the window's policy: the Draw tab reads with one BLAS thread
    times, cpu = latency(predictor, touch, rng)
    for name, seconds in (("pen-up -> answer, 6-digit number", times),
                          ("... CPU time of it", cpu)):
        p99 = np.percentile(seconds, 99) * 1000
        print(_common.summary(name, seconds)
              + f"  [{'PASS' if p99 <= LATENCY_GOAL_MS else 'FAIL'} p99 <= {LATENCY_GOAL_MS} ms]")


if __name__ == "__main__":
    main()
