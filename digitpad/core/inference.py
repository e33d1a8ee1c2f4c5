"""Fast prediction: a NumPy forward pass of a digit model, no TensorFlow needed.

``model.predict`` builds a data pipeline on every call (~50 ms for one image) and importing
TensorFlow takes seconds. :class:`Predictor` instead reads a model's layers and weights once,
folds batch normalisation into a linear layer before it (after an activation it stays a
step of its own), and runs the network with NumPy and BLAS: well under a millisecond per
drawing, and the app can predict before TensorFlow has even been imported. It reads either a
Keras model in memory or a ``.keras`` file directly (its JSON config and HDF5 weights;
nothing in the file is ever executed).

Whole sets (the Errors tab's 10,000 test images) are throughput-bound rather than
latency-bound. Their batches are spread over one thread per core, with BLAS kept to one
thread each while they run: copying image patches is then parallel too, not only the matrix
products (about 1.25x faster on 2 cores). Once TensorFlow is loaded (in a training
process), sets of ``GRAPH_MIN_IMAGES`` or more run the same weights through Keras's
compiled graph instead, which is a little faster still; importing TensorFlow only for that
would cost more than it saves.

Supported: chains of the layers digitpad's presets use and the common Keras ones around
them. Any other layer is refused with a :class:`~digitpad.core.registry.ModelError` that
names it.
"""

from __future__ import annotations

import copy
import io
import json
import logging
import os
import re
import sys
import threading
import zipfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Callable

import numpy as np
from numpy.lib.stride_tricks import as_strided

from digitpad.core.registry import (ZIP_READ_ERRORS, ModelError, check_finite_weights,
                                    check_model_archive, load_card)
from digitpad.core.verdict import Thresholds, Verdict, decide
from digitpad.core.weights_file import check_self_contained
from digitpad.core.weight_shapes import (IDENTITY_AT_INFERENCE, expected_weight_shapes,
                                         unsupported_layer)

IMAGE_SHAPE = (28, 28)
NUM_CLASSES = 10
OUTPUTS = (NUM_CLASSES, NUM_CLASSES + 1)  # digits, and optionally "not a digit" last
BATCH_SIZE = 32  # keeps each layer's patch matrix inside the CPU caches
PARALLEL_MIN_IMAGES = 4 * BATCH_SIZE  # from here on batches are spread over the cores
GRAPH_MIN_IMAGES = 512  # from here on Keras's compiled graph is faster than NumPy
GRAPH_BATCH_SIZE = 1000  # bounds the graph's activation memory for large sets
INPUT_TOLERANCE = 1e-3  # how far outside [0, 1] an input value may stray (rounding)

log = logging.getLogger(__name__)

Op = Callable[[np.ndarray], np.ndarray]


