"""The operations written straight from the book's formulas, in numpy.

Same functions, arguments and checks as :mod:`engine.ops` (which is fast and torch-backed);
tests keep the two equal. This module is meant to be read: each operation loops over the
kernel offsets and does all output positions at once, so the loop body is the formula.

Conventions (as the book and torch):

- "convolution" is cross-correlation, z_i = b + sum_j w_j x[i*S + j*D - P] (K taps j,
  stride S, dilation D, padding P); ``flip=True`` gives true convolution;
- arrays are (C, L) or (C, H, W), optionally with a leading batch axis N; weights are
  (C_out, C_in/groups, K[, K]);
- output length floor((L + 2P - D*(K-1) - 1) / S) + 1.
"""

from __future__ import annotations

import math

import numpy as np

from . import _args as A
from . import geometry as G

__all__ = [
    "conv1d", "conv2d", "conv_transpose1d", "conv_transpose2d",
    "max_pool1d", "max_pool2d", "avg_pool1d", "avg_pool2d",
    "max_unpool1d", "max_unpool2d", "global_avg_pool",
    "subsample1d", "subsample2d", "upsample",
    "linear", "flatten", "dropout", "dropout_mask",
    "relu", "leaky_relu", "sigmoid", "tanh",
]  # fmt: skip

# What lies beyond the edges, in np.pad's words.
_NUMPY_PAD_MODE = {
    "zeros": "constant",  # 0 0 | a b c d | 0 0
    "reflect": "reflect",  # c b | a b c d | c b   (mirror, edge not repeated)
    "replicate": "edge",  # a a | a b c d | d d
    "circular": "wrap",  # c d | a b c d | a b   (the signal repeats)
}


def _pad(x: np.ndarray, pads: A.Pads, mode: str = "zeros", value: float = 0.0) -> np.ndarray:
    """Pads the spatial axes of a batched (N, C, ...) array: ``pads`` is (before, after)."""
    widths = ((0, 0), (0, 0), *pads)
    if mode == "zeros":
        return np.pad(x, widths, mode="constant", constant_values=value)
    return np.pad(x, widths, mode=_NUMPY_PAD_MODE[mode])


def _by_groups(x: np.ndarray, w: np.ndarray, groups: int, fn) -> np.ndarray:
    """Runs ``fn(x_g, w_g)`` on each group of channels and stacks the outputs.

    Group g sees only its share of the input channels and owns its share of the weights
    (split along weight axis 0: C_out for a convolution, C_in for a transposed one).
    """
    if groups == 1:
        return fn(x, w)
    xs = np.split(x, groups, axis=1)
    ws = np.split(w, groups, axis=0)
    return np.concatenate([fn(xg, wg) for xg, wg in zip(xs, ws, strict=True)], axis=1)


def _add_bias(z: np.ndarray, bias: np.ndarray | None) -> np.ndarray:
    if bias is not None:
        z += bias.reshape((1, -1) + (1,) * (z.ndim - 2))
    return z


# --------------------------------------------------------------------------- convolution


def _correlate1d(xp: np.ndarray, w: np.ndarray, S: int, D: int, L_out: int) -> np.ndarray:
    """z[n, o, i] = sum_c sum_j w[o, c, j] * xp[n, c, i*S + j*D], ``xp`` already padded."""
    C_out, _, K = w.shape
    z = np.zeros((xp.shape[0], C_out, L_out), dtype=xp.dtype)
    starts = np.arange(L_out) * S  # i*S: where each output position's window starts
    for j in range(K):  # one kernel tap at a time ...
        x_j = xp[:, :, starts + j * D]  # ... reads x[i*S + j*D] for every i at once
        z += np.einsum("oc,nci->noi", w[:, :, j], x_j)
    return z


