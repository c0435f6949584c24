"""Losses, optimisers, initialisation, regularisation: the claims of the learning chapter."""

import math

import numpy as np
import pytest
import torch
from torch import nn

from snippets import learning as lrn


def test_naive_softmax_overflows_and_stable_one_does_not():
    z = np.array([1000.0, 1001.0, 1002.0])
    with np.errstate(all="ignore"):
        assert np.isnan(lrn.softmax_naive(z)).all()
    with np.errstate(all="raise"):
        p = lrn.softmax(z)
    assert p.sum() == pytest.approx(1.0)
    assert np.allclose(p, lrn.softmax_naive(z - 1000.0))  # shifting the logits changes nothing


@pytest.mark.parametrize("scale", [1.0, 3.0, 1000.0])
def test_cross_entropy_matches_pytorch(scale):
    rng = np.random.default_rng(1)
    logits = rng.normal(size=(16, 10)) * scale
    labels = rng.integers(0, 10, size=16)
    expected = nn.CrossEntropyLoss()(torch.from_numpy(logits), torch.from_numpy(labels)).item()
    assert lrn.cross_entropy(logits, labels) == pytest.approx(expected, rel=1e-12)


def test_a_wrong_cross_entropy_is_caught():
    # the check above is not vacuous: forgetting the log-softmax (using raw logits) fails it
    rng = np.random.default_rng(1)
    logits, labels = rng.normal(size=(16, 10)), rng.integers(0, 10, size=16)
    wrong = float(-logits[np.arange(16), labels].mean())
    expected = nn.CrossEntropyLoss()(torch.from_numpy(logits), torch.from_numpy(labels)).item()
    assert wrong != pytest.approx(expected, rel=1e-3)


def test_untrained_network_loss_is_near_log_10():
    from snippets.data import load_digit_images

    data = load_digit_images()
    loss = lrn.mean_loss(lrn.digit_mlp(), data.X_train, data.y_train)
    assert loss == pytest.approx(math.log(10), abs=0.05)


def test_learning_rate_above_the_limit_diverges_and_below_converges():
    X, y = lrn.regression_problem()
    limit = lrn.largest_stable_lr(X)
    lowest = lrn.gradient_descent(X, y, 0.5 * limit, steps=200)[-1]
    w, *_ = np.linalg.lstsq(X.numpy(), y.numpy(), rcond=None)
    assert lowest == pytest.approx(float(((X.numpy() @ w - y.numpy()) ** 2).mean()), rel=1e-6)
    too_small = lrn.gradient_descent(X, y, 0.1 * limit)
    assert too_small[-1] > 2 * lowest  # still far after 50 steps
    too_large = lrn.gradient_descent(X, y, 1.05 * limit)
    assert too_large[-1] > 1e3 * too_large[0]
    assert np.all(np.diff(too_large[5:]) > 0)  # grows at every step


def test_minibatch_gradient_noise_shrinks_like_one_over_sqrt_batch():
    noise = lrn.gradient_noise(batch_sizes=(8, 32, 128), draws=20)
    ratios = [noise[8] / noise[32], noise[32] / noise[128]]
    assert all(1.6 < r < 2.6 for r in ratios)  # 4x the batch: about half the noise


def test_hand_written_optimisers_equal_pytorch():
    for kind in ["momentum", "adam"]:
        moved, difference = lrn.compare_with_torch(kind, steps=50)
        assert moved > 0.05
        assert difference < 1e-12


def test_adam_without_bias_correction_is_caught():
    moved, difference = lrn.compare_with_torch("adam", steps=50, bias_correction=False)
    assert difference > 0.1 * moved


def test_unknown_optimiser_is_rejected():
    with pytest.raises(ValueError, match="unknown optimiser"):
        lrn.compare_with_torch("rmsprop")


def test_sgd_and_momentum_do_not_care_about_rotation_but_adam_does():
    aligned, turned = lrn.final_losses(0.0), lrn.final_losses(45.0)
    for name in ["SGD", "momentum"]:
        assert turned[name] == pytest.approx(aligned[name], rel=1e-9)
    assert turned["Adam"] > 100 * aligned["Adam"]
    assert aligned["momentum"] < aligned["SGD"]


def test_weight_decay_is_l2_except_in_adamw():
    gaps = lrn.decay_versus_l2()
    assert gaps["SGD: L2 vs weight_decay"] < 1e-12
    assert gaps["Adam: L2 vs weight_decay"] < 1e-12
    assert gaps["Adam(weight_decay) vs AdamW"] > 0.01


