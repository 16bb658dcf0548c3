"""Every formula text the panel shows evaluates to what the engine computes.

For random 1D and 2D layers, ``general_formula``'s text is parsed and EVALUATED: each line of
arithmetic (its numeric sides must agree, and an output-length line must give the analysed
length), and each index expression, substituted for every output position and tap and
compared with the positions a real forward pass reads (one-hot kernels for convolutions, a
one-hot input for the other layers). The text must say how its indices count (from 0 or 1),
and the check uses what it says.
"""

from __future__ import annotations

import ast
import math
import operator
import re
from itertools import product

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from engine.explain import general_formula
from engine.network import analyze, forward
from engine.spec import LayerSpec, NetworkSpec

# --------------------------------------------------------------------------- evaluating text

_BINARY = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv,
}
_CALLS = {"floor": math.floor, "ceil": math.ceil, "max": max, "min": min}


def _python(text: str) -> str:
    """The book's notation as a Python expression: 2i → 2*i, · → *, − → -, ⌊a⌋ → floor(a)."""
    e = text.replace("·", "*").replace("−", "-").replace("×", "*").replace("½", "0.5")
    e = e.replace("⌊", "floor(").replace("⌋", ")")
    return re.sub(r"(\d)\s*([A-Za-z(])", r"\1*\2", e)


def evaluate(text: str, **names: float):
    """A numeric expression of the text, safely (numbers, + − · /, floor/ceil/max, names)."""

    def value(node):
        if isinstance(node, ast.Expression):
            return value(node.body)
        if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)):
            return node.value
        if isinstance(node, ast.Name) and node.id in names:
            return names[node.id]
        if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
            return _BINARY[type(node.op)](value(node.left), value(node.right))
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            return -value(node.operand)
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) in _CALLS:
            return _CALLS[node.func.id](*(value(a) for a in node.args))
        raise ValueError(f"not arithmetic: {ast.dump(node)} in {text!r}")

    return value(ast.parse(_python(text), mode="eval"))


def _is_numeric(part: str) -> bool:
    """Only numbers, operators and floor/ceil/max: a side of an equation one can evaluate."""
    bare = re.sub(r"floor|ceil|max", "", _python(part.strip()))
    return bool(re.search(r"\d", bare)) and re.fullmatch(r"[\d\s+\-*/().,]*", bare) is not None


def check_arithmetic(text: str, out_shape: tuple[int, ...]) -> int:
    """Every line's numeric sides agree; output lines give the analysed sizes. Returns how
    many output-length lines were checked."""
    spatial = out_shape[1:]
    axis_of = {"L": 0, "H": 0, "W": 1}
    checked = 0
    for line in text.splitlines():
        if line.startswith("output shape "):
            shape = tuple(int(v) for v in re.findall(r"\d+", line))
            assert shape == tuple(out_shape), line
            continue
        values = [evaluate(part) for part in line.split(" = ") if _is_numeric(part)]
        assert all(v == values[0] for v in values), f"the arithmetic disagrees: {line}"
        match = re.match(r"output ([LHW]) = ", line)
        if match and values:
            assert values[-1] == spatial[axis_of[match.group(1)]], line
            checked += 1
    return checked


def index_base(text: str) -> int:
    """0 or 1, as the text says its indices count."""
    said = [b for b in (0, 1) if f"count from {b}" in text]
    assert len(said) == 1, f"the text must say once how its indices count:\n{text}"
    return said[0]


def _split_top(segment: str) -> list[str]:
    """'(i+m−1),(j+n)' → ['i+m−1', 'j+n']; '⌊i/2⌋,⌊j/2⌋' → ['⌊i/2⌋', '⌊j/2⌋']."""
    parts, depth, current = [], 0, ""
    for ch in segment:
        if ch == "," and depth == 0:
            parts.append(current)
            current = ""
            continue
        depth += ch in "(⌊"
        depth -= ch in ")⌋"
        current += ch
    parts.append(current)
    return [p[1:-1] if p.startswith("(") and p.endswith(")") else p for p in parts]


