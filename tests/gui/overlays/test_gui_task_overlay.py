"""The task overlay draws what the engine predicts: the mask's labels, the decoded boxes."""

import numpy as np
import pyqtgraph as pg
import pytest

from engine.detection import decode_detections
from engine.presets import get_preset
from gui.compute.scheduler import ComputeScheduler
from gui.overlays.task_overlay import TaskOverlay
from gui.state.document import Document


@pytest.fixture
def overlay_of(qtbot):
    made = []

    def make(preset: str, shape=(1, 32, 32), seed=0):
        x = np.random.default_rng(seed).random(shape).astype(np.float32)
        document = Document(x, get_preset(preset))
        scheduler = ComputeScheduler(document)
        plot = pg.PlotWidget()
        qtbot.addWidget(plot)
        overlay = TaskOverlay(document, scheduler, plot)
        qtbot.addWidget(overlay)
        made.append(scheduler)
        settle(qtbot, overlay, scheduler)
        return document, scheduler, overlay

    yield make
    for scheduler in made:
        scheduler.shutdown()


def settle(qtbot, overlay, scheduler):
    qtbot.waitUntil(
        lambda: (
            scheduler.idle
            and scheduler.latest is not None
            and scheduler.latest.generation == scheduler.generation
            and overlay.data is not None
            and overlay.idle
        ),
        timeout=20_000,
    )


def last_output(document, scheduler):
    return scheduler.latest.trace.outputs[document.spec.names()[-1]]


def drawn_boxes(overlay):
    """The rectangles drawn, per class, read back from the plot's curves: (x0, y0, x1, y1)."""
    found = []
    for k, curve in enumerate(overlay.box_items):
        xs, ys = curve.getData()
        if xs is None or not len(xs):
            continue
        xs, ys = np.asarray(xs).reshape(-1, 6), np.asarray(ys).reshape(-1, 6)
        for x, y in zip(xs, ys, strict=True):
            found.append((k, x[0], y[0], x[1], y[2]))
    return sorted(found)


def engine_boxes(output, score, iou, size=32):
    boxes, _scores, labels = decode_detections(output, score, iou, size)[0]
    return sorted((int(k), *map(float, b)) for b, k in zip(boxes, labels, strict=True))


def test_segmentation_mask_is_the_argmax_of_the_output_and_follows_the_input(qtbot, overlay_of):
    document, scheduler, overlay = overlay_of("shapes-segmenter")
    assert overlay.task == "segmentation"
    assert not overlay.isHidden() and overlay.mask_item.isVisible()
    output = last_output(document, scheduler)
    assert output.shape == (5, 32, 32)
    np.testing.assert_array_equal(overlay.data.labels, output.argmax(0))
    drawn = overlay.mask_item.image
    assert drawn.shape == (32, 32, 4)
    background = output.argmax(0) == 0
    assert (drawn[..., 3][background] == 0).all() and (drawn[..., 3][~background] == 255).all()
    # a new input (as a stroke makes): the mask follows the new trace
    before = overlay.data.labels
    # (an untrained segmenter says "cross" everywhere for inputs in 0..1; strong ones vary)
    x = (np.random.default_rng(1).standard_normal((1, 32, 32)) * 50).astype(np.float32)
    document.set_input(x, text="paint")
    settle(qtbot, overlay, scheduler)
    after = last_output(document, scheduler)
    np.testing.assert_array_equal(overlay.data.labels, after.argmax(0))
    assert not np.array_equal(before, overlay.data.labels)


def test_opacity_slider_sets_the_mask_opacity(overlay_of):
    _document, _scheduler, overlay = overlay_of("shapes-segmenter")
    overlay.opacity.setValue(20)
    assert overlay.mask_item.opacity() == pytest.approx(0.20)


def test_boxes_drawn_equal_the_engine_decoding_at_the_slider_values(qtbot, overlay_of):
    document, scheduler, overlay = overlay_of("shapes-detector")
    assert overlay.task == "detection"
    # An untrained grid gives 64 tiny boxes of one score; spread the scores, widen the boxes
    # (so that neighbours overlap and NMS has something to suppress).
    weight = np.array(document.weights["grid"]["weight"])
    bias = np.array(document.weights["grid"]["bias"])
    weight[0] *= 100
    weight[5:] *= 100
    bias[0], bias[3:5] = 2.0, 0.6
    document.set_weights("grid", "weight", weight)
    document.set_weights("grid", "bias", bias)
    settle(qtbot, overlay, scheduler)
    output = last_output(document, scheduler)
    assert output.shape == (9, 8, 8)
    seen = set()
    for score, iou in ((0.05, 0.5), (0.10, 0.3), (0.05, 0.9), (0.5, 0.5)):
        overlay.score.setValue(round(score * 100))
        overlay.nms.setValue(round(iou * 100))
        settle(qtbot, overlay, scheduler)
        assert (overlay.score_threshold, overlay.nms_iou) == (score, iou)
        want = engine_boxes(output, score, iou)
        np.testing.assert_allclose(np.array(drawn_boxes(overlay)), np.array(want), atol=1e-4)
        assert len(overlay.text_items) == min(len(want), 40)
        seen.add(len(want))
    assert len(seen) > 1, "the sliders must change which boxes are drawn"


def test_a_network_that_fits_no_task_shows_no_overlay_and_no_error(qtbot, lab_2d):
    document, scheduler = lab_2d
    messages = []
    document.message.connect(lambda level, text: messages.append((level, text)))
    plot = pg.PlotWidget()
    qtbot.addWidget(plot)
    overlay = TaskOverlay(document, scheduler, plot)
    qtbot.addWidget(overlay)
    settle(qtbot, overlay, scheduler)
    assert overlay.task is None and overlay.isHidden()
    assert not overlay.mask_item.isVisible()
    assert drawn_boxes(overlay) == [] and overlay.text_items == []
    assert messages == []


def test_the_window_draws_the_overlay_on_its_input_view(qtbot, open_window):
    window = open_window("shapes")
    overlay = window.task_overlay
    plot = window.input_panel.draw_image.plot
    assert overlay.mask_item.getViewBox() is plot.getPlotItem().getViewBox()
    assert overlay.parentWidget() is not None and overlay.isHidden()  # lab-2d fits no task
    x = np.random.default_rng(1).standard_normal((1, 32, 32)).astype(np.float32) * 50
    assert window.document.load(x, get_preset("shapes-segmenter"), text="segmenter")
    settle(qtbot, overlay, window.scheduler)
    assert overlay.task == "segmentation" and not overlay.isHidden()
    output = last_output(window.document, window.scheduler)
    np.testing.assert_array_equal(overlay.data.labels, output.argmax(0))
