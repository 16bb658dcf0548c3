"""ConvScope entry point.

``python app.py [--screenshot OUT.png] [--size WxH] [EXAMPLE_OR_FILE]`` starts the lab (or renders
it offscreen to a PNG); ``python app.py summary|export|train|matrix|symmetry ...`` runs a headless
command.
"""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    from engine.cli import COMMANDS

    if argv and argv[0] == "animate":  # the step-through as a GIF, rendered offscreen
        from gui.app.theme import apply_theme
        from gui.stepthrough.animate import main as animate_main

        return animate_main(argv[1:], theme=apply_theme)
    if argv and argv[0] in COMMANDS:
        from engine.cli import main as cli_main

        return cli_main(argv)
    from gui.app.launch import main as gui_main

    return gui_main(argv)


if __name__ == "__main__":
    sys.exit(main())
