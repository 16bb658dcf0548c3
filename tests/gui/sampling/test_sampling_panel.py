"""The sampling lab's panel draws what engine.sampling returns, links hovers to the
engine's source windows, and reports bad settings in one line (pytest-qt)."""

import re

import numpy as np
import pytest

from engine import sampling as S
from engine.presets import get_preset
from gui.sampling.panel import JOBS, SamplingPanel, selected_kernel
from gui.state.document import Document

UDL = np.array([[1, 3, 5, 3], [6, 2, 0, 8], [4, 6, 1, 4], [2, 8, 0, 3]], dtype=np.float32)


def _panel(qtbot, x, preset):
    document = Document(x, get_preset(preset))
    panel = SamplingPanel(document)
    qtbot.addWidget(panel)
    panel.resize(1200, 900)
    drawn = set()
    panel.drawn.connect(drawn.add)
    panel.show()
    qtbot.waitUntil(lambda: drawn >= set(JOBS), timeout=30_000)
    return document, panel, drawn


def _redraw(qtbot, panel, drawn, job, change):
    drawn.discard(job)
    change()
    panel.invalidate(job)  # also when the change was no change (a default value)
    qtbot.waitUntil(lambda: job in drawn and panel.worker.idle, timeout=20_000)


@pytest.fixture
def lab2d(qtbot):
    x = np.random.default_rng(1).standard_normal((1, 12, 10)).astype(np.float32)
    document, panel, drawn = _panel(qtbot, x, "lab-2d")
    yield document, panel, drawn
    panel.shutdown()


@pytest.fixture
def lab1d(qtbot):
    x = np.random.default_rng(2).standard_normal((1, 21)).astype(np.float32)
    document, panel, drawn = _panel(qtbot, x, "lab-1d")
    yield document, panel, drawn
    panel.shutdown()


def _overlay_mask(plot):
    return plot.overlay.isVisible() and plot.overlay.image[..., 3] > 0


def test_down_views_draw_the_engines_outputs_on_one_colour_scale(lab2d):
    document, panel, _ = lab2d
    kernel, _ = selected_kernel(document)
    expected = S.downsample_views(document.input, 2, kernel)
    levels = set()
    for view in expected.views:
        plot = panel.down.plots[view.name]
        np.testing.assert_allclose(plot.data, view.output[0], rtol=1e-6, atol=1e-6)
        assert view.size_text in plot.title.text()
        levels.add(plot.levels)
    assert levels == {expected.levels}
    assert panel.down.plots["input"].levels == expected.levels


def test_hovering_a_down_output_highlights_its_source_window(lab2d):
    document, panel, _ = lab2d
    kernel, _ = selected_kernel(document)
    expected = S.downsample_views(document.input, 2, kernel)
    for name, pos in (("max_pool", (2, 3)), ("strided_conv", (0, 0)), ("subsample", (5, 4))):
        panel.down.plots[name].hovered.emit(pos)
        want = expected.view(name).source_window(pos)
        np.testing.assert_array_equal(_overlay_mask(panel.down.plots["input"]), want)
    panel.down.plots["max_pool"].hovered.emit(None)
    assert not panel.down.plots["input"].overlay.isVisible()


def test_the_notebooks_4x4_example_max_pools_to_its_answer(qtbot):
    document, panel, _ = _panel(qtbot, UDL[None], "lab-2d")
    try:
        np.testing.assert_array_equal(panel.down.plots["max_pool"].data, [[6, 8], [8, 4]])
        np.testing.assert_array_equal(panel.down.plots["subsample"].data, [[1, 5], [4, 1]])
        np.testing.assert_allclose(panel.down.plots["mean_pool"].data, [[3, 4], [5, 2]])
        # the up section starts from that max pool: duplicate and max unpool
        np.testing.assert_array_equal(panel.up.plots["small"].data, [[6, 8], [8, 4]])
        np.testing.assert_array_equal(
            panel.up.plots["duplicate"].data,
            [[6, 6, 8, 8], [6, 6, 8, 8], [8, 8, 4, 4], [8, 8, 4, 4]],
        )
        np.testing.assert_array_equal(
            panel.up.plots["max_unpool"].data,
            [[0, 0, 0, 0], [6, 0, 0, 8], [0, 0, 0, 4], [0, 8, 0, 0]],
        )
        # a square map: one size line for both axes, (2 − 1)·2 − 2·0 + 1·(2 − 1) + 0 + 1 = 4
        assert "each axis: (2 − 1)·2 − 2·0 + 1·(2 − 1) + 0 + 1 = 4" in panel.up.formula.text()
    finally:
        panel.shutdown()


