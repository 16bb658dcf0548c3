"""ConvScope's Qt GUI, grouped by feature into rooms.

app/        composition root: launch, main window, theme
state/      document, undo commands, training history (models; no widgets)
compute/    compute scheduler, display data, colour maps (off-thread work for the views)
lab/        the live lab: input/, maps/, inspector/, compare view
designer/   the Layers tab: layer stack, table model, add-layer menu, totals
training/   the Training tab and its worker
workspace/  files: save/open, autosave, crash recovery, export
overlays/   a segmenter's mask or a detector's boxes over the input
lessons/    the Lessons dock: scenes of saved states, presented with PageDown/PageUp
widgets/    generic Qt pieces (flow layout, stable text, strokes, indexed image)

Who may import whom is written down as import-linter contracts in pyproject.toml.
"""
