"""Unit tests of snippets/augmentation.py and of the claims of the augmentation chapter."""

from __future__ import annotations

import io

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from snippets.augmentation import (
    FIGURES,
    PERMUTATION,
    accuracy_per_digit,
    add_noise,
    augment,
    augmentation_study,
    digit_cnn,
    digit_mlp,
    few_shot_cnn,
    few_shot_subset,
    fit_augmented,
    flip_horizontal,
    jigsaw,
    predict,
    random_crop,
    random_swap,
    reference_cnn,
    relabel_first_layer,
    rotate,
    shuffle_pixels,
    shuffle_study,
    torch_threads,
)
from snippets.data import load_digit_images
from snippets.training import accuracy


@pytest.fixture(scope="module")
def data():
    return load_digit_images()


@pytest.fixture(scope="module")
def images(data):
    return data.X_test[:16]


# --------------------------------------------------------------------------
# transformations
# --------------------------------------------------------------------------


def test_rotate_by_zero_is_identity(images):
    assert torch.equal(rotate(images, 0), images)


@pytest.mark.parametrize("quarter_turns", [1, 2, 3])
def test_rotate_by_multiples_of_90_matches_rot90(images, quarter_turns):
    expected = torch.rot90(images, quarter_turns, dims=(-2, -1))
    assert torch.allclose(rotate(images, 90 * quarter_turns), expected, atol=1e-5)


def test_rotate_is_counter_clockwise():
    X = torch.zeros(1, 1, 3, 3)
    X[0, 0, 1, 2] = 1.0  # right of the centre
    rotated = rotate(X, 90)[0, 0]
    assert rotated[0, 1] > 0.99  # above the centre
    assert rotate(X, -90)[0, 0][2, 1] > 0.99  # below the centre


def test_rotate_accepts_one_angle_per_image(images):
    degrees = torch.tensor([0.0, 90.0] * 8)
    rotated = rotate(images, degrees)
    assert torch.equal(rotated[0], images[0])
    assert torch.allclose(rotated[1], torch.rot90(images[1], 1, dims=(-2, -1)), atol=1e-5)


def test_small_rotation_changes_the_image_but_keeps_the_shape(images):
    rotated = rotate(images, 10)
    assert rotated.shape == images.shape
    assert not torch.allclose(rotated, images)
    assert rotated.min() >= 0 and rotated.max() <= 1 + 1e-6


def test_random_crop_is_a_shift_within_the_padding(images):
    generator = torch.Generator().manual_seed(0)
    cropped = random_crop(images, 1, generator)
    padded = F.pad(images, (1, 1, 1, 1))
    for image, crop in zip(padded, cropped, strict=True):
        windows = [image[:, r : r + 8, c : c + 8] for r in range(3) for c in range(3)]
        assert any(torch.equal(crop, window) for window in windows)


def test_random_crop_with_zero_padding_is_identity(images):
    assert torch.equal(random_crop(images, 0, torch.Generator().manual_seed(0)), images)


def test_random_crop_draws_several_shifts(images):
    cropped = random_crop(images, 1, torch.Generator().manual_seed(0))
    unchanged = [torch.equal(a, b) for a, b in zip(cropped, images, strict=True)]
    assert 0 < sum(unchanged) < len(images)  # about 1 in 9 keep their place


def test_flip_mirrors_columns(images):
    flipped = flip_horizontal(images)
    assert torch.equal(flipped[..., 0], images[..., -1])
    assert torch.equal(flip_horizontal(flipped), images)


def test_noise_stays_in_range_and_has_the_requested_size():
    X = torch.full((200, 1, 8, 8), 0.5)
    noisy = add_noise(X, 0.05, torch.Generator().manual_seed(0))
    assert noisy.min() >= 0 and noisy.max() <= 1
    assert abs((noisy - X).std().item() - 0.05) < 0.005


def test_augment_with_p_zero_changes_nothing(images):
    assert torch.equal(augment(images, torch.Generator().manual_seed(0), p=0.0), images)


def test_augment_changes_about_a_fraction_p(data):
    out = augment(data.X_test, torch.Generator().manual_seed(0), p=0.5)
    changed = (out != data.X_test).flatten(1).any(dim=1).float().mean().item()
    assert 0.4 < changed < 0.6


