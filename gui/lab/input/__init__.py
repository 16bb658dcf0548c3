"""The input panel: examples, files, drawing 1D signals and 2D images, live transforms."""