def _after(line: str, marker: str) -> list[str]:
    """The index expressions written right after ``marker`` (up to the next space)."""
    segment = re.search(re.escape(marker) + r"(\S+)", line)
    assert segment, f"no index after {marker!r} in: {line}"
    return _split_top(segment.group(1))


def _ranges(line: str) -> dict[str, tuple[int, int]]:
    return {m[0]: (int(m[1]), int(m[2])) for m in re.findall(r"\b([a-z]) = (\d+)…(\d+)", line)}


def _line_with(text: str, marker: str) -> str:
    lines = [line for line in text.splitlines() if marker in line]
    assert lines, f"no line with {marker!r}:\n{text}"
    return lines[0]


# --------------------------------------------------------------------------- the real thing


def _run(spec: NetworkSpec, x: np.ndarray, weights=None) -> np.ndarray:
    trace = forward(spec, weights or {}, x.astype(np.float32))
    assert trace.ok, trace.errors
    return trace.outputs[spec.layers[-1].name]


def _distinct(shape) -> np.ndarray:
    """1, 2, 3, ...: each value says where it came from (0 is only ever padding)."""
    return (np.arange(math.prod(shape), dtype=np.float32) + 1).reshape(shape)


def _reads(spec: NetworkSpec, in_shape, threshold: float = 0.0) -> dict:
    """Which input positions (channel 0) each output position reads: a one-hot input each."""
    reads: dict = {}
    for q in product(*(range(n) for n in in_shape[1:])):
        x = np.zeros(in_shape, np.float32)
        x[(0, *q)] = 1.0
        y = _run(spec, x)[0]
        for o in zip(*np.nonzero(np.abs(y) > threshold), strict=True):
            reads.setdefault(tuple(int(v) for v in o), set()).add(q)
    return reads


def _one_hot(shapes: dict, tap: tuple[int, ...]) -> dict[str, np.ndarray]:
    """Weights 1 at tap ``tap`` from input channel 0 to output channel 0, else 0 (no bias)."""
    arrays = {key: np.zeros(shape, np.float32) for key, shape in shapes.items()}
    arrays["weight"][(0, 0, *tap)] = 1.0
    return arrays


def _padded_source(p: int, length: int, mode: str) -> int | None:
    """The test's own reading of the padding modes (torch's F.pad), independent of engine."""
    if 0 <= p < length:
        return p
    if mode == "zeros":
        return None
    if mode == "replicate":
        return 0 if p < 0 else length - 1
    if mode == "circular":
        return p % length
    while not 0 <= p < length:  # reflect: mirror at the first and last position
        p = -p if p < 0 else 2 * (length - 1) - p
    return p


# --------------------------------------------------------------------------- per layer type


def _letters(text: str, prefix: str) -> tuple[str, ...]:
    """The output index letters of 'z_ij =' / 'z_c,ij =' (prefix 'z_' or 'z_c,')."""
    match = re.search(re.escape(prefix) + r"([a-z]+) =", text)
    assert match, f"no {prefix}… = in:\n{text}"
    return tuple(match.group(1))


def check_conv(spec, info, text, base):
    ls = spec.layers[0]
    in_shape, out_shape = info.input_shapes[0], info.out_shape
    head = _line_with(text, "x_c,")
    outs = _letters(head, "z_")
    taps = tuple(t for t in re.findall(r"Σ_([a-z])", head) if t != "c")
    index = _after(head, "x_c,")
    ranges = _ranges(head)
    kernel = info.weight_shapes["weight"][2:]
    assert [ranges[t] for t in taps] == [(base, base + k - 1) for k in kernel], head
    flipped = _after(_line_with(text, "→ ω_"), "→ ω_") if ls.param("flip") else None
    mode = ls.param("padding_mode")
    x = _distinct(in_shape)
    for e in product(*(range(k) for k in kernel)):
        y = _run(spec, x, {ls.name: _one_hot(info.weight_shapes, e)})[0]
        # the tap whose weight is ω_e (flip: the text says which weight each tap takes)
        tap = []
        for a, t in enumerate(taps):
            lo, hi = ranges[t]
            hits = [
                j
                for j in range(lo, hi + 1)
                if (evaluate(flipped[a], **{t: j}) if flipped else j) - base == e[a]
            ]
            assert len(hits) == 1, (e, hits, text)
            tap.append(hits[0])
        for o in product(*(range(n) for n in out_shape[1:])):
            src = []
            for a in range(len(o)):
                names = {outs[a]: o[a] + base, taps[a]: tap[a]}
                p = evaluate(index[a], **names) - base
                src.append(_padded_source(p, in_shape[1 + a], mode))
            expected = 0.0 if None in src else float(x[(0, *src)])
            assert y[o] == expected, f"output {o}, weight {e}: {y[o]} vs {expected}\n{text}"