def test_augment_is_seeded_and_fresh_on_every_call(images):
    first = augment(images, torch.Generator().manual_seed(3))
    again = augment(images, torch.Generator().manual_seed(3))
    assert torch.equal(first, again)
    generator = torch.Generator().manual_seed(3)
    assert not torch.equal(augment(images, generator), augment(images, generator))


def test_augment_with_flip_mirrors_some_images(data):
    X = data.X_test[:200]
    plain = augment(
        X, torch.Generator().manual_seed(0), p=1.0, max_degrees=0, padding=0, noise_std=0
    )
    flipped = augment(
        X, torch.Generator().manual_seed(0), p=1.0, max_degrees=0, padding=0, noise_std=0, flip=True
    )
    assert torch.equal(plain, X)
    mirrored = [torch.equal(f, flip_horizontal(x)) for f, x in zip(flipped, X, strict=True)]
    assert 0.3 < np.mean(mirrored) < 0.7


# --------------------------------------------------------------------------
# training helpers
# --------------------------------------------------------------------------


def test_few_shot_subset_is_balanced_and_from_the_data(data):
    X, y = few_shot_subset(data.X_train, data.y_train, 20, seed=0)
    assert X.shape == (200, 1, 8, 8)
    assert torch.equal(torch.bincount(y), torch.full((10,), 20))
    # every chosen image is a training image with the same label
    flat = data.X_train.flatten(1)
    for image, label in zip(X[:10], y[:10], strict=True):
        matches = (flat == image.flatten()).all(dim=1)
        assert matches.any() and (data.y_train[matches] == label).all()


def test_fit_augmented_lowers_the_loss_and_is_reproducible(data):
    X, y = few_shot_subset(data.X_train, data.y_train, 5, seed=0)
    runs = []
    for _ in range(2):
        torch.manual_seed(0)
        net = digit_cnn()
        with torch_threads(1):
            runs.append(fit_augmented(net, X, y, augment, num_epochs=60, seed=0))
    assert runs[0] == runs[1]
    assert runs[0][-1] < 0.5 * runs[0][0]


def test_torch_threads_restores_the_setting():
    before = torch.get_num_threads()
    with torch_threads(1):
        assert torch.get_num_threads() == 1
    assert torch.get_num_threads() == before


# --------------------------------------------------------------------------
# rearrangements
# --------------------------------------------------------------------------


def test_shuffle_pixels_is_undone_by_the_inverse_permutation(images):
    permutation = torch.randperm(64, generator=torch.Generator().manual_seed(0))
    shuffled = shuffle_pixels(images, permutation)
    assert not torch.equal(shuffled, images)
    assert torch.equal(shuffle_pixels(shuffled, torch.argsort(permutation)), images)


def test_relabelled_mlp_computes_the_same_function(images):
    torch.manual_seed(0)
    mlp = digit_mlp()
    permutation = torch.randperm(64, generator=torch.Generator().manual_seed(0))
    twin = relabel_first_layer(mlp, permutation)
    with torch.no_grad():
        assert torch.allclose(mlp(images), twin(shuffle_pixels(images, permutation)), atol=1e-6)
        # the original is left as it was
        assert not torch.allclose(mlp[1].weight, twin[1].weight)


def test_relabelling_with_the_wrong_permutation_is_caught(images):
    """Broken input: relabel with the inverse permutation and the outputs no longer agree."""
    torch.manual_seed(0)
    mlp = digit_mlp()
    permutation = torch.randperm(64, generator=torch.Generator().manual_seed(0))
    wrong = relabel_first_layer(mlp, torch.argsort(permutation))
    with torch.no_grad():
        assert not torch.allclose(
            mlp(images), wrong(shuffle_pixels(images, permutation)), atol=1e-3
        )


def test_jigsaw_moves_whole_tiles_and_can_be_undone():
    X = torch.arange(64.0).reshape(1, 1, 8, 8)
    order = [2, 0, 3, 1]
    moved = jigsaw(X, order)
    assert torch.equal(moved[0, 0, :4, :4], X[0, 0, 4:, :4])  # place 0 holds tile 2 (bottom left)
    assert torch.equal(jigsaw(moved, np.argsort(order).tolist()), X)
    assert torch.equal(jigsaw(X, [0, 1, 2, 3]), X)


