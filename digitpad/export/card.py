"""The card that goes along with an exported model: what to feed it and how to read it.

The same dict is written as ONNX ``metadata_props`` (one entry per key, values as JSON
text) and as ``NAME.json`` beside TFLite and SavedModel exports. It describes the exported
graph, which always takes ``(n, 28, 28, 1)`` float32 images and outputs probabilities,
whatever the Keras model's own input shape was.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone

from digitpad import __version__
from digitpad.core.verdict import Thresholds

INPUT_NAME = "image"
OUTPUT_NAME = "probabilities"
INPUT_SHAPE = (None, 28, 28, 1)
DIGITS = [str(digit) for digit in range(10)]
NOT_A_DIGIT = "not a digit"
PREPROCESSING = (
    "as digitpad's digitpad.core.preprocess.to_model_input does, like MNIST: ink 1.0 on "
    "background 0.0 (brightest pixel 1.0), the drawing cropped to its ink, scaled so its "
    "longer side is 20 px (aspect kept, anti-aliased) and placed in the 28x28 field with its "
    "centre of mass at (14.5, 14.5); MNIST's own images divided by 255 are already so")


def exported_card(source_card: dict, name: str, fmt: str, classes: int, *,
                  quantization: str | None = None, verified: dict | None = None,
                  measured_accuracy: dict | None = None) -> dict:
    """The card of one export.

    Parameters
    ----------
    source_card : dict
        The digitpad card of the ``.keras`` model (may be empty).
    name, fmt : str
        The model's name and the export's format.
    classes : int
        10, or 11 when the model's last output is "not a digit".
    quantization : str, optional
        TFLite only: "float32", "float16" or "int8 dynamic range".
    verified : dict, optional
        How the export was checked against Keras (runtime, images, differences).
    measured_accuracy : dict, optional
        MNIST test accuracy measured on the export (quantised TFLite), with Keras's.
    """
    thresholds = Thresholds.from_card(source_card)
    columns = DIGITS + ([NOT_A_DIGIT] if classes == 11 else [])
    card = {
        "name": name,
        "format": fmt,
        "exported_by": f"digitpad {__version__}",
        "exported": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "input": {"name": INPUT_NAME, "shape": list(INPUT_SHAPE), "dtype": "float32",
                  "range": [0.0, 1.0], "preprocessing": PREPROCESSING},
        "outputs": {"name": OUTPUT_NAME, "shape": [None, classes], "dtype": "float32",
                    "columns": columns, "meaning": _meaning(classes)},
        "thresholds": thresholds.to_card(),
        "verdict": _verdict_rule(classes),
        "test_accuracy": source_card.get("test_accuracy"),
        "test_errors": source_card.get("test_errors"),
        "architecture": source_card.get("architecture"),
        "parameters": source_card.get("parameters"),
        "data_sha256": source_card.get("data_sha256"),
    }
    if quantization is not None:
        card["quantization"] = quantization
    if measured_accuracy is not None:
        card["measured_test_accuracy"] = measured_accuracy
    if verified is not None:
        card["verified"] = verified
    return {key: value for key, value in card.items() if value is not None}


def metadata_props(card: dict) -> dict[str, str]:
    """``card`` as ONNX metadata: every value as text (JSON where it is not a string)."""
    return {key: value if isinstance(value, str) else json.dumps(value)
            for key, value in card.items()}


def _meaning(classes: int) -> str:
    if classes == 10:
        return "softmax probabilities of the digits 0-9 (each row sums to 1)"
    return ("softmax over 11 classes: the digits 0-9, then 'not a digit' (each row sums to "
            "1); digitpad shows the digits' probabilities divided by their sum")


def _verdict_rule(classes: int) -> str:
    not_a_digit = ("'not a digit' when the last column reaches thresholds.not_a_digit; "
                   if classes == 11 else "")
    return (f"{not_a_digit}'not sure' when the best digit's probability (among the digits, "
            f"renormalised) is below thresholds.sure; else that digit. digitpad also answers "
            f"'draw larger' when a drawing's longer side is below thresholds.min_ink of the "
            f"pad")
