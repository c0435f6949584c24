"""Unit tests of snippets/transfer.py, including the claims the chapter page makes.

The expensive results (pretrained weights, accuracies) are cached inside the
module, so the claim tests below share one set of training runs.
"""

from __future__ import annotations

import pytest
import torch

from snippets.data import load_digit_images
from snippets.training import accuracy
from snippets.transfer import (
    METHODS,
    SHOTS,
    SOURCE_DIGITS,
    SOURCES,
    TARGET_DIGITS,
    _target_accuracy,
    digit_tasks,
    few_shot,
    mean_accuracy,
    nearest_centroid_accuracy,
    one_thread,
    pretrained_cnn,
    pretrained_weights,
    select_digits,
    small_cnn,
    source_data,
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


# --- the claims of the page --------------------------------------------------


def test_claim_transfer_helps_with_one_image_per_digit():
    assert transfer_gain("frozen", 1) > 0.02
    assert transfer_gain("fine-tune", 1) > 0


def test_claim_no_gain_from_five_images_per_digit_on():
    gains = [transfer_gain(method, k) for method in TRANSFER for k in (5, 10, 50)]
    assert max(gains) < 0.01


def test_claim_gain_shrinks_with_more_target_data():
    for method in TRANSFER:
        assert transfer_gain(method, 1) > transfer_gain(method, 50)
    # and every method learns the task well with 50 images per digit
    assert min(mean_accuracy(method, 50) for method in METHODS) > 0.93


def test_claim_raw_pixels_are_nearly_as_good_as_scratch():
    assert nearest_centroid_accuracy(5) > 0.88
    assert abs(nearest_centroid_accuracy(5) - mean_accuracy("scratch", 5)) < 0.03


def test_claim_random_labels_cause_negative_transfer():
    for method in TRANSFER:
        for k in (1, 5):
            assert transfer_gain(method, k, "random-labels") < -0.02


def test_claim_shuffled_pixels_transfer_as_well_as_digits():
    for method in TRANSFER:
        assert transfer_gain(method, 5, "shuffled-pixels") >= transfer_gain(method, 5)
        assert transfer_gain(method, 1, "shuffled-pixels") > 0


def test_constants_match_the_page():
    assert SHOTS == (1, 5, 10, 50)
    assert SOURCES == ("digits", "shuffled-pixels", "random-labels")
    assert METHODS == ("scratch", "frozen", "fine-tune")
