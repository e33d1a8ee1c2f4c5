"""A model's first layer as one picture: what its units respond to."""

from __future__ import annotations

import numpy as np

TILE_LIMIT = 64  # first-layer units shown


def first_layer_tiles(model) -> np.ndarray | None:
    """The first layer's weights as one grid image in [0, 1].

    28x28 tiles for a dense layer on the pixels, kxk tiles for a convolution's kernels;
    None when the first layer with weights is neither. ``model`` is anything with Keras's
    ``layers`` and ``get_weights()``.
    """
    for layer in model.layers:
        weights = layer.get_weights()
        if not weights:
            continue
        kernel = np.asarray(weights[0])
        if kernel.ndim == 2 and kernel.shape[0] == 28 * 28:
            tiles = kernel.T[:TILE_LIMIT].reshape(-1, 28, 28)
        elif kernel.ndim == 4:
            tiles = np.moveaxis(kernel[:, :, 0, :TILE_LIMIT], -1, 0)
        else:
            return None
        return tile_grid(tiles)
    return None


def tile_grid(tiles: np.ndarray) -> np.ndarray:
    """(n, h, w) tiles, each scaled to [0, 1] on its own, in a near-square grid with
    one-pixel gaps."""
    count, height, width = tiles.shape
    columns = int(np.ceil(np.sqrt(count)))
    rows = int(np.ceil(count / columns))
    grid = np.zeros((rows * (height + 1) - 1, columns * (width + 1) - 1), np.float32)
    for n, tile in enumerate(tiles):
        low, high = tile.min(), tile.max()
        normalised = (tile - low) / (high - low) if high > low else np.zeros_like(tile)
        top, left = (n // columns) * (height + 1), (n % columns) * (width + 1)
        grid[top:top + height, left:left + width] = normalised
    return grid
