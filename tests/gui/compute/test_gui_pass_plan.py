"""The scheduler's pass plan: how passes run is chosen by their measured cost."""

from gui.compute.scheduler import PassPlan


def _run(plan, key, slow, cost, passes):
    chosen = []
    for _ in range(passes):
        option = plan.choose(key, slow)
        chosen.append(option)
        plan.record(slow, option, cost[option])
    return chosen


def test_each_option_is_tried_then_the_cheapest_is_used():
    plan = PassPlan(1, 2)
    cost = {"overlap": 0.05, "serial": 0.03, "threads": 0.50}
    chosen = _run(plan, "net", True, cost, 12)
    assert {"overlap", "serial", "threads"} <= set(chosen[:7])
    assert chosen[-4:] == ["serial"] * 4
    assert plan.best(True) == "serial"


def test_quick_passes_never_try_threads_and_one_core_offers_none():
    plan = PassPlan(1, 2)
    chosen = _run(plan, "net", False, {"overlap": 0.01, "serial": 0.02}, 10)
    assert "threads" not in chosen and chosen[-1] == "overlap"
    assert PassPlan(2, 2).options == ("overlap", "serial")


def test_a_loser_is_tried_again_later_and_far_behind_much_later():
    plan = PassPlan(1, 2)
    cost = {"overlap": 0.02, "serial": 0.03, "threads": 1.0}
    chosen = _run(plan, "net", True, cost, 300)
    serial_tries = [i for i, o in enumerate(chosen) if o == "serial"]
    thread_tries = [i for i, o in enumerate(chosen) if o == "threads"]
    assert len(serial_tries) > len(thread_tries) >= 2  # retried, the far loser less often
    gaps = [b - a for a, b in zip(thread_tries, thread_tries[1:])]
    assert gaps == sorted(gaps) and gaps[-1] > gaps[0]  # each loss waits longer


def test_a_new_network_is_measured_afresh():
    plan = PassPlan(1, 2)
    _run(plan, "a", True, {"overlap": 0.01, "serial": 0.05, "threads": 0.5}, 12)
    assert plan.best(True) == "overlap"
    _run(plan, "b", True, {"overlap": 0.05, "serial": 0.01, "threads": 0.5}, 12)
    assert plan.best(True) == "serial"
