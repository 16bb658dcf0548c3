"""ConvScope's Qt GUI: the document, the compute scheduler and the views bound to them.

Modules
-------
document     ``Document``: the single source of state (input, spec, weights, selection, view)
commands     the undo command behind every undoable document edit
scheduler    ``ComputeScheduler``: engine forward + display data off the GUI thread
render       Qt-free colour quantisation and tiling of layer outputs (runs in the worker)
colormaps    lookup tables for the maps
maps_view    the layer maps in the middle of the window (``layer_map`` draws one layer)
main_window  ``MainWindow``: panels, docks, menus, status bar
launch       ``main(argv)``: the GUI entry point used by app.py (also --screenshot)
"""