def check_conv_transpose(spec, info, text, base):
    ls = spec.layers[0]
    in_shape, out_shape = info.input_shapes[0], info.out_shape
    head = _line_with(text, "to output position ")
    ins = tuple(re.search(r"input position (\S+) adds", head).group(1).split(","))
    ranges = _ranges(head)
    taps = tuple(ranges)
    target = _after(head, "to output position ")
    kernel = info.weight_shapes["weight"][2:]
    assert [ranges[t] for t in taps] == [(base, base + k - 1) for k in kernel], head
    x = _distinct(in_shape)
    for e in product(*(range(k) for k in kernel)):
        y = _run(spec, x, {ls.name: _one_hot(info.weight_shapes, e)})[0]
        expected = np.zeros_like(y)
        for q in product(*(range(n) for n in in_shape[1:])):
            o = tuple(
                evaluate(target[a], **{ins[a]: q[a] + base, taps[a]: e[a] + base}) - base
                for a in range(len(q))
            )
            if all(0 <= v < n for v, n in zip(o, out_shape[1:], strict=True)):
                expected[o] = x[(0, *q)]
        assert np.array_equal(y, expected), f"weight {e}\n{text}"


def _expected_reads(out_shape, in_shape, outs, taps, index, ranges, base):
    """For each output position, the input positions the index expressions name."""
    reads = {}
    for o in product(*(range(n) for n in out_shape[1:])):
        tap_values = product(*(range(ranges[t][0], ranges[t][1] + 1) for t in taps))
        for j in tap_values if taps else [()]:
            names = {outs[a]: o[a] + base for a in range(len(o))}
            names.update({t: v for t, v in zip(taps, j, strict=True)})
            p = tuple(evaluate(index[a], **names) - base for a in range(len(o)))
            if all(0 <= v < n for v, n in zip(p, in_shape[1:], strict=True)):
                reads.setdefault(o, set()).add(p)
    return reads


def check_window(spec, info, text, base):
    """Pools, subsampling and nearest upsampling: the index names what is read."""
    in_shape, out_shape = info.input_shapes[0], info.out_shape
    head = _line_with(text, "x_c,")
    outs = _letters(head, "z_c,")
    index = _after(head, "x_c,")
    ranges = _ranges(head)
    taps = tuple(t for t in ranges if t not in outs)
    if spec.layers[0].type in ("max_pool", "avg_pool"):
        kernel = spec.layers[0].param("kernel_size")
        kernel = kernel if isinstance(kernel, tuple) else (kernel,) * len(outs)
        assert [ranges[t] for t in taps] == [(base, base + k - 1) for k in kernel], head
    expected = _expected_reads(out_shape, in_shape, outs, taps, index, ranges, base)
    assert _reads(spec, in_shape) == expected, text


