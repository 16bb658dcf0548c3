"""``python app.py animate NETWORK_OR_WORKSPACE --layer NAME --gif OUT.gif ...``: the
step-through rendered offscreen, one frame per step (an output position; an input position for
a transposed convolution), in order, written with Pillow as a GIF (one palette shared by all
frames: quantized once), optionally as numbered PNGs and, with ``--mp4 OUT.mp4``, as an MP4
when the optional package imageio-ffmpeg is installed (never required). Bad arguments end
with one ``error:`` line and exit status 2.

The network is a preset name, a network file (.json) or a workspace (.convscope, which brings
its input and weights). ``--input`` is an example name or an image/signal file (default: the
workspace's input, else a random input of the network's shape from ``--seed``);
``--weights`` a weights file (default: the workspace's, else fresh ones from ``--seed``).
"""

from __future__ import annotations

import argparse
import os
import sys

import numpy as np

MAX_FRAMES = 2000  # a bigger layer: choose a smaller input (a GIF of 65,536 frames helps nobody)
DEFAULT_SIZE = "1280x720"


class AnimateError(Exception):
    """A bad argument or file: the message is the one line the user sees."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="app.py animate", description=__doc__.split("\n\n")[0])
    parser.add_argument("network", help="a preset, a network file (.json) or a .convscope file")
    parser.add_argument("--layer", required=True, metavar="NAME", help="the layer to step through")
    parser.add_argument("--input", metavar="EXAMPLE_OR_FILE", help="an example name or a file")
    parser.add_argument("--weights", metavar="FILE", help="weights (.safetensors or .npz)")
    parser.add_argument("--seed", type=int, default=0, help="seed of fresh weights and input")
    parser.add_argument("--channel", type=int, default=0, help="the output channel (default 0)")
    parser.add_argument("--gif", metavar="OUT.gif", help="where to write the GIF")
    parser.add_argument(
        "--mp4", metavar="OUT.mp4", help="also (or only) an MP4 (needs imageio-ffmpeg)"
    )
    parser.add_argument("--size", default=DEFAULT_SIZE, help=f"frame size WxH ({DEFAULT_SIZE})")
    parser.add_argument("--fps", type=float, default=2.0, help="frames per second (default 2)")
    parser.add_argument("--frames", metavar="DIR", help="also write numbered PNGs here")

    def error(message: str):
        print(f"error: animate: {message}", file=sys.stderr)
        sys.exit(2)

    parser.error = error  # type: ignore[method-assign]
    return parser


def parse_size(text: str) -> tuple[int, int]:
    parts = text.lower().replace("×", "x").split("x")
    try:
        w, h = (int(p) for p in parts)
    except ValueError:
        raise AnimateError(f"--size must be WIDTHxHEIGHT, e.g. 800x450; got {text!r}") from None
    if not (320 <= w <= 4096 and 200 <= h <= 4096):
        raise AnimateError(f"--size {w}x{h} is outside 320x200 .. 4096x4096")
    return w, h


def _load(args):
    """(input array, spec, weights or None) from the arguments (AnimateError)."""
    from engine.errors import EngineError
    from engine.summary import resolve_network
    from engine.workspace import load_workspace

    try:
        if args.network.lower().endswith(".convscope"):
            ws = load_workspace(args.network)
            x, spec, weights = ws.input, ws.spec, ws.weights
        else:
            spec = resolve_network(args.network)
            rng = np.random.default_rng(args.seed)
            x, weights = rng.standard_normal(spec.input_shape).astype(np.float32), None
        if args.input:
            x = _input(args.input)
            weights = None if not args.weights else weights
        if args.weights:
            from engine.export import checked_weights

            weights = checked_weights(spec.with_input_shape(x.shape), args.weights, x.shape)
    except EngineError as error:
        raise AnimateError(str(error)) from None
    except OSError as error:
        raise AnimateError(f"{error.strerror or error}: {error.filename or args.network}") from None
    if args.layer not in spec.names():
        raise AnimateError(
            f"there is no layer named {args.layer!r} (layers: {', '.join(spec.names())})"
        )
    return x, spec, weights


def _input(name: str) -> np.ndarray:
    from engine.errors import EngineError
    from engine.examples import example_kind, make_example
    from engine.inputs import load_input

    try:
        kind = example_kind(name)
    except EngineError:
        kind = None
    if kind is not None:
        return make_example(name, 64 if kind == "2d" else None)
    if os.path.exists(name):
        return load_input(name).array
    raise AnimateError(f"--input {name!r} is neither an example nor a file")


MP4_PACKAGE = "imageio-ffmpeg"


def _mp4_writer():
    """imageio-ffmpeg's ``write_frames`` (AnimateError naming the package when missing)."""
    try:
        import imageio_ffmpeg
    except ImportError:
        raise AnimateError(
            f"--mp4 needs the optional package {MP4_PACKAGE} (pip install {MP4_PACKAGE})"
        ) from None
    return imageio_ffmpeg.write_frames


