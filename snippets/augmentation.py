"""Data augmentation on the digit images, and the experiments of the augmentation chapter.

Every function here is shown on the chapter page (Korean and English) through
``--8<--`` includes, and every example on that page runs in the tests. Images
are tensors of shape ``(N, 1, 8, 8)`` with values in [0, 1], as returned by
:func:`snippets.data.load_digit_images`.
"""

from __future__ import annotations

import contextlib
import copy
import math
from collections.abc import Callable, Iterator, Sequence
from typing import IO

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from snippets.cache import disk_cache
from snippets.data import load_digit_images
from snippets.plotting import language, new_figure, save_svg
from snippets.training import accuracy, fit


# --8<-- [start:transforms]
def rotate(X: torch.Tensor, degrees: float | torch.Tensor) -> torch.Tensor:
    """Rotate each image counter-clockwise by ``degrees`` about its centre.

    Small angles need interpolation between pixels: ``affine_grid`` says where
    each output pixel comes from, ``grid_sample`` reads it there (bilinear).
    Pixels that come from outside the image are black (0).

    Args:
        X: images ``(N, C, H, W)``.
        degrees: one angle for all images, or one per image ``(N,)``.

    Examples:
        >>> X = torch.zeros(1, 1, 3, 3)
        >>> X[0, 0, 1, 2] = 1.0  # a dot right of the centre
        >>> rotate(X, 90)[0, 0].round(decimals=3)  # now above the centre
        tensor([[0., 1., 0.],
                [0., 0., 0.],
                [0., 0., 0.]])
    """
    angle = torch.as_tensor(degrees, dtype=X.dtype).expand(len(X)) * (math.pi / 180)
    cos, sin = torch.cos(angle), torch.sin(angle)
    zero = torch.zeros_like(angle)
    # theta maps output coordinates to input coordinates (y points down)
    theta = torch.stack(
        [torch.stack([cos, -sin, zero], dim=1), torch.stack([sin, cos, zero], dim=1)], dim=1
    )
    grid = F.affine_grid(theta, list(X.shape), align_corners=False)
    return F.grid_sample(X, grid, mode="bilinear", padding_mode="zeros", align_corners=False)


def random_crop(X: torch.Tensor, padding: int, generator: torch.Generator) -> torch.Tensor:
    """Pad each image with ``padding`` black pixels, then cut out a random window of the old size.

    The result is the image shifted by up to ``padding`` pixels in each
    direction; the border that comes in is black.
    """
    n, channels, height, width = X.shape
    padded = F.pad(X, (padding, padding, padding, padding))
    top = torch.randint(0, 2 * padding + 1, (n,), generator=generator)
    left = torch.randint(0, 2 * padding + 1, (n,), generator=generator)
    rows = (top[:, None] + torch.arange(height))[:, None, :, None]  # (N, 1, H, 1)
    cols = (left[:, None] + torch.arange(width))[:, None, None, :]  # (N, 1, 1, W)
    images = torch.arange(n)[:, None, None, None]
    chans = torch.arange(channels)[None, :, None, None]
    return padded[images, chans, rows, cols]


def flip_horizontal(X: torch.Tensor) -> torch.Tensor:
    """Mirror each image left to right."""
    return torch.flip(X, dims=(-1,))


def add_noise(X: torch.Tensor, std: float, generator: torch.Generator) -> torch.Tensor:
    """Add Gaussian noise with standard deviation ``std``; keep pixels in [0, 1]."""
    noise = std * torch.randn(X.shape, generator=generator, dtype=X.dtype)
    return (X + noise).clamp(0.0, 1.0)


# --8<-- [end:transforms]


