"""Reading a ``.keras`` archive without Keras: its config and each layer's weights.

The archive is one already read whole (``core.model_file``): nothing here opens the file.

Nothing in the file is ever executed: the config is JSON, the weights are HDF5 datasets
whose declared shapes are checked against what the config implies before they are read.
:func:`keras_model` rebuilds the same model in Keras (safe mode) once Keras is loaded.
"""

from __future__ import annotations

import copy
import io
import json
import re

import numpy as np

from digitpad.core.errors import ModelError, first_line
from digitpad.core.model_file import ModelFile
from digitpad.core.numpy_layers import chain
from digitpad.core.weight_shapes import expected_weight_shapes
from digitpad.core.weights_file import check_self_contained


def read_archive(model_file: ModelFile) -> tuple[dict, list[list[np.ndarray]]]:
    """A ``.keras`` file's serialised model (its ``config.json``) and each layer's weights,
    from the bytes ``model_file`` holds.

    Raises
    ------
    ModelError
        The archive is corrupt, or its weights do not fit its config; the message starts
        with the path.
    """
    path = model_file.path
    try:
        # Entries are no larger than read_model_file allowed: zipfile never inflates one
        # past its declared size.
        serialized = json.loads(model_file.entry("config.json"))
        config = serialized["config"]
        shapes = _expected_shapes(config)
        weights = _read_weights(model_file.entry("model.weights.h5"), config["layers"], shapes)
    except ModelError as exc:
        raise ModelError(f"{path}: {exc}") from None
    except (KeyError, TypeError, AttributeError, RecursionError, ValueError, OSError) as exc:
        raise ModelError(f"{path}: not a readable Keras model ({first_line(exc)})") from None
    return serialized, weights


def _expected_shapes(config: dict) -> list[list[tuple[int, ...]]]:
    """The variable shapes of every layer in ``config`` (none for the input layer)."""
    input_shape, layers = chain(config, [[] for _ in config["layers"]])
    shapes = expected_weight_shapes(input_shape, [layer for layer, _ in layers])
    return [[]] * (len(config["layers"]) - len(layers)) + shapes


def _read_weights(h5_bytes: bytes, layers: list[dict],
                  shapes: list[list[tuple[int, ...]]]) -> list[list[np.ndarray]]:
    """Each layer's variables from a ``.keras`` archive's weights file, in Keras's order.

    Keras stores layers under names made from their class (``conv2d``, ``conv2d_1``, ...)
    in model order, not under the layers' own names. Each variable's declared shape must be
    the one in ``shapes`` (what the config implies) before it is read: reading allocates
    whatever the file declares.
    """
    import h5py  # Keras's own weights format; imported here, it is only needed for files

    used: dict[str, int] = {}
    weights = []
    with h5py.File(io.BytesIO(h5_bytes), "r") as h5:
        check_self_contained(h5)  # before anything is read: no bytes from other files
        for layer, expected in zip(layers, shapes, strict=True):
            name = _snake_case(layer["class_name"])
            used[name] = used.get(name, -1) + 1
            key = f"layers/{name}_{used[name]}" if used[name] else f"layers/{name}"
            variables = h5[key]["vars"] if key in h5 else {}
            datasets = [variables[k] for k in sorted(variables, key=int)]
            declared = [tuple(dataset.shape) for dataset in datasets]
            if declared != expected or any(d.dtype.kind != "f" for d in datasets):
                raise ModelError(f"layer {layer['config'].get('name')!r}: the weights file "
                                 f"holds {_shapes_text(datasets)}, the model's config needs "
                                 f"{expected or 'no weights'}")
            weights.append([np.asarray(dataset) for dataset in datasets])
    return weights


def _shapes_text(datasets) -> str:
    return ", ".join(f"{d.dtype} {tuple(d.shape)}" for d in datasets) or "no weights"


def keras_model(serialized: dict, weights: list[list[np.ndarray]]):
    """A Keras model from a ``.keras`` archive's config and the weights already read from it.

    Safe mode refuses anything that would run code from the file (lambdas, custom classes).
    """
    import keras  # only called once Keras is loaded (see Predictor.predict)

    names = [layer["config"]["name"] for layer in serialized["config"]["layers"]]
    model = keras.saving.deserialize_keras_object(copy.deepcopy(serialized), safe_mode=True)
    for name, layer_weights in zip(names, weights, strict=True):
        if layer_weights:
            model.get_layer(name).set_weights(layer_weights)
    return model


def _snake_case(class_name: str) -> str:
    """Keras's own rule for turning a class name into a saved object's name."""
    name = re.sub(r"\W+", "", class_name)
    name = re.sub("(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub("([a-z])([A-Z])", r"\1_\2", name).lower()


