"""The main window: three tabs around one shared model hub, menus, status bar, settings.

Start-up is progressive: the first frame shows the drawing pad; the plots and the Errors and
Train tabs are built right after it, while the model loads in the background.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QByteArray, QRect, QSettings, QSize, Qt, QTimer
from PySide6.QtGui import QAction, QGuiApplication, QKeySequence
from PySide6.QtWidgets import (QFileDialog, QLabel, QMainWindow, QMessageBox, QTabWidget,
                               QWidget)

from digitpad.core.registry import default_model_path
from digitpad.gui.data_source import DataSource
from digitpad.gui.model_hub import ActiveModel, ModelHub
from digitpad.gui.settings import read_setting
from digitpad.gui.tabs.draw_tab import DrawTab

TAB_NAMES = ("Draw", "Errors", "Train")
FIRST_SIZE = QSize(1180, 720)  # the first window's size where the screen has room for it
SCREEN_SHARE = 0.92            # the most of a smaller screen it takes (room for the frame)


class MainWindow(QMainWindow):
    """digitpad's window. Tabs receive the hub and never talk to each other directly."""

    def __init__(self, settings: QSettings | None = None, *, data_folder: str | None = None):
        super().__init__()
        self.settings = settings or QSettings("digitpad", "digitpad")
        self.hub = ModelHub(self, DataSource(self.settings, override=data_folder))
        self.setWindowTitle("digitpad")

        self.draw_tab = DrawTab(self.hub)
        self._errors_tab = self._train_tab = None  # built by _complete()
        self.tabs = QTabWidget()
        self.tabs.addTab(self.draw_tab, TAB_NAMES[0])
        for name in TAB_NAMES[1:]:
            self.tabs.addTab(QWidget(), name)  # placeholders until _complete()
        self.setCentralWidget(self.tabs)

        self.model_label = QLabel("Loading model…")
        self.model_label.setTextFormat(Qt.PlainText)  # it shows the card's text, never markup
        self.statusBar().addPermanentWidget(self.model_label)
        self._build_menus()
        self._fitted = False  # checked against the screen when first shown
        self._restore_settings()

        self._startup_path: Path | None = None
        self.hub.model_changed.connect(self._on_model_changed)
        self.hub.load_failed.connect(self._on_load_failed)
        self.hub.loading_started.connect(
            lambda path: self.statusBar().showMessage(f"Loading {Path(path).name}…"))
        QTimer.singleShot(0, self._load_startup_model)  # in a worker thread

    @property
    def errors_tab(self):
        self._complete()
        return self._errors_tab

    @property
    def train_tab(self):
        self._complete()
        return self._train_tab

    def paintEvent(self, event) -> None:
        super().paintEvent(event)
        if self._errors_tab is None:  # the first frame is on its way to the screen
            QTimer.singleShot(0, self._complete)

    def _complete(self) -> None:
        """Build what the first frame did without: the chart and the Errors and Train tabs."""
        if self._errors_tab is not None:
            return
        from digitpad.gui.tabs.errors_tab import ErrorsTab
        from digitpad.gui.tabs.train_tab import TrainTab

        self.draw_tab.add_chart()
        self._errors_tab = ErrorsTab(self.hub)
        self._train_tab = TrainTab(self.hub)
        current = self.tabs.currentIndex()
        for index, tab in ((1, self._errors_tab), (2, self._train_tab)):
            placeholder = self.tabs.widget(index)
            self.tabs.insertTab(index, tab, TAB_NAMES[index])
            self.tabs.removeTab(index + 1)
            placeholder.deleteLater()
        self.tabs.setCurrentIndex(current)
        self._errors_tab.send_to_pad.connect(self._on_send_to_pad)
        self._errors_tab.evaluation_ready.connect(self._on_evaluation_ready)

    # ----- menus -------------------------------------------------------------------------
    def _build_menus(self) -> None:
        file_menu = self.menuBar().addMenu("&File")
        self._add_action(file_menu, "&Open model…", QKeySequence.Open, self.open_model_dialog)
        self._add_action(file_menu, "&Reset to shipped model", "Ctrl+Shift+R",
                         self.reset_to_shipped_model)
        file_menu.addSeparator()
        self._add_action(file_menu, "&Quit", QKeySequence.Quit, self.close)

        edit_menu = self.menuBar().addMenu("&Edit")
        self._add_action(edit_menu, "&Undo stroke", QKeySequence.Undo, self.draw_tab.pad.undo)
        self._add_action(edit_menu, "&Redo stroke", "Ctrl+Shift+Z", self.draw_tab.pad.redo)
        clear = self._add_action(edit_menu, "&Clear pad", "Esc", self._clear_pad)
        clear.setShortcuts([QKeySequence("Esc"), QKeySequence.Delete])

        view_menu = self.menuBar().addMenu("&View")
        for index, name in enumerate(TAB_NAMES):
            self._add_action(view_menu, f"&{name}", f"Ctrl+{index + 1}",
                             lambda i=index: self.tabs.setCurrentIndex(i))

    def _add_action(self, menu, text, shortcut, slot) -> QAction:
        action = QAction(text, self)
        action.setShortcut(QKeySequence(shortcut))
        action.triggered.connect(slot)
        menu.addAction(action)
        return action

    def _clear_pad(self) -> None:
        if self.tabs.currentWidget() is self.draw_tab:
            self.draw_tab.pad.clear()

    # ----- models ------------------------------------------------------------------------
    def open_model_dialog(self) -> None:
        last = read_setting(self.settings, "last_model", str, "")
        start = str(Path(last or default_model_path()).parent)
        path, _ = QFileDialog.getOpenFileName(self, "Open model", start, "Keras models (*.keras)")
        if path:
            self.hub.load(path)

    def reset_to_shipped_model(self) -> None:
        self.hub.load(default_model_path())

    def _load_startup_model(self) -> None:
        last = read_setting(self.settings, "last_model", str, "")
        path = Path(last) if last else default_model_path()
        self._startup_path = path
        self.hub.load(path)

    def _on_model_changed(self, active: ActiveModel) -> None:
        self._startup_path = None
        self.model_label.setText(f"Model: {active.describe()}")
        self.statusBar().showMessage(f"Model ready: {active.name}", 5000)
        if active.path is not None:
            self.settings.setValue("last_model", str(active.path))

    def _on_evaluation_ready(self, evaluation) -> None:
        """The Errors tab measured the active model: its accuracy replaces the card's claim."""
        if self.hub.active is not None:
            self.model_label.setText(
                f"Model: {self.hub.active.describe(measured_accuracy=evaluation.accuracy)}")

    def _on_load_failed(self, message: str) -> None:
        shipped = default_model_path()
        if self._startup_path is not None and self._startup_path != shipped:
            self._startup_path = shipped
            self.settings.remove("last_model")
            self.show_message("Model not available",
                              f"{message}\n\nUsing the model shipped with digitpad instead.")
            self.hub.load(shipped)
            return
        self._startup_path = None
        if self.hub.active is None:
            self.model_label.setText("No model loaded")
        self.show_message("Could not load the model", message)

    def show_message(self, title: str, text: str) -> QMessageBox:
        """A non-blocking warning: the window keeps working while it is shown."""
        self.statusBar().showMessage(text.splitlines()[0], 10000)
        box = QMessageBox(QMessageBox.Warning, title, text, QMessageBox.Ok, self)
        # The text names files and quotes errors: shown as it is, never as markup or links.
        box.setTextFormat(Qt.PlainText)
        box.setAttribute(Qt.WA_DeleteOnClose)
        box.open()
        return box

    def _on_send_to_pad(self, image28, index: int) -> None:
        self.draw_tab.show_test_image(image28, index)
        self.tabs.setCurrentWidget(self.draw_tab)

    # ----- settings and shutdown ---------------------------------------------------------
    def _restore_settings(self) -> None:
        geometry = read_setting(self.settings, "geometry", QByteArray, QByteArray())
        if geometry.isEmpty() or not self.restoreGeometry(geometry):
            self._fit_on_screen(FIRST_SIZE)
        pen = read_setting(self.settings, "pen_width", float, self.draw_tab.pad.pen_width())
        self.draw_tab.pen_slider.setValue(round(min(max(pen, 0.0), 1.0) * 100))  # slider clamps

    def _available_geometry(self) -> QRect:
        return (self.screen() or QGuiApplication.primaryScreen()).availableGeometry()

    def _fit_on_screen(self, size: QSize) -> None:
        """``size`` where it fits, else most of the available screen; centred on it."""
        available = self._available_geometry()
        size = size.boundedTo(QSize(int(available.width() * SCREEN_SHARE),
                                    int(available.height() * SCREEN_SHARE)))
        self.setGeometry(QRect(0, 0, size.width(), size.height()))
        self.move(available.center() - self.rect().center())

    def showEvent(self, event) -> None:
        super().showEvent(event)
        # Checked once shown, when the frame is known: a geometry remembered on a larger
        # screen (or at a smaller display scaling) would run off this one, so it keeps
        # what it can of its size, within the screen.
        if not self._fitted:
            self._fitted = True
            if not self._available_geometry().contains(self.frameGeometry()):
                self._fit_on_screen(self.size())

    def closeEvent(self, event) -> None:
        """Stop background work cleanly before the window goes."""
        self.settings.setValue("geometry", self.saveGeometry())
        self.settings.setValue("pen_width", self.draw_tab.pad.pen_width())
        self.settings.sync()
        self.hub.shutdown()  # ends the training process too: a run in progress is dropped
        super().closeEvent(event)
