"""Why the model gave its answer: which pixels of a drawing support a digit.

:func:`saliency` is gradient x input on the digit's log-probability, computed by a NumPy
backward pass through the predictor's own layers (:mod:`digitpad.core.backprop`). Each
pixel's value is the first-order estimate of how much the digit's log-probability would
fall if that pixel's ink were wiped, so the map ranks pixels by what they contribute.

Measured on the shipped model and 300 MNIST test images (``benchmarks/explain.py``):
wiping the 10% of ink pixels the map ranks highest drops the answer's probability 8.5x as
much as wiping 10% at random (ink intensity as a map: 1.8x; occluding each ink pixel in
turn: 11.5x, but at 420 ms a drawing, against about 1.5 ms here). Integrated gradients
(8 or 16 steps) scored lower (7.4x, 7.9x) at 60-100x the time, so it is not used. Guided
back-propagation is avoided on purpose: its maps barely change when the weights are
randomised (Adebayo et al., Sanity Checks for Saliency Maps, 2018); this map does.
"""

from __future__ import annotations

import threading
import weakref
from dataclasses import dataclass

import numpy as np

from digitpad.core.backprop import Network
from digitpad.core.inference import IMAGE_SHAPE, NUM_CLASSES, Predictor, _checked_images

_networks: "weakref.WeakKeyDictionary[Predictor, Network]" = weakref.WeakKeyDictionary()
_networks_lock = threading.Lock()


def network(predictor: Predictor) -> Network:
    """The :class:`~digitpad.core.backprop.Network` of ``predictor``'s layers, built once.

    Raises
    ------
    digitpad.core.registry.ModelError
        The model holds a layer that cannot be run backwards.
    """
    with _networks_lock:
        found = _networks.get(predictor)
        if found is None:
            found = _networks[predictor] = Network(predictor._input_shape, predictor._layers)
        return found


@dataclass(frozen=True)
class LayerMaps:
    """What one layer of the model computed for an image: ``maps`` is (height, width,
    channels) for a convolution's feature maps, (units,) for a dense layer's values."""

    name: str
    maps: np.ndarray


@dataclass(frozen=True)
class Explanation:
    """Everything the app shows about why one image got its answer, from one pass.

    ``image`` is the model-ready image explained; ``heat`` is :func:`saliency` of ``digit``
    (or :func:`contrast` against ``rival``); ``layers`` each hidden layer's output;
    ``features`` the values the model's last layer reads (its penultimate layer).
    """

    image: np.ndarray
    heat: np.ndarray
    digit: int
    rival: int | None
    layers: tuple[LayerMaps, ...]
    features: np.ndarray


def explain(predictor: Predictor, image28: np.ndarray, digit: int,
            rival: int | None = None) -> Explanation:
    """The map, every layer's output and the penultimate features of one image at once.

    The map is :func:`contrast` of ``digit`` against ``rival`` when a rival is given, else
    :func:`saliency` of ``digit``. One forward pass serves all three.
    """
    digit = _digit(digit)
    if rival is not None and _digit(rival) == digit:
        raise ValueError(f"contrast needs two different digits, got {digit} twice")
    net = network(predictor)
    image = _model_ready(image28)
    outputs, saved = net.trace(image)
    heat = _map_from_trace(net, image, outputs, saved, digit, rival)
    ends = hidden_outputs(net)
    layers = tuple(LayerMaps(net.steps[i].name, outputs[i][0]) for i in ends)
    features = outputs[penultimate_step(net)][0] if len(net.steps) > 1 else image.ravel()
    return Explanation(image[0], heat, digit, rival, layers, features.ravel().copy())


def hidden_outputs(net: Network) -> list[int]:
    """The steps whose outputs are the hidden layers' results: each one's last step before
    the next convolution, dense layer or pooling (after its activation and any batch norm)."""
    ends = []
    for i, step in enumerate(net.steps[:-1]):
        following = net.steps[i + 1]
        if step.kind != "reshape" and following.kind in ("conv", "dense", "pool", "reshape"):
            ends.append(i)
    return ends


def penultimate_step(net: Network) -> int:
    """The step whose output the model's last layer reads."""
    last = max(i for i, step in enumerate(net.steps) if step.kind in ("dense", "conv"))
    return last - 1


def first_layer_filters(predictor: Predictor) -> np.ndarray | None:
    """The first convolution's kernels as (filters, height, width), batch norm folded in
    (what its feature maps are computed with); None when the model starts otherwise."""
    for step in network(predictor).steps:
        if step.kind == "conv":
            kernel = step.weights["kernel"]
            return np.moveaxis(kernel[:, :, 0, :], -1, 0) if kernel.shape[2] == 1 else None
        if step.kind != "reshape":
            return None
    return None


def saliency(predictor: Predictor, image28: np.ndarray, digit: int) -> np.ndarray:
    """How much each pixel of ``image28`` supports the model's score for ``digit``.

    The score is the digit's logit less the mean of the other nine digits' logits.

    Parameters
    ----------
    predictor : Predictor
        The model to explain.
    image28 : ndarray
        A model-ready (28, 28) image, values in [0, 1].
    digit : int
        The digit whose score to explain, 0-9.

    Returns
    -------
    ndarray
        (28, 28) float32: positive where a pixel's ink raises ``digit``'s score,
        negative where it argues against it, 0 where there is no ink.
    """
    return _gradient_x_input(predictor, image28, _digit(digit), None)


def contrast(predictor: Predictor, image28: np.ndarray, a: int, b: int) -> np.ndarray:
    """What makes ``image28`` read as digit ``a`` rather than ``b``, pixel by pixel.

    Gradient x input of the score difference ``logit[a] - logit[b]``: positive where the
    ink speaks for ``a`` over ``b``, negative where it speaks for ``b``. Same shapes and
    ranges as :func:`saliency`.
    """
    a, b = _digit(a), _digit(b)
    if a == b:
        raise ValueError(f"contrast needs two different digits, got {a} twice")
    return _gradient_x_input(predictor, image28, a, b)


def _gradient_x_input(predictor: Predictor, image28: np.ndarray, digit: int,
                      rival: int | None) -> np.ndarray:
    net = network(predictor)
    image = _model_ready(image28)
    outputs, saved = net.trace(image)
    return _map_from_trace(net, image, outputs, saved, digit, rival)


def _model_ready(image28: np.ndarray) -> np.ndarray:
    """``image28`` as a checked (1, 28, 28) float32 batch."""
    image = np.asarray(image28, np.float32)
    if image.shape != IMAGE_SHAPE:
        raise ValueError(f"expected an image of shape (28, 28), got {image.shape}")
    return _checked_images(image[None])


def _map_from_trace(net: Network, image: np.ndarray, outputs: list, saved: list, digit: int,
                    rival: int | None) -> np.ndarray:
    logits = outputs[-1]
    grad = np.zeros_like(logits)
    if rival is None:
        # The digit's logit against the mean of the other nine: the softmax's own view of
        # the digit, minus the shift it ignores. Unlike the log-probability it never
        # saturates (at p = 1.0 in float32 its gradient is exactly 0, and the map blank).
        grad[0, :NUM_CLASSES] = -1 / (NUM_CLASSES - 1)
        grad[0, digit] = 1
    else:
        grad[0, digit], grad[0, rival] = 1, -1
    return (net.input_gradient(saved, grad)[0] * image[0]).astype(np.float32)


def _digit(value) -> int:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)) \
            or not 0 <= value < NUM_CLASSES:
        raise ValueError(f"a digit must be a whole number from 0 to 9, got {value!r}")
    return int(value)
