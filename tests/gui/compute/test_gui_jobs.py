"""The background building block: order, newest-wins per tag, outcomes on the GUI thread."""

import threading

import pytest

from engine.errors import EngineError
from gui.compute.jobs import Jobs

WAIT = 10_000


@pytest.fixture
def jobs(qtbot):
    runner = Jobs("test-jobs")
    yield runner
    runner.shutdown()


def collect(jobs):
    outcomes = []
    jobs.done.connect(lambda token, result: outcomes.append(("done", token, result)))
    jobs.failed.connect(lambda token, message: outcomes.append(("failed", token, message)))
    return outcomes


def test_untagged_jobs_all_run_in_order_and_report_on_the_gui_thread(qtbot, jobs):
    outcomes = collect(jobs)
    threads = []
    jobs.done.connect(lambda *_: threads.append(threading.current_thread()))
    ran_on = []
    for i in range(5):
        jobs.submit(lambda i=i: (ran_on.append(threading.current_thread()), i)[1], token=i)
    qtbot.waitUntil(lambda: len(outcomes) == 5, timeout=WAIT)
    assert outcomes == [("done", i, i) for i in range(5)]
    assert all(t is threading.main_thread() for t in threads)
    assert all(t is not threading.main_thread() for t in ran_on)


def test_a_newer_job_with_the_same_tag_replaces_the_pending_one(qtbot, jobs):
    outcomes = collect(jobs)
    gate = threading.Event()
    jobs.submit(gate.wait, token="blocker")  # holds the worker while the burst arrives
    for value in range(10):
        jobs.submit(lambda v=value: v, tag="hover", token="hover")
    jobs.submit(lambda: "other", tag="other", token="other")
    gate.set()
    qtbot.waitUntil(lambda: jobs.idle and len(outcomes) == 3, timeout=WAIT)
    assert [o[1:] for o in outcomes] == [("blocker", True), ("hover", 9), ("other", "other")]
    assert jobs.generation("hover") == jobs.delivered("hover") == 10


def test_a_replaced_job_keeps_its_place_in_the_queue(qtbot, jobs):
    # A quick measure asked again while a long sweep waits behind it still runs first.
    outcomes = collect(jobs)
    gate = threading.Event()
    jobs.submit(gate.wait, token="blocker")
    jobs.submit(lambda: "measure 1", tag="measure", token="measure")
    jobs.submit(lambda: "sweep", tag="sweep", token="sweep")
    jobs.submit(lambda: "measure 2", tag="measure", token="measure")
    gate.set()
    qtbot.waitUntil(lambda: jobs.idle and len(outcomes) == 3, timeout=WAIT)
    assert [o[2] for o in outcomes[1:]] == ["measure 2", "sweep"]


def test_a_worker_whose_owner_is_gone_stops_quietly(qtbot):
    from PySide6.QtCore import QObject
    from shiboken6 import isValid

    owner = QObject()
    runner = Jobs("orphan", owner)
    gate = threading.Event()

    def job():
        gate.wait(5)
        return 1

    runner.submit(job)
    worker = runner._thread
    owner.deleteLater()
    qtbot.waitUntil(lambda: not isValid(runner), timeout=WAIT)
    gate.set()
    worker.join(5)
    assert not worker.is_alive()


def test_an_expected_error_is_the_message_and_anything_else_names_the_job(qtbot, jobs):
    outcomes = collect(jobs)

    def broken():
        raise ZeroDivisionError("division by zero")

    def refused():
        raise EngineError("stride must be at least 1, not 0")

    jobs.submit(refused, token="refused")
    jobs.submit(broken, token="preview")
    jobs.submit(lambda: 7, token="after")  # the worker survives both
    qtbot.waitUntil(lambda: len(outcomes) == 3, timeout=WAIT)
    assert outcomes == [
        ("failed", "refused", "stride must be at least 1, not 0"),
        ("failed", "preview", "preview failed: division by zero"),
        ("done", "after", 7),
    ]


def test_wait_blocks_until_every_job_has_run(jobs):
    ran = []
    gate = threading.Event()
    jobs.submit(gate.wait)
    jobs.submit(lambda: ran.append(1))
    assert not jobs.wait(timeout=0.05)  # the gate still holds the worker
    gate.set()
    assert jobs.wait(timeout=10) and ran == [1]


def test_after_shutdown_a_job_is_dropped_or_run_in_place(qtbot):
    dropping, running = Jobs("drop"), Jobs("run", after_shutdown="run")
    ran = []
    for name, runner in (("dropping", dropping), ("running", running)):
        runner.shutdown()
        runner.submit(lambda name=name: ran.append((name, threading.current_thread())))
    assert ran == [("running", threading.main_thread())]  # in place, on this thread


def test_an_unknown_after_shutdown_policy_is_refused():
    with pytest.raises(ValueError, match="after_shutdown"):
        Jobs("x", after_shutdown="later")


def test_a_lingering_worker_ends_when_idle_and_the_next_job_starts_another(qtbot):
    runner = Jobs("linger", linger_s=0.05)
    outcomes = collect(runner)
    runner.submit(lambda: 1, tag="x", token="x")
    first = runner._thread
    qtbot.waitUntil(lambda: bool(outcomes) and runner._thread is None, timeout=WAIT)
    first.join(5)
    assert not first.is_alive()  # no idle thread left behind
    runner.submit(lambda: 2, tag="x", token="x")
    qtbot.waitUntil(lambda: len(outcomes) == 2, timeout=WAIT)
    assert [o[2] for o in outcomes] == [1, 2]
    runner.shutdown()
