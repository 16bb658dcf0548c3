"""Fast operations: torch.nn.functional behind numpy in, numpy out.

Every function has torch.nn.functional's name, argument names, order and meaning, and the
same signature as its twin in :mod:`engine.reference` (the book's formulas in numpy); tests
keep the two equal. Inputs are float32 or float64 numpy arrays shaped (C, L) or (C, H, W),
optionally with a leading batch axis; results have the input's dtype and batch layout.
Weights and biases are cast to the input's dtype.

This is the live path: arrays go to torch without copying (``torch.from_numpy``) and come
back with ``.numpy()``; no Python loops over positions. Bad calls raise
:class:`~engine.errors.OpError` naming the numbers, before torch sees them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

import numpy as np
import torch
import torch.nn.functional as F

from . import _args as A
from .errors import OpError

__all__ = [
    "conv1d", "conv2d", "conv_transpose1d", "conv_transpose2d",
    "max_pool1d", "max_pool2d", "avg_pool1d", "avg_pool2d",
    "max_unpool1d", "max_unpool2d", "global_avg_pool",
    "subsample1d", "subsample2d", "upsample",
    "linear", "flatten", "dropout", "dropout_mask",
    "relu", "leaky_relu", "sigmoid", "tanh",
]  # fmt: skip

_TORCH_PAD_MODE = {
    "zeros": "constant",
    "reflect": "reflect",
    "replicate": "replicate",
    "circular": "circular",
}


def _t(a: np.ndarray) -> torch.Tensor:
    """A tensor sharing ``a``'s memory (a copy only when torch cannot share it)."""
    if not a.flags.writeable:
        a = np.array(a)  # torch warns on read-only memory; a private copy is safe
    if not a.flags.c_contiguous or any(s < 0 for s in a.strides):
        # numpy calls an axis of size 1 contiguous whatever its stride, torch refuses a
        # negative one (e.g. a flipped 1-tap kernel): a copy makes every stride positive
        a = np.array(a, order="C")
    return torch.from_numpy(a)


@contextmanager
def _torch_errors(name: str) -> Iterator[None]:
    """Last resort: arguments are checked first, but a torch error must never escape."""
    try:
        with torch.inference_mode():
            yield
    except RuntimeError as error:
        raise OpError(f"{name}: {error}") from None


def _flat_pads(pads: A.Pads) -> list[int]:
    """Per-axis (before, after) pairs in F.pad's order: last axis first."""
    return [p for pair in reversed(pads) for p in pair]


# --------------------------------------------------------------------------- convolution


def _conv(a: A.ConvArgs, fn: Callable, flip: bool, spatial: int, name: str) -> np.ndarray:
    with _torch_errors(name):
        x, w = _t(a.x), _t(a.weight)
        b = None if a.bias is None else _t(a.bias)
        if flip:
            w = w.flip(dims=tuple(range(2, 2 + spatial)))
        padding: tuple[int, ...] | int = 0
        if any(p for pair in a.pads for p in pair):
            if a.mode == "zeros" and all(p0 == p1 for p0, p1 in a.pads):
                padding = tuple(p0 for p0, _ in a.pads)  # let the kernel pad: no copy
            else:
                x = F.pad(x, _flat_pads(a.pads), mode=_TORCH_PAD_MODE[a.mode])
        y = fn(x, w, b, a.stride, padding, a.dilation, a.groups)
        return A.unbatch(y.numpy(), a.was_batched)


def conv1d(
    input,
    weight,
    bias=None,
    stride=1,
    padding=0,
    dilation=1,
    groups=1,
    padding_mode="zeros",
    flip=False,
) -> np.ndarray:
    """1D cross-correlation z_i = b + sum_j w_j x[i*S + j*D - P] (the book's "convolution").

    ``padding`` is an int, ``'valid'`` (0) or ``'same'`` (output length = input length;
    stride 1 only). 'same' pads D*(K-1) in total; when that is odd (an even kernel) the extra
    position goes on the right, as torch does. ``padding_mode`` fills the border with zeros,
    a mirror image without the edge (``reflect``), copies of the edge (``replicate``) or the
    other end of the signal (``circular``). ``flip=True`` computes true convolution
    z_i = b + sum_j w_(K-1-j) x[i*S + j*D - P]: the kernel reversed, which differs from
    cross-correlation whenever the kernel is not symmetric.
    """
    a = A.ConvArgs(input, weight, bias, stride, padding, dilation, groups, padding_mode, 1)
    return _conv(a, F.conv1d, flip, 1, "conv1d")


