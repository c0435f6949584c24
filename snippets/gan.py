"""A generative adversarial network (GAN) on a ring of 8 Gaussians, and mode collapse.

Every function here is shown on the generative-models chapter page (Korean and
English) through ``--8<--`` includes, and every example on that page runs in
the tests. The toy problem (8 Gaussians on a circle) follows Metz et al.
(2017, "Unrolled Generative Adversarial Networks").
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Iterator
from typing import IO, NamedTuple

import torch
import torch.nn.functional as F
from torch import nn

from snippets.cache import disk_cache
from snippets.plotting import language, new_figure, save_svg

# --8<-- [start:data]
NUM_MODES = 8  # Gaussians on the ring
RING_RADIUS = 2.0
RING_STD = 0.05  # standard deviation of each Gaussian


def ring_centres(num_modes: int = NUM_MODES, radius: float = RING_RADIUS) -> torch.Tensor:
    """Centres of ``num_modes`` Gaussians evenly spaced on a circle, shape ``(num_modes, 2)``.

    Examples:
        >>> ring_centres().shape
        torch.Size([8, 2])
        >>> ring_centres()[0].tolist()  # the first mode sits on the x axis
        [2.0, 0.0]
    """
    angles = torch.arange(num_modes) * (2 * math.pi / num_modes)
    return torch.stack([radius * torch.cos(angles), radius * torch.sin(angles)], dim=1)


def sample_ring(num_samples: int, generator: torch.Generator) -> torch.Tensor:
    """Draw ``num_samples`` points from the mixture: pick a mode at random, add noise."""
    mode = torch.randint(0, NUM_MODES, (num_samples,), generator=generator)
    noise = RING_STD * torch.randn(num_samples, 2, generator=generator)
    return ring_centres()[mode] + noise


# --8<-- [end:data]


# --8<-- [start:models]
NOISE_DIM = 2  # size of the noise vector z the generator starts from


def mlp(in_features: int, out_features: int, hidden: int = 64) -> nn.Sequential:
    """A small multilayer perceptron with two hidden ReLU layers."""
    return nn.Sequential(
        nn.Linear(in_features, hidden),
        nn.ReLU(),
        nn.Linear(hidden, hidden),
        nn.ReLU(),
        nn.Linear(hidden, out_features),
    )


def make_generator() -> nn.Sequential:
    """G: noise ``z`` (NOISE_DIM numbers) -> a point ``x`` in the plane."""
    return mlp(NOISE_DIM, 2)


def make_discriminator() -> nn.Sequential:
    """D: a point ``x`` -> one logit; ``sigmoid(logit)`` is the probability that ``x`` is real."""
    return mlp(2, 1)


# --8<-- [end:models]


# --8<-- [start:losses]
def discriminator_loss(real_logits: torch.Tensor, fake_logits: torch.Tensor) -> torch.Tensor:
    """``-[log D(x) + log(1 - D(G(z)))]``: binary cross-entropy, real = 1, fake = 0."""
    real = F.binary_cross_entropy_with_logits(real_logits, torch.ones_like(real_logits))
    fake = F.binary_cross_entropy_with_logits(fake_logits, torch.zeros_like(fake_logits))
    return real + fake


def generator_loss_minimax(fake_logits: torch.Tensor) -> torch.Tensor:
    """The generator's part of the minimax game: minimise ``log(1 - D(G(z)))``.

    With ``D = sigmoid(logit)``, ``log(1 - D) = -softplus(logit)``.
    """
    return -F.softplus(fake_logits).mean()


def generator_loss_non_saturating(fake_logits: torch.Tensor) -> torch.Tensor:
    """What is used in practice: minimise ``-log D(G(z))`` (fakes labelled "real")."""
    return F.binary_cross_entropy_with_logits(fake_logits, torch.ones_like(fake_logits))


# --8<-- [end:losses]


@contextlib.contextmanager
def one_thread() -> Iterator[None]:
    """Run PyTorch on one CPU thread inside the ``with`` block.

    Networks this small train faster on one thread: handing tiny matrix
    products to a second thread costs more than it saves, and much more on a
    busy machine. The thread count is restored afterwards.
    """
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)


# --8<-- [start:train]
class GANRun(NamedTuple):
    """A trained GAN and what happened on the way."""

    generator: nn.Module
    discriminator: nn.Module
    snapshots: dict[int, torch.Tensor]  # step -> 1,000 generated points (fixed noise)
    d_losses: list[float]
    g_losses: list[float]


SNAPSHOT_STEPS = (0, 250, 500, 1000, 1500, 2000)


@disk_cache  # trained once per code and arguments (snippets/cache.py)
def train_gan(
    num_steps: int = 2000,
    lr: float = 2e-3,
    d_lr: float | None = None,
    batch_size: int = 128,
    seed: int = 0,
) -> GANRun:
    """Train G and D in turns with Adam and the non-saturating generator loss.

    Args:
        num_steps: gradient steps, each one for D and then one for G.
        lr: learning rate of the generator (and of D unless ``d_lr`` is given).
        d_lr: learning rate of the discriminator; a much smaller value makes
            D too weak to keep up, which the chapter uses to show mode collapse.
        batch_size: real and fake points per step.
        seed: seeds the initial weights, the data and the noise.
    """
    with one_thread():  # see one_thread(): faster for tiny networks
        torch.manual_seed(seed)
        rng = torch.Generator().manual_seed(seed)
        G, D = make_generator(), make_discriminator()
        opt_g = torch.optim.Adam(G.parameters(), lr=lr, betas=(0.5, 0.999))
        opt_d = torch.optim.Adam(D.parameters(), lr=d_lr or lr, betas=(0.5, 0.999))
        z_fixed = torch.randn(1000, NOISE_DIM, generator=rng)  # to watch G over time
        snapshots = {0: G(z_fixed).detach()}
        d_losses, g_losses = [], []
        for step in range(1, num_steps + 1):
            X = sample_ring(batch_size, rng)
            fake = G(torch.randn(batch_size, NOISE_DIM, generator=rng))
            # 1) discriminator step: tell real from fake (fake detached: G is not updated)
            opt_d.zero_grad()
            d_loss = discriminator_loss(D(X), D(fake.detach()))
            d_loss.backward()
            opt_d.step()
            # 2) generator step: make D call the fakes real
            opt_g.zero_grad()
            g_loss = generator_loss_non_saturating(D(fake))
            g_loss.backward()
            opt_g.step()
            d_losses.append(d_loss.item())
            g_losses.append(g_loss.item())
            if step in SNAPSHOT_STEPS:
                snapshots[step] = G(z_fixed).detach()
        G.eval()
        D.eval()
    return GANRun(G, D, snapshots, d_losses, g_losses)


# --8<-- [end:train]


# --8<-- [start:modes]
def mode_counts(samples: torch.Tensor, radius: float = 5 * RING_STD) -> torch.Tensor:
    """How many samples lie within ``radius`` of each mode's centre, shape ``(NUM_MODES,)``."""
    distances = torch.cdist(samples, ring_centres())  # (num_samples, NUM_MODES)
    nearest = distances.argmin(dim=1)
    close = distances.min(dim=1).values < radius
    return torch.bincount(nearest[close], minlength=NUM_MODES)