def _check(args) -> tuple[int, int]:
    size = parse_size(args.size)
    if not args.gif and not args.mp4:
        raise AnimateError("say where to write: --gif OUT.gif and/or --mp4 OUT.mp4")
    if args.gif and args.gif.lower().endswith(".mp4"):
        raise AnimateError(f"--gif needs a .gif file name; for an MP4 use --mp4 {args.gif}")
    if args.gif and not args.gif.lower().endswith(".gif"):
        raise AnimateError(f"--gif needs a .gif file name; got {args.gif!r}")
    if args.mp4:
        if not args.mp4.lower().endswith(".mp4"):
            raise AnimateError(f"--mp4 needs a .mp4 file name; got {args.mp4!r}")
        _mp4_writer()  # before rendering: a missing package is said at once
    if not 0.1 <= args.fps <= 50:
        raise AnimateError(
            f"--fps must lie in 0.1 … 50 (browsers cap GIFs near 50); got {args.fps}"
        )
    if args.frames and os.path.exists(args.frames) and not os.path.isdir(args.frames):
        raise AnimateError(f"--frames {args.frames!r} exists and is not a folder")
    return size


def render_frames(x, spec, weights, layer: str, channel: int, size, cached: bool = True):
    """The step-through's frames as QImages, one per step, in order (needs a QApplication).
    ``cached`` False draws every cell of every frame (the benchmark's baseline)."""
    from PySide6.QtCore import QCoreApplication

    from gui.compute.scheduler import ComputeScheduler
    from gui.state.document import Document
    from gui.stepthrough.step_panel import StepPanel

    document = Document(x, spec, weights)
    scheduler = ComputeScheduler(document)
    panel = StepPanel(document, scheduler)
    try:
        panel.resize(*size)
        document.select_layer(layer)
        document.set_kernel_index(channel, 0)
        _wait_for_plan(panel, scheduler)
        count = panel.plan.count
        if count > MAX_FRAMES:
            raise AnimateError(
                f"'{layer}' has {count} steps (more than {MAX_FRAMES}); "
                "animate a smaller input (--input)"
            )
        panel.set_controls_visible(False)
        panel.canvas.cached = cached
        panel.show()
        for i in range(count):
            panel.go(i)
            QCoreApplication.processEvents()
            yield panel.grab().toImage()
    finally:
        panel.close()
        scheduler.shutdown()


def _wait_for_plan(panel, scheduler, seconds: float = 120.0) -> None:
    """Until the newest trace is in and the panel made its plan (AnimateError if it cannot)."""
    import time

    from PySide6.QtCore import QCoreApplication

    end = time.monotonic() + seconds
    while time.monotonic() < end:
        QCoreApplication.processEvents()
        latest = scheduler.latest
        if latest is not None and latest.generation == scheduler.generation:
            panel.refresh()
            if panel.plan is None:
                raise AnimateError(panel.heading.text())
            return
        time.sleep(0.005)
    raise AnimateError("the layer's outputs were not computed within 2 minutes")


