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


def maps_grid(maps: np.ndarray, columns: int | None = None) -> np.ndarray:
    """A layer's outputs as one grid image in [0, 1], on one scale for the whole layer.

    ``maps`` is (height, width, channels) feature maps, or (units,) values shown as a strip
    of single-pixel tiles. One scale (the layer's largest value) keeps a map that barely
    responds dark, where :func:`tile_grid`'s per-tile scale would brighten it.
    """
    maps = np.asarray(maps, np.float32)
    if maps.ndim == 1:
        maps = maps[None, None, :]
    height, width, count = maps.shape
    columns = columns or int(np.ceil(np.sqrt(count)))
    rows = int(np.ceil(count / columns))
    peak = float(np.abs(maps).max())
    scaled = np.clip(maps / peak, 0, 1) if peak > 0 else np.zeros_like(maps)
    grid = np.full((rows * (height + 1) - 1, columns * (width + 1) - 1), 0.15, np.float32)
    for n in range(count):
        top, left = (n // columns) * (height + 1), (n % columns) * (width + 1)
        grid[top:top + height, left:left + width] = scaled[:, :, n]
    return grid


def filter_response_pairs(filters: np.ndarray, responses: np.ndarray,
                          columns: int = 8) -> np.ndarray:
    """Each first-layer filter beside its response, as one grid image in [0, 1].

    ``filters`` (count, kh, kw), shown enlarged to the responses' height, mid-grey at 0;
    ``responses`` (height, width, count), on one scale as in :func:`maps_grid`.
    """
    count, kh, kw = filters.shape
    height, width = responses.shape[:2]
    scale = max(1, height // kh)
    peak = float(np.abs(filters).max()) or 1.0
    kernels = np.kron(filters / peak * 0.5 + 0.5, np.ones((scale, scale), np.float32))
    peak = float(np.abs(responses).max())
    maps = np.clip(responses / peak, 0, 1) if peak > 0 else np.zeros_like(responses)
    pair_w = kernels.shape[2] + 1 + width
    pair_h = max(kernels.shape[1], height)
    rows = int(np.ceil(count / columns))
    grid = np.full((rows * (pair_h + 2) - 2, columns * (pair_w + 3) - 3), 0.15, np.float32)
    for n in range(count):
        top, left = (n // columns) * (pair_h + 2), (n % columns) * (pair_w + 3)
        grid[top:top + kernels.shape[1], left:left + kernels.shape[2]] = kernels[n]
        left += kernels.shape[2] + 1
        grid[top:top + height, left:left + width] = maps[:, :, n]
    return grid
