"""The training history lives in the document: recorded there, saved from it, opened into it,
drawn by the curves view from it; workspaces written before it lived there still open."""

from __future__ import annotations

import json
import math

import pytest
from hypothesis import given
from hypothesis import strategies as st
from PySide6.QtCore import QSettings

from engine.workspace import Workspace, load_workspace, save_workspace
from gui.app.main_window import MainWindow
from gui.compute.scheduler import ComputeScheduler
from gui.state.training_history import (
    EARLIER_KEY,
    EXTRAS_KEY,
    Record,
    TrainingHistory,
    TrainingRun,
)
from gui.training.curves_view import CurvesView
from gui.workspace.workspace_actions import install_workspace
from tests.gui.workspace.test_gui_workspace import FakeDialogs, edit, small_document

pytestmark = pytest.mark.qt_log_ignore("propagateSizeHints")

# Exactly what the curves view's saved() put into a workspace's extras before the history
# moved into the document (one network, two evaluations).
OLD_CURVES = {
    "labels": ["udl-mnist1d-cnn"],
    "total_steps": 40,
    "records": [
        [
            {
                "step": 0,
                "train_loss": 2.31,
                "train_accuracy": 0.1,
                "test_loss": 2.3,
                "test_accuracy": 0.12,
            },
            {
                "step": 40,
                "train_loss": 1.5,
                "train_accuracy": 0.45,
                "test_loss": 1.6,
                "test_accuracy": 0.4,
            },
        ]
    ],
    "summary": "udl-mnist1d-cnn: 2,050 parameters, test accuracy 40.0% (train 45.0%)",
}


@pytest.fixture
def env(qtbot, tmp_path):
    """A window with the workspace entries (as in test_gui_workspace) and its messages."""
    doc = small_document()
    scheduler = ComputeScheduler(doc, threads=1)
    window = MainWindow(doc, scheduler)
    qtbot.addWidget(window)
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    actions = install_workspace(
        window, settings=settings, dialogs=FakeDialogs(), recovery_directory=tmp_path / "r"
    )
    messages: list[tuple[str, str]] = []
    doc.message.connect(lambda level, text: messages.append((level, text)))
    yield doc, window, actions, messages
    actions.shutdown()
    scheduler.shutdown()


def a_run(label: str = "cnn", loss: float = 1.0, steps: int = 20) -> TrainingRun:
    records = tuple(Record(s, loss + s, 0.5, loss + s + 0.1, 0.25) for s in (0, steps))
    return TrainingRun((label,), steps, (records,), f"{label} done", (("data", "mnist1d"),))


def bound_curves(qtbot, doc) -> CurvesView:
    curves = CurvesView()
    qtbot.addWidget(curves)
    curves.bind(doc)
    return curves


def old_workspace(doc, extras) -> Workspace:
    """A workspace as the code before this change wrote it: curves in the extras."""
    return Workspace(doc.input, doc.spec, dict(doc.weights), {}, extras)


def test_a_recorded_run_is_history_not_an_undoable_edit(qtbot, env):
    doc, window, *_ = env
    curves = bound_curves(qtbot, doc)
    edit(doc)
    count = doc.undo_stack.count()
    run = a_run()
    with qtbot.waitSignal(doc.trainingChanged):
        doc.record_training(run)
    assert doc.training.latest == run and doc.undo_stack.count() == count
    assert curves.records(0) == [r._asdict() for r in run.records[0]]
    assert curves.summary.text() == "cnn done"
    doc.undo_stack.undo()  # an edit is undone; the run stays
    assert doc.training.runs == (run,)


def test_history_survives_save_new_and_open_through_the_document(qtbot, env, tmp_path):
    doc, window, actions, _ = env
    curves = bound_curves(qtbot, doc)
    first, second = a_run("cnn", 1.0), a_run("mlp", 2.0, 30)
    doc.record_training(first)
    doc.record_training(second)
    path = tmp_path / "two_runs.convscope"
    assert actions.save_to(path, wait=True)
    extras = load_workspace(path).extras
    # the latest where older versions look for it, the earlier runs beside it
    assert extras[EXTRAS_KEY] == second.to_json() and extras[EARLIER_KEY] == [first.to_json()]

    assert actions.new()
    assert doc.training == TrainingHistory()
    assert curves.records(0) == [] and curves.summary.text() == "No training yet."

    assert actions.open_file(path, wait=True)
    assert doc.training.runs == (first, second)
    assert curves.records(0) == [r._asdict() for r in second.records[0]]
    line = curves._lines[0]["test_loss"]
    assert list(line.getData()[1]) == [r.test_loss for r in second.records[0]]

    # crash recovery puts a workspace in the same way
    doc.set_training(TrainingHistory())
    assert actions.apply(load_workspace(path), "Restore autosaved work")
    assert doc.training.runs == (first, second)


