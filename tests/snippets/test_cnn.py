"""Unit tests for snippets/cnn.py: convolution from scratch, parameter counts, LeNet-5."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from snippets.cnn import (
    TIMELINE,
    alexnet,
    alexnet_two_gpu,
    conv2d,
    conv_params,
    count_parameters,
    dense_params,
    layer_shapes,
    lenet5,
    max_pool2d,
    measured_receptive_field,
    output_size,
    receptive_field,
    single_thread,
    train_lenet5,
    vgg16,
)


def _on_meta(build, *args):
    with torch.device("meta"):
        return build(*args)


# --------------------------------------------------------------------------
# Convolution and pooling from scratch
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kernel", "stride", "padding"), [(3, 1, 0), (3, 1, 1), (5, 2, 2), (2, 3, 0), (1, 1, 0)]
)
def test_conv2d_matches_pytorch(kernel, stride, padding):
    rng = np.random.default_rng(kernel * 10 + stride)
    x = rng.normal(size=(2, 3, 9, 11))  # not square, on purpose
    w = rng.normal(size=(4, 3, kernel, kernel))
    b = rng.normal(size=4)
    expected = F.conv2d(
        torch.from_numpy(x),
        torch.from_numpy(w),
        torch.from_numpy(b),
        stride=stride,
        padding=padding,
    ).numpy()
    out = conv2d(x, w, b, stride=stride, padding=padding)
    assert out.shape == expected.shape
    assert np.allclose(out, expected)


def test_conv2d_without_bias_and_output_size():
    rng = np.random.default_rng(0)
    x, w = rng.normal(size=(1, 1, 32, 32)), rng.normal(size=(6, 1, 5, 5))
    out = conv2d(x, w)
    assert out.shape == (1, 6, output_size(32, 5), output_size(32, 5)) == (1, 6, 28, 28)
    assert np.allclose(out, F.conv2d(torch.from_numpy(x), torch.from_numpy(w)).numpy())


def test_a_flipped_kernel_is_not_what_deep_learning_calls_convolution():
    # Deliberately wrong: the textbook convolution flips the kernel; libraries do not.
    rng = np.random.default_rng(1)
    x, w = rng.normal(size=(1, 1, 6, 6)), rng.normal(size=(1, 1, 3, 3))
    flipped = conv2d(x, w[:, :, ::-1, ::-1])
    assert not np.allclose(flipped, F.conv2d(torch.from_numpy(x), torch.from_numpy(w)).numpy())


@pytest.mark.parametrize(("size", "stride"), [(2, None), (3, 2), (2, 1)])
def test_max_pool2d_matches_pytorch(size, stride):
    x = np.random.default_rng(2).normal(size=(2, 3, 8, 7))
    expected = F.max_pool2d(torch.from_numpy(x), size, stride=stride).numpy()
    assert np.allclose(max_pool2d(x, size, stride), expected)


def test_output_size_known_cases():
    assert output_size(224, 11, stride=4, padding=2) == 55  # AlexNet (torchvision) conv1
    assert output_size(227, 11, stride=4) == 55  # AlexNet (paper) conv1
    assert output_size(8, 3, padding=1) == 8  # LeNet-5 adapted: size kept


# --------------------------------------------------------------------------
# Parameter counts
# --------------------------------------------------------------------------


def test_conv_and_dense_formulas_agree_with_pytorch():
    assert conv_params(3, 64, 3) == count_parameters(nn.Conv2d(3, 64, 3)) == 1_792
    assert dense_params(64, 10) == count_parameters(nn.Linear(64, 10)) == 650


def test_parameter_sharing_makes_conv_independent_of_image_size():
    # the claim of the page: same output size, conv is tiny, dense is astronomical
    n_in, n_out = 3 * 224 * 224, 64 * 224 * 224
    assert conv_params(3, 64, 3) == 1_792
    assert dense_params(n_in, n_out) == 483_388_358_656
    assert count_parameters(_on_meta(nn.Linear, n_in, n_out)) == dense_params(n_in, n_out)
    # "270 million times as many parameters", "about 1.9 TB as 32-bit floats"
    assert dense_params(n_in, n_out) / conv_params(3, 64, 3) == pytest.approx(270e6, rel=0.01)
    assert dense_params(n_in, n_out) * 4 / 1e12 == pytest.approx(1.9, abs=0.05)


def test_vgg16_parameters_sit_in_the_dense_layers():
    # the page: 89% in the three dense layers, 103 million in the first, under 15 million in
    # the thirteen convolutions
    vgg = _on_meta(vgg16)
    dense = [count_parameters(m) for m in vgg if isinstance(m, nn.Linear)]
    convolutions = [count_parameters(m) for m in vgg if isinstance(m, nn.Conv2d)]
    assert len(dense) == 3 and len(convolutions) == 13
    assert round(sum(dense) / count_parameters(vgg), 2) == 0.89
    assert count_parameters(vgg[32]) == dense[0] == 102_764_544
    assert sum(convolutions) == 14_714_688 < 15_000_000


def test_lenet5_parameter_count():
    assert count_parameters(lenet5()) == 60 + 880 + 7_800 + 10_164 + 850 == 19_754


def test_published_parameter_counts():
    assert count_parameters(_on_meta(vgg16)) == 138_357_544
    assert count_parameters(_on_meta(alexnet)) == 61_100_840
    assert count_parameters(_on_meta(alexnet_two_gpu)) == 60_965_224


def test_a_wrong_network_is_caught_by_the_count():
    # VGG-16 for 10 classes, or without its last pooling layer, is not the published network
    assert count_parameters(_on_meta(vgg16, 10)) != 138_357_544
    with torch.device("meta"):
        no_last_pool = nn.Sequential(*list(vgg16())[:30], *list(vgg16())[31:])
    with pytest.raises(RuntimeError):  # 14x14 maps do not fit the 7x7 classifier
        layer_shapes(no_last_pool, (1, 3, 224, 224))


def test_timeline_agrees_with_the_definitions():
    counts = {name: count for name, _, count, _ in TIMELINE}
    assert counts["AlexNet"] == count_parameters(_on_meta(alexnet))
    assert counts["VGG-16"] == count_parameters(_on_meta(vgg16))
    years = [year for _, year, _, _ in TIMELINE]
    assert years == sorted(years)


# --------------------------------------------------------------------------
# Shapes
# --------------------------------------------------------------------------


def test_vgg16_shapes_on_meta():
    shapes = layer_shapes(_on_meta(vgg16), (1, 3, 224, 224))
    pools = [shape for name, shape in shapes if name == "MaxPool2d"]
    assert pools == [
        (1, 64, 112, 112),
        (1, 128, 56, 56),
        (1, 256, 28, 28),
        (1, 512, 14, 14),
        (1, 512, 7, 7),
    ]
    assert shapes[-1] == ("Linear", (1, 1000))


def test_meta_shapes_equal_real_shapes():
    torch.manual_seed(0)
    net = lenet5()
    real = layer_shapes(net, (2, 1, 8, 8))
    meta = layer_shapes(_on_meta(lenet5), (2, 1, 8, 8))
    assert real == meta
    assert real[-1] == ("Linear", (2, 10))
    assert [shape[-1] for name, shape in real if name == "MaxPool2d"] == [4, 2]


def test_alexnet_shapes():
    torchvision_variant = layer_shapes(_on_meta(alexnet), (1, 3, 224, 224))
    paper_variant = layer_shapes(_on_meta(alexnet_two_gpu), (1, 3, 227, 227))
    assert torchvision_variant[0] == ("Conv2d", (1, 64, 55, 55))
    assert paper_variant[0] == ("Conv2d", (1, 96, 55, 55))
    for shapes in (torchvision_variant, paper_variant):
        assert ("Flatten", (1, 9216)) in shapes
        assert shapes[-1] == ("Linear", (1, 1000))


def test_paper_alexnet_does_not_fit_224_pixels():
    # the 2012 paper says 224x224, but its first layer's arithmetic needs 227
    with pytest.raises(RuntimeError):
        layer_shapes(_on_meta(alexnet_two_gpu), (1, 3, 224, 224))


# --------------------------------------------------------------------------
# Receptive field
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "layers",
    [[(3, 1)], [(3, 1)] * 2, [(3, 1)] * 3, [(5, 1), (3, 2), (3, 1)], [(3, 2), (3, 2), (3, 1)]],
)
def test_receptive_field_formula_matches_autograd(layers):
    net = nn.Sequential(*[nn.Conv2d(1, 1, k, stride=s) for k, s in layers])
    assert measured_receptive_field(net, size=40) == receptive_field(layers)


def test_three_3x3_convolutions_see_as_much_as_one_7x7_with_fewer_weights():
    assert receptive_field([(3, 1)] * 3) == receptive_field([(7, 1)]) == 7
    for channels in (64, 256):  # the page: 45% fewer (27 C^2 against 49 C^2 weights)
        saved = 1 - 3 * conv_params(channels, channels, 3) / conv_params(channels, channels, 7)
        assert saved == pytest.approx(1 - 27 / 49, abs=0.01)
        assert round(saved, 2) == 0.45


# --------------------------------------------------------------------------
# LeNet-5 on the digits: the page's claim
# --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def trained():
    return train_lenet5()


def test_lenet5_test_accuracy_and_loss(trained):
    # the page: test accuracy 0.976, loss 2.17 in the first epoch, 0.0076 in the 20th
    _, losses, test_accuracy = trained
    assert test_accuracy == pytest.approx(0.976, abs=0.01)
    assert len(losses) == 20
    assert losses[0] == pytest.approx(2.17, abs=0.1)
    assert losses[-1] < 0.01


def test_training_is_deterministic(trained):
    _, losses, _ = trained
    _, again, _ = train_lenet5(num_epochs=2)
    assert again == losses[:2]


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_timeline_figure_in_both_languages(lang):
    import snippets

    svg = snippets.draw_figure("snippets.cnn:draw_timeline", lang)
    assert svg.startswith(b"<?xml") and b"</svg>" in svg


def test_single_thread_restores_the_setting():
    before = torch.get_num_threads()
    with single_thread():
        assert torch.get_num_threads() == 1
    assert torch.get_num_threads() == before
