"""First-layer tiles: what a model's first units look at, as one image."""

import numpy as np

from digitpad.core.tiles import TILE_LIMIT, first_layer_tiles


class Layer:
    def __init__(self, *weights):
        self.weights = [np.asarray(w, np.float32) for w in weights]

    def get_weights(self):
        return self.weights


class Model:
    def __init__(self, *layers):
        self.layers = list(layers)


def test_a_dense_first_layer_gives_one_28x28_tile_per_unit_each_scaled_on_its_own():
    rng = np.random.default_rng(0)
    kernel = rng.normal(size=(784, 9)) * np.arange(1, 10)  # units of very different scales
    grid = first_layer_tiles(Model(Layer(), Layer(kernel, np.zeros(9))))  # skips weightless
    assert grid.shape == (3 * 29 - 1, 3 * 29 - 1)
    for row in range(3):
        for column in range(3):
            tile = grid[row * 29:row * 29 + 28, column * 29:column * 29 + 28]
            assert tile.min() == 0 and tile.max() == 1


def test_convolution_kernels_are_tiles_and_at_most_the_limit_are_shown():
    kernel = np.random.default_rng(1).normal(size=(3, 3, 1, 100))
    grid = first_layer_tiles(Model(Layer(kernel, np.zeros(100))))
    columns = int(np.ceil(np.sqrt(TILE_LIMIT)))
    assert grid.shape[1] == columns * 4 - 1 and grid.shape[0] <= grid.shape[1]


def test_other_first_layers_have_no_tiles():
    assert first_layer_tiles(Model(Layer(np.ones((10, 10))))) is None
    assert first_layer_tiles(Model(Layer())) is None
