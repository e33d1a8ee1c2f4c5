"""digitpad's entry point: a QApplication, the main window, the event loop."""

from __future__ import annotations

import argparse
import os
import sys


def main(argv: list[str] | None = None) -> int:
    """Start the GUI. It never imports TensorFlow: training runs in a process of its own."""
    parser = argparse.ArgumentParser(prog="digitpad", description="Draw digits, see what a "
                                     "neural network thinks, browse its errors, retrain it.")
    parser.add_argument("--data", metavar="DIR", help="folder with the MNIST IDX files")
    args, qt_args = parser.parse_known_args(argv if argv is not None else sys.argv[1:])
    limit_blas_threads()

    from PySide6.QtGui import QIcon
    from PySide6.QtWidgets import QApplication

    from digitpad import __version__
    from digitpad.gui.main_window import MainWindow
    from digitpad.paths import resources_dir

    app = QApplication([sys.argv[0], *qt_args])
    app.setApplicationName("digitpad")
    app.setOrganizationName("digitpad")
    app.setApplicationVersion(__version__)
    app.setWindowIcon(QIcon(str(resources_dir() / "digitpad.png")))
    window = MainWindow(data_folder=args.data)
    window.show()
    code = app.exec()
    # Leave without running interpreter teardown: PySide6 owns native threads and objects,
    # and destroying them in Python's final collection can abort the process after a clean
    # close. Everything worth keeping was saved in closeEvent.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def limit_blas_threads() -> None:
    """The window's process policy for BLAS: one thread per call. The GUI thread reads one
    drawing at a time, where BLAS's own threads only add wake-ups, and large sets are
    spread over a pool of threads, one per core (``core.inference``)."""
    from threadpoolctl import threadpool_limits

    threadpool_limits(1, user_api="blas")


if __name__ == "__main__":
    sys.exit(main())
