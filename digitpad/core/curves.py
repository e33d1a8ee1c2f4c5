"""The maths behind the live training curves, kept apart from the plots that draw them.

Pure functions of numbers: the smoothed loss and the axis ranges. The widgets call them on
every report and redraw an axis only when its range changes (redrawing ticks and labels is
most of what a live update costs).
"""

from __future__ import annotations

import math

SMOOTHING = 0.9  # per batch: the smoothed loss follows about the last 10 batches
LOSS_FLOOR = 1e-6  # losses are drawn on a log axis: a loss of 0 is drawn here


def smoothed_log_loss(previous: float | None, previous_batches: int, loss: float,
                      seen_batches: int) -> float:
    """The log of the smoothed loss after a report of ``loss`` at batch ``seen_batches``.

    Smoothed per batch, not per report (reports come every 0.2 s, however many batches
    that is), and in log space, as the axis shows it: a report covering ``k`` batches
    weighs the previous value by ``SMOOTHING ** k``.
    """
    log_loss = math.log(max(loss, LOSS_FLOOR))
    if previous is None:
        return log_loss
    keep = SMOOTHING ** max(seen_batches - previous_batches, 0)
    return keep * previous + (1 - keep) * log_loss


def loss_decades(low: float, high: float) -> tuple[int, int]:
    """The whole decades (log10 units) spanning losses ``low`` to ``high``: at least one."""
    bottom = math.floor(math.log10(max(low, LOSS_FLOOR)))
    return bottom, max(math.ceil(math.log10(max(high, LOSS_FLOOR))), bottom + 1)


def accuracy_floor(accuracies) -> float:
    """The bottom of a live accuracy axis that ends at 100%: the lowest accuracy so far,
    rounded down to a multiple of 5%, and never above 95%."""
    return min(0.95, math.floor(min(accuracies) * 20) / 20)


def fitted_range(values, *, margin: float = 0.1, min_span: float = 0.01,
                 upper: float | None = 1.0) -> tuple[float, float]:
    """A y-range that shows ``values`` with a margin, for charts that compare runs.

    ``margin`` is a share of the values' spread added on both sides; a spread below
    ``min_span`` (one value, or runs that agree) is widened to it around the middle; the
    range never goes above ``upper`` (accuracies) or below 0.
    """
    values = [v for v in values if math.isfinite(v)]
    if not values:
        return 0.0, 1.0 if upper is None else upper
    low, high = min(values), max(values)
    if high - low < min_span:
        middle = (low + high) / 2
        low, high = middle - min_span / 2, middle + min_span / 2
    pad = (high - low) * margin
    low, high = max(0.0, low - pad), high + pad
    if upper is not None and high > upper:
        low, high = max(0.0, low - (high - upper)), upper
    return low, high
