"""The map's layout process: t-SNE of the test set's features, away from the window.

t-SNE keeps two cores busy for seconds and runs part of its loop in Python; in a thread of
the window's process it would compete with the GUI thread for Python's lock. The window
spawns this process per layout (``gui.test_set_map``), sends the features as the process's
argument and reads reports from a pipe:

- child -> parent: ``("progress", done, total)`` as the optimisation goes, then
  ``("done", positions)`` or ``("failed", message)``.

Stopping is the parent's: it terminates the process, which holds nothing worth keeping.
"""

from __future__ import annotations

import traceback


def serve(connection, values) -> None:
    """The process's entry point: lay out ``values`` (n, d) and report on ``connection``."""
    from digitpad.core.embedding import tsne_layout

    try:
        positions = tsne_layout(
            values, on_progress=lambda done, total: connection.send(("progress", done, total)))
    except Exception as exc:  # reported to the window, which shows it in one line
        traceback.print_exc()
        connection.send(("failed", f"{type(exc).__name__}: {exc}"))
    else:
        connection.send(("done", positions))
    finally:
        connection.close()
