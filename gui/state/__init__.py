"""Models and undo, no widgets: the Document (the single source of state), its undo commands,
the training history it records.
"""
