"""The step-through lab: a layer's kernel sliding over its input, one step at a time,
forward and back (engine.stepthrough computes the steps)."""
