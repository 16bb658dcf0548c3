"""The book's networks and teaching networks, by name."""

from __future__ import annotations

from collections.abc import Callable

from .errors import SpecError
from .spec import LayerSpec, NetworkSpec


def _conv(name, out, k, **params) -> LayerSpec:
    return LayerSpec(name, "conv", {"out_channels": out, "kernel_size": k, **params})


def _relu(name, *inputs) -> LayerSpec:
    return LayerSpec(name, "activation", {"function": "relu"}, tuple(inputs))


def _linear(name, out) -> LayerSpec:
    return LayerSpec(name, "linear", {"out_features": out})


def _net(name, description, input_shape, layers) -> NetworkSpec:
    return NetworkSpec(tuple(layers), tuple(input_shape), name=name, description=description)


def udl_mnist1d_cnn() -> NetworkSpec:
    layers = []
    for i in (1, 2, 3):
        layers += [_conv(f"conv{i}", 15, 3, stride=2), _relu(f"relu{i}")]
    layers += [LayerSpec("flatten", "flatten"), _linear("fc", 10)]
    return _net(
        "udl-mnist1d-cnn",
        "The book's MNIST-1D CNN: three K=3, stride 2 convolutions with 15 channels, "
        "then a linear layer (2,050 parameters)",
        (1, 40),
        layers,
    )


def udl_mnist1d_fc() -> NetworkSpec:
    layers = [LayerSpec("flatten", "flatten")]
    for i, width in enumerate((285, 135, 60), start=1):
        layers += [_linear(f"fc{i}", width), _relu(f"relu{i}")]
    layers.append(_linear("fc4", 10))
    return _net(
        "udl-mnist1d-fc",
        "The book's fully connected MNIST-1D network 40-285-135-60-10 (59,065 parameters)",
        (1, 40),
        layers,
    )


def lenet() -> NetworkSpec:
    layers = [
        _conv("conv1", 6, 5, padding=2),
        _relu("relu1"),
        LayerSpec("pool1", "max_pool", {"kernel_size": 2}),
        _conv("conv2", 16, 5),
        _relu("relu2"),
        LayerSpec("pool2", "max_pool", {"kernel_size": 2}),
        LayerSpec("flatten", "flatten"),
        _linear("fc1", 120),
        _relu("relu3"),
        _linear("fc2", 84),
        _relu("relu4"),
        _linear("fc3", 10),
    ]
    return _net("lenet", "A LeNet-5-like digit classifier on 28x28 images", (1, 28, 28), layers)


def encoder_decoder() -> NetworkSpec:
    layers = [
        _conv("enc1", 8, 3, padding=1),
        _relu("enc1_relu"),
        LayerSpec("pool1", "max_pool", {"kernel_size": 2}),
        _conv("enc2", 16, 3, padding=1),
        _relu("enc2_relu"),
        LayerSpec("pool2", "max_pool", {"kernel_size": 2}),
        _conv("bottleneck", 16, 3, padding=1),
        _relu("bottleneck_relu"),
        LayerSpec("unpool2", "max_unpool", {"pool": "pool2"}),
        LayerSpec("skip2", "add", {}, ("unpool2", "enc2_relu")),
        _conv("dec2", 8, 3, padding=1),
        _relu("dec2_relu"),
        LayerSpec("unpool1", "max_unpool", {"pool": "pool1"}),
        LayerSpec("skip1", "concat", {}, ("unpool1", "enc1_relu")),
        _conv("dec1", 8, 3, padding=1),
        _relu("dec1_relu"),
        _conv("classes", 3, 1),
    ]
    return _net(
        "encoder-decoder",
        "Semantic segmentation: max pool / max-unpool pairs with skip joins "
        "(add and concat), 3 classes per pixel",
        (1, 64, 64),
        layers,
    )


def mixing_1x1() -> NetworkSpec:
    layers = [_conv("mix1", 8, 1), _relu("relu1"), _conv("mix2", 3, 1)]
    return _net(
        "mixing-1x1",
        "1x1 convolutions: each output pixel mixes the channels of the same pixel",
        (3, 64, 64),
        layers,
    )


def dilated_stack() -> NetworkSpec:
    layers = []
    for i, d in enumerate((1, 2, 4, 8), start=1):
        layers.append(_conv(f"conv{i}", 4, 3, dilation=d, padding="same"))
        if i < 4:
            layers.append(_relu(f"relu{i}"))
    return _net(
        "dilated-stack",
        "Dilations 1, 2, 4, 8 with K=3: the receptive field grows 3, 7, 15, 31",
        (1, 128),
        layers,
    )


def lab_2d() -> NetworkSpec:
    layers = [
        _conv("conv1", 16, 3, padding=1),
        _relu("relu1"),
        LayerSpec("pool", "max_pool", {"kernel_size": 2}),
        _conv("conv2", 16, 3, padding=1),
        _relu("relu2"),
        LayerSpec("up", "upsample", {"scale_factor": 2, "mode": "bilinear"}),
        _conv("conv3", 4, 1),
    ]
    return _net(
        "lab-2d",
        "The 2D lab: conv, ReLU, max pool, conv, ReLU, bilinear x2, 1x1 conv",
        (1, 256, 256),
        layers,
    )


