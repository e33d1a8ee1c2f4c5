"""Exports of the shipped model: time per format, agreement with Keras, ONNX Runtime's speed.

For each format, ``python -m digitpad.export models/default.keras OUT`` is run and timed as a
user runs it (goal: 60 s or less); the export is then read back with its own runtime and
compared with Keras's ``model.predict`` on the first 1000 MNIST test images (goal: largest
difference 1e-4 or less, the same answer on every image). ONNX Runtime's time for one image
is set against the NumPy Predictor's (goal: no slower), and both evaluate the 10,000 test
images as the Errors tab does (goal: 1.0 s or less).

    python benchmarks/export.py [--repeats N] [--keep DIR [--reuse]]
"""

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import _common  # environment and path set-up, the real data sets
import numpy as np

from digitpad.core.inference import Predictor
from digitpad.core.registry import default_model_path
from digitpad.export.target import resolve
from digitpad.export.verify import predict, runner

OUTS = ("default.onnx", "default.tflite", "default_saved_model")
EXPORT_SECONDS, MAX_DIFF, EVALUATION_SECONDS = 60.0, 1e-4, 1.0


def single_image(session, predictor, images, repeats, block=50):
    """Medians in seconds, measured in alternating blocks of ``block`` calls, so machine
    noise hits both alike. (Alternating every call made each side wake the other's
    thread pool: the Predictor's median rose from 0.4 to over 100 ms.)"""
    name = session.get_inputs()[0].name
    times = {"ONNX Runtime (1 image)": [], "NumPy Predictor.predict_one": []}
    calls = (lambda image: session.run(None, {name: image[None, :, :, None]}),
             predictor.predict_one)
    for start in range(0, repeats, block):
        for seconds, call in zip(times.values(), calls):
            for i in range(start, min(start + block, repeats)):
                image = images[i % len(images)]
                begin = time.perf_counter()
                call(image)
                seconds.append(time.perf_counter() - begin)
    for what, seconds in times.items():
        print(_common.summary(what, seconds))
    onnx_times, numpy_times = times.values()
    verdict = "meets" if np.median(onnx_times) <= np.median(numpy_times) else "MISSES"
    print(f"ONNX Runtime {verdict} the goal (no slower than the NumPy Predictor)")


def whole_set(session, predictor, images, rounds=3):
    """The Errors tab's evaluation: all test images, best of ``rounds`` for each; wall
    time, and the CPU time it took (less sensitive to other processes on a busy machine)."""
    name = session.get_inputs()[0].name
    runs = {"ONNX Runtime": lambda: predict(lambda x: session.run(None, {name: x})[0],
                                            images[..., None]),
            "NumPy Predictor": lambda: predictor.predict(images)}  # no Keras here: NumPy
    wall = {what: [] for what in runs}
    cpu = {what: [] for what in runs}
    for _ in range(rounds):
        for what, run in runs.items():
            start, start_cpu = time.perf_counter(), time.process_time()
            run()
            wall[what].append(time.perf_counter() - start)
            cpu[what].append(time.process_time() - start_cpu)
    for what in runs:
        print(f"{what:<16} {len(images):,} images: best {min(wall[what]):.2f} s, median "
              f"{np.median(wall[what]):.2f} s (goal {EVALUATION_SECONDS:.1f} s); CPU time "
              f"{min(cpu[what]):.2f} s")
    ratio = min(wall["NumPy Predictor"]) / min(wall["ONNX Runtime"])
    print(f"ONNX Runtime is {'faster' if ratio > 1 else 'not faster'} than the NumPy Predictor "
          f"for the whole set ({ratio:.1f}x by wall time, "
          f"{min(cpu['NumPy Predictor']) / min(cpu['ONNX Runtime']):.1f}x by CPU time)")


def export_all(folder: Path, data_folder: Path) -> dict:
    """Run the export command for every format; its wall time in seconds by OUT."""
    seconds = {}
    for out in OUTS:
        start = time.perf_counter()
        done = subprocess.run([sys.executable, "-m", "digitpad.export", str(default_model_path()),
                               str(folder / out), "--data", str(data_folder)],
                              capture_output=True, text=True, cwd=_common.ROOT)
        seconds[out] = time.perf_counter() - start
        if done.returncode:
            sys.exit(f"export to {out} failed: {done.stderr.strip()}")
        print(done.stdout.strip().splitlines()[-2])  # the "wrote ..." line
    return seconds


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=500, help="single-image timings")
    parser.add_argument("--keep", metavar="DIR", help="write the exports here and keep them")
    parser.add_argument("--reuse", action="store_true",
                        help="time nothing but the runtimes: use the exports already in --keep")
    args = parser.parse_args()
    data_folder = _common.real_data_folder(_common.MNIST_DATA)
    mnist = _common.load_real_mnist()
    images = mnist.test.images.astype(np.float32) / 255
    folder = Path(args.keep or tempfile.mkdtemp(prefix="digitpad-export-"))

    if not (args.reuse and args.keep):
        print("== export of the shipped model, each format (python -m digitpad.export)")
        seconds = export_all(folder, data_folder)
        for out, took in seconds.items():
            print(f"{out:<22} {took:6.1f} s  ({'meets' if took <= EXPORT_SECONDS else 'MISSES'}"
                  f" the {EXPORT_SECONDS:.0f} s goal)")

    import onnxruntime
    options = onnxruntime.SessionOptions()
    # ONNX Runtime's threads otherwise spin for a while after each call, taking the cores
    # from whatever runs next (here the NumPy Predictor; in an app, the GUI).
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    session = onnxruntime.InferenceSession(str(folder / OUTS[0]), options,
                                           providers=["CPUExecutionProvider"])
    predictor = Predictor.load(default_model_path())
    print(f"\n== one image, ONNX Runtime {onnxruntime.__version__} vs NumPy")
    single_image(session, predictor, images, args.repeats)
    print("\n== the 10,000 MNIST test images (the Errors tab's evaluation)")
    whole_set(session, predictor, images)

    from digitpad.core.quiet_keras import import_keras_quietly
    keras = import_keras_quietly()
    sample = images[:1000]
    expected = keras.saving.load_model(default_model_path()).predict(sample, verbose=0)
    print("\n== each format vs Keras model.predict, 1000 MNIST test images "
          f"(goal: difference <= {MAX_DIFF:g}, same answer on 100%)")
    for out in OUTS:
        path = folder / out
        run, name = runner(path, resolve(path).format)
        got = predict(run, sample[..., None])
        diff = float(np.abs(got - expected).max())
        agree = float((got.argmax(1) == expected.argmax(1)).mean())
        ok = diff <= MAX_DIFF and agree == 1.0
        print(f"{out:<22} {name:<42} max abs diff {diff:.2e}  argmax agree {agree:.1%}  "
              f"{'meets' if ok else 'MISSES'}")


if __name__ == "__main__":
    main()
