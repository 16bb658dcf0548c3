"""The compute scheduler: exact traces off the GUI thread, newest request wins."""

import threading

import numpy as np
import torch

from engine import network
from engine.receptive import receptive_field
from gui.compute.display import GAP, DisplayHint, grid_for, layer_display, quantize_numpy
from gui.compute.scheduler import ComputeResult
from gui.state.document import Probe


def _wait_current(qtbot, scheduler):
    """Wait until the scheduler delivered a result for its newest request."""
    qtbot.waitUntil(
        lambda: (
            scheduler.latest is not None
            and scheduler.latest.generation == scheduler.generation
            and scheduler.idle
        ),
        timeout=20_000,
    )
    return scheduler.latest


def _assert_trace_equals_forward(result: ComputeResult, document):
    expected = network.forward(document.spec, document.weights, document.input)
    assert set(result.trace.outputs) == set(expected.outputs)
    for name, array in expected.outputs.items():
        # The worker thread runs torch with its own thread count (torch.set_num_threads acts
        # per calling thread), so float32 sums may differ in their last bits from this thread's.
        np.testing.assert_allclose(
            result.trace.outputs[name], array, rtol=1e-5, atol=1e-6, err_msg=name
        )


def test_first_result_equals_engine_forward(lab_2d, qtbot):
    document, scheduler = lab_2d
    result = _wait_current(qtbot, scheduler)
    _assert_trace_equals_forward(result, document)
    assert set(result.display) == {"input", *document.spec.names()}


def test_forward_runs_off_the_gui_thread(lab_2d, qtbot, request):
    document, scheduler = lab_2d
    _wait_current(qtbot, scheduler)
    threads = request.getfixturevalue("forward_threads")  # spying from here on
    document.set_kernel_value("conv1", (0, 0, 0, 0), 0.5)
    _wait_current(qtbot, scheduler)
    assert threads and all(t is not threading.main_thread() for t in threads)


def test_partial_recompute_equals_full_forward(lab_2d, qtbot):
    document, scheduler = lab_2d
    first = _wait_current(qtbot, scheduler)
    document.set_kernel_value("conv2", (3, 4, 1, 1), 2.5)
    result = _wait_current(qtbot, scheduler)
    _assert_trace_equals_forward(result, document)
    # Layers before the edit were reused, not recomputed.
    assert result.trace.outputs["pool"] is first.trace.outputs["pool"]
    assert result.trace.outputs["conv2"] is not first.trace.outputs["conv2"]


def test_a_kernel_edit_redraws_its_channel_into_the_same_display_data(lab_2d, qtbot):
    document, scheduler = lab_2d
    first = _wait_current(qtbot, scheduler)
    document.set_kernel_value("conv1", (5, 0, 1, 1), 3.0)
    result = _wait_current(qtbot, scheduler)
    trace = result.trace
    assert trace.changed_since == first.trace.serial
    assert trace.changed_channels["conv1"] == frozenset({5})
    assert trace.changed_channels["pool"] == frozenset({5})
    assert "conv2" not in trace.changed_channels  # mixes every channel: drawn whole
    for name in ("conv1", "relu1", "pool"):
        shown = result.display[name]
        whole = layer_display(
            name, trace.outputs[name], scheduler.display_hint, document.view.colormap
        )
        np.testing.assert_array_equal(shown.image, whole.image, err_msg=name)
        assert shown.levels == whole.levels
    assert result.display["conv1"].levels != first.display["conv1"].levels  # a new range
    _assert_trace_equals_forward(result, document)


def test_newest_request_wins_and_results_never_go_backwards(lab_2d, qtbot):
    document, scheduler = lab_2d
    _wait_current(qtbot, scheduler)
    delivered = []
    scheduler.traceReady.connect(lambda r: delivered.append(r.generation))
    for i in range(20):  # faster than the worker can follow
        document.set_kernel_value("conv1", (i % 16, 0, i % 3, 1), 0.1 * i - 1.0, merge_key="drag")
    result = _wait_current(qtbot, scheduler)
    _assert_trace_equals_forward(result, document)
    assert delivered == sorted(delivered) and len(set(delivered)) == len(delivered)
    assert delivered[-1] == scheduler.generation
    assert len(delivered) < 20  # coalesced: not one run per edit


def test_input_and_network_changes_recompute(lab_2d, qtbot):
    document, scheduler = lab_2d
    _wait_current(qtbot, scheduler)
    document.set_input(np.ones((1, 32, 32), np.float32))
    _assert_trace_equals_forward(_wait_current(qtbot, scheduler), document)
    document.set_layer_params(document.spec.index("conv2"), {"out_channels": 5})
    result = _wait_current(qtbot, scheduler)
    _assert_trace_equals_forward(result, document)
    assert result.display["conv3"].shape == (4, 32, 32)


def test_a_failing_layer_keeps_earlier_outputs(lab_2d, qtbot):
    document, scheduler = lab_2d
    document.set_layer_params(document.spec.index("conv2"), {"kernel_size": 40})
    result = _wait_current(qtbot, scheduler)
    assert "conv2" in result.trace.errors
    assert result.display["conv2"].kind == "missing"
    assert result.display["pool"].kind == "map2d"
    assert "conv3" not in result.trace.outputs


