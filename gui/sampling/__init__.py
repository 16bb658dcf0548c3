"""The sampling lab (issue 12): down- and upsamplers side by side, checkerboard artefacts,
transposed convolution as a matrix, 1×1 channel mixing. Its numbers: ``engine.sampling``."""

from gui.sampling.panel import SamplingPanel, install_sampling_lab

__all__ = ["SamplingPanel", "install_sampling_lab"]
