"""The composition root: launch (command line, --screenshot), the main window, the theme.

Only this room may import every other room; nothing imports it.
"""
