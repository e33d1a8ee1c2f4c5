"""Training inside the app: longest GUI stall, and throughput vs a plain model.fit.

Opens the Train tab as a user would (which starts TensorFlow in the background), then
trains ``quick`` on the full training set, while a 5 ms timer measures the event loop's
gaps in each phase; then runs a plain ``model.fit`` of the same model on the same data in
the same process, in a thread while the same timer ticks, and compares epoch times: the
fastest epoch of each, since on a shared machine single epochs of the same run differ by
up to 1.7x (23 s and 40 s for the same model and data).

    python benchmarks/training_gui.py [--epochs 3]
"""

import argparse
import sys
import threading
import time

import _common
import numpy as np
from PySide6.QtCore import QEventLoop, QTimer



def plain_fit_epoch_seconds(config, mnist) -> list[float]:
    # Imported here, not at the top: the Train tab must be the one that starts TensorFlow.
    import keras

    from digitpad.core.architectures import build_model
    from digitpad.core.training import make_optimizer, split_train_validation
    (x_train, y_train), (x_val, y_val) = split_train_validation(mnist, config)
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


def report_gaps(phase: str, gaps: list[float]) -> None:
    print(f"{phase}: event-loop ticks {len(gaps)}, longest stall {max(gaps) * 1000:.1f} ms, "
          f"p99 gap {np.percentile(gaps, 99) * 1000:.1f} ms (timer interval 5 ms)")


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--epochs", type=int, default=3)
    args = parser.parse_args()
    app, window = _common.open_main_window("digitpad-bench-train")
    tab = window.train_tab
    tab.arch_box.setCurrentIndex(tab.arch_box.findData("quick"))
    tab.fields["epochs"].setText(str(args.epochs))

    gaps, last = [], [time.perf_counter()]

    def tick():
        now = time.perf_counter()
        gaps.append(now - last[0])
        last[0] = now

    timer = QTimer()
    timer.timeout.connect(tick)
    timer.start(5)
    # Phase 1: the tab opens and TensorFlow starts in the background.
    loop = QEventLoop()  # a real event loop: a processEvents() spin would steal a core
    poll = QTimer()
    assert "keras" not in sys.modules
    # Done when TensorFlow is warmed up and MNIST loaded, as once the user has read the form.
    poll.timeout.connect(lambda: tab._mnist is not None and loop.quit())
    poll.start(50)
    window.tabs.setCurrentWidget(tab)
    loop.exec()
    poll.stop()
    report_gaps("Train tab opened, TensorFlow starting and warming up", gaps)
    # Phase 2: training.
    gaps.clear()
    done = []
    tab.run_finished.connect(lambda run: (done.append(run), loop.quit()))
    tab.start_training()
    loop.exec()
    report_gaps("training quick", gaps)
    app_epochs = [e.seconds for e in done[0].epochs]
    config = done[0].config
    window.close()
    # The plain fit runs in a thread too, while the main thread serves the same 5 ms timer:
    # the two runs differ only by what the app does, not by the measurement's own cost.
    mnist, plain = _common.load_real_mnist(), []
    fitting = threading.Thread(target=lambda: plain.extend(plain_fit_epoch_seconds(config, mnist)))
    fitting.start()
    poll.timeout.disconnect()
    poll.timeout.connect(lambda: not fitting.is_alive() and loop.quit())
    poll.start(50)
    loop.exec()
    timer.stop()
    print(f"epoch seconds in the app: {[round(s, 1) for s in app_epochs]}; "
          f"plain model.fit: {[round(s, 1) for s in plain]}")
    print(f"throughput ratio app/plain (fastest epochs): {min(plain) / min(app_epochs):.2f}")


if __name__ == "__main__":
    main()
