"""The main window: three tabs around one shared model hub, menus, status bar, settings.

Start-up is progressive: the first frame shows the drawing pad; the plots and the Errors and
Train tabs are built right after it, while the model loads in the background.
"""

from __future__ import annotations

import gc
from pathlib import Path

from PySide6.QtCore import QByteArray, QRect, QSettings, QSize, Qt, QTimer
from PySide6.QtGui import QAction, QGuiApplication, QKeySequence
from PySide6.QtWidgets import (QFileDialog, QLabel, QMainWindow, QMessageBox, QStyle,
                               QTabWidget, QWidget)

from digitpad import paths
from digitpad.core.registry import default_model_path
from digitpad.gui.data_source import DataSource
from digitpad.gui.evaluations import MY_DIGITS
from digitpad.gui.model_hub import ActiveModel, ModelHub
from digitpad.gui.settings import (RECENT_MODELS_KEY, read_setting, recent_models,
                                   remember_recent_model)
from digitpad.gui.tabs.draw_tab import DrawTab

TAB_NAMES = ("Draw", "Errors", "Train", "Inside", "Map")
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
        # Built by _complete(), after the first frame.
        self._errors_tab = self._train_tab = self._inside_tab = self._map_tab = None
        self.tabs = QTabWidget()
        self.tabs.addTab(self.draw_tab, TAB_NAMES[0])
        for name in TAB_NAMES[1:]:
            self.tabs.addTab(QWidget(), name)  # placeholders until _complete()
        self.setCentralWidget(self.tabs)

        self.model_label = QLabel("Loading model…")
        self.model_label.setTextFormat(Qt.PlainText)  # it shows the card's text, never markup
        self.statusBar().addPermanentWidget(self.model_label)
        self._build_menus()
        self._models_dialog = None  # built when first asked for
        self._fitted = False  # checked against the screen when first shown
        self._restore_settings()

        self._startup_path: Path | None = None
        self.hub.model_changed.connect(self._on_model_changed)
        self.hub.load_failed.connect(self._on_load_failed)
        self.hub.loading_started.connect(
            lambda path: self._show_status(f"Loading {path}…"))
        QTimer.singleShot(0, self._load_startup_model)  # in a worker thread

    @property
    def errors_tab(self):
        self._complete()
        return self._errors_tab

    @property
    def train_tab(self):
        self._complete()
        return self._train_tab

    @property
    def inside_tab(self):
        self._complete()
        return self._inside_tab

    @property
    def map_tab(self):
        self._complete()
        return self._map_tab

    def paintEvent(self, event) -> None:
        super().paintEvent(event)
        if self._errors_tab is None:  # the first frame is on its way to the screen
            QTimer.singleShot(0, self._complete)

    def _complete(self) -> None:
        """Build what the first frame did without: the chart and the Errors and Train tabs."""
        if self._errors_tab is not None:
            return
        from digitpad.gui.tabs.errors_tab import ErrorsTab
        from digitpad.gui.tabs.inside_tab import InsideTab
        from digitpad.gui.tabs.map_tab import MapTab
        from digitpad.gui.tabs.train_tab import TrainTab

        self.draw_tab.add_chart()
        self._errors_tab = ErrorsTab(self.hub)
        self._train_tab = TrainTab(self.hub)
        self._inside_tab = InsideTab(self.hub)
        self._map_tab = MapTab(self.hub)
        current = self.tabs.currentIndex()
        for index, tab in enumerate((self._errors_tab, self._train_tab, self._inside_tab,
                                     self._map_tab), start=1):
            placeholder = self.tabs.widget(index)
            self.tabs.insertTab(index, tab, TAB_NAMES[index])
            self.tabs.removeTab(index + 1)
            placeholder.deleteLater()
        self.tabs.setCurrentIndex(current)
        self._errors_tab.send_to_pad.connect(self._on_send_to_pad)
        self.draw_tab.my_digits_requested.connect(self._on_my_digits_requested)
        self._errors_tab.evaluation_ready.connect(self._on_evaluation_ready)
        self._map_tab.open_test_image.connect(self._on_open_test_image)
        self.tabs.currentChanged.connect(self._on_tab_changed)
        for show in (self._inside_tab.show_explanation, self._map_tab.show_drawing):
            self.draw_tab.explained.connect(show)
            if self.draw_tab.explanation() is not None:  # explained before the tab was built
                show(self.draw_tab.explanation())
        # Start-up leaves Python a full collection owed: the tabs and the plotting library
        # made tens of thousands of lasting objects, and that collection fell due a few
        # seconds into the user's first drawing, in mid-stroke (measured: 70 ms on a busy
        # machine, 150 ms beside two CPU burners). Paid here instead, while the window is
        # busy building anyway (50 ms more on this 0.5 s step). It changes no setting of
        # the collector.
        gc.collect()

    # ----- menus -------------------------------------------------------------------------
    def _build_menus(self) -> None:
        file_menu = self.menuBar().addMenu("&File")
        self._add_action(file_menu, "&Open model…", QKeySequence.Open, self.open_model_dialog)
        self._add_action(file_menu, "&Models…", "Ctrl+M", self.show_models)
        self.recent_menu = file_menu.addMenu("R&ecent models")
        self.recent_menu.aboutToShow.connect(self._fill_recent_menu)
        self._add_action(file_menu, "Open model &folder", None, self.open_model_folder)
        file_menu.addSeparator()
        self._add_action(file_menu, "&Reset to shipped model", "Ctrl+Shift+R",
                         self.reset_to_shipped_model)
        self._add_action(file_menu, "&Export model…", "Ctrl+E", self.export_model_dialog)
        file_menu.addSeparator()
        # Spelled out: the platform's standard Quit key is empty on some (Windows, offscreen).
        self._add_action(file_menu, "&Quit", "Ctrl+Q", self.close)

        edit_menu = self.menuBar().addMenu("&Edit")
        self.undo_action = self._add_action(edit_menu, "&Undo stroke", QKeySequence.Undo,
                                            self.draw_tab.undo)
        self.redo_action = self._add_action(edit_menu, "&Redo stroke", "Ctrl+Shift+Z",
                                            self.draw_tab.redo)
        self.clear_action = self._add_action(edit_menu, "&Clear pad", "Esc",
                                             self.draw_tab.pad.clear)
        self.clear_action.setShortcuts([QKeySequence("Esc"), QKeySequence.Delete])
        # They edit the pad, so they work where the pad is shown and there is something to
        # undo, redo or clear; elsewhere Esc and Delete reach the focused widget.
        self.tabs.currentChanged.connect(self._refresh_edit_actions)
        self.draw_tab.pad.changed.connect(self._refresh_edit_actions)
        self._refresh_edit_actions()

        view_menu = self.menuBar().addMenu("&View")
        for index, name in enumerate(TAB_NAMES):
            # triggered(bool) passes ``checked`` first: it must not land on the tab's index.
            self._add_action(view_menu, f"&{name}", f"Ctrl+{index + 1}",
                             lambda _checked=False, i=index: self.tabs.setCurrentIndex(i))

        help_menu = self.menuBar().addMenu("&Help")
        self._add_action(help_menu, "&About digitpad", None, self.show_about)

    def _add_action(self, menu, text, shortcut, slot) -> QAction:
        action = QAction(text, self)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        action.triggered.connect(slot)
        menu.addAction(action)
        return action

    def _refresh_edit_actions(self) -> None:
        pad, on_pad = self.draw_tab.pad, self.tabs.currentWidget() is self.draw_tab
        self.undo_action.setEnabled(on_pad and pad.can_undo())
        self.redo_action.setEnabled(on_pad and pad.can_redo())
        self.clear_action.setEnabled(on_pad and not pad.is_empty())

    # ----- models ------------------------------------------------------------------------
    def open_model_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open model", str(self._model_folder()),
                                              "Keras models (*.keras)")
        if path:
            self.hub.load(path)

    def _model_folder(self) -> Path:
        """The folder trained models are saved to, created if need be (a dialog opened on
        a missing folder would start somewhere else)."""
        folder = paths.user_models_dir()
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError:  # not creatable here: the dialog says so when the user looks in
            pass
        return folder

    def show_models(self) -> None:
        """The Models window: every model in the model folder, from its card."""
        if self._models_dialog is None:
            from digitpad.gui.models_dialog import ModelsDialog
            self._models_dialog = ModelsDialog(self)
            self._models_dialog.model_chosen.connect(self.hub.load)
        self._models_dialog.show()
        self._models_dialog.raise_()

    def open_model_folder(self) -> None:
        from digitpad.gui.models_dialog import open_folder
        if not open_folder(paths.user_models_dir()):
            self.show_message("Could not open the model folder",
                              f"No file manager opened {paths.user_models_dir()}.")

    def _fill_recent_menu(self) -> None:
        self.recent_menu.clear()
        recent = recent_models(self.settings)
        for path in recent:
            exists = Path(path).is_file()
            action = self.recent_menu.addAction(path if exists else f"{path} (missing)")
            action.setEnabled(exists)
            action.triggered.connect(lambda _checked=False, p=path: self.hub.load(p))
        if not recent:
            self.recent_menu.addAction("No models opened yet").setEnabled(False)
        else:
            self.recent_menu.addSeparator()
            self.recent_menu.addAction("Clear recent models").triggered.connect(
                lambda: self.settings.remove(RECENT_MODELS_KEY))

    def show_about(self):
        """Help > About: the version, the active model and its path, the folders in use."""
        from digitpad.gui.about import AboutDialog, about_text
        dialog = AboutDialog(about_text(self.hub.active, self.hub.data.folder,
                                        self.settings.fileName()), self)
        dialog.setAttribute(Qt.WA_DeleteOnClose)
        dialog.open()
        return dialog

    def reset_to_shipped_model(self) -> None:
        self.hub.load(default_model_path())

    def export_model_dialog(self) -> None:
        from digitpad.gui.export_dialog import ask_export_target

        if self.hub.active is None:
            self.show_message("No model to export", "No model is loaded yet.")
            return
        chosen = ask_export_target(self, self.hub.active.path)
        if chosen is not None:
            self.export_model(*chosen)

    def export_model(self, out: str | Path, tflite_type: str = "float32"):
        """Export the active model to ``out`` in a process of its own; returns the dialog
        that shows its progress and outcome."""
        from digitpad.export.job import Request
        from digitpad.gui.export_dialog import ExportDialog

        active = self.hub.active
        dialog = ExportDialog(Request(active.path, Path(out), tflite_type, self.hub.data.folder),
                              active.name, self)
        dialog.start()
        return dialog

    def _show_status(self, text: str, timeout_ms: int = 0) -> None:
        """``text`` in the status bar, its middle elided where it would run into the model's
        name on the right (a model's path can be long; its file name stays)."""
        bar = self.statusBar()
        # The label's new text may be longer than its width, which the layout sets later;
        # it keeps its right edge, left of the size grip.
        label = max(self.model_label.width(), self.model_label.sizeHint().width())
        if self.model_label.isVisible():
            right = self.model_label.geometry().right() + 1
        else:  # not laid out yet: as far right as the size grip lets it
            right = bar.width() - bar.style().pixelMetric(QStyle.PM_SizeGripSize) - 2
        # Qt draws the message from x = 8 to 4 pixels left of the label; an average
        # character more keeps the two apart.
        room = right - label - 12 - bar.fontMetrics().averageCharWidth()
        bar.showMessage(bar.fontMetrics().elidedText(text, Qt.ElideMiddle, max(room, 0)),
                        timeout_ms)

    def _load_startup_model(self) -> None:
        last = read_setting(self.settings, "last_model", str, "")
        path = Path(last) if last else default_model_path()
        self._startup_path = path
        self.hub.load(path)

    def _on_model_changed(self, active: ActiveModel) -> None:
        self._startup_path = None
        self.model_label.setText(f"Model: {active.describe()}")
        where = f" ({active.path})" if active.path is not None else ""
        self.model_label.setToolTip(str(active.path or ""))
        self._show_status(f"Model ready: {active.name}{where}", 5000)
        if active.path is not None:
            self.settings.setValue("last_model", str(active.path))
            remember_recent_model(self.settings, str(active.path))

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
        self._show_status(text.splitlines()[0], 10000)
        box = QMessageBox(QMessageBox.Warning, title, text, QMessageBox.Ok, self)
        # The text names files and quotes errors: shown as it is, never as markup or links.
        box.setTextFormat(Qt.PlainText)
        box.setAttribute(Qt.WA_DeleteOnClose)
        box.open()
        return box

    def _on_tab_changed(self, index: int) -> None:
        # The Inside and Map tabs show the pad's drawing: explained only while one is open.
        shown = self.tabs.widget(index) in (self._inside_tab, self._map_tab)
        self.draw_tab.explain_always = shown
        if shown:
            self.draw_tab.explain_drawing()

    def _on_open_test_image(self, index: int) -> None:
        self._errors_tab.open_image(index)
        self.tabs.setCurrentWidget(self._errors_tab)

    def _on_my_digits_requested(self) -> None:
        self._errors_tab.show_dataset(MY_DIGITS)
        self.tabs.setCurrentWidget(self._errors_tab)

    def _on_send_to_pad(self, image28, name: str) -> None:
        self.draw_tab.show_sent_image(image28, name)
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
        if self._map_tab is not None:
            self._map_tab.maps.cancel()  # ends its layout process; the hub waits for its thread
        if self._models_dialog is not None:
            self._models_dialog.shutdown()
        from digitpad.gui.export_dialog import ExportDialog
        for dialog in self.findChildren(ExportDialog):
            dialog.cancel()  # an export under way writes nothing
        self.hub.shutdown()  # ends the training process too: a run in progress is dropped
        super().closeEvent(event)
