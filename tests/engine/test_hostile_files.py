"""Hostile files, built here: header bombs, zip bombs, values beyond float32, huge messages.

Each reader must refuse before it allocates what the file declares, with the engine's
error (never MemoryError), and the refusal must stay short.
"""

from __future__ import annotations

import io
import json
import struct
import tracemalloc
import zipfile

import numpy as np
import pytest

from engine import limits
from engine.errors import DataError, EngineError, FileFormatError
from engine.inputs import load_input
from engine.serialize import load_weights
from engine.workspace import load_workspace


def npy_header(shape, descr="<f4") -> bytes:
    buffer = io.BytesIO()
    np.lib.format.write_array_header_1_0(
        buffer, {"descr": descr, "fortran_order": False, "shape": shape}
    )
    return buffer.getvalue()


def refused_within(call, error_type, match, peak_bytes=64 << 20):
    """``call`` raises ``error_type`` matching ``match``, having allocated < ``peak_bytes``."""
    tracemalloc.start()
    try:
        with pytest.raises(error_type, match=match) as caught:
            call()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < peak_bytes, f"allocated {peak:,} bytes before refusing"
    assert len(str(caught.value)) <= limits.MAX_MESSAGE_CHARS + 10
    return caught.value


# ------------------------------------------------------------------------- header bombs


def test_an_npy_declaring_a_terabyte_is_refused_before_allocating(tmp_path):
    path = tmp_path / "bomb.npy"
    path.write_bytes(npy_header((1 << 40,)) + b"\0" * 64)
    refused_within(lambda: load_input(path), DataError, r"^bomb\.npy: .*1,099,511,627,776 values")


def test_an_npy_whose_header_outgrows_its_data_is_truncated(tmp_path):
    path = tmp_path / "short.npy"
    path.write_bytes(npy_header((1000,)) + b"\0" * 40)
    refused_within(lambda: load_input(path), DataError, "truncated")


def test_a_wav_declaring_a_billion_frames_is_refused(tmp_path):
    path = tmp_path / "bomb.wav"
    fmt = struct.pack("<IHHIIHH", 16, 1, 2, 8000, 32000, 4, 16)
    header = b"RIFF" + struct.pack("<I", 0xFFFFFFF0) + b"WAVEfmt " + fmt
    path.write_bytes(header + b"data" + struct.pack("<I", 0xFFFFFFF0) + b"\0" * 1000)
    refused_within(lambda: load_input(path), DataError, r"^bomb\.wav: the WAV header")


def test_a_csv_of_too_many_rows_times_columns_is_refused_before_parsing(tmp_path):
    path = tmp_path / "wide.csv"
    path.write_text((",".join(["1"] * 300_000) + "\n") * 8)
    error = refused_within(lambda: load_input(path), DataError, "columns")
    assert "300,000 columns" in str(error)


def test_a_safetensors_header_declaring_a_terabyte_is_refused(tmp_path):
    path = tmp_path / "bomb.safetensors"
    header = json.dumps(
        {"a.weight": {"dtype": "F32", "shape": [1 << 40], "data_offsets": [0, 16]}}
    ).encode()
    path.write_bytes(struct.pack("<Q", len(header)) + header + b"\0" * 16)
    refused_within(lambda: load_weights(path), FileFormatError, "values")


def test_a_safetensors_header_length_beyond_the_file_is_refused(tmp_path):
    path = tmp_path / "liar.safetensors"
    path.write_bytes(struct.pack("<Q", 1 << 60) + b"{}")
    refused_within(lambda: load_weights(path), FileFormatError, "header declares")


def test_an_npz_member_whose_npy_header_declares_a_terabyte_is_refused(tmp_path):
    path = tmp_path / "bomb.npz"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("conv.weight.npy", npy_header((1 << 40,)) + b"\0" * 64)
    refused_within(lambda: load_weights(path), FileFormatError, "values")


# ------------------------------------------------------------------------- zip bombs