class Predictor:
    """Probabilities from a digit model, for one image or many.

    ``Predictor(model)`` takes a Keras model; :meth:`load` reads a ``.keras`` file without
    Keras. Thread-safe: the weights are read-only, so the GUI thread can predict drawings
    while a worker evaluates a whole test set with the same predictor.
    """

    def __init__(self, model):
        source = getattr(model, "name", "model")
        try:
            config = model.get_config()
            by_name = {layer.name: [np.asarray(w) for w in layer.get_weights()]
                       for layer in model.layers}
            weights = [by_name.get(layer["config"]["name"], []) for layer in config["layers"]]
        except (AttributeError, KeyError, TypeError, NotImplementedError):
            raise ModelError(f"{source}: not a Keras Sequential or functional model") from None
        self._init(config, weights, source=source, build_graph=lambda: model)

    @classmethod
    def load(cls, path: str | os.PathLike) -> "Predictor":
        """Read a ``.keras`` file. Raises ModelError if it is missing, corrupt or foreign."""
        path = Path(path)
        check_model_archive(path)
        try:
            # Entries are no larger than check_model_archive allowed: zipfile never inflates
            # one past its declared size.
            with zipfile.ZipFile(path) as archive:
                serialized = json.loads(archive.read("config.json"))
                config = serialized["config"]
                shapes = _expected_shapes(config)
                weights = _read_weights(archive.read("model.weights.h5"), config["layers"],
                                        shapes)
        except ModelError as exc:
            raise ModelError(f"{path}: {exc}") from None
        except (KeyError, TypeError, AttributeError, RecursionError, *ZIP_READ_ERRORS) as exc:
            raise ModelError(f"{path}: not a readable Keras model ({_first_line(exc)})") from None
        predictor = cls.__new__(cls)
        predictor._init(config, weights, source=str(path),
                        build_graph=lambda: _keras_model(serialized, weights))
        predictor.thresholds = Thresholds.from_card(load_card(path))
        return predictor

    def _init(self, config: dict, weights: list[list[np.ndarray]], source: str,
              build_graph: Callable[[], object]) -> None:
        """Build the operations from the model's config and each layer's weights."""
        self._source = source
        self._build_graph = build_graph
        self._graph_model = None
        self._graph_lock = threading.Lock()
        try:
            self._input_shape, layers = _chain(config, weights)
            check_finite_weights(((f"layer {layer['config']['name']!r}", w)
                                  for layer, layer_weights in layers for w in layer_weights))
            # Decided by the model's last layer, never by its outputs' values.
            self._outputs_probabilities = _ends_in_softmax(layers)
            self._ops = _compile_layers(layers)
            output = self._probe()
        except ModelError as exc:
            raise ModelError(f"{source}: {exc}") from None
        except (KeyError, IndexError, TypeError, ValueError) as exc:
            raise ModelError(f"{source}: the model's layers do not fit together "
                             f"({_first_line(exc)})") from None
        if output.ndim != 2 or output.shape[1] not in OUTPUTS:
            raise ModelError(f"{source}: not a digit model: it outputs {output.shape[1:]}, "
                             f"digitpad needs 10 class scores (and optionally a "
                             f"not-a-digit one)")
        self.has_not_a_digit = output.shape[1] == NUM_CLASSES + 1
        self.thresholds = Thresholds()

    def predict(self, images: np.ndarray) -> np.ndarray:
        """(n, 28, 28) float images in [0, 1] -> (n, 10) float32 digit probabilities.

        For a model with a "not a digit" class these are the digits' probabilities given
        that the image is a digit (they sum to 1); see :meth:`predict_with_not_a_digit`.
        """
        return self.predict_with_not_a_digit(images)[0]

    def predict_with_not_a_digit(self, images: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(n, 28, 28) images -> digit probabilities (n, 10) and not-a-digit scores (n,).

        The score is the model's probability that the image is no digit at all; 0 for
        models without that class.
        """
        scores = self._scores(images)
        if not self.has_not_a_digit:
            return scores, np.zeros(len(scores), np.float32)
        digits, not_a_digit = scores[:, :NUM_CLASSES], scores[:, NUM_CLASSES]
        total = np.maximum(digits.sum(axis=1, keepdims=True), 1e-12)
        return (digits / total).astype(np.float32), not_a_digit.astype(np.float32)

    def verdict(self, image: np.ndarray, ink_share: float | None = None) -> Verdict:
        """What to tell the user about one model-ready image, by :attr:`thresholds`.

        ``ink_share`` is the drawing's size as a share of the pad, when known.
        """
        return self.read(image, ink_share)[1]

    def read(self, image: np.ndarray,
             ink_share: float | None = None) -> tuple[np.ndarray, Verdict]:
        """One model-ready image's digit probabilities (10,) and its :meth:`verdict`."""
        probabilities, not_a_digit = self.predict_with_not_a_digit(
            np.asarray(image, np.float32)[None])
        return probabilities[0], decide(probabilities[0], float(not_a_digit[0]),
                                        self.thresholds, ink_share)

    def _scores(self, images: np.ndarray) -> np.ndarray:
        """The model's own outputs, (n, 10) or (n, 11) probabilities."""
        images = _checked_images(images)
        if (len(images) >= GRAPH_MIN_IMAGES and "keras" in sys.modules
                and (graph := self._graph()) is not None):
            with self._graph_lock:  # one graph call at a time: Keras builds it on first use
                outputs = _in_chunks(
                    lambda chunk: graph.predict_on_batch(self._model_shaped(chunk)),
                    images, GRAPH_BATCH_SIZE)
            return self._as_probabilities(outputs)
        if not len(images):
            return np.zeros((0, NUM_CLASSES + self.has_not_a_digit), np.float32)
        if len(images) < PARALLEL_MIN_IMAGES:
            return _in_chunks(self._forward, images, BATCH_SIZE)
        from threadpoolctl import threadpool_limits

        # The pool's threads are the parallelism: a BLAS pool under each of them would only
        # fight for the same cores. Limited for this call only, one such call at a time
        # (two overlapping limits could restore each other's values in the wrong order).
        with _batch_executor_lock, threadpool_limits(1, user_api="blas"):
            return _in_chunks(self._forward, images, BATCH_SIZE, _batch_pool().map)

    def predict_one(self, image: np.ndarray) -> np.ndarray:
        """One (28, 28) image -> (10,) probabilities."""
        image = np.asarray(image, dtype=np.float32)
        if image.shape != IMAGE_SHAPE:
            raise ValueError(f"expected an image of shape (28, 28), got {image.shape}")
        return self.predict(image[None])[0]

    def _graph(self):
        """The Keras model for large batches, built on first use; None if Keras can't run it."""
        with self._graph_lock:
            if self._build_graph is not None:
                build, self._build_graph = self._build_graph, None
                try:
                    self._graph_model = build()
                except Exception as exc:  # NumPy still runs the model: slower, same answers
                    log.warning("%s: predicting large batches with NumPy, Keras cannot run "
                                "the model (%s)", self._source, _first_line(exc))
            return self._graph_model

    def _probe(self) -> np.ndarray:
        """Outputs for a blank and a full image, refused unless they are probabilities.

        NaN or infinite weights, or finite ones large enough to overflow, would otherwise
        show as "nan%" on every drawing.
        """
        probe = np.stack([np.zeros(IMAGE_SHAPE, np.float32), np.ones(IMAGE_SHAPE, np.float32)])
        with np.errstate(all="ignore"):  # overflow is what is being looked for
            output = self._forward(probe)
        if output.ndim == 2 and not (np.isfinite(output).all()
                                     and np.allclose(output.sum(axis=1), 1, atol=1e-3)):
            raise ModelError("the model's outputs are not finite probabilities (NaN or "
                             "overflowing weights)")
        return output[:1]

    def _model_shaped(self, images: np.ndarray) -> np.ndarray:
        return images.reshape((len(images),) + self._input_shape)

    def _forward(self, batch: np.ndarray) -> np.ndarray:
        x = self._model_shaped(batch)
        for op in self._ops:
            x = op(x)
        return self._as_probabilities(x)

    def _as_probabilities(self, outputs: np.ndarray) -> np.ndarray:
        """The model's outputs as float32 probabilities: a softmax for models ending in
        logits, whichever path (NumPy or Keras's graph) computed them."""
        outputs = np.asarray(outputs, np.float32)
        return outputs if self._outputs_probabilities else _softmax(outputs)


_batch_executor: ThreadPoolExecutor | None = None
_batch_executor_lock = threading.Lock()


def _batch_pool() -> ThreadPoolExecutor:
    """One thread per core for large sets, created on first use (under the lock)."""
    global _batch_executor
    if _batch_executor is None:
        cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None
        _batch_executor = ThreadPoolExecutor(cores or os.cpu_count() or 1,
                                             thread_name_prefix="digitpad-predict")
    return _batch_executor


def _in_chunks(function: Op, images: np.ndarray, size: int, spread=map) -> np.ndarray:
    """``function`` applied to ``size`` images at a time, the results joined in order.

    ``spread`` applies it to the chunks: ``map`` here, or a thread pool's ``map``.
    """
    chunks = (images[i:i + size] for i in range(0, len(images), size))
    return np.concatenate(list(spread(function, chunks)))


def _checked_images(images: np.ndarray) -> np.ndarray:
    """``images`` as float32 (n, 28, 28), refused unless finite and within [0, 1].

    Values may stray ``INPUT_TOLERANCE`` outside the range (rounding); 0-255 images, which
    models score as confident nonsense, are refused.
    """
    images = np.asarray(images, dtype=np.float32)
    if images.ndim != 3 or images.shape[1:] != IMAGE_SHAPE:
        raise ValueError(f"expected images of shape (n, 28, 28), got {images.shape}")
    if not images.size:
        return images
    if not np.isfinite(images).all():
        raise ValueError("images contain NaN or infinite values; expected values in [0, 1]")
    low, high = float(images.min()), float(images.max())
    if low < -INPUT_TOLERANCE or high > 1 + INPUT_TOLERANCE:
        raise ValueError(f"images hold values from {low:g} to {high:g}; expected values in "
                         f"[0, 1] (0 background, 1 ink), e.g. 0-255 images divided by 255")
    return images


def _first_line(exc: Exception) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _expected_shapes(config: dict) -> list[list[tuple[int, ...]]]:
    """The variable shapes of every layer in ``config`` (none for the input layer)."""
    input_shape, chain = _chain(config, [[] for _ in config["layers"]])
    shapes = expected_weight_shapes(input_shape, [layer for layer, _ in chain])
    return [[]] * (len(config["layers"]) - len(chain)) + shapes


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


def _keras_model(serialized: dict, weights: list[list[np.ndarray]]):
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


def _chain(config: dict, weights: list[list[np.ndarray]]):
    """The model's input shape and its (layer, weights) pairs in order; only chains pass."""
    layers = list(zip(config["layers"], weights, strict=True))
    if layers and layers[0][0]["class_name"] == "InputLayer":
        layer_config = layers.pop(0)[0]["config"]
        batch_shape = layer_config.get("batch_shape") or layer_config.get("batch_input_shape")
    else:
        batch_shape = config.get("build_input_shape")
    if not batch_shape or None in batch_shape[1:]:
        raise ModelError("the model has no fixed input shape")
    input_shape = tuple(int(size) for size in batch_shape[1:])
    if int(np.prod(input_shape)) != IMAGE_SHAPE[0] * IMAGE_SHAPE[1]:
        raise ModelError(f"not a digit model: it expects input {input_shape}, "
                         f"digitpad gives 28x28 images")
    previous = None
    for layer, _ in layers:
        nodes = layer.get("inbound_nodes")
        if nodes is not None:  # functional model: each layer must take the one before it
            args = nodes[0]["args"] if len(nodes) == 1 else []
            source = (args[0].get("config", {}).get("keras_history", [None])[0]
                      if len(args) == 1 and isinstance(args[0], dict) else None)
            if previous is not None and source != previous:
                raise ModelError(f"layer {layer['config']['name']!r} does not simply follow "
                                 f"the one before it; digitpad runs chains of layers only")
        previous = layer["config"]["name"]
    return input_shape, layers


def _compile_layers(layers: list[tuple[dict, list[np.ndarray]]]) -> list[Op]:
    """NumPy operations for ``layers``, with batch normalisation folded into its producer."""
    ops: list[Op] = []
    pending = None  # (kind, kernel, bias, options) of a Dense/Conv2D that a BN may still scale
    for layer, weights in layers:
        kind, config = layer["class_name"], layer["config"]
        params = [w.astype(np.float32) for w in weights]
        if kind == "BatchNormalization" and pending is not None and _is_linear(pending[3]):
            pending = _fold_batch_norm(pending, config, params)
            continue
        if pending is not None:
            ops += _linear_ops(*pending)
            pending = None
        if kind in ("Dense", "Conv2D"):
            kernel = params[0]
            bias = params[1] if config.get("use_bias", True) else np.zeros(kernel.shape[-1],
                                                                           np.float32)
            pending = (kind, kernel, bias, config)
        else:
            ops += _other_ops(kind, config, params)
    if pending is not None:
        ops += _linear_ops(*pending)
    return ops


def _batch_norm_scale_shift(config: dict, params: list[np.ndarray]):
    if config.get("axis", -1) not in (-1, [-1]):
        raise ModelError(f"batch normalisation over axis {config.get('axis')} is not supported")
    names = (["gamma"] if config.get("scale", True) else []) + \
            (["beta"] if config.get("center", True) else []) + ["mean", "variance"]
    values = dict(zip(names, params))
    scale = 1.0 / np.sqrt(values["variance"] + config.get("epsilon", 1e-3))
    scale = scale * values.get("gamma", 1.0)
    shift = values.get("beta", 0.0) - values["mean"] * scale
    return scale.astype(np.float32), np.asarray(shift, np.float32)


def _is_linear(layer_config: dict) -> bool:
    """Whether a Dense/Conv2D layer applies no activation of its own."""
    return _own_activation(layer_config) == "linear"


def _fold_batch_norm(pending, config, params):
    """A linear Dense/Conv2D followed by BN is one affine map: scale the kernel, shift the
    bias. (After a layer's own activation, BN stays a step of its own.)"""
    kind, kernel, bias, layer_config = pending
    scale, shift = _batch_norm_scale_shift(config, params)
    return kind, kernel * scale, bias * scale + shift, layer_config


def _linear_ops(kind: str, kernel: np.ndarray, bias: np.ndarray, config: dict) -> list[Op]:
    kernel, bias = np.ascontiguousarray(kernel), np.ascontiguousarray(bias)
    if kind == "Dense":
        def dense(x):  # on the last axis, as Keras does
            return x @ kernel + bias
        op = dense
    else:
        op = _conv2d(kernel, bias, config)
    return [op] + _activation_ops(config.get("activation", "linear"))


def _conv2d(kernel: np.ndarray, bias: np.ndarray, config: dict) -> Op:
    """Convolution as one matrix product over patches (im2col), channels last."""
    if config.get("data_format", "channels_last") != "channels_last":
        raise ModelError("channels-first convolutions are not supported")
    if tuple(config.get("dilation_rate", (1, 1))) != (1, 1) or config.get("groups", 1) != 1:
        raise ModelError("dilated or grouped convolutions are not supported")
    kh, kw, channels, filters = kernel.shape
    sh, sw = config.get("strides", (1, 1))
    same = config.get("padding", "valid") == "same"
    matrix = kernel.reshape(kh * kw * channels, filters)

    def conv(x):
        if same:
            x = _pad_same(x, kh, kw, sh, sw)
        patches = _windows(x, kh, kw, sh, sw)  # (n, out_h, out_w, kh, kw, c), a view
        n, out_h, out_w = patches.shape[:3]
        y = patches.reshape(n * out_h * out_w, -1) @ matrix
        y += bias
        return y.reshape(n, out_h, out_w, filters)
    return conv


def _pad_same(x: np.ndarray, kh: int, kw: int, sh: int, sw: int, value: float = 0.0):
    """Pad like Keras's "same": the output is ceil(size / stride), extra on bottom/right."""
    _, h, w, _ = x.shape
    pad_h = max((-(-h // sh) - 1) * sh + kh - h, 0)
    pad_w = max((-(-w // sw) - 1) * sw + kw - w, 0)
    if not pad_h and not pad_w:
        return x
    # Filling a new array costs a fraction of np.pad, which dominates a single drawing's time.
    n, _, _, c = x.shape
    top, left = pad_h // 2, pad_w // 2
    padded = np.full((n, h + pad_h, w + pad_w, c), value, dtype=x.dtype)
    padded[:, top:top + h, left:left + w] = x
    return padded


def _windows(x: np.ndarray, kh: int, kw: int, sh: int, sw: int) -> np.ndarray:
    """Read-only view of every (kh, kw) window at strides (sh, sw)."""
    n, h, w, c = x.shape
    out_h, out_w = (h - kh) // sh + 1, (w - kw) // sw + 1
    if out_h < 1 or out_w < 1:
        raise ValueError(f"a {kh}x{kw} window does not fit a {h}x{w} map")
    s0, s1, s2, s3 = x.strides
    return as_strided(x, (n, out_h, out_w, kh, kw, c), (s0, s1 * sh, s2 * sw, s1, s2, s3),
                      writeable=False)


def _pool(config: dict, reduce) -> Op:
    kh, kw = config.get("pool_size", (2, 2))
    strides = config.get("strides") or (kh, kw)
    sh, sw = strides
    same = config.get("padding", "valid") == "same"

    def pool(x):
        if same:
            x = _pad_same(x, kh, kw, sh, sw, value=-np.inf)
        return reduce(_windows(x, kh, kw, sh, sw), axis=(3, 4))
    return pool


def _softmax(x: np.ndarray) -> np.ndarray:
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def _leaky_relu(slope: float) -> Op:
    return lambda x: np.where(x > 0, x, x * np.float32(slope))


ACTIVATIONS: dict[str, Op] = {
    "linear": lambda x: x,
    "relu": lambda x: np.maximum(x, 0),
    "relu6": lambda x: np.clip(x, 0, 6),
    "sigmoid": lambda x: 0.5 + 0.5 * np.tanh(0.5 * x),  # = 1 / (1 + e^-x), never overflows
    "tanh": np.tanh,
    "softmax": _softmax,
    "leaky_relu": _leaky_relu(0.2),  # Keras's default slope for the named activation
    "elu": lambda x: np.where(x > 0, x, np.expm1(np.minimum(x, 0))),
    "silu": lambda x: x * (0.5 + 0.5 * np.tanh(0.5 * x)),
    "swish": lambda x: x * (0.5 + 0.5 * np.tanh(0.5 * x)),
}


def _activation_name(name) -> str:
    if isinstance(name, dict):  # serialised form of a built-in activation
        name = name.get("config", name.get("class_name"))
    return name


def _own_activation(layer_config: dict) -> str:
    """The activation a Dense, Conv2D or Activation layer applies itself."""
    return _activation_name(layer_config.get("activation", "linear"))


def _activation_ops(name) -> list[Op]:
    name = _activation_name(name)
    if name not in ACTIVATIONS:
        raise ModelError(f"activation {name!r} is not supported")
    return [] if name == "linear" else [ACTIVATIONS[name]]


def _other_ops(kind: str, config: dict, params: list[np.ndarray]) -> list[Op]:
    """Every supported layer that is not Dense, Conv2D or a folded batch normalisation."""
    if kind in IDENTITY_AT_INFERENCE:
        return []
    if kind == "Activation":
        return _activation_ops(config["activation"])
    if kind == "ReLU":
        if config.get("threshold", 0) or config.get("max_value") is not None:
            raise ModelError("ReLU with a threshold or a maximum is not supported")
        slope = config.get("negative_slope", 0.0)
        return [_leaky_relu(slope) if slope else ACTIVATIONS["relu"]]
    if kind == "LeakyReLU":
        return [_leaky_relu(config.get("negative_slope", config.get("alpha", 0.3)))]
    if kind == "Softmax":
        return [_softmax]
    if kind == "Flatten":
        return [lambda x: x.reshape(len(x), -1)]
    if kind == "Reshape":
        target = tuple(config["target_shape"])
        return [lambda x: x.reshape((len(x),) + target)]
    if kind == "Rescaling":
        scale, offset = np.float32(config.get("scale", 1.0)), np.float32(config.get("offset", 0.0))
        return [lambda x: x * scale + offset]
    if kind == "BatchNormalization":  # not after Dense/Conv2D: its own affine step
        scale, shift = _batch_norm_scale_shift(config, params)
        return [lambda x: x * scale + shift]
    if kind in ("GlobalAveragePooling2D", "GlobalMaxPooling2D"):
        reduce = np.mean if kind == "GlobalAveragePooling2D" else np.max
        keepdims = bool(config.get("keepdims", False))
        return [lambda x: reduce(x, axis=(1, 2), keepdims=keepdims)]
    if kind == "MaxPooling2D":
        return [_pool(config, np.max)]
    if kind == "AveragePooling2D" and config.get("padding", "valid") == "valid":
        return [_pool(config, np.mean)]
    raise unsupported_layer(kind, config)


def _ends_in_softmax(layers: list[tuple[dict, list[np.ndarray]]]) -> bool:
    """Whether the model's last step is a softmax; other models' outputs are scores
    (logits), which the predictor turns into probabilities itself."""
    for layer, _ in reversed(layers):
        kind, config = layer["class_name"], layer["config"]
        if kind in IDENTITY_AT_INFERENCE or kind in ("Flatten", "Reshape"):
            continue
        if kind == "Softmax":
            return True
        if kind in ("Activation", "Dense", "Conv2D"):
            return _own_activation(config) == "softmax"
        return False
    return False
