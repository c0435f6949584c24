"""The metrics computed by hand, and the claims the evaluation chapter makes about them."""

import numpy as np
import pytest
from sklearn import metrics as skm
from torch import nn

from snippets import metrics as mt

RNG = np.random.default_rng(0)
Y_TRUE = RNG.integers(0, 2, size=200)
Y_PRED = np.where(RNG.random(200) < 0.8, Y_TRUE, 1 - Y_TRUE)  # right 80% of the time


def test_confusion_matrix_matches_sklearn_for_many_classes():
    y_true, y_pred = RNG.integers(0, 5, size=300), RNG.integers(0, 5, size=300)
    counts = mt.confusion_matrix(y_true, y_pred)
    assert counts.shape == (5, 5)
    assert counts.sum() == 300
    assert np.array_equal(counts, skm.confusion_matrix(y_true, y_pred))


def test_swapped_arguments_give_the_transpose_and_fail_the_check():
    # rows are the truth: passing (y_pred, y_true) is a real bug and the check catches it
    swapped = mt.confusion_matrix(Y_PRED, Y_TRUE)
    assert np.array_equal(swapped, skm.confusion_matrix(Y_TRUE, Y_PRED).T)
    assert not np.array_equal(swapped, skm.confusion_matrix(Y_TRUE, Y_PRED))


def test_confusion_matrix_rejects_mismatched_shapes():
    with pytest.raises(ValueError, match="shapes differ"):
        mt.confusion_matrix(np.array([0, 1]), np.array([0, 1, 1]))


def test_binary_metrics_match_sklearn():
    m = mt.binary_metrics(Y_TRUE, Y_PRED)
    assert m["accuracy"] == pytest.approx(skm.accuracy_score(Y_TRUE, Y_PRED))
    assert m["precision"] == pytest.approx(skm.precision_score(Y_TRUE, Y_PRED))
    assert m["recall"] == pytest.approx(skm.recall_score(Y_TRUE, Y_PRED))
    assert m["f1"] == pytest.approx(skm.f1_score(Y_TRUE, Y_PRED))


def test_f1_is_the_harmonic_mean_not_the_arithmetic_one():
    y_true = np.array([1] * 100 + [0] * 100)
    y_pred = np.array([1] + [0] * 199)  # one positive found, no false alarm
    m = mt.binary_metrics(y_true, y_pred)
    assert (m["precision"], m["recall"]) == (1.0, 0.01)
    assert m["f1"] == pytest.approx(2 * 0.01 / 1.01)
    assert m["f1"] < 0.05 < 0.5 * (m["precision"] + m["recall"])  # the arithmetic mean: 0.505


def test_constant_classifier_on_imbalanced_data():
    # the chapter's claim: 95% accuracy, zero recall
    y_true = np.array([1] * 50 + [0] * 950)
    m = mt.binary_metrics(y_true, np.zeros_like(y_true))
    assert m == {"accuracy": 0.95, "precision": 0.0, "recall": 0.0, "f1": 0.0}
    assert skm.precision_score(y_true, np.zeros_like(y_true), zero_division=0) == 0.0


def test_nine_scores_are_imbalanced_and_good():
    y9, scores = mt.nine_scores()
    assert y9.shape == scores.shape == (450,)
    assert y9.sum() == 45
    assert ((scores >= 0) & (scores <= 1)).all()
    assert skm.roc_auc_score(y9, scores) > 0.95


def test_precision_recall_match_sklearn_curve_and_recall_falls():
    y9, scores = mt.nine_scores()
    p_sk, r_sk, t_sk = skm.precision_recall_curve(y9, scores)
    precision, recall = mt.precision_recall_at(y9, scores, t_sk)
    assert np.allclose(precision, p_sk[:-1])
    assert np.allclose(recall, r_sk[:-1])
    assert np.all(np.diff(recall) <= 0)
    # the trade-off the figure shows: a low threshold favours recall, a high one precision
    (p_low, p_high), (r_low, r_high) = mt.precision_recall_at(y9, scores, np.array([0.1, 0.9]))
    assert r_low > r_high and p_high > p_low


