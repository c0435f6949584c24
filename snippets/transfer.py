"""Transfer learning on real digit images: when it helps, and when it does not.

A small CNN is pretrained on the digits 0-4 (the *source* task) and then
learns the digits 5-9 (the *target* task) from only ``k`` labelled images per
digit, in three ways: a new head on frozen features, fine-tuning every layer,
or training the same network from scratch. Each method runs with the same
ten seeds; a method is compared with training from scratch seed by seed (paired
differences on the same images), summarised by a mean and a t-interval. Every
function here is shown on the transfer-learning chapter page (Korean and
English) through ``--8<--`` includes, and every example on that page runs in
the tests.

Costly results are cached (``snippets.cache.disk_cache``): the pretrained weights
are computed once per source task and every accuracy once per setting.
"""

from __future__ import annotations

import contextlib
import functools
import math
from collections import OrderedDict
from collections.abc import Iterator
from typing import IO, NamedTuple

import numpy as np
import torch
from scipy import stats
from torch import nn

from snippets.cache import disk_cache
from snippets.data import load_digit_images
from snippets.plotting import language, new_figure, save_svg
from snippets.training import accuracy, fit

# --8<-- [start:tasks]
SOURCE_DIGITS = (0, 1, 2, 3, 4)  # pretraining task
TARGET_DIGITS = (5, 6, 7, 8, 9)  # new task, learnt from few images


class DigitTasks(NamedTuple):
    """Source training set, target training pool and target test set (labels 0-4)."""

    X_source: torch.Tensor
    y_source: torch.Tensor
    X_target: torch.Tensor
    y_target: torch.Tensor
    X_test: torch.Tensor
    y_test: torch.Tensor


def select_digits(
    X: torch.Tensor, y: torch.Tensor, digits: tuple[int, ...]
) -> tuple[torch.Tensor, torch.Tensor]:
    """Keep the images of ``digits`` and relabel them 0, 1, ... in that order.

    Examples:
        >>> X = torch.zeros(4, 1, 8, 8)
        >>> y = torch.tensor([7, 2, 9, 7])
        >>> X_sel, y_sel = select_digits(X, y, (5, 6, 7, 8, 9))
        >>> len(X_sel), y_sel.tolist()
        (3, [2, 4, 2])
    """
    keep = torch.isin(y, torch.tensor(digits))
    relabel = {digit: label for label, digit in enumerate(digits)}
    return X[keep], torch.tensor([relabel[int(d)] for d in y[keep]])


@functools.cache
def digit_tasks() -> DigitTasks:
    """Split the shared digit images into the source and the target task."""
    data = load_digit_images()
    X_source, y_source = select_digits(data.X_train, data.y_train, SOURCE_DIGITS)
    X_target, y_target = select_digits(data.X_train, data.y_train, TARGET_DIGITS)
    X_test, y_test = select_digits(data.X_test, data.y_test, TARGET_DIGITS)
    return DigitTasks(X_source, y_source, X_target, y_target, X_test, y_test)


def few_shot(
    X: torch.Tensor, y: torch.Tensor, k: int, seed: int = 0
) -> tuple[torch.Tensor, torch.Tensor]:
    """Draw ``k`` random examples of every class (the same draw for the same seed).

    Examples:
        >>> X, y = torch.arange(12.0), torch.tensor([0, 1, 2] * 4)
        >>> X_k, y_k = few_shot(X, y, k=2)
        >>> y_k.tolist()
        [0, 0, 1, 1, 2, 2]
    """
    generator = torch.Generator().manual_seed(seed)
    picked = []
    for label in y.unique():
        members = torch.nonzero(y == label).flatten()
        if k > len(members):
            raise ValueError(f"class {int(label)} has only {len(members)} examples, not {k}")
        picked.append(members[torch.randperm(len(members), generator=generator)[:k]])
    index = torch.cat(picked)
    return X[index], y[index]


# --8<-- [end:tasks]


