"""The VAE on the digit images, and the claims the generative-models chapter makes."""

import io
import math

import pytest
import torch
from sklearn.neighbors import KNeighborsClassifier

from snippets import vae as V
from snippets.data import load_digit_images


@pytest.fixture(scope="module")
def data():
    return load_digit_images()


@pytest.fixture(scope="module")
def binary(data):
    """The binarised train and test images the VAE is trained and tested on."""
    return V.binarise(data.X_train), V.binarise(data.X_test)


@pytest.fixture(scope="module")
def trained():
    return V.train_vae()


def test_the_bernoulli_is_a_distribution_over_0_and_1_only():
    # the page's point: over the 17 grey levels the Bernoulli formula is no distribution
    def bernoulli(x, p):
        return p**x * (1 - p) ** (1 - x)

    for p in (0.1, 0.3, 0.5, 0.9):
        assert sum(bernoulli(x, p) for x in (0, 1)) == pytest.approx(1.0)
        assert sum(bernoulli(k / 16, p) for k in range(17)) > 6  # far from 1
    assert sum(bernoulli(k / 16, 0.3) for k in range(17)) == pytest.approx(8.055, abs=1e-3)


def test_binarise_keeps_ink_and_paper(data):
    assert len(torch.unique(data.X_train)) == 17  # the grey levels 0, 1/16, ..., 1
    X = V.binarise(data.X_test)
    assert torch.unique(X).tolist() == [0.0, 1.0]
    assert torch.equal(X, (data.X_test * 16 >= 8).float())  # at least 8 of 16: ink
    assert 0.25 < X.mean().item() < 0.4  # about a third of the pixels are ink


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


def test_reconstruction_term_is_the_bernoulli_negative_log_likelihood(binary):
    vae = V.VAE()
    X = binary[1][:8]
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


def _squared_error(images, X):
    return ((images - X) ** 2).sum(dim=(1, 2, 3)).mean().item()


def test_reconstructions_beat_the_mean_image(binary, trained):
    X_train, X_test = binary
    vae_error = _squared_error(V.reconstruct(trained.vae, X_test), X_test)
    mean_error = _squared_error(X_train.mean(dim=0), X_test)
    assert vae_error == pytest.approx(4.77, abs=0.3)  # the page shows (4.77, 8.48)
    assert mean_error == pytest.approx(8.48, abs=0.01)  # no training involved
    assert vae_error < 0.7 * mean_error


def test_an_untrained_vae_fails_the_reconstruction_check(binary):
    # the check above is not vacuous: random weights do not pass it
    X_train, X_test = binary
    torch.manual_seed(0)
    untrained = V.VAE()
    error = _squared_error(V.reconstruct(untrained, X_test), X_test)
    assert error > 0.7 * _squared_error(X_train.mean(dim=0), X_test)


def _knn_accuracy(vae, binary, data) -> float:
    X_train, X_test = binary
    train_codes = V.latent_codes(vae, X_train).numpy()
    test_codes = V.latent_codes(vae, X_test).numpy()
    knn = KNeighborsClassifier(n_neighbors=5).fit(train_codes, data.y_train.numpy())
    return knn.score(test_codes, data.y_test.numpy())


def test_latent_codes_separate_the_digits_but_not_reliably(binary, data, trained):
    # the page: 0.764, "far better than chance, but about one image in four" is wrong
    accuracy = _knn_accuracy(trained.vae, binary, data)
    assert accuracy == pytest.approx(0.764, abs=0.05)
    assert 0.6 < accuracy < 0.9
    # shuffled labels (a broken input) give chance-level accuracy
    X_train, X_test = binary
    train_codes = V.latent_codes(trained.vae, X_train).numpy()
    test_codes = V.latent_codes(trained.vae, X_test).numpy()
    shuffled = data.y_train[
        torch.randperm(len(data.y_train), generator=torch.Generator().manual_seed(0))
    ]
    knn_shuffled = KNeighborsClassifier(n_neighbors=5).fit(train_codes, shuffled.numpy())
    assert knn_shuffled.score(test_codes, data.y_test.numpy()) < 0.3


def test_a_second_seed_tells_the_same_story(binary, data):
    # one seed is one model: the claims must not hinge on it
    other = V.train_vae(seed=1).vae
    accuracy = _knn_accuracy(other, binary, data)
    assert 0.6 < accuracy < 0.9
    exact = V.log_likelihood_on_grid(other, binary[1])
    w = V.log_weights(other, binary[1], num_samples=1000)
    assert (w.mean(dim=0) <= exact).all()  # with fewer draws, noise can cross a tiny gap
    bounds = [V.iwae_bound(w[:K]).mean().item() for K in (1, 10, 100, 1000)]
    assert bounds == sorted(bounds) and bounds[-1] < exact.mean().item()


