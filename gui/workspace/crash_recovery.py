"""Crash recovery at start: offer the work that crashed instances left behind.

Each instance autosaves to a recovery file of its own (:mod:`gui.workspace.autosave`); the files
whose process is gone are orphans. The functions here ask about them through the workspace
actions' dialogs and restore one into the document.
"""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path

from engine.errors import EngineError
from engine.workspace import load_workspace
from gui.workspace.autosave import claim, orphans


def offer_recovery(actions, wait: bool = False) -> bool:
    """At start: offer the work of crashed instances, newest first, one at a time.

    Only orphans (files whose process is gone, and the legacy name) are offered, never
    a running instance's. A declined file is removed; a restored one once its work is
    in this instance's own recovery file; one that cannot be restored is kept aside
    (``*.damaged``) so it is not offered again, and the next orphan is offered.

    The accepted file is read off the GUI thread (``actions.loader``: progress, Cancel);
    a Cancel puts it back under its orphan name, offered again at the next start, and
    leaves the document as it was. True if a restore started (``wait``: read here and
    now, True if something was restored).
    """
    for orphan in orphans(actions.autosaver.directory, actions.autosaver.pid):
        path = claim(orphan, actions.autosaver.pid)
        if path is None:  # another instance starting now took it
            continue
        when = datetime.fromtimestamp(path.stat().st_mtime).strftime("%Y-%m-%d %H:%M")
        if not actions.dialogs.ask_restore(actions.window, os.fspath(path), when):
            path.unlink(missing_ok=True)
            continue
        if not wait:
            _start_restore(actions, orphan, path)
            return True
        try:
            workspace = load_workspace(path)
        except (EngineError, OSError) as error:
            _put_aside(actions, orphan, path, f"The autosaved work cannot be restored: {error}")
            continue
        if _restore(actions, orphan, path, workspace):
            return True
    return False


def _start_restore(actions, orphan: Path, path: Path) -> None:
    def failed(message: str) -> None:
        _put_aside(actions, orphan, path, f"The autosaved work cannot be restored: {message}")
        offer_recovery(actions)  # the next orphan, if any

    def cancelled() -> None:
        try:  # nothing lost: offered again at the next start
            os.replace(path, orphan)
        except OSError:
            pass
        actions.document.notify("info", "Restoring the autosaved work cancelled")

    actions.loader.start(
        "Restoring the autosaved work…",
        lambda watch: _read(path, watch),
        lambda workspace: _restore(actions, orphan, path, workspace),
        failed,
        cancelled,
    )


def _read(path: Path, watch):
    try:
        return load_workspace(path, watch=watch)
    except OSError as error:
        raise EngineError(str(error.strerror or error)) from None


def _restore(actions, orphan: Path, path: Path, workspace) -> bool:
    if not actions.apply(workspace, "Restore autosaved work"):
        _put_aside(actions, orphan, path, "The autosaved work cannot be restored")
        return False
    original = workspace.metadata.get("path") or ""
    actions.path = Path(original) if original else None
    # Restored work is unsaved work: keep the mark until it is saved again.
    actions.document.undo_stack.resetClean()
    actions.update_title()
    # The file goes once its work is safe in this instance's own recovery file.
    actions.autosaver.hold(path)
    actions.autosaver.write_now()
    actions.document.notify("info", "Restored the autosaved work; save it to keep it")
    return True


def _put_aside(actions, orphan: Path, path: Path, text: str) -> None:
    """Keep a file that cannot be restored (nothing lost), out of the next start's way."""
    aside = orphan.with_suffix(".damaged")
    try:
        os.replace(path, aside)
    except OSError:
        aside = path
    actions.error(f"{text} (kept as {aside})")