# --8<-- [start:model]
def small_cnn(num_classes: int = 5, seed: int = 0) -> nn.Sequential:
    """Two convolution blocks (``features``) and one linear layer (``head``).

    Examples:
        >>> net = small_cnn()
        >>> tuple(net(torch.zeros(2, 1, 8, 8)).shape), net.head.in_features
        ((2, 5), 128)
    """
    torch.manual_seed(seed)
    features = nn.Sequential(
        nn.Conv2d(1, 16, kernel_size=3, padding=1),  # 16 x 8 x 8
        nn.ReLU(),
        nn.MaxPool2d(2),  # 16 x 4 x 4
        nn.Conv2d(16, 32, kernel_size=3, padding=1),  # 32 x 4 x 4
        nn.ReLU(),
        nn.MaxPool2d(2),  # 32 x 2 x 2
        nn.Flatten(),  # 128 features
    )
    head = nn.Linear(128, num_classes)
    return nn.Sequential(OrderedDict(features=features, head=head))


# --8<-- [end:model]


# --8<-- [start:one-thread]
@contextlib.contextmanager
def one_thread() -> Iterator[None]:
    """Run torch on one CPU thread inside the block, then restore the setting.

    Batches of a few dozen 8x8 images are too small to share between threads:
    the threads spend more time waiting for each other than computing.
    """
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(previous)


# --8<-- [end:one-thread]


# --8<-- [start:pretrain]
SOURCES = ("digits", "shuffled-pixels", "random-labels")


def source_data(source: str = "digits") -> tuple[torch.Tensor, torch.Tensor]:
    """Images and labels of the pretraining task.

    ``"digits"``: the digits 0-4 as they are. ``"shuffled-pixels"``: the same
    images with their 64 pixels put in one fixed random order. ``"random-labels"``:
    the same images with their labels shuffled, so labels say nothing about images.
    """
    tasks = digit_tasks()
    X, y = tasks.X_source, tasks.y_source
    generator = torch.Generator().manual_seed(0)
    if source == "digits":
        return X, y
    if source == "shuffled-pixels":
        order = torch.randperm(64, generator=generator)
        return X.flatten(1)[:, order].reshape(X.shape), y
    if source == "random-labels":
        return X, y[torch.randperm(len(y), generator=generator)]
    raise ValueError(f"unknown source {source!r}; choose from {SOURCES}")


@disk_cache  # trained once per code and arguments (snippets/cache.py)
def pretrained_weights(source: str = "digits") -> dict[str, torch.Tensor]:
    """Train a small CNN on the source task once; return (a copy of) its weights."""
    X, y = source_data(source)
    net = small_cnn(num_classes=len(SOURCE_DIGITS), seed=0)
    with one_thread():
        fit(net, X, y, num_epochs=20, lr=3e-3, seed=0)
    return {name: value.clone() for name, value in net.state_dict().items()}


def pretrained_cnn(source: str = "digits") -> nn.Sequential:
    """A fresh network holding the pretrained weights; training it leaves the cache intact."""
    net = small_cnn(num_classes=len(SOURCE_DIGITS))
    net.load_state_dict(pretrained_weights(source))  # copies the values
    return net


# --8<-- [end:pretrain]


# --8<-- [start:methods]
METHODS = ("scratch", "frozen", "fine-tune")
TARGET_STEPS = 100  # gradient steps on the target task, the same for every method and k


def target_network(
    method: str, source: str = "digits", seed: int = 0
) -> tuple[nn.Sequential, list[dict]]:
    """The network to train on digits 5-9 and its parameter groups, each with its lr.

    ``"scratch"``: random weights, everything trained (lr 1e-2).
    ``"frozen"``: pretrained features kept fixed, only a new head trained (lr 1e-2).
    ``"fine-tune"``: pretrained features trained with a small lr (1e-3), new head with 1e-2.
    These learning rates and ``TARGET_STEPS`` were set once by hand, the same for every
    ``k``; they were not tuned for each method.
    """
    if method == "scratch":
        net = small_cnn(num_classes=len(TARGET_DIGITS), seed=100 + seed)
        return net, [{"params": net.parameters(), "lr": 1e-2}]
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}; choose from {METHODS}")
    net = pretrained_cnn(source)
    torch.manual_seed(100 + seed)
    net.head = nn.Linear(net.head.in_features, len(TARGET_DIGITS))  # new head for 5-9
    if method == "frozen":
        net.features.requires_grad_(False)
        return net, [{"params": net.head.parameters(), "lr": 1e-2}]
    return net, [
        {"params": net.features.parameters(), "lr": 1e-3},
        {"params": net.head.parameters(), "lr": 1e-2},
    ]


