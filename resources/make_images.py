"""Make resources/images/ from scikit-image's sample photographs (run once; output committed).

Usage: ``python resources/make_images.py SKIMAGE_DATA_DIR`` where the folder is
``skimage/data`` unpacked from a scikit-image wheel (0.26.0 was used). Each photograph is
scaled down (Lanczos) so its longer side is 256 pixels. Licenses: resources/LICENSES.md.
"""

from __future__ import annotations

import sys
from pathlib import Path

from PIL import Image

# source file in skimage/data -> file written here
PHOTOS = {
    "camera.png": "cameraman.png",
    "chelsea.png": "cat.png",
    "coffee.png": "coffee.png",
    "astronaut.png": "astronaut.png",
}
LONGER_SIDE = 256


def main(source: Path) -> None:
    out_dir = Path(__file__).parent / "images"
    out_dir.mkdir(exist_ok=True)
    for src, dst in PHOTOS.items():
        img = Image.open(source / src)
        scale = LONGER_SIDE / max(img.size)
        size = (round(img.width * scale), round(img.height * scale))
        img.resize(size, Image.Resampling.LANCZOS).save(out_dir / dst, optimize=True)
        print(dst, size)


if __name__ == "__main__":
    main(Path(sys.argv[1]))