def test_render_tiles_equal_the_quantised_trace(lab_2d, qtbot):
    document, scheduler = lab_2d
    scheduler.set_display_hint(DisplayHint(max_columns=4, tile_px=512))  # no downsampling
    result = _wait_current(qtbot, scheduler)
    for name in ("conv1", "pool", "conv3"):
        render = result.display[name]
        output = result.trace.outputs[name]
        c, h, w = output.shape
        assert render.factor == 1 and render.grid == grid_for(c, 4)
        expected = quantize_numpy(output, render.levels)
        image = render.image
        assert image.dtype == np.uint8 and image.flags.c_contiguous
        rows, cols = render.grid
        assert image.shape == (rows * (h + 1) - 1, cols * (w + 1) - 1)
        for ch in range(c):
            r, k = divmod(ch, cols)
            tile = image[r * (h + 1) : r * (h + 1) + h, k * (w + 1) : k * (w + 1) + w]
            np.testing.assert_array_equal(tile, expected[ch], err_msg=f"{name}[{ch}]")
        assert (image[h :: h + 1, :] == GAP).all() and (image[:, w :: w + 1] == GAP).all()
        lo, hi = render.levels
        if output.min() < 0:  # auto colormap: diverging, centred on zero
            assert lo == -hi == -float(np.abs(output).max())
        else:
            assert lo == 0 and hi == float(output.max())


def test_downsampled_tiles_are_block_means(lab_2d, qtbot):
    document, scheduler = lab_2d
    scheduler.set_display_hint(DisplayHint(max_columns=16, tile_px=16))
    result = _wait_current(qtbot, scheduler)
    render = result.display["conv1"]
    output = result.trace.outputs["conv1"]  # (16, 48, 40)
    assert render.factor == 3 and render.tile == (16, 14)
    means = torch.nn.functional.avg_pool2d(torch.from_numpy(output)[None], 3, ceil_mode=True)[0]
    expected = quantize_numpy(means.numpy(), render.levels)
    th, tw = render.tile
    np.testing.assert_array_equal(render.image[:th, :tw], expected[0])


def test_shared_levels_use_one_scale(lab_2d, qtbot):
    document, scheduler = lab_2d
    document.set_view(shared_levels=True, colormap="diverging")
    result = _wait_current(qtbot, scheduler)
    biggest = max(float(np.abs(a).max()) for a in result.trace.outputs.values())
    assert {r.levels for r in result.display.values()} == {(-biggest, biggest)}


def test_receptive_field_of_the_probe(lab_2d, qtbot):
    document, scheduler = lab_2d
    scheduler.set_display_hint(DisplayHint(max_columns=16, tile_px=512))
    _wait_current(qtbot, scheduler)
    probe = Probe("conv2", 0, (5, 7))
    with qtbot.waitSignal(scheduler.receptiveReady, timeout=20_000) as blocker:
        document.set_probe(probe)
    rf = blocker.args[0]
    expected = receptive_field(document.spec, document.input.shape, "conv2", (5, 7))
    assert rf.probe == probe and set(rf.masks) == set(expected)
    for name, mask in expected.items():
        np.testing.assert_array_equal(rf.masks[name], mask)
    h, w = document.input.shape[1:]
    np.testing.assert_array_equal(rf.overlays["input"][:h, :w] == 1, expected["input"])


def test_shutdown_stops_work(lab_2d, qtbot):
    document, scheduler = lab_2d
    _wait_current(qtbot, scheduler)
    scheduler.shutdown()
    generation = scheduler.latest.generation
    document.set_kernel_value("conv1", (0, 0, 0, 0), 1.0)
    qtbot.wait(50)  # nothing may arrive (no thread exists to deliver it)
    assert scheduler.latest.generation == generation and scheduler.idle


def test_a_quick_pass_draws_its_layers_on_the_render_thread(lab_2d, qtbot, monkeypatch):
    import threading

    from gui.compute import scheduler as scheduler_module

    # What counts as quick is a measured time: on a loaded machine a pass may be slow, so
    # the threshold is lifted here (the choice itself is tested through its timings).
    monkeypatch.setattr(scheduler_module, "EARLY_LAYERS_AFTER_S", 1e9)
    document, scheduler = lab_2d
    _wait_current(qtbot, scheduler)
    document.set_kernel_value("conv1", (0, 0, 1, 1), 0.5)  # warm: quick passes from here on
    _wait_current(qtbot, scheduler)
    drawn_on: dict[str, str] = {}
    real_render = scheduler_module.layer_display

    def spy(name, *args, **kwargs):
        drawn_on[name] = threading.current_thread().name
        return real_render(name, *args, **kwargs)

    monkeypatch.setattr(scheduler_module, "layer_display", spy)
    document.set_kernel_value("conv2", (1, 2, 0, 1), -0.75)
    result = _wait_current(qtbot, scheduler)
    recomputed = ["conv2", "relu2", "up", "conv3"]
    assert sorted(drawn_on) == sorted(recomputed)  # the layers before were kept
    assert all(drawn_on[n].startswith("convscope-render") for n in recomputed), drawn_on
    _assert_trace_equals_forward(result, document)
    for name in recomputed:  # what the render thread drew is what the pass holds
        whole = real_render(
            name, result.trace.outputs[name], scheduler.display_hint, document.view.colormap
        )
        np.testing.assert_array_equal(result.display[name].image, whole.image, err_msg=name)


def test_the_receptive_field_is_asked_for_again_only_when_the_spec_changes(lab_2d, qtbot):
    from gui.state.document import Probe

    document, scheduler = lab_2d
    _wait_current(qtbot, scheduler)
    document.set_probe(Probe("conv2", 0, (3, 3)))
    qtbot.waitUntil(lambda: scheduler.latest_receptive is not None, timeout=10_000)
    generation = scheduler._rf_generation
    document.set_kernel_value("conv1", (0, 0, 1, 1), 2.0)  # weights only
    document.set_input(np.ones_like(document.input))  # values only, same shape
    _wait_current(qtbot, scheduler)
    assert scheduler._rf_generation == generation
    document.set_layer_params(document.spec.index("conv1"), {"kernel_size": 5})
    _wait_current(qtbot, scheduler)
    assert scheduler._rf_generation > generation
