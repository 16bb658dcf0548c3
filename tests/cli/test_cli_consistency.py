"""``app.py symmetry --consistency DATASET`` and ``--sweep-axis``: JSON out, bad arguments as
one error line with exit 2."""

import contextlib
import json

import pytest

from engine import consistency as C
from engine.cli import main
from engine.network import init_weights
from engine.presets import get_preset
from engine.serialize import save_network
from engine.spec import LayerSpec, NetworkSpec


def gap_net(path):
    conv = {"out_channels": 4, "kernel_size": 3, "padding": 1, "padding_mode": "circular"}
    spec = NetworkSpec(
        (
            LayerSpec("c", "conv", conv),
            LayerSpec("r", "activation", {"function": "relu"}),
            LayerSpec("gap", "global_avg_pool"),
            LayerSpec("fc", "linear", {"out_features": 10}),
        ),
        (1, 40),
    )
    save_network(path, spec)
    return path, spec


def test_consistency_of_the_books_cnn_on_mnist1d(tmp_path, capsys):
    out = tmp_path / "c.json"
    args = ["symmetry", "udl-mnist1d-cnn", "--consistency", "mnist1d", "--samples", "120"]
    assert main([*args, "--sweep", "3", "--fill", "zeros", "--json", str(out)]) == 0
    data = json.loads(out.read_text())
    rows = data["consistency"]
    assert [r["shift"] for r in rows] == [0, 1, 2, 3] and rows[0]["consistency"] == 1.0
    spec = get_preset("udl-mnist1d-cnn")
    x, y, _ = C.dataset_samples("mnist1d", 120)
    expected = C.consistency(spec, init_weights(spec, seed=0), x, 3, fill="zeros", labels=y)
    assert [r["consistency"] for r in rows] == expected.consistency
    assert [r["accuracy"] for r in rows] == expected.accuracy
    assert (
        data["consistency_data"]["samples"] == 120 and data["consistency_data"]["fill"] == "zeros"
    )
    assert len(data["sweep"]["layers"][0]["equivariance_error"]) == 4


def test_a_gap_network_from_a_file_is_fully_consistent(tmp_path):
    net, _ = gap_net(tmp_path / "gap.json")
    out = tmp_path / "g.json"
    assert main(["symmetry", str(net), "--consistency", "mnist1d", "--samples", "50",
                 "--json", str(out)]) == 0  # fmt: skip
    rows = json.loads(out.read_text())["consistency"]
    assert len(rows) == 9 and all(r["consistency"] == 1.0 for r in rows)


def test_the_sweep_runs_along_y(tmp_path):
    out = tmp_path / "y.json"
    args = ["symmetry", "lab-2d", "--sweep", "2", "--sweep-axis", "y", "--json", str(out)]
    assert main(args) == 0
    sweep = json.loads(out.read_text())["sweep"]
    assert sweep["direction"] == [1, 0] and sweep["shifts"] == [0, 1, 2]
    out_d = tmp_path / "d.json"
    assert main([*args[:-3], "diagonal", "--json", str(out_d)]) == 0
    assert json.loads(out_d.read_text())["sweep"]["direction"] == [1, 1]


@pytest.mark.parametrize(
    "args, message",
    [
        (["lab-2d", "--consistency", "shapes"], "not in class scores"),
        (["udl-mnist1d-cnn", "--consistency", "shapes"], "but the network takes (1, 40)"),
        (["udl-mnist1d-cnn", "--consistency", "no-such-data"], "no such data set"),
        (["udl-mnist1d-cnn", "--consistency", "mnist1d", "--samples", "0"], "at least 1"),
        (["udl-mnist1d-cnn", "--samples", "3"], "--samples goes with --consistency"),
        (["udl-mnist1d-cnn", "--sweep-axis", "y"], "only the x axis"),
        (["lab-2d", "--sweep-axis", "z"], "invalid choice"),
    ],
)
def test_bad_consistency_arguments_are_one_error_line(tmp_path, capsys, args, message):
    with pytest.raises(SystemExit) if "z" in args else contextlib.nullcontext():
        code = main(["symmetry", *args, "--json", str(tmp_path / "x.json")])
        assert code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error:") and message in err[0]
    assert not (tmp_path / "x.json").exists()


def test_the_cli_consistency_uses_given_weights(tmp_path):
    net, spec = gap_net(tmp_path / "gap.json")
    from engine.serialize import save_weights

    weights = init_weights(spec, seed=5)
    save_weights(tmp_path / "w.npz", weights)
    out = tmp_path / "w.json"
    args = ["--consistency", "mnist1d", "--samples", "20", "--fill", "zeros", "--json", str(out)]
    assert main(["symmetry", str(net), "--weights", str(tmp_path / "w.npz"), *args]) == 0
    rows = json.loads(out.read_text())["consistency"]
    x, _, _ = C.dataset_samples("mnist1d", 20)
    expected = C.consistency(spec, weights, x, 8, fill="zeros")
    assert [r["consistency"] for r in rows] == expected.consistency
