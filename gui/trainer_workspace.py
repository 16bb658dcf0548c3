"""The last training run's curves travel with the workspace.

When a run ends, its curves go into the workspace's extras (saved with it); when a
workspace with such extras is opened, the trainer shows them again. The trained weights
need nothing here: "Use in lab" puts them into the document, which the workspace saves.
"""

from __future__ import annotations

from PySide6.QtCore import QTimer

EXTRAS_KEY = "training_curves"


def carry_curves(window, panel) -> None:
    """Connect ``panel`` (a TrainerPanel) to ``window.workspace_actions`` once it exists
    (the workspace is installed after the trainer)."""

    def actions():
        return getattr(window, "workspace_actions", None)

    def store(_results) -> None:
        workspace = actions()
        if workspace is not None:
            workspace.extras[EXTRAS_KEY] = panel.curves.saved()

    def restore(*_args) -> None:
        workspace = actions()
        if workspace is None or EXTRAS_KEY not in workspace.extras:
            return
        if not panel.curves.restore(workspace.extras[EXTRAS_KEY]):
            window.document.message.emit(
                "warning", "The workspace's training curves are damaged; they are not shown."
            )

    def bind() -> None:
        workspace = actions()
        if workspace is not None:
            workspace.opened.connect(restore)
            restore()  # a workspace opened while the window was made

    panel.worker.finished.connect(store)
    QTimer.singleShot(0, panel, bind)
