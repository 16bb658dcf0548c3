"""engine.optim gives bit-identical weights to torch.optim on the CPU."""

import copy

import pytest
import torch
import torch.nn.functional as F
from hypothesis import given
from hypothesis import strategies as st

from engine.optim import SGD, Adam


def _model(seed: int) -> torch.nn.Module:
    torch.manual_seed(seed)
    return torch.nn.Sequential(
        torch.nn.Conv1d(2, 3, 3, padding=1),
        torch.nn.ReLU(),
        torch.nn.Flatten(),
        torch.nn.Linear(3 * 8, 4),
    )


def _train_both(make_ours, make_torch, seed: int, steps: int, freeze_bias: bool = False):
    ours_model = _model(seed)
    torch_model = copy.deepcopy(ours_model)
    if freeze_bias:  # a parameter without a gradient is skipped, as torch.optim does
        for m in (ours_model, torch_model):
            m[0].bias.requires_grad_(False)
    ours = make_ours([p for p in ours_model.parameters() if p.requires_grad])
    theirs = make_torch([p for p in torch_model.parameters() if p.requires_grad])
    g = torch.Generator().manual_seed(seed)
    for _ in range(steps):
        x = torch.randn(5, 2, 8, generator=g)
        y = torch.randint(0, 4, (5,), generator=g)
        for model, opt in ((ours_model, ours), (torch_model, theirs)):
            opt.zero_grad(set_to_none=True)
            F.cross_entropy(model(x), y).backward()
            opt.step()
    return list(ours_model.parameters()), list(torch_model.parameters())


def _assert_identical(ours, theirs):
    assert len(ours) == len(theirs)
    for a, b in zip(ours, theirs, strict=True):
        assert torch.equal(a, b), (a - b).abs().max()


rates = st.sampled_from([0.5, 0.05, 1e-3, 0.0123])
decays = st.sampled_from([0.0, 1e-4, 0.01])


@given(
    lr=rates,
    momentum=st.sampled_from([0.0, 0.5, 0.9]),
    weight_decay=decays,
    seed=st.integers(0, 2**16),
    steps=st.integers(1, 6),
    freeze_bias=st.booleans(),
)
def test_sgd_matches_torch_optim(lr, momentum, weight_decay, seed, steps, freeze_bias):
    ours, theirs = _train_both(
        lambda p: SGD(p, lr=lr, momentum=momentum, weight_decay=weight_decay),
        lambda p: torch.optim.SGD(p, lr=lr, momentum=momentum, weight_decay=weight_decay),
        seed,
        steps,
        freeze_bias,
    )
    _assert_identical(ours, theirs)


@given(
    lr=rates,
    weight_decay=decays,
    seed=st.integers(0, 2**16),
    steps=st.integers(1, 6),
    freeze_bias=st.booleans(),
)
def test_adam_matches_torch_optim(lr, weight_decay, seed, steps, freeze_bias):
    ours, theirs = _train_both(
        lambda p: Adam(p, lr=lr, weight_decay=weight_decay),
        lambda p: torch.optim.Adam(p, lr=lr, weight_decay=weight_decay),
        seed,
        steps,
        freeze_bias,
    )
    _assert_identical(ours, theirs)


def test_many_adam_steps_stay_identical():
    """Bias correction over many steps (the step count is read back as a float in torch)."""
    ours, theirs = _train_both(
        lambda p: Adam(p, lr=1e-3), lambda p: torch.optim.Adam(p, lr=1e-3), 7, 300
    )
    _assert_identical(ours, theirs)


def test_refusals():
    with pytest.raises(ValueError, match="empty parameter list"):
        SGD([], lr=0.1)
    p = torch.nn.Parameter(torch.ones(2))
    with pytest.raises(ValueError, match="set_to_none"):
        SGD([p], lr=0.1).zero_grad(set_to_none=False)
