"""core.drawing renders strokes exactly as the drawing pad does for the model."""

import json

import numpy as np
import pytest

from digitpad.core.drawing import render_ink, strokes_to_model_input
from digitpad.core.inference import Predictor
from digitpad.core.preprocess import to_model_input
from digitpad.core.registry import default_model_path
from digitpad.gui import replay
from digitpad.gui.widgets.draw_pad import DrawPad

DRAWINGS = {  # screen coordinates, y down, in units of every size
    "seven": [[[100, 100], [400, 100], [220, 520]]],
    "four": [[[30, 0], [0, 40], [45, 40]], [[35, 15], [35, 70]]],
    "zero": [[[0.5 + 0.3 * np.cos(t), 0.5 + 0.4 * np.sin(t)] for t in np.linspace(0, 6.3, 40)]],
    "tap": [[[50, 50]]],
    "wide dash": [[[0, 0], [900, 4]]],
}


@pytest.fixture
def pad(qtbot):
    pad = DrawPad()
    qtbot.addWidget(pad)
    pad.resize(420, 420)
    return pad


def pad_model_input(pad, strokes):
    pad.clear()
    replay.replay(pad, strokes)
    return to_model_input(pad.render_ink())


@pytest.mark.parametrize("name", DRAWINGS)
def test_numpy_rendering_matches_the_pads(pad, name):
    strokes = DRAWINGS[name]
    from_pad = pad_model_input(pad, strokes)
    # The same strokes, both as the pad recorded them and in their own unit.
    for drawn in (pad.strokes(), strokes):
        rendered = strokes_to_model_input(drawn)
        assert rendered.shape == (28, 28) and rendered.dtype == np.float32
        assert np.abs(rendered - from_pad).max() < 0.15
        assert np.abs(rendered - from_pad).mean() < 0.01
    ink = render_ink(pad.strokes())
    assert ink.shape == pad.render_ink().shape
    assert abs(ink.sum() - pad.render_ink().sum()) < 0.03 * pad.render_ink().sum()


def test_real_drawings_read_the_same_from_the_pad_and_from_numpy(pad, drawn_folder):
    digits = json.loads((drawn_folder / "touch_strokes.json").read_text())[::8]
    predictor = Predictor.load(default_model_path())
    from_pad = np.stack([pad_model_input(pad, d["strokes"]) for d in digits])
    from_numpy = np.stack([strokes_to_model_input(d["strokes"]) for d in digits])
    assert np.abs(from_pad - from_numpy).mean() < 0.002
    agree = (predictor.predict(from_pad).argmax(1) == predictor.predict(from_numpy).argmax(1))
    assert agree.mean() == 1.0
