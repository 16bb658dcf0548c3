"""Guard for the PySide6 pin: pyqtgraph items survive thousands of updates.

PySide6 6.12.0 corrupts reference counts of Python subclasses of QGraphicsObject (every
pyqtgraph item) and dies with "Fatal Python error: bool_dealloc" after some thousands of
``update()`` calls. The loop runs in a subprocess so a crash fails this test only.
"""

import os
import subprocess
import sys

SCRIPT = r"""
import os
os.environ["QT_QPA_PLATFORM"] = "offscreen"
import numpy as np
from PySide6.QtWidgets import QApplication
import pyqtgraph as pg

app = QApplication([])
widget = pg.GraphicsLayoutWidget()
view = widget.addViewBox()
items = [pg.ImageItem(axisOrder="row-major") for _ in range(4)]
for item in items:
    view.addItem(item)
widget.resize(400, 300)
widget.show()
lut = np.zeros((256, 3), np.uint8)
lut[:, 0] = np.arange(256)
rng = np.random.default_rng(0)
frames = [rng.integers(0, 255, (32, 48), dtype=np.uint8) for _ in range(8)]
for i in range(3000):
    item = items[i % 4]
    item.setImage(frames[i % 8], levels=(0, 255), lut=lut, autoLevels=False)
    item.update()
    view.update()
    if i % 50 == 0:
        app.processEvents()
app.processEvents()
print("clean", flush=True)
"""


def test_thousands_of_image_updates_exit_cleanly():
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=240, env=env
    )
    assert "Fatal Python error" not in result.stderr, result.stderr[-2000:]
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip().endswith("clean")
