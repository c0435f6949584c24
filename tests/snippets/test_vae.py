"""The VAE on the digit images, and the claims the generative-models chapter makes."""

import math

import pytest
import torch
import torch.nn.functional as F
from sklearn.neighbors import KNeighborsClassifier

from snippets import vae as V
from snippets.data import load_digit_images


@pytest.fixture(scope="module")
def data():
    return load_digit_images()


@pytest.fixture(scope="module")
def trained():
    return V.train_vae()


def test_encoder_and_decoder_shapes(data):
    vae = V.VAE(latent_dim=3)
    mu, logvar = vae.encode(data.X_test[:5])
    assert mu.shape == logvar.shape == (5, 3)
    assert vae.decode(mu).shape == (5, 1, 8, 8)


def test_reparameterised_samples_have_the_right_mean_and_spread():
    mu = torch.tensor([[1.0, -2.0]]).expand(20000, 2)
    logvar = torch.log(torch.tensor([[0.25, 4.0]])).expand(20000, 2)
    z = V.reparameterise(mu, logvar, torch.Generator().manual_seed(0))
    assert torch.allclose(z.mean(dim=0), torch.tensor([1.0, -2.0]), atol=0.05)
    assert torch.allclose(z.std(dim=0), torch.tensor([0.5, 2.0]), atol=0.05)


def test_gradients_flow_through_the_reparameterisation():
    mu = torch.tensor([0.5, -1.0], requires_grad=True)
    logvar = torch.tensor([0.3, -0.7], requires_grad=True)
    z = V.reparameterise(mu, logvar, torch.Generator().manual_seed(0))
    z.sum().backward()
    sigma = torch.exp(0.5 * logvar.detach())
    eps = (z.detach() - mu.detach()) / sigma
    assert torch.equal(mu.grad, torch.ones(2))
    assert torch.allclose(logvar.grad, 0.5 * sigma * eps)  # dz/dlogvar = sigma * eps / 2


def test_closed_form_kl_matches_pytorch():
    generator = torch.Generator().manual_seed(0)
    mu = torch.randn(50, 4, generator=generator)
    logvar = torch.randn(50, 4, generator=generator)
    q = torch.distributions.Normal(mu, torch.exp(0.5 * logvar))
    prior = torch.distributions.Normal(torch.zeros(50, 4), torch.ones(50, 4))
    expected = torch.distributions.kl_divergence(q, prior).sum(dim=1)
    assert torch.allclose(V.gaussian_kl(mu, logvar), expected, atol=1e-5)
    assert (V.gaussian_kl(mu, logvar) > 0).all()


def test_kl_is_zero_only_at_the_prior():
    zeros = torch.zeros(1, 2)
    assert V.gaussian_kl(zeros, zeros).item() == 0.0
    # a wrong code (shifted mean, wrong variance) is penalised
    assert V.gaussian_kl(torch.ones(1, 2), zeros).item() == pytest.approx(1.0)
    assert V.gaussian_kl(zeros, torch.full((1, 2), math.log(4.0))).item() > 0.5


def test_reconstruction_term_is_the_bernoulli_negative_log_likelihood(data):
    vae = V.VAE()
    X = data.X_test[:8]
    reconstruction, kl = V.elbo_terms(vae, X, torch.Generator().manual_seed(1))
    # same noise again, computed by hand
    mu, logvar = vae.encode(X)
    z = V.reparameterise(mu, logvar, torch.Generator().manual_seed(1))
    p = torch.sigmoid(vae.decode(z))
    by_hand = -(X * torch.log(p) + (1 - X) * torch.log(1 - p)).sum(dim=(1, 2, 3))
    assert torch.allclose(reconstruction, by_hand, atol=1e-4)
    assert torch.allclose(kl, V.gaussian_kl(mu, logvar))
    assert V.negative_elbo(vae, X).item() > 0


def test_training_lowers_the_loss(trained):
    assert len(trained.losses) == 100
    assert trained.losses[-1] < 0.8 * trained.losses[0]


