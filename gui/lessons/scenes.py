"""A scene from the window's state, and the window put back into a scene's state.

What a scene holds lives in two places: the document (input, network, weights, selection,
kernel, probe, view settings) and the window (the open lab tab, the step-through position,
presentation mode, the theme). :func:`capture` reads both; :func:`restore` changes the
document only through its methods (the network through one undoable ``load``), and the
window through its own methods; the maps follow through the compute scheduler as after any
edit.
"""

from __future__ import annotations

from dataclasses import asdict, fields

import numpy as np

from engine.lessons import DEFAULT_TAB, Scene
from gui.state.document import COLORMAPS, Probe, ViewSettings

STEP_TAB = "Step through"  # gui.stepthrough's tab title (not imported: features are apart)


def capture(window, title: str = "") -> Scene:
    """The window's current state as a scene (references to the document's arrays)."""
    doc = window.document
    probe = doc.probe
    panel = getattr(window, "stepthrough_panel", None)
    tab = window.labs.tabText(window.labs.currentIndex()) or DEFAULT_TAB
    return Scene(
        input=doc.input,
        spec=doc.spec,
        weights={layer: dict(arrays) for layer, arrays in doc.weights.items()},
        title=title,
        selected=doc.selected_layer,
        kernel_index=tuple(doc.kernel_index),
        probe=None if probe is None else (probe.layer, probe.channel, tuple(probe.position)),
        view=asdict(doc.view),
        tab=tab,
        step=int(panel.index) if panel is not None and tab == STEP_TAB else 0,
        presentation=window.presenting,
        theme=window.theme,
    )


def restore(window, scene: Scene, text: str = "Go to scene") -> bool:
    """Put the window into ``scene``'s state; False (and one message) when it cannot."""
    doc = window.document
    if not _same_network(doc, scene):
        if not doc.load(scene.input, scene.spec, scene.weights, text):
            return False
    doc.select_layer(scene.selected)
    weight = doc.weights.get(scene.selected or "", {}).get("weight")
    a, b = scene.kernel_index
    if weight is not None and weight.ndim >= 2 and a < weight.shape[0] and b < weight.shape[1]:
        doc.set_kernel_index(a, b)
    probe = None if scene.probe is None else Probe(*scene.probe)
    doc.set_probe(probe if probe is None or doc.probe_fits(probe) else None)
    view = _view_settings(scene.view)
    if view:
        doc.set_view(**view)
    window.set_theme(scene.theme, remember=False)
    window.set_presentation(scene.presentation)
    _show_tab(window, scene)
    return True


def same_state(window, scene: Scene) -> bool:
    """Whether the window shows exactly ``scene`` (values compared, not identities)."""
    return capture(window, scene.title).same_as(scene)


def _same_network(doc, scene: Scene) -> bool:
    if doc.spec != scene.spec.with_input_shape(scene.input.shape):
        return False
    if doc.input is not scene.input and not _equal(doc.input, scene.input):
        return False
    if doc.weights.keys() != scene.weights.keys():
        return False
    for layer, arrays in scene.weights.items():
        mine = doc.weights[layer]
        if mine.keys() != arrays.keys():
            return False
        if not all(mine[k] is v or _equal(mine[k], v) for k, v in arrays.items()):
            return False
    return True


def _equal(a: np.ndarray, b: np.ndarray) -> bool:
    # bit for bit (-0.0 and 0.0 differ, like the file stores them)
    return a.shape == b.shape and a.dtype == b.dtype and a.tobytes() == b.tobytes()


def _view_settings(view: dict) -> dict:
    """The scene's view settings the document knows, of the right types (others: ignored)."""
    defaults = ViewSettings()
    good = {}
    for f in fields(ViewSettings):
        value = view.get(f.name)
        if value is not None and type(value) is type(getattr(defaults, f.name)):
            good[f.name] = value
    if good.get("colormap", COLORMAPS[0]) not in COLORMAPS:
        good.pop("colormap")
    return good


def _show_tab(window, scene: Scene) -> None:
    titles = [window.labs.tabText(i) for i in range(window.labs.count())]
    tab = scene.tab if scene.tab in titles else titles[0]
    if tab != scene.tab:
        window.document.notify("warning", f"This ConvScope has no '{scene.tab}' view.")
    window.show_lab(tab)
    panel = getattr(window, "stepthrough_panel", None)
    if tab == STEP_TAB and panel is not None:
        panel.request_step(scene.step)
        panel.setFocus()
