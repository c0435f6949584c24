"""A variational autoencoder (VAE) on the 8x8 digit images, with a 2-D latent space.

Every function here is shown on the generative-models chapter page (Korean and
English) through ``--8<--`` includes, and every example on that page runs in
the tests. The model follows Kingma & Welling (2014) with a Bernoulli decoder
and a Gaussian encoder; both are small multilayer perceptrons. The digits are
binarised first: a Bernoulli distribution is a distribution over {0, 1}, not
over the 17 grey levels of the images (Loaiza-Ganem & Cunningham, 2019).
"""

from __future__ import annotations

import math
from typing import IO, NamedTuple

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from snippets.cache import disk_cache
from snippets.data import load_digit_images
from snippets.gan import one_thread
from snippets.plotting import language, new_figure, save_svg

# --8<-- [start:model]
NUM_PIXELS = 64  # 8 x 8 digit images


def binarise(X: torch.Tensor) -> torch.Tensor:
    """Ink (1) where a pixel is at least half dark, paper (0) elsewhere.

    Examples:
        >>> binarise(torch.tensor([0.0, 0.25, 0.5, 1.0]))
        tensor([0., 0., 1., 1.])
    """
    return (X >= 0.5).float()


class VAE(nn.Module):
    """Encoder ``q(z|x)``: image -> mean and log-variance of a Gaussian over ``z``.
    Decoder ``p(x|z)``: code ``z`` -> one logit per pixel (a Bernoulli per pixel).
    """

    def __init__(self, latent_dim: int = 2, hidden: int = 128) -> None:
        super().__init__()
        self.latent_dim = latent_dim
        self.encoder = nn.Sequential(
            nn.Flatten(),  # (N, 1, 8, 8) -> (N, 64)
            nn.Linear(NUM_PIXELS, hidden),
            nn.ReLU(),
            nn.Linear(hidden, hidden),
            nn.ReLU(),
            nn.Linear(hidden, 2 * latent_dim),  # mean and log-variance
        )
        self.decoder = nn.Sequential(
            nn.Linear(latent_dim, hidden),
            nn.ReLU(),
            nn.Linear(hidden, hidden),
            nn.ReLU(),
            nn.Linear(hidden, NUM_PIXELS),  # logits
            nn.Unflatten(1, (1, 8, 8)),
        )

    def encode(self, X: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Mean ``mu`` and log-variance ``logvar`` of ``q(z|x)``, each ``(N, latent_dim)``."""
        mu, logvar = self.encoder(X).chunk(2, dim=1)
        return mu, logvar

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        """Pixel logits ``(N, 1, 8, 8)``; ``sigmoid`` of them are the pixel means."""
        return self.decoder(z)


# --8<-- [end:model]


# --8<-- [start:reparameterise]
def reparameterise(
    mu: torch.Tensor, logvar: torch.Tensor, generator: torch.Generator | None = None
) -> torch.Tensor:
    """Sample ``z ~ N(mu, sigma^2)`` as ``mu + sigma * eps`` with ``eps ~ N(0, I)``.

    The randomness sits in ``eps``, which does not depend on the parameters, so
    gradients flow through ``mu`` and ``sigma`` to the encoder.
    """
    sigma = torch.exp(0.5 * logvar)
    eps = torch.randn(mu.shape, generator=generator)
    return mu + sigma * eps


# --8<-- [end:reparameterise]


# --8<-- [start:elbo]
def gaussian_kl(mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """``KL(N(mu, sigma^2) || N(0, I))`` per example, in nats, in closed form.

    Examples:
        >>> gaussian_kl(torch.zeros(1, 2), torch.zeros(1, 2))  # q equals the prior
        tensor([0.])
    """
    return 0.5 * (mu**2 + logvar.exp() - 1.0 - logvar).sum(dim=1)


def elbo_terms(
    vae: VAE, X: torch.Tensor, generator: torch.Generator | None = None
) -> tuple[torch.Tensor, torch.Tensor]:
    """Reconstruction term ``-log p(x|z)`` and KL term per example, in nats.

    ``ELBO = -(reconstruction + kl)``, estimated with one sample of ``z``.
    """
    mu, logvar = vae.encode(X)
    z = reparameterise(mu, logvar, generator)
    logits = vae.decode(z)
    # -log p(x|z) of a Bernoulli per pixel = binary cross-entropy, summed over pixels
    reconstruction = F.binary_cross_entropy_with_logits(logits, X, reduction="none")
    return reconstruction.sum(dim=(1, 2, 3)), gaussian_kl(mu, logvar)


def negative_elbo(
    vae: VAE, X: torch.Tensor, generator: torch.Generator | None = None
) -> torch.Tensor:
    """The training loss: ``-ELBO`` averaged over the batch."""
    reconstruction, kl = elbo_terms(vae, X, generator)
    return (reconstruction + kl).mean()


# --8<-- [end:elbo]


# --8<-- [start:train]
class VAERun(NamedTuple):
    """A trained VAE and its training loss (``-ELBO``) per epoch."""

    vae: VAE
    losses: list[float]


@disk_cache  # trained once per code and arguments (snippets/cache.py)
def train_vae(
    num_epochs: int = 100,
    lr: float = 2e-3,
    batch_size: int = 64,
    latent_dim: int = 2,
    seed: int = 0,
) -> VAERun:
    """Train a VAE on the binarised training digits by minimising ``-ELBO`` with Adam."""
    X = binarise(load_digit_images().X_train)
    with one_thread():  # see snippets.gan.one_thread: faster for tiny networks
        torch.manual_seed(seed)
        rng = torch.Generator().manual_seed(seed)
        vae = VAE(latent_dim)
        optimizer = torch.optim.Adam(vae.parameters(), lr=lr)
        losses = []
        for _ in range(num_epochs):
            order = torch.randperm(len(X), generator=rng)
            total = 0.0
            for start in range(0, len(X), batch_size):
                batch = X[order[start : start + batch_size]]
                optimizer.zero_grad()
                loss = negative_elbo(vae, batch, rng)
                loss.backward()
                optimizer.step()
                total += loss.item() * len(batch)
            losses.append(total / len(X))
        vae.eval()
    return VAERun(vae, losses)


# --8<-- [end:train]


# --8<-- [start:likelihood]
@torch.no_grad()
def log_weights(vae: VAE, X: torch.Tensor, num_samples: int = 100, seed: int = 0) -> torch.Tensor:
    """``log p(x|z_k) + log p(z_k) - log q(z_k|x)`` for ``z_k ~ q(z|x)``, shape ``(K, N)``.

    Their mean over ``k`` estimates the ELBO (Monte Carlo).
    """
    rng = torch.Generator().manual_seed(seed)
    with one_thread():
        mu, logvar = vae.encode(X)
        eps = torch.randn((num_samples, *mu.shape), generator=rng)  # (K, N, latent_dim)
        z = mu + torch.exp(0.5 * logvar) * eps
        logits = vae.decode(z.flatten(0, 1)).unflatten(0, (num_samples, len(X)))
        log_p_x_given_z = -F.binary_cross_entropy_with_logits(
            logits, X.expand_as(logits), reduction="none"
        ).sum(dim=(2, 3, 4))
    log_normal = -0.5 * math.log(2 * math.pi)  # log N(0; 0, 1)
    log_p_z = (log_normal - 0.5 * z**2).sum(dim=2)
    log_q_z = (log_normal - 0.5 * eps**2 - 0.5 * logvar).sum(dim=2)
    return log_p_x_given_z + log_p_z - log_q_z


def iwae_bound(log_w: torch.Tensor) -> torch.Tensor:
    """The IWAE-K bound (Burda et al., 2016): the log of the mean of the K weights.

    With K = 1 it is a one-sample estimate of the ELBO; it rises towards
    ``log p(x)`` as K grows, but is a lower bound for every K (on average over the draws).
    """
    return torch.logsumexp(log_w, dim=0) - math.log(len(log_w))


@torch.no_grad()
def log_likelihood_on_grid(
    vae: VAE, X: torch.Tensor, limit: float = 6.0, points: int = 241
) -> torch.Tensor:
    """``log p(x) = log sum_z p(x|z) p(z) dz`` over a grid of z, shape ``(N,)``.

    Only possible because z has 2 dimensions: a ``points`` x ``points`` grid on
    ``[-limit, limit]^2`` covers the prior. It uses the decoder and the prior,
    not the encoder, so it checks the bounds above independently.
    """
    axis = torch.linspace(-limit, limit, points)
    cell = (axis[1] - axis[0]).item() ** 2  # area dz of one grid cell
    z = torch.cartesian_prod(axis, axis)  # (points^2, 2)
    with one_thread():
        logits = vae.decode(z).flatten(1)  # (points^2, 64)
        x = X.flatten(1)  # (N, 64), pixels 0 or 1
        # log p(x|z) of a Bernoulli per pixel, for every image and every z: (N, points^2)
        log_p_x_given_z = x @ F.logsigmoid(logits).T + (1 - x) @ F.logsigmoid(-logits).T
        log_p_z = (-0.5 * z**2 - 0.5 * math.log(2 * math.pi)).sum(dim=1)
        return torch.logsumexp(log_p_x_given_z + log_p_z, dim=1) + math.log(cell)


# --8<-- [end:likelihood]


# --8<-- [start:generate]
@torch.no_grad()
def sample_images(vae: VAE, num_images: int, seed: int = 0) -> torch.Tensor:
    """Generate images: draw ``z`` from the prior ``N(0, I)`` and decode (pixel means)."""
    z = torch.randn(num_images, vae.latent_dim, generator=torch.Generator().manual_seed(seed))
    return torch.sigmoid(vae.decode(z))


@torch.no_grad()
def reconstruct(vae: VAE, X: torch.Tensor) -> torch.Tensor:
    """Encode to the mean code ``mu`` and decode it again (pixel means)."""
    mu, _ = vae.encode(X)
    return torch.sigmoid(vae.decode(mu))


# --8<-- [end:generate]


@torch.no_grad()
def latent_codes(vae: VAE, X: torch.Tensor) -> torch.Tensor:
    """The mean code ``mu`` of each image, shape ``(N, latent_dim)``."""
    return vae.encode(X)[0]


# --------------------------------------------------------------------------
# Figures (drawn at build time by hooks/figures.py; see FIGURES)
# --------------------------------------------------------------------------


def _show_images(axes, images: torch.Tensor) -> None:
    for ax, image in zip(axes, images, strict=True):
        pixels = image.reshape(8, 8).numpy()
        ax.imshow(pixels, cmap="gray_r", vmin=0, vmax=1, interpolation="nearest")
        ax.set_xticks([])
        ax.set_yticks([])


def _first_of_each_digit(y: torch.Tensor) -> list[int]:
    return [int((y == digit).nonzero()[0]) for digit in range(10)]


def draw_reconstructions(out: IO[bytes], lang: str = "en") -> None:
    """Draw ten binarised test digits (top) and their VAE reconstructions (bottom) as SVG."""
    tr = language(lang)
    data = load_digit_images()
    vae = train_vae().vae
    X = binarise(data.X_test[_first_of_each_digit(data.y_test)])
    fig = new_figure(8, 1.9, lang)
    axes = fig.subplots(2, 10)
    _show_images(axes[0], X)
    _show_images(axes[1], reconstruct(vae, X))
    axes[0, 0].set_ylabel(tr("test image"), rotation=0, ha="right", va="center")
    axes[1, 0].set_ylabel(tr("reconstruction"), rotation=0, ha="right", va="center")
    save_svg(fig, out, dpi=150)


def draw_samples(out: IO[bytes], lang: str = "en") -> None:
    """Draw 30 images generated from the prior ``N(0, I)`` as SVG."""
    tr = language(lang)
    vae = train_vae().vae
    fig = new_figure(8, 2.6, lang)
    axes = fig.subplots(3, 10)
    _show_images(axes.ravel(), sample_images(vae, 30))
    fig.suptitle(tr("decoded z ~ N(0, I) (pixel means)"))
    save_svg(fig, out, dpi=150)


def draw_latent_space(out: IO[bytes], lang: str = "en") -> None:
    """Draw the test images' codes coloured by digit (left), decoded grid (right) as SVG."""
    import matplotlib

    tr = language(lang)
    data = load_digit_images()
    vae = train_vae().vae
    codes = latent_codes(vae, binarise(data.X_test)).numpy()
    labels = data.y_test.numpy()
    fig = new_figure(10, 4.6, lang)
    left, right = fig.subplots(1, 2)
    cmap = matplotlib.colormaps["tab10"]
    for digit in range(10):
        points = codes[labels == digit]
        left.scatter(points[:, 0], points[:, 1], s=10, color=cmap(digit), label=str(digit))
        centre = np.median(points, axis=0)
        left.annotate(str(digit), tuple(centre), fontsize=14, weight="bold", ha="center")
    left.set_xlabel("$z_1$")
    left.set_ylabel("$z_2$")
    left.set_title(tr("test images encoded (mean of q(z|x))"))
    left.legend(ncol=5, fontsize=8, loc="lower left", markerscale=1.5)
    # decode an evenly spaced grid of codes over the range the prior covers
    n = 10
    steps = torch.linspace(-2.25, 2.25, n)
    grid = torch.cartesian_prod(steps.flip(0), steps)[:, [1, 0]]  # (z1, z2), top row first
    images = torch.sigmoid(vae.decode(grid)).detach().reshape(n, n, 8, 8)
    images = F.pad(images, (0, 1, 0, 1))  # a blank line between tiles
    mosaic = images.permute(0, 2, 1, 3).reshape(n * 9, n * 9)[:-1, :-1].numpy()
    half = 2.25 + 2.25 / (n - 1)  # half-width of the area the tiles cover
    right.imshow(
        mosaic,
        cmap="gray_r",
        extent=(-half, half, -half, half),
        vmin=0,
        vmax=1,
        interpolation="nearest",
    )
    right.set_xlabel("$z_1$")
    right.set_ylabel("$z_2$")
    right.set_title(tr("decoded grid of codes z"))
    save_svg(fig, out, dpi=150)


FIGURES = {
    "vae-reconstructions.svg": draw_reconstructions,
    "vae-samples.svg": draw_samples,
    "vae-latent-space.svg": draw_latent_space,
}