def conv2d(
    input,
    weight,
    bias=None,
    stride=1,
    padding=0,
    dilation=1,
    groups=1,
    padding_mode="zeros",
    flip=False,
) -> np.ndarray:
    """2D cross-correlation z_ij = b + sum_mn w_mn x[i*S + m*D - P, j*S + n*D - P].

    Arguments as :func:`conv1d`, per axis; 'same' with an even kernel puts the extra row at
    the bottom and the extra column on the right. ``flip=True`` turns the kernel by 180
    degrees (true convolution).
    """
    a = A.ConvArgs(input, weight, bias, stride, padding, dilation, groups, padding_mode, 2)
    return _conv(a, F.conv2d, flip, 2, "conv2d")


def _conv_t(a: A.TransposeArgs, fn: Callable, name: str) -> np.ndarray:
    with _torch_errors(name):
        b = None if a.bias is None else _t(a.bias)
        y = fn(
            _t(a.x), _t(a.weight), b, a.stride, a.padding, a.output_padding, a.groups, a.dilation
        )
        return A.unbatch(y.numpy(), a.was_batched)


def conv_transpose1d(
    input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1
) -> np.ndarray:
    """Transposed convolution: each input position i adds x_i * w at i*S + j*D - P.

    ``weight`` is (C_in, C_out/groups, K). Output length
    (L - 1)*S - 2P + D*(K - 1) + output_padding + 1; ``output_padding`` adds positions on
    the right and must be smaller than the stride or the dilation.
    """
    a = A.TransposeArgs(input, weight, bias, stride, padding, output_padding, groups, dilation, 1)
    return _conv_t(a, F.conv_transpose1d, "conv_transpose1d")


def conv_transpose2d(
    input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1
) -> np.ndarray:
    """2D transposed convolution; arguments as :func:`conv_transpose1d`, per axis."""
    a = A.TransposeArgs(input, weight, bias, stride, padding, output_padding, groups, dilation, 2)
    return _conv_t(a, F.conv_transpose2d, "conv_transpose2d")


# --------------------------------------------------------------------------- pooling


WINDOW_MAX_LIMIT = 64  # largest window the strided-view maximum handles (else torch's pool)


def _window_max(x: torch.Tensor, a: A.PoolArgs) -> torch.Tensor:
    """Max pool as a running maximum over the window's strided views of ``x``.

    The same values as F.max_pool (a maximum is exact; NaN wins in both) at a fraction of
    the time: torch's CPU max pool computes indices even when they are not returned.
    Padding is -inf, which never wins (every window holds at least one real position).
    """
    if any(a.padding):
        x = F.pad(x, [p for p in reversed(a.padding) for _ in (0, 1)], value=float("-inf"))
    # Separable: a window's maximum is the maximum over its columns of the maxima over its
    # rows (K_h + K_w views instead of K_h * K_w; the first pass reads whole rows).
    spatial = len(a.kernel)
    for axis, (k, s, n) in enumerate(zip(a.kernel, a.stride, a.out_spatial, strict=True)):
        dim = x.ndim - spatial + axis
        views = []
        for o in range(k):
            view = x.narrow(dim, o, s * (n - 1) + 1)
            if s > 1:
                view = view[(slice(None),) * dim + (slice(None, None, s),)]
            views.append(view)
        # The first maximum makes the output (no copy of the first view beforehand).
        out = views[0].clone() if k == 1 else torch.maximum(views[0], views[1])
        for view in views[2:]:
            torch.maximum(out, view, out=out)
        x = out
    return x


def _max_pool(a: A.PoolArgs, fn: Callable, return_indices: bool, name: str):
    with _torch_errors(name):
        x = _t(a.x)
        if not return_indices and int(np.prod(a.kernel)) <= WINDOW_MAX_LIMIT:
            return A.unbatch(_window_max(x, a).numpy(), a.was_batched)
        y, idx = fn(x, a.kernel, a.stride, a.padding, return_indices=True)
        y = A.unbatch(y.numpy(), a.was_batched)
        if return_indices:
            return y, A.unbatch(idx.numpy(), a.was_batched)
        return y


def max_pool1d(input, kernel_size, stride=None, padding=0, *, return_indices=False):
    """Maximum over each window of ``kernel_size`` positions, moved by ``stride``.

    ``stride`` defaults to the window; ``padding`` (at most half the window) never wins.
    Output length floor((L + 2P - K) / S) + 1. With ``return_indices`` also returns, as
    int64, where each maximum came from (torch's convention: the position in the input;
    the first position wins a tie).
    """
    a = A.PoolArgs(input, kernel_size, stride, padding, 1)
    return _max_pool(a, F.max_pool1d, return_indices, "max_pool1d")


def max_pool2d(input, kernel_size, stride=None, padding=0, *, return_indices=False):
    """2D max pool; indices are flat positions h*W + w in each channel's input plane."""
    a = A.PoolArgs(input, kernel_size, stride, padding, 2)
    return _max_pool(a, F.max_pool2d, return_indices, "max_pool2d")


