"""One look for every plot's axes: tick labels that never collide, in the application's font
size, following presentation mode.

``style_axes(x)`` takes a PlotWidget, a PlotItem or a GraphicsLayoutWidget (then every
PlotItem in it). Plots made with ``axisItems=spaced_axes()`` have
:class:`~gui.widgets.spaced_axis.SpacedAxis` axes: spacing from the labels' room, no two
labels touching, at least two along a horizontal axis when they fit. Tick labels, axis
titles and the plot title take the application font's size, and the axes make room for
them. The view listens for font changes (presentation mode sends ApplicationFontChange to
every widget) and styles its plots again, plots added since too.
"""

from __future__ import annotations

import pyqtgraph as pg  # noqa: I001 - PySide6 is imported first by the gui package
from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QFont, QFontMetrics
from PySide6.QtWidgets import QApplication

_FONT_EVENTS = (QEvent.Type.ApplicationFontChange, QEvent.Type.FontChange)
_WATCHED = "convscope_axes_styled"
_OWN_MINIMUM = "convscope_own_minimum"


def tick_font() -> QFont:
    """The font of tick labels: the application's (larger in presentation mode)."""
    app = QApplication.instance()
    return QFont(app.font()) if app is not None else QFont()


def style_axes(target) -> None:
    """Style the axes of ``target``'s plots now and whenever the application font changes."""
    view = target if isinstance(target, pg.GraphicsView) else None
    if isinstance(target, pg.PlotItem):
        _style_plot(target)
        views = target.scene().views() if target.scene() is not None else []
        view = views[0] if views else None
    elif view is not None:
        restyle_view(view)
    if view is not None and not view.property(_WATCHED):
        view.setProperty(_WATCHED, True)
        view.installEventFilter(_listener())


def restyle_view(view: pg.GraphicsView) -> None:
    """Style every PlotItem shown in ``view``."""
    scene = view.scene()
    if scene is None:
        return
    for item in scene.items():
        if isinstance(item, pg.PlotItem):
            _style_plot(item)
    if isinstance(view, pg.PlotWidget):
        fit_widget(view)


def fit_widget(widget: pg.PlotWidget) -> None:
    """At least the height the plot's axes and title need (the caller's own minimum kept):
    a squeezed plot clips its axis title and drops its tick labels. The width is left to the
    layouts: a wider minimum pushed the trainer's tabs off a 1280 px window."""
    own = widget.property(_OWN_MINIMUM)
    if own is None:
        own = widget.minimumHeight()
        widget.setProperty(_OWN_MINIMUM, own)
    plot = widget.getPlotItem()
    height = 2 * QFontMetrics(tick_font()).height()  # the data: at least two lines' height
    for name, entry in plot.axes.items():
        axis = entry["item"]
        if axis.isVisible() and name in ("top", "bottom"):
            height += axis.minimumHeight()
    if plot.titleLabel.isVisible() and plot.titleLabel.text:
        height += plot.titleLabel.itemRect().height()
    widget.setMinimumHeight(max(int(own), int(height)))


def _style_plot(plot: pg.PlotItem) -> None:
    font = tick_font()
    size = f"{font.pointSizeF():g}pt"
    for entry in plot.axes.values():
        _style_axis(entry["item"], font, size)
    title = plot.titleLabel
    if title.isVisible() and title.text:
        title.setText(title.text, size=size)
        _title_may_narrow(title)


def _style_axis(axis: pg.AxisItem, font: QFont, size: str) -> None:
    axis.setTickFont(font)
    if axis.labelStyle.get("font-size") != size:
        axis.labelStyle = {**axis.labelStyle, "font-size": size}
        axis._updateLabel()  # noqa: SLF001 - pyqtgraph's way to re-render the label
    metrics = QFontMetrics(font)
    if axis.orientation in ("top", "bottom"):
        # pyqtgraph measures a label's height as 0.8 of its bounding rect; room for that
        # now, not after a first paint that drops the labels which do not fit
        axis.textHeight = int(metrics.height() * 0.8) + 1
        axis._updateHeight()  # noqa: SLF001
    else:
        axis.textWidth = max(axis.textWidth, metrics.horizontalAdvance("0.0"))
        axis._updateWidth()  # noqa: SLF001
    axis.picture = None
    axis.update()


def _title_may_narrow(title: pg.LabelItem) -> None:
    """A long title (in presentation mode's size) made the plot wider than its view, which
    cut off the right end of the x axis and its last labels: the title asks for no width
    (it is centred and may be cut at its ends instead)."""
    if getattr(title, "_may_narrow", False):
        return
    measure = title.updateMin

    def update_min() -> None:
        measure()
        title.setMinimumWidth(0)
        height = title._sizeHint[Qt.SizeHint.MinimumSize][1]  # noqa: SLF001
        title._sizeHint[Qt.SizeHint.MinimumSize] = (0, height)  # noqa: SLF001
        title.updateGeometry()

    title.updateMin = update_min
    title._may_narrow = True
    update_min()


class _Listener(QObject):
    def eventFilter(self, watched, event):  # noqa: N802 - Qt's name
        if event.type() in _FONT_EVENTS and isinstance(watched, pg.GraphicsView):
            restyle_view(watched)
        return False


_the_listener: list[_Listener] = []


def _listener() -> _Listener:
    if not _the_listener:
        _the_listener.append(_Listener())
    return _the_listener[0]
