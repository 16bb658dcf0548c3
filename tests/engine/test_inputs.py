"""engine.inputs: loading and saving images and signals, and every bad file's message."""

from __future__ import annotations

import struct
import wave
import zlib
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from PIL import Image

from engine.errors import DataError
from engine.inputs import MAX_IMAGE_PIXELS, LoadedInput, load_input, save_input


def _rgb_pixels() -> np.ndarray:
    pixels = np.zeros((2, 3, 3), np.uint8)
    pixels[0, 0] = (255, 0, 0)
    pixels[0, 1] = (0, 255, 0)
    pixels[0, 2] = (0, 0, 255)
    pixels[1, 0] = (10, 20, 30)
    pixels[1, 2] = (255, 255, 255)
    return pixels


# ----------------------------------------------------------------------------- images


def test_rgb_png_gives_three_channels_with_exact_values(tmp_path):
    path = tmp_path / "rgb.png"
    Image.fromarray(_rgb_pixels()).save(path)
    loaded = load_input(path)
    assert isinstance(loaded, LoadedInput)
    assert loaded.kind == "2d" and loaded.notice is None and loaded.source == path
    assert loaded.array.shape == (3, 2, 3)
    assert loaded.array.dtype == np.float32 and loaded.array.flags.c_contiguous
    np.testing.assert_array_equal(loaded.array, _rgb_pixels().transpose(2, 0, 1) / np.float32(255))


def test_grayscale_png_gives_one_channel(tmp_path):
    path = tmp_path / "gray.png"
    Image.fromarray(np.array([[0, 51], [102, 255]], np.uint8)).save(path)
    np.testing.assert_allclose(load_input(path).array, [[[0, 0.2], [0.4, 1.0]]], atol=1e-7)


def test_rgba_drops_alpha(tmp_path):
    rgba = np.zeros((2, 2, 4), np.uint8)
    rgba[..., 0] = 255
    rgba[..., 3] = 7
    path = tmp_path / "alpha.png"
    Image.fromarray(rgba, "RGBA").save(path)
    array = load_input(path).array
    assert array.shape == (3, 2, 2)
    np.testing.assert_array_equal(array[0], 1.0)
    np.testing.assert_array_equal(array[1:], 0.0)


def test_palette_images_gray_palette_one_channel_colour_palette_three(tmp_path):
    gray = Image.fromarray(np.array([[0, 128], [200, 255]], np.uint8)).convert("P")
    gray.save(tmp_path / "gray_palette.png")
    colour = Image.fromarray(_rgb_pixels()).convert("P", palette=Image.Palette.ADAPTIVE)
    colour.save(tmp_path / "colour_palette.png")
    g = load_input(tmp_path / "gray_palette.png").array
    assert g.shape == (1, 2, 2)
    np.testing.assert_allclose(g[0], np.array([[0, 128], [200, 255]]) / 255, atol=1e-7)
    assert load_input(tmp_path / "colour_palette.png").array.shape == (3, 2, 3)


def test_sixteen_bit_png_is_divided_by_65535(tmp_path):
    values = np.array([[0, 1000], [40000, 65535]], np.uint16)
    path = tmp_path / "deep.png"
    Image.fromarray(values).save(path)
    np.testing.assert_allclose(load_input(path).array[0], values / 65535.0, rtol=1e-6)


@pytest.mark.parametrize("suffix", [".bmp", ".tif", ".jpg"])
def test_other_image_formats_load(tmp_path, suffix):
    path = tmp_path / f"img{suffix}"
    Image.fromarray(np.full((4, 6, 3), 200, np.uint8)).save(path)
    array = load_input(path).array
    assert array.shape == (3, 4, 6)
    np.testing.assert_allclose(array, 200 / 255, atol=3 / 255)  # JPEG is lossy


def test_large_image_is_scaled_down_with_a_notice(tmp_path):
    path = tmp_path / "wide.png"
    Image.fromarray(np.full((600, 1000), 77, np.uint8)).save(path)
    loaded = load_input(path, max_side=100)
    assert loaded.array.shape == (1, 60, 100)
    assert loaded.notice == "wide.png: scaled down from 1000 x 600 to 100 x 60 pixels"
    np.testing.assert_allclose(loaded.array, 77 / 255, atol=1 / 255)


def test_large_jpeg_is_drafted_and_scaled_to_max_side(tmp_path):
    path = tmp_path / "photo.jpg"
    Image.fromarray(np.full((2000, 3000, 3), 128, np.uint8)).save(path, quality=90)
    loaded = load_input(path, max_side=512)
    assert loaded.array.shape == (3, 341, 512)
    assert "3000 x 2000" in loaded.notice and "512 x 341" in loaded.notice