def target_accuracy(method: str, k: int, seed: int = 0, source: str = "digits") -> float:
    """Test accuracy on digits 5-9 after learning from ``k`` images per digit."""
    if method == "scratch":
        source = "digits"  # training from scratch uses no source task
    return _target_accuracy(method, k, seed, source)


@disk_cache  # trained once per code and arguments (snippets/cache.py)
def _target_accuracy(method: str, k: int, seed: int, source: str) -> float:
    tasks = digit_tasks()
    X, y = few_shot(tasks.X_target, tasks.y_target, k, seed)
    X_test = tasks.X_test
    net, param_groups = target_network(method, source, seed)
    if method == "frozen":  # the features never change: compute them once, train only the head
        with torch.no_grad():
            X, X_test = net.features(X), net.features(X_test)
        net = net.head
    batches_per_epoch = math.ceil(len(X) / 64)
    num_epochs = math.ceil(TARGET_STEPS / batches_per_epoch)
    with one_thread():
        fit(net, X, y, num_epochs=num_epochs, batch_size=64, seed=seed, params=param_groups)
        return accuracy(net, X_test, tasks.y_test)


# --8<-- [end:methods]


# --8<-- [start:curve]
SHOTS = (1, 5, 50)  # labelled images per target digit
SEEDS = tuple(range(10))  # each seed draws other images and initialises other heads


def accuracies(
    method: str, k: int, source: str = "digits", seeds: tuple[int, ...] = SEEDS
) -> np.ndarray:
    """Test accuracy of ``method``, one value per seed."""
    return np.array([target_accuracy(method, k, seed, source) for seed in seeds])


def mean_accuracy(
    method: str, k: int, source: str = "digits", seeds: tuple[int, ...] = SEEDS
) -> float:
    """Test accuracy averaged over ``seeds``."""
    return float(accuracies(method, k, source, seeds).mean())


def paired_gains(
    method: str, k: int, source: str = "digits", seeds: tuple[int, ...] = SEEDS
) -> np.ndarray:
    """Per seed: accuracy of ``method`` minus that of training from scratch.

    Both runs of a seed learn from the same images, so each difference compares
    the two methods on equal terms (a paired comparison).
    """
    return accuracies(method, k, source, seeds) - accuracies("scratch", k, seeds=seeds)


def transfer_gain(
    method: str, k: int, source: str = "digits", seeds: tuple[int, ...] = SEEDS
) -> float:
    """Mean accuracy of ``method`` minus that of training from scratch (same images)."""
    return float(paired_gains(method, k, source, seeds).mean())


# --8<-- [end:curve]


# --8<-- [start:interval]
class Interval(NamedTuple):
    """A mean and the two ends of its confidence interval."""

    mean: float
    low: float
    high: float


def t_interval(values, confidence: float = 0.95) -> Interval:
    """Mean of ``values`` and its Student-t confidence interval.

    The interval treats the values as independent draws (here: one per seed).

    Examples:
        >>> [round(x, 3) for x in t_interval([1.0, 2.0, 3.0])]
        [2.0, -0.484, 4.484]
    """
    values = np.asarray(values, dtype=float)
    n = len(values)
    mean = float(values.mean())
    half = float(stats.t.ppf((1 + confidence) / 2, df=n - 1) * values.std(ddof=1) / math.sqrt(n))
    return Interval(mean, mean - half, mean + half)


def gain_report(method: str, k: int, source: str = "digits", seeds: tuple[int, ...] = SEEDS) -> str:
    """The paired gains in accuracy points, seed by seed, then their mean and 95% interval."""
    gains = 100 * paired_gains(method, k, source, seeds)
    mean, low, high = t_interval(gains)
    per_seed = " ".join(f"{gain:+.1f}" for gain in gains)
    return f"{per_seed} | mean {mean:+.1f}, 95% CI [{low:+.1f}, {high:+.1f}]"


# --8<-- [end:interval]


