import numpy as np
import pytest
from PySide6.QtCore import Qt

from tests.gui.test_draw import SEVEN, draw_stroke

MAP_TIMEOUT_MS = 180_000  # t-SNE in a spawned process, on a busy machine


def _wait_for_final_map(qtbot, window):
    tab = window.map_tab
    window.tabs.setCurrentWidget(tab)
    qtbot.waitUntil(lambda: tab.view is not None, timeout=MAP_TIMEOUT_MS)
    first = tab.view
    qtbot.waitUntil(lambda: tab.view.final, timeout=MAP_TIMEOUT_MS)
    return first, tab.view


def _isolated_row(plot, view):
    """A point no other point is within 12 screen pixels of: a click there means it."""
    positions = np.array([[plot.scene_position(r).x(), plot.scene_position(r).y()]
                          for r in range(len(view.indices))])
    distances = ((positions[:, None] - positions[None]) ** 2).sum(axis=2)
    np.fill_diagonal(distances, np.inf)
    mistakes = np.flatnonzero(view.predictions != view.labels)
    candidates = [r for r in list(mistakes) + list(range(len(positions)))
                  if distances[r].min() > 12 ** 2]
    return candidates[0]


@pytest.mark.heavy  # t-SNE in a spawned process
def test_the_map_shows_a_quick_view_then_t_sne_a_live_point_and_a_click_opens_the_image(
        qtbot, window):
    first, view = _wait_for_final_map(qtbot, window)
    tab = window.map_tab
    assert first.method == "PCA" and view.method == "t-SNE"
    assert len(first.indices) < len(view.indices) == 300 and view.positions.shape == (300, 2)
    assert np.abs(view.positions).max() <= 1 + 1e-6
    plot = tab.plot

    # The drawing on the pad is the star, among the test images it resembles.
    assert plot.live_position() is None
    draw = window.draw_tab
    draw_stroke(draw.pad, SEVEN)
    qtbot.waitUntil(lambda: plot.live_position() is not None, timeout=5000)
    assert np.allclose(plot.live_position(), view.place(draw.explanation().features),
                       atol=1e-5)
    draw.pad.clear()
    assert plot.live_position() is None

    row = _isolated_row(plot, view)
    index = int(view.indices[row])
    where = plot.mapFromScene(plot.scene_position(row))
    qtbot.mouseMove(plot.viewport(), where)
    qtbot.waitUntil(lambda: f"#{index}:" in tab.hover_text.text(), timeout=2000)
    assert tab.hover_image.has_image()

    qtbot.mouseClick(plot.viewport(), Qt.LeftButton, pos=where)
    errors = window.errors_tab
    assert window.tabs.currentWidget() is errors
    qtbot.waitUntil(lambda: errors.gallery.current_item() == index, timeout=MAP_TIMEOUT_MS)
    assert f"#{index}" in errors.detail_text.text()