def _correlate2d(
    xp: np.ndarray, w: np.ndarray, S: tuple[int, int], D: tuple[int, int], out: tuple[int, int]
) -> np.ndarray:
    """z[n, o, y, x] = sum_c sum_(m, k) w[o, c, m, k] * xp[n, c, y*S + m*D, x*S + k*D]."""
    C_out, _, K_h, K_w = w.shape
    z = np.zeros((xp.shape[0], C_out, *out), dtype=xp.dtype)
    rows = np.arange(out[0]) * S[0]
    cols = np.arange(out[1]) * S[1]
    for m in range(K_h):
        for k in range(K_w):
            x_mk = xp[:, :, (rows + m * D[0])[:, None], (cols + k * D[1])[None, :]]
            z += np.einsum("oc,nchw->nohw", w[:, :, m, k], x_mk)
    return z


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
    """z_i = b + sum_j w_j x[i*S + j*D - P] for every output channel (cross-correlation).

    Padding first extends x by P positions on each side (``padding_mode`` says with what;
    'same' with an even kernel puts the extra position on the right), so that
    x[i*S + j*D - P] is xp[i*S + j*D]. ``flip=True`` reverses the kernel: true convolution
    z_i = b + sum_j w_(K-1-j) x[i*S + j*D - P].
    """
    a = A.ConvArgs(input, weight, bias, stride, padding, dilation, groups, padding_mode, 1)
    w = a.weight[:, :, ::-1] if flip else a.weight
    xp = _pad(a.x, a.pads, a.mode)
    (S,), (D,), (L_out,) = a.stride, a.dilation, a.out_spatial
    z = _by_groups(xp, w, a.groups, lambda xg, wg: _correlate1d(xg, wg, S, D, L_out))
    return A.unbatch(_add_bias(z, a.bias), a.was_batched)


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
    """z_yx = b + sum_(m, k) w_mk x[y*S + m*D - P, x*S + k*D - P] (per axis S, D, P).

    ``flip=True`` turns the kernel by 180 degrees (true convolution).
    """
    a = A.ConvArgs(input, weight, bias, stride, padding, dilation, groups, padding_mode, 2)
    w = a.weight[:, :, ::-1, ::-1] if flip else a.weight
    xp = _pad(a.x, a.pads, a.mode)
    z = _by_groups(
        xp,
        w,
        a.groups,
        lambda xg, wg: _correlate2d(xg, wg, a.stride, a.dilation, a.out_spatial),
    )
    return A.unbatch(_add_bias(z, a.bias), a.was_batched)


def _scatter1d(x: np.ndarray, w: np.ndarray, S: int, D: int, P: int, L_out: int) -> np.ndarray:
    """Each input position i adds x[i] * w[:, :, j] at output position i*S + j*D - P.

    The sums land on a canvas covering every position a kernel can reach (0 to
    (L-1)*S + D*(K-1), plus room for output_padding); then P positions are cut off each side.
    """
    L = x.shape[2]
    C_out, K = w.shape[1], w.shape[2]
    canvas = np.zeros(
        (x.shape[0], C_out, max(P + L_out, G.transposed_length(L, K, S, 0, 0, D))), dtype=x.dtype
    )
    starts = np.arange(L) * S
    for j in range(K):
        canvas[:, :, starts + j * D] += np.einsum("co,nci->noi", w[:, :, j], x)
    return canvas[:, :, P : P + L_out]


def _scatter2d(x: np.ndarray, w: np.ndarray, S, D, P, out) -> np.ndarray:
    """The 2D scatter: input (y, x) adds its value times w[.., m, k] at
    (y*S + m*D - P, x*S + k*D - P)."""
    H, W = x.shape[2:]
    C_out, K_h, K_w = w.shape[1:]
    reach = [
        G.transposed_length(n, k, s, 0, 0, d)
        for n, s, d, k in zip((H, W), S, D, (K_h, K_w), strict=True)
    ]
    canvas = np.zeros(
        (x.shape[0], C_out, max(P[0] + out[0], reach[0]), max(P[1] + out[1], reach[1])),
        dtype=x.dtype,
    )
    rows, cols = np.arange(H) * S[0], np.arange(W) * S[1]
    for m in range(K_h):
        for k in range(K_w):
            canvas[:, :, (rows + m * D[0])[:, None], (cols + k * D[1])[None, :]] += np.einsum(
                "co,nchw->nohw", w[:, :, m, k], x
            )
    return canvas[:, :, P[0] : P[0] + out[0], P[1] : P[1] + out[1]]


