"""Which layer maps the reader can see, and which ones they zoomed into.

The maps view shows every layer in a scrolling column; the compute scheduler only needs to
draw the maps in (or near) view, and draws a zoomed map at full resolution. This object
watches the scroll area and the layer maps and tells the scheduler both sets.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, QTimer
from PySide6.QtWidgets import QScrollArea

from gui.compute.scheduler import ComputeScheduler
from gui.lab.maps.layer_map import LayerMap

NEAR = 0.5  # maps within half a viewport above or below count as in view (no blank scroll)


class MapVisibility(QObject):
    """Keeps ``scheduler``'s visible and full-resolution layers in step with the view."""

    def __init__(self, scroll: QScrollArea, scheduler: ComputeScheduler, parent=None):
        super().__init__(parent)
        self._scroll = scroll
        self._scheduler = scheduler
        self._maps: dict[str, LayerMap] = {}
        self._zoomed: set[str] = set()
        # Geometry settles after layouts run: look once the event loop is back.
        self._timer = QTimer(self, singleShot=True, interval=0)
        self._timer.timeout.connect(self.update_visible)
        scroll.verticalScrollBar().valueChanged.connect(self.update_visible)

    def set_maps(self, maps: dict[str, LayerMap]) -> None:
        """The current layer maps (after the column was rebuilt)."""
        self._maps = maps
        for name, widget in maps.items():
            widget.zoomChanged.connect(lambda on, n=name, w=widget: self._zoom(n, w, on))
        self._zoomed &= set(maps)
        self._scheduler.set_full_resolution(frozenset(self._zoomed))
        self.schedule()

    def schedule(self) -> None:
        """Look again soon (after a resize or a layout change)."""
        self._timer.start()

    def visible_layers(self) -> frozenset[str] | None:
        """Layers in or near view; None when the view is not shown (then draw them all)."""
        viewport = self._scroll.viewport()
        if not viewport.isVisible() or not self._maps:
            return None
        height = viewport.height()
        top = self._scroll.verticalScrollBar().value() - NEAR * height
        bottom = top + (1 + 2 * NEAR) * height
        return frozenset(
            name
            for name, widget in self._maps.items()
            if widget.geometry().bottom() >= top and widget.geometry().top() <= bottom
        )

    def update_visible(self) -> None:
        self._scheduler.set_visible_layers(self.visible_layers())

    def _zoom(self, name: str, widget: LayerMap, zoomed: bool) -> None:
        if self._maps.get(name) is not widget:
            return  # a map of an earlier column
        if zoomed:
            self._zoomed.add(name)
        else:
            self._zoomed.discard(name)
        self._scheduler.set_full_resolution(frozenset(self._zoomed))