def _forged_png(path: Path, width: int, height: int) -> None:
    """A 1x1 gray PNG whose header claims width x height (no pixel data to match)."""
    Image.fromarray(np.zeros((1, 1), np.uint8)).save(path)
    data = bytearray(path.read_bytes())
    ihdr = 8 + 8  # signature, then chunk length + type
    data[ihdr : ihdr + 8] = struct.pack(">II", width, height)
    crc = zlib.crc32(bytes(data[12 : ihdr + 13]))
    data[ihdr + 13 : ihdr + 17] = struct.pack(">I", crc)
    path.write_bytes(bytes(data))


@pytest.mark.parametrize("side", [20_000, 10_000, 8_000])
def test_huge_image_header_gives_a_message_without_decoding(tmp_path, side):
    # 20,000^2 trips Pillow's own bomb error, 10,000^2 its warning, 8,000^2 only our limit.
    assert side * side > MAX_IMAGE_PIXELS
    path = tmp_path / "bomb.png"
    _forged_png(path, side, side)
    with pytest.raises(DataError, match=r"^bomb\.png: .*too large"):
        load_input(path)


def test_png_round_trip_through_save_input(tmp_path):
    rng = np.random.default_rng(1)
    for channels in (1, 3):
        image = rng.random((channels, 5, 7)).astype(np.float32)
        path = tmp_path / f"out{channels}.png"
        save_input(path, image)
        back = load_input(path).array
        assert back.shape == image.shape
        np.testing.assert_allclose(back, image, atol=0.5 / 255 + 1e-6)


def test_png_encoding_clips_only_the_file(tmp_path):
    image = np.array([[[-0.5, 1.5]]], np.float32)
    save_input(tmp_path / "clip.png", image)
    np.testing.assert_array_equal(load_input(tmp_path / "clip.png").array, [[[0.0, 1.0]]])
    np.testing.assert_array_equal(image, [[[-0.5, 1.5]]])  # the caller's array is untouched


# ----------------------------------------------------------------------------- bad images


def test_truncated_png(tmp_path):
    path = tmp_path / "cut.png"
    Image.fromarray(np.random.default_rng(0).integers(0, 255, (64, 64), np.uint8)).save(path)
    path.write_bytes(path.read_bytes()[:200])
    with pytest.raises(DataError, match=r"^cut\.png: damaged"):
        load_input(path)


def test_empty_file(tmp_path):
    (tmp_path / "empty.png").write_bytes(b"")
    with pytest.raises(DataError, match=r"^empty\.png: the file is empty$"):
        load_input(tmp_path / "empty.png")


def test_text_named_png(tmp_path):
    (tmp_path / "photo.png").write_text("hello, I am not a picture\n")
    with pytest.raises(DataError, match=r"^photo\.png: not an image file \(cannot identify"):
        load_input(tmp_path / "photo.png")


def test_unsupported_extension_missing_file_and_folder(tmp_path):
    (tmp_path / "notes.doc").write_text("x")
    with pytest.raises(DataError, match=r"^notes\.doc: unsupported file type '\.doc'"):
        load_input(tmp_path / "notes.doc")
    with pytest.raises(DataError, match=r"^gone\.png: no such file"):
        load_input(tmp_path / "gone.png")
    (tmp_path / "dir.png").mkdir()
    with pytest.raises(DataError, match=r"^dir\.png: is a folder"):
        load_input(tmp_path / "dir.png")


def test_gif_is_refused_by_content(tmp_path):
    path = tmp_path / "anim.png"
    Image.fromarray(np.zeros((3, 3), np.uint8)).save(path, format="GIF")
    with pytest.raises(DataError, match=r"^anim\.png: GIF images are not supported"):
        load_input(path)


# ----------------------------------------------------------------------------- CSV


def test_csv_two_columns_become_two_channels(tmp_path):
    path = tmp_path / "signal.csv"
    path.write_text("left,right\n1,10\n2,20\n3.5,-30\n")
    loaded = load_input(path)
    assert loaded.kind == "1d" and loaded.notice is None
    np.testing.assert_array_equal(loaded.array, [[1, 2, 3.5], [10, 20, -30]])


