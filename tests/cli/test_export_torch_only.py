"""The exported PyTorch file runs, weights and all, where only what its header promises is
installed: Python's standard library and torch (and torch's own requirements), no numpy,
no safetensors, no ConvScope.

The environment: ``python -I -S`` (no site-packages, no PYTHONPATH, no user site) with a
sys.path of the standard library and a folder holding links to torch and the packages
torch itself requires; an import hook makes numpy, safetensors and ConvScope's packages
absent (ModuleNotFoundError, as if not installed) in case that folder would reach them.
"""

import os
import subprocess
import sys
from importlib.metadata import distribution, requires
from pathlib import Path

import numpy as np
import pytest
import torch

from engine.cli import main
from engine.codegen import NEEDS
from engine.network import init_weights
from engine.presets import get_preset

FORBIDDEN = ("numpy", "safetensors", "engine", "gui", "convscope")

RUNNER = """
import sys
sys.path[:] = [p for p in sys.path if 'site-packages' not in p] + [{site!r}]
FORBIDDEN = {forbidden!r}

class Block:
    def find_spec(self, name, path=None, target=None):
        if name.split('.')[0] in FORBIDDEN:
            raise ModuleNotFoundError('not installed here: ' + name, name=name)
        return None

sys.meta_path.insert(0, Block())
import runpy
sys.argv = [{script!r}]
runpy.run_path({script!r}, run_name='__main__')
"""


def _top_level(dist_name: str) -> list[str]:
    dist = distribution(dist_name)
    names = set()
    for file in dist.files or ():
        top = file.parts[0]
        if top.endswith((".dist-info", ".egg-info")) or top in ("__pycache__", ".."):
            continue
        names.add(top)  # a package folder or a single module file
    return sorted(names)


def _torch_only_site(folder: Path) -> Path:
    """A folder with links to torch and the distributions torch requires (recursively,
    without extras), nothing else."""
    site = folder / "site"
    site.mkdir()
    base = Path(torch.__file__).resolve().parents[1]
    todo, seen = ["torch"], set()
    while todo:
        name = todo.pop()
        key = name.lower().replace("_", "-")
        if key in seen:
            continue
        seen.add(key)
        for top in _top_level(name):
            source = base / top
            module = top[:-3] if top.endswith(".py") else top
            if source.exists() and not (site / top).exists() and module not in FORBIDDEN:
                (site / top).symlink_to(source)
        for req in requires(name) or ():
            if "extra ==" in req:
                continue
            dep = req.split(";")[0].split("[")[0]
            for cut in "<>=!~ (":
                dep = dep.split(cut)[0]
            todo.append(dep.strip())
    for top in FORBIDDEN:
        assert not (site / top).exists()
    return site


def _run_isolated(script: Path, site: Path) -> subprocess.CompletedProcess:
    code = RUNNER.format(site=str(site), forbidden=FORBIDDEN, script=str(script))
    env = {"PATH": os.environ.get("PATH", ""), "HOME": str(script.parent)}
    return subprocess.run(
        [sys.executable, "-I", "-S", "-c", code],
        capture_output=True,
        text=True,
        timeout=180,
        cwd=script.parent,
        env=env,
    )


@pytest.mark.parametrize("suffix", [".npz", ".safetensors"])
def test_the_export_with_weights_runs_with_only_torch(tmp_path, capsys, suffix):
    out, weights = tmp_path / "out" / "net.py", tmp_path / "out" / f"w{suffix}"
    out.parent.mkdir()
    assert main(["export", "lab-2d", "--pytorch", str(out), "--weights", str(weights)]) == 0
    source = out.read_text()
    assert NEEDS in source  # the header says what it needs
    site = _torch_only_site(tmp_path)
    probe = tmp_path / "out" / "probe.py"
    # the exported build() loads the weights; compare them with the engine's, exactly
    spec = get_preset("lab-2d")
    expected = init_weights(spec, seed=0)
    lines = ["import runpy", f"ns = runpy.run_path({str(out)!r})", "net = ns['build']()"]
    for layer, arrays in expected.items():
        for key in arrays:
            lines.append(
                f"w = getattr(getattr(net, ns['Net'].LAYERS[{layer!r}]), {key!r}).detach()"
            )
            lines.append(f"print({layer + '.' + key!r}, repr(w.flatten()[:3].tolist()))")
    probe.write_text("\n".join(lines) + "\n")
    run = _run_isolated(out, site)
    assert run.returncode == 0, run.stderr
    assert "output shape: (1, 4, " in run.stdout
    run = _run_isolated(probe, site)
    assert run.returncode == 0, run.stderr
    for layer, arrays in expected.items():
        for key, array in arrays.items():
            flat = array.astype(np.float32).ravel()
            line = next(x for x in run.stdout.splitlines() if x.startswith(f"{layer}.{key} "))
            assert repr(flat[:3].tolist()) in line  # the very numbers, not zeros or noise


def test_the_isolated_environment_really_lacks_numpy(tmp_path):
    """The check above is worth something: in that environment numpy cannot be imported."""
    site = _torch_only_site(tmp_path)
    script = tmp_path / "needs_numpy.py"
    script.write_text("import numpy\n")
    run = _run_isolated(script, site)
    assert run.returncode != 0 and "numpy" in run.stderr


def test_export_help_says_what_the_file_needs(capsys):
    with pytest.raises(SystemExit):
        main(["export", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "only Python's standard library and torch" in text
