"""The verdict's thresholds: no digit class of any dev set flagged more than its budget."""

import numpy as np

from digitpad.core.calibration import CLASS_BUDGET, Readings, calibrate


def readings(rng, n_per_class=100, confidence=0.99, score=0.01) -> Readings:
    labels = np.repeat(np.arange(10), n_per_class)
    probabilities = np.full((len(labels), 10), (1 - confidence) / 9)
    probabilities[np.arange(len(labels)), labels] = confidence
    scores = rng.uniform(0, score, len(labels))
    return Readings(probabilities, scores, labels)


def test_a_class_that_looks_unlike_the_others_is_not_sacrificed():
    rng = np.random.default_rng(0)
    touch, styles = readings(rng), readings(rng)
    # A tenth of the styled 1s (long flags, say) score high on "not a digit", and a few 4s
    # are unsure between two digits.
    ones = np.flatnonzero(styles.labels == 1)[:10]
    styles.not_a_digit[ones] = np.linspace(0.5, 0.9, 10)
    fours = np.flatnonzero(touch.labels == 4)[:5]
    touch.probabilities[fours, 4], touch.probabilities[fours, 9] = 0.45, 0.5
    thresholds = calibrate({"touch": touch, "styles": styles})
    for dev in (touch, styles):
        assert np.nanmax(dev.class_flag_rates(thresholds)) <= CLASS_BUDGET
    # As low as that allows: only the two highest 1s stay above it.
    assert 0.8 < thresholds.not_a_digit <= 0.9
    assert (styles.not_a_digit[ones] >= thresholds.not_a_digit).sum() == 2
    assert thresholds.sure <= 0.5  # the 4s at 0.5 are not flagged: read, as 9s
    # Reading and flagging follow the verdict's rule.
    assert styles.flagged(thresholds).sum() == 2 and touch.flagged(thresholds).sum() == 0
    assert touch.read(thresholds).sum() == 1000 - 5  # the unsure 4s read as 9: wrong


def test_clean_dev_sets_get_the_lowest_thresholds_allowed():
    rng = np.random.default_rng(1)
    thresholds = calibrate({"hwd": readings(rng), "touch": readings(rng)})
    assert thresholds.not_a_digit == 0.3 and thresholds.sure == 0.6