def test_transposed_size_formula_follows_the_controls_and_evaluates(qtbot, lab2d):
    document, panel, drawn = lab2d
    up = panel.up

    def settings():
        up.kernel.setValue(3)
        up.stride.setValue(2)
        up.padding.setValue(1)
        up.output_padding.setValue(1)

    _redraw(qtbot, panel, drawn, "up", settings)
    text = up.formula.text()
    claims = re.findall(r"(\([\d ]+− 1\)·[^=;]+?) = (\d+)", text)
    shape = up.plots["transposed_conv"].data.shape
    assert "each axis" not in text and len(claims) == 2  # a 12×10 input: one line per axis
    for (expr, value), size in zip(claims, shape, strict=True):
        assert eval(expr.replace("−", "-").replace("·", "*")) == int(value) == size


def test_output_padding_not_below_stride_is_one_readable_error(qtbot, lab2d):
    document, panel, drawn = lab2d
    messages = []
    document.message.connect(lambda level, text: messages.append((level, text)))
    _redraw(qtbot, panel, drawn, "up", lambda: panel.up.output_padding.setValue(3))
    assert panel.up.error.isVisible() and "output_padding" in panel.up.error.text()
    assert [m[0] for m in messages] == ["error"]
    _redraw(qtbot, panel, drawn, "up", lambda: panel.up.output_padding.setValue(0))
    assert not panel.up.error.isVisible()


def test_hovering_the_small_map_shows_where_its_value_goes(lab2d):
    document, panel, _ = lab2d
    pos = (1, 2)
    panel.up.plots["small"].hovered.emit(pos)
    up = panel.up.result.comparison
    for view in up.views:
        mask = panel.up.plots[view.name].overlay.image[..., :3]
        yellow = np.all(mask == (255, 215, 0), axis=-1) & (
            panel.up.plots[view.name].overlay.image[..., 3] > 0
        )
        np.testing.assert_array_equal(yellow, view.target_window(pos))
    # the maximum behind that pooled value, in the max pool's input
    src = tuple(up.unpool.sources[(0, *pos)])
    pool_mask = panel.up.plots["pool_input"].overlay.image
    assert tuple(pool_mask[src][:3]) == (255, 215, 0)


@pytest.mark.parametrize("k,s,even", [(3, 2, False), (4, 2, True), (5, 3, False), (3, 3, True)])
def test_checkerboard_draws_the_overlap_count_and_says_the_rule(qtbot, lab2d, k, s, even):
    document, panel, drawn = lab2d

    def change():
        panel.checker.kernel.setValue(k)
        panel.checker.stride.setValue(s)

    _redraw(qtbot, panel, drawn, "checker", change)
    expected = S.checkerboard(k, s, dims=2)
    np.testing.assert_array_equal(panel.checker.plots["overlap"].data, expected.overlap)
    assert ("uneven" not in panel.checker.plots["overlap"].title.text()) == even
    assert panel.checker.caption.text() == expected.caption
    assert ("not divisible" in expected.caption) != even


