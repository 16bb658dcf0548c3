"""save_workspace never writes a file load_workspace refuses (the same reader checks it)."""

from __future__ import annotations

import numpy as np
import pytest

from engine.errors import FileFormatError
from engine.spec import LayerSpec, NetworkSpec
from engine.workspace import (
    Workspace,
    check_saveable,
    load_workspace,
    save_workspace,
    workspace_to_bytes,
)


def _workspace(weight_value: float = 0.5) -> Workspace:
    spec = NetworkSpec(
        (LayerSpec("conv1", "conv", {"out_channels": 2, "kernel_size": 3, "padding": 1}),),
        (1, 8),
    )
    weight = np.full((2, 1, 3), weight_value, np.float32)
    return Workspace(
        np.ones((1, 8), np.float32),
        spec,
        {"conv1": {"weight": weight, "bias": np.zeros(2, np.float32)}},
    )


@pytest.mark.parametrize("bad", [np.inf, -np.inf, np.nan])
def test_a_non_finite_weight_is_not_saved_and_the_old_file_stays(tmp_path, bad):
    path = tmp_path / "lab.convscope"
    save_workspace(path, _workspace())
    before = path.read_bytes()
    with pytest.raises(FileFormatError, match="would not open again.*not finite"):
        save_workspace(path, _workspace(bad))
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["lab.convscope"]


def test_a_non_finite_input_is_not_saved(tmp_path):
    workspace = _workspace()
    workspace.input = np.full((1, 8), np.inf, np.float32)
    with pytest.raises(FileFormatError, match="the input"):
        save_workspace(tmp_path / "x.convscope", workspace)
    assert list(tmp_path.iterdir()) == []


def test_whatever_saves_opens_again(tmp_path):
    check_saveable(workspace_to_bytes(_workspace()))
    save_workspace(tmp_path / "ok.convscope", _workspace())
    np.testing.assert_array_equal(
        load_workspace(tmp_path / "ok.convscope").weights["conv1"]["weight"],
        _workspace().weights["conv1"]["weight"],
    )
