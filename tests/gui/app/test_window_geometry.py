"""The first window fits the screen's available geometry and remembers where it was.

Every test uses its own QSettings file (tmp_path), never the user's settings.
"""

from PySide6.QtCore import QRect, QSettings
from PySide6.QtWidgets import QMainWindow

from gui.app.window_geometry import (
    KEY,
    first_geometry,
    fit_frame,
    fit_size,
    place_window,
    remember_geometry,
    save_geometry,
    saved_geometry,
)

LAPTOP = QRect(0, 0, 1280, 800 - 32)  # a 1280x800 screen less a 32 px panel
DESKTOP = QRect(0, 27, 1920, 1080 - 27)


def _inside(rect: QRect, available: QRect) -> bool:
    return available.contains(rect)


def test_first_window_fits_the_available_geometry_of_small_and_large_screens():
    for available in (LAPTOP, DESKTOP, QRect(1920, 0, 1366, 728)):
        rect = first_geometry(available)
        assert _inside(rect, available), (available, rect)
        # most of the screen, not a postage stamp
        assert rect.width() >= 0.85 * available.width()
        assert rect.height() >= 0.8 * available.height()
        # room left for a title bar above the client area
        assert rect.y() - available.y() >= 30


def test_a_saved_geometry_larger_than_the_screen_is_shrunk_and_moved_inside():
    rect = first_geometry(LAPTOP, QRect(-500, 900, 1920, 1080))
    assert _inside(rect, LAPTOP)
    assert rect.width() < 1280 and rect.height() < 768


def test_a_saved_geometry_that_fits_comes_back_unchanged():
    saved = QRect(100, 120, 900, 600)
    assert first_geometry(DESKTOP, saved) == saved


def test_size_and_position_are_remembered_between_runs(qtbot, tmp_path):
    settings = QSettings(str(tmp_path / "geometry.ini"), QSettings.Format.IniFormat)
    window = QMainWindow()
    qtbot.addWidget(window)
    remember_geometry(window, settings)
    available = window.screen().availableGeometry()
    assert _inside(window.geometry(), available)
    window.show()
    window.setGeometry(QRect(available.x() + 50, available.y() + 60, 700, 500))
    window.close()
    # a second run reads the same file
    again = QSettings(str(tmp_path / "geometry.ini"), QSettings.Format.IniFormat)
    assert saved_geometry(again) == QRect(available.x() + 50, available.y() + 60, 700, 500)
    second = QMainWindow()
    qtbot.addWidget(second)
    assert place_window(second, again) == QRect(available.x() + 50, available.y() + 60, 700, 500)
    assert second.geometry() == QRect(available.x() + 50, available.y() + 60, 700, 500)


def test_a_damaged_settings_entry_gives_the_default(qtbot, tmp_path):
    settings = QSettings(str(tmp_path / "bad.ini"), QSettings.Format.IniFormat)
    settings.setValue(KEY, "not,a,rect")
    assert saved_geometry(settings) is None
    window = QMainWindow()
    qtbot.addWidget(window)
    place_window(window, settings)
    assert _inside(window.geometry(), window.screen().availableGeometry())


def test_an_asked_size_larger_than_the_screen_is_not_granted(qtbot):
    window = QMainWindow()
    qtbot.addWidget(window)
    available = window.screen().availableGeometry()
    fit_size(window, available.width() + 500, available.height() + 500)
    assert _inside(window.geometry(), available)


def test_a_window_whose_frame_leaves_the_screen_is_pulled_back(qtbot):
    window = QMainWindow()
    qtbot.addWidget(window)
    available = window.screen().availableGeometry()
    window.setGeometry(available.adjusted(-20, -20, 200, 200))
    window.show()
    fit_frame(window)
    assert _inside(window.frameGeometry(), available)
    window.close()


def test_save_keeps_the_normal_rectangle_of_a_maximized_window(qtbot, tmp_path):
    settings = QSettings(str(tmp_path / "m.ini"), QSettings.Format.IniFormat)
    window = QMainWindow()
    qtbot.addWidget(window)
    window.setGeometry(QRect(10, 40, 800, 600))
    save_geometry(window, settings)
    assert saved_geometry(settings) == QRect(10, 40, 800, 600)


def test_the_application_is_named_convscope_for_its_settings_and_recovery_folder(qtbot):
    from PySide6.QtCore import QCoreApplication, QStandardPaths

    from gui.app.launch import app_version, name_application

    app = QCoreApplication.instance()
    saved = app.applicationName(), app.organizationName(), app.applicationVersion()
    try:
        name_application(app)
        folder = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.AppDataLocation)
        assert folder.endswith("ConvScope/ConvScope") and "app.py" not in folder
        assert app.applicationVersion() == app_version() != "unknown"
    finally:
        app.setApplicationName(saved[0])
        app.setOrganizationName(saved[1])
        app.setApplicationVersion(saved[2])
