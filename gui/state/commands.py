"""Undo commands for the document: one class that swaps whole pieces of state.

Every undoable edit of :class:`gui.state.document.Document` becomes a :class:`StateCommand` holding
the state before and after (``input``, ``spec``, ``weights`` — whichever the edit touches) and
the function that installs a state. The document never mutates arrays in place, so before/after
are cheap references, not copies.

Consecutive edits with the same ``merge_key`` (a slider drag, a brush stroke) are one undo step.
The document merges them itself, by extending the last command (:meth:`StateCommand.extend`),
rather than pushing a command for Qt to merge: every command PySide hands to Qt stays alive with
its arrays after Qt merges and deletes it (a 400-move stroke kept 373 commands and 93 MB).
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from typing import Any

from PySide6.QtGui import QUndoCommand

# install(state, first_index): puts a state in place and announces what changed.
Install = Callable[[dict[str, Any], int], None]


class StateCommand(QUndoCommand):
    """Swap parts of the document's state.

    Parameters
    ----------
    install:
        A bound method ``install(state, first_index)``; held weakly (the document owns its undo
        stack, which owns the commands: a strong reference back made a cycle whose collection
        let the undo stack delete commands the collector was tearing down, a segfault).
    before, after:
        Dicts with any of the keys ``"input"``, ``"spec"``, ``"weights"``.
    first_index:
        Index of the first layer the edit affects (0 when everything recomputes).
    text:
        The undo text shown in the Edit menu.
    merge_key:
        Hashable or None; the document extends this command with later edits of the same key.
    """

    def __init__(
        self,
        install: Install,
        before: dict[str, Any],
        after: dict[str, Any],
        first_index: int,
        text: str,
        merge_key: Any = None,
    ):
        super().__init__(text)
        self._install = weakref.WeakMethod(install)
        self.before = before
        self.after = after
        self.first_index = first_index
        self.merge_key = merge_key

    def accepts(self, merge_key: Any, after: dict[str, Any]) -> bool:
        """Whether an edit with this key and these parts belongs to this step."""
        same_key = merge_key is not None and merge_key == self.merge_key
        return same_key and set(after) == set(self.after)

    def extend(self, after: dict[str, Any], first_index: int) -> None:
        """Make this step end where the later edit ends (its ``before`` stays)."""
        self.after = after
        self.first_index = min(self.first_index, first_index)

    def redo(self) -> None:
        install = self._install()
        if install is not None:
            install(self.after, self.first_index)

    def undo(self) -> None:
        install = self._install()
        if install is not None:
            install(self.before, self.first_index)
