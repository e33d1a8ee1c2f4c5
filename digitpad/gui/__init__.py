"""digitpad's Qt GUI: main window, shared model hub, tabs and widgets."""