def test_he_keeps_relu_variance_and_other_inits_do_not():
    he = lrn.activation_variances("He")
    assert 0.5 < he[-1] / he[0] < 2
    xavier = lrn.activation_variances("Xavier")
    assert xavier[-1] / xavier[0] == pytest.approx(0.5**9, rel=0.5)  # halves at every layer
    assert lrn.activation_variances("std 0.01")[-1] < 1e-10
    assert lrn.activation_variances("std 1")[-1] > 1e20


def test_clipping_bounds_the_gradient_norm_and_rescues_the_step():
    from snippets.data import load_digit_images

    data = load_digit_images()
    X, y = data.X_train[:256], data.y_train[:256]
    before, norm, after = lrn.one_sgd_step(lrn.deep_relu_net(0.3), X, y)
    assert norm > 100 and after > before  # one unclipped step makes the loss worse
    net = lrn.deep_relu_net(0.3)
    before_clipped, _, after_clipped = lrn.one_sgd_step(net, X, y, max_norm=1.0)
    assert before_clipped == before and after_clipped < before
    assert lrn.gradient_norm(net) == pytest.approx(1.0, rel=1e-4)


def test_tiny_graph_matches_autograd():
    w = torch.tensor(-1.0, dtype=torch.float64, requires_grad=True)
    b = torch.tensor(0.5, dtype=torch.float64, requires_grad=True)
    loss = (torch.sigmoid(w * 2.0 + b) - 1.0) ** 2
    loss.backward()
    ours = lrn.tiny_graph(-1.0, 0.5, 2.0, 1.0)
    assert ours["L"] == pytest.approx(loss.item(), rel=1e-12)
    assert ours["dL/dw"] == pytest.approx(w.grad.item(), rel=1e-12)
    assert ours["dL/db"] == pytest.approx(b.grad.item(), rel=1e-12)


def test_gradient_check_passes_correct_and_fails_buggy_backprop():
    params, X, y = lrn.check_problem()
    numerical = lrn.numerical_gradients(lambda p: lrn.mlp_loss(p, X, y), params)
    assert lrn.relative_error(lrn.mlp_gradients_by_hand(params, X, y), numerical) < 1e-7
    assert lrn.relative_error(lrn.mlp_gradients_by_hand(params, X, y, bug=True), numerical) > 0.01


def test_hand_backprop_matches_autograd():
    params, X, y = lrn.check_problem()
    tensors = {k: torch.from_numpy(v.copy()).requires_grad_() for k, v in params.items()}
    h = torch.relu(torch.from_numpy(X) @ tensors["W1"] + tensors["b1"])
    loss = nn.functional.cross_entropy(h @ tensors["W2"] + tensors["b2"], torch.from_numpy(y))
    loss.backward()
    ours = lrn.mlp_gradients_by_hand(params, X, y)
    for name, tensor in tensors.items():
        assert np.allclose(ours[name], tensor.grad.numpy(), rtol=1e-10, atol=1e-12)


def test_small_training_sets_are_disjoint_and_balanced():
    X, y, X_stop, _ = lrn.small_training_set(3)
    assert X.shape == (100, 1, 8, 8) and X_stop.shape == (100, 1, 8, 8)
    assert torch.bincount(y).tolist() == [10] * 10
    flat = {tuple(row.tolist()) for row in X.flatten(1)}
    assert not flat & {tuple(row.tolist()) for row in X_stop.flatten(1)}


def test_unregularised_network_overfits():
    history = lrn.overfitting_history()
    assert history["train_loss"][-1] < 0.01
    val = np.array(history["val_loss"])
    assert val[-1] > 1.05 * val.min()  # the validation loss turns up again
    assert history["val_accuracies"][-1] < 0.95


def test_regularisers_effects_are_small_and_augmentation_gains_on_most_seeds():
    results = lrn.regularization_study()
    assert set(results) == {"none", "weight decay", "dropout", "augmentation", "early stopping"}
    assert all(values.shape == (5,) for values in results.values())
    for name in ["weight decay", "early stopping"]:
        mean, half = lrn.paired_interval(100 * (results[name] - results["none"]))
        assert abs(mean) < 1.0 and mean - half < 0 < mean + half + 0.1  # no effect shown
    gains = results["augmentation"] - results["none"]
    assert (gains > 0).sum() >= 4
    mean, half = lrn.paired_interval(100 * gains)
    assert mean > 0 and mean - half < 0  # positive on average, but the interval includes 0


def test_paired_interval():
    mean, half = lrn.paired_interval(np.array([1.0, 2.0, 3.0]))
    assert mean == 2.0
    assert half == pytest.approx(4.303 * 1.0 / math.sqrt(3), rel=1e-3)  # t(0.975, 2) = 4.303
