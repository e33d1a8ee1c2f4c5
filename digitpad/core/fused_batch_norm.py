"""Batch normalisation on TensorFlow's fused kernel while a model trains.

Keras 3 computes a BatchNormalization layer's training step from generic ops (moments,
then arithmetic, and the gradients of each), which made up about 40% of a ``quick`` step
on two CPU cores. TensorFlow's fused kernel computes the same thing in far fewer passes
over the data. Inside ``with fused_batch_norm(model):`` the training-mode calls of the
model's BatchNormalization layers go through that kernel; each layer's class, config and
weights stay Keras's own, so saved files, inference and every other caller are unchanged.
"""

from __future__ import annotations

import contextlib


@contextlib.contextmanager
def fused_batch_norm(model):
    """Run ``model``'s BatchNormalization layers on the fused kernel while training, for
    the duration of the block; does nothing where Keras runs on another backend."""
    import keras

    layers = []
    if keras.backend.backend() == "tensorflow":
        layers = [layer for layer in _sublayers(model)
                  if type(layer) is keras.layers.BatchNormalization and _fusable(layer)]
    for layer in layers:
        # An instance attribute shadows the class's ``call`` for this layer only; Keras's
        # Layer.__call__ looks the method up on the instance each time.
        layer.call = _fused_call(layer, layer.call)
    try:
        yield
    finally:
        for layer in layers:
            del layer.call


def _sublayers(model):
    for layer in getattr(model, "layers", ()):
        yield layer
        yield from _sublayers(layer)


def _fusable(layer) -> bool:
    """Whether the fused kernel computes exactly what Keras would for this layer."""
    return (layer.center and layer.scale and not layer.renorm and not layer.synchronized
            and layer.axis in (-1, 3))


def _fused_call(layer, keras_call):
    import tensorflow as tf

    def call(inputs, training=None, mask=None):
        if (not (training and layer.trainable) or mask is not None
                or len(inputs.shape) != 4 or inputs.dtype != tf.float32):
            return keras_call(inputs, training=training, mask=mask)
        outputs, mean, variance = tf.compat.v1.nn.fused_batch_norm(
            inputs, layer.gamma, layer.beta, epsilon=layer.epsilon, data_format="NHWC",
            is_training=True)
        # The kernel returns the batch variance with Bessel's correction; Keras's moving
        # variance averages the uncorrected one, as the normalisation itself uses.
        count = tf.cast(tf.reduce_prod(tf.shape(inputs)[:3]), variance.dtype)
        variance = variance * (count - 1) / count
        momentum = layer.momentum
        layer.moving_mean.assign(layer.moving_mean * momentum + mean * (1 - momentum))
        layer.moving_variance.assign(layer.moving_variance * momentum
                                     + variance * (1 - momentum))
        return outputs

    return call
