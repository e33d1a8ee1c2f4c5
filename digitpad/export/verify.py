"""Running an export with its own runtime and comparing it with the Keras model.

Each format is read back by the runtime its users will have: ONNX Runtime, the LiteRT
(TensorFlow Lite) interpreter, ``tf.saved_model.load``. The images are a fixed batch: the
first MNIST test images when MNIST is on this machine, else digitpad's synthetic
non-digits (drawn strokes, normalised like the pad's), plus a blank and a full image.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from digitpad.export.target import ONNX, SAVED_MODEL, TFLITE

VERIFY_IMAGES = 256
CHUNK = 1000  # images per runtime call: bounds the interpreters' activation memory
# Largest difference from Keras allowed, and the share of answers that must agree, per
# kind of weights: float32 exports must give Keras's numbers; quantised ones approximate.
TOLERANCE = {"float32": 1e-4, "float16": 1e-2, "int8": 0.1}
MIN_AGREEMENT = {"float32": 1.0, "float16": 0.99, "int8": 0.98}


@dataclass(frozen=True)
class Comparison:
    """How an export's outputs differ from Keras's on the same images."""

    images: int
    max_abs_diff: float
    argmax_agree: float  # share of images whose most probable class is the same
    runtime: str

    def passes(self, weights: str = "float32") -> bool:
        return (self.max_abs_diff <= TOLERANCE[weights]
                and self.argmax_agree >= MIN_AGREEMENT[weights])

    def as_card(self) -> dict:
        return {"runtime": self.runtime, "images": self.images,
                "max_abs_diff": float(f"{self.max_abs_diff:.3g}"),
                "argmax_agree": self.argmax_agree}


def verification_images(mnist_test_images: np.ndarray | None,
                        count: int = VERIFY_IMAGES) -> tuple[np.ndarray, str]:
    """(count, 28, 28, 1) float32 images on [0, 1], and where they come from."""
    if mnist_test_images is not None:
        images = mnist_test_images[:count - 2].astype(np.float32) / 255
        source = f"{len(images)} MNIST test images"
    else:
        from digitpad.core.nondigits import make_nondigits

        images = make_nondigits(count - 2, seed=0)
        source = f"{len(images)} synthetic drawings"
    edges = np.stack([np.zeros((28, 28), np.float32), np.ones((28, 28), np.float32)])
    return np.concatenate([images, edges])[..., None], source + ", a blank and a full image"


def compare(reference: np.ndarray, outputs: np.ndarray, runtime: str) -> Comparison:
    outputs = np.asarray(outputs, np.float32).reshape(reference.shape)
    return Comparison(len(reference), float(np.abs(outputs - reference).max(initial=0.0)),
                      float((outputs.argmax(1) == reference.argmax(1)).mean()), runtime)


def runner(path: Path, fmt: str):
    """A function (n, 28, 28, 1) float32 -> (n, classes) for the export at ``path``, run
    by its own runtime; and the runtime's name and version."""
    if fmt == ONNX:
        import onnxruntime

        options = onnxruntime.SessionOptions()
        options.log_severity_level = 3  # warnings about the graph are not the user's concern
        session = onnxruntime.InferenceSession(str(path), options,
                                               providers=["CPUExecutionProvider"])
        name = session.get_inputs()[0].name
        return (lambda x: session.run(None, {name: x})[0],
                f"ONNX Runtime {onnxruntime.__version__}")
    if fmt == TFLITE:
        return _tflite_runner(path)
    if fmt == SAVED_MODEL:
        import tensorflow as tf

        loaded = tf.saved_model.load(str(path))
        return (lambda x: loaded.serve(tf.constant(x)).numpy(),
                f"tf.saved_model.load (TensorFlow {tf.__version__})")
    raise ValueError(f"unknown format {fmt!r}")


def predict(run, images: np.ndarray) -> np.ndarray:
    """``run`` over ``images`` in chunks of ``CHUNK``."""
    return np.concatenate([run(np.ascontiguousarray(images[i:i + CHUNK]))
                           for i in range(0, len(images), CHUNK)])


def _tflite_runner(path: Path):
    try:
        from ai_edge_litert.interpreter import Interpreter
        import ai_edge_litert
        name = f"LiteRT {getattr(ai_edge_litert, '__version__', '')}".strip()
    except ImportError:  # older installs: TensorFlow's own copy of the interpreter
        import tensorflow as tf
        Interpreter, name = tf.lite.Interpreter, f"TensorFlow Lite {tf.__version__}"
    interpreter = Interpreter(model_path=str(path))
    entry = interpreter.get_input_details()[0]["index"]
    exit_ = interpreter.get_output_details()[0]["index"]
    shape = [None]

    def run(x: np.ndarray) -> np.ndarray:
        if shape[0] != x.shape:  # the interpreter's tensors are sized for one batch shape
            interpreter.resize_tensor_input(entry, x.shape)
            interpreter.allocate_tensors()
            shape[0] = x.shape
        interpreter.set_tensor(entry, x)
        interpreter.invoke()
        return interpreter.get_tensor(exit_).copy()
    return run, name