# --8<-- [start:augment]
def augment(
    X: torch.Tensor,
    generator: torch.Generator,
    *,
    max_degrees: float = 10.0,
    padding: int = 1,
    noise_std: float = 0.05,
    flip: bool = False,
    p: float = 0.5,
) -> torch.Tensor:
    """Return a randomly changed copy of ``X``; a fresh draw on every call.

    Each image is, with probability ``p``, rotated by a random angle in
    ``[-max_degrees, max_degrees]``, shifted by up to ``padding`` pixels and
    given noise; the others are left as they are, so the network still sees
    clean digits too. ``flip=True`` also mirrors half of the changed images
    (wrong for digits; it is here to measure that).
    """
    n = len(X)
    degrees = (torch.rand(n, generator=generator) * 2 - 1) * max_degrees
    out = rotate(X, degrees)
    if padding > 0:
        out = random_crop(out, padding, generator)
    if noise_std > 0:
        out = add_noise(out, noise_std, generator)
    if flip:
        mirror = torch.rand(n, generator=generator) < 0.5
        out = torch.where(mirror[:, None, None, None], flip_horizontal(out), out)
    change = torch.rand(n, generator=generator) < p
    return torch.where(change[:, None, None, None], out, X)


# --8<-- [end:augment]


# --8<-- [start:models]
def digit_cnn() -> nn.Sequential:
    """A small CNN for 8x8 digits: two 3x3 convolutions, max pooling, two dense layers."""
    return nn.Sequential(
        nn.Conv2d(1, 16, kernel_size=3, padding=1),
        nn.ReLU(),
        nn.Conv2d(16, 32, kernel_size=3, padding=1),
        nn.ReLU(),
        nn.MaxPool2d(2),  # 8x8 -> 4x4
        nn.Flatten(),
        nn.Linear(32 * 4 * 4, 64),
        nn.ReLU(),
        nn.Linear(64, 10),
    )


def digit_mlp() -> nn.Sequential:
    """A multilayer perceptron: the 64 pixels as a flat vector, one hidden layer."""
    return nn.Sequential(nn.Flatten(), nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 10))


@contextlib.contextmanager
def torch_threads(n: int) -> Iterator[None]:
    """Run the body with ``n`` intra-op threads, then restore the previous setting.

    These models are tiny: one thread is as fast as two, and much faster when
    other programs share the CPU.
    """
    previous = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(previous)


# --8<-- [end:models]


# --8<-- [start:few-shot]
def few_shot_subset(
    X: torch.Tensor, y: torch.Tensor, per_class: int, seed: int
) -> tuple[torch.Tensor, torch.Tensor]:
    """Draw ``per_class`` random examples of each of the 10 classes."""
    generator = torch.Generator().manual_seed(seed)
    chosen = []
    for digit in range(10):
        members = torch.nonzero(y == digit).flatten()
        chosen.append(members[torch.randperm(len(members), generator=generator)[:per_class]])
    index = torch.cat(chosen)
    return X[index], y[index]


def fit_augmented(
    net: nn.Module,
    X: torch.Tensor,
    y: torch.Tensor,
    augmentation: Callable[[torch.Tensor, torch.Generator], torch.Tensor] | None = None,
    *,
    num_epochs: int = 60,
    lr: float = 1e-3,
    batch_size: int = 40,
    seed: int = 0,
) -> list[float]:
    """Like :func:`snippets.training.fit`, but every epoch sees a fresh augmentation of ``X``.

    The batch order does not depend on ``augmentation``: with the same
    ``seed``, a run with and a run without augmentation differ only in it.
    """
    return fit(
        net, X, y, augment=augmentation, num_epochs=num_epochs, lr=lr, batch_size=batch_size,
        seed=seed,
    )  # fmt: skip


