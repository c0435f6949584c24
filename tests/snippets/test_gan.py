"""The GAN on a ring of 8 Gaussians, and the claims the generative-models chapter makes."""

import io
import math

import pytest
import torch

from snippets import gan
from snippets.plotting import translate


def real_samples(seed: int = 0, n: int = 1000) -> torch.Tensor:
    return gan.sample_ring(n, torch.Generator().manual_seed(seed))


def test_ring_centres_lie_evenly_on_the_circle():
    centres = gan.ring_centres()
    assert centres.shape == (gan.NUM_MODES, 2)
    assert torch.allclose(centres.norm(dim=1), torch.full((8,), gan.RING_RADIUS))
    gaps = (centres - centres.roll(1, dims=0)).norm(dim=1)  # neighbouring centres
    assert torch.allclose(gaps, gaps[0].expand(8))
    assert gaps[0] == pytest.approx(2 * gan.RING_RADIUS * math.sin(math.pi / 8), abs=1e-6)


def test_real_data_is_seeded_and_covers_every_mode():
    assert torch.equal(real_samples(seed=3), real_samples(seed=3))
    assert not torch.equal(real_samples(seed=3), real_samples(seed=4))
    X = real_samples()
    assert gan.modes_covered(X) == 8
    assert gan.fraction_near_a_mode(X) > 0.99
    assert gan.mode_counts(X).sum() <= len(X)


def test_mode_measures_reject_collapsed_or_wrong_samples():
    # deliberately bad "generators": the checks must fail on them
    one_mode = gan.ring_centres()[:1].repeat(1000, 1)
    assert gan.modes_covered(one_mode) == 1
    assert gan.fraction_near_a_mode(one_mode) == 1.0  # high "quality", no diversity
    at_origin = torch.zeros(1000, 2)
    assert gan.modes_covered(at_origin) == 0
    assert gan.fraction_near_a_mode(at_origin) == 0.0
    too_few = gan.ring_centres().repeat(10, 1)  # 10 per mode, below min_count=20
    assert gan.modes_covered(too_few) == 0
    assert gan.modes_covered(too_few, min_count=10) == 8


def test_discriminator_loss_is_log_4_at_the_equilibrium():
    logits = torch.zeros(16, 1)
    assert gan.discriminator_loss(logits, logits).item() == pytest.approx(math.log(4))


def test_losses_match_their_formulas():
    real, fake = torch.randn(32, 1), torch.randn(32, 1)
    d_real, d_fake = torch.sigmoid(real), torch.sigmoid(fake)
    expected_d = -(torch.log(d_real).mean() + torch.log(1 - d_fake).mean())
    assert gan.discriminator_loss(real, fake).item() == pytest.approx(expected_d.item(), rel=1e-5)
    expected_minimax = torch.log(1 - d_fake).mean()
    assert gan.generator_loss_minimax(fake).item() == pytest.approx(
        expected_minimax.item(), rel=1e-5
    )
    expected_ns = -torch.log(d_fake).mean()
    assert gan.generator_loss_non_saturating(fake).item() == pytest.approx(
        expected_ns.item(), rel=1e-5
    )


def test_minimax_loss_saturates_where_non_saturating_does_not():
    gradients = {}
    for name, loss in [
        ("minimax", gan.generator_loss_minimax),
        ("non-saturating", gan.generator_loss_non_saturating),
    ]:
        logit = torch.tensor([-5.0], requires_grad=True)
        loss(logit).backward()
        gradients[name] = logit.grad.item()
    assert gradients["minimax"] == pytest.approx(-torch.sigmoid(torch.tensor(-5.0)).item())
    assert gradients["non-saturating"] == pytest.approx(-torch.sigmoid(torch.tensor(5.0)).item())
    assert abs(gradients["non-saturating"] / gradients["minimax"]) == pytest.approx(math.exp(5))


def test_models_have_the_right_shapes():
    z = torch.randn(7, gan.NOISE_DIM)
    assert gan.make_generator()(z).shape == (7, 2)
    assert gan.make_discriminator()(torch.randn(7, 2)).shape == (7, 1)


def test_one_thread_restores_the_thread_count():
    before = torch.get_num_threads()
    with gan.one_thread():
        assert torch.get_num_threads() == 1
    assert torch.get_num_threads() == before


def test_training_is_deterministic():
    train = gan.train_gan.__wrapped__  # bypass the cache: two real runs
    first, second = train(num_steps=30), train(num_steps=30)
    assert torch.equal(first.snapshots[0], second.snapshots[0])
    assert first.d_losses == second.d_losses
    assert len(first.d_losses) == len(first.g_losses) == 30


def test_trained_gan_covers_the_ring():
    # the page's claim: modes_covered >= 6, and most samples near a mode
    run = gan.train_gan()
    samples = run.snapshots[2000]
    assert samples.shape == (1000, 2)
    assert gan.modes_covered(samples) >= 6
    assert gan.fraction_near_a_mode(samples) > 0.6
    assert gan.modes_covered(run.snapshots[0]) == 0  # it started far from the data
    assert set(run.snapshots) == set(gan.SNAPSHOT_STEPS)


def test_claim_holds_for_another_seed():
    samples = gan.train_gan(seed=1).snapshots[2000]
    assert gan.modes_covered(samples) >= 6
    assert gan.fraction_near_a_mode(samples) > 0.6


def test_slow_discriminator_collapses_the_generator():
    collapsed = gan.train_gan(d_lr=2e-4)
    late = [gan.modes_covered(collapsed.snapshots[s]) for s in (500, 1000, 1500, 2000)]
    assert max(late) <= 2
    healthy = gan.modes_covered(gan.train_gan().snapshots[2000])
    assert healthy >= max(late) + 4
    # collapsed samples bunch together: far smaller spread than the real ring
    spread = collapsed.snapshots[2000].std(dim=0).norm()
    assert spread < 0.5 * real_samples().std(dim=0).norm()


def test_figure_titles_are_in_the_reader_language():
    # the Korean page tells the reader to look for "모드" in these titles
    title = "step {step}: {found}/8 modes"
    assert translate(title, "en", step=500, found=7) == "step 500: 7/8 modes"
    assert translate(title, "ko", step=500, found=7) == "500단계: 모드 8개 중 7개"


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_figures_draw_in_both_languages(lang):
    for draw in gan.FIGURES.values():
        out = io.BytesIO()
        draw(out, lang)  # fails on a missing words entry or a missing glyph
        assert b"<svg" in out.getvalue()
