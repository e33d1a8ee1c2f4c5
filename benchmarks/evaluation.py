"""Full test-set evaluation time with the shipped model (TensorFlow loaded, as once the Train
tab has opened; and the NumPy path used before that), and gallery paint time for a weak one.

    python benchmarks/evaluation.py
"""

import sys
import threading
import time

import _common
import numpy as np
from PySide6.QtWidgets import QApplication

from digitpad.core.architectures import preset_config
from digitpad.core.quiet_keras import import_keras_quietly
from digitpad.core.evaluation import evaluate
from digitpad.core.inference import Predictor
from digitpad.core.registry import default_model_path
from digitpad.gui.widgets.image_gallery import ImageGallery


def main():
    app = QApplication([])
    mnist = _common.load_real_mnist()
    predictor = Predictor.load(default_model_path())  # as the app's Errors tab does

    def timed_evaluations(count):
        times = []
        for _ in range(count):
            start = time.perf_counter()
            evaluation = evaluate(predictor, mnist.test.images, mnist.test.labels)
            times.append(time.perf_counter() - start)
        return times, evaluation

    # Before TensorFlow is loaded (the app at start-up), the NumPy forward pass does the work.
    assert "keras" not in sys.modules
    times, evaluation = timed_evaluations(3)
    print(f"shipped model on 10,000 test images, NumPy path (TensorFlow not loaded): "
          f"median {np.median(times):.2f} s, best {min(times):.2f} s "
          f"(accuracy {evaluation.accuracy:.4f})")
    import_keras_quietly()
    times, evaluation = timed_evaluations(6)
    print(f"the same once TensorFlow is loaded (Keras graph): first {times[0]:.2f} s (builds "
          f"the graph), then median {np.median(times[1:]):.2f} s, best {min(times[1:]):.2f} s "
          f"(accuracy {evaluation.accuracy:.4f})")

    from digitpad.core.training import train  # imports Keras: only after the NumPy timing

    weak = train(preset_config("linear", epochs=1), mnist, stop=threading.Event())
    weak_eval = evaluate(Predictor(weak.model), mnist.test.images, mnist.test.labels)
    gallery = ImageGallery()
    gallery.resize(900, 700)
    gallery.show()
    gallery.gallery_model.set_source(mnist.test.images, weak_eval)
    gallery.gallery_model.set_indices(weak_eval.select())
    app.processEvents()
    scrollbar = gallery.verticalScrollBar()
    paints = []
    for value in np.linspace(0, scrollbar.maximum(), 120).astype(int):
        scrollbar.setValue(int(value))
        start = time.perf_counter()
        gallery.viewport().repaint()
        paints.append(time.perf_counter() - start)
    print(f"linear model: {weak_eval.error_count} errors in the gallery")
    print(_common.summary("gallery repaint while scrolling", paints))


if __name__ == "__main__":
    main()
