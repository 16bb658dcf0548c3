"""A flag the user gave is honoured or refused, never silently ignored."""

from __future__ import annotations

import pytest

from engine.cli import main


def _garbage(tmp_path):
    path = tmp_path / "evil.npz"
    path.write_bytes(b"\x80\x04\x95 a disguised pickle, not weights")
    return path


@pytest.mark.parametrize(
    "extra, said",
    [
        (["--from-weights", "FROM"], "--from-weights FILE is only used with --weights"),
        (["--seed", "3"], "--seed seeds fresh weights, but no --weights"),
        (["--weights", "W", "--from-weights", "FROM", "--seed", "1"], "--from-weights gives"),
    ],
)
def test_export_refuses_flags_it_would_ignore(tmp_path, capsys, extra, said):
    out = tmp_path / "net.py"
    args = [
        a.replace("FROM", str(_garbage(tmp_path))).replace("W", str(tmp_path / "w.npz"))
        if a in ("FROM", "W")
        else a
        for a in extra
    ]
    assert main(["export", "lab-1d", "--pytorch", str(out), *args]) == 2
    assert said in capsys.readouterr().err
    assert not out.exists()  # nothing written


def test_export_with_both_flags_reads_the_from_weights_file(tmp_path, capsys):
    code = main(
        [
            "export",
            "lab-1d",
            "--pytorch",
            str(tmp_path / "n.py"),
            "--weights",
            str(tmp_path / "w.npz"),
            "--from-weights",
            str(_garbage(tmp_path)),
        ]
    )
    assert code == 2 and "evil.npz" in capsys.readouterr().err


def test_matrix_refuses_a_seed_beside_weights(tmp_path, capsys):
    code = main(
        [
            "matrix",
            "lab-1d",
            "--layer",
            "conv1",
            "--weights",
            str(_garbage(tmp_path)),
            "--seed",
            "2",
            "--json",
            str(tmp_path / "m.json"),
        ]
    )
    assert code == 2 and "--seed seeds fresh weights" in capsys.readouterr().err


@pytest.mark.parametrize(
    "extra, said",
    [
        (["--steps", "5", "--epochs", "1"], "--steps and --epochs"),
        (["--optimizer", "adam", "--momentum", "0.5"], "--momentum applies to sgd only"),
    ],
)
def test_train_refuses_flags_it_would_ignore(tmp_path, capsys, extra, said):
    code = main(
        [
            "train",
            "--network",
            "udl-mnist1d-cnn",
            "--dataset",
            "mnist1d",
            "--json",
            str(tmp_path / "o.json"),
            *extra,
        ]
    )
    assert code == 2 and said in capsys.readouterr().err
