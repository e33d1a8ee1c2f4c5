import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from digitpad.core.preprocess import CENTRE_OF_MASS, to_model_input


def _centre_of_mass(image):
    ys, xs = np.mgrid[0:28, 0:28] + 0.5
    total = image.sum()
    return (image * ys).sum() / total, (image * xs).sum() / total


def render_polyline(points, width, shape):
    """Ink 1.0 within ``width / 2`` of the polyline through ``points`` (like a pen stroke)."""
    ys, xs = np.mgrid[0:shape[0], 0:shape[1]] + 0.5
    distance = np.full(shape, np.inf)
    for (y0, x0), (y1, x1) in zip(points[:-1], points[1:]):
        dy, dx = y1 - y0, x1 - x0
        t = np.clip(((ys - y0) * dy + (xs - x0) * dx) / max(dy * dy + dx * dx, 1e-9), 0, 1)
        distance = np.minimum(distance, np.hypot(ys - y0 - t * dy, xs - x0 - t * dx))
    return np.clip(width / 2 + 0.5 - distance, 0, 1)


@st.composite
def drawings(draw):
    """A canvas of random size with one pen stroke through 2-6 random points, digit-like."""
    height = draw(st.integers(40, 300))
    width = draw(st.integers(40, 300))
    n_points = draw(st.integers(2, 6))
    coords = st.tuples(st.floats(0.1, 0.9), st.floats(0.1, 0.9))
    points = [(y * height, x * width) for y, x in draw(st.lists(coords, min_size=n_points,
                                                                max_size=n_points))]
    extent = max(max(p[0] for p in points) - min(p[0] for p in points),
                 max(p[1] for p in points) - min(p[1] for p in points))
    pen = max(2.0, extent * draw(st.floats(0.08, 0.15)))
    return render_polyline(points, pen, (height, width))


@settings(max_examples=60, deadline=None)
@given(drawings())
def test_output_is_28x28_in_unit_range_and_centred(canvas):
    out = to_model_input(canvas)
    assert out.shape == (28, 28) and out.dtype == np.float32
    assert out.min() >= 0.0 and out.max() == pytest.approx(1.0)
    cy, cx = _centre_of_mass(out)
    assert abs(cy - CENTRE_OF_MASS) < 0.6 and abs(cx - CENTRE_OF_MASS) < 0.6


@settings(max_examples=40, deadline=None)
@given(drawings())
def test_the_longer_side_of_the_digit_is_about_20_pixels(canvas):
    out = to_model_input(canvas)
    rows = np.flatnonzero((out > 1e-6).any(axis=1))
    cols = np.flatnonzero((out > 1e-6).any(axis=0))
    longer = max(rows[-1] - rows[0] + 1, cols[-1] - cols[0] + 1)
    assert 20 <= longer <= 21  # exactly 20 px of ink, spread over 21 when not pixel-aligned


@settings(max_examples=30, deadline=None)
@given(drawings(), st.integers(2, 4))
def test_scale_invariance(canvas, factor):
    small = to_model_input(canvas)
    large = to_model_input(np.kron(canvas, np.ones((factor, factor))))
    assert np.abs(small - large).max() < 1e-4  # area resampling is exact


def test_position_invariance():
    canvas = np.zeros((200, 200))
    canvas[20:90, 30:45] = 1.0
    moved = np.roll(canvas, (80, 100), axis=(0, 1))
    assert np.allclose(to_model_input(canvas), to_model_input(moved), atol=1e-5)


@pytest.mark.parametrize("blank", [np.zeros((50, 60)), np.zeros((28, 28), np.uint8),
                                   np.full((10, 10), 0.01)])
def test_nothing_drawn_is_none(blank):
    assert to_model_input(blank) is None


def test_uint8_and_float_images_agree():
    canvas = np.zeros((100, 100), np.uint8)
    canvas[10:80, 40:55] = 255
    assert np.allclose(to_model_input(canvas), to_model_input(canvas / 255.0), atol=1e-6)


@pytest.mark.parametrize("bad, message", [
    (np.zeros((3, 10, 10)), "2-D"),
    (np.zeros((0, 10)), "2-D"),
    (np.full((10, 10), np.nan), "NaN"),
    (np.array([["a"]]), "numeric"),
])
def test_bad_images_raise_value_error(bad, message):
    with pytest.raises(ValueError, match=message):
        to_model_input(bad)


@pytest.mark.heavy
def test_mnist_digit_is_left_almost_unchanged(mnist):
    """An MNIST-normalised digit passes through close to itself (same recipe)."""
    diffs = [np.abs(to_model_input(img) - img / 255.0).mean() for img in mnist.test.images[:50]]
    assert np.median(diffs) < 0.06


@pytest.mark.parametrize("dtype", [np.int64, np.int32, np.int16, np.uint32])
def test_integer_images_of_any_type_are_read_on_the_0_255_scale(dtype):
    canvas = np.zeros((100, 100), np.uint8)
    canvas[10:80, 40:55] = 255
    canvas[20:30, 20:40] = 120
    assert np.allclose(to_model_input(canvas.astype(dtype)), to_model_input(canvas), atol=1e-6)


def test_uint16_images_are_read_on_the_0_65535_scale():
    canvas = np.zeros((100, 100), np.uint16)
    canvas[10:80, 40:55] = 65535
    canvas[20:30, 20:40] = 30000
    assert np.allclose(to_model_input(canvas), to_model_input(canvas / 65535.0), atol=1e-6)


@pytest.mark.parametrize("value", [256, -1, 1000])
def test_integer_images_outside_their_scale_are_refused(value):
    canvas = np.zeros((50, 50), np.int64)
    canvas[10:40, 20:30] = value
    with pytest.raises(ValueError, match="expected 0-255"):
        to_model_input(canvas)


@pytest.mark.heavy
def test_the_centre_of_mass_is_where_mnist_has_it(mnist):
    images = mnist.train.images[:10000].astype(np.float64)
    ys = np.arange(28) + 0.5
    totals = images.sum(axis=(1, 2))
    mean_y = float(np.mean(images.sum(axis=2) @ ys / totals))
    mean_x = float(np.mean(images.sum(axis=1) @ ys / totals))
    assert abs(mean_y - CENTRE_OF_MASS) < 0.05 and abs(mean_x - CENTRE_OF_MASS) < 0.05
    # A drawing of an MNIST digit, normalised, lands where MNIST's own digits do.
    redrawn = [_centre_of_mass(to_model_input(image)) for image in mnist.test.images[:200]]
    assert np.allclose(np.mean(redrawn, axis=0), (mean_y, mean_x), atol=0.05)