@disk_cache  # trained once per code and arguments (snippets/cache.py)
def few_shot_cnn(
    seed: int,
    augmentation: Callable[[torch.Tensor, torch.Generator], torch.Tensor] | None = None,
    per_class: int = 20,
    num_epochs: int = 60,
) -> nn.Module:
    """``digit_cnn`` trained on ``per_class`` images per digit, drawn with ``seed`` (cached).

    ``seed`` fixes the training images, the initial weights and the batch order,
    so two calls that differ only in ``augmentation`` differ only in it. The
    studies below pass all four arguments, so that they share one cache entry.
    """
    data = load_digit_images()
    X, y = few_shot_subset(data.X_train, data.y_train, per_class, seed)
    torch.manual_seed(seed)
    net = digit_cnn()
    with torch_threads(1):
        fit_augmented(net, X, y, augmentation, num_epochs=num_epochs, seed=seed)
    return net


def augmentation_study(
    seeds: Sequence[int] = (0, 1, 2, 3, 4),
    per_class: int = 20,
    augmentation: Callable[[torch.Tensor, torch.Generator], torch.Tensor] = augment,
    num_epochs: int = 60,
) -> dict[str, np.ndarray]:
    """Test accuracy of ``few_shot_cnn`` without and with augmentation, one value per seed.

    Both networks are scored on the 450 test images, and on the test images
    changed once by ``augment`` ("perturbed").
    """
    data = load_digit_images()
    X_perturbed = augment(data.X_test, torch.Generator().manual_seed(1234), p=1.0)
    results: dict[str, list[float]] = {
        "without": [],
        "with": [],
        "without_perturbed": [],
        "with_perturbed": [],
    }
    for seed in seeds:
        for name, transform in [("without", None), ("with", augmentation)]:
            net = few_shot_cnn(seed, transform, per_class, num_epochs)
            results[name].append(accuracy(net, data.X_test, data.y_test))
            results[name + "_perturbed"].append(accuracy(net, X_perturbed, data.y_test))
    return {name: np.array(values) for name, values in results.items()}


# --8<-- [end:few-shot]


# --8<-- [start:reference]
@disk_cache  # trained once per code and arguments (snippets/cache.py)
def reference_cnn(seed: int = 0) -> nn.Module:
    """``digit_cnn`` trained on all 1,347 training images with ``fit`` (cached; do not retrain)."""
    data = load_digit_images()
    torch.manual_seed(seed)
    net = digit_cnn()
    with torch_threads(1):
        fit(net, data.X_train, data.y_train, seed=seed)
    return net


@torch.no_grad()
def predict(net: nn.Module, X: torch.Tensor) -> torch.Tensor:
    """The class with the highest score for each image."""
    net.eval()
    return net(X).argmax(dim=1)


def accuracy_per_digit(net: nn.Module, X: torch.Tensor, y: torch.Tensor) -> dict[int, float]:
    """Accuracy of ``net`` on the images of each digit separately."""
    y_hat = predict(net, X)
    return {digit: (y_hat[y == digit] == digit).float().mean().item() for digit in range(10)}


# --8<-- [end:reference]


# --8<-- [start:shuffle]
PERMUTATION = torch.randperm(64, generator=torch.Generator().manual_seed(0))  # one, for every image


def shuffle_pixels(X: torch.Tensor, permutation: torch.Tensor) -> torch.Tensor:
    """Move the pixels of every image by the same fixed ``permutation`` of the 64 positions."""
    return X.flatten(start_dim=1)[:, permutation].reshape(X.shape)


def relabel_first_layer(mlp: nn.Sequential, permutation: torch.Tensor) -> nn.Sequential:
    """A copy of ``mlp`` that gives on shuffled images what ``mlp`` gives on the originals.

    Input ``j`` of the shuffled image is pixel ``permutation[j]`` of the
    original, so the copy's weight column ``j`` is the original's column
    ``permutation[j]``. A convolution has no such copy: its 3x3 filter is
    shared by all positions and always reads neighbouring pixels.
    """
    twin = copy.deepcopy(mlp)
    with torch.no_grad():
        twin[1].weight.copy_(mlp[1].weight[:, permutation])
    return twin