def _pil(image):
    from PIL import Image
    from PySide6.QtGui import QImage

    rgb = image.convertToFormat(QImage.Format.Format_RGB888)
    w, h = rgb.width(), rgb.height()
    arr = np.frombuffer(rgb.constBits(), np.uint8, rgb.bytesPerLine() * h)
    arr = arr.reshape(h, rgb.bytesPerLine())[:, : 3 * w].reshape(h, w, 3)
    return Image.fromarray(np.ascontiguousarray(arr), "RGB")


def shared_palette_frames(frames, shared: bool = True):
    """The frames as palette images for a GIF. ``shared``: one palette for all, quantized
    once from the first, middle and last frames and mapped without dithering (the frames
    share their colours: cells, marks, text), instead of Pillow quantizing every frame."""
    from PIL import Image

    if not shared:
        return [f.quantize(256) for f in frames]
    w, h = frames[0].size
    picks = sorted({0, len(frames) // 2, len(frames) - 1})
    sample = Image.new("RGB", (w, h * len(picks)))
    for k, i in enumerate(picks):
        sample.paste(frames[i], (0, h * k))
    palette = sample.quantize(256, method=Image.Quantize.FASTOCTREE)
    return [f.quantize(palette=palette, dither=Image.Dither.NONE) for f in frames]


def main(argv: list[str], theme=None) -> int:
    """The command; ``theme(app)`` styles the frames (app.py passes the app's theme)."""
    args = build_parser().parse_args(argv)
    try:
        size = _check(args)
        x, spec, weights = _load(args)
    except AnimateError as error:
        print(f"error: animate: {error}", file=sys.stderr)
        return 2
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    import PySide6.QtWidgets  # noqa: F401 - PySide6 before pyqtgraph
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication(sys.argv[:1])
    if theme is not None:
        theme(app)
    try:
        frames = [
            _pil(img) for img in render_frames(x, spec, weights, args.layer, args.channel, size)
        ]
    except AnimateError as error:
        print(f"error: animate: {error}", file=sys.stderr)
        return 2
    return _write(args, frames)


def write_gif(path: str, frames, fps: float, shared: bool = True) -> None:
    """The frames (PIL RGB images) as a looping GIF at ``fps``, written atomically."""
    duration = round(1000 / fps)  # GIF durations are in milliseconds
    images = shared_palette_frames(frames, shared)
    tmp = path + ".tmp.gif"
    images[0].save(
        tmp, save_all=True, append_images=images[1:], duration=duration, loop=0, optimize=False
    )
    os.replace(tmp, path)


def write_mp4(path: str, frames, fps: float) -> None:
    """The frames as an H.264 MP4 through imageio-ffmpeg, written atomically."""
    write_frames = _mp4_writer()
    w, h = frames[0].size
    tmp = path + ".tmp.mp4"
    writer = write_frames(tmp, (w, h), fps=fps, macro_block_size=2, ffmpeg_log_level="error")
    writer.send(None)  # the writer starts
    try:
        for frame in frames:
            writer.send(np.asarray(frame, np.uint8).tobytes())
    finally:
        writer.close()
    os.replace(tmp, path)


def _write(args, frames) -> int:
    written = []
    try:
        if args.gif:
            write_gif(args.gif, frames, args.fps)
            written.append(args.gif)
        if args.mp4:
            write_mp4(args.mp4, frames, args.fps)
            written.append(args.mp4)
        if args.frames:
            os.makedirs(args.frames, exist_ok=True)
            digits = len(str(len(frames)))
            for i, frame in enumerate(frames):
                frame.save(os.path.join(args.frames, f"frame{i:0{digits}d}.png"))
    except AnimateError as error:
        print(f"error: animate: {error}", file=sys.stderr)
        return 2
    except (OSError, RuntimeError) as error:  # imageio-ffmpeg reports ffmpeg's failures so
        text = getattr(error, "strerror", None) or str(error).strip().splitlines()[-1]
        print(f"error: animate: cannot write: {text}", file=sys.stderr)
        return 2
    print(f"wrote {' and '.join(written)} ({len(frames)} frames at {args.fps:g} fps)")
    return 0
