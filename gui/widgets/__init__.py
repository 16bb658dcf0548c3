"""Generic Qt pieces that know nothing of ConvScope's state: a flow layout, stable text,
strokes, an indexed image.
"""
