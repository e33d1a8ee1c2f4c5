"""Writing each format with Keras 3's own exporter (``model.export``).

Every format gets the same interface model: ``(n, 28, 28, 1)`` float32 images in, softmax
probabilities out, whatever the digitpad model's own input shape (a Reshape in front) and
whether it ends in logits (a Softmax behind). The export process imports TensorFlow; this
module is imported only there.
"""

from __future__ import annotations

import contextlib
import io
import warnings
from pathlib import Path

from digitpad.core.weight_shapes import IDENTITY_AT_INFERENCE
from digitpad.export.card import INPUT_NAME, INPUT_SHAPE, OUTPUT_NAME, metadata_props
from digitpad.export.target import ExportError


def interface_model(model):
    """``model`` behind the exported interface: (n, 28, 28, 1) in, probabilities out."""
    import keras

    image = keras.Input(INPUT_SHAPE[1:], name=INPUT_NAME)
    own_shape = tuple(model.inputs[0].shape[1:])
    x = image if own_shape == INPUT_SHAPE[1:] else keras.layers.Reshape(own_shape)(image)
    y = model(x)
    if not ends_in_softmax(model):
        y = keras.layers.Softmax()(y)
    wrapped = keras.Model(image, y, name=OUTPUT_NAME)
    wrapped(keras.ops.zeros((1,) + INPUT_SHAPE[1:]))  # Keras exports only called models
    return wrapped


def ends_in_softmax(model) -> bool:
    """Whether the Keras model's last computing layer is a softmax (else it outputs logits)."""
    for layer in reversed(model.layers):
        kind = type(layer).__name__
        if kind in IDENTITY_AT_INFERENCE or kind in ("Flatten", "Reshape", "InputLayer"):
            continue
        if kind == "Softmax":
            return True
        activation = getattr(layer, "activation", None)
        return getattr(activation, "__name__", None) == "softmax"
    return False


def write_onnx_keras(model, path: Path, opset: int) -> None:
    """ONNX through Keras's exporter (tf2onnx underneath), then digitpad's names."""
    import onnx

    with warnings.catch_warnings(), _quiet():
        # Keras patches tf2onnx for NumPy 2 and NumPy warns about what the patch looks up.
        warnings.simplefilter("ignore", FutureWarning)
        warnings.simplefilter("ignore", DeprecationWarning)
        model.export(str(path), format="onnx", verbose=False, opset_version=opset)
    graph = onnx.load(str(path))
    _rename_output(graph.graph, OUTPUT_NAME)
    for value in (*graph.graph.input, *graph.graph.output):
        value.type.tensor_type.shape.dim[0].dim_param = "n"
    onnx.save(graph, str(path))


def set_onnx_card(path: Path, card: dict) -> None:
    """Store the card in the ONNX file's ``metadata_props``."""
    import onnx

    graph = onnx.load(str(path))
    del graph.metadata_props[:]
    for key, value in metadata_props(card).items():
        graph.metadata_props.add(key=key, value=value)
    graph.producer_name = "digitpad"
    onnx.save(graph, str(path))


def write_tflite(model, path: Path, kind: str) -> None:
    """TensorFlow Lite (LiteRT): float32, float16 weights, or int8 dynamic-range weights."""
    import tensorflow as tf

    options = {}
    if kind in ("float16", "int8"):
        options["optimizations"] = [tf.lite.Optimize.DEFAULT]
    if kind == "float16":
        options["target_spec"] = {"supported_types": [tf.float16]}
    with _quiet():
        model.export(str(path), format="litert", verbose=False, **options)


def write_saved_model(model, path: Path) -> None:
    """A TF SavedModel folder; ``tf.saved_model.load(path).serve(images)`` runs it."""
    with _quiet():
        model.export(str(path), format="tf_saved_model", verbose=False)


def _rename_output(graph, name: str) -> None:
    if len(graph.output) != 1:
        raise ExportError(f"the ONNX converter wrote {len(graph.output)} outputs, expected 1")
    old = graph.output[0].name
    for node in graph.node:
        for i, output in enumerate(node.output):
            if output == old:
                node.output[i] = name
        for i, value in enumerate(node.input):
            if value == old:
                node.input[i] = name
    graph.output[0].name = name


@contextlib.contextmanager
def _quiet():
    """Converters print progress on stdout; the export command prints its own lines."""
    with contextlib.redirect_stdout(io.StringIO()):
        yield