def check_interpolation(spec, info, text, base):
    in_shape, out_shape = info.input_shapes[0], info.out_shape
    head = _line_with(text, "k + λ = ")
    where = re.search(r"k \+ λ = (.*?)\s{2,}\(", head).group(1)
    axes = []
    for a, n_out in enumerate(out_shape[1:]):
        per_out = []
        for o in range(n_out):
            v = evaluate(where, i=o + base) - base
            k, lam = math.floor(v), v - math.floor(v)
            read = {min(k, in_shape[1 + a] - 1)}
            if lam > 1e-6:
                read.add(min(k + 1, in_shape[1 + a] - 1))
            per_out.append(read)
        axes.append(per_out)
    expected = {
        o: set(product(*(axes[a][o[a]] for a in range(len(o)))))
        for o in product(*(range(n) for n in out_shape[1:]))
    }
    assert _reads(spec, in_shape, threshold=1e-5) == expected, text


def check_flatten(spec, info, text, base):
    in_shape = info.input_shapes[0]
    head = _line_with(text, "z_(")
    match = re.search(r"z_\(([^)]*)\) = x_([a-z,]+)", head)
    flat, letters = match.group(1), match.group(2).split(",")
    x = _distinct(in_shape)
    y = _run(spec, x)
    for q in product(*(range(n) for n in in_shape)):
        names = {ch: v + base for ch, v in zip(letters, q, strict=True)}
        assert y[int(evaluate(flat, **names)) - base] == x[q], head


def check_linear(spec, info, text, base):
    ranges = _ranges(_line_with(text, "x_j"))
    d_in, d_out = math.prod(info.input_shapes[0]), info.out_shape[0]
    assert ranges == {"j": (base, base + d_in - 1), "i": (base, base + d_out - 1)}, text


def check_global_mean(spec, info, text, base):
    count = int(re.search(r"mean of the (\d+) positions", text).group(1))
    assert count == math.prod(info.input_shapes[0][1:]), text


def check_blur_pool(spec, info, text, base):
    """The filter the text names, at the indices it writes, read through the padding it
    names, is what the forward pass computes."""
    ls = spec.layers[0]
    in_shape, out_shape = info.input_shapes[0], info.out_shape
    head = _line_with(text, "x_c,")
    outs = _letters(head, "z_c,")
    index = _after(head, "x_c,")
    ranges = _ranges(head)
    taps = tuple(t for t in ranges if t not in outs)
    k = ls.param("kernel_size")
    assert [ranges[t] for t in taps] == [(base, base + k - 1)] * len(outs), head
    match = re.search(r"b = \[([\d, ]+)\]/(\d+)", text)
    b = [int(v) / int(match.group(2)) for v in match.group(1).split(",")]
    assert len(b) == k and math.isclose(sum(b), 1.0), text
    mode = ls.param("padding_mode")
    assert _mode_named(text, mode), text
    x = _distinct(in_shape)
    y = _run(spec, x)[0]
    for o in product(*(range(n) for n in out_shape[1:])):
        total = 0.0
        for j in product(*(range(ranges[t][0], ranges[t][1] + 1) for t in taps)):
            src = []
            for a in range(len(o)):
                p = evaluate(index[a], **{outs[a]: o[a] + base, taps[a]: j[a]}) - base
                src.append(_padded_source(p, in_shape[1 + a], mode))
            weight = math.prod(b[jj - base] for jj in j)
            total += 0.0 if None in src else weight * float(x[(0, *src)])
        assert math.isclose(y[o], total, rel_tol=1e-5, abs_tol=1e-5), f"{o}: {y[o]} vs {total}"


def _mode_named(text: str, mode: str) -> bool:
    return f"reads the padding: {mode}" in text


CHECKS = {
    "blur_pool": check_blur_pool,
    "conv": check_conv,
    "conv_transpose": check_conv_transpose,
    "max_pool": check_window,
    "avg_pool": check_window,
    "subsample": check_window,
    "flatten": check_flatten,
    "linear": check_linear,
}


