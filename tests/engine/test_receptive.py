"""engine.receptive: exact fields, checked against perturbation through torch."""

import numpy as np
import torch
from hypothesis import assume, given
from hypothesis import strategies as st

from engine.network import analyze, init_weights
from engine.presets import get_preset
from engine.receptive import receptive_field
from engine.spec import LayerSpec, NetworkSpec
from engine.torch_build import build_module


def test_mnist1d_cnn_fields_grow_3_7_15():
    spec = get_preset("udl-mnist1d-cnn")
    fields = {i.name: i.receptive_field for i in analyze(spec).layers}
    assert (fields["conv1"], fields["conv2"], fields["conv3"]) == ((3,), (7,), (15,))
    masks = receptive_field(spec, None, "conv3", (1,))
    assert masks["input"].sum() == 15 and masks["conv2"].sum() == 3
    assert np.flatnonzero(masks["input"]).tolist() == list(range(8, 23))
    assert "fc" not in masks and set(masks) >= {"input", "conv1", "relu1", "conv3"}


def test_dilated_stack_fields_3_7_15_31():
    spec = get_preset("dilated-stack")
    convs = [i.receptive_field for i in analyze(spec).layers if i.type == "conv"]
    assert convs == [(3,), (7,), (15,), (31,)]
    spec3 = spec.with_layers(spec.layers[:5])
    assert analyze(spec3).layers[-1].receptive_field == (15,)


def test_vector_layer_reads_everything_and_flatten_one_position():
    spec = get_preset("udl-mnist1d-cnn")
    reads = receptive_field(spec, None, "fc", (3,))["input"]
    # stride 2 without padding: 40 -> 19 positions read input 0..38; position 39 never counts
    assert reads[:39].all() and not reads[39]
    m = receptive_field(spec, None, "flatten", (5,))  # channel 1, position 1 of conv3
    assert m["relu3"].tolist() == [False, True, False, False]
    assert m["input"].sum() == 15


def test_skip_join_is_the_union_of_both_branches():
    layers = (
        LayerSpec("wide", "conv", {"out_channels": 1, "kernel_size": 5, "padding": 2}),
        LayerSpec("narrow", "conv", {"out_channels": 1, "kernel_size": 1}, ("input",)),
        LayerSpec("join", "add", {}, ("wide", "narrow")),
    )
    spec = NetworkSpec(layers, (1, 9, 9))
    m = receptive_field(spec, None, "join", (4, 4))
    assert m["input"].sum() == 25 and m["narrow"].sum() == 1


@st.composite
def stacks(draw):
    n = draw(st.sampled_from([1, 2]))
    layers = []
    for i in range(draw(st.integers(1, 4))):
        kind = draw(
            st.sampled_from(
                [
                    "conv",
                    "conv",
                    "max_pool",
                    "avg_pool",
                    "upsample",
                    "conv_transpose",
                    "subsample",
                    "blur_pool",
                ]
            )
        )
        if kind == "conv":
            params = {
                "out_channels": 3,
                "kernel_size": draw(st.integers(1, 3)),
                "dilation": draw(st.integers(1, 3)),
                "stride": draw(st.integers(1, 2)),
                "padding": draw(st.integers(0, 2)),
                "padding_mode": draw(
                    st.sampled_from(["zeros", "reflect", "circular", "replicate"])
                ),
            }
        elif kind in ("max_pool", "avg_pool"):
            params = {"kernel_size": draw(st.integers(1, 3)), "stride": draw(st.integers(1, 2))}
        elif kind == "upsample":
            params = {
                "scale_factor": draw(st.integers(1, 3)),
                "mode": draw(st.sampled_from(["nearest", "linear" if n == 1 else "bilinear"])),
            }
        elif kind == "conv_transpose":
            params = {
                "out_channels": 3,
                "kernel_size": draw(st.integers(1, 3)),
                "stride": draw(st.integers(1, 2)),
            }
        elif kind == "blur_pool":
            params = {
                "kernel_size": draw(st.integers(2, 4)),
                "stride": draw(st.integers(1, 2)),
                "padding_mode": draw(
                    st.sampled_from(["zeros", "reflect", "circular", "replicate"])
                ),
            }
        else:
            params = {"factor": draw(st.integers(1, 3))}
        layers.append(LayerSpec(f"l{i}", kind, params))
    size = draw(st.integers(5, 10))
    return NetworkSpec(tuple(layers), (2, *([size] * n))), draw(st.integers(0, 10_000))


@given(stacks(), st.data())
def test_field_equals_the_positions_whose_perturbation_changes_the_output(case, data):
    spec, seed = case
    analysis = analyze(spec)
    assume(analysis.ok)
    out_shape = analysis.layers[-1].out_shape
    pos = tuple(data.draw(st.integers(0, s - 1)) for s in out_shape[1:])
    module = build_module(spec, init_weights(spec, seed=seed)).double().eval()
    rng = np.random.default_rng(seed)
    x = torch.from_numpy(rng.standard_normal((1, *spec.input_shape)))
    with torch.no_grad():
        base = module(x)[0][(slice(None), *pos)]
        changed = np.zeros(spec.input_shape[1:], dtype=bool)
        for where in np.ndindex(*spec.input_shape[1:]):
            for delta in (100.0, -100.0):  # both signs: a max pool must notice one of them
                y = x.clone()
                y[(0, slice(None), *where)] += delta
                if not torch.allclose(module(y)[0][(slice(None), *pos)], base, atol=1e-9, rtol=0):
                    changed[where] = True
                    break
    mask = receptive_field(spec, None, spec.layers[-1].name, pos)["input"]
    np.testing.assert_array_equal(mask, changed)
