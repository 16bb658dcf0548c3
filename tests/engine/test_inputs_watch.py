"""Reading inputs and workspaces in chunks: a Cancel stops the parse within a chunk, sizes are
read first, and progress is reported on the way (engine.limits.Watch)."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from engine import limits
from engine.errors import DataError
from engine.inputs import CSV_CHUNK_LINES, load_input
from engine.spec import LayerSpec, NetworkSpec
from engine.workspace import Workspace, load_workspace, save_workspace


class Counting:
    """A watch that cancels at its ``stop_at``-th check and counts checks and progress."""

    def __init__(self, stop_at: int | None = None):
        self.checks = 0
        self.fractions: list[float] = []
        self.stop_at = stop_at

    def cancelled(self) -> bool:
        self.checks += 1
        return self.stop_at is not None and self.checks >= self.stop_at

    def watch(self) -> limits.Watch:
        return limits.Watch(self.cancelled, self.fractions.append)


def _csv(path, lines: int) -> None:
    path.write_text("0.25\n" * lines)


def test_a_cancel_stops_a_csv_parse_within_a_chunk(tmp_path):
    lines = 40 * CSV_CHUNK_LINES
    _csv(tmp_path / "long.csv", lines)
    full = Counting()
    load_input(tmp_path / "long.csv", watch=full.watch())
    assert full.checks > 40  # at least one check per chunk of lines
    stopped = Counting(stop_at=full.checks // 2)
    with pytest.raises(limits.Cancelled):
        load_input(tmp_path / "long.csv", watch=stopped.watch())
    assert stopped.checks == full.checks // 2  # not one check more: the parse ended there
    assert max(stopped.fractions) < 0.9


def test_progress_rises_to_one(tmp_path):
    _csv(tmp_path / "s.csv", 5 * CSV_CHUNK_LINES)
    counting = Counting()
    loaded = load_input(tmp_path / "s.csv", watch=counting.watch())
    assert loaded.array.shape == (1, 4096)
    assert counting.fractions == sorted(counting.fractions)
    assert counting.fractions[-1] == 1.0 and len(counting.fractions) > 5


def test_the_chunked_csv_parse_gives_the_same_values_and_messages(tmp_path):
    rng = np.random.default_rng(0)
    values = rng.normal(size=(2 * CSV_CHUNK_LINES + 7, 3))
    text = "a,b,c\n" + "\n".join(",".join(f"{v:.9g}" for v in row) for row in values)
    (tmp_path / "v.csv").write_text(text + "\n")
    loaded = load_input(tmp_path / "v.csv", max_length=1 << 20)
    # numpy's chunk parse gives exactly what Python's float() gives, cell by cell
    expected = np.array([[float(f"{v:.9g}") for v in row] for row in values])
    np.testing.assert_array_equal(loaded.array, expected.T.astype(np.float32))
    # one bad cell deep in the second chunk: the careful path names it exactly
    lines = text.split("\n")
    lines[CSV_CHUNK_LINES + 100] = "1,zz,3"
    (tmp_path / "bad.csv").write_text("\n".join(lines))
    with pytest.raises(DataError, match=rf"line {CSV_CHUNK_LINES + 101}, column 2: 'zz'"):
        load_input(tmp_path / "bad.csv")
    lines[CSV_CHUNK_LINES + 100] = "1,1e39,3"
    (tmp_path / "big.csv").write_text("\n".join(lines))
    with pytest.raises(DataError, match="beyond float32"):
        load_input(tmp_path / "big.csv")


def test_a_ten_million_line_csv_is_refused_from_its_size_before_it_is_read(tmp_path):
    path = tmp_path / "huge.csv"
    with open(path, "w") as handle:
        block = "0.5\n" * 1_000_000
        for _ in range(10):
            handle.write(block)
    counting = Counting()
    with pytest.raises(DataError, match=r"about 10,0\d\d,\d{3} lines x 1 columns"):
        load_input(path, watch=counting.watch())
    assert counting.checks == 0 and counting.fractions == []  # not one chunk was read


def test_a_cancel_stops_an_image_decode(tmp_path):
    # noise compresses badly: the decoder reads many 64 KiB blocks
    pixels = np.random.default_rng(1).integers(0, 256, (1500, 1500), np.uint8)
    Image.fromarray(pixels).save(tmp_path / "noise.png")
    full = Counting()
    loaded = load_input(tmp_path / "noise.png", watch=full.watch())
    assert loaded.array.shape == (1, 512, 512) and "scaled down" in loaded.notice
    assert full.checks > 20
    stopped = Counting(stop_at=5)
    with pytest.raises(limits.Cancelled):
        load_input(tmp_path / "noise.png", watch=stopped.watch())
    assert stopped.checks == 5


def test_an_npy_header_bomb_is_refused_from_the_file_s_head(tmp_path):
    header = {"descr": "<f4", "fortran_order": False, "shape": (1 << 20, 1 << 20)}
    path = tmp_path / "bomb.npy"
    with open(path, "wb") as handle:
        np.lib.format.write_array_header_1_0(handle, header)
        handle.write(b"\0" * (8 << 20))
    counting = Counting()
    with pytest.raises(DataError, match="declares 1,099,511,627,776 values"):
        load_input(path, watch=counting.watch())
    assert counting.checks == 0


def test_a_cancel_stops_a_workspace_read(tmp_path):
    noise = np.random.default_rng(2).random((1, 2048, 2048), dtype=np.float32)
    conv = LayerSpec("conv1", "conv", {"out_channels": 2, "kernel_size": 3})
    save_workspace(tmp_path / "w.convscope", Workspace(noise, NetworkSpec((conv,), noise.shape)))
    full = Counting()
    assert load_workspace(tmp_path / "w.convscope", watch=full.watch()).input.shape == noise.shape
    assert full.checks > 10
    stopped = Counting(stop_at=full.checks // 2)
    with pytest.raises(limits.Cancelled):
        load_workspace(tmp_path / "w.convscope", watch=stopped.watch())
    assert stopped.checks == full.checks // 2
