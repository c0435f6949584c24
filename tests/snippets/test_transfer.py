"""Unit tests of snippets/transfer.py, including the claims the chapter page makes.

The expensive results (pretrained weights, accuracies) are cached inside the
module, so the claim tests below share one set of training runs.
"""

from __future__ import annotations

import io
import math

import numpy as np
import pytest
import torch

from snippets.data import load_digit_images
from snippets.training import accuracy, fit
from snippets.transfer import (
    FIGURES,
    METHODS,
    SEEDS,
    SHOTS,
    SOURCE_DIGITS,
    SOURCES,
    TARGET_DIGITS,
    TARGET_STEPS,
    _target_accuracy,
    accuracies,
    digit_tasks,
    few_shot,
    gain_report,
    mean_accuracy,
    nearest_centroid_accuracy,
    one_thread,
    paired_gains,
    pretrained_cnn,
    pretrained_weights,
    select_digits,
    small_cnn,
    source_data,
    t_interval,
    target_accuracy,
    target_network,
    transfer_gain,
)

TRANSFER = ("frozen", "fine-tune")


# --- data ------------------------------------------------------------------


def test_tasks_split_digits_without_overlap():
    tasks = digit_tasks()
    assert (len(tasks.X_source), len(tasks.X_target), len(tasks.X_test)) == (675, 672, 224)
    for y in (tasks.y_source, tasks.y_target, tasks.y_test):
        assert sorted(y.unique().tolist()) == [0, 1, 2, 3, 4]
    # the target labels 0-4 really are the digits 5-9 of the test split
    data = load_digit_images()
    original = data.y_test[torch.isin(data.y_test, torch.tensor(TARGET_DIGITS))]
    assert torch.equal(original - 5, tasks.y_test)
    assert set(SOURCE_DIGITS).isdisjoint(TARGET_DIGITS)


def test_select_digits_relabels_in_the_given_order():
    X = torch.arange(5.0).reshape(5, 1)
    y = torch.tensor([9, 3, 5, 9, 1])
    X_sel, y_sel = select_digits(X, y, (9, 5))
    assert X_sel.flatten().tolist() == [0.0, 2.0, 3.0]
    assert y_sel.tolist() == [0, 1, 0]


def test_few_shot_draws_k_per_class_reproducibly():
    tasks = digit_tasks()
    X1, y1 = few_shot(tasks.X_target, tasks.y_target, k=10, seed=3)
    X2, y2 = few_shot(tasks.X_target, tasks.y_target, k=10, seed=3)
    X3, _ = few_shot(tasks.X_target, tasks.y_target, k=10, seed=4)
    assert torch.bincount(y1).tolist() == [10] * 5
    assert torch.equal(X1, X2) and torch.equal(y1, y2)
    assert not torch.equal(X1, X3)


def test_few_shot_rejects_more_images_than_a_class_has():
    X, y = torch.zeros(6, 1), torch.tensor([0, 0, 0, 1, 1, 1])
    with pytest.raises(ValueError, match="only 3 examples"):
        few_shot(X, y, k=4)


def test_source_variants_keep_the_images_or_the_labels():
    X, y = source_data("digits")
    X_shuffled, y_shuffled = source_data("shuffled-pixels")
    X_random, y_random = source_data("random-labels")
    # shuffled pixels: same pixel values per image, other positions, true labels
    assert torch.equal(y_shuffled, y)
    assert torch.equal(X_shuffled.flatten(1).sort(dim=1).values, X.flatten(1).sort(dim=1).values)
    assert not torch.equal(X_shuffled, X)
    # random labels: same images, same label counts, labels mostly wrong
    assert torch.equal(X_random, X)
    assert torch.equal(torch.bincount(y_random), torch.bincount(y))
    assert (y_random == y).float().mean() < 0.3


def test_unknown_source_is_rejected():
    with pytest.raises(ValueError, match="unknown source"):
        source_data("imagenet")


# --- model and methods ------------------------------------------------------


def test_small_cnn_shapes_and_parameter_counts():
    net = small_cnn(num_classes=5)
    assert net(torch.zeros(3, 1, 8, 8)).shape == (3, 5)
    assert net.features(torch.zeros(3, 1, 8, 8)).shape == (3, 128)
    assert sum(p.numel() for p in net.features.parameters()) == 4800
    assert sum(p.numel() for p in net.head.parameters()) == 645


