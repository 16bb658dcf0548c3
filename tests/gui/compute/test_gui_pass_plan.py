"""The scheduler's pass plan: how passes run is chosen by their measured cost."""

import numpy as np
import pytest

from gui.compute.scheduler import PassPlan


def _run(plan, key, slow, cost, passes):
    chosen = []
    for _ in range(passes):
        option = plan.choose(key, slow)
        chosen.append(option)
        plan.record(slow, option, cost[option])
    return chosen


def test_each_option_is_tried_then_the_cheapest_is_used():
    plan = PassPlan()
    chosen = _run(plan, "net", True, {"overlap": 0.05, "serial": 0.03}, 12)
    assert {"overlap", "serial"} <= set(chosen[:5])
    assert chosen[-4:] == ["serial"] * 4
    assert plan.best(True) == "serial"
    chosen = _run(plan, "net", False, {"overlap": 0.01, "serial": 0.02}, 10)  # kept apart
    assert chosen[-1] == "overlap" and plan.best(True) == "serial"


def test_a_loser_is_tried_again_later_and_far_behind_much_later():
    near, far = PassPlan(), PassPlan()
    near_tries = [
        i
        for i, o in enumerate(_run(near, "n", True, {"overlap": 0.02, "serial": 0.03}, 400))
        if o == "serial"
    ]
    far_tries = [
        i
        for i, o in enumerate(_run(far, "n", True, {"overlap": 0.02, "serial": 1.0}, 400))
        if o == "serial"
    ]
    assert len(near_tries) > len(far_tries) >= 3  # retried, the far loser less often
    for tries in (near_tries, far_tries):
        gaps = [b - a for a, b in zip(tries[1:], tries[2:], strict=False)]
        assert gaps == sorted(gaps) and gaps[-1] > gaps[0]  # each loss waits longer


def test_a_new_network_is_measured_afresh():
    plan = PassPlan()
    _run(plan, "a", True, {"overlap": 0.01, "serial": 0.05}, 12)
    assert plan.best(True) == "overlap"
    _run(plan, "b", True, {"overlap": 0.05, "serial": 0.01}, 12)
    assert plan.best(True) == "serial"


def _settle(qtbot, scheduler):
    qtbot.waitUntil(
        lambda: (
            scheduler.latest is not None
            and scheduler.idle
            and scheduler.latest.generation == scheduler.generation
        ),
        timeout=10_000,
    )


@pytest.mark.parametrize("slow", [False, True])
@pytest.mark.parametrize("option", ["overlap", "serial"])
def test_every_plan_draws_what_a_fresh_pass_gives(qtbot, lab_2d, monkeypatch, option, slow):
    import gui.compute.scheduler as scheduler_module
    from engine import network
    from gui.compute.colormaps import colour_tables
    from gui.compute.display import layer_display

    monkeypatch.setattr(scheduler_module, "EARLY_LAYERS_AFTER_S", 0.0 if slow else 10.0)
    monkeypatch.setattr(PassPlan, "choose", lambda self, key, slow: option)
    document, scheduler = lab_2d
    _settle(qtbot, scheduler)
    for i, value in enumerate((1.5, -0.25)):
        document.set_kernel_value("conv1", (i, 0, 1, 1), value)
        _settle(qtbot, scheduler)
    result = scheduler.latest
    fresh = network.forward(document.spec, document.weights, document.input)
    tables = colour_tables(document.view.colormap)
    for name in document.spec.names():
        # the worker's torch thread count may differ from this thread's: last-bit sums
        output = result.trace.outputs[name]
        np.testing.assert_allclose(output, fresh.outputs[name], rtol=1e-5, atol=1e-6)
        # and its maps are exactly the drawing of that output, whichever way it was drawn
        expected = layer_display(
            name,
            output,
            scheduler.display_hint,
            document.view.colormap,
            tables=tables,
        )
        shown = result.display[name]
        assert shown.levels == expected.levels
        np.testing.assert_array_equal(shown.image, expected.image)
        np.testing.assert_array_equal(shown.rgb, expected.rgb)