def test_matrix_pictures_are_transposes_and_hover_marks_both(lab1d):
    document, panel, _ = lab1d
    m = panel.matrix
    conv, transposed = m.plots["conv"].data, m.plots["transposed"].data
    expected = S.transpose_pair((1, 8), panel.matrix.result.weight, 2, 1)
    np.testing.assert_allclose(conv, expected.conv.matrix)
    np.testing.assert_allclose(transposed, conv.T)
    m.plots["conv"].hovered.emit((2, 5))
    conv_marks = _overlay_mask(m.plots["conv"])
    np.testing.assert_array_equal(conv_marks, _overlay_mask(m.plots["transposed"]).T)
    assert not conv_marks[[0, 1, 3]].any() and conv_marks[2].all()  # the whole row, only it
    reads = expected.conv.row_reads(2)
    assert str(reads.inputs[0]) in m.readout.text()
    z = m.result.insertion
    np.testing.assert_allclose(m.insertion.plots["convolved"].data, z.transposed[0], atol=1e-6)


def test_matrix_size_limit_follows_the_dimensionality(lab2d):
    document, panel, _ = lab2d
    assert panel.matrix.side.maximum() == 8
    assert panel.matrix.plots["conv"].data.shape == panel.matrix.result.pair.conv.matrix.shape


def test_down_and_up_work_in_1d(lab1d):
    document, panel, _ = lab1d
    kernel, _ = selected_kernel(document)
    expected = S.downsample_views(document.input, 2, kernel)
    for view in expected.views:
        np.testing.assert_allclose(panel.down.plots[view.name].data, view.output[0], atol=1e-6)
    panel.down.plots["mean_pool"].hovered.emit((3,))
    marks = panel.down.plots["input"].marks.data["x"]
    assert sorted(marks.tolist()) == [6.0, 7.0]
    assert panel.up.plots["linear"].title.text().startswith("linear")
    assert "bilinear" not in panel.up.plots


def test_mixing_presets_and_a_bad_cell(qtbot, lab2d):
    document, panel, drawn = lab2d
    mix = panel.mixing
    grey = mix.preset.findData("grey")
    _redraw(
        qtbot,
        panel,
        drawn,
        "mixing",
        lambda: (mix.preset.setCurrentIndex(grey), mix.apply_preset()),
    )
    image = np.asarray(mix.plots["image"].image.image)
    assert image.shape[-1] == 3  # the RGB photograph
    assert mix.table.rowCount() == 1
    assert "1·3 + 1 = 4" in mix.counts.text() and "1·3·3·3 + 1 = 28" in mix.counts.text()
    assert not mix.plots["out1"].isVisible()
    mix.table.item(0, 1).setText("green")
    assert mix.error.isVisible() and "not a number" in mix.error.text()


def test_a_burst_of_edits_while_the_worker_is_busy_runs_the_newest_once(qtbot, lab2d, monkeypatch):
    import threading

    from gui.sampling import jobs

    _, panel, drawn = lab2d
    factors = []
    gate = threading.Event()
    real_down = jobs.down

    def down(x, factor, *args):
        factors.append(factor)
        gate.wait(5)  # the first request holds the worker while the next edits arrive
        return real_down(x, factor, *args)

    monkeypatch.setattr(jobs, "down", down)
    drawn.discard("down")
    panel.down.factor.setValue(3)
    qtbot.waitUntil(lambda: factors == [3], timeout=20_000)
    for factor in (4, 5, 2):
        panel.down.factor.setValue(factor)
    gate.set()
    newest = panel.worker.generation("down")
    qtbot.waitUntil(lambda: panel.worker.idle and panel.worker.delivered("down") == newest)
    assert factors == [3, 2]  # the running one, then only the newest of the burst


def test_the_window_has_the_sampling_lab(open_window):
    window = open_window("sine")
    panel = window.show_lab("Sampling")
    assert isinstance(panel, SamplingPanel)
    assert window.lab("Sampling") is panel
    panel.shutdown()


def test_presentation_fonts_make_the_maps_larger(qtbot, lab2d):
    from PySide6.QtGui import QFont

    document, panel, _ = lab2d
    before = panel.down.plots["input"].width()
    font = QFont(panel.font())
    font.setPointSize(font.pointSize() + 6)
    panel.setFont(font)
    assert panel.down.plots["input"].width() > before