def test_reconstructions_beat_the_mean_image(data, trained):
    def error(images):
        return ((images - data.X_test) ** 2).sum(dim=(1, 2, 3)).mean().item()

    mean_error = error(data.X_train.mean(dim=0))
    assert error(V.reconstruct(trained.vae, data.X_test)) < 0.7 * mean_error


def test_an_untrained_vae_fails_the_reconstruction_check(data):
    # the check above is not vacuous: random weights do not pass it
    torch.manual_seed(0)
    untrained = V.VAE()
    mean_error = ((data.X_train.mean(dim=0) - data.X_test) ** 2).sum(dim=(1, 2, 3)).mean()
    error = ((V.reconstruct(untrained, data.X_test) - data.X_test) ** 2).sum(dim=(1, 2, 3)).mean()
    assert error > 0.7 * mean_error


def test_latent_codes_separate_the_digits(data, trained):
    train_codes = V.latent_codes(trained.vae, data.X_train).numpy()
    test_codes = V.latent_codes(trained.vae, data.X_test).numpy()
    knn = KNeighborsClassifier(n_neighbors=5).fit(train_codes, data.y_train.numpy())
    assert knn.score(test_codes, data.y_test.numpy()) > 0.6
    # shuffled labels (a broken input) give chance-level accuracy
    shuffled = data.y_train[
        torch.randperm(len(data.y_train), generator=torch.Generator().manual_seed(0))
    ]
    knn_shuffled = KNeighborsClassifier(n_neighbors=5).fit(train_codes, shuffled.numpy())
    assert knn_shuffled.score(test_codes, data.y_test.numpy()) < 0.3


def test_samples_are_images_and_blurrier_than_real_digits(data, trained):
    images = V.sample_images(trained.vae, 450)
    assert images.shape == (450, 1, 8, 8)
    assert 0.0 <= images.min() and images.max() <= 1.0

    def grey_fraction(x):
        return ((x > 0.25) & (x < 0.75)).float().mean().item()

    assert grey_fraction(images) > 1.5 * grey_fraction(data.X_test)


def test_rate_is_a_few_bits(data, trained):
    # the page says "about 3-4 bits per image", close to log2(10)
    with torch.no_grad():
        rate_bits = V.gaussian_kl(*trained.vae.encode(data.X_test)).mean().item() / math.log(2)
    assert 2.5 < rate_bits < 4.5


def _log_likelihood_by_quadrature(vae: V.VAE, X: torch.Tensor) -> torch.Tensor:
    """log p(x) for a 2-D latent space by summing over a fine grid of z."""
    grid = torch.linspace(-6.0, 6.0, 241)
    step = (grid[1] - grid[0]).item()
    z = torch.cartesian_prod(grid, grid)
    with torch.no_grad():
        logits = vae.decode(z).flatten(1)
    log_p_z = (-0.5 * z**2 - 0.5 * math.log(2 * math.pi)).sum(dim=1)
    values = []
    for x in X.flatten(1):
        log_p_x_given_z = -F.binary_cross_entropy_with_logits(
            logits, x.expand_as(logits), reduction="none"
        ).sum(dim=1)
        values.append(torch.logsumexp(log_p_x_given_z + log_p_z, dim=0) + 2 * math.log(step))
    return torch.stack(values)


def test_elbo_is_a_lower_bound_on_the_exact_log_likelihood(data, trained):
    X = data.X_test[:10]
    exact = _log_likelihood_by_quadrature(trained.vae, X)
    w = V.log_weights(trained.vae, X, num_samples=1000)
    elbo = w.mean(dim=0)
    estimate = torch.logsumexp(w, dim=0) - math.log(1000)
    assert w.shape == (1000, 10)
    assert (elbo <= exact).all()
    assert (estimate - exact).abs().max() < 0.5  # importance sampling finds log p(x)
    assert (estimate - exact).abs().mean() < (elbo - exact).abs().mean()