def test_pretrained_network_learnt_the_source_task():
    data = load_digit_images()
    X, y = select_digits(data.X_test, data.y_test, SOURCE_DIGITS)
    assert accuracy(pretrained_cnn(), X, y) > 0.95
    # a random network is near chance (5 classes)
    assert accuracy(small_cnn(seed=1), X, y) < 0.4


def test_pretrained_copies_do_not_share_weights():
    net = pretrained_cnn()
    with torch.no_grad():
        for p in net.parameters():
            p.zero_()
    fresh = pretrained_cnn()
    assert not torch.equal(fresh.head.weight, net.head.weight)
    assert torch.equal(fresh.head.weight, pretrained_weights()["head.weight"])


def test_target_network_trains_what_each_method_promises():
    frozen, groups = target_network("frozen")
    trained = {id(p) for group in groups for p in group["params"]}
    assert trained == {id(p) for p in frozen.head.parameters()}
    assert not any(p.requires_grad for p in frozen.features.parameters())
    # the features are the pretrained ones, the head is new
    weights = pretrained_weights()
    assert torch.equal(frozen.features[0].weight, weights["features.0.weight"])
    assert not torch.equal(frozen.head.weight, weights["head.weight"])

    fine, groups = target_network("fine-tune")
    assert [group["lr"] for group in groups] == [1e-3, 1e-2]
    assert all(p.requires_grad for p in fine.parameters())

    scratch, _ = target_network("scratch")
    assert not torch.equal(scratch.features[0].weight, weights["features.0.weight"])


def test_frozen_shortcut_equals_training_through_the_frozen_layers():
    # _target_accuracy trains the head on features computed once; the long way
    # passes every batch through the frozen layers and must give the same accuracy
    tasks = digit_tasks()
    for k, seed in [(1, 3), (50, 0)]:
        X, y = few_shot(tasks.X_target, tasks.y_target, k, seed)
        net, groups = target_network("frozen", seed=seed)
        epochs = math.ceil(TARGET_STEPS / math.ceil(len(X) / 64))  # batches of at most 64
        with one_thread():
            fit(net, X, y, num_epochs=epochs, batch_size=64, seed=seed, params=groups)
        assert accuracy(net, tasks.X_test, tasks.y_test) == target_accuracy("frozen", k, seed)


def test_unknown_method_is_rejected():
    with pytest.raises(ValueError, match="unknown method"):
        target_network("distill")


def test_one_thread_restores_the_setting():
    before = torch.get_num_threads()
    with one_thread():
        assert torch.get_num_threads() == 1
    assert torch.get_num_threads() == before
    with pytest.raises(RuntimeError), one_thread():
        raise RuntimeError("restored even on errors")
    assert torch.get_num_threads() == before


def test_results_are_deterministic_and_scratch_ignores_the_source():
    assert target_accuracy("scratch", 1, 0) == target_accuracy("scratch", 1, 0, "random-labels")
    cached = target_accuracy("frozen", 1, 0)
    recomputed = _target_accuracy.__wrapped__("frozen", 1, 0, "digits")  # bypass the cache
    assert cached == recomputed


# --- the statistics ------------------------------------------------------------


def test_t_interval_matches_the_textbook_formula():
    # n = 4, mean 2.5, sample sd sqrt(5/3); t(0.975, df=3) = 3.182
    mean, low, high = t_interval([1.0, 2.0, 3.0, 4.0])
    half = 3.182446 * np.sqrt(5 / 3) / 2
    assert mean == pytest.approx(2.5)
    assert (low, high) == pytest.approx((2.5 - half, 2.5 + half), abs=1e-5)
    # a wider confidence gives a wider interval; identical values give a point
    assert t_interval([1.0, 2.0, 3.0, 4.0], 0.99).low < low
    assert tuple(t_interval([3.0, 3.0, 3.0])) == (3.0, 3.0, 3.0)


def test_paired_gains_are_per_seed_differences_on_the_same_images():
    gains = paired_gains("frozen", 1)
    assert gains.shape == (len(SEEDS),)
    expected = [target_accuracy("frozen", 1, s) - target_accuracy("scratch", 1, s) for s in SEEDS]
    assert gains.tolist() == pytest.approx(expected)
    assert transfer_gain("frozen", 1) == pytest.approx(gains.mean())
    assert mean_accuracy("frozen", 1) == pytest.approx(accuracies("frozen", 1).mean())