def conv_transpose1d(
    input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1
) -> np.ndarray:
    """Transposed convolution, scatter form: z[i*S + j*D - P] += w_j x_i.

    ``weight`` is (C_in, C_out/groups, K). Output length
    (L - 1)*S - 2P + D*(K - 1) + output_padding + 1.
    """
    a = A.TransposeArgs(input, weight, bias, stride, padding, output_padding, groups, dilation, 1)
    (S,), (D,), (P,), (L_out,) = a.stride, a.dilation, a.padding, a.out_spatial
    z = _by_groups(a.x, a.weight, a.groups, lambda xg, wg: _scatter1d(xg, wg, S, D, P, L_out))
    return A.unbatch(_add_bias(np.ascontiguousarray(z), a.bias), a.was_batched)


def conv_transpose2d(
    input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1
) -> np.ndarray:
    """2D transposed convolution; as :func:`conv_transpose1d`, per axis."""
    a = A.TransposeArgs(input, weight, bias, stride, padding, output_padding, groups, dilation, 2)
    z = _by_groups(
        a.x,
        a.weight,
        a.groups,
        lambda xg, wg: _scatter2d(xg, wg, a.stride, a.dilation, a.padding, a.out_spatial),
    )
    return A.unbatch(_add_bias(np.ascontiguousarray(z), a.bias), a.was_batched)


# --------------------------------------------------------------------------- pooling


def _window_positions(out: int, S: int, P: int, j: int) -> np.ndarray:
    """The input position of tap j in every window: i*S + j - P."""
    return np.arange(out) * S + j - P


def max_pool1d(input, kernel_size, stride=None, padding=0, *, return_indices=False):
    """z_i = max_j x[i*S + j - P]; the padding is -inf, so it never wins.

    Indices say where each maximum is in the input; the first of equal maxima wins (a NaN
    always wins, as in torch).
    """
    a = A.PoolArgs(input, kernel_size, stride, padding, 1)
    (K,), (S,), (P,), (L_out,) = a.kernel, a.stride, a.padding, a.out_spatial
    xp = _pad(a.x, ((P, P),), value=-np.inf)
    best = np.full(a.x.shape[:2] + (L_out,), -np.inf, dtype=a.x.dtype)
    # before any tap wins, a window's index is its first real position (as torch)
    where = np.broadcast_to(np.maximum(_window_positions(L_out, S, P, 0), 0), best.shape)
    for j in range(K):
        pos = _window_positions(L_out, S, P, j)
        values = xp[:, :, pos + P]
        wins = (values > best) | np.isnan(values)
        best = np.where(wins, values, best)
        where = np.where(wins, pos, where)
    best = A.unbatch(best, a.was_batched)
    if return_indices:
        return best, A.unbatch(where.astype(np.int64), a.was_batched)
    return best


def max_pool2d(input, kernel_size, stride=None, padding=0, *, return_indices=False):
    """z_yx = max over the window of x[y*S + m - P, x*S + k - P]; indices are flat
    positions row*W + column in each channel's input plane."""
    a = A.PoolArgs(input, kernel_size, stride, padding, 2)
    (K_h, K_w), (S_h, S_w), (P_h, P_w), (H_out, W_out) = (
        a.kernel,
        a.stride,
        a.padding,
        a.out_spatial,
    )
    W = a.x.shape[3]
    xp = _pad(a.x, ((P_h, P_h), (P_w, P_w)), value=-np.inf)
    best = np.full(a.x.shape[:2] + (H_out, W_out), -np.inf, dtype=a.x.dtype)
    first_row = np.maximum(_window_positions(H_out, S_h, P_h, 0), 0)
    first_col = np.maximum(_window_positions(W_out, S_w, P_w, 0), 0)
    where = np.broadcast_to(first_row[:, None] * W + first_col[None, :], best.shape)
    for m in range(K_h):
        rows = _window_positions(H_out, S_h, P_h, m)[:, None]
        for k in range(K_w):
            cols = _window_positions(W_out, S_w, P_w, k)[None, :]
            values = xp[:, :, rows + P_h, cols + P_w]
            wins = (values > best) | np.isnan(values)
            best = np.where(wins, values, best)
            where = np.where(wins, rows * W + cols, where)
    best = A.unbatch(best, a.was_batched)
    if return_indices:
        return best, A.unbatch(where.astype(np.int64), a.was_batched)
    return best


