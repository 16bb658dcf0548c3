"""Files: open/save workspaces, autosave and crash recovery, export, the dialogs seam."""
