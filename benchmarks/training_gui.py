"""Training from the window: the longest GUI stall, and throughput vs a plain ``model.fit``.

Opens the Train tab as a user would (which starts the training process: spawn, TensorFlow's
import, MNIST read ahead), then trains ``quick`` for one epoch on 8000 images, while a 5 ms
timer measures the event loop's gaps in each phase (first, for comparison, a window with
nothing to do: on a loaded machine the scheduler alone causes stalls). Then the same model
is fitted with a plain ``model.fit`` in a process of its own, and the epoch times compared.
``--burners N`` keeps N CPU-bound processes running beside the app throughout, as a busy
machine would.

    python benchmarks/training_gui.py [--burners 2] [--epochs 1] [--train-size 8000]
"""

import argparse
import json
import subprocess
import sys
import time

import _common
import numpy as np

BURNER = "while True: pass"


def plain_fit_epoch_seconds(config_json: str) -> list[float]:
    """Fit ``config`` with nothing but Keras (in this process) and time each epoch."""
    from digitpad.core.quiet_keras import import_keras_quietly
    keras = import_keras_quietly()
    from digitpad.core.architectures import build_model
    from digitpad.core.config import TrainConfig
    from digitpad.core.training import make_optimizer, split_train_validation

    config = TrainConfig(**json.loads(config_json))
    (x_train, y_train), (x_val, y_val) = split_train_validation(_common.load_real_mnist(), config)
    model = build_model(config)
    model.compile(optimizer=make_optimizer(config, int(np.ceil(len(x_train) / config.batch_size))),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    marks = []

    class Timer(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            marks.append(time.perf_counter())

        def on_epoch_end(self, epoch, logs=None):
            marks[-1] = time.perf_counter() - marks[-1]

    model.fit(x_train, y_train, batch_size=config.batch_size, epochs=config.epochs,
              validation_data=(x_val, y_val), callbacks=[Timer()], verbose=0)
    return marks


def report_gaps(phase: str, gaps: list[float], seconds: float) -> None:
    longest = int(np.argmax(gaps))
    print(f"{phase} ({seconds:.1f} s): event-loop ticks {len(gaps)}, longest stall "
          f"{gaps[longest] * 1000:.1f} ms at +{sum(gaps[:longest]):.2f} s, p99 gap "
          f"{np.percentile(gaps, 99) * 1000:.1f} ms (timer interval 5 ms)")


def measure_app(args) -> tuple[list[float], dict]:
    from PySide6.QtCore import QEventLoop, QTimer

    app, window = _common.open_main_window("digitpad-bench-train")
    tab = window.train_tab
    window.hub.data.set_folder(_common.real_data_folder(_common.MNIST_DATA))
    gaps, last = [], [time.perf_counter()]

    def tick():
        now = time.perf_counter()
        gaps.append(now - last[0])
        last[0] = now

    timer = QTimer()
    timer.timeout.connect(tick)
    timer.start(5)
    loop = QEventLoop()  # a real event loop: a processEvents() spin would steal a core
    # Phase 0: nothing but the window, for what the machine's load alone costs the GUI.
    QTimer.singleShot(args.baseline * 1000, loop.quit)
    started = time.perf_counter()
    last[0] = started
    loop.exec()
    report_gaps("window idle, no training (the machine's own stalls)", gaps,
                time.perf_counter() - started)
    gaps.clear()
    # Phase 1: the tab opens and the training process starts in the background.
    window.hub.training.ready.connect(loop.quit)
    started = time.perf_counter()
    last[0] = started
    window.tabs.setCurrentWidget(tab)
    loop.exec()
    report_gaps("Train tab opened, training process starting TensorFlow", gaps,
                time.perf_counter() - started)
    # Phase 2: a run.
    gaps.clear()
    done = []
    tab.run_finished.connect(lambda run: (done.append(run), loop.quit()))
    started = time.perf_counter()
    last[0] = started
    assert tab.start_training(arch="quick", epochs=args.epochs, train_size=args.train_size)
    loop.exec()
    run_seconds = time.perf_counter() - started
    images = f"{args.train_size} images" if args.train_size else "all training images"
    report_gaps(f"training quick, {args.epochs} epoch(s) on {images}", gaps,
                run_seconds)
    timer.stop()
    run = done[0]
    test = run.test_accuracy
    print(f"run: {run.status}, Train pressed -> model decided {run_seconds:.1f} s, training "
          f"{run.card.get('training_seconds')} s, test accuracy "
          f"{'unknown' if test is None else f'{test:.2%}'}")
    window.close()
    return [e.seconds for e in run.epochs], run.config.to_dict()


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--train-size", type=int, default=8000,
                        help="training images (0: all; with --epochs 3, quick's README promise)")
    parser.add_argument("--baseline", type=int, default=10,
                        help="seconds of the idle window measured first")
    parser.add_argument("--burners", type=int, default=0,
                        help="CPU-bound processes to run beside the app")
    parser.add_argument("--plain-fit", metavar="CONFIG_JSON", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.plain_fit:
        print(json.dumps(plain_fit_epoch_seconds(args.plain_fit)))
        return
    burners = [subprocess.Popen([sys.executable, "-c", BURNER]) for _ in range(args.burners)]
    try:
        print(f"{args.burners} CPU burner(s) running beside the app")
        app_epochs, config = measure_app(args)
        plain = json.loads(subprocess.run(
            [sys.executable, __file__, "--plain-fit", json.dumps(config)],
            capture_output=True, text=True, check=True).stdout.splitlines()[-1])
    finally:
        for burner in burners:
            burner.kill()
            burner.wait()
    print(f"epoch seconds in the app: {[round(s, 1) for s in app_epochs]}; "
          f"plain model.fit in its own process: {[round(s, 1) for s in plain]}")
    print(f"throughput ratio app/plain (fastest epochs): {min(plain) / min(app_epochs):.2f}")


if __name__ == "__main__":
    main()
