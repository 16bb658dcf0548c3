"""app.py animate --mp4: written through imageio-ffmpeg when it is installed (here a fake
writer stands in for it), one error line naming the package when it is not."""

from __future__ import annotations

import sys

import numpy as np
from PIL import Image

from engine.serialize import save_network
from engine.spec import LayerSpec, NetworkSpec
from gui.stepthrough import animate


def _net(tmp_path) -> str:
    path = tmp_path / "net.json"
    layer = LayerSpec("c", "conv", {"out_channels": 1, "kernel_size": 3, "stride": 2})
    save_network(path, NetworkSpec([layer], (1, 7, 7)))  # 3×3 = 9 steps
    return str(path)


class FakeWriter:
    """imageio_ffmpeg.write_frames' generator protocol: send(None), send(bytes)…, close()."""

    def __init__(self, path, size, **options):
        self.path, self.size, self.options = path, size, options
        self.frames: list[bytes] = []
        self.started = self.closed = False
        made.append(self)

    def send(self, data):
        if data is None:
            self.started = True
            return
        assert self.started
        self.frames.append(data)

    def close(self):
        self.closed = True
        with open(self.path, "wb") as f:
            f.write(b"fake mp4")


made: list[FakeWriter] = []


def test_mp4_frames_go_to_the_writer_in_order(qtbot, tmp_path, monkeypatch, capsys):
    made.clear()
    monkeypatch.setattr(animate, "_mp4_writer", lambda: FakeWriter)
    out, gif, frames = tmp_path / "out.mp4", tmp_path / "out.gif", tmp_path / "f"
    args = [_net(tmp_path), "--layer", "c", "--size", "640x360", "--fps", "5"]
    code = animate.main([*args, "--mp4", str(out), "--gif", str(gif), "--frames", str(frames)])
    assert code == 0, capsys.readouterr().err
    (writer,) = made
    assert writer.size == (640, 360) and writer.options["fps"] == 5 and writer.closed
    assert len(writer.frames) == 9 and all(len(f) == 640 * 360 * 3 for f in writer.frames)
    assert out.read_bytes() == b"fake mp4" and not (tmp_path / "out.mp4.tmp.mp4").exists()
    # the same pictures as the PNG frames, in order
    pngs = sorted(frames.iterdir())
    for data, png in zip(writer.frames, pngs, strict=True):
        picture = np.asarray(Image.open(png).convert("RGB"))
        np.testing.assert_array_equal(np.frombuffer(data, np.uint8).reshape(360, 640, 3), picture)
    assert "out.mp4" in capsys.readouterr().out


def test_mp4_alone_needs_no_gif(qtbot, tmp_path, monkeypatch):
    made.clear()
    monkeypatch.setattr(animate, "_mp4_writer", lambda: FakeWriter)
    out = tmp_path / "only.mp4"
    assert animate.main([_net(tmp_path), "--layer", "c", "--mp4", str(out)]) == 0
    assert out.exists() and len(made[0].frames) == 9


def test_a_missing_imageio_ffmpeg_is_one_error_line_naming_it(qtbot, tmp_path, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "imageio_ffmpeg", None)  # import fails as if missing
    out = tmp_path / "x.mp4"
    code = animate.main([_net(tmp_path), "--layer", "c", "--mp4", str(out)])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1
    assert err[0].startswith("error: animate:") and "imageio-ffmpeg" in err[0]
    assert not out.exists()


def test_mp4_names_are_checked(qtbot, tmp_path, capsys):
    net = _net(tmp_path)
    assert animate.main([net, "--layer", "c", "--mp4", str(tmp_path / "x.avi")]) == 2
    assert "--mp4 needs a .mp4" in capsys.readouterr().err
    assert animate.main([net, "--layer", "c", "--gif", str(tmp_path / "x.mp4")]) == 2
    assert "use --mp4" in capsys.readouterr().err
    assert animate.main([net, "--layer", "c"]) == 2
    assert "--gif OUT.gif and/or --mp4" in capsys.readouterr().err
