"""The symmetry lab: invariance and equivariance measured per layer (engine.symmetry)."""
