"""The one family of errors the engine raises.

Every invalid spec, call or file raises an :class:`EngineError` (a ``ValueError``) whose
message a person can act on: it names the layer (index and name) and the numbers, e.g.
``layer 3 'conv2': kernel 7 with dilation 2 spans 13 positions but the padded input has 9``.
Nothing else escapes the engine's public functions for bad input.
"""

from __future__ import annotations

MAX_MESSAGE_CHARS = 400  # engine.limits re-exports it: the one cap of every message


def short(text: str, limit: int = MAX_MESSAGE_CHARS) -> str:
    """``text`` cut to about ``limit`` characters (head ... tail), for error messages."""
    if len(text) <= limit:
        return text
    keep = limit - 40
    head, tail = text[: keep * 3 // 4], text[-(keep // 4) :]
    return f"{head} ... [{len(text) - keep:,} characters cut] ... {tail}"


class EngineError(ValueError):
    """Base of every error the engine raises for bad input.

    Parameters
    ----------
    message:
        What is wrong, with the numbers.
    layer_index, layer_name:
        The layer where it happened (0-based index in the network), when there is one;
        the message is then prefixed with ``layer {index+1} '{name}': ``.
    """

    def __init__(
        self, message: str, *, layer_index: int | None = None, layer_name: str | None = None
    ):
        self.detail = message
        self.layer_index = layer_index
        self.layer_name = layer_name
        super().__init__(short(self._compose()))  # short, however many values it quotes

    def _compose(self) -> str:
        if self.layer_name is None and self.layer_index is None:
            return self.detail
        where = "layer"
        if self.layer_index is not None:
            where += f" {self.layer_index + 1}"
        if self.layer_name is not None:
            where += f" '{self.layer_name}'"
        return f"{where}: {self.detail}"

    def at_layer(self, index: int, name: str) -> EngineError:
        """The same error, located at a layer (keeps the subclass)."""
        located = type(self).__new__(type(self))
        EngineError.__init__(located, self.detail, layer_index=index, layer_name=name)
        return located


class SpecError(EngineError):
    """A layer or network spec is malformed: unknown type, bad parameter, bad reference."""


class ShapeError(EngineError):
    """A layer cannot work on the shape it receives (kernel larger than input, ...)."""


class OpError(EngineError):
    """An operation in ``engine.ops`` / ``engine.reference`` was called with bad arguments."""


class FileFormatError(EngineError):
    """A file is damaged, from a newer version, or not ConvScope's; the message says where."""


class DataError(EngineError):
    """A data set or input file cannot be used; the message names the file."""


class DependencyError(EngineError):
    """A layer cannot run because a layer it reads cannot run (the message names that one)."""
