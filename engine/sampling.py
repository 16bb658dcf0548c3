"""The sampling lab's numbers: every down- and upsampler side by side, transposed
convolution as a matrix and as a zero-inserted convolution, checkerboard artefacts, 1×1
channel mixing (the "Downsampling and upsampling" section of the chapter).

Everything runs through the engine's layers (``engine.layers``: validation, output shapes,
the ``engine.ops`` forward), so each view shows what the same layer in a network would
compute; source windows come from the layers' own connectivity
(``engine.layers.connectivity_pairs``), matrices from :mod:`engine.linear_map`.

Views take one input without a batch axis, ``(C, L)`` or ``(C, H, W)``. A blur pool is shown
when the engine has a ``blur_pool`` layer type (looked up at call time).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from . import _args as A
from . import layers as L
from . import ops
from .errors import EngineError
from .linear_map import (  # noqa: F401  (re-exported: the lab's one import)
    MAX_ENTRIES,
    LayerMatrix,
    MatrixColumn,
    MatrixError,
    MatrixRow,
    check_matrix_size,
    layer_matrix,
    layer_spec_matrix,
    matrix_shape,
)
from .network import analyze
from .spec import LAYER_TYPES, LayerSpec, NetworkSpec

Shape = tuple[int, ...]

BT601 = (0.299, 0.587, 0.114)  # ITU-R BT.601 luma weights of R, G, B
MIXING_PRESETS = ("identity", "grey", "swap_rb", "random")
CHECKERBOARD_RULE = (
    "A transposed convolution overlaps unevenly (checkerboard artefacts) exactly when the "
    "kernel size is not divisible by the stride; resize-convolution overlaps evenly."
)


class SamplingError(EngineError):
    """A sampling-lab call with arguments that cannot work (the message says which)."""


# --------------------------------------------------------------------------- size formula


def transposed_length(
    length: int, kernel: int, stride: int, padding: int, output_padding: int, dilation: int = 1
) -> int:
    """(L − 1)·S − 2P + D·(K − 1) + OP + 1, by the engine's own formula function.

    The only call of it here (the size helpers may move to ``engine.geometry``).
    """
    try:
        A.check_output_padding(output_padding, stride, dilation)
        return A.transpose_out(length, kernel, stride, padding, output_padding, dilation)
    except EngineError as error:
        raise SamplingError(error.detail) from None


def transposed_formula(
    length: int, kernel: int, stride: int, padding: int, output_padding: int, dilation: int = 1
) -> str:
    """The output-size formula with the numbers, e.g. ``(4 − 1)·2 − 2·1 + 1·(3 − 1) + 1 + 1
    = 8``; the left side evaluates to the right (the length the layer produces)."""
    out = transposed_length(length, kernel, stride, padding, output_padding, dilation)
    return (
        f"({length} − 1)·{stride} − 2·{padding} + {dilation}·({kernel} − 1) + "
        f"{output_padding} + 1 = {out}"
    )


# --------------------------------------------------------------------------- views


def centre_crop(x, side: int) -> np.ndarray:
    """The centre ``side`` positions of every spatial axis of ``x`` (C, L) / (C, H, W)
    (an axis shorter than ``side`` is kept whole); for views where windows must be seen."""
    a = _map(x)
    n = _factor(side, "side")
    cut = tuple(slice((s - min(s, n)) // 2, (s - min(s, n)) // 2 + min(s, n)) for s in a.shape[1:])
    return np.ascontiguousarray(a[(slice(None), *cut)])


@dataclass(frozen=True, eq=False)
class SampledView:
    """One sampler's output on the lab's input, and where each output value comes from.

    ``layer`` is the one-layer spec that was run (its ``type`` says which sampler);
    ``source`` is the map it read (the input for down views, the small map for up views).
    """

    name: str  # subsample, max_pool, mean_pool, strided_conv, blur_pool, duplicate, ...
    title: str
    layer: LayerSpec
    source_shape: Shape
    output: np.ndarray
    weights: dict[str, np.ndarray] | None = None
    _pairs: tuple[tuple[np.ndarray, np.ndarray], ...] | None = None  # per axis (out, in)
    _came_from: np.ndarray | None = None  # max unpool: pooled flat position per output, -1

    @property
    def output_shape(self) -> Shape:
        return tuple(self.output.shape)

    @property
    def size_text(self) -> str:
        """The output's spatial size, e.g. ``4×4`` (``7`` in 1D)."""
        return "×".join(str(s) for s in self.output.shape[1:])

    def source_window(self, position: tuple[int, ...], channel: int = 0) -> np.ndarray:
        """Boolean mask over the source's spatial grid: the positions output ``position``
        (spatial, no channel) reads. Zero padding reads no position. ``channel`` matters
        only for a max unpool (each channel's maxima lie elsewhere)."""
        pos = self._check_position(position, channel)
        mask = np.zeros(self.source_shape[1:], dtype=bool)
        if self._came_from is not None:
            flat = int(self._came_from[(channel, *pos)])
            if flat >= 0:
                mask[np.unravel_index(flat, mask.shape)] = True
            return mask
        if self._pairs is None:
            raise SamplingError(f"the {self.title} view has no source windows")
        reads = [cols[rows == p] for (rows, cols), p in zip(self._pairs, pos, strict=True)]
        mask[np.ix_(*reads)] = True
        return mask

    def target_window(self, source: tuple[int, ...], channel: int = 0) -> np.ndarray:
        """Boolean mask over the output's spatial grid: the outputs that read source
        position ``source`` (the inverse of :meth:`source_window`; for hovering the source)."""
        grid = self.source_shape[1:]
        pos = tuple(source)
        ok = len(pos) == len(grid) and all(
            isinstance(p, (int, np.integer)) and 0 <= p < g for p, g in zip(pos, grid, strict=True)
        )
        if not ok or not 0 <= channel < self.output.shape[0]:
            raise SamplingError(
                f"position {pos} lies outside the {self.title} source {L.fmt(self.source_shape)}"
            )
        if self._came_from is not None:
            return self._came_from[channel] == int(np.ravel_multi_index(pos, grid))
        if self._pairs is None:
            raise SamplingError(f"the {self.title} view has no source windows")
        mask = np.zeros(self.output.shape[1:], dtype=bool)
        hits = [rows[cols == p] for (rows, cols), p in zip(self._pairs, pos, strict=True)]
        mask[np.ix_(*hits)] = True
        return mask

    def source_positions(self, position: tuple[int, ...], channel: int = 0):
        """The positions of :meth:`source_window` as a list of spatial index tuples."""
        return [
            tuple(int(i) for i in p) for p in np.argwhere(self.source_window(position, channel))
        ]

    def source_channels(self, channel: int) -> tuple[int, ...]:
        """The source channels output ``channel`` reads (a convolution: its group's)."""
        c_out, c_in = self.output.shape[0], self.source_shape[0]
        if not 0 <= channel < c_out:
            raise SamplingError(f"channel {channel} is outside 0…{c_out - 1}")
        if self.layer.type in ("conv", "conv_transpose"):
            groups = int(self.layer.param("groups"))
            g = channel // (c_out // groups)
            per = c_in // groups
            return tuple(range(g * per, (g + 1) * per))
        return (channel,)

    def _check_position(self, position, channel) -> tuple[int, ...]:
        pos = tuple(position)
        grid = self.output.shape[1:]
        ok = len(pos) == len(grid) and all(
            isinstance(p, (int, np.integer)) and 0 <= p < g for p, g in zip(pos, grid, strict=True)
        )
        if not ok or not 0 <= channel < self.output.shape[0]:
            raise SamplingError(
                f"position {pos} (channel {channel}) lies outside the {self.title} output "
                f"{L.fmt(self.output.shape)}"
            )
        return tuple(int(p) for p in pos)


