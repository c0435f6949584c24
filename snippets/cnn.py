"""Convolution from scratch, LeNet-5, AlexNet and VGG-16: the CNN half of the architectures chapter.

Every function here is shown on the chapter page (Korean and English) through
``--8<--`` includes, and every example on that page runs in the tests.
No weights are downloaded: the large networks are only defined, counted and
traced (on PyTorch's ``meta`` device, which tracks shapes without memory).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import IO

import numpy as np
import torch
from torch import nn

from snippets.cache import disk_cache
from snippets.data import load_digit_images
from snippets.plotting import language, new_figure, save_svg
from snippets.training import accuracy, fit


# --8<-- [start:conv2d]
def output_size(n: int, kernel: int, stride: int = 1, padding: int = 0) -> int:
    """Side of a convolution's (or pooling's) output: ``(n + 2p - k) // s + 1``.

    Examples:
        >>> output_size(32, kernel=5)  # LeNet-5's first layer
        28
        >>> output_size(224, kernel=3, padding=1)  # VGG keeps the size
        224
    """
    return (n + 2 * padding - kernel) // stride + 1


def conv2d(
    x: np.ndarray, w: np.ndarray, b: np.ndarray | None = None, stride: int = 1, padding: int = 0
) -> np.ndarray:
    """2-D convolution of a batch, written with loops over output positions.

    Like every deep learning library, this is a cross-correlation: the kernel
    is not flipped.

    Args:
        x: input, shape ``(N, C_in, H, W)``.
        w: kernels, shape ``(C_out, C_in, kH, kW)``.
        b: one bias per output channel, shape ``(C_out,)``, or None.
        stride: step between two windows.
        padding: zeros added on every side of the input.

    Returns:
        The output, shape ``(N, C_out, H_out, W_out)``.
    """
    x = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    n, _, height, width = x.shape
    c_out, _, kh, kw = w.shape
    h_out = output_size(height, kh, stride)
    w_out = output_size(width, kw, stride)
    out = np.zeros((n, c_out, h_out, w_out))
    for i in range(h_out):
        for j in range(w_out):
            window = x[:, :, i * stride : i * stride + kh, j * stride : j * stride + kw]
            # sum over (C_in, kH, kW) of window * kernel, for every image and kernel
            out[:, :, i, j] = np.tensordot(window, w, axes=([1, 2, 3], [1, 2, 3]))
    if b is not None:
        out += b[None, :, None, None]
    return out


def max_pool2d(x: np.ndarray, size: int = 2, stride: int | None = None) -> np.ndarray:
    """Max pooling: the largest value of each ``size x size`` window, per channel."""
    stride = stride or size
    n, c, height, width = x.shape
    h_out, w_out = output_size(height, size, stride), output_size(width, size, stride)
    out = np.zeros((n, c, h_out, w_out))
    for i in range(h_out):
        for j in range(w_out):
            window = x[:, :, i * stride : i * stride + size, j * stride : j * stride + size]
            out[:, :, i, j] = window.max(axis=(2, 3))
    return out


# --8<-- [end:conv2d]


# --8<-- [start:counting]
def count_parameters(net: nn.Module) -> int:
    """Number of trainable numbers in ``net`` (works on the ``meta`` device too)."""
    return sum(p.numel() for p in net.parameters() if p.requires_grad)


def conv_params(c_in: int, c_out: int, kernel: int) -> int:
    """Parameters of a ``kernel x kernel`` convolution: one kernel and one bias per output channel.

    The count does not depend on the image size: the same kernel is used at
    every position (parameter sharing).
    """
    return c_out * (c_in * kernel * kernel + 1)


def dense_params(n_in: int, n_out: int) -> int:
    """Parameters of a fully connected layer: one weight per (input, output) pair plus biases."""
    return n_out * (n_in + 1)


# --8<-- [end:counting]


# --8<-- [start:receptive-field]
def receptive_field(layers: list[tuple[int, int]]) -> int:
    """Side of the input window that one output unit sees.

    Args:
        layers: ``(kernel, stride)`` of each convolution or pooling, input first.

    Each layer widens the field by ``(kernel - 1)`` steps of the current
    ``jump``, the distance in input pixels between two neighbouring units.

    Examples:
        >>> receptive_field([(3, 1), (3, 1)])
        5
    """
    field, jump = 1, 1
    for kernel, stride in layers:
        field += (kernel - 1) * jump
        jump *= stride
    return field


def measured_receptive_field(net: nn.Module, size: int = 32, seed: int = 0) -> int:
    """Measure the receptive field with autograd: which input pixels move the centre output?

    The gradient of one output unit with respect to the input is non-zero
    exactly on the pixels that unit sees.
    """
    torch.manual_seed(seed)
    x = torch.randn(1, net[0].in_channels, size, size, requires_grad=True)
    y = net(x)
    centre = y.shape[-1] // 2
    y[0, :, centre, centre].sum().backward()
    rows = x.grad[0].abs().sum(dim=(0, 2)).nonzero()
    return int(rows.max() - rows.min() + 1)


# --8<-- [end:receptive-field]


# --8<-- [start:lenet5]
def lenet5(num_classes: int = 10) -> nn.Sequential:
    """LeNet-5 (LeCun et al., 1998) adapted to 8x8 digit images.

    The layer plan C1-S2-C3-S4-C5-F6-output and the widths 6, 16, 120, 84
    are the original's. For 8x8 inputs instead of 32x32: 3x3 kernels with
    padding 1 (not 5x5 without padding), so the maps go 8 -> 4 -> 2 and C5
    (a 2x2 convolution) covers its whole input, as the original C5 does.
    Also changed: max pooling instead of trainable average subsampling, every
    C3 map sees all six S2 maps, and the output is a linear layer (logits for
    softmax cross-entropy) instead of RBF units.
    """
    return nn.Sequential(
        nn.Conv2d(1, 6, kernel_size=3, padding=1),  # C1: 6 maps of 8x8
        nn.Tanh(),
        nn.MaxPool2d(2),  # S2: 6 maps of 4x4
        nn.Conv2d(6, 16, kernel_size=3, padding=1),  # C3: 16 maps of 4x4
        nn.Tanh(),
        nn.MaxPool2d(2),  # S4: 16 maps of 2x2
        nn.Conv2d(16, 120, kernel_size=2),  # C5: 120 maps of 1x1
        nn.Tanh(),
        nn.Flatten(),
        nn.Linear(120, 84),  # F6
        nn.Tanh(),
        nn.Linear(84, num_classes),  # output: one score per class
    )


@contextmanager
def single_thread() -> Iterator[None]:
    """Run PyTorch on one CPU thread inside the block, then restore the setting.

    Networks this small spend more time coordinating threads than computing;
    one thread is faster and gives the same numbers on every machine.
    """
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(previous)


@disk_cache  # trained once per code and arguments (snippets/cache.py)
def train_lenet5(
    num_epochs: int = 20, lr: float = 3e-3, seed: int = 0
) -> tuple[nn.Sequential, list[float], float]:
    """Train LeNet-5 on the digit images; return the net, per-epoch losses and test accuracy."""
    data = load_digit_images()
    torch.manual_seed(seed)  # the initial weights
    net = lenet5()
    with single_thread():
        losses = fit(net, data.X_train, data.y_train, num_epochs=num_epochs, lr=lr, seed=seed)
        return net, losses, accuracy(net, data.X_test, data.y_test)


# --8<-- [end:lenet5]


# --8<-- [start:alexnet]
def alexnet(num_classes: int = 1000) -> nn.Sequential:
    """AlexNet as one network on one GPU: the variant torchvision ships.

    Widths 64-192-384-256-256 come from Krizhevsky (2014), "One weird trick
    for parallelizing convolutional neural networks". Input: 3x224x224.
    """
    return nn.Sequential(
        nn.Conv2d(3, 64, kernel_size=11, stride=4, padding=2),
        nn.ReLU(),
        nn.MaxPool2d(kernel_size=3, stride=2),  # overlapping pooling
        nn.Conv2d(64, 192, kernel_size=5, padding=2),
        nn.ReLU(),
        nn.MaxPool2d(kernel_size=3, stride=2),
        nn.Conv2d(192, 384, kernel_size=3, padding=1),
        nn.ReLU(),
        nn.Conv2d(384, 256, kernel_size=3, padding=1),
        nn.ReLU(),
        nn.Conv2d(256, 256, kernel_size=3, padding=1),
        nn.ReLU(),
        nn.MaxPool2d(kernel_size=3, stride=2),
        nn.Flatten(),
        nn.Dropout(0.5),
        nn.Linear(256 * 6 * 6, 4096),
        nn.ReLU(),
        nn.Dropout(0.5),
        nn.Linear(4096, 4096),
        nn.ReLU(),
        nn.Linear(4096, num_classes),
    )


def alexnet_two_gpu(num_classes: int = 1000) -> nn.Sequential:
    """AlexNet as in the 2012 paper: 96-256-384-384-256 kernels split over two GPUs.

    ``groups=2`` reproduces the split: in conv2, conv4 and conv5 each half of
    the kernels sees only the half of the maps on its own GPU. Input: 3x227x227
    (with 224, the first layer's arithmetic does not come out even).
    """
    return nn.Sequential(
        nn.Conv2d(3, 96, kernel_size=11, stride=4),
        nn.ReLU(),
        nn.LocalResponseNorm(5, alpha=1e-4, beta=0.75, k=2.0),
        nn.MaxPool2d(kernel_size=3, stride=2),
        nn.Conv2d(96, 256, kernel_size=5, padding=2, groups=2),
        nn.ReLU(),
        nn.LocalResponseNorm(5, alpha=1e-4, beta=0.75, k=2.0),
        nn.MaxPool2d(kernel_size=3, stride=2),
        nn.Conv2d(256, 384, kernel_size=3, padding=1),
        nn.ReLU(),
        nn.Conv2d(384, 384, kernel_size=3, padding=1, groups=2),
        nn.ReLU(),
        nn.Conv2d(384, 256, kernel_size=3, padding=1, groups=2),
        nn.ReLU(),
        nn.MaxPool2d(kernel_size=3, stride=2),
        nn.Flatten(),
        nn.Dropout(0.5),
        nn.Linear(256 * 6 * 6, 4096),
        nn.ReLU(),
        nn.Dropout(0.5),
        nn.Linear(4096, 4096),
        nn.ReLU(),
        nn.Linear(4096, num_classes),
    )


# --8<-- [end:alexnet]


# --8<-- [start:vgg16]
# Configuration "D" of Simonyan & Zisserman (2015): output channels of each
# 3x3 convolution, "M" for a 2x2 max pooling.
VGG16_LAYERS = [64, 64, "M", 128, 128, "M", 256, 256, 256, "M"]
VGG16_LAYERS += [512, 512, 512, "M", 512, 512, 512, "M"]


def vgg16(num_classes: int = 1000) -> nn.Sequential:
    """VGG-16: thirteen 3x3 convolutions and three fully connected layers. Input: 3x224x224."""
    layers: list[nn.Module] = []
    c_in = 3
    for spec in VGG16_LAYERS:
        if spec == "M":
            layers.append(nn.MaxPool2d(2))
        else:
            layers += [nn.Conv2d(c_in, spec, kernel_size=3, padding=1), nn.ReLU()]
            c_in = spec
    return nn.Sequential(
        *layers,
        nn.Flatten(),
        nn.Linear(512 * 7 * 7, 4096),
        nn.ReLU(),
        nn.Dropout(0.5),
        nn.Linear(4096, 4096),
        nn.ReLU(),
        nn.Dropout(0.5),
        nn.Linear(4096, num_classes),
    )


# --8<-- [end:vgg16]


# --8<-- [start:shapes]
@torch.no_grad()
def layer_shapes(net: nn.Sequential, input_shape: tuple[int, ...]) -> list[tuple[str, tuple]]:
    """Name and output shape of every layer of ``net`` for an input of ``input_shape``.

    The input is created on the device of ``net``'s parameters. For a net built
    on the ``meta`` device (``with torch.device("meta"): ...``), tensors have a
    shape but no data, so even VGG-16 on a 224x224 image is traced at once,
    without computing anything or allocating its 138 million weights.
    """
    x = torch.zeros(input_shape, device=next(net.parameters()).device)
    shapes = []
    for layer in net:
        x = layer(x)
        shapes.append((type(layer).__name__, tuple(x.shape)))
    return shapes


# --8<-- [end:shapes]


# --------------------------------------------------------------------------
# Figures (drawn at build time by hooks/figures.py; see FIGURES)
# --------------------------------------------------------------------------

# Parameter counts (1000 classes) and depth in weight layers for the timeline.
# AlexNet and VGG-16 are recomputed by the tests from the definitions above.
TIMELINE = [
    # name, year, parameters, weight layers
    ("LeNet-5", 1998, 60_000, 5),  # "about 60,000": LeCun et al. (1998)
    ("AlexNet", 2012, 61_100_840, 8),  # alexnet() here; the paper says "60 million"
    ("VGG-16", 2014, 138_357_544, 16),  # vgg16() here
    ("GoogLeNet", 2014, 6_624_904, 22),  # torchvision's googlenet documentation
    ("ResNet-50", 2015, 25_557_032, 50),  # torchvision's resnet50 documentation
]


def draw_lenet_training(out: IO[bytes], lang: str = "en") -> None:
    """Draw LeNet-5's training loss per epoch on the digit images as SVG in ``lang``."""
    tr = language(lang)
    _, losses, test_accuracy = train_lenet5()
    fig = new_figure(6.5, 3.4, lang)
    ax = fig.subplots()
    epochs = range(1, len(losses) + 1)
    ax.plot(epochs, losses, marker="o", label=tr("training loss (cross-entropy)"))
    ax.set_yscale("log")
    ax.set_xlabel(tr("epoch"))
    ax.set_ylabel(tr("mean loss over the epoch"))
    ax.set_xticks(range(0, len(losses) + 1, 5))
    ax.grid(alpha=0.3, which="both")
    ax.set_title(tr("LeNet-5 on 8x8 digits: test accuracy {accuracy:.1%}", accuracy=test_accuracy))
    ax.legend()
    save_svg(fig, out)


def draw_timeline(out: IO[bytes], lang: str = "en") -> None:
    """Draw the CNN timeline (year against parameter count, log scale) as SVG in ``lang``."""
    tr = language(lang)
    fig = new_figure(7.5, 3.8, lang)
    ax = fig.subplots()
    for name, year, count, depth in TIMELINE:
        ax.scatter(year, count, s=25 + 2.5 * depth, zorder=2)
        size = f"{count / 1e6:.1f}M" if count >= 1e6 else f"{count / 1e3:.0f}k"  # SI prefixes
        left = name == "AlexNet"  # its label would run into VGG-16's dot
        ax.annotate(
            tr("{name}\n{size}, {depth} layers", name=name, size=size, depth=depth),
            (year, count),
            textcoords="offset points",
            xytext=(-8 if left else 8, -4),
            ha="right" if left else "left",
            fontsize=9,
        )
    ax.set_yscale("log")
    ax.set_ylim(1e4, 1e9)
    ax.set_xlim(1996, 2019)
    ax.set_xticks([1998, 2002, 2006, 2010, 2012, 2014, 2016])
    ax.set_xlabel(tr("year of publication"))
    ax.set_ylabel(tr("parameters (log scale)"))
    ax.set_title(tr("dot size: depth in weight layers"), fontsize=9, loc="left")
    ax.grid(alpha=0.3, which="major")
    save_svg(fig, out)


FIGURES = {
    "cnn-lenet-training.svg": draw_lenet_training,
    "cnn-timeline.svg": draw_timeline,
}