def test_csv_without_header_single_column_and_single_row(tmp_path):
    (tmp_path / "col.csv").write_text("0.5\n-1\n2\n")
    np.testing.assert_array_equal(load_input(tmp_path / "col.csv").array, [[0.5, -1, 2]])
    (tmp_path / "row.csv").write_text("1;2;3;4\n")
    np.testing.assert_array_equal(load_input(tmp_path / "row.csv").array, [[1, 2, 3, 4]])


def test_csv_skips_blank_and_comment_lines(tmp_path):
    (tmp_path / "c.csv").write_text("# my signal\n\n1,2\n\n3,4\n")
    np.testing.assert_array_equal(load_input(tmp_path / "c.csv").array, [[1, 3], [2, 4]])


@pytest.mark.parametrize(
    "text, message",
    [
        ("a,b\n1,2\n3,4\n5,abc\n", r"^signal\.csv line 4, column 2: 'abc' is not a number$"),
        ("a,b\n1,2\n3,4\n5,6\n7,8\n9,1\n1,nan\n", r"^signal\.csv line 7: NaN is not allowed$"),
        ("1,2\n3,inf\n", r"^signal\.csv line 2: an infinite value is not allowed$"),
        ("1,2\n3\n", r"^signal\.csv line 2: 1 values, but line 1 has 2$"),
        ("1,2\n3,\n", r"^signal\.csv line 2, column 2: the value is missing$"),
        ("x,y\n", r"^signal\.csv: has a header row but no numbers$"),
        ("\n\n# nothing\n", r"^signal\.csv: holds no numbers$"),
        ("", r"^signal\.csv: the file is empty$"),
    ],
)
def test_bad_csv_names_file_line_and_column(tmp_path, text, message):
    path = tmp_path / "signal.csv"
    path.write_text(text)
    with pytest.raises(DataError, match=message):
        load_input(path)


def test_csv_that_is_binary(tmp_path):
    (tmp_path / "s.csv").write_bytes(b"\xff\xfe\x00\x81garbage")
    with pytest.raises(DataError, match=r"^s\.csv: not a text file"):
        load_input(tmp_path / "s.csv")


@given(
    hnp.arrays(
        np.float32,
        st.tuples(st.integers(1, 4), st.integers(1, 30)),
        elements=st.floats(-1e6, 1e6, width=32),
    )
)
def test_csv_round_trip_is_exact(tmp_path_factory, signal):
    path = tmp_path_factory.mktemp("csv") / "s.csv"
    save_input(path, signal)
    np.testing.assert_array_equal(load_input(path).array, signal)


# ----------------------------------------------------------------------------- NPY


def test_npy_shapes(tmp_path):
    np.save(tmp_path / "a.npy", np.arange(5))
    np.testing.assert_array_equal(load_input(tmp_path / "a.npy").array, [np.arange(5)])
    rows = np.arange(12, dtype=np.float64).reshape(3, 4)
    np.save(tmp_path / "rows.npy", rows)
    np.save(tmp_path / "cols.npy", rows.T)
    np.testing.assert_array_equal(load_input(tmp_path / "rows.npy").array, rows)
    np.testing.assert_array_equal(load_input(tmp_path / "cols.npy").array, rows)
    image = np.random.default_rng(0).random((2, 5, 6)).astype(np.float32)
    np.save(tmp_path / "img.npy", image)
    loaded = load_input(tmp_path / "img.npy")
    assert loaded.kind == "2d"
    np.testing.assert_array_equal(loaded.array, image)


def test_npy_refuses_objects_nan_and_odd_shapes(tmp_path):
    np.save(tmp_path / "obj.npy", np.array([{"a": 1}, None], dtype=object), allow_pickle=True)
    with pytest.raises(DataError, match=r"^obj\.npy: holds Python objects"):
        load_input(tmp_path / "obj.npy")
    np.save(tmp_path / "nan.npy", np.array([1.0, np.nan]))
    with pytest.raises(DataError, match=r"^nan\.npy: NaN or infinite value at index \(1,\)"):
        load_input(tmp_path / "nan.npy")
    np.save(tmp_path / "4d.npy", np.zeros((1, 1, 1, 1)))
    with pytest.raises(DataError, match=r"^4d\.npy: a 4-D array"):
        load_input(tmp_path / "4d.npy")
    np.save(tmp_path / "text.npy", np.array(["a", "b"]))
    with pytest.raises(DataError, match=r"^text\.npy: holds <U1 values"):
        load_input(tmp_path / "text.npy")
    (tmp_path / "junk.npy").write_bytes(b"\x93NUMPY garbage")
    with pytest.raises(DataError, match=r"^junk\.npy: not a valid NPY file"):
        load_input(tmp_path / "junk.npy")


