import dataclasses

import numpy as np
from PySide6.QtCore import QEvent, QPointF

from digitpad.core.explain import contrast, saliency
from digitpad.core.preprocess import to_model_batch
from digitpad.core.verdict import UNSURE
from digitpad.gui.replay import send_mouse
from tests.gui.test_draw import ONE, SEVEN, draw_stroke

EXPLAIN_TIMEOUT_MS = 5000


def _finished(qtbot, tab):
    qtbot.waitUntil(lambda: tab.explanation() is not None, timeout=EXPLAIN_TIMEOUT_MS)
    return tab.explanation()


def _model_input(tab):
    return tab._model_input()


def test_the_overlay_follows_the_pad_on_pen_up(qtbot, window):
    tab = window.draw_tab
    tab.looked_at.box.setChecked(True)
    draw_stroke(tab.pad, SEVEN)
    first = _finished(qtbot, tab)
    predictor = window.hub.active.predictor
    assert tab.preview.has_overlay()
    assert np.allclose(first.heat, saliency(predictor, _model_input(tab), first.digit)
                       if first.rival is None else
                       contrast(predictor, _model_input(tab), first.digit, first.rival),
                       atol=1e-6)
    assert first.digit == int(tab.probabilities().argmax())
    assert str(first.digit) in tab.looked_at.caption.text()

    # The pen down again (a crossbar on the 7: still one digit): the old map no longer fits
    # the drawing and goes with the stroke's first update (at most a frame later).
    send_mouse(tab.pad, QEvent.MouseButtonPress, QPointF(tab.pad.width() * 0.45,
                                                         tab.pad.height() * 0.5))
    send_mouse(tab.pad, QEvent.MouseMove, QPointF(tab.pad.width() * 0.65,
                                                  tab.pad.height() * 0.5))
    qtbot.waitUntil(lambda: tab.explanation() is None and not tab.preview.has_overlay(),
                    timeout=1000)
    send_mouse(tab.pad, QEvent.MouseButtonRelease, QPointF(tab.pad.width() * 0.65,
                                                           tab.pad.height() * 0.5))
    second = _finished(qtbot, tab)
    assert not np.allclose(second.heat, first.heat)
    expected = (saliency(predictor, _model_input(tab), second.digit) if second.rival is None
                else contrast(predictor, _model_input(tab), second.digit, second.rival))
    assert np.allclose(second.heat, expected, atol=1e-6)

    tab.looked_at.box.setChecked(False)
    assert not tab.preview.has_overlay() and tab.looked_at.caption.text() == ""
    tab.pad.clear()
    assert tab.explanation() is None


def test_not_sure_shows_why_one_digit_and_not_the_other(qtbot, window):
    tab = window.draw_tab
    predictor = window.hub.active.predictor
    # Never sure enough: every drawing reads "not sure: a or b?".
    predictor.thresholds = dataclasses.replace(predictor.thresholds, sure=1.1)
    tab.looked_at.box.setChecked(True)
    draw_stroke(tab.pad, ONE)
    explanation = _finished(qtbot, tab)
    assert tab._verdict.kind == UNSURE
    assert (explanation.digit, explanation.rival) == tab._verdict.candidates
    assert tab.looked_at.caption.text().startswith(
        f"Why {explanation.digit} and not {explanation.rival}")
    assert np.allclose(explanation.heat, contrast(predictor, _model_input(tab),
                                                  *tab._verdict.candidates), atol=1e-6)


def test_the_inside_tab_shows_each_layer_of_the_drawing_after_pen_up(qtbot, window):
    inside = window.inside_tab
    tab = window.draw_tab
    draw_stroke(tab.pad, ONE)  # nothing shows explanations: none is computed
    qtbot.wait(200)
    assert tab.explanation() is None and not tab.explainer._running
    with qtbot.waitSignal(inside.shown, timeout=EXPLAIN_TIMEOUT_MS):
        window.tabs.setCurrentWidget(inside)  # opened, it shows the drawing on the pad
    assert np.array_equal(inside.explanation.image, _model_input(tab))
    tab.pad.clear()
    assert inside.layer_views() == [] and inside.explanation is None
    with qtbot.waitSignal(inside.shown, timeout=EXPLAIN_TIMEOUT_MS):
        draw_stroke(tab.pad, SEVEN)
    explanation = inside.explanation
    assert explanation is tab.explanation()
    views = inside.layer_views()
    # The shipped model: six convolutions (each after its activation), then the pooled
    # features its last layer reads.
    assert len(views) == 7 and all(view._image is not None for _, view in views)
    assert views[0][0].endswith("32 maps of 28×28") and views[-1][0].endswith("128 values")
    assert inside.filters_view.isVisibleTo(inside)
    assert np.allclose(explanation.layers[-1].maps, explanation.features)

    with qtbot.waitSignal(inside.shown, timeout=EXPLAIN_TIMEOUT_MS):
        draw_stroke(tab.pad, ONE)
    assert inside.explanation is not explanation
    tab.pad.clear()
    assert inside.explanation is None and inside.layer_views() == []


def test_the_errors_detail_shows_why_the_prediction_and_not_the_label(qtbot, window):
    from tests.gui.test_errors_tab import wait_for_evaluation

    tab = window.errors_tab
    evaluation = wait_for_evaluation(qtbot, tab)
    predictor = window.hub.active.predictor
    tab.looked_at.box.setChecked(True)
    shown = []
    for want_mistake in (True, False):
        tab.include_correct.setChecked(not want_mistake)
        rows = [row for row, item in enumerate(tab.shown_indices())
                if (evaluation.predictions[item] != evaluation.labels[item]) == want_mistake]
        tab.gallery.setCurrentIndex(tab.gallery.gallery_model.index(rows[-1]))
        item = tab.gallery.current_item()
        qtbot.waitUntil(tab.detail_image.has_overlay, timeout=EXPLAIN_TIMEOUT_MS)
        predicted, label = int(evaluation.predictions[item]), int(evaluation.labels[item])
        image = to_model_batch(tab._shown.images[item:item + 1])[0]
        if want_mistake:
            assert tab.looked_at.caption.text().startswith(f"Why {predicted} and not {label}")
            expected = contrast(predictor, image, predicted, label)
        else:
            assert tab.looked_at.caption.text().endswith(f"makes it a {label}")
            expected = saliency(predictor, image, label)
        assert np.allclose(tab.looked_at._heat, expected, atol=1e-6)
        shown.append(item)
    assert shown[0] != shown[1]