# --8<-- [start:pixels]
def nearest_centroid_accuracy(k: int, seeds: tuple[int, ...] = SEEDS) -> float:
    """Classify raw pixels by the nearest class mean of ``k`` images per digit; no network."""
    tasks = digit_tasks()
    X_test = tasks.X_test.flatten(1)
    scores = []
    for seed in seeds:
        X, y = few_shot(tasks.X_target.flatten(1), tasks.y_target, k, seed)
        centroids = torch.stack([X[y == label].mean(dim=0) for label in range(5)])
        y_hat = torch.cdist(X_test, centroids).argmin(dim=1)
        scores.append((y_hat == tasks.y_test).float().mean().item())
    return float(np.mean(scores))


# --8<-- [end:pixels]


# --------------------------------------------------------------------------
# Figures (drawn at build time by hooks/figures.py; see FIGURES)
# --------------------------------------------------------------------------


def method_labels(tr) -> dict[str, str]:
    """The name of each method as the figures and the lab show it; ``tr`` translates."""
    return {
        "scratch": tr("from scratch"),
        "frozen": tr("frozen features + new head"),
        "fine-tune": tr("fine-tuning (all layers)"),
    }


def source_labels(tr) -> dict[str, str]:
    """The name of each source task as the figures and the lab show it."""
    return {
        "digits": tr("digits 0-4"),
        "shuffled-pixels": tr("0-4, shuffled pixels"),
        "random-labels": tr("0-4, random labels"),
    }


def draw_shots(out: IO[bytes], lang: str = "en") -> None:
    """Draw test accuracy on digits 5-9 against k for the three methods as SVG in ``lang``."""
    tr = language(lang)
    fig = new_figure(7, 3.8, lang)
    ax = fig.subplots()
    labels = method_labels(tr)
    for method, marker in zip(METHODS, "osD", strict=True):
        per_seed = np.array([accuracies(method, k) for k in SHOTS])
        mean = per_seed.mean(axis=1)
        ax.plot(SHOTS, mean, marker=marker, linewidth=2, label=labels[method])
        ax.fill_between(SHOTS, per_seed.min(axis=1), per_seed.max(axis=1), alpha=0.15)
    centroid = [nearest_centroid_accuracy(k) for k in SHOTS]
    ax.plot(
        SHOTS, centroid, color="gray", linestyle=":", label=tr("raw pixels, nearest class mean")
    )
    ax.set_xscale("log")
    ax.set_xticks(SHOTS, [str(k) for k in SHOTS])
    ax.set_xlabel(tr("k = labelled training images per digit (digits 5-9)"))
    ax.set_ylabel(tr("test accuracy on digits 5-9"))
    ax.set_title(tr("pretrained on digits 0-4; mean and range over {n} seeds", n=len(SEEDS)))
    ax.grid(alpha=0.3)
    ax.legend(loc="lower right")
    save_svg(fig, out)


def draw_sources(out: IO[bytes], lang: str = "en") -> None:
    """Draw the paired gain of frozen features over scratch for three sources as SVG."""
    tr = language(lang)
    fig = new_figure(7, 3.8, lang)
    ax = fig.subplots()
    width = 0.38
    positions = np.arange(len(SOURCES))
    for shift, k, color in [(-width / 2, 1, "C0"), (width / 2, 5, "C1")]:
        intervals = [t_interval(100 * paired_gains("frozen", k, source)) for source in SOURCES]
        means = np.array([interval.mean for interval in intervals])
        errors = np.array(
            [[i.mean - i.low for i in intervals], [i.high - i.mean for i in intervals]]
        )
        label = tr("k = 1 image per digit") if k == 1 else tr("k = {k} images per digit", k=k)
        ax.bar(positions + shift, means, width, color=color, label=label)
        ax.errorbar(positions + shift, means, yerr=errors, fmt="none", ecolor="black", capsize=4)
    ax.axhline(0, color="black", linewidth=0.8)
    ax.set_xticks(positions, [source_labels(tr)[source] for source in SOURCES])
    ax.set_xlabel(tr("source task of the pretrained features"))
    ax.set_ylabel(tr("gain over scratch (accuracy points)"))
    ax.set_title(
        tr("frozen features + new head: mean and 95% interval over {n} seeds", n=len(SEEDS))
    )
    ax.grid(alpha=0.3, axis="y")
    ax.legend(loc="lower left")
    save_svg(fig, out)


FIGURES = {
    "transfer-shots.svg": draw_shots,
    "transfer-sources.svg": draw_sources,
}