def test_count_parameters_formula_and_a_wrong_count_is_rejected():
    net = nn.Sequential(nn.Linear(64, 32), nn.ReLU(), nn.Linear(32, 10))
    assert mt.count_parameters(net) == 64 * 32 + 32 + 32 * 10 + 10
    assert mt.count_parameters(net) != 64 * 32 + 32 * 10  # forgetting the biases is caught
    net[0].weight.requires_grad_(False)
    assert mt.count_parameters(net) == 32 + 32 * 10 + 10  # frozen weights are not trained


def test_a_wide_mlp_memorises_shuffled_labels_but_learns_nothing():
    # small version of the chapter's experiment (Zhang et al., 2017)
    true = mt.fit_mlp(512, num_train=200, num_epochs=80)
    shuffled = mt.fit_mlp(512, num_train=200, num_epochs=80, random_labels=True)
    assert true.num_params == shuffled.num_params
    assert shuffled.train_acc > 0.9
    assert true.test_acc > 0.85
    assert shuffled.test_acc < 0.25  # chance is 0.1


def test_a_tiny_mlp_cannot_memorise_shuffled_labels():
    # capacity is limited by size: the same check fails for a width-4 network
    shuffled = mt.fit_mlp(4, num_train=200, num_epochs=80, random_labels=True)
    assert shuffled.train_acc < 0.5


def test_auc_by_ranking_matches_sklearn_with_ties():
    rng = np.random.default_rng(1)
    y_true = rng.integers(0, 2, size=300)
    scores = np.round(rng.random(300) + 0.3 * y_true, 1)  # rounding makes many ties
    assert mt.auc_by_ranking(y_true, scores) == pytest.approx(skm.roc_auc_score(y_true, scores))
    # ties counted as wins instead of halves would give a different number
    pos, neg = scores[y_true == 1], scores[y_true == 0]
    assert (pos[:, None] >= neg[None, :]).mean() > mt.auc_by_ranking(y_true, scores) + 0.01


def test_nine_model_ranks_nines_almost_perfectly():
    y9, scores = mt.nine_scores()
    assert mt.auc_by_ranking(y9, scores) > 0.99


def test_random_scores_auc_near_half_and_average_precision_near_the_share_of_positives():
    # the chapter's claim on the screening data (5% positives), over many random scorers
    y_true = np.array([1] * 50 + [0] * 950)
    aucs, aps = [], []
    for seed in range(20):
        scores = np.random.default_rng(seed).random(len(y_true))
        aucs.append(skm.roc_auc_score(y_true, scores))
        aps.append(skm.average_precision_score(y_true, scores))
    assert abs(np.mean(aucs) - 0.5) < 0.03
    assert abs(np.mean(aps) - 0.05) < 0.02


def test_a_better_model_has_both_higher_precision_and_higher_recall():
    # the trade-off holds along one model's thresholds, not between models
    from sklearn.linear_model import LogisticRegression

    X_train, X_test, y_train, _ = mt.digit_arrays()
    y9, scores = mt.nine_scores()
    half = LogisticRegression(max_iter=1000).fit(X_train[:, :32], y_train == 9)
    half_scores = half.predict_proba(X_test[:, :32])[:, 1]
    full = mt.binary_metrics(y9, (scores >= 0.5).astype(int))
    worse = mt.binary_metrics(y9, (half_scores >= 0.5).astype(int))
    assert full["precision"] > worse["precision"] + 0.1
    assert full["recall"] > worse["recall"] + 0.1


def test_too_few_parameters_underfit_and_more_barely_help():
    # the chapter's sweep: width 4 cannot fit even the true labels; from width 16 on,
    # test accuracy is high and barely moves
    tiny, small, large = (mt.fit_mlp(w) for w in (4, 16, 256))
    assert tiny.train_acc < 0.7 and tiny.test_acc < 0.7  # underfitting: both low
    assert small.test_acc > 0.9 and large.test_acc > 0.9
    assert abs(large.test_acc - small.test_acc) < 0.05


def test_the_same_budget_fits_true_labels_but_not_all_shuffled_ones():
    # 50 epochs for both label sets: the width-256 MLP fits its true labels, not the shuffled
    true = mt.fit_mlp(256)
    shuffled = mt.fit_mlp(256, random_labels=True)
    assert true.train_acc > 0.99
    assert 0.4 < shuffled.train_acc < 0.9


def test_the_default_sweep_starts_in_the_underfitting_regime():
    assert mt.WIDTHS[0] == 4
    assert mt.WIDTHS == tuple(sorted(mt.WIDTHS))
