"""Lessons: scenes of saved states, built in the Lessons dock and presented with
PageDown/PageUp (the scenes: :mod:`engine.lessons`, stored in the workspace file)."""

from gui.lessons.lesson_panel import LessonPanel, install_lessons

__all__ = ["LessonPanel", "install_lessons"]