# ----------------------------------------------------------------------------- WAV


def _write_wav(path: Path, frames: bytes, channels: int, width: int, rate: int = 8000) -> None:
    with wave.open(str(path), "wb") as writer:
        writer.setnchannels(channels)
        writer.setsampwidth(width)
        writer.setframerate(rate)
        writer.writeframes(frames)


def test_wav_16_bit_stereo(tmp_path):
    samples = np.array([[0, -32768], [16384, 32767], [-16384, 0]], "<i2")  # (frames, channels)
    _write_wav(tmp_path / "s.wav", samples.tobytes(), 2, 2)
    array = load_input(tmp_path / "s.wav").array
    np.testing.assert_array_equal(array, samples.T / 32768.0)


def test_wav_8_24_and_32_bit(tmp_path):
    _write_wav(tmp_path / "u8.wav", bytes([0, 128, 255]), 1, 1)
    np.testing.assert_array_equal(load_input(tmp_path / "u8.wav").array, [[-1, 0, 127 / 128]])
    ints = [-(1 << 23), 0, (1 << 22)]
    raw = b"".join(int(v).to_bytes(3, "little", signed=True) for v in ints)
    _write_wav(tmp_path / "s24.wav", raw, 1, 3)
    np.testing.assert_array_equal(load_input(tmp_path / "s24.wav").array, [[-1, 0, 0.5]])
    _write_wav(tmp_path / "s32.wav", np.array([-(1 << 31), 1 << 30], "<i4").tobytes(), 1, 4)
    np.testing.assert_array_equal(load_input(tmp_path / "s32.wav").array, [[-1, 0.5]])


def test_long_wav_is_shortened_by_block_means_with_a_notice(tmp_path):
    samples = np.repeat(np.array([1000, -2000], "<i2"), 5000)  # 10,000 samples
    _write_wav(tmp_path / "long.wav", samples.tobytes(), 1, 2)
    loaded = load_input(tmp_path / "long.wav")
    assert loaded.array.shape == (1, 3333)  # factor ceil(10000 / 4096) = 3
    assert loaded.notice == "long.wav: 10000 samples shortened to 3333 by averaging every 3 samples"
    np.testing.assert_allclose(loaded.array[0, 0], 1000 / 32768, rtol=1e-6)
    np.testing.assert_allclose(loaded.array[0, -1], -2000 / 32768, rtol=1e-6)


def test_bad_wavs(tmp_path):
    _write_wav(tmp_path / "cut.wav", np.zeros(100, "<i2").tobytes(), 1, 2)
    data = (tmp_path / "cut.wav").read_bytes()
    (tmp_path / "cut.wav").write_bytes(data[:-50])
    with pytest.raises(DataError, match=r"^cut\.wav: truncated: the header says 100 samples"):
        load_input(tmp_path / "cut.wav")
    (tmp_path / "fake.wav").write_text("RIFF? no")
    with pytest.raises(DataError, match=r"^fake\.wav: "):
        load_input(tmp_path / "fake.wav")
    _write_wav(tmp_path / "silent.wav", b"", 1, 2)
    with pytest.raises(DataError, match=r"^silent\.wav: the WAV file holds no samples"):
        load_input(tmp_path / "silent.wav")


# ----------------------------------------------------------------------------- saving


def test_save_is_atomic_and_checks_the_format(tmp_path):
    target = tmp_path / "s.npy"
    save_input(target, np.ones((2, 3), np.float32))
    save_input(target, np.zeros((2, 3), np.float32))  # overwrite in place
    np.testing.assert_array_equal(np.load(target, allow_pickle=False), np.zeros((2, 3)))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.npy"]  # no temp file left
    with pytest.raises(DataError, match=r"^s\.png: a PNG holds an image with 1 or 3 channels"):
        save_input(tmp_path / "s.png", np.zeros((2, 4, 4), np.float32))
    with pytest.raises(DataError, match=r"^s\.csv: a CSV holds a 1D signal"):
        save_input(tmp_path / "s.csv", np.zeros((1, 4, 4), np.float32))
    with pytest.raises(DataError, match=r"^s\.gif: save as"):
        save_input(tmp_path / "s.gif", np.zeros((1, 4), np.float32))
    with pytest.raises(DataError, match=r"NaN"):
        save_input(tmp_path / "n.npy", np.array([[np.nan]], np.float32))
    with pytest.raises(DataError, match=r"^x\.npy: cannot write"):
        save_input(tmp_path / "missing_dir" / "x.npy", np.zeros((1, 2), np.float32))