def test_switching_the_input_to_1d_replaces_the_2d_views(qtbot, lab2d):
    document, panel, drawn = lab2d
    assert "bilinear" in panel.up.plots
    signal = np.sin(np.linspace(0, 6, 30))[None].astype(np.float32)

    drawn.clear()
    assert document.load(signal, get_preset("lab-1d"))
    qtbot.waitUntil(lambda: {"down", "up"} <= drawn and panel.worker.idle, timeout=20_000)
    assert "bilinear" not in panel.up.plots and "linear" in panel.up.plots
    assert panel.up.plots["linear"].data.shape == (30,)


def test_the_small_map_can_be_a_max_pool_layers_output_with_its_unpool(qtbot, lab2d):
    document, panel, drawn = lab2d
    index = panel.up.source.findData("pool")
    assert index > 0
    _redraw(qtbot, panel, drawn, "up", lambda: panel.up.source.setCurrentIndex(index))
    up = panel.up.result.comparison
    assert up.input.shape[0] == document.layer_shape("pool")[0]
    assert "max_unpool" in panel.up.plots and up.unpool is not None
    np.testing.assert_array_equal(up.unpool.pooled, up.input)  # the pair undoes that pool
    conv = panel.up.source.findData("conv1")
    _redraw(qtbot, panel, drawn, "up", lambda: panel.up.source.setCurrentIndex(conv))
    assert "max_unpool" not in panel.up.plots
    assert panel.up.notes.isVisible() and "max pool it undoes" in panel.up.notes.text()


def test_a_centre_crop_keeps_the_max_unpool_paired(qtbot):
    x = np.random.default_rng(3).standard_normal((1, 45, 50)).astype(np.float32)
    document, panel, drawn = _panel(qtbot, x, "lab-2d")
    try:
        assert panel.region.currentData() == 32
        assert panel.down.plots["input"].data.shape == (32, 32)
        np.testing.assert_array_equal(panel.down.plots["input"].data, x[0, 6:38, 9:41])
        pair = panel.up.result.comparison.unpool
        np.testing.assert_array_equal(pair.pooled, panel.up.result.comparison.input)
        whole = panel.region.findData(None)
        _redraw(qtbot, panel, drawn, "down", lambda: panel.region.setCurrentIndex(whole))
        assert panel.down.plots["input"].data.shape == (45, 50)
    finally:
        panel.shutdown()


def test_the_matrix_of_the_selected_convolution(qtbot, lab2d):
    from engine.linear_map import layer_spec_matrix

    document, panel, drawn = lab2d
    document.select_layer("conv2")
    selected = panel.matrix.kernel_source.findData("selected")
    _redraw(
        qtbot, panel, drawn, "matrix", lambda: panel.matrix.kernel_source.setCurrentIndex(selected)
    )
    layer = document.spec.layers[document.spec.index("conv2")]
    weight = document.weights["conv2"]["weight"]
    side = panel.matrix.side.value()
    expected = layer_spec_matrix(layer, (weight.shape[1], side, side), document.weights["conv2"])
    np.testing.assert_allclose(panel.matrix.plots["conv"].data, expected.matrix, rtol=1e-6)
    np.testing.assert_allclose(panel.matrix.plots["transposed"].data, expected.matrix.T, rtol=1e-6)


def test_a_selected_same_padded_convolution_is_one_readable_error(qtbot, lab1d):
    document, panel, drawn = lab1d
    messages = []
    document.message.connect(lambda level, text: messages.append(level))
    document.select_layer("conv1")  # lab-1d's conv1 pads 'same'
    selected = panel.matrix.kernel_source.findData("selected")
    _redraw(
        qtbot, panel, drawn, "matrix", lambda: panel.matrix.kernel_source.setCurrentIndex(selected)
    )
    assert panel.matrix.error.isVisible() and "pads 'same'" in panel.matrix.error.text()
    assert messages == ["error"]
