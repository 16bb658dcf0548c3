"""engine.augment: identity when off, seeded reproducibility, exact geometric cases."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch

from engine.augment import Augmentation, augment, preview
from engine.errors import DataError


def _batch(n=6, c=2, h=8, w=10, seed=0):
    return torch.rand(n, c, h, w, generator=torch.Generator().manual_seed(seed))


def test_all_strengths_zero_is_the_identity():
    batch = _batch()
    out = augment(batch, Augmentation(), torch.Generator().manual_seed(0))
    assert torch.equal(out, batch)


def test_same_seed_same_batch_other_seed_other_batch():
    aug = Augmentation(
        translate=0.2, rotate=30, scale=0.3, flip=True, brightness=0.2, contrast=0.3, noise=0.05
    )
    batch = _batch()
    a = augment(batch, aug, torch.Generator().manual_seed(5))
    b = augment(batch, aug, torch.Generator().manual_seed(5))
    c = augment(batch, aug, torch.Generator().manual_seed(6))
    assert torch.equal(a, b) and not torch.equal(a, c)
    assert a.shape == batch.shape and a.dtype == batch.dtype
    assert torch.equal(batch, _batch())  # the input is not changed


def test_flip_alone_mirrors_exactly_about_half_the_samples():
    batch = _batch(n=64)
    out = augment(batch, Augmentation(flip=True), torch.Generator().manual_seed(1))
    pairs = list(zip(out, batch, strict=True))
    mirrored = torch.tensor([torch.equal(o, b.flip(-1)) for o, b in pairs])
    same = torch.tensor([torch.equal(o, b) for o, b in pairs])
    assert bool((mirrored | same).all())
    assert 16 < int(mirrored.sum()) < 48


def test_geometric_path_with_a_flip_matches_a_mirror():
    # A tiny translate strength forces the affine path; the flip must still be a clean mirror.
    batch = _batch(n=32)
    aug = Augmentation(flip=True, translate=1e-7)
    out = augment(batch, aug, torch.Generator().manual_seed(2))
    for o, b in zip(out, batch, strict=True):
        assert torch.allclose(o, b, atol=1e-4) or torch.allclose(o, b.flip(-1), atol=1e-4)


def test_rotation_turns_a_bar_and_leaves_a_centred_disc_alone():
    from engine.examples import make_example

    disc = torch.from_numpy(make_example("circle", 33))[None].repeat(16, 1, 1, 1)
    turned = augment(disc, Augmentation(rotate=90), torch.Generator().manual_seed(0))
    assert (turned - disc).abs().mean() < 0.01
    bar = torch.zeros(16, 1, 33, 33)
    bar[:, :, 15:18, 4:29] = 1.0  # horizontal
    turned = augment(bar, Augmentation(rotate=90), torch.Generator().manual_seed(0))
    off_row = turned[:, 0, :10, :].sum(dim=(1, 2))  # mass far above the bar's rows
    assert (off_row > 1).sum() >= 4  # steep rotations lift part of the bar
    assert torch.allclose(turned[:, 0, 16, 16], torch.ones(16), atol=1e-4)  # centre stays


def test_translation_moves_content_and_fills_zeros():
    image = torch.zeros(1, 1, 1, 20)
    image[..., 10] = 1.0
    aug = Augmentation(translate=0.25)
    out = augment(image.repeat(50, 1, 1, 1), aug, torch.Generator().manual_seed(3))
    centres = (out[:, 0, 0] * torch.arange(20.0)).sum(1) / out[:, 0, 0].sum(1)
    assert centres.min() < 9 and centres.max() > 11  # moved both ways
    assert (centres - 10).abs().max() <= 0.25 * 20 + 1e-4
    assert out.sum(dim=(1, 2, 3)).sub(1).abs().max() < 1e-4  # mass kept inside the frame


def test_brightness_contrast_and_noise_statistics():
    batch = torch.full((200, 1, 4, 4), 0.5)
    batch[:, :, :, :2] = 0.0
    out = augment(batch, Augmentation(brightness=0.3), torch.Generator().manual_seed(4))
    shift = (out - batch).flatten(1)
    assert torch.allclose(shift, shift[:, :1].expand_as(shift), atol=1e-6)  # one per sample
    assert shift.abs().max() <= 0.3 and shift.std() > 0.1
    out = augment(batch, Augmentation(contrast=0.5), torch.Generator().manual_seed(4))
    assert torch.allclose(out.mean(dim=(1, 2, 3)), batch.mean(dim=(1, 2, 3)), atol=1e-6)
    spread = out.flatten(1).std(1) / batch.flatten(1).std(1)
    assert spread.min() >= 0.5 - 1e-5 and spread.max() <= 1.5 + 1e-5
    out = augment(
        torch.zeros(20, 1, 32, 32), Augmentation(noise=0.2), torch.Generator().manual_seed(4)
    )
    assert out.std().item() == pytest.approx(0.2, rel=0.05)


def test_one_dimensional_batches():
    batch = torch.rand(10, 1, 40, generator=torch.Generator().manual_seed(0))
    out = augment(
        batch,
        Augmentation(flip=True, translate=0.1, scale=0.2, noise=0.01),
        torch.Generator().manual_seed(0),
    )
    assert out.shape == batch.shape
    flipped = augment(batch, Augmentation(flip=True), torch.Generator().manual_seed(0))
    for o, b in zip(flipped, batch, strict=True):
        assert torch.equal(o, b) or torch.equal(o, b.flip(-1))
    with pytest.raises(DataError, match="rotation and vertical flips need images"):
        augment(batch, Augmentation(rotate=10), torch.Generator())


def test_scale_zooms_about_the_centre():
    image = torch.zeros(1, 1, 9, 9)
    image[..., 4, 4] = 1.0
    out = augment(
        image.repeat(8, 1, 1, 1), Augmentation(scale=1.0), torch.Generator().manual_seed(0)
    )
    # the bright spot stays at the centre whatever the zoom
    assert (out[:, 0].flatten(1).argmax(1) == 4 * 9 + 4).all()


def test_preview_is_seeded_and_shaped():
    sample = np.random.default_rng(0).random((1, 16, 16)).astype(np.float32)
    aug = Augmentation(rotate=20, flip=True)
    a = preview(sample, aug, n=5, seed=7)
    assert a.shape == (5, 1, 16, 16) and a.dtype == np.float32
    np.testing.assert_array_equal(a, preview(sample, aug, n=5, seed=7))
    np.testing.assert_array_equal(preview(sample, Augmentation(), 3), np.stack([sample] * 3))


def test_bad_strengths_and_batches():
    for field, value in (
        ("rotate", -1),
        ("translate", 2.0),
        ("noise", float("nan")),
        ("contrast", "a"),
        ("flip", 1),
    ):
        with pytest.raises(DataError, match=f"augmentation {field}"):
            Augmentation(**{field: value})
    with pytest.raises(DataError, match="float batch"):
        augment(torch.zeros(2, 3, dtype=torch.float32), Augmentation(noise=0.1), torch.Generator())
    with pytest.raises(DataError, match="float batch"):
        augment(torch.zeros(2, 1, 3, 3, dtype=torch.int64), Augmentation(), torch.Generator())
    assert not Augmentation().active and Augmentation(flip=True).active
    assert {f.name for f in dataclasses.fields(Augmentation)} == {
        "translate",
        "rotate",
        "scale",
        "flip",
        "flip_vertical",
        "brightness",
        "contrast",
        "noise",
    }