def _run(name: str, title: str, layer: LayerSpec, x: np.ndarray, weights=None) -> SampledView:
    """Run one layer on ``x`` the way a network would, keeping its connectivity."""
    params = L.validate_params(layer)
    in_shapes = [tuple(x.shape)]
    out_shape = L.output_shape(layer, params, in_shapes)
    y, _ = L.forward(layer, params, [x], weights, indices=False)
    try:
        pairs = tuple(
            L.connectivity_pairs(layer, params, in_shapes, out_shape, axis)
            for axis in range(x.ndim - 1)
        )
    except EngineError:  # a layer type without per-axis connectivity: no windows
        pairs = None
    return SampledView(name, title, layer, tuple(x.shape), y, weights, pairs)


def _levels(*arrays: np.ndarray) -> tuple[float, float]:
    """One colour range for several views: the min and max over all of them (NaN ignored)."""
    finite = [a[np.isfinite(a)] for a in arrays]
    values = [v for v in finite if v.size]
    if not values:
        return (0.0, 0.0)
    return (float(min(v.min() for v in values)), float(max(v.max() for v in values)))


def _find_view(views: tuple[SampledView, ...], name: str) -> SampledView:
    for v in views:
        if v.name == name:
            return v
    raise SamplingError(f"there is no {name!r} view (views: {', '.join(v.name for v in views)})")


