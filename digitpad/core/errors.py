"""Errors of the training code that Qt-side code catches without importing TensorFlow."""


class TrainingError(Exception):
    """Training could not run or did not converge; the message says why and what to try."""
