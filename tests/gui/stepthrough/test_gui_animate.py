"""app.py animate: one frame per step, in order, as a GIF and numbered PNGs; bad arguments
end with one error line and exit 2."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from engine.serialize import save_network
from engine.spec import LayerSpec, NetworkSpec
from gui.stepthrough import animate


def _network(tmp_path, layer: LayerSpec, shape) -> str:
    path = tmp_path / "net.json"
    save_network(path, NetworkSpec([layer], shape))
    return str(path)


def test_a_frame_per_output_position_with_stride_dilation_padding(qtbot, tmp_path, capsys):
    layer = LayerSpec(
        "c", "conv", {"out_channels": 1, "kernel_size": 3, "stride": 2, "dilation": 2, "padding": 2}
    )
    net = _network(tmp_path, layer, (1, 9, 9))
    gif, frames = tmp_path / "out.gif", tmp_path / "frames"
    code = animate.main(
        [
            net,
            "--layer",
            "c",
            "--gif",
            str(gif),
            "--size",
            "640x360",
            "--fps",
            "4",
            "--frames",
            str(frames),
        ]
    )
    assert code == 0, capsys.readouterr().err
    # floor((9 + 4 − 4 − 1)/2) + 1 = 5 per axis: 25 frames
    pngs = sorted(frames.iterdir())
    assert [p.name for p in pngs[:2]] == ["frame00.png", "frame01.png"] and len(pngs) == 25
    with Image.open(gif) as image:
        assert image.n_frames == 25 and image.size == (640, 360)
        assert image.info["duration"] == 250
    pictures = [np.asarray(Image.open(p).convert("RGB")) for p in pngs]
    assert all((a != b).any() for a, b in zip(pictures, pictures[1:], strict=False))


def test_a_transposed_convolution_has_a_frame_per_input_position(qtbot, tmp_path):
    layer = LayerSpec(
        "t", "conv_transpose", {"out_channels": 1, "kernel_size": 3, "stride": 2, "padding": 1}
    )
    net = _network(tmp_path, layer, (1, 3, 4))
    gif = tmp_path / "t.gif"
    assert animate.main([net, "--layer", "t", "--gif", str(gif), "--size", "640x360"]) == 0
    with Image.open(gif) as image:
        assert image.n_frames == 12


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--layer", "nope", "--gif", "x.gif"], "no layer named 'nope'"),
        (["--layer", "c", "--gif", "x.png"], "--gif needs a .gif"),
        (["--layer", "c", "--gif", "x.gif", "--size", "big"], "--size must be"),
        (["--layer", "c", "--gif", "x.gif", "--fps", "0"], "--fps must lie"),
        (["--layer", "c", "--gif", "x.gif", "--input", "no-such-thing"], "neither an example"),
    ],
)
def test_bad_arguments_are_one_error_line(qtbot, tmp_path, capsys, extra, message):
    net = _network(tmp_path, LayerSpec("c", "conv", {"out_channels": 1}), (1, 6))
    code = animate.main(
        [net, *[str(tmp_path / e) if e.endswith((".gif", ".png")) else e for e in extra]]
    )
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1
    assert err[0].startswith("error: animate:") and message in err[0]


def test_an_unsteppable_layer_is_refused(qtbot, tmp_path, capsys):
    net = _network(tmp_path, LayerSpec("f", "flatten"), (1, 6))
    assert animate.main([net, "--layer", "f", "--gif", str(tmp_path / "f.gif")]) == 2
    assert "flatten" in capsys.readouterr().err
