"""The selected layer's inspector: parameter form, kernel editor, formula panel."""
