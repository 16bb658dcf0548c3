"""engine.presets: the book's counts and every preset runs."""

import pytest

from engine.errors import SpecError
from engine.network import analyze
from engine.presets import get_preset, preset_names


def test_book_counts():
    assert analyze(get_preset("udl-mnist1d-cnn")).total.parameters == 2050
    assert analyze(get_preset("udl-mnist1d-fc")).total.parameters == 59065


@pytest.mark.parametrize("name", preset_names())
def test_every_preset_analyses_cleanly_with_a_description(name):
    spec = get_preset(name)
    assert spec.name == name and spec.description and "\n" not in spec.description
    assert analyze(spec).ok


def test_required_presets_and_shapes():
    assert set(preset_names()) >= {
        "udl-mnist1d-cnn",
        "udl-mnist1d-fc",
        "lenet",
        "encoder-decoder",
        "mixing-1x1",
        "dilated-stack",
        "lab-2d",
        "lab-1d",
    }
    assert get_preset("lab-2d").input_shape == (1, 256, 256)
    kinds = {layer.type for layer in get_preset("encoder-decoder").layers}
    assert {"max_pool", "max_unpool"} <= kinds and kinds & {"add", "concat"}


def test_bad_name_lists_the_known_ones():
    with pytest.raises(SpecError, match="lenet") as info:
        get_preset("resnet")
    assert "'resnet'" in str(info.value)


def test_cnn_fully_connected_total_is_the_books_comparison_network():
    """The CNN's dense equivalent (layers with weights only) is exactly the book's FC net."""
    cnn = analyze(get_preset("udl-mnist1d-cnn")).total
    fc = analyze(get_preset("udl-mnist1d-fc")).total
    assert cnn.parameters == 2_050
    assert cnn.fc_parameters == fc.parameters == 59_065
