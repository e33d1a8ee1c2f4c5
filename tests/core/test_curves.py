"""The live curves' maths, without Qt: smoothing and axis ranges."""

import math

import numpy as np
import pytest

from digitpad.core.curves import (SMOOTHING, accuracy_floor, fitted_range, loss_decades,
                                  smoothed_log_loss)


def test_the_smoothed_loss_weighs_each_batch_not_each_report():
    # One report covering 5 batches moves the curve as far as 5 reports of one batch each.
    one_report = smoothed_log_loss(math.log(1.0), 10, 0.1, 15)
    step = math.log(1.0)
    for seen in range(11, 16):
        step = smoothed_log_loss(step, seen - 1, 0.1, seen)
    assert one_report == pytest.approx(step)
    assert one_report == pytest.approx((1 - SMOOTHING ** 5) * math.log(0.1))


def test_the_first_report_starts_the_curve_and_zero_losses_stay_drawable():
    assert smoothed_log_loss(None, 0, 0.5, 3) == pytest.approx(math.log(0.5))
    assert math.isfinite(smoothed_log_loss(None, 0, 0.0, 1))


@pytest.mark.parametrize("low, high, expected", [(0.5, 2.3, (-1, 1)), (0.005, 2.3, (-3, 1)),
                                                 (0.2, 0.2, (-1, 0)), (1.0, 1.0, (0, 1))])
def test_the_loss_axis_spans_whole_decades(low, high, expected):
    assert loss_decades(low, high) == expected


def test_the_accuracy_floor_steps_by_five_percent_and_leaves_room_below_one():
    assert accuracy_floor([0.93, 0.97]) == pytest.approx(0.90)
    assert accuracy_floor([1.0]) == pytest.approx(0.95)
    assert accuracy_floor([0.12]) == pytest.approx(0.10)


def test_a_comparison_range_fits_close_accuracies():
    low, high = fitted_range([0.971, 0.982, 0.990])
    assert 0.95 < low < 0.971 and 0.990 < high <= 1.0
    assert high - low < 0.05


@pytest.mark.parametrize("values", [[0.99], [1.0, 1.0], [0.5, 0.5, 0.5]])
def test_a_single_value_or_equal_runs_get_a_small_range_that_never_passes_one(values):
    low, high = fitted_range(values)
    assert low < min(values) <= max(values) <= high <= 1.0
    assert high - low <= 0.02


def test_a_range_with_nothing_to_show_is_zero_to_one_and_nan_is_ignored():
    assert fitted_range([]) == (0.0, 1.0)
    assert fitted_range([float("nan"), 0.9]) == fitted_range([0.9])
    assert np.all(np.isfinite(fitted_range([float("inf"), 0.4])))
