"""engine.codegen: the generated source runs alone and computes what the engine computes."""

import inspect
import json
import subprocess
import sys

import numpy as np
import pytest

from engine.codegen import pytorch_source
from engine.errors import EngineError
from engine.network import analyze, forward, init_weights
from engine.presets import get_preset
from engine.serialize import save_weights
from engine.spec import LayerSpec, NetworkSpec
from engine.torch_layers import BlurPool

RUN = """
import json, sys, numpy as np, torch
sys.path.insert(0, sys.argv[1])
import generated
assert set(sys.modules) & {"PySide6", "pyqtgraph", "engine"} == set()
net = generated.build()
x = torch.from_numpy(np.load(sys.argv[2]))[None]
with torch.no_grad():
    y = net(x)[0].numpy()
np.save(sys.argv[3], y)
print(json.dumps({"parameters": sum(p.numel() for p in net.parameters())}))
"""


def run_generated(spec, tmp_path, ext):
    weights = init_weights(spec, seed=7)
    save_weights(tmp_path / f"w.{ext}", weights)
    (tmp_path / "generated.py").write_text(pytorch_source(spec, f"w.{ext}"))
    x = np.random.default_rng(0).standard_normal(spec.input_shape).astype(np.float32)
    np.save(tmp_path / "x.npy", x)
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            RUN,
            str(tmp_path),
            str(tmp_path / "x.npy"),
            str(tmp_path / "y.npy"),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    trace = forward(spec, weights, x)
    return json.loads(result.stdout), np.load(tmp_path / "y.npy"), trace


@pytest.mark.parametrize(
    "name, ext", [("encoder-decoder", "npz"), ("udl-mnist1d-cnn", "safetensors")]
)
def test_generated_module_equals_engine(name, ext, tmp_path):
    spec = get_preset(name)
    info, y, trace = run_generated(spec, tmp_path, ext)
    assert info["parameters"] == analyze(spec).total.parameters
    np.testing.assert_allclose(y, trace.outputs[spec.layers[-1].name], rtol=1e-5, atol=1e-5)


def test_awkward_names_and_helpers(tmp_path):
    layers = (
        LayerSpec(
            "1st conv",
            "conv",
            {
                "out_channels": 2,
                "kernel_size": 3,
                "flip": True,
                "padding": "same",
                "padding_mode": "circular",
            },
        ),
        LayerSpec("class", "subsample", {"factor": 2}),
        LayerSpec("eval", "upsample", {"scale_factor": 3}),
        LayerSpec("x", "conv_transpose", {"out_channels": 2}),
        LayerSpec("torch", "add", {}, ("x", "x")),
        LayerSpec("gap", "global_avg_pool"),
        LayerSpec("fc.out", "linear", {"out_features": 3}),
    )
    spec = NetworkSpec(layers, (1, 12))
    info, y, trace = run_generated(spec, tmp_path, "npz")
    np.testing.assert_allclose(y, trace.outputs["fc.out"], rtol=1e-5, atol=1e-5)


def test_main_block_prints_shape_and_parameters(tmp_path):
    path = tmp_path / "net.py"
    path.write_text(pytorch_source(get_preset("udl-mnist1d-cnn")))
    result = subprocess.run(
        [sys.executable, str(path)], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert "(1, 10)" in result.stdout and "2050" in result.stdout


def test_module_level_imports_only_torch():
    source = pytorch_source(get_preset("lenet"), "w.npz")
    top = [line for line in source.splitlines() if line.startswith(("import ", "from "))]
    assert top == ["import torch", "from torch import nn"]


def test_broken_network_raises():
    with pytest.raises(EngineError, match="conv2"):
        pytorch_source(get_preset("lenet").with_input_shape((1, 6, 6)))


@pytest.mark.parametrize(
    "input_shape, params",
    [
        ((2, 11), {}),
        ((2, 11), {"kernel_size": 4, "stride": 3, "padding_mode": "zeros"}),
        ((1, 9, 10), {"kernel_size": 5, "padding_mode": "circular"}),
        ((1, 9, 10), {"kernel_size": 2, "padding_mode": "replicate"}),
    ],
)
def test_exported_blur_pool_runs_and_equals_the_engine(input_shape, params, tmp_path):
    layers = (
        LayerSpec("c", "conv", {"out_channels": 3, "kernel_size": 3, "padding": 1}),
        LayerSpec("blur", "blur_pool", params),
    )
    spec = NetworkSpec(layers, input_shape)
    source = pytorch_source(spec)
    assert inspect.getsource(BlurPool) in source  # the app's class, word for word
    info, y, trace = run_generated(spec, tmp_path, "npz")
    assert info["parameters"] == analyze(spec).total.parameters  # the filter is not a weight
    np.testing.assert_allclose(y, trace.outputs["blur"], rtol=1e-5, atol=1e-6)
