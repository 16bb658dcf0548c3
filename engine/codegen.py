"""Standalone PyTorch source for a network spec.

The generated file needs only torch and Python's standard library, also to read its
weights (.npz and .safetensors are parsed by hand and read with ``torch.frombuffer``). It
defines ``class Net(nn.Module)`` with one attribute per layer, ``load_weights(net, path)``,
``build(weights_path=WEIGHTS_PATH)`` and a ``__main__`` block that runs a random input and
prints the output shape and the number of parameters. Weights files are the engine's
(``"<layer name>.weight"`` keys).
"""

from __future__ import annotations

import inspect
import keyword
import re

from torch import nn

from . import geometry as G
from .graph import plan
from .network import analyze
from .spec import INPUT, NetworkSpec
from .torch_layers import EXPORTABLE

# Each helper's source, copied from its one definition (the app builds with the same class).
_HELPERS = {cls.__name__: "\n" + inspect.getsource(cls) for cls in EXPORTABLE}

_TAIL = '''

# The weights files are read with the standard library and torch alone: a .safetensors
# file is an 8-byte length, a JSON header and the raw arrays; a .npz file is a zip archive
# of .npy files, each a small header (a Python dict literal) and the raw array.
_SAFETENSORS_DTYPES = {"F32": torch.float32, "F64": torch.float64, "F16": torch.float16,
                       "I64": torch.int64, "I32": torch.int32}
_NPY_DTYPES = {"<f4": torch.float32, "<f8": torch.float64, "<f2": torch.float16,
               "<i8": torch.int64, "<i4": torch.int32}


def _tensor(raw, dtype, shape):
    return torch.frombuffer(bytearray(raw), dtype=dtype).reshape(shape).clone()


def _read_safetensors(path):
    import json
    import struct

    with open(path, "rb") as f:
        data = f.read()
    (size,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + size])
    body = data[8 + size:]
    arrays = {}
    for key, entry in header.items():
        if key == "__metadata__":
            continue
        start, end = entry["data_offsets"]
        arrays[key] = _tensor(body[start:end], _SAFETENSORS_DTYPES[entry["dtype"]],
                              entry["shape"])
    return arrays


def _read_npy(data):
    import ast
    import struct

    if data[:6] != b"\\x93NUMPY":
        raise ValueError("not a .npy array")
    if data[6] == 1:
        (size,), start = struct.unpack("<H", data[8:10]), 10
    else:
        (size,), start = struct.unpack("<I", data[8:12]), 12
    header = ast.literal_eval(data[start:start + size].decode("latin1"))
    if header["fortran_order"]:
        raise ValueError("Fortran-ordered arrays are not supported")
    shape = header["shape"]
    return _tensor(data[start + size:], _NPY_DTYPES[header["descr"]], shape)


def _read_npz(path):
    import zipfile

    with zipfile.ZipFile(path) as archive:
        return {name[:-4]: _read_npy(archive.read(name))
                for name in archive.namelist() if name.endswith(".npy")}


def load_weights(net, path):
    """Load a ConvScope weights file (.npz or .safetensors) into ``net`` (torch only)."""
    if str(path).lower().endswith(".npz"):
        arrays = _read_npz(path)
    else:
        arrays = _read_safetensors(path)
    with torch.no_grad():
        for key, value in arrays.items():
            name, _, part = key.rpartition(".")
            getattr(getattr(net, Net.LAYERS[name]), part).copy_(value)
    return net


def build(weights_path=WEIGHTS_PATH):
    """The network in eval mode, with the weights file loaded when there is one (a relative
    path is relative to this file)."""
    net = Net()
    if weights_path is not None:
        import os

        if not os.path.isabs(weights_path):
            weights_path = os.path.join(os.path.dirname(os.path.abspath(__file__)), weights_path)
        load_weights(net, weights_path)
    return net.eval()


if __name__ == "__main__":
    net = build()
    x = torch.randn(1, *INPUT_SHAPE)
    with torch.no_grad():
        y = net(x)
    print("output shape:", tuple(y.shape))
    print("parameters:", sum(p.numel() for p in net.parameters()))
'''

