"""digitpad: draw a digit, see what a network thinks, study its errors, retrain it."""

__version__ = "0.1.0"