def modes_covered(samples: torch.Tensor, min_count: int = 20) -> int:
    """Number of modes with at least ``min_count`` samples nearby.

    Examples:
        >>> one_point = ring_centres()[:1].repeat(1000, 1)  # every sample on mode 0
        >>> modes_covered(one_point)
        1
    """
    return int((mode_counts(samples) >= min_count).sum())


def fraction_near_a_mode(samples: torch.Tensor) -> float:
    """Fraction of samples that lie close to some mode (a simple quality score)."""
    return mode_counts(samples).sum().item() / len(samples)


# --8<-- [end:modes]


# --------------------------------------------------------------------------
# Figures (drawn at build time by hooks/figures.py; see FIGURES)
# --------------------------------------------------------------------------


def _scatter(ax, points: torch.Tensor, title: str, color: str = "tab:blue") -> None:
    from matplotlib.patches import Circle

    points = points.numpy()
    ax.scatter(points[:, 0], points[:, 1], s=2, color=color, alpha=0.5, rasterized=True)
    for centre in ring_centres().tolist():  # the "near a mode" zones of mode_counts
        ax.add_patch(Circle(centre, 5 * RING_STD, fill=False, color="tab:red", linewidth=0.8))
    ax.set_xlim(-3, 3)
    ax.set_ylim(-3, 3)
    ax.set_aspect("equal")
    ax.set_xticks([-2, 0, 2])
    ax.set_yticks([-2, 0, 2])
    ax.set_title(title, fontsize=10)


def draw_training(out: IO[bytes], lang: str = "en") -> None:
    """Draw the real data and G's samples at several training steps as SVG in ``lang``."""
    tr = language(lang)
    run = train_gan()
    steps = [0, 250, 500, 1000, 2000]
    fig = new_figure(12, 2.8, lang)
    axes = fig.subplots(1, len(steps) + 1)
    real = sample_ring(1000, torch.Generator().manual_seed(0))
    _scatter(axes[0], real, tr("real data"), "black")
    for ax, step in zip(axes[1:], steps, strict=True):
        samples = run.snapshots[step]
        found = modes_covered(samples)
        _scatter(ax, samples, tr("step {step}: {found}/8 modes", step=step, found=found))
    save_svg(fig, out, dpi=150)


def draw_mode_collapse(out: IO[bytes], lang: str = "en") -> None:
    """Draw a collapsing GAN (slow discriminator) at four training steps as SVG in ``lang``."""
    tr = language(lang)
    run = train_gan(d_lr=2e-4)
    steps = [500, 1000, 1500, 2000]
    fig = new_figure(9, 2.8, lang)
    axes = fig.subplots(1, len(steps))
    for ax, step in zip(axes, steps, strict=True):
        samples = run.snapshots[step]
        found = modes_covered(samples)
        title = tr("step {step}: {found}/8 modes", step=step, found=found)
        _scatter(ax, samples, title, "tab:orange")
    save_svg(fig, out, dpi=150)


FIGURES = {
    "gan-training.svg": draw_training,
    "gan-mode-collapse.svg": draw_mode_collapse,
}
