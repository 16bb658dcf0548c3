"""What one pass of a network costs, and the budget ConvScope computes interactively.

Every array of a network is within its own limit (``engine.layers.MAX_VALUES``), yet a whole
pass can still be far too much: two 4096-channel 3x3 convolutions on 256x256 are about
10^13 multiply-adds; a 2048x2048 input upsampled x4 keeps gigabytes of layer outputs. So a
pass is bounded as a whole: :func:`check_budget` adds up the multiply-adds and the bytes of
every layer's output (both counted by the engine's shape walk, without computing anything)
and refuses, with :class:`BudgetError`, a network over :data:`MAX_PASS_MACS` or
:data:`MAX_PASS_BYTES`. ``engine.network.forward`` (the lab's pass), ``export`` and ``train``
check it before they start.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from .errors import EngineError
from .graph import Node, check_input_shape, plan, walk
from .spec import NetworkSpec

MAX_PASS_MACS = 20_000_000_000  # ~ a few seconds of one pass on a 2-core laptop
MAX_PASS_BYTES = 1 << 30  # float32 layer outputs kept by one pass (the trace keeps them all)


class BudgetError(EngineError):
    """A network (or a training step) costs more than ConvScope computes interactively."""


@dataclass(frozen=True)
class Cost:
    macs: int
    activation_bytes: int


def pass_cost(spec: NetworkSpec, input_shape=None, *, nodes: list[Node] | None = None) -> Cost:
    """Multiply-adds and bytes of layer outputs of one pass on one input (layers that cannot
    run count nothing: their error is reported where they are)."""
    shape = check_input_shape(spec.input_shape if input_shape is None else input_shape)
    macs = 0
    values = math.prod(shape)
    for _, info in walk(shape, plan(spec) if nodes is None else nodes):
        if info.error is None:
            macs += info.macs
            values += math.prod(info.out_shape)
    return Cost(macs, 4 * values)


def check_budget(
    spec: NetworkSpec,
    input_shape=None,
    *,
    batch: int = 1,
    passes: int = 1,
    what: str = "one pass",
    nodes: list[Node] | None = None,
) -> Cost:
    """The cost of ``passes`` passes over ``batch`` inputs; BudgetError when over budget.

    Training counts ``passes=3`` (forward and backward) over a batch. The last network that
    fitted is remembered (specs are immutable), so the lab's repeated passes over one
    network, e.g. while a kernel is edited, are not walked again.
    """
    global _last_fit
    key = (spec, tuple(spec.input_shape if input_shape is None else input_shape), batch, passes)
    if _last_fit is not None and _last_fit[0][0] is spec and _last_fit[0][1:] == key[1:]:
        return _last_fit[1]
    cost = pass_cost(spec, input_shape, nodes=nodes)
    macs = cost.macs * batch * passes
    held = cost.activation_bytes * batch
    if macs > MAX_PASS_MACS:
        raise BudgetError(
            f"{what} of this network needs about {macs:.2g} multiply-adds; ConvScope computes "
            f"at most {MAX_PASS_MACS:.0e} interactively (make it smaller: fewer channels, a "
            "smaller input or a stride)"
        )
    if held > MAX_PASS_BYTES:
        raise BudgetError(
            f"{what} of this network keeps {held / 2**20:,.0f} MiB of layer outputs; ConvScope "
            f"keeps at most {MAX_PASS_BYTES / 2**20:,.0f} MiB (use a smaller input or fewer "
            "channels)"
        )
    _last_fit = (key, cost)
    return cost


_last_fit: tuple | None = None
