"""Exporting a digitpad model for other runtimes: ONNX, TensorFlow Lite, TF SavedModel.

``python -m digitpad.export MODEL OUT`` (or ``digitpad-export``) writes the model in the
format OUT names, checks it with that format's own runtime against Keras, and writes the
model's card along. Importing this package costs nothing: TensorFlow and the converters
are loaded only by an export itself (:mod:`digitpad.export.exporter`), which runs in the
command's process or, for the window, in a process of its own.
"""