def test_samples_are_images_and_blurrier_than_real_digits(binary, trained):
    images = V.sample_images(trained.vae, 450)
    assert images.shape == (450, 1, 8, 8)
    assert 0.0 <= images.min() and images.max() <= 1.0

    def grey_fraction(x):
        return ((x > 0.25) & (x < 0.75)).float().mean().item()

    assert grey_fraction(binary[1]) == 0.0  # binarised: ink or paper, never grey
    assert grey_fraction(images) == pytest.approx(0.2, abs=0.05)  # one pixel in five
    assert grey_fraction(V.reconstruct(trained.vae, binary[1])) > 0.1


def test_rate_is_a_few_bits(binary, trained):
    # the page says "at most about 5.1 bits per image", more than log2(10)
    with torch.no_grad():
        rate_bits = V.gaussian_kl(*trained.vae.encode(binary[1])).mean().item() / math.log(2)
    assert rate_bits == pytest.approx(5.1, abs=0.5)
    assert rate_bits > math.log2(10)


def _log_likelihood_image_by_image(vae: V.VAE, X: torch.Tensor) -> torch.Tensor:
    """log p(x) on the same grid, written the slow, obvious way (one image at a time)."""
    grid = torch.linspace(-6.0, 6.0, 241)
    step = (grid[1] - grid[0]).item()
    z = torch.cartesian_prod(grid, grid)
    with torch.no_grad():
        logits = vae.decode(z).flatten(1)
    log_p_z = torch.distributions.Normal(0.0, 1.0).log_prob(z).sum(dim=1)
    values = []
    for x in X.flatten(1):
        log_p_x_given_z = torch.distributions.Bernoulli(logits=logits).log_prob(x).sum(dim=1)
        values.append(torch.logsumexp(log_p_x_given_z + log_p_z, dim=0) + 2 * math.log(step))
    return torch.stack(values)


def test_grid_log_likelihood_is_right_and_converged(binary, trained):
    X = binary[1][:20]
    on_grid = V.log_likelihood_on_grid(trained.vae, X)
    assert torch.allclose(on_grid, _log_likelihood_image_by_image(trained.vae, X), atol=1e-3)
    finer = V.log_likelihood_on_grid(trained.vae, X, limit=7.0, points=561)
    assert (finer - on_grid).abs().max() < 0.01  # a finer, wider grid: the same value
    assert (on_grid < 0).all()  # a log-probability of a binary image


def test_the_grid_covers_the_prior():
    # the grid sum is log p(x) only if the grid holds (almost) all of the prior's mass
    grid = torch.linspace(-6.0, 6.0, 241)
    z = torch.cartesian_prod(grid, grid)
    cell = (grid[1] - grid[0]).item() ** 2
    mass = torch.distributions.Normal(0.0, 1.0).log_prob(z).sum(dim=1).exp().sum() * cell
    assert mass.item() == pytest.approx(1.0, abs=1e-4)


def test_elbo_and_iwae_lie_below_the_exact_log_likelihood(binary, trained):
    X = binary[1]
    exact = V.log_likelihood_on_grid(trained.vae, X)
    w = V.log_weights(trained.vae, X, num_samples=1000)
    assert w.shape == (1000, 450)
    elbo = w.mean(dim=0)
    assert (elbo <= exact).all()  # the page: share 1.0
    assert exact.mean().item() == pytest.approx(-18.64, abs=0.5)
    bounds = [V.iwae_bound(w[:K]).mean().item() for K in (1, 10, 100, 1000)]
    assert bounds == sorted(bounds)  # rises with K
    assert bounds[-1] < exact.mean().item()  # and stays below log p(x) on average
    assert exact.mean().item() - bounds[-1] < 0.2  # close to it at K = 1000
    assert exact.mean().item() - bounds[0] > 0.5  # the ELBO is clearly looser
    # image by image, a single IWAE-1000 estimate often lands above log p(x)
    share_below = (V.iwae_bound(w) <= exact).float().mean().item()
    assert 0.4 < share_below < 0.8


def test_a_broken_estimate_fails_the_check(binary, trained):
    # the check can fail: the mistakes the page names put the "ELBO" above log p(x)
    X = binary[1][:50]
    exact = V.log_likelihood_on_grid(trained.vae, X)
    w = V.log_weights(trained.vae, X, num_samples=100, seed=0)
    with torch.no_grad():
        mu, logvar = trained.vae.encode(X)
    # the same draws as log_weights makes (same seed, same order)
    eps = torch.randn((100, *mu.shape), generator=torch.Generator().manual_seed(0))
    z = mu + torch.exp(0.5 * logvar) * eps
    log_p_z = torch.distributions.Normal(0.0, 1.0).log_prob(z).sum(dim=2)
    wrong_sign = w - logvar.sum(dim=1)  # log q with +0.5 * logvar instead of -0.5 * logvar
    forgotten_prior = w - log_p_z  # no log p(z) term
    assert (w.mean(dim=0) <= exact).all()  # the right estimate passes
    for broken in (wrong_sign, forgotten_prior):
        assert (broken.mean(dim=0) > exact).float().mean().item() > 0.75  # most images


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_figures_draw_in_both_languages(lang, trained):
    for draw in V.FIGURES.values():
        out = io.BytesIO()
        draw(out, lang)  # fails on a missing words entry or a missing glyph
        assert b"<svg" in out.getvalue()