def _map(x, what: str = "input") -> np.ndarray:
    a = A.float_array(x, what)
    if a.ndim not in (2, 3) or any(s <= 0 for s in a.shape):
        raise SamplingError(f"the {what} must be (C, L) or (C, H, W); got shape {a.shape}")
    return a


def _factor(value, name: str = "factor", minimum: int = 1) -> int:
    try:
        return A.whole(value, name, minimum)
    except EngineError as error:
        raise SamplingError(error.detail) from None


def _kernel_weight(kernel, c: int, n: int, what: str):
    """(weight, groups): a bare kernel (K,) / (K, K) acts on each channel alone (depthwise);
    a full weight (C_out, C_in/groups, K...) is used as it is."""
    w = A.float_array(np.asarray(kernel, dtype=np.float64), f"{what} kernel")
    if w.ndim == n:
        return np.broadcast_to(w, (c, 1, *w.shape)).copy(), c
    if w.ndim == n + 2 and w.shape[1] and c % w.shape[1] == 0:
        return w, c // w.shape[1]
    raise SamplingError(
        f"the {what} kernel has shape {w.shape}; expected {n} axes (K{', K' * (n - 1)}) or "
        f"a weight (C_out, C_in/groups, K{', K' * (n - 1)}) for {c} input channels"
    )


# --------------------------------------------------------------------------- down


@dataclass(frozen=True, eq=False)
class DownComparison:
    """Every downsampler at one factor on one input, with one colour range for all."""

    input: np.ndarray
    factor: int
    views: tuple[SampledView, ...]
    levels: tuple[float, float]  # min / max over the input and every view
    notes: tuple[str, ...] = ()  # samplers that could not be shown, and why

    def view(self, name: str) -> SampledView:
        return _find_view(self.views, name)


def blur_pool_available() -> bool:
    """Whether the engine has a ``blur_pool`` layer type (asked at call time)."""
    return "blur_pool" in LAYER_TYPES


def _blur_pool_layer(factor: int) -> LayerSpec:
    """A blur pool at ``factor``: its stride (or factor) parameter, the rest its defaults."""
    declared = LAYER_TYPES["blur_pool"].params
    key = next((k for k in ("stride", "factor", "scale_factor") if k in declared), None)
    return LayerSpec("blur_pool", "blur_pool", {key: factor} if key else {})