def avg_pool1d(input, kernel_size, stride=None, padding=0, *, count_include_pad=True) -> np.ndarray:
    """Mean over each window. Padding counts as zeros unless ``count_include_pad`` is False
    (then each mean is over the window's real positions only)."""
    a = A.PoolArgs(input, kernel_size, stride, padding, 1)
    with _torch_errors("avg_pool1d"):
        y = F.avg_pool1d(
            _t(a.x), a.kernel, a.stride, a.padding, count_include_pad=count_include_pad
        )
        return A.unbatch(y.numpy(), a.was_batched)


def avg_pool2d(input, kernel_size, stride=None, padding=0, *, count_include_pad=True) -> np.ndarray:
    """2D mean pool; arguments as :func:`avg_pool1d`, per axis."""
    a = A.PoolArgs(input, kernel_size, stride, padding, 2)
    with _torch_errors("avg_pool2d"):
        y = F.avg_pool2d(
            _t(a.x), a.kernel, a.stride, a.padding, count_include_pad=count_include_pad
        )
        return A.unbatch(y.numpy(), a.was_batched)


def _unpool(
    input, indices, kernel_size, stride, padding, output_size, spatial: int, fn: Callable, name: str
) -> np.ndarray:
    x = A.float_array(input)
    xb, was_batched = A.batched(x, spatial)
    kernel, stride_, pad = A.pool_window(kernel_size, stride, padding, spatial)
    out = A.unpool_size(
        tuple(x.shape[-spatial:]), kernel, stride_, pad, output_size, tuple(x.shape[:-spatial])
    )
    idx = A.check_indices(indices, x.shape, out)
    idx = idx if was_batched else idx[None]
    with _torch_errors(name):
        y = fn(_t(xb), _t(idx), kernel, stride_, pad, output_size=out)
        return A.unbatch(y.numpy(), was_batched)


def max_unpool1d(
    input, indices, kernel_size, stride=None, padding=0, output_size=None
) -> np.ndarray:
    """Puts each value back at the position its max pool took it from; zeros elsewhere.

    Output length (L - 1)*S - 2P + K unless ``output_size`` says otherwise (it must lie
    strictly within S of that, e.g. to restore an odd length the pool rounded down).
    """
    return _unpool(
        input, indices, kernel_size, stride, padding, output_size, 1, F.max_unpool1d, "max_unpool1d"
    )


def max_unpool2d(
    input, indices, kernel_size, stride=None, padding=0, output_size=None
) -> np.ndarray:
    """2D max unpool; arguments as :func:`max_unpool1d`, per axis."""
    return _unpool(
        input, indices, kernel_size, stride, padding, output_size, 2, F.max_unpool2d, "max_unpool2d"
    )


def global_avg_pool(input, spatial_dims: int) -> np.ndarray:
    """The mean of each channel: (C, *spatial) -> (C,), (N, C, *spatial) -> (N, C).

    ``spatial_dims`` (1 or 2) says how many trailing axes are spatial, since a 3-axis
    input could be (N, C, L) or (C, H, W).
    """
    n = A.check_spatial_dims(spatial_dims)
    x, was_batched = A.batched(A.float_array(input), n)
    with _torch_errors("global_avg_pool"):
        y = _t(x).mean(dim=tuple(range(2, 2 + n)))
        return A.unbatch(y.numpy(), was_batched)


# --------------------------------------------------------------------------- resampling


def subsample1d(input, factor) -> np.ndarray:
    """Keeps positions 0, f, 2f, ... (the book's "sample every other position" for f = 2).

    Output length ceil(L / f).
    """
    f = A.whole(factor, "factor", 1)
    x, was_batched = A.batched(A.float_array(input), 1)
    return A.unbatch(np.ascontiguousarray(x[:, :, ::f]), was_batched)


def subsample2d(input, factor) -> np.ndarray:
    """Keeps every f-th row and column, starting with the first."""
    f = A.whole(factor, "factor", 1)
    x, was_batched = A.batched(A.float_array(input), 2)
    return A.unbatch(np.ascontiguousarray(x[:, :, ::f, ::f]), was_batched)