def test_gain_report_prints_the_values_it_summarises():
    report = gain_report("frozen", 5)
    per_seed, summary = report.split(" | ")
    assert len(per_seed.split()) == len(SEEDS)
    mean, low, high = t_interval(100 * paired_gains("frozen", 5))
    assert summary == f"mean {mean:+.1f}, 95% CI [{low:+.1f}, {high:+.1f}]"


# --- the claims of the page --------------------------------------------------
# Tolerances: accuracies are multiples of 1/224 (0.45 points); a claim that an
# interval contains or excludes zero is tested with that margin where it holds.


def interval(method, k, source="digits"):
    return t_interval(paired_gains(method, k, source))


def test_claim_no_reliable_difference_with_one_image_per_digit():
    for method in TRANSFER:
        mean, low, high = interval(method, 1)
        assert low < -0.01 and high > 0.05  # contains zero with room to spare
        assert 0 < mean < 0.05  # a positive mean that the interval does not support
        gains = paired_gains(method, 1)
        assert gains.min() < -0.05 and gains.max() > 0.10  # seeds disagree in sign and size


def test_claim_five_seeds_would_have_suggested_a_gain():
    mean, low, high = t_interval(paired_gains("frozen", 1, seeds=SEEDS[:5]))
    assert mean > 0.04
    assert low < -0.02 and high > 0.10


def test_claim_no_reliable_difference_with_five_images_per_digit():
    for method in TRANSFER:
        mean, low, high = interval(method, 5)
        assert mean < 0
        assert low < 0 < high  # contains zero
        assert high < 0.01  # a gain of one point or more lies outside


def test_claim_transfer_is_slightly_worse_with_fifty_images_per_digit():
    for method in TRANSFER:
        mean, _, high = interval(method, 50)
        assert high < 0  # the whole interval below zero
        assert -0.025 < mean < -0.005  # by one to two points
    assert min(mean_accuracy(method, 50) for method in METHODS) > 0.95


def test_claim_seed_spread_shrinks_with_more_target_data():
    spread = [paired_gains("frozen", k).std(ddof=1) for k in SHOTS]
    assert spread == sorted(spread, reverse=True)
    assert spread[0] > 5 * spread[-1]


def test_claim_raw_pixels_are_within_a_point_of_scratch():
    assert nearest_centroid_accuracy(5) > 0.88
    assert abs(nearest_centroid_accuracy(5) - mean_accuracy("scratch", 5)) < 0.01


def test_claim_source_networks_learnt_their_source_task():
    X, y = source_data("shuffled-pixels")
    assert accuracy(pretrained_cnn("shuffled-pixels"), X, y) > 0.99
    X, y = source_data("random-labels")
    assert 0.3 < accuracy(pretrained_cnn("random-labels"), X, y) < 0.6  # chance is 0.2


def test_claim_random_labels_cause_negative_transfer():
    for k in (1, 5):
        _, _, high = interval("frozen", k, "random-labels")
        assert high < -0.02


def test_claim_shuffled_pixels_transfer_no_worse_than_digits():
    # k = 5: neither source differs reliably from scratch
    for source in ("digits", "shuffled-pixels"):
        _, low, high = interval("frozen", 5, source)
        assert low < 0 < high
    # k = 1: the shuffled source's interval only just excludes zero, the digits' does not
    _, low, _ = interval("frozen", 1, "shuffled-pixels")
    assert 0 < low < 0.02
    assert interval("frozen", 1).low < 0


def test_figures_draw_in_both_languages():
    assert set(FIGURES) == {"transfer-shots.svg", "transfer-sources.svg"}
    for draw in FIGURES.values():
        for lang in ("ko", "en"):
            out = io.BytesIO()
            draw(out, lang)
            assert out.getvalue().startswith(b"<?xml")


def test_constants_match_the_page():
    assert SHOTS == (1, 5, 50)
    assert SEEDS == tuple(range(10))
    assert SOURCES == ("digits", "shuffled-pixels", "random-labels")
    assert METHODS == ("scratch", "frozen", "fine-tune")