def check_layer_text(spec: NetworkSpec, name: str, drawn: bool = False) -> str:
    """Check ``name``'s formula text (``drawn``: a random layer, skipped when it cannot run)."""
    info = analyze(spec).layer(name)
    if drawn:
        assume(info.error is None)
    assert info.error is None, info.error
    text = general_formula(spec, name, info.input_shapes[0], info.out_shape)
    lengths = check_arithmetic(text, info.out_shape)
    kind = spec.layer(name).type
    if kind in (
        "conv",
        "conv_transpose",
        "max_pool",
        "avg_pool",
        "subsample",
        "upsample",
        "blur_pool",
    ):
        assert lengths == len(info.out_shape) - 1, f"a length line per axis:\n{text}"
    if kind == "global_avg_pool":
        check_global_mean(spec, info, text, 0)
        return text
    if kind == "upsample":
        base = index_base(text)
        if spec.layer(name).param("mode") == "nearest":
            check_window(spec, info, text, base)
        else:
            check_interpolation(spec, info, text, base)
    elif kind in CHECKS:
        CHECKS[kind](spec, info, text, index_base(text))
    return text


# --------------------------------------------------------------------------- random layers


def _size(draw, dims, values):
    if dims == 2 and draw(st.booleans()):
        return (draw(values), draw(values))
    return draw(values)