def lab_1d() -> NetworkSpec:
    layers = [
        _conv("conv1", 4, 5, padding="same"),
        _relu("relu1"),
        LayerSpec("pool", "max_pool", {"kernel_size": 2}),
        _conv("conv2", 4, 3),
        _relu("relu2"),
    ]
    return _net(
        "lab-1d", "The 1D lab: conv K=5 'same', ReLU, max pool 2, conv K=3, ReLU", (1, 128), layers
    )


# ------------------------------------------------------------- detection and segmentation
# (issue 14) The shapes data set's 5 mask classes (background + 4) and a YOLOv1-style grid.
SHAPES_SIZE = 32
DETECTOR_GRID = 8  # S: the detector's output is S x S cells of 32 / S = 4 pixels
DETECTOR_CHANNELS = 5 + 4  # per cell: objectness, x and y offset, sqrt w and h, 4 classes


def shapes_segmenter() -> NetworkSpec:
    pool = {"kernel_size": 2}
    layers = [
        _conv("enc1", 16, 3, padding=1),
        _relu("enc1_relu"),
        LayerSpec("pool1", "max_pool", pool),
        _conv("enc2", 32, 3, padding=1),
        _relu("enc2_relu"),
        LayerSpec("pool2", "max_pool", pool),
        _conv("bottleneck", 32, 3, padding=2, dilation=2),
        _relu("bottleneck_relu"),
        LayerSpec("unpool2", "max_unpool", {"pool": "pool2"}),
        LayerSpec("skip2", "concat", {}, ("unpool2", "enc2_relu")),
        _conv("dec2", 16, 3, padding=1),
        _relu("dec2_relu"),
        LayerSpec("unpool1", "max_unpool", {"pool": "pool1"}),
        LayerSpec("skip1", "concat", {}, ("unpool1", "enc1_relu")),
        _conv("dec1", 16, 3, padding=1),
        _relu("dec1_relu"),
        _conv("classes", 5, 1),
    ]
    return _net(
        "shapes-segmenter",
        "Segmentation of shapes: convs and max pools down, max-unpool up, skip joins by "
        "concat; 5 scores per pixel (background, circle, square, triangle, cross)",
        (1, SHAPES_SIZE, SHAPES_SIZE),
        layers,
    )


def shapes_detector() -> NetworkSpec:
    pool = {"kernel_size": 2}
    layers = [
        _conv("conv1", 16, 3, padding=1),
        _relu("relu1"),
        LayerSpec("pool1", "max_pool", pool),
        _conv("conv2", 32, 3, padding=1),
        _relu("relu2"),
        LayerSpec("pool2", "max_pool", pool),
        _conv("conv3", 32, 3, padding=1),
        _relu("relu3"),
        _conv("conv4", 32, 3, padding=2, dilation=2),
        _relu("relu4"),
        _conv("grid", DETECTOR_CHANNELS, 1),
    ]
    return _net(
        "shapes-detector",
        "A YOLOv1-style detector: a conv backbone whose last layer gives, per cell of an "
        "8x8 grid, objectness, box offset and size, and 4 class scores",
        (1, SHAPES_SIZE, SHAPES_SIZE),
        layers,
    )


# ------------------------------------------------------------- shapes classifier
# (issue 14, regularisers) The shapes data set's classification input (1, 32, 32) and 4
# classes: what the Training tab's regularisation comparison trains when the form's
# network does not fit the shapes. Its wide hidden layer overfits 2,000 samples, so the
# gap between training and test accuracy is there for dropout and augmentation to shrink.


def shapes_cnn() -> NetworkSpec:
    pool = {"kernel_size": 2}
    layers = [
        _conv("conv1", 8, 3, padding=1),
        _relu("relu1"),
        LayerSpec("pool1", "max_pool", pool),
        _conv("conv2", 16, 3, padding=1),
        _relu("relu2"),
        LayerSpec("pool2", "max_pool", pool),
        LayerSpec("flatten", "flatten"),
        _linear("fc1", 64),
        _relu("relu3"),
        _linear("fc2", 4),
    ]
    return _net(
        "shapes-cnn",
        "A small shapes classifier: two conv + max pool stages, a hidden layer of 64, "
        "4 class scores (circle, square, triangle, cross)",
        (1, SHAPES_SIZE, SHAPES_SIZE),
        layers,
    )


PRESETS: dict[str, Callable[[], NetworkSpec]] = {
    "udl-mnist1d-cnn": udl_mnist1d_cnn,
    "udl-mnist1d-fc": udl_mnist1d_fc,
    "lenet": lenet,
    "encoder-decoder": encoder_decoder,
    "mixing-1x1": mixing_1x1,
    "dilated-stack": dilated_stack,
    "lab-2d": lab_2d,
    "lab-1d": lab_1d,
    "shapes-segmenter": shapes_segmenter,
    "shapes-detector": shapes_detector,
    "shapes-cnn": shapes_cnn,
}


def preset_names() -> list[str]:
    return list(PRESETS)


def get_preset(name: str) -> NetworkSpec:
    """The preset network ``name`` (a fresh spec); SpecError listing the known names."""
    if not isinstance(name, str) or name not in PRESETS:
        raise SpecError(f"there is no preset network {name!r}; known: {', '.join(PRESETS)}")
    return PRESETS[name]()


def describe(name: str) -> str:
    """The preset's one-line description."""
    return get_preset(name).description