def _window_sums(xp: np.ndarray, kernel, stride, out) -> np.ndarray:
    """Sum over each window of an already padded (N, C, ...) array, tap by tap."""
    total = np.zeros(xp.shape[:2] + tuple(out), dtype=xp.dtype)
    for taps in np.ndindex(*kernel):
        index = tuple(
            (np.arange(o) * s + j).reshape((-1,) + (1,) * (len(out) - 1 - axis))
            for axis, (o, s, j) in enumerate(zip(out, stride, taps, strict=True))
        )
        total += xp[(slice(None), slice(None), *index)]
    return total


def _avg_pool(a: A.PoolArgs, count_include_pad: bool) -> np.ndarray:
    pads = tuple((p, p) for p in a.padding)
    sums = _window_sums(_pad(a.x, pads), a.kernel, a.stride, a.out_spatial)
    if count_include_pad:
        count = math.prod(a.kernel)  # padding counts as zeros
    else:  # only the real positions in each window
        ones = np.ones((1, 1) + a.x.shape[2:], dtype=a.x.dtype)
        count = _window_sums(_pad(ones, pads), a.kernel, a.stride, a.out_spatial)
    return A.unbatch(sums / count, a.was_batched)


def avg_pool1d(input, kernel_size, stride=None, padding=0, *, count_include_pad=True) -> np.ndarray:
    """z_i = (1/K) sum_j x[i*S + j - P]; with ``count_include_pad=False`` each window is
    divided by its number of real (unpadded) positions instead of K."""
    return _avg_pool(A.PoolArgs(input, kernel_size, stride, padding, 1), count_include_pad)


def avg_pool2d(input, kernel_size, stride=None, padding=0, *, count_include_pad=True) -> np.ndarray:
    """2D mean pool; as :func:`avg_pool1d`, per axis."""
    return _avg_pool(A.PoolArgs(input, kernel_size, stride, padding, 2), count_include_pad)


def _unpool(input, indices, kernel_size, stride, padding, output_size, spatial: int):
    x = A.float_array(input)
    xb, was_batched = A.batched(x, spatial)
    kernel, stride_, pad = A.pool_window(kernel_size, stride, padding, spatial)
    out = A.unpool_size(
        tuple(x.shape[-spatial:]), kernel, stride_, pad, output_size, tuple(x.shape[:-spatial])
    )
    idx = A.check_indices(indices, x.shape, out)
    idx = idx if was_batched else idx[None]
    N, C = xb.shape[:2]
    # every value goes back to the flat position its max pool took it from
    z = np.zeros((N, C, math.prod(out)), dtype=x.dtype)
    np.put_along_axis(z, idx.reshape(N, C, -1), xb.reshape(N, C, -1), axis=2)
    return A.unbatch(z.reshape((N, C) + out), was_batched)


def max_unpool1d(
    input, indices, kernel_size, stride=None, padding=0, output_size=None
) -> np.ndarray:
    """z[indices[i]] = x[i]; zeros everywhere else. Output length (L - 1)*S - 2P + K
    unless ``output_size`` (strictly within S of that) says otherwise."""
    return _unpool(input, indices, kernel_size, stride, padding, output_size, 1)


def max_unpool2d(
    input, indices, kernel_size, stride=None, padding=0, output_size=None
) -> np.ndarray:
    """2D max unpool; indices are flat positions row*W + column in the output plane."""
    return _unpool(input, indices, kernel_size, stride, padding, output_size, 2)


def global_avg_pool(input, spatial_dims: int) -> np.ndarray:
    """The mean of each channel: (C, *spatial) -> (C,), (N, C, *spatial) -> (N, C)."""
    n = A.check_spatial_dims(spatial_dims)
    x, was_batched = A.batched(A.float_array(input), n)
    axes = tuple(range(2, 2 + n))
    count = math.prod(x.shape[2:])
    return A.unbatch(x.sum(axis=axes) / count, was_batched)


# --------------------------------------------------------------------------- resampling


def subsample1d(input, factor) -> np.ndarray:
    """z_i = x[i*f]: keeps positions 0, f, 2f, ...; output length ceil(L / f)."""
    f = A.whole(factor, "factor", 1)
    x, was_batched = A.batched(A.float_array(input), 1)
    keep = np.arange(math.ceil(x.shape[2] / f)) * f
    return A.unbatch(x[:, :, keep], was_batched)