@st.composite
def single_layers(draw):
    dims = draw(st.sampled_from([1, 2]))
    spatial = tuple(draw(st.integers(1, 12 if dims == 1 else 6)) for _ in range(dims))
    kind = draw(
        st.sampled_from(
            [
                "conv",
                "conv",
                "conv_transpose",
                "max_pool",
                "avg_pool",
                "subsample",
                "upsample",
                "blur_pool",
            ]
        )
    )
    if kind == "conv":
        stride = _size(draw, dims, st.integers(1, 3))
        padding = draw(
            st.sampled_from(["same", "valid", "int"])
            if stride in (1, (1, 1))
            else st.sampled_from(["valid", "int"])
        )
        params = {
            "out_channels": 1,
            "kernel_size": _size(draw, dims, st.integers(1, 4)),
            "stride": stride,
            "dilation": _size(draw, dims, st.integers(1, 3)),
            "padding": _size(draw, dims, st.integers(0, 3)) if padding == "int" else padding,
            "padding_mode": draw(st.sampled_from(["zeros", "reflect", "replicate", "circular"])),
            "flip": draw(st.booleans()),
            "bias": False,
        }
    elif kind == "conv_transpose":
        stride = _size(draw, dims, st.integers(1, 3))
        dilation = _size(draw, dims, st.integers(1, 2))
        s = stride if isinstance(stride, tuple) else (stride,) * dims
        d = dilation if isinstance(dilation, tuple) else (dilation,) * dims
        op = tuple(draw(st.integers(0, max(a, b) - 1)) for a, b in zip(s, d, strict=True))
        params = {
            "out_channels": 1,
            "kernel_size": _size(draw, dims, st.integers(1, 4)),
            "stride": stride,
            "dilation": dilation,
            "padding": _size(draw, dims, st.integers(0, 2)),
            "output_padding": op if dims == 2 else op[0],
            "bias": False,
        }
    elif kind in ("max_pool", "avg_pool"):
        k = draw(st.integers(1, 4))
        params = {
            "kernel_size": k,
            "stride": draw(st.one_of(st.none(), st.integers(1, 3))),
            "padding": draw(st.integers(0, k // 2)),
        }
    elif kind == "subsample":
        params = {"factor": draw(st.integers(1, 3))}
    elif kind == "blur_pool":
        params = {
            "kernel_size": draw(st.integers(2, 7)),
            "stride": draw(st.integers(1, 3)),
            "padding_mode": draw(st.sampled_from(["zeros", "reflect", "replicate", "circular"])),
        }
    else:
        mode = draw(st.sampled_from(["nearest", "linear" if dims == 1 else "bilinear"]))
        params = {"scale_factor": draw(st.integers(1, 3)), "mode": mode}
    return NetworkSpec([LayerSpec("z", kind, params)], (1, *spatial))


@given(single_layers())
def test_every_formula_line_and_index_is_what_the_engine_computes(spec):
    check_layer_text(spec, "z", drawn=True)


@st.composite
def vector_layers(draw):
    dims = draw(st.sampled_from([1, 2]))
    shape = (draw(st.integers(1, 3)), *(draw(st.integers(1, 5)) for _ in range(dims)))
    kind = draw(st.sampled_from(["flatten", "linear", "global_avg_pool"]))
    layers = [LayerSpec("f", "flatten", {})]
    if kind == "linear":
        layers.append(LayerSpec("z", "linear", {"out_features": draw(st.integers(1, 4))}))
    elif kind == "global_avg_pool":
        layers = [LayerSpec("z", "global_avg_pool", {})]
    else:
        layers = [LayerSpec("z", "flatten", {})]
    return NetworkSpec(layers, shape)


@given(vector_layers())
def test_vector_layer_formulas_are_what_the_engine_computes(spec):
    check_layer_text(spec, "z", drawn=True)


@pytest.mark.parametrize(
    "layer, shape",
    [
        (LayerSpec("z", "activation", {"function": "tanh"}), (2, 5)),
        (LayerSpec("z", "dropout", {}), (1, 4, 4)),
        (LayerSpec("z", "add", {}, ("input", "input")), (2, 6)),
        (LayerSpec("z", "concat", {}, ("input", "input")), (2, 3, 3)),
    ],
)
def test_the_other_layer_texts_claim_only_the_engine_shape(layer, shape):
    text = check_layer_text(NetworkSpec([layer], shape), "z")
    assert text.splitlines()[-1].startswith("output shape")


def test_an_unpool_text_claims_its_pool_input_shape():
    spec = NetworkSpec(
        [
            LayerSpec("p", "max_pool", {"kernel_size": 2}),
            LayerSpec("z", "max_unpool", {"pool": "p"}),
        ],
        (1, 9),
    )
    assert check_layer_text(spec, "z").endswith("output shape (1, 9)")


def test_the_reported_cases():
    """Issue 10's examples: an even 'same' kernel and the padded index."""
    same = NetworkSpec([LayerSpec("z", "conv", {"kernel_size": 4, "padding": "same"})], (1, 10))
    text = check_layer_text(same, "z")
    assert "floor((10 + 1 + 2 − 1·(4−1) − 1)/1) + 1 = 10" in text
    assert "P_left = 1, P_right = 2" in text
    for padding, dilation, index in ((0, 1, "(i+j)"), (1, 1, "(i+j−1)"), (1, 2, "(i+2j−1)")):
        params = {"kernel_size": 3, "padding": padding, "dilation": dilation}
        spec = NetworkSpec([LayerSpec("z", "conv", params)], (1, 10))
        assert f"x_c,{index}   (j = 0…2)" in check_layer_text(spec, "z")


def test_the_evaluator_refuses_what_is_not_arithmetic():
    assert evaluate("floor((10 + 2·1 − 1·(4−1) − 1)/1) + 1") == 9
    assert evaluate("2i+2j−1", i=3, j=2) == 9
    assert evaluate("⌊i/3⌋", i=7) == 2
    with pytest.raises(ValueError, match="not arithmetic"):
        evaluate("__import__('os')")


def test_a_layer_in_error_claims_no_number():
    spec = NetworkSpec([LayerSpec("z", "conv", {"kernel_size": 7})], (1, 4))
    info = analyze(spec).layer("z")
    assert info.error is not None
    text = general_formula(spec, "z", info.input_shapes[0], info.out_shape)
    length = _line_with(text, "output L")
    assert length.endswith("= —") and "output shape" not in text


@pytest.mark.parametrize(
    "params, shape",
    [
        ({}, (1, 9)),
        ({"kernel_size": 4, "stride": 3, "padding_mode": "zeros"}, (1, 10)),
        ({"kernel_size": 5, "padding_mode": "circular"}, (1, 5, 6)),
        ({"kernel_size": 2, "stride": 1, "padding_mode": "replicate"}, (1, 4, 3)),
    ],
)
def test_blur_pool_formula_is_what_the_engine_computes(params, shape):
    text = check_layer_text(NetworkSpec([LayerSpec("z", "blur_pool", params)], shape), "z")
    assert "binomial filter" in text
