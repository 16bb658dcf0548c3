"""Building a layer's matrix by construction against probing it with unit vectors.

Usage: ``python benchmarks/sampling_matrix.py`` — prints ``key=value`` medians (ms) for the
sampling lab's sizes (a 3×3 convolution 4→4 on 4×8×8, a stride-2 transposed convolution
4→4 on 4×4×4) and the largest matrix allowed (a 1D convolution on 4,096 positions), built
by ``engine.linear_map`` and, as the baseline in the same run, probed one unit vector at a
time through the layer's forward (the path an unknown linear layer type takes). torch runs
on one thread: on a loaded 2-core machine its thread pool makes small calls far slower.
"""

from __future__ import annotations

import functools
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def median_ms(fn, runs: int) -> float:
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times) * 1e3


def main() -> None:
    import numpy as np
    import torch

    from engine import layers as L
    from engine import linear_map
    from engine.spec import LayerSpec

    cases = {
        "conv2d_k3_4x8x8": (
            LayerSpec("c", "conv", {"out_channels": 4, "kernel_size": 3, "padding": 1}),
            (4, 8, 8),
        ),
        "conv_transpose2d_k3_s2_4x4x4": (
            LayerSpec("t", "conv_transpose", {"out_channels": 4, "kernel_size": 3, "stride": 2,
                                              "padding": 1, "output_padding": 1}),
            (4, 4, 4),
        ),
        "conv1d_k3_4096": (
            LayerSpec("c", "conv", {"out_channels": 1, "kernel_size": 3, "padding": 1}),
            (1, 4096),
        ),
    }  # fmt: skip
    torch.set_num_threads(1)
    rng = np.random.default_rng(0)
    for name, (layer, shape) in cases.items():
        params = L.validate_params(layer)
        shapes = L.weight_shapes(layer, params, [shape])
        weights = {key: rng.standard_normal(s) for key, s in shapes.items()}
        build = functools.partial(linear_map.layer_spec_matrix, layer, shape, weights)
        built = median_ms(build, 5)
        builder = linear_map._BUILDERS.pop(layer.type)
        try:
            runs = 1 if shape[-1] > 1000 else 3
            probed = median_ms(build, runs)
        finally:
            linear_map._BUILDERS[layer.type] = builder
        print(f"{name}_construction_ms={built:.2f}")
        print(f"{name}_probing_ms={probed:.1f}")
        print(f"{name}_speedup={probed / built:.0f}")


if __name__ == "__main__":
    main()
