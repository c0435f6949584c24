"""The searches, the Gaussian process and expected improvement, and the chapter's claims."""

import numpy as np
import pytest
from sklearn.gaussian_process import GaussianProcessRegressor
from sklearn.gaussian_process.kernels import RBF

from snippets import tuning as tn


def quadratic(point: np.ndarray) -> float:
    """A smooth toy score with its maximum 1.0 at (0.3, 0.7)."""
    return float(1.0 - ((point - np.array([0.3, 0.7])) ** 2).sum())


@pytest.mark.parametrize("budget", [9, 16, 25])
def test_grid_tries_sqrt_budget_values_random_tries_budget(budget):
    grid = tn.grid_search(quadratic, tn.UNIT_SQUARE, budget)
    rand = tn.random_search(quadratic, tn.UNIT_SQUARE, budget, seed=1)
    assert grid.points.shape == rand.points.shape == (budget, 2)
    assert len(np.unique(grid.points[:, 0])) == round(budget**0.5)
    assert len(np.unique(rand.points[:, 0])) == budget


def test_grid_rejects_a_budget_that_is_not_a_square():
    with pytest.raises(ValueError, match="perfect power"):
        tn.grid_search(quadratic, tn.UNIT_SQUARE, 10)


def test_searches_stay_inside_the_bounds():
    bounds = np.array([[-4.0, 0.0], [4.0, 9.0]])
    for trials in (
        tn.grid_search(quadratic, bounds, 16),
        tn.random_search(quadratic, bounds, 16),
        tn.bayes_search(quadratic, bounds, 8),
    ):
        assert (trials.points >= bounds[:, 0]).all()
        assert (trials.points <= bounds[:, 1]).all()


def test_random_search_beats_grid_when_one_hyperparameter_matters():
    # the claim of Bergstra & Bengio (2012), on the chapter's toy score
    grid_best = tn.grid_search(tn.one_matters, tn.UNIT_SQUARE, 9).scores.max()
    random_bests = [
        tn.random_search(tn.one_matters, tn.UNIT_SQUARE, 9, seed=s).scores.max() for s in range(200)
    ]
    assert grid_best < 0.1
    assert np.mean(np.array(random_bests) > 0.5) > 0.5


def test_best_so_far_never_decreases():
    scores = np.random.default_rng(0).random(50)
    curve = tn.best_so_far(scores)
    assert np.all(np.diff(curve) >= 0)
    assert curve[-1] == scores.max()


def test_gp_matches_sklearn():
    rng = np.random.default_rng(0)
    X, X_new = rng.random((6, 2)), rng.random((20, 2))
    y = np.sin(5 * X[:, 0]) + X[:, 1]
    mean, std = tn.gp_posterior(X, y, X_new, length_scale=0.3)
    gp = GaussianProcessRegressor(RBF(0.3), alpha=1e-6, optimizer=None, normalize_y=True)
    sk_mean, sk_std = gp.fit(X, y).predict(X_new, return_std=True)
    assert np.allclose(mean, sk_mean)
    assert np.allclose(std, sk_std)


def test_gp_with_a_wrong_length_scale_does_not_match_sklearn():
    # the comparison above can fail: a different kernel gives a different posterior
    X = np.array([[0.1], [0.5], [0.8]])
    y = np.array([0.0, 1.0, 0.5])
    X_new = np.array([[0.3], [0.65]])
    mean, _ = tn.gp_posterior(X, y, X_new, length_scale=0.05)
    gp = GaussianProcessRegressor(RBF(0.3), alpha=1e-6, optimizer=None, normalize_y=True)
    assert not np.allclose(mean, gp.fit(X, y).predict(X_new))


def test_marginal_likelihood_prefers_the_true_length_scale():
    # data drawn from a GP with length scale 0.2: the likelihood should not pick 0.05 or 1.0
    rng = np.random.default_rng(3)
    X = rng.random((30, 1))
    K = tn.rbf_kernel(X, X, 0.2) + 1e-6 * np.eye(30)
    y = np.linalg.cholesky(K) @ rng.normal(size=30)
    best = max(tn.LENGTH_SCALES, key=lambda ls: tn.log_marginal_likelihood(X, y, ls))
    assert best in (0.1, 0.2, 0.3)


def test_expected_improvement_values():
    ei = tn.expected_improvement(
        mean=np.array([0.5, 0.5, 0.7, 0.7]), std=np.array([1e-9, 0.1, 1e-9, 0.1]), best=0.6, xi=0.0
    )
    assert ei[0] == pytest.approx(0.0, abs=1e-12)  # surely worse: nothing to gain
    assert ei[2] == pytest.approx(0.1)  # surely better by 0.1
    assert ei[1] > 0  # uncertainty is worth something
    assert ei[3] > ei[2]  # and adds to a sure gain
    assert (ei >= 0).all()