def subsample2d(input, factor) -> np.ndarray:
    """z_yx = x[y*f, x*f]."""
    f = A.whole(factor, "factor", 1)
    x, was_batched = A.batched(A.float_array(input), 2)
    rows = np.arange(math.ceil(x.shape[2] / f)) * f
    cols = np.arange(math.ceil(x.shape[3] / f)) * f
    return A.unbatch(x[:, :, rows[:, None], cols[None, :]], was_batched)


def _interpolate_axis(x: np.ndarray, axis: int, s: int, mode: str) -> np.ndarray:
    """Upsamples one axis by s. 'nearest': z_i = x[floor(i / s)] (each value s times).
    'linear' (align_corners=False): position i reads x at u = (i + 0.5)/s - 0.5, clamped
    at 0, mixing its neighbours floor(u) and floor(u) + 1 (clamped at the end)."""
    L = x.shape[axis]
    i = np.arange(L * s)
    if mode == "nearest":
        return np.take(x, i // s, axis=axis)
    u = np.maximum((i + 0.5) / s - 0.5, 0.0)
    left = np.floor(u).astype(np.int64)
    right = np.minimum(left + 1, L - 1)
    lam = (u - left).astype(x.dtype).reshape((-1,) + (1,) * (x.ndim - 1 - axis))
    return (1 - lam) * np.take(x, left, axis=axis) + lam * np.take(x, right, axis=axis)


def upsample(input, scale_factor, mode="nearest", *, spatial_dims=None) -> np.ndarray:
    """Upsampling by whole factors: 'nearest' duplicates, 'linear'/'bilinear' interpolate
    (torch's align_corners=False); bilinear is linear along rows, then along columns.
    A 3-axis input needs ``spatial_dims`` for 'nearest'."""
    x = A.float_array(input)
    n = A.upsample_dims(x.ndim, mode, spatial_dims)
    z, was_batched = A.batched(x, n)
    scale = A.upsample_scale(z, scale_factor, n)
    axis_mode = "nearest" if mode == "nearest" else "linear"
    for axis, s in enumerate(scale):
        z = _interpolate_axis(z, 2 + axis, s, axis_mode)
    return A.unbatch(z.astype(x.dtype, copy=False), was_batched)


# --------------------------------------------------------------------------- dense layers


def linear(input, weight, bias=None) -> np.ndarray:
    """y = W x + b: y_o = b_o + sum_d W_od x_d."""
    x, w, b = A.linear_args(input, weight, bias)
    y = x @ w.T
    return y if b is None else y + b


def flatten(input, batched=False) -> np.ndarray:
    """(C, ...) -> (C*...,) in C order; with ``batched`` (N, C, ...) -> (N, C*...)."""
    return A.flatten_checked(A.float_array(input), batched)


def dropout_mask(shape, p, seed=None) -> np.ndarray:
    """The boolean keep-mask: each unit kept with probability 1 - p; a seed repeats it."""
    return A.dropout_mask(shape, p, seed)


def dropout(input, p=0.5, training=True, *, mask=None, seed=None) -> np.ndarray:
    """z = x * mask / (1 - p): dropped units are 0, the rest scaled so the mean is kept."""
    x, keep, scale = A.dropout_args(input, p, mask, seed, training)
    if keep is None:
        return x
    if scale == 0.0:  # p = 1: everything dropped
        return np.zeros_like(x)
    return x * keep / (1 - float(p))


# --------------------------------------------------------------------------- activations


def relu(input) -> np.ndarray:
    """max(0, x)."""
    x = A.float_array(input)
    return np.maximum(x, 0)  # NaN stays NaN


def leaky_relu(input, negative_slope=0.01) -> np.ndarray:
    """x where x > 0, negative_slope * x elsewhere."""
    x = A.float_array(input)
    slope = A.real(negative_slope, "negative_slope")
    return np.where(x > 0, x, x * x.dtype.type(slope))


def sigmoid(input) -> np.ndarray:
    """1 / (1 + exp(-x))."""
    x = A.float_array(input)
    with np.errstate(over="ignore"):  # exp(-x) = inf for very negative x gives exactly 0
        return (1 / (1 + np.exp(-x))).astype(x.dtype, copy=False)


def tanh(input) -> np.ndarray:
    """(exp(x) - exp(-x)) / (exp(x) + exp(-x))."""
    return np.tanh(A.float_array(input))