def test_a_workspace_saved_the_old_way_opens_with_its_curves(qtbot, env, tmp_path):
    doc, window, actions, messages = env
    curves = bound_curves(qtbot, doc)
    path = tmp_path / "old.convscope"
    save_workspace(path, old_workspace(doc, {EXTRAS_KEY: OLD_CURVES, "other": [1, 2]}))
    assert actions.open_file(path, wait=True)
    run = doc.training.latest
    assert len(doc.training.runs) == 1 and run.labels == ("udl-mnist1d-cnn",)
    assert run.total_steps == 40 and run.settings == ()
    assert [r._asdict() for r in run.records[0]] == OLD_CURVES["records"][0]
    assert curves.records(0) == OLD_CURVES["records"][0]
    assert curves.summary.text() == OLD_CURVES["summary"]
    assert not [m for m in messages if m[0] == "warning"]
    # saved again: the same curves under the same key, other extras carried through
    assert actions.save_to(path, wait=True)
    extras = load_workspace(path).extras
    assert extras == {EXTRAS_KEY: OLD_CURVES, "other": [1, 2]}


@pytest.mark.parametrize(
    "extras",
    [
        {EXTRAS_KEY: {"labels": ["a"]}},
        {EXTRAS_KEY: {"labels": ["a"], "total_steps": 5, "records": [[{"x": 1}]]}},
        {EXTRAS_KEY: "not a dict"},
        {EXTRAS_KEY: {"labels": [], "total_steps": 1, "records": []}},
        {EXTRAS_KEY: OLD_CURVES, EARLIER_KEY: "not a list"},
    ],
)
def test_damaged_curves_give_one_warning_show_nothing_and_are_kept(qtbot, env, tmp_path, extras):
    doc, window, actions, messages = env
    curves = bound_curves(qtbot, doc)
    doc.record_training(a_run())  # the history of the workspace open before
    path = tmp_path / "damaged.convscope"
    save_workspace(path, old_workspace(doc, extras))
    assert actions.open_file(path, wait=True)
    warnings = [text for level, text in messages if level == "warning"]
    assert len(warnings) == 1 and "training curves are damaged" in warnings[0]
    assert doc.training == TrainingHistory()
    assert curves.records(0) == [] and curves.summary.text() == "No training yet."
    assert actions.save_to(path, wait=True)  # what could not be read is not lost
    assert load_workspace(path).extras == extras


def test_a_diverged_run_with_nan_losses_still_saves(qtbot, env, tmp_path):
    doc, window, actions, messages = env
    nan = float("nan")
    records = (Record(0, 2.3, 0.1, 2.3, 0.1), Record(10, nan, 0.1, math.inf, 0.1))
    doc.record_training(TrainingRun(("cnn",), 10, (records,)))
    path = tmp_path / "diverged.convscope"
    assert actions.save_to(path, wait=True), messages
    assert actions.open_file(path, wait=True)
    last = doc.training.latest.records[0][-1]
    assert last.step == 10 and math.isnan(last.train_loss) and math.isnan(last.test_loss)


finite = st.floats(allow_nan=False, allow_infinity=False, width=64)
records = st.lists(
    st.builds(Record, st.integers(0, 10**6), finite, finite, finite, finite), max_size=5
)
runs = st.builds(
    TrainingRun,
    labels=st.lists(st.text(max_size=8), min_size=1, max_size=4).map(tuple),
    total_steps=st.integers(1, 10**6),
    records=st.just(()),
    summary=st.text(max_size=20),
    settings=st.dictionaries(st.text(max_size=5), st.text(max_size=5)).map(
        lambda d: tuple(d.items())
    ),
).flatmap(
    lambda run: (
        st.lists(records.map(tuple), min_size=len(run.labels), max_size=len(run.labels))
        .map(tuple)
        .map(lambda rs: TrainingRun(run.labels, run.total_steps, rs, run.summary, run.settings))
    )
)


@given(st.lists(runs, max_size=4))
def test_history_round_trips_through_workspace_json(history_runs):
    history = TrainingHistory(tuple(history_runs))
    text = json.dumps(history.to_extras(), allow_nan=False)
    assert TrainingHistory.from_extras(json.loads(text)) == history


def test_a_recorded_run_is_unsaved_work_until_saved(env, qtbot, tmp_path):
    doc, window, actions, _ = env
    assert not actions.modified() and not window.isWindowModified()
    doc.record_training(a_run())
    assert actions.modified() and window.isWindowModified()  # the title's [*]
    assert doc.undo_stack.isClean()  # not an undoable edit, and still unsaved
    # The autosaver keeps it too.
    with qtbot.waitSignal(actions.autosaver.written, timeout=10_000):
        assert actions.autosaver.tick()
    assert load_workspace(actions.autosaver.path).extras[EXTRAS_KEY]["summary"] == "cnn done"
    # Closing or opening another workspace asks first.
    actions.dialogs.answers = ["cancel"]
    assert not actions.maybe_save() and actions.dialogs.asked == ["Untitled"]
    assert actions.save_to(tmp_path / "w.convscope", wait=True)
    assert not actions.modified() and not window.isWindowModified()
    qtbot.waitUntil(lambda: not actions.autosaver.path.exists(), timeout=10_000)
    assert actions.maybe_save() and actions.dialogs.asked == ["Untitled"]  # not asked again


def test_opening_or_starting_anew_is_not_unsaved_work(env, tmp_path):
    doc, _window, actions, _ = env
    doc.record_training(a_run())
    assert actions.save_to(tmp_path / "w.convscope", wait=True)
    assert actions.new() and not actions.modified()
    assert actions.open_file(tmp_path / "w.convscope", wait=True)
    assert doc.training.runs and not actions.modified()