def test_bayes_search_finds_the_maximum_of_a_smooth_function():
    trials = tn.bayes_search(quadratic, tn.UNIT_SQUARE, 15, seed=0)
    assert trials.scores.max() > 0.99
    # and it does better than random search with the same budget, over several seeds
    bayes = [tn.bayes_search(quadratic, tn.UNIT_SQUARE, 12, seed=s).scores.max() for s in range(4)]
    rand = [tn.random_search(quadratic, tn.UNIT_SQUARE, 12, seed=s).scores.max() for s in range(4)]
    assert np.mean(bayes) > np.mean(rand)


def test_validation_split_keeps_the_test_set_out():
    X_train, X_val, y_train, y_val = tn.validation_split()
    assert (len(X_train), len(X_val)) == (1010, 337)
    assert X_train.shape[1] == 64
    # every class is in both parts (stratified)
    assert set(y_train.tolist()) == set(y_val.tolist()) == set(range(10))


def test_the_learning_rate_matters_on_digits():
    good = tn.digits_objective(np.array([-2.0, 6.0]))
    too_large = tn.digits_objective(np.array([0.0, 6.0]))
    assert good > 0.9
    assert too_large < 0.5


def test_best_and_good_counts_strictly_above_the_threshold():
    trials = tn.Trials(np.zeros((4, 2)), np.array([0.93, 0.9301, 0.5, 0.96]))
    assert tn.best_and_good(trials) == (0.96, 2)
    assert tn.best_and_good(trials, good=0.2) == (0.96, 4)


def test_mean_interval_matches_scipy_and_narrows_with_more_seeds():
    from scipy import stats

    values = [0.01, -0.02, 0.03, 0.0, 0.015]
    mean, low, high = tn.mean_interval(values)
    expected = stats.t.interval(0.95, df=4, loc=np.mean(values), scale=stats.sem(values))
    assert (low, high) == pytest.approx(expected, abs=6e-4)
    assert low < mean < high
    _, low10, high10 = tn.mean_interval(values * 2)
    assert high10 - low10 < high - low


def test_bayes_search_starts_from_the_points_of_random_search():
    bayes = tn.bayes_search(quadratic, tn.BOUNDS, 6, num_init=4, seed=3)
    rand = tn.random_search(quadratic, tn.BOUNDS, 6, seed=3)
    assert np.array_equal(bayes.points[:4], rand.points[:4])
    assert not np.array_equal(bayes.points[4:], rand.points[4:])


def test_a_remembered_point_gives_the_same_score_as_a_fresh_training():
    point = np.array([-2.0, 5.0])
    remembered = tn.digits_objective(point)
    X_train, X_val, y_train, y_val = tn.validation_split()
    fresh = tn.accuracy(tn.train_mlp(point, X_train, y_train), X_val, y_val)
    assert remembered == fresh == tn.digits_objective(point.copy())


def test_bayes_search_spends_more_trials_near_the_maximum_than_random_search():
    # the chapter's observation (more trials in the good region), on a smooth toy score
    seeds = range(4)
    good_bayes = [
        (tn.bayes_search(quadratic, tn.UNIT_SQUARE, 12, seed=s).scores > 0.95).sum() for s in seeds
    ]
    good_rand = [
        (tn.random_search(quadratic, tn.UNIT_SQUARE, 12, seed=s).scores > 0.95).sum() for s in seeds
    ]
    assert np.mean(good_bayes) > np.mean(good_rand) + 1


def test_compare_seeds_reports_both_searches_per_seed():
    results = tn.compare_seeds(quadratic, tn.UNIT_SQUARE, 9, seeds=(0, 2))
    assert list(results) == [0, 2]
    for seed, (random_summary, bayes_summary) in results.items():
        rand = tn.random_search(quadratic, tn.UNIT_SQUARE, 9, seed=seed)
        bayes = tn.bayes_search(quadratic, tn.UNIT_SQUARE, 9, seed=seed)
        assert random_summary == tn.best_and_good(rand)
        assert bayes_summary == tn.best_and_good(bayes)
    assert results[0] != results[2]  # the seed matters


def test_a_learning_rate_far_too_small_also_fails_in_five_epochs():
    assert tn.digits_objective(np.array([-4.0, 6.0])) < 0.5


def test_good_x_is_where_the_bump_is_above_0_6():
    low, high = tn.GOOD_X
    bump = [tn.one_matters(np.array([x, 0.0])) for x in (low, high, 0.78, low - 0.02, high + 0.02)]
    assert bump[0] == pytest.approx(np.exp(-0.5), abs=1e-9)
    assert bump[1] == pytest.approx(np.exp(-0.5), abs=1e-9)
    assert bump[2] == pytest.approx(1.0)
    assert bump[3] < 0.6 and bump[4] < 0.6