def test_random_swap_keeps_the_words():
    words = "the movie was not good at all".split()
    swapped = random_swap(words, 2, np.random.default_rng(0))
    assert sorted(swapped) == sorted(words)
    assert swapped != words
    assert random_swap(words, 0, np.random.default_rng(0)) == words
    assert words == "the movie was not good at all".split()  # input untouched


# --------------------------------------------------------------------------
# the chapter's claims
# --------------------------------------------------------------------------


def test_reference_cnn_turns_six_into_nine_and_fails_on_mirrored_digits(data):
    net = reference_cnn()
    assert accuracy(net, data.X_test, data.y_test) > 0.95
    sixes = data.X_test[data.y_test == 6]
    assert (predict(net, rotate(sixes, 180)) == 9).float().mean() > 0.9
    assert (predict(net, rotate(sixes, 10)) == 6).float().mean() > 0.9
    flipped = accuracy_per_digit(net, flip_horizontal(data.X_test), data.y_test)
    assert flipped[0] > 0.9
    assert all(flipped[digit] < 0.5 for digit in (2, 3, 5, 7))
    # a 15 degree tilt already costs the un-augmented network
    assert accuracy(net, rotate(data.X_test, 15), data.y_test) < 0.9


def test_augmentation_helps_with_few_training_images():
    results = augmentation_study(seeds=(0, 1, 2))
    gain = results["with"] - results["without"]
    assert (gain > 0).all()  # the page: every seed gains
    assert 0.01 < gain.mean() < 0.035  # the page: 2.1 points on 5 seeds
    perturbed_gain = results["with_perturbed"] - results["without_perturbed"]
    assert (perturbed_gain > 0.2).all()  # the page: about 30 points
    assert (results["without_perturbed"] < 0.5).all()  # fewer than half of the moved digits


def test_few_shot_cnn_is_trained_once_per_setting():
    # the studies call it with all four arguments, so they share the networks
    plain = few_shot_cnn(0, None, 20, 60)
    assert few_shot_cnn(0, None, 20, 60) is plain
    assert few_shot_cnn(0, augment, 20, 60) is not plain
    torch.manual_seed(0)
    assert not torch.equal(digit_cnn()[0].weight, plain[0].weight)  # it was trained


def test_shuffled_pixels_leave_the_mlp_unchanged_and_cost_this_cnn_little():
    results = shuffle_study(seeds=(0, 1, 2))
    # the MLP: the same accuracy on every seed, to the last test image
    assert np.abs(results["mlp"] - results["mlp_shuffled"]).max() < 0.005
    # the CNN: a small cost (the page: -0.2 to 2.2 points on 5 seeds), and on the
    # original pixels it is no better than the MLP
    cost = results["cnn"] - results["cnn_shuffled"]
    assert abs(cost.mean()) < 0.03
    assert results["cnn"].mean() - results["mlp"].mean() < 0.015


def test_shuffle_study_reuses_the_cnn_of_the_augmentation_study():
    assert np.array_equal(
        shuffle_study(seeds=(0,))["cnn"], augmentation_study(seeds=(0,))["without"]
    )


def test_permutation_is_a_permutation_of_the_64_pixels():
    assert sorted(PERMUTATION.tolist()) == list(range(64))
    assert not torch.equal(PERMUTATION, torch.arange(64))


# --------------------------------------------------------------------------
# figures
# --------------------------------------------------------------------------


@pytest.mark.parametrize("lang", ["ko", "en"])
@pytest.mark.parametrize("name", ["augmentation-examples.svg", "augmentation-label-changes.svg"])
def test_fast_figures_are_deterministic_svg(name, lang):
    outputs = []
    for _ in range(2):
        buffer = io.BytesIO()
        FIGURES[name](buffer, lang)
        outputs.append(buffer.getvalue())
    assert outputs[0].startswith(b"<?xml")
    assert outputs[0] == outputs[1]


def test_korean_figure_differs_from_the_english_one():
    svgs = {}
    for lang in ["ko", "en"]:
        buffer = io.BytesIO()
        FIGURES["augmentation-examples.svg"](buffer, lang)
        svgs[lang] = buffer.getvalue()
    assert svgs["ko"] != svgs["en"]
    assert "좌우 반전".encode() in svgs["ko"] and b"horizontal flip" in svgs["en"]


def test_every_figure_name_carries_the_module_prefix():
    assert FIGURES and all(name.startswith("augmentation-") for name in FIGURES)
