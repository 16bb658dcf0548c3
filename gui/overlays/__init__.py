"""Task overlays on the input: a segmenter's mask, a detector's boxes (engine.overlays)."""

from gui.overlays.task_overlay import TaskOverlay, install_overlays

__all__ = ["TaskOverlay", "install_overlays"]
