"""Undo commands for the document: one class that swaps whole pieces of state.

Every undoable edit of :class:`gui.state.document.Document` becomes a :class:`StateCommand` holding
the state before and after (``input``, ``spec``, ``weights`` — whichever the edit touches).
The document never mutates arrays in place, so before/after are cheap references, not copies.
Consecutive commands with the same ``merge_key`` merge into one undo step (a slider drag).
"""

from __future__ import annotations

import weakref
from collections.abc import Hashable
from typing import TYPE_CHECKING, Any

from PySide6.QtGui import QUndoCommand

if TYPE_CHECKING:  # pragma: no cover
    from gui.state.document import Document

# Qt only tries to merge commands whose id() is equal and not -1; the real test is the key.
_MERGEABLE_ID = 7301


class StateCommand(QUndoCommand):
    """Swap parts of the document's state.

    Parameters
    ----------
    document:
        The document to edit.
    before, after:
        Dicts with any of the keys ``"input"``, ``"spec"``, ``"weights"``.
    first_index:
        Index of the first layer the edit affects (0 when everything recomputes).
    text:
        The undo text shown in the Edit menu.
    merge_key:
        Hashable or None; equal keys on consecutive commands merge into one step.
    """

    def __init__(
        self,
        document: Document,
        before: dict[str, Any],
        after: dict[str, Any],
        first_index: int,
        text: str,
        merge_key: Hashable | None = None,
    ):
        super().__init__(text)
        # Weakly: the document owns its undo stack, which owns the commands. A strong
        # reference back made a cycle, and collecting it let the undo stack delete commands
        # the collector was tearing down (a segmentation fault in QUndoStack::clear).
        self._document = weakref.ref(document)
        self.before = before
        self.after = after
        self.first_index = first_index
        self.merge_key = merge_key

    def id(self) -> int:  # noqa: A003 - Qt's name
        return _MERGEABLE_ID if self.merge_key is not None else -1

    def mergeWith(self, other: QUndoCommand) -> bool:  # noqa: N802 - Qt's name
        if not isinstance(other, StateCommand) or other.merge_key != self.merge_key:
            return False
        if set(other.after) != set(self.after):
            return False
        self.after = other.after
        self.first_index = min(self.first_index, other.first_index)
        return True

    def redo(self) -> None:
        document = self._document()
        if document is not None:
            document._apply(self.after, self.first_index)

    def undo(self) -> None:
        document = self._document()
        if document is not None:
            document._apply(self.before, self.first_index)