def zip_bomb(path, name, inflated: int, prefix=b"", declared=None):
    """A deflated member of ``inflated`` zero bytes (after ``prefix``)."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        with archive.open(name, "w", force_zip64=True) as member:
            member.write(prefix)
            chunk = b"\0" * (1 << 20)
            for _ in range(inflated >> 20):
                member.write(chunk)
    if declared is not None:  # make the central directory lie about the size
        data = bytearray(path.read_bytes())
        info = zipfile.ZipFile(path).getinfo(name)
        true = struct.pack("<Q", info.file_size)
        at = data.rfind(true)
        data[at : at + 8] = struct.pack("<Q", declared)
        path.write_bytes(bytes(data))


def test_an_npz_zip_bomb_is_refused_by_its_ratio(tmp_path):
    path = tmp_path / "bomb.npz"
    zip_bomb(path, "conv.weight.npy", 64 << 20, npy_header((16 << 20,)))
    refused_within(lambda: load_weights(path), FileFormatError, "fold")


def test_a_workspace_whose_json_inflates_to_gigabytes_is_refused(tmp_path):
    path = tmp_path / "bomb.convscope"
    zip_bomb(path, "workspace.json", 96 << 20, b'{"format": "convscope.workspace", "x": "')
    refused_within(lambda: load_workspace(path), FileFormatError, "workspace.json")


def test_a_member_that_inflates_past_what_it_declares_stops_there(tmp_path):
    """The directory can lie: inflating stops at the declared size, whatever comes out."""
    path = tmp_path / "liar.zip"
    zip_bomb(path, "m", 8 << 20, declared=1 << 20)
    with zipfile.ZipFile(path) as archive:
        archive.getinfo("m").file_size = 1 << 20  # what a lying directory says
        archive.getinfo("m").compress_size = 1 << 20
        with pytest.raises(EngineError):
            limits.read_zip_member(archive, "m", FileFormatError)


# ------------------------------------------------------------------------- non-finite


def test_a_csv_of_1e308_is_refused_not_turned_into_infinity(tmp_path):
    path = tmp_path / "big.csv"
    path.write_text("1e308\n-1e308\n1\n")
    refused_within(lambda: load_input(path), DataError, r"big\.csv line 1.*float32")


def test_an_npy_of_float64_beyond_float32_is_refused(tmp_path):
    path = tmp_path / "big.npy"
    np.save(path, np.array([1.0, 1e300]))
    refused_within(lambda: load_input(path), DataError, r"index \(1,\) is beyond float32")


def test_weights_beyond_float32_are_refused(tmp_path):
    path = tmp_path / "w.npz"
    np.savez(path, **{"conv.weight": np.array([1e39])})
    refused_within(lambda: load_weights(path), FileFormatError, "float32")


# ------------------------------------------------------------------------- short messages


def test_a_million_column_csv_gives_a_short_message(tmp_path):
    from engine.data.user import load_signal_csv

    path = tmp_path / "wide.csv"
    path.write_text(",".join(f"c{i}" for i in range(1_000_000)) + "\n1\n")
    with pytest.raises(DataError) as caught:
        load_signal_csv(path)
    assert len(str(caught.value)) <= limits.MAX_MESSAGE_CHARS + 10
    assert str(caught.value).startswith("wide.csv")


def test_every_engine_error_is_capped_in_one_place():
    text = str(EngineError("x" * 3_000_000))
    assert len(text) <= limits.MAX_MESSAGE_CHARS + 10 and "characters cut" in text


# ------------------------------------------------------------------------- memory errors


def test_memory_error_never_escapes_a_load(tmp_path, monkeypatch):
    path = tmp_path / "ok.npy"
    np.save(path, np.ones(4, np.float32))

    def no_memory(*args, **kwargs):
        raise MemoryError

    monkeypatch.setattr(np, "load", no_memory)
    with pytest.raises(DataError, match="out of memory"):
        load_input(path)
    wpath = tmp_path / "w.safetensors"
    from engine import serialize

    serialize.save_weights(wpath, {"c": {"weight": np.ones(2, np.float32)}})
    monkeypatch.setattr(serialize, "unflatten_weights", no_memory)
    with pytest.raises(FileFormatError, match="out of memory"):
        load_weights(wpath)
