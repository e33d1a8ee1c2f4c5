"""Numbers read from a stroke file (the digits import format), by the library and the CLI."""

import json

import numpy as np
import pytest

from digitpad import number_cli
from digitpad.core.inference import Predictor
from digitpad.core.number_file import StrokeFileError, read_numbers, read_stroke_file
from digitpad.core.registry import default_model_path
from tests import digit_strokes


def number_strokes(labels, seed=0):
    """Strokes of ``labels`` written side by side, as lists of [x, y] (pixels, y down)."""
    rng = np.random.default_rng(seed)
    strokes, x = [], 40.0
    for label in labels:
        drawing = digit_strokes.digit(label, rng)
        low = min(s[:, 0].min() for s in drawing)
        strokes += [[[float(x + (px - low) * 80), float(30 + py * 80)] for px, py in s]
                    for s in drawing]
        x += (max(s[:, 0].max() for s in drawing) - low + 0.35) * 80
    return strokes


def write(path, samples, **overrides):
    document = {"format": "digitpad-digits", "version": 1, "samples": samples, **overrides}
    path.write_text(json.dumps(document))
    return path


def test_each_drawing_of_a_file_is_read_as_a_number(tmp_path):
    path = write(tmp_path / "numbers.json", [
        {"label": "2024", "strokes": number_strokes([2, 0, 2, 4])},
        {"label": 7, "strokes": number_strokes([7])},
        {"strokes": number_strokes([9, 5])}])
    drawings = read_stroke_file(path)
    assert [d.label for d in drawings] == ["2024", "7", ""]
    results = read_numbers(path, Predictor.load(default_model_path()))
    assert [reading.number() for _, reading in results] == ["2024", "7", "95"]


def test_the_cli_prints_what_it_read(tmp_path, capsys):
    path = write(tmp_path / "numbers.json", [
        {"label": "2024", "strokes": number_strokes([2, 0, 2, 4])},
        {"label": "11", "strokes": number_strokes([7, 1])}])
    assert number_cli.main([str(path)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines == ["1: 2024  (ok)", "2: 71  (expected 11)",
                     "1 of 2 labelled drawings read exactly"]


@pytest.mark.parametrize("content, problem", [
    ("{", "not JSON"),
    ('{"format": "other", "version": 1, "samples": []}', "not a \"digitpad-digits\" file"),
    ('{"format": "digitpad-digits", "version": 1, "samples": {}}', '"samples" is not a list'),
    ('{"format": "digitpad-digits", "version": 1, "samples": [{"strokes": []}]}',
     "sample 1: no strokes"),
    ('{"format": "digitpad-digits", "version": 1, "samples": [{"strokes": [[[0, "a"]]]}]}',
     "sample 1, stroke 1: not a list of"),
    ('{"format": "digitpad-digits", "version": 1, "samples": [{"label": [1], '
     '"strokes": [[[0, 1]]]}]}', "the label is neither"),
])
def test_a_bad_file_is_refused_in_one_line(tmp_path, capsys, content, problem):
    path = tmp_path / "bad.json"
    path.write_text(content)
    with pytest.raises(StrokeFileError, match=problem):
        read_stroke_file(path)
    assert number_cli.main([str(path)]) == 2
    error = capsys.readouterr().err
    assert problem in error and error.count("\n") == 1 and "Traceback" not in error


def test_a_missing_file_is_refused(tmp_path, capsys):
    assert number_cli.main([str(tmp_path / "none.json")]) == 2
    assert "cannot be read" in capsys.readouterr().err
