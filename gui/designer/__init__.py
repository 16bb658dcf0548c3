"""The Layers tab: the layer stack and its table model, the add-layer menu, the totals."""
