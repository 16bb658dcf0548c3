"""A 32-shift symmetry sweep on the reference workload against 32 plain forward passes.

Usage: ``python benchmarks/symmetry_sweep.py [--runs N]`` — prints the median seconds of
``engine.symmetry.sweep(..., 32)`` (33 forward passes: the plain one and one per shift, plus
both errors at every layer) on ``lab-2d`` with a 256x256 input, the median of 32 plain
``engine.network.forward`` calls measured in the same run, and their ratio. The issue's
target: the sweep within 1 s on this machine.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def median_s(fn, runs: int) -> float:
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args(argv)

    from engine import symmetry as S
    from engine.examples import make_example
    from engine.network import forward, init_weights
    from engine.presets import get_preset

    spec = get_preset("lab-2d")
    weights = init_weights(spec)
    x = make_example("cameraman", 256)
    S.sweep(spec, weights, x, 2)  # warm up torch

    def plain() -> None:
        for _ in range(32):
            forward(spec, weights, x)

    def swept() -> None:
        S.sweep(spec, weights, x, 32)

    base, sweep = [], []
    for _ in range(args.runs):  # interleaved: both see the same machine load
        base.append(median_s(plain, 1))
        sweep.append(median_s(swept, 1))
    b, s = statistics.median(base), statistics.median(sweep)
    print(f"32 plain forward passes (lab-2d, 256x256): median {b:.3f} s over {args.runs} runs")
    print(f"sweep of shifts 0..32 (33 passes + errors): median {s:.3f} s")
    print(f"ratio sweep / 32 plain passes: {s / b:.2f}")


if __name__ == "__main__":
    main()