@disk_cache  # trained once per code and arguments (snippets/cache.py)
def shuffled_pixel_nets(
    seed: int, per_class: int = 20, num_epochs: int = 60
) -> dict[str, nn.Module]:
    """The CNN and the MLP trained on original and on pixel-shuffled digits (cached).

    The same few-shot training set and training loop as :func:`few_shot_cnn`
    (no augmentation). On shuffled pixels each network starts from the same
    initial weights as on the originals (the MLP's relabelled to follow the
    pixels; a CNN cannot be relabelled).
    """
    data = load_digit_images()
    X, y = few_shot_subset(data.X_train, data.y_train, per_class, seed)
    X_shuffled = shuffle_pixels(X, PERMUTATION)
    nets = {"cnn": few_shot_cnn(seed, None, per_class, num_epochs)}  # trained once, above
    torch.manual_seed(seed)
    nets["cnn_shuffled"] = digit_cnn()  # the same initial weights as nets["cnn"]
    torch.manual_seed(seed)
    nets["mlp"] = digit_mlp()
    nets["mlp_shuffled"] = relabel_first_layer(nets["mlp"], PERMUTATION)
    with torch_threads(1):
        for name in ["cnn_shuffled", "mlp", "mlp_shuffled"]:
            inputs = X_shuffled if name.endswith("shuffled") else X
            fit_augmented(nets[name], inputs, y, num_epochs=num_epochs, seed=seed)
    return nets


def shuffle_study(
    seeds: Sequence[int] = (0, 1, 2, 3, 4), per_class: int = 20, num_epochs: int = 60
) -> dict[str, np.ndarray]:
    """Test accuracy of the CNN and the MLP on original and on shuffled pixels, one per seed."""
    data = load_digit_images()
    X_test = {"original": data.X_test, "shuffled": shuffle_pixels(data.X_test, PERMUTATION)}
    results: dict[str, list[float]] = {}
    for seed in seeds:
        for name, net in shuffled_pixel_nets(seed, per_class, num_epochs).items():
            pixels = "shuffled" if name.endswith("shuffled") else "original"
            results.setdefault(name, []).append(accuracy(net, X_test[pixels], data.y_test))
    return {name: np.array(values) for name, values in results.items()}


# --8<-- [end:shuffle]


# --8<-- [start:structured]
def jigsaw(X: torch.Tensor, order: Sequence[int], grid: int = 2) -> torch.Tensor:
    """Cut each image into ``grid x grid`` tiles and put tile ``order[k]`` at place ``k``.

    Tiles are numbered row by row. Noroozi & Favaro (2016) shuffle 3x3 tiles
    of a photo and train a network to tell which ``order`` was used.
    """
    n, channels, height, width = X.shape
    th, tw = height // grid, width // grid
    tiles = X.reshape(n, channels, grid, th, grid, tw).permute(0, 1, 2, 4, 3, 5)
    tiles = tiles.reshape(n, channels, grid * grid, th, tw)[:, :, list(order)]
    tiles = tiles.reshape(n, channels, grid, grid, th, tw).permute(0, 1, 2, 4, 3, 5)
    return tiles.reshape(n, channels, height, width)


def random_swap(words: list[str], num_swaps: int, rng: np.random.Generator) -> list[str]:
    """EDA's "random swap" (Wei & Zou, 2019): swap two random words, ``num_swaps`` times."""
    words = list(words)
    for _ in range(num_swaps):
        i, j = rng.choice(len(words), size=2, replace=False)
        words[i], words[j] = words[j], words[i]
    return words


# --8<-- [end:structured]


# --------------------------------------------------------------------------
# Figures (drawn at build time by hooks/figures.py; see FIGURES)
# --------------------------------------------------------------------------


def _show(ax, image, title: str = "") -> None:
    ax.imshow(np.asarray(image).squeeze(), cmap="gray_r", vmin=0, vmax=1, interpolation="none")
    ax.set_title(title, fontsize=9)
    ax.set_xticks([])
    ax.set_yticks([])


