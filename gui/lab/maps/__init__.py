"""The layer maps in the middle of the window: one LayerMap per layer, colour bars, which
layers are on screen.
"""