NEEDS = (
    "Needs only Python's standard library and torch: no numpy, no safetensors, not ConvScope"
    " (a weights file, .npz or .safetensors, is read with torch.frombuffer)."
)

_RESERVED = {"x", "self", "torch", "nn", "net", "super", "tuple", "range"}


def _identifiers(names: list[str]) -> list[str]:
    """A distinct Python identifier per layer name (attribute and local variable)."""
    out: list[str] = []
    for i, name in enumerate(names):
        ident = re.sub(r"\W", "_", name)
        if (
            not ident
            or ident[0].isdigit()
            or keyword.iskeyword(ident)
            or ident in _RESERVED
            or hasattr(nn.Module, ident)
            or ident.startswith("__")
            or ident in out
            or ident.endswith("_indices")
        ):
            ident = f"layer{i + 1}_{ident}".rstrip("_")
            while ident in out:
                ident += "_"
        out.append(ident)
    return out


def _t(value, n: int) -> str:
    return repr(G.per_axis(value, n))


def _module(
    kind: str, p: dict, in_shape: tuple, pool_params: dict | None, unpooled: bool, helpers: set[str]
) -> str | None:
    n = len(in_shape) - 1
    if kind == "conv":
        cls = f"nn.Conv{n}d"
        if p["flip"]:
            cls = f"FlippedConv{n}d"
            helpers.add(cls)
        padding = repr(p["padding"]) if isinstance(p["padding"], str) else _t(p["padding"], n)
        return (
            f"{cls}({in_shape[0]}, {p['out_channels']}, kernel_size={_t(p['kernel_size'], n)}"
            f", stride={_t(p['stride'], n)}, padding={padding}, "
            f"dilation={_t(p['dilation'], n)}, groups={p['groups']}, bias={p['bias']}, "
            f"padding_mode={p['padding_mode']!r})"
        )
    if kind == "conv_transpose":
        return (
            f"nn.ConvTranspose{n}d({in_shape[0]}, {p['out_channels']}, "
            f"kernel_size={_t(p['kernel_size'], n)}, stride={_t(p['stride'], n)}, "
            f"padding={_t(p['padding'], n)}, output_padding={_t(p['output_padding'], n)}, "
            f"groups={p['groups']}, bias={p['bias']}, dilation={_t(p['dilation'], n)})"
        )
    if kind in ("max_pool", "avg_pool", "max_unpool"):
        q = pool_params if kind == "max_unpool" else p
        k = _t(q["kernel_size"], n)
        s = _t(G.pool_stride(q["kernel_size"], q["stride"]), n)
        pad = _t(q["padding"], n)
        if kind == "max_pool":
            return f"nn.MaxPool{n}d({k}, {s}, {pad}, return_indices={unpooled})"
        if kind == "avg_pool":
            return f"nn.AvgPool{n}d({k}, {s}, {pad})"
        return f"nn.MaxUnpool{n}d({k}, {s}, {pad})"
    if kind == "subsample":
        helpers.add("Subsample")
        return f"Subsample({p['factor']}, {n})"
    if kind == "blur_pool":
        helpers.add("BlurPool")
        return (
            f"BlurPool({in_shape[0]}, {p['kernel_size']}, {p['stride']}, "
            f"{p['padding_mode']!r}, {n})"
        )
    if kind == "global_avg_pool":
        helpers.add("GlobalAvgPool")
        return f"GlobalAvgPool({n})"
    if kind == "upsample":
        if p["mode"] == "nearest":
            helpers.add("Duplicate")
            return f"Duplicate({p['scale_factor']}, {n})"
        return (
            f"nn.Upsample(scale_factor={float(p['scale_factor'])!r}, mode={p['mode']!r}, "
            f"align_corners=False)"
        )
    if kind == "activation":
        fn = p["function"]
        if fn == "leaky_relu":
            return f"nn.LeakyReLU({p['negative_slope']!r})"
        return {"relu": "nn.ReLU()", "sigmoid": "nn.Sigmoid()", "tanh": "nn.Tanh()"}[fn]
    if kind == "dropout":
        return f"nn.Dropout({p['p']!r})"
    if kind == "flatten":
        return "nn.Flatten()"
    if kind == "linear":
        return f"nn.Linear({in_shape[0]}, {p['out_features']}, bias={p['bias']})"
    return None  # add / concat: written inline in forward


