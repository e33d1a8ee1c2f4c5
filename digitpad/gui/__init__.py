"""digitpad's Qt GUI: main window, shared model hub, tabs and widgets."""

import pyqtgraph as pg

# Light plots that match the native window theme, with smooth curves.
pg.setConfigOptions(antialias=True, background="w", foreground="k")
