"""What the model sees: MNIST's own normalisation applied to any drawn image.

MNIST digits were cropped to their ink, scaled with anti-aliasing so the longer side is
20 px (aspect ratio kept), and placed in a 28x28 field with the centre of mass at pixel
(14, 14): at 14.5 in continuous coordinates, where pixel i covers [i, i+1), half a pixel
down and right of the field's middle (MNIST's training images average 14.50, 14.51).
:func:`to_model_input` does exactly that for the drawing pad, and the same
definition serves evaluation and training on drawn samples.
"""

from __future__ import annotations

import numpy as np

MODEL_SIDE = 28
DIGIT_BOX = 20
INK_THRESHOLD = 0.05  # fraction of full ink below which a pixel counts as background
CENTRE_OF_MASS = 14.5  # where MNIST's digits have it, on both axes (continuous coordinates)


def to_model_input(image: np.ndarray) -> np.ndarray | None:
    """Turn a drawn image into the 28x28 float32 array in [0, 1] the model sees.

    Parameters
    ----------
    image : np.ndarray
        2-D array of any size, ink = high values. Integer images are read on the 0-255
        scale, whatever their type (uint8, int32, int64...), except uint16 images, read on
        0-65535; float and bool images on [0, 1] (values outside it are clipped).

    Returns
    -------
    np.ndarray or None
        (28, 28) float32, centre of mass where MNIST's is, brightest pixel 1.0; ``None``
        when nothing is drawn.

    Raises
    ------
    ValueError
        The image is not 2-D, is empty, holds NaN or infinite values, or is an integer
        image with values outside its scale.
    """
    ink = _as_unit_float(image)
    rows = np.flatnonzero((ink > INK_THRESHOLD).any(axis=1))
    if rows.size == 0:
        return None
    cols = np.flatnonzero((ink > INK_THRESHOLD).any(axis=0))
    crop = ink[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1]

    scale = DIGIT_BOX / max(crop.shape)  # output pixels per input pixel
    centre_y, centre_x = _centre_of_mass(crop)
    target = CENTRE_OF_MASS
    # Two passes: the first places the crop's centre of mass on the target; the second
    # corrects the drift when part of a lopsided digit falls outside the 28x28 field.
    offset_y, offset_x = target - centre_y * scale, target - centre_x * scale
    for _ in range(2):
        out = _resample(crop, scale, offset_y, offset_x)
        got_y, got_x = _centre_of_mass(out)
        offset_y += target - got_y
        offset_x += target - got_x
    peak = out.max()
    if peak <= 0:
        return None
    return (out / peak).astype(np.float32)


def to_line_view(ink: np.ndarray, line: float) -> np.ndarray | None:
    """A piece of a line of ink as the piece judge sees it: 28x28 float32, the line's
    height (``line`` pixels, the top of ``ink`` being the line's top) DIGIT_BOX px high,
    the piece at its own height in it and centred across, its darkest pixel 1.0.

    Unlike :func:`to_model_input`, which fits every piece to the same box, this keeps a
    piece's size against its line: a digit's fragment stays small, two digits stay wide.
    ``None`` when there is no ink.
    """
    ink = _as_unit_float(ink)
    columns = np.flatnonzero((ink > INK_THRESHOLD).any(axis=0))
    if columns.size == 0:
        return None
    crop = ink[:, columns[0]:columns[-1] + 1]
    room = MODEL_SIDE - 2  # a piece wider or taller than the field is shrunk to fit
    scale = min(DIGIT_BOX / max(line, 1.0), room / crop.shape[1], room / crop.shape[0])
    margin = (MODEL_SIDE - DIGIT_BOX) / 2
    top = margin if crop.shape[0] * scale <= DIGIT_BOX else (MODEL_SIDE - crop.shape[0] * scale) / 2
    out = _resample(crop, scale, top, (MODEL_SIDE - crop.shape[1] * scale) / 2)
    peak = out.max()
    return (out / peak).astype(np.float32) if peak > 0 else None


def to_model_batch(images_uint8: np.ndarray) -> np.ndarray:
    """MNIST-format uint8 images (n, 28, 28) as the float32 [0, 1] batch the model sees."""
    batch = np.array(images_uint8, dtype=np.float32)  # a copy, scaled in place: one allocation
    batch /= 255.0
    return batch


def _as_unit_float(image: np.ndarray) -> np.ndarray:
    array = np.asarray(image)
    if array.ndim != 2 or array.size == 0:
        raise ValueError(f"expected a non-empty 2-D image, got shape {array.shape}")
    if np.issubdtype(array.dtype, np.integer):
        # 0-255 whatever the integer type (NumPy's default int64 included), but for uint16,
        # the type of 16-bit image files.
        full = 65535 if array.dtype == np.uint16 else 255
        low, high = int(array.min()), int(array.max())
        if low < 0 or high > full:
            raise ValueError(f"{array.dtype} image holds values from {low} to {high}; "
                             f"expected 0-{full}")
        return array.astype(np.float64) / full
    if not np.issubdtype(array.dtype, np.floating) and array.dtype != bool:
        raise ValueError(f"expected a numeric image, got dtype {array.dtype}")
    array = array.astype(np.float64)
    if not np.isfinite(array).all():
        raise ValueError("image contains NaN or infinite values")
    return np.clip(array, 0.0, 1.0)


def _centre_of_mass(image: np.ndarray) -> tuple[float, float]:
    """Centre of mass in continuous coordinates (pixel i covers [i, i+1))."""
    total = image.sum()
    ys = np.arange(image.shape[0]) + 0.5
    xs = np.arange(image.shape[1]) + 0.5
    return float(image.sum(axis=1) @ ys / total), float(image.sum(axis=0) @ xs / total)


def _resample(crop: np.ndarray, scale: float, offset_y: float, offset_x: float) -> np.ndarray:
    """Map ``crop`` into the 28x28 field: output = input * scale + offset, anti-aliased."""
    weights_y = _resampling_weights(crop.shape[0], scale, offset_y)
    weights_x = _resampling_weights(crop.shape[1], scale, offset_x)
    return weights_y @ crop @ weights_x.T


def _resampling_weights(size_in: int, scale: float, offset: float) -> np.ndarray:
    """(28, size_in) matrix of area weights: how much of each input pixel each output covers.

    Area averaging is anti-aliased when shrinking (every input pixel contributes), keeps
    ink inside the digit's box when enlarging, and preserves the centre of mass exactly.
    """
    out_edges = (np.arange(MODEL_SIDE + 1) - offset) / scale  # output edges, input coords
    low, high = out_edges[:-1, None], out_edges[1:, None]
    in_low = np.arange(size_in)[None, :]
    overlap = np.clip(np.minimum(high, in_low + 1) - np.maximum(low, in_low), 0.0, None)
    return overlap * scale