def downsample_views(
    x,
    factor: int = 2,
    kernel=None,
    *,
    conv_padding: int | tuple[int, ...] | None = None,
) -> DownComparison:
    """Subsample, max pool, mean pool, strided convolution and (when the engine has it)
    blur pool of ``x`` (C, L) / (C, H, W), all at ``factor``.

    The pools use a window of ``factor`` and stride ``factor``; the strided convolution
    uses ``kernel`` ((K,) / (K, K) on every channel, or a full weight; default a 3-tap box
    filter), stride ``factor``, no bias and padding ``conv_padding`` (default (K − 1)//2,
    so K = 3, f = 2 gives the subsample's ceil(L/2)). A sampler that cannot work on this
    input (a window larger than the input) is left out with a note.
    """
    x = _map(x)
    f = _factor(factor)
    n = x.ndim - 1
    c = x.shape[0]
    weight, groups = _kernel_weight(
        np.full((3,) * n, 1.0 / 3**n) if kernel is None else kernel, c, n, "strided convolution"
    )
    k = tuple(weight.shape[2:])
    padding = tuple((kk - 1) // 2 for kk in k) if conv_padding is None else conv_padding
    conv = LayerSpec(
        "strided_conv",
        "conv",
        {
            "out_channels": weight.shape[0],
            "kernel_size": k,
            "stride": f,
            "padding": padding,
            "groups": groups,
            "bias": False,
        },
    )
    plans = [
        ("subsample", "subsample", LayerSpec("subsample", "subsample", {"factor": f}), None),
        ("max_pool", "max pool", LayerSpec("max_pool", "max_pool", {"kernel_size": f}), None),
        ("mean_pool", "mean pool", LayerSpec("mean_pool", "avg_pool", {"kernel_size": f}), None),
        ("strided_conv", "strided convolution", conv, {"weight": weight.astype(x.dtype)}),
    ]
    notes = []
    if blur_pool_available():
        plans.append(("blur_pool", "blur pool", _blur_pool_layer(f), None))
    else:
        notes.append("blur pool: the engine has no blur_pool layer type")
    views = []
    for name, title, layer, weights in plans:
        try:
            views.append(_run(name, title, layer, x, weights))
        except EngineError as error:
            notes.append(f"{title}: {error}")
    return DownComparison(x, f, tuple(views), _levels(x, *(v.output for v in views)), tuple(notes))


# --------------------------------------------------------------------------- max unpool


@dataclass(frozen=True, eq=False)
class MaxUnpoolPair:
    """A max pool (window = stride = ``factor``) and the max unpool that undoes its places.

    ``sources[c, *p]`` is where pooled value (c, *p) came from in ``pool_input``; the
    unpool puts value (c, *p) of ``values`` back at exactly that position, so the same
    array says where it goes. ``came_from`` is the inverse map over the unpooled output: the
    flat pooled position whose value lands there, -1 where the output is a zero.
    """

    factor: int
    pool_input: np.ndarray
    pooled: np.ndarray
    indices: np.ndarray  # torch's: flat position of each maximum in its channel's plane
    sources: np.ndarray  # (C, *pooled spatial, n_axes) coordinates in pool_input
    values: np.ndarray  # what was unpooled (the pooled map unless others were given)
    unpooled: np.ndarray  # pool_input's shape, values at sources, zeros elsewhere
    came_from: np.ndarray  # (C, *pool_input spatial) int

    def arrows(self, channel: int = 0) -> list[tuple[tuple[int, ...], tuple[int, ...]]]:
        """(pooled position, position in the big map) for every value of one channel."""
        grid = self.pooled.shape[1:]
        return [
            (tuple(int(i) for i in p), tuple(int(i) for i in self.sources[(channel, *p)]))
            for p in np.ndindex(*grid)
        ]


def max_unpool_pair(pool_input, factor: int = 2, values=None) -> MaxUnpoolPair:
    """Max-pool ``pool_input`` by ``factor`` and max-unpool ``values`` (default the pooled
    map; any map of the pooled shape) with its indices, back to ``pool_input``'s size."""
    big = _map(pool_input, "pool input")
    f = _factor(factor)
    n = big.ndim - 1
    pool = ops.max_pool1d if n == 1 else ops.max_pool2d
    unpool = ops.max_unpool1d if n == 1 else ops.max_unpool2d
    try:
        pooled, indices = pool(big, f, return_indices=True)
    except EngineError as error:
        raise SamplingError(f"max pool: {error.detail}") from None
    vals = pooled if values is None else _map(values, "unpooled map")
    if vals.shape != pooled.shape:
        raise SamplingError(
            f"the map to unpool has shape {vals.shape} but the max pool's output has {pooled.shape}"
        )
    unpooled = unpool(vals, indices, f, output_size=big.shape[1:])
    sources = np.stack(np.unravel_index(indices, big.shape[1:]), axis=-1)
    came_from = np.full(big.shape, -1, dtype=np.int64)
    plane = math.prod(pooled.shape[1:])
    for ch in range(big.shape[0]):
        came_from[ch].reshape(-1)[indices[ch].reshape(-1)] = np.arange(plane)
    return MaxUnpoolPair(f, big, pooled, indices, sources, vals, unpooled, came_from)


# --------------------------------------------------------------------------- up


@dataclass(frozen=True, eq=False)
class UpComparison:
    """Every upsampler on one small map, with one colour range for all.

    ``unpool`` is None when no map to max-pool was given; ``transposed_formula`` holds one
    output-size line per spatial axis (the transposed convolution's).
    """

    input: np.ndarray
    factor: int
    views: tuple[SampledView, ...]
    levels: tuple[float, float]
    unpool: MaxUnpoolPair | None
    transposed_lengths: tuple[int, ...]
    transposed_formula: tuple[str, ...]
    notes: tuple[str, ...] = ()

    def view(self, name: str) -> SampledView:
        return _find_view(self.views, name)


def upsample_views(
    small,
    factor: int = 2,
    *,
    kernel_size: int | None = None,
    stride: int | None = None,
    padding: int = 0,
    output_padding: int = 0,
    kernel=None,
    pool_input=None,
) -> UpComparison:
    """Duplicate (nearest), bilinear (linear in 1D), transposed convolution and, given the
    map ``pool_input`` whose max pool by ``factor`` has ``small``'s shape, max unpool.

    The transposed convolution has kernel size ``kernel_size`` (default ``factor``), stride
    ``stride`` (default ``factor``), ``padding`` and ``output_padding``; its weights are
    ``kernel`` ((K,) / (K, K) on every channel, or a full (C_in, C_out/groups, K...) weight;
    default all ones). Bilinear is torch's ``align_corners=False`` (see ``ops.upsample``).
    """
    x = _map(small, "small map")
    f = _factor(factor)
    n, c = x.ndim - 1, x.shape[0]
    k = f if kernel_size is None else _factor(kernel_size, "kernel_size")
    s = f if stride is None else _factor(stride, "stride")
    weight, groups = _transpose_weight(kernel, c, n, k)
    lengths = tuple(
        transposed_length(length, kk, s, padding, output_padding)
        for length, kk in zip(x.shape[1:], weight.shape[2:], strict=True)
    )
    formula = tuple(
        transposed_formula(length, kk, s, padding, output_padding)
        for length, kk in zip(x.shape[1:], weight.shape[2:], strict=True)
    )
    transposed = _transposed_spec(weight, groups, s, padding, output_padding)
    smooth = "linear" if n == 1 else "bilinear"
    views = [
        _run("duplicate", "duplicate", LayerSpec("duplicate", "upsample", {"scale_factor": f}), x),
        _run(
            smooth,
            smooth,
            LayerSpec(smooth, "upsample", {"scale_factor": f, "mode": smooth}),
            x,
        ),
        _run(
            "transposed_conv",
            "transposed convolution",
            transposed,
            x,
            {"weight": weight.astype(x.dtype)},
        ),
    ]
    pair, notes = None, []
    if pool_input is None:
        notes.append("max unpool: give the map whose max pool this is (pool_input)")
    else:
        pair = max_unpool_pair(pool_input, f, values=x)
        views.insert(1, _unpool_view(pair, x.shape))
    return UpComparison(
        x,
        f,
        tuple(views),
        _levels(x, *(v.output for v in views)),
        pair,
        lengths,
        formula,
        tuple(notes),
    )


def _transposed_spec(weight, groups: int, stride: int, padding: int, output_padding: int):
    """The transposed convolution of the Up row, as a layer of its own."""
    return LayerSpec(
        "transposed_conv",
        "conv_transpose",
        {
            "out_channels": weight.shape[1] * groups,
            "kernel_size": tuple(weight.shape[2:]),
            "stride": stride,
            "padding": padding,
            "output_padding": output_padding,
            "groups": groups,
            "bias": False,
        },
    )


def _unpool_view(pair, shape) -> SampledView:
    """Max unpool's view: each maximum put back where it came from."""
    unpool = LayerSpec("max_unpool", "max_unpool", {"pool": "max_pool"})
    return SampledView(
        "max_unpool", "max unpool", unpool, shape, pair.unpooled, _came_from=pair.came_from
    )


def _transpose_weight(kernel, c: int, n: int, k: int):
    """(weight (C_in, C_out/groups, K...), groups) of the lab's transposed convolution."""
    if kernel is None:
        return np.ones((c, 1, *(k,) * n)), c
    w = A.float_array(np.asarray(kernel, dtype=np.float64), "transposed convolution kernel")
    if w.ndim == n:
        return np.broadcast_to(w, (c, 1, *w.shape)).copy(), c
    if w.ndim == n + 2 and w.shape[0] == c:
        return w, 1
    raise SamplingError(
        f"the transposed convolution kernel has shape {w.shape}; expected {n} axes or a "
        f"weight (C_in = {c}, C_out, K{', K' * (n - 1)})"
    )


# --------------------------------------------------------------------------- checkerboard


@dataclass(frozen=True, eq=False)
class Checkerboard:
    """A transposed convolution and a resize-convolution of the same constant input.

    ``overlap`` counts the kernel taps that reach each output position of the transposed
    convolution; over ``interior`` (where no tap falls off the input) it is constant exactly
    when ``kernel_size % stride == 0`` (``even``). ``resized`` is upsample-by-stride then a
    stride-1 convolution with the same kernel ('same' padding): constant over
    ``resize_interior`` (``resize_even``).
    """

    kernel_size: int
    stride: int
    padding: int
    constant: np.ndarray  # (1, n) or (1, n, n) of ones
    kernel: np.ndarray  # (K,) or (K, K)
    transposed: np.ndarray  # (1, *out)
    overlap: np.ndarray  # (*out) int
    interior: tuple[slice, ...]
    even: bool
    resize_mode: str
    resized: np.ndarray  # (1, n*S[, n*S])
    resize_interior: tuple[slice, ...]
    resize_even: bool
    caption: str


def checkerboard(
    kernel_size: int,
    stride: int,
    *,
    dims: int = 1,
    size: int | None = None,
    padding: int = 0,
    kernel=None,
    resize_mode: str = "nearest",
) -> Checkerboard:
    """Odena, Dumoulin & Olah (Distill 2016) on a constant input of ``size`` positions per
    axis (default K + 3: the interior then shows every phase of the stride).

    ``kernel`` defaults to all ones, so the transposed output equals the overlap count.
    ``resize_mode`` is 'nearest' or 'bilinear' ('linear' in 1D: either name works).
    """
    if dims not in (1, 2):
        raise SamplingError(f"dims must be 1 or 2, got {dims!r}")
    k, s = _factor(kernel_size, "kernel_size"), _factor(stride, "stride")
    n = k + 3 if size is None else _factor(size, "size")
    w = np.ones((k,) * dims) if kernel is None else np.asarray(kernel, dtype=np.float64)
    if w.shape != (k,) * dims:
        raise SamplingError(f"the kernel has shape {w.shape}; expected {(k,) * dims}")
    if resize_mode not in ("nearest", "linear", "bilinear"):
        raise SamplingError(f"resize_mode must be 'nearest' or 'bilinear', got {resize_mode!r}")
    x = np.ones((1, *(n,) * dims))
    layer = LayerSpec(
        "transposed",
        "conv_transpose",
        {"out_channels": 1, "kernel_size": k, "stride": s, "padding": padding, "bias": False},
    )
    view = _run("transposed", "transposed convolution", layer, x, {"weight": w[None, None]})
    counts = [
        np.bincount(rows, minlength=length)
        for (rows, _), length in zip(view._pairs, view.output.shape[1:], strict=True)
    ]
    overlap = counts[0] if dims == 1 else np.multiply.outer(counts[0], counts[1])
    # interior: every tap of the kernel lands on an input position (K − 1 ≤ o + P ≤ (n − 1)S)
    inner = slice(max(0, k - 1 - padding), min((n - 1) * s - padding + 1, view.output.shape[1]))
    interior = (inner,) * dims
    even = bool(np.ptp(overlap[interior]) == 0) if overlap[interior].size else True
    mode = "nearest" if resize_mode == "nearest" else ("linear" if dims == 1 else "bilinear")
    resize = LayerSpec("resize", "upsample", {"scale_factor": s, "mode": mode})
    up = _run("resize", "resize", resize, x).output
    conv = LayerSpec(
        "conv", "conv", {"out_channels": 1, "kernel_size": k, "padding": "same", "bias": False}
    )
    resized = _run("resize_conv", "resize-convolution", conv, up, {"weight": w[None, None]}).output
    before = (k - 1) // 2
    resize_interior = (slice(before, n * s - (k - 1 - before)),) * dims
    resize_even = bool(np.ptp(resized[0][resize_interior]) == 0)
    return Checkerboard(
        k,
        s,
        padding,
        x,
        w,
        view.output,
        overlap,
        interior,
        even,
        mode,
        resized,
        resize_interior,
        resize_even,
        _checker_caption(k, s, overlap[interior], even),
    )


def _checker_caption(k: int, s: int, inner: np.ndarray, even: bool) -> str:
    counts = ", ".join(str(int(v)) for v in np.unique(inner))
    if even:
        rule = f"K = {k} is divisible by S = {s}: every output gets {counts} taps (even)"
    else:
        rule = f"K = {k} is not divisible by S = {s}: outputs get {counts} taps (checkerboard)"
    return f"{rule}; resize-convolution (upsample ×{s}, then convolve) is even."


# --------------------------------------------------------------------------- matrices


@dataclass(frozen=True, eq=False)
class TransposePair:
    """A convolution from ``in_shape`` and the transposed convolution with the same weights
    back to ``in_shape``: ``transposed.matrix`` equals ``conv.matrix.T`` (Dumoulin & Visin
    §4). ``output_padding`` is what the transposed convolution needs to reach ``in_shape``
    (the positions the convolution's floor division dropped)."""

    conv: LayerMatrix
    transposed: LayerMatrix
    output_padding: tuple[int, ...]


def transpose_pair(
    in_shape: Shape, weight, stride=1, padding=0, dilation=1, groups: int = 1
) -> TransposePair:
    """The matrices of conv(weight) on ``in_shape`` and conv_transpose(weight) on its
    output; ``weight`` (C_out, C_in/groups, K...) is read by the transposed convolution as
    (C_in', C_out'/groups, K...) with C_in' = C_out and C_out' = C_in."""
    w = np.asarray(A.float_array(weight, "weight"), dtype=np.float64)
    shape = tuple(int(v) for v in in_shape)
    if isinstance(padding, str):
        raise SamplingError(f"the pair needs a number of padding positions, got {padding!r}")
    n = len(shape) - 1
    conv = LayerSpec(
        "conv",
        "conv",
        {
            "out_channels": w.shape[0],
            "kernel_size": tuple(w.shape[2:]),
            "stride": stride,
            "padding": padding,
            "dilation": dilation,
            "groups": groups,
            "bias": False,
        },
    )
    c = layer_spec_matrix(conv, shape, {"weight": w})
    k, s = w.shape[2:], L.per_axis(stride, n, "stride")
    p, d = L.per_axis(padding, n, "padding"), L.per_axis(dilation, n, "dilation")
    # the remainder of the convolution's floor((I + 2P − D(K−1) − 1)/S)
    op = tuple(
        (i + 2 * pp - dd * (kk - 1) - 1) % ss
        for i, kk, ss, pp, dd in zip(shape[1:], k, s, p, d, strict=True)
    )
    transposed = LayerSpec(
        "transposed",
        "conv_transpose",
        {
            "out_channels": shape[0],
            "kernel_size": tuple(k),
            "stride": stride,
            "padding": padding,
            "output_padding": op,
            "dilation": dilation,
            "groups": groups,
            "bias": False,
        },
    )
    t = layer_spec_matrix(transposed, c.output_shape, {"weight": w})
    return TransposePair(c, t, op)


def zero_inserted(x, stride) -> np.ndarray:
    """``x`` (C, L) / (C, H, W) with S − 1 zeros between neighbouring positions per axis."""
    a = _map(x)
    try:
        s = A.size(stride, a.ndim - 1, "stride")
    except EngineError as error:
        raise SamplingError(error.detail) from None
    size = ((n - 1) * ss + 1 for n, ss in zip(a.shape[1:], s, strict=True))
    out = np.zeros((a.shape[0], *size), a.dtype)
    out[(slice(None), *(slice(None, None, ss) for ss in s))] = a
    return out


@dataclass(frozen=True, eq=False)
class ZeroInsertion:
    """A strided transposed convolution and the stride-1 convolution that equals it.

    ``inserted`` is the input with S − 1 zeros between positions, ``padded`` that with
    D(K − 1) − P positions before and D(K − 1) − P + output_padding after on every axis
    (a negative count cuts positions instead), and ``conv_weight`` the kernel flipped with
    its two channel axes swapped (per group). ``convolved`` (stride 1, dilation D, no
    padding over ``padded``) equals ``transposed``.
    """

    input: np.ndarray
    stride: tuple[int, ...]
    inserted: np.ndarray
    pad_before: tuple[int, ...]
    pad_after: tuple[int, ...]
    padded: np.ndarray
    weight: np.ndarray  # the transposed convolution's (C_in, C_out/groups, K...)
    conv_weight: np.ndarray  # (C_out, C_in/groups, K...), flipped
    transposed: np.ndarray
    convolved: np.ndarray
    text: str

    @property
    def max_difference(self) -> float:
        return float(np.abs(self.transposed - self.convolved).max())


def zero_insertion(
    x, weight, stride=2, padding=0, output_padding=0, dilation=1, groups: int = 1
) -> ZeroInsertion:
    """conv_transpose(x, weight) and the equal stride-1 convolution over the zero-inserted
    input (Dumoulin & Visin §4.5-4.6), both by ``engine.ops``."""
    a = _map(x)
    n = a.ndim - 1
    w = A.like(weight, a.dtype, "weight")
    conv_t = ops.conv_transpose1d if n == 1 else ops.conv_transpose2d
    transposed = conv_t(a, w, None, stride, padding, output_padding, groups, dilation)
    s = A.size(stride, n, "stride")
    p = A.size(padding, n, "padding", 0)
    op = A.size(output_padding, n, "output_padding", 0)
    d = A.size(dilation, n, "dilation")
    k = w.shape[2:]
    before = tuple(dd * (kk - 1) - pp for kk, pp, dd in zip(k, p, d, strict=True))
    after = tuple(b + o for b, o in zip(before, op, strict=True))
    inserted = zero_inserted(a, s)
    padded = _pad_or_cut(inserted, before, after)
    conv_w = _flipped_conv_weight(w, groups)
    conv = ops.conv1d if n == 1 else ops.conv2d
    convolved = conv(padded, conv_w, None, 1, 0, d, groups)
    text = "; ".join(
        f"stride {ss}: {ss - 1} zero{'s' if ss != 2 else ''} between positions, kernel flipped, "
        f"padding D(K−1)−P = {dd}·({kk}−1)−{pp} = {b}" + (f" (+{o} after)" if o else "")
        for ss, dd, kk, pp, b, o in zip(s, d, k, p, before, op, strict=True)
    )
    return ZeroInsertion(
        a, s, inserted, before, after, padded, w, conv_w, transposed, convolved, text
    )


def _pad_or_cut(x: np.ndarray, before: tuple[int, ...], after: tuple[int, ...]) -> np.ndarray:
    widths = [(0, 0)] + [(max(b, 0), max(e, 0)) for b, e in zip(before, after, strict=True)]
    out = np.pad(x, widths)
    cut = tuple(
        slice(max(-b, 0), out.shape[1 + i] - max(-e, 0))
        for i, (b, e) in enumerate(zip(before, after, strict=True))
    )
    return np.ascontiguousarray(out[(slice(None), *cut)])


def _flipped_conv_weight(w: np.ndarray, groups: int) -> np.ndarray:
    """(C_in, C_out/g, K...) -> (C_out, C_in/g, K...) per group, the kernel turned round."""
    n = w.ndim - 2
    per_in = w.shape[0] // groups
    blocks = [w[g * per_in : (g + 1) * per_in].swapaxes(0, 1) for g in range(groups)]
    out = np.concatenate(blocks, axis=0)
    return np.array(out[(slice(None), slice(None), *(slice(None, None, -1),) * n)], order="C")


# --------------------------------------------------------------------------- 1×1 mixing


def mixing_preset(name: str, c_in: int = 3, c_out: int | None = None, seed: int = 0):
    """A (C_out, C_in) channel-mixing matrix: 'identity', 'grey' (1 × 3, ITU-R BT.601),
    'swap_rb' (R and B exchanged) or 'random' (uniform in [−1, 1], from ``seed``)."""
    if name not in MIXING_PRESETS:
        raise SamplingError(
            f"mixing preset must be one of {', '.join(MIXING_PRESETS)}; got {name!r}"
        )
    c_in = _factor(c_in, "c_in")
    if name in ("grey", "swap_rb") and c_in != 3:
        raise SamplingError(f"the {name} preset mixes R, G and B: it needs 3 input channels")
    if name == "grey":
        return np.array([BT601], dtype=np.float32)
    if name == "swap_rb":
        return np.eye(3, dtype=np.float32)[[2, 1, 0]]
    if name == "identity":
        return np.eye(c_in, dtype=np.float32)
    rows = c_in if c_out is None else _factor(c_out, "c_out")
    rng = np.random.default_rng(_factor(seed, "seed", 0))
    return rng.uniform(-1.0, 1.0, (rows, c_in)).astype(np.float32)


def apply_mixing(image, matrix) -> np.ndarray:
    """The 1×1 convolution with weights ``matrix`` (C_out, C_in) on ``image`` (C_in, H, W):
    output channel o at every position is Σ_c matrix[o, c] · image[c] (no bias)."""
    x = A.float_array(image, "image")
    if x.ndim != 3:
        raise SamplingError(f"the image must be (C, H, W); got shape {x.shape}")
    m = A.like(matrix, x.dtype, "mixing matrix")
    if m.ndim != 2 or m.shape[1] != x.shape[0]:
        raise SamplingError(
            f"the mixing matrix has shape {m.shape}; expected (C_out, {x.shape[0]}) "
            f"for an image with {x.shape[0]} channels"
        )
    return ops.conv2d(x, m[:, :, None, None])


@dataclass(frozen=True)
class MixingCounts:
    """Parameters of the 1×1 convolution and of a 3×3 one between the same channels
    (the engine's own counts); each text evaluates to its number."""

    c_in: int
    c_out: int
    bias: bool
    one_by_one: int
    three_by_three: int
    one_by_one_text: str
    three_by_three_text: str


def mixing_counts(c_in: int = 3, c_out: int = 3, bias: bool = True) -> MixingCounts:
    def count(k: int) -> int:
        layer = LayerSpec(
            "mix",
            "conv",
            {"out_channels": c_out, "kernel_size": k, "padding": "same", "bias": bias},
        )
        analysis = analyze(NetworkSpec((layer,), (c_in, 8, 8)))
        if not analysis.ok:
            raise analysis.first_error()
        return analysis.total.parameters

    one, three = count(1), count(3)
    tail = f" + {c_out}" if bias else ""
    return MixingCounts(
        c_in,
        c_out,
        bias,
        one,
        three,
        f"{c_out}·{c_in}{tail} = {one}",
        f"{c_out}·{c_in}·3·3{tail} = {three}",
    )