def upsample(input, scale_factor, mode="nearest", *, spatial_dims=None) -> np.ndarray:
    """Upsampling by a whole ``scale_factor`` (an int or one per axis).

    ``'nearest'`` duplicates each position ``scale_factor`` times (the book's "duplicate");
    ``'linear'`` (1D) and ``'bilinear'`` (2D) interpolate with torch's ``align_corners=False``:
    output position i reads the input at (i + 0.5) / s - 0.5, clamped to the edges.
    A 3-axis input is ambiguous for 'nearest' ((N, C, L) or (C, H, W)): pass
    ``spatial_dims``. 'nearest' is computed as exact duplication: torch's float32 nearest
    rounds wrongly for some factors (41, 47, ...), float64 and the duplicate agree.
    """
    x = A.float_array(input)
    n = A.upsample_dims(x.ndim, mode, spatial_dims)
    xb, was_batched = A.batched(x, n)
    scale = A.upsample_scale(xb, scale_factor, n)
    with _torch_errors("upsample"):
        t = _t(xb)
        if mode == "nearest":
            for axis, s in enumerate(scale):
                if s > 1:
                    t = t.repeat_interleave(s, dim=2 + axis)
        else:
            for axis, s in enumerate(scale):
                if s > 1:
                    t = _interpolate_axis(t, s, t.ndim - n + axis)
        return A.unbatch(t.numpy(), was_batched)


def _interpolate_axis(x: torch.Tensor, s: int, dim: int) -> torch.Tensor:
    """Linear interpolation by a whole factor ``s`` along ``dim`` (align_corners=False).

    Bilinear is separable, and with a whole factor the output's phases are fixed blends of
    neighbours: phase k of output position j*s + k reads the input at j + d, d = (k + 0.5)/s
    - 0.5, i.e. lerp(x[j], x[j+1], d) for d >= 0 and lerp(x[j], x[j-1], -d) for d < 0, the
    edges clamped (torch clamps a source before 0 to 0, and after the end to the end). The
    same numbers as F.interpolate up to float rounding (tested), about twice as fast: torch's
    CPU kernel for (N, C, H, W) is a generic 2D one. The first axis done is H, whole rows.
    """
    length = x.shape[dim]
    shape = list(x.shape)
    shape[dim] = length * s
    out = x.new_empty(shape)
    index = (slice(None),) * dim
    for k in range(s):
        d = (k + 0.5) / s - 0.5
        phase = out[(*index, slice(k, None, s))]
        inner, edge = (0, length - 1) if d >= 0 else (1, 0)
        if length > 1:
            near, far = x.narrow(dim, inner, length - 1), x.narrow(dim, 1 - inner, length - 1)
            torch.lerp(near, far, abs(d), out=phase.narrow(dim, inner, length - 1))
        phase.narrow(dim, edge, 1).copy_(x.narrow(dim, edge, 1))
    return out


# --------------------------------------------------------------------------- dense layers


def linear(input, weight, bias=None) -> np.ndarray:
    """y = W x + b for x (D_in,) or (N, D_in) (any leading axes); W is (D_out, D_in)."""
    x, w, b = A.linear_args(input, weight, bias)
    with _torch_errors("linear"):
        y = F.linear(_t(x), _t(w), None if b is None else _t(b))
        return y.numpy()


def flatten(input, batched=False) -> np.ndarray:
    """(C, ...) -> (C*...,); with ``batched`` (N, C, ...) -> (N, C*...). A view if possible."""
    x = A.float_array(input)
    return A.flatten_checked(x, batched)


def dropout_mask(shape, p, seed=None) -> np.ndarray:
    """The boolean keep-mask: each unit kept with probability 1 - p; a seed repeats it."""
    return A.dropout_mask(shape, p, seed)


def dropout(input, p=0.5, training=True, *, mask=None, seed=None) -> np.ndarray:
    """x * mask / (1 - p): dropped units become 0, kept ones are scaled up.

    ``mask`` (bool, True = keep) fixes which units drop, e.g. one shown on screen; otherwise
    :func:`dropout_mask` draws it (``seed`` repeats it). The same mask gives the same output
    here and in :mod:`engine.reference`. Not ``training``: the input itself is returned.
    p = 1 drops everything (zeros).
    """
    x, keep, scale = A.dropout_args(input, p, mask, seed, training)
    if keep is None:
        return x
    with _torch_errors("dropout"):
        return (_t(x) * _t(keep) * scale).numpy()


# --------------------------------------------------------------------------- activations


def _pointwise(input, fn: Callable, name: str) -> np.ndarray:
    x = A.float_array(input)
    with _torch_errors(name):
        return fn(_t(x)).numpy()


def relu(input) -> np.ndarray:
    """max(0, x)."""
    return _pointwise(input, torch.relu, "relu")


def leaky_relu(input, negative_slope=0.01) -> np.ndarray:
    """x where x > 0, negative_slope * x elsewhere."""
    x = A.float_array(input)
    slope = A.real(negative_slope, "negative_slope")
    return _pointwise(x, lambda t: F.leaky_relu(t, slope), "leaky_relu")


def sigmoid(input) -> np.ndarray:
    """1 / (1 + exp(-x))."""
    return _pointwise(input, torch.sigmoid, "sigmoid")


def tanh(input) -> np.ndarray:
    """tanh(x)."""
    return _pointwise(input, torch.tanh, "tanh")
