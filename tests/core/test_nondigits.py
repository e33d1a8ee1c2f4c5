"""Synthetic non-digits: every kind draws, as the model sees drawings, reproducibly."""

import numpy as np

from digitpad.core import nondigits
from digitpad.core.preprocess import CENTRE_OF_MASS


def test_every_kind_renders_a_model_ready_image():
    rng = np.random.default_rng(0)
    for kind, make in nondigits.SYMBOLS.items():
        strokes = nondigits._hand_jitter(make(rng), rng, flat=kind in nondigits.FLAT)
        image = nondigits.render_shape(strokes, rng)
        assert image is not None, kind
        assert image.shape == (28, 28) and image.dtype == np.float32
        assert image.max() == np.float32(1.0) and image.min() >= 0
        ys, xs = np.mgrid[0:28, 0:28] + 0.5
        assert abs((image * ys).sum() / image.sum() - CENTRE_OF_MASS) < 1.0, kind


def test_the_same_seed_gives_the_same_set_and_another_seed_another():
    first, again = nondigits.make_nondigits(40, seed=3), nondigits.make_nondigits(40, seed=3)
    other = nondigits.make_nondigits(40, seed=4)
    assert np.array_equal(first, again)
    assert not np.allclose(first, other)
    # Every image holds a drawing, and they differ from one another.
    assert (first.reshape(40, -1).max(axis=1) == 1).all()
    assert len({image.tobytes() for image in first}) == 40


def test_a_chosen_set_of_kinds_is_respected():
    rng = np.random.default_rng(1)
    kinds = {nondigits.random_shape(rng, {"x": nondigits.SYMBOLS["x"]})[0] for _ in range(10)}
    assert kinds == {"x"}