def _first_test_image(digit: int) -> torch.Tensor:
    data = load_digit_images()
    return data.X_test[data.y_test == digit][:1]


def draw_examples(out: IO[bytes], lang: str = "en") -> None:
    """Draw three digits and what each transformation makes of them, as SVG in ``lang``."""
    tr = language(lang)
    digits = [2, 4, 7]
    columns = [
        (tr("original"), lambda X, g: X),
        (tr("rotate {degrees}°", degrees="+10"), lambda X, g: rotate(X, 10)),
        (tr("rotate {degrees}°", degrees="−10"), lambda X, g: rotate(X, -10)),
        (tr("random crop\n(padding 1)"), lambda X, g: random_crop(X, 1, g)),
        (tr("noise σ=0.05"), lambda X, g: add_noise(X, 0.05, g)),
        ("augment(p=1)", lambda X, g: augment(X, g, p=1.0)),
        (tr("horizontal flip"), lambda X, g: flip_horizontal(X)),
    ]
    fig = new_figure(9, 4.2, lang)
    axes = fig.subplots(len(digits), len(columns))
    for row, digit in enumerate(digits):
        X = _first_test_image(digit)
        for col, (name, transform) in enumerate(columns):
            generator = torch.Generator().manual_seed(10 * row + col)
            _show(axes[row, col], transform(X, generator), name if row == 0 else "")
        axes[row, 0].set_ylabel(tr("digit {digit}", digit=digit))
    save_svg(fig, out)


def draw_label_changes(out: IO[bytes], lang: str = "en") -> None:
    """Draw transformations that change the label of a digit, and a photo that a flip keeps."""
    from sklearn.datasets import load_sample_image

    tr = language(lang)
    net = reference_cnn()

    def says(image: torch.Tensor) -> str:
        return tr("CNN says {label}", label=int(predict(net, image)))

    fig = new_figure(10, 4.4, lang)
    left, right = fig.subfigures(1, 2, width_ratios=[3, 1.15])
    axes = left.subplots(2, 6)
    six, nine = _first_test_image(6), _first_test_image(9)
    panels = [
        (six, tr("a {digit}", digit=6)),
        (rotate(six, 15), tr("{digit} rotated {degrees}°", digit=6, degrees=15)),
        (rotate(six, 180), tr("{digit} rotated {degrees}°", digit=6, degrees=180)),
        (nine, tr("a real {digit}", digit=9)),
    ]
    for ax, (image, name) in zip(axes[0, :4], panels, strict=True):
        _show(ax, image, f"{name}\n{says(image)}")
    for ax in axes[0, 4:]:
        ax.axis("off")
    for k, digit in enumerate([2, 3, 7]):
        X = _first_test_image(digit)
        flipped = flip_horizontal(X)
        _show(axes[1, 2 * k], X, f"{tr('a {digit}', digit=digit)}\n{says(X)}")
        _show(axes[1, 2 * k + 1], flipped, f"{tr('flipped {digit}', digit=digit)}\n{says(flipped)}")
    left.suptitle(tr("digits: rotation by 180° and flips change the label"), fontsize=10)
    photo = load_sample_image("china.jpg")[::5, ::5]
    photo_axes = right.subplots(2, 1)
    for ax, image, name in [
        (photo_axes[0], photo, tr("a photo")),
        (photo_axes[1], photo[:, ::-1], tr("flipped: still a temple")),
    ]:
        ax.imshow(image, interpolation="none")
        ax.set_title(name, fontsize=9)
        ax.set_xticks([])
        ax.set_yticks([])
    right.suptitle(tr("natural photos: a flip keeps it"), fontsize=10)
    save_svg(fig, out)


