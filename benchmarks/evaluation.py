"""Full test-set evaluation time with the shipped model (TensorFlow loaded, as once the Train
tab has opened; and the NumPy path used before that), and gallery paint time for a weak one.

    python benchmarks/evaluation.py
"""

import threading
import time

import _common
import numpy as np
from PySide6.QtWidgets import QApplication

from digitpad.core.architectures import preset_config
from digitpad.core.backend import import_keras_quietly
from digitpad.core.data import load_mnist
from digitpad.core.evaluation import evaluate
from digitpad.core import inference
from digitpad.core.inference import Predictor
from digitpad.core.registry import default_model_path
from digitpad.core.training import train
from digitpad.gui.widgets.image_gallery import ImageGallery


def main():
    app = QApplication([])
    import_keras_quietly()
    mnist = load_mnist(download=False)
    predictor = Predictor.load(default_model_path())  # as the app's Errors tab does
    times = []
    for _ in range(6):
        start = time.perf_counter()
        evaluation = evaluate(predictor, mnist.test.images, mnist.test.labels)
        times.append(time.perf_counter() - start)
    print(f"shipped model on 10,000 test images: first {times[0]:.2f} s (builds the Keras "
          f"graph), then median {np.median(times[1:]):.2f} s, best {min(times[1:]):.2f} s "
          f"(accuracy {evaluation.accuracy:.4f})")
    images = mnist.test.images / np.float32(255)
    numpy_times = []
    for _ in range(3):
        start = time.perf_counter()
        inference._in_chunks(predictor._forward, images, inference.BATCH_SIZE)  # NumPy path
        numpy_times.append(time.perf_counter() - start)
    print(f"the same with the NumPy forward pass: median {np.median(numpy_times):.2f} s, "
          f"best {min(numpy_times):.2f} s")

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
