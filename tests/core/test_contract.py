"""Import boundaries: digitpad.core never imports Qt, its NumPy parts (prediction included)
never import TensorFlow, and the window's first frame waits for neither."""

import subprocess
import sys

QT = ("PySide6", "pyqtgraph", "shiboken6")


def _imported_after(statement: str) -> set[str]:
    code = f"import sys; {statement}; print(' '.join(sys.modules))"
    output = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return set(output.stdout.split())


def test_core_never_imports_qt():
    modules = _imported_after("import digitpad.core.training, digitpad.core.inference, "
                              "digitpad.core.registry, digitpad.core.evaluation, digitpad.cli")
    assert not {m for m in modules if m.split('.')[0] in QT}


def test_pure_core_modules_do_not_pay_for_tensorflow():
    modules = _imported_after("import digitpad.core.data, digitpad.core.preprocess, "
                              "digitpad.core.evaluation, digitpad.core.registry, "
                              "digitpad.core.architectures, digitpad.core.inference, "
                              "digitpad.paths")
    assert "tensorflow" not in modules and "keras" not in modules


def test_the_first_frame_needs_neither_tensorflow_nor_pyqtgraph():
    # Start-up budget: the window's first frame (the pad) must not wait for either import.
    modules = _imported_after("import digitpad.app, digitpad.gui.main_window")
    assert not {"tensorflow", "keras", "pyqtgraph"} & modules
