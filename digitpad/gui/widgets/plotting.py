"""pyqtgraph, configured once for digitpad: light, antialiased plots that match the window.

Only the widgets that draw plots import this module. pyqtgraph's import takes about half a
second (it resolves every Qt class), so the main window imports them after its first frame.
"""

import pyqtgraph as pg

pg.setConfigOptions(antialias=True, background="w", foreground="k")

__all__ = ["pg"]