def _forward_call(node, ident: str, var: dict[str, str], nodes, unpooled: set[str]) -> str:
    """The line of ``forward`` that computes one layer (add and concat are written inline)."""
    kind = node.layer.type
    ins = [var[s] for s in node.inputs]
    if kind == "add":
        return f"{ident} = {ins[0]} + {ins[1]}"
    if kind == "concat":
        return f"{ident} = torch.cat([{ins[0]}, {ins[1]}], dim=1)"
    if kind == "max_unpool":
        pool = node.params["pool"]
        pool_in = var[next(n for n in nodes if n.name == pool).inputs[0]]
        return (
            f"{ident} = self.{ident}({ins[0]}, {var[pool]}_indices, "
            f"output_size={pool_in}.shape[2:])"
        )
    if kind == "max_pool" and node.name in unpooled:
        return f"{ident}, {ident}_indices = self.{ident}({ins[0]})"
    return f"{ident} = self.{ident}({ins[0]})"


def _header(spec: NetworkSpec, analysis, weights_path: str | None) -> list[str]:
    """The generated file's docstring, imports and constants."""
    title = spec.name or "network"
    return [
        f'"""{title}{": " + spec.description if spec.description else ""}',
        "",
        "Generated by ConvScope: a standalone PyTorch module.",
        NEEDS,
        f"Input: a batch (N, {', '.join(map(str, analysis.input_shape))}); "
        f"parameters: {analysis.total.parameters:,}.",
        '"""',
        "",
        "import torch",
        "from torch import nn",
        "",
        f"INPUT_SHAPE = {tuple(analysis.input_shape)!r}",
        f"WEIGHTS_PATH = {weights_path!r}",
        "",
    ]


def pytorch_source(spec: NetworkSpec, weights_path: str | None = None) -> str:
    """A standalone .py rebuilding ``spec`` (raises the first layer error if it cannot run).

    ``weights_path`` becomes ``WEIGHTS_PATH``, loaded by ``build()``.
    """
    analysis = analyze(spec)
    error = analysis.first_error()
    if error is not None:
        raise error
    nodes = plan(spec)
    idents = _identifiers([node.name for node in nodes])
    var = dict(zip((node.name for node in nodes), idents, strict=True))
    var[INPUT] = "x"
    unpooled = {node.params["pool"] for node in nodes if node.layer.type == "max_unpool"}
    params_of = {node.name: node.params for node in nodes}
    helpers: set[str] = set()
    init_lines, forward_lines = [], []
    for node, info, ident in zip(nodes, analysis.layers, idents, strict=True):
        kind, p = node.layer.type, node.params
        pool = p["pool"] if kind == "max_unpool" else None
        module = _module(
            kind, p, info.input_shapes[0], params_of.get(pool), node.name in unpooled, helpers
        )
        if module is not None:
            init_lines.append(f"        self.{ident} = {module}")
        comment = f"  # {node.name!r}: {kind} -> {tuple(info.out_shape)}"
        forward_lines.append(f"        {_forward_call(node, ident, var, nodes, unpooled)}{comment}")
    last = idents[-1] if idents else "x"
    header = _header(spec, analysis, weights_path)
    body = ["\n" + _HELPERS[h] for h in sorted(helpers)]
    with_module = {line.split(" =", 1)[0].strip()[len("self.") :] for line in init_lines}
    layer_map = ",\n".join(
        f"        {name!r}: {ident!r}"
        for name, ident in zip((n.name for n in nodes), idents, strict=True)
        if ident in with_module  # a set: linear in the network's size
    )
    net = [
        "",
        "",
        "class Net(nn.Module):",
        "    # ConvScope layer name -> attribute",
        "    LAYERS = {" + ("\n" + layer_map + ",\n    " if layer_map else "") + "}",
        "",
        "    def __init__(self):",
        "        super().__init__()",
        *init_lines,
        "",
        "    def forward(self, x):",
        *forward_lines,
        f"        return {last}",
    ]
    return "\n".join(header) + "".join(body) + "\n".join(net) + "\n" + _TAIL