def draw_few_shot(out: IO[bytes], lang: str = "en") -> None:
    """Draw the test accuracy of each seed without and with augmentation, as SVG in ``lang``."""
    tr = language(lang)
    results = augmentation_study()  # the networks are cached: the second language only redraws
    seeds = len(results["without"])
    fig = new_figure(8, 3.6, lang)
    axes = fig.subplots(1, 2)
    for ax, suffix, title in [
        (axes[0], "", tr("test images")),
        (axes[1], "_perturbed", tr("test images rotated, shifted, noisy")),
    ]:
        without, with_ = 100 * results["without" + suffix], 100 * results["with" + suffix]
        for a, b in zip(without, with_, strict=True):
            ax.plot([0, 1], [a, b], color="gray", alpha=0.6, marker="o")
        ax.plot(
            [0, 1],
            [without.mean(), with_.mean()],
            color="C3",
            linewidth=3,
            marker="s",
            label=tr("mean of {seeds} seeds", seeds=seeds),
        )
        ax.set_xticks([0, 1], [tr("without\naugmentation"), tr("with\naugmentation")])
        ax.set_xlim(-0.3, 1.3)
        ax.set_title(title, fontsize=10)
        ax.set_ylabel(tr("test accuracy (%)"))
        ax.grid(alpha=0.3)
    axes[0].legend(loc="lower right")
    fig.suptitle(
        tr(
            "digit_cnn trained on {per_class} images per digit ({total} in all)",
            per_class=20,
            total=200,
        ),
        fontsize=10,
    )
    save_svg(fig, out)


def draw_shuffle(out: IO[bytes], lang: str = "en") -> None:
    """Draw shuffled pixels and jigsaw tiles, and the accuracy of CNN and MLP on them, as SVG."""
    tr = language(lang)
    fig = new_figure(10, 3.8, lang)
    left, right = fig.subfigures(1, 2, width_ratios=[1.4, 1])
    axes = left.subplots(2, 3)
    for row, digit in enumerate([0, 7]):
        X = _first_test_image(digit)
        _show(axes[row, 0], X, tr("original") if row == 0 else "")
        _show(
            axes[row, 1], shuffle_pixels(X, PERMUTATION), tr("shuffled pixels") if row == 0 else ""
        )
        _show(axes[row, 2], jigsaw(X, [3, 2, 1, 0]), tr("2x2 jigsaw tiles") if row == 0 else "")
    left.suptitle(tr("one fixed permutation for every image"), fontsize=10)
    results = shuffle_study()  # the networks are cached: the second language only redraws
    ax = right.subplots()
    for k, (model, color) in enumerate([("cnn", "C0"), ("mlp", "C1")]):
        original, shuffled = 100 * results[model], 100 * results[model + "_shuffled"]
        x = [2 * k, 2 * k + 1]
        for a, b in zip(original, shuffled, strict=True):  # one line per seed
            ax.plot(x, [a, b], color=color, marker="o", markersize=4, linewidth=1, alpha=0.7)
        means = [original.mean(), shuffled.mean()]
        ax.plot(x, means, color="black", marker="_", markersize=28, markeredgewidth=2, linewidth=0)
    shuffled_label = tr("shuffled")
    ax.set_xticks(range(4), ["CNN", f"CNN\n{shuffled_label}", "MLP", f"MLP\n{shuffled_label}"])
    ax.set_xlim(-0.5, 3.5)
    ax.set_ylim(90.5, 95)
    ax.set_ylabel(tr("test accuracy (%)"))
    ax.grid(alpha=0.3, axis="y")
    seeds = len(results["cnn"])
    right.suptitle(
        tr(
            "{per_class} images per digit, {seeds} seeds (a line each, — the mean)",
            per_class=20,
            seeds=seeds,
        ),
        fontsize=10,
    )
    save_svg(fig, out)


FIGURES = {
    "augmentation-examples.svg": draw_examples,
    "augmentation-label-changes.svg": draw_label_changes,
    "augmentation-few-shot.svg": draw_few_shot,
    "augmentation-shuffle.svg": draw_shuffle,
}
