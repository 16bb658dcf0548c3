"""Which output channels an edit can change, and recomputing only those (exactly).

After an edit of one kernel, a convolution's output changes only in the output channels
whose kernel or bias changed (and, in a grouped convolution, those of the groups whose
input channels changed), and a channel-wise layer after it (ReLU, pooling, upsampling,
...) only in the channels its input changed. ``engine.network.forward`` uses these rules
with a previous trace: it records the changed channels per layer
(``Trace.changed_channels``) and runs the channel-wise layers on those channels alone.

The numbers stay exactly those of a full pass: a convolution is still computed whole
(the same call on the same arrays), and only operations whose every output value is one
exactly rounded function of its own channel (a maximum, a selection, one multiply or add
per step) are run on channel slices. Property tests check it bit for bit.
"""

from __future__ import annotations

import numpy as np
import torch

# Layer types whose output channel c depends on input channel c alone.
CHANNELWISE = frozenset({"activation", "max_pool", "avg_pool", "subsample", "upsample", "dropout"})
# Of those, the ones that give bit-identical values when run on a few channels: sigmoid
# and tanh are vectorised differently in torch's loop tails, so they run whole.
_EXACT_ON_SLICES = frozenset({"max_pool", "avg_pool", "subsample", "upsample"})
_EXACT_ACTIVATIONS = frozenset({"relu", "leaky_relu"})


def runs_on_slices(kind: str, params: dict) -> bool:
    """Whether a channel-wise layer may run on a subset of channels (exactly)."""
    if kind == "activation":
        return params["function"] in _EXACT_ACTIVATIONS
    return kind in _EXACT_ON_SLICES


def weight_channels(new: dict | None, old: dict | None) -> frozenset[int] | None:
    """Output channels (axis 0 of weight and bias) whose arrays differ; None if unknown."""
    if not new and not old:
        return frozenset()
    if not new or not old or new.keys() != old.keys():
        return None
    changed = np.zeros(0, dtype=bool)
    for key, array in new.items():
        before = old[key]
        if array is before:
            continue
        if np.shape(array) != np.shape(before) or np.ndim(array) < 1:
            return None
        a, b = np.asarray(array), np.asarray(before)
        differs = (a != b).reshape(a.shape[0], -1).any(axis=1)
        # NaN != NaN: a NaN weight that stays NaN still counts as changed (recomputed).
        changed = differs if changed.size == 0 else changed | differs
    return frozenset(np.flatnonzero(changed).tolist())


def conv_channels(
    input_changed: frozenset[int],
    weights_changed: frozenset[int],
    groups: int,
    c_in: int,
    c_out: int,
) -> frozenset[int] | None:
    """A convolution's changed output channels, or None when that is all of them."""
    out = set(weights_changed)
    if input_changed:
        per_in, per_out = c_in // groups, c_out // groups
        for g in {c // per_in for c in input_changed}:
            out.update(range(g * per_out, (g + 1) * per_out))
    return None if len(out) >= c_out else frozenset(out)


def channel_index(channels: frozenset[int]) -> slice | list[int]:
    """An index for ``channels`` along axis 0: a slice (a view) when they are consecutive."""
    ordered = sorted(channels)
    if ordered and ordered[-1] - ordered[0] + 1 == len(ordered):
        return slice(ordered[0], ordered[-1] + 1)
    return ordered


def splice(previous: np.ndarray, part: np.ndarray, index: slice | list[int]) -> np.ndarray:
    """A copy of ``previous`` with the channels at ``index`` replaced by ``part``.

    Copied by torch, which lets go of the GIL: a numpy copy of a big output (64 MB at
    1024x1024, page-faulting fresh memory) held it for tens of milliseconds and stalled
    the GUI thread (measured: 32-83 ms gaps).
    """
    if not (previous.flags.writeable and previous.flags.c_contiguous):
        previous = np.ascontiguousarray(previous).copy()  # torch cannot share it
        previous[index] = part
        return previous
    out = torch.from_numpy(previous).clone()
    out[index] = torch.from_numpy(np.ascontiguousarray(part))
    return out.numpy()
