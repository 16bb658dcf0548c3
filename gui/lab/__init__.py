"""The live lab: the input panel (input/), the layer maps (maps/), the inspector with its
parameter form, kernel editor and formula panel (inspector/), and the compare view.
"""
