import threading

import numpy as np
import pytest

from digitpad.core.embedding import (LayoutCancelled, features, pca_layout, place,
                                     tsne_layout)
from digitpad.core.explain import explain
from digitpad.core.inference import Predictor
from digitpad.core.registry import default_model_path


def _clusters(n=150, d=16, seed=0):
    """Two clouds far apart in d dimensions, and which cloud each point is in."""
    rng = np.random.default_rng(seed)
    side = rng.integers(0, 2, n)
    values = rng.normal(0, 1, (n, d)) + side[:, None] * 12
    return values.astype(np.float32), side


def _separated(positions, side) -> bool:
    """Each point's nearest neighbour in 2-D is from its own cloud."""
    distances = ((positions[:, None] - positions[None]) ** 2).sum(axis=2)
    np.fill_diagonal(distances, np.inf)
    return bool((side[distances.argmin(axis=1)] == side).all())


def test_features_are_what_the_last_layer_reads():
    predictor = Predictor.load(default_model_path())
    images = np.random.default_rng(0).random((7, 28, 28), dtype=np.float32)
    found = features(predictor, images)
    assert found.values.shape == (7, 128) and found.values.dtype == np.float32
    assert np.array_equal(found.predictions, predictor.predict(images).argmax(axis=1))
    assert np.allclose(found.values[3], explain(predictor, images[3], 0).features, atol=1e-5)
    stop = threading.Event()
    stop.set()
    with pytest.raises(LayoutCancelled):
        features(predictor, images, stop=stop)


def test_both_layouts_keep_clusters_apart_within_the_unit_square():
    values, side = _clusters()
    for positions in (pca_layout(values), tsne_layout(values)):
        assert positions.shape == (len(values), 2)
        assert np.abs(positions).max() == pytest.approx(1.0)
        assert _separated(positions, side)


def test_a_new_point_lands_among_its_neighbours():
    values, side = _clusters()
    positions = pca_layout(values)
    spot = place(values, positions, values[side == 1].mean(axis=0))
    ones, zeros = positions[side == 1].mean(axis=0), positions[side == 0].mean(axis=0)
    assert np.linalg.norm(spot - ones) < 0.2 * np.linalg.norm(ones - zeros)
