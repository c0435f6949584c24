"""Hyperparameter tuning: grid search, random search and Bayesian optimisation.

Code of the evaluation chapter (the second half; metrics live in
``snippets/metrics.py``). The Gaussian-process surrogate and the expected
improvement are written out in NumPy and SciPy. Every function here is shown
on the chapter page (Korean and English) through ``--8<--`` includes, and
every example on that page runs in the tests.
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Callable
from typing import IO, NamedTuple

import numpy as np
import torch
from scipy import stats
from scipy.linalg import cho_solve, cholesky, solve_triangular
from scipy.stats import norm
from torch import nn

from snippets.cache import disk_cache
from snippets.data import load_digit_images
from snippets.plotting import language, new_figure, save_svg
from snippets.training import accuracy, fit

# --8<-- [start:searches]
Objective = Callable[[np.ndarray], float]  # hyperparameters -> score to maximise


class Trials(NamedTuple):
    """The points a search tried, in order, and the score of each."""

    points: np.ndarray  # (budget, num_hyperparameters)
    scores: np.ndarray  # (budget,)


def evaluate(objective: Objective, points: np.ndarray) -> Trials:
    """Score every point (one training run each)."""
    return Trials(points, np.array([objective(p) for p in points]))


def grid_search(objective: Objective, bounds: np.ndarray, budget: int, seed: int = 0) -> Trials:
    """Every combination of ``k`` evenly spaced values per hyperparameter, ``k**d == budget``.

    The grid is evaluated in a shuffled order, so that its best-so-far curve
    does not depend on which loop happens to be the outer one.

    Args:
        objective: the function to maximise.
        bounds: ``(d, 2)`` array, the low and high end of each hyperparameter.
        budget: number of trials; must be a perfect ``d``-th power.
        seed: seeds the order of the trials.

    Examples:
        >>> grid_search(lambda p: 0.0, np.array([[0.0, 1.0], [0.0, 1.0]]), 4).points
        array([[1., 0.],
               [0., 0.],
               [0., 1.],
               [1., 1.]])
    """
    d = len(bounds)
    k = round(budget ** (1 / d))
    if k**d != budget:
        raise ValueError(f"a grid needs a perfect power budget, got {budget} for {d} dimensions")
    axes = [np.linspace(low, high, k) for low, high in bounds]
    points = np.array(list(itertools.product(*axes)))
    return evaluate(objective, np.random.default_rng(seed).permutation(points))


def random_search(objective: Objective, bounds: np.ndarray, budget: int, seed: int = 0) -> Trials:
    """``budget`` points drawn uniformly inside ``bounds``."""
    u = np.random.default_rng(seed).random((budget, len(bounds)))  # in the unit cube
    return evaluate(objective, bounds[:, 0] + u * (bounds[:, 1] - bounds[:, 0]))


def best_so_far(scores: np.ndarray) -> np.ndarray:
    """The best score after each trial: what a search curve plots.

    Examples:
        >>> best_so_far(np.array([0.2, 0.5, 0.3, 0.7]))
        array([0.2, 0.5, 0.5, 0.7])
    """
    return np.maximum.accumulate(scores)


def best_and_good(trials: Trials, good: float = 0.93) -> tuple[float, int]:
    """The best score of a search (3 decimals) and how many of its trials beat ``good``.

    Examples:
        >>> best_and_good(Trials(np.zeros((3, 2)), np.array([0.5, 0.95, 0.94])))
        (0.95, 2)
    """
    return round(float(trials.scores.max()), 3), int((trials.scores > good).sum())


# --8<-- [end:searches]


# --8<-- [start:gaussian-process]
def rbf_kernel(A: np.ndarray, B: np.ndarray, length_scale: float) -> np.ndarray:
    """Squared-exponential (RBF) kernel ``exp(-|a - b|^2 / (2 l^2))`` between rows of A and B."""
    sq_dist = ((A[:, None, :] - B[None, :, :]) ** 2).sum(axis=-1)
    return np.exp(-0.5 * sq_dist / length_scale**2)


def gp_posterior(
    X: np.ndarray, y: np.ndarray, X_new: np.ndarray, length_scale: float, noise: float = 1e-6
) -> tuple[np.ndarray, np.ndarray]:
    """Posterior mean and standard deviation of a GP regression at ``X_new``.

    Zero prior mean and unit prior variance on the standardised ``y``
    (Rasmussen & Williams, 2006, Algorithm 2.1), mapped back to ``y``'s scale.

    Examples:
        >>> X = np.array([[0.0], [1.0]])
        >>> mean, std = gp_posterior(X, np.array([1.0, 3.0]), X, length_scale=0.5)
        >>> mean.round(3), bool(std.max() < 0.01)  # the GP goes through the data
        (array([1., 3.]), True)
    """
    y_mean, y_std = y.mean(), y.std() if y.std() > 0 else 1.0
    z = (y - y_mean) / y_std
    L = cholesky(rbf_kernel(X, X, length_scale) + noise * np.eye(len(X)), lower=True)
    alpha = cho_solve((L, True), z)
    K_new = rbf_kernel(X, X_new, length_scale)
    v = solve_triangular(L, K_new, lower=True)
    variance = np.clip(1.0 - (v**2).sum(axis=0), 1e-12, None)
    return y_mean + y_std * (K_new.T @ alpha), y_std * np.sqrt(variance)


def log_marginal_likelihood(
    X: np.ndarray, y: np.ndarray, length_scale: float, noise: float = 1e-6
) -> float:
    """How well a GP with this length scale explains the standardised ``y`` (higher is better)."""
    z = (y - y.mean()) / (y.std() if y.std() > 0 else 1.0)
    L = cholesky(rbf_kernel(X, X, length_scale) + noise * np.eye(len(X)), lower=True)
    alpha = cho_solve((L, True), z)
    return float(-0.5 * z @ alpha - np.log(np.diag(L)).sum() - 0.5 * len(X) * np.log(2 * np.pi))


# --8<-- [end:gaussian-process]


# --8<-- [start:expected-improvement]
def expected_improvement(
    mean: np.ndarray, std: np.ndarray, best: float, xi: float = 0.01
) -> np.ndarray:
    """Expected amount by which a point beats ``best`` (Močkus, Tiešis & Žilinskas, 1978).

    The criterion that Jones, Schonlau & Welch (1998) made widely known with EGO.

    ``EI = (mean - best - xi) * Phi(z) + std * phi(z)`` with
    ``z = (mean - best - xi) / std``: high where the mean is high
    (exploitation) or the uncertainty is high (exploration).

    Examples:
        >>> expected_improvement(np.array([0.5, 0.5]), np.array([1e-9, 0.1]), best=0.6).round(4)
        array([0.    , 0.0069])
    """
    gain = mean - best - xi
    z = gain / std
    return gain * norm.cdf(z) + std * norm.pdf(z)


# --8<-- [end:expected-improvement]


# --8<-- [start:bayes-search]
LENGTH_SCALES = np.array([0.05, 0.1, 0.2, 0.3, 0.5, 1.0])  # in the unit cube


def bayes_search(
    objective: Objective,
    bounds: np.ndarray,
    budget: int,
    num_init: int = 4,
    seed: int = 0,
    noise: float = 1e-3,
) -> Trials:
    """Bayesian optimisation: a GP surrogate and expected improvement, kept small.

    The first ``num_init`` points are random (the same as ``random_search``
    with this seed draws first). Each later point maximises EI over 2,000
    random candidates; the GP's one length scale is re-chosen before every
    step by maximising the marginal likelihood over ``LENGTH_SCALES``.
    A simplification of Snoek et al. (2012), who use an ARD Matérn 5/2
    kernel (one length scale per hyperparameter) and average the
    acquisition over the GP's hyperparameters instead of fixing them.
    """
    rng = np.random.default_rng(seed)
    low, span = bounds[:, 0], bounds[:, 1] - bounds[:, 0]
    U = rng.random((num_init, len(bounds)))  # points in the unit cube
    scores = [objective(low + u * span) for u in U]
    candidates = rng.random((2000, len(bounds)))
    while len(scores) < budget:
        y = np.array(scores)
        length_scale = max(LENGTH_SCALES, key=lambda ls: log_marginal_likelihood(U, y, ls, noise))
        mean, std = gp_posterior(U, y, candidates, length_scale, noise)
        u_next = candidates[np.argmax(expected_improvement(mean, std, y.max()))]
        U = np.vstack([U, u_next])
        scores.append(objective(low + u_next * span))
    return Trials(low + U * span, np.array(scores))


# --8<-- [end:bayes-search]


# --8<-- [start:digits-objective]
BOUNDS = np.array([[-4.0, 0.0], [4.0, 9.0]])
"""Search space: log10 of Adam's learning rate (1e-4 .. 1), log2 of the hidden width (16 .. 512)."""


@functools.cache
def validation_split(seed: int = 0) -> tuple[torch.Tensor, ...]:
    """Split the shared training set into 1,010 training and 337 validation images.

    The test set is not touched: it is kept for one final measurement.
    """
    from sklearn.model_selection import train_test_split

    data = load_digit_images()
    X, y = data.X_train.flatten(1), data.y_train
    index_train, index_val = train_test_split(
        np.arange(len(y)), test_size=0.25, random_state=seed, stratify=y.numpy()
    )
    return X[index_train], X[index_val], y[index_train], y[index_val]


def train_mlp(
    point: np.ndarray, X: torch.Tensor, y: torch.Tensor, num_epochs: int = 5
) -> nn.Module:
    """Train a one-hidden-layer MLP with the hyperparameters ``point``."""
    log10_lr, log2_width = point
    width = round(2**log2_width)
    torch.manual_seed(0)
    net = nn.Sequential(nn.Linear(64, width), nn.ReLU(), nn.Linear(width, 10))
    fit(net, X, y, num_epochs=num_epochs, lr=10**log10_lr)
    return net


def digits_objective(point: np.ndarray) -> float:
    """Validation accuracy of an MLP trained for 5 epochs; ``point = (log10 lr, log2 width)``.

    A point already tried is not trained again (training is deterministic):
    with the same seed, Bayesian optimisation starts from random search's first points.
    """
    return _validation_accuracy(tuple(float(v) for v in point))


@disk_cache  # trained once per code and arguments (snippets/cache.py)
def _validation_accuracy(point: tuple[float, ...]) -> float:
    X_train, X_val, y_train, y_val = validation_split()
    return accuracy(train_mlp(np.array(point), X_train, y_train), X_val, y_val)


def final_test_accuracy(point: np.ndarray) -> float:
    """Retrain on the whole training set with ``point``; measure on the test set, once."""
    data = load_digit_images()
    net = train_mlp(point, data.X_train.flatten(1), data.y_train)
    return accuracy(net, data.X_test.flatten(1), data.y_test)


# --8<-- [end:digits-objective]


# --8<-- [start:seeds]
Summary = tuple[float, int]  # best score, trials above 0.93 (best_and_good)


def compare_seeds(
    objective: Objective, bounds: np.ndarray, budget: int, seeds: tuple[int, ...]
) -> dict[int, tuple[Summary, Summary]]:
    """For each seed: ``best_and_good`` of random search and of Bayesian optimisation."""
    return {
        seed: (
            best_and_good(random_search(objective, bounds, budget, seed=seed)),
            best_and_good(bayes_search(objective, bounds, budget, seed=seed)),
        )
        for seed in seeds
    }


def mean_interval(values: list[float], level: float = 0.95) -> tuple[float, float, float]:
    """Mean of ``values`` and a Student-t confidence interval for it, rounded to 3 decimals.

    With a handful of seeds the interval is wide: it says which true mean
    differences the seeds leave possible.

    Examples:
        >>> mean_interval([0.01, 0.03, 0.02])
        (0.02, -0.005, 0.045)
    """
    values = np.asarray(values, dtype=float)
    mean, sem = values.mean(), values.std(ddof=1) / np.sqrt(len(values))
    half = stats.t.ppf(0.5 + level / 2, df=len(values) - 1) * sem
    return round(float(mean), 3), round(float(mean - half), 3), round(float(mean + half), 3)


# --8<-- [end:seeds]


# --8<-- [start:one-matters]
UNIT_SQUARE = np.array([[0.0, 1.0], [0.0, 1.0]])


def one_matters(point: np.ndarray) -> float:
    """A score where only the first hyperparameter matters much (a toy, maximum about 1).

    A narrow bump in ``x`` and a gentle slope in ``y``: the situation that
    Bergstra & Bengio (2012) found typical of real tuning problems.
    """
    x, y = point
    return float(np.exp(-0.5 * ((x - 0.78) / 0.05) ** 2) + 0.05 * y)


GOOD_X = (0.73, 0.83)  # where the bump in x is above 0.6: the good values of x


# --8<-- [end:one-matters]


# --------------------------------------------------------------------------
# Figures (drawn at build time by hooks/figures.py; see FIGURES)
# --------------------------------------------------------------------------


def draw_grid_vs_random(out: IO[bytes], lang: str = "en") -> None:
    """Draw nine grid trials and nine random trials on the toy score, with its x profile, as SVG."""
    tr = language(lang)
    grid = grid_search(one_matters, UNIT_SQUARE, 9)
    rand = random_search(one_matters, UNIT_SQUARE, 9, seed=0)
    fig = new_figure(9, 4.6, lang)
    panels = fig.subfigures(1, 2)
    xs = np.linspace(0, 1, 400)
    profile = np.exp(-0.5 * ((xs - 0.78) / 0.05) ** 2)
    for panel, trials, method in [
        (panels[0], grid, tr("grid search")),
        (panels[1], rand, tr("random search")),
    ]:
        top, main = panel.subplots(2, 1, sharex=True, height_ratios=[1, 2.4])
        top.plot(xs, profile, color="gray")
        for x in trials.points[:, 0]:
            top.axvline(x, color="C3", linewidth=1.5, alpha=0.8)
        distinct = len(np.unique(trials.points[:, 0]))
        top.set_title(
            tr(
                "{method}: {distinct} distinct values of x, best {best:.2f}",
                method=method,
                distinct=distinct,
                best=trials.scores.max(),
            )
        )
        top.set_ylabel(tr("effect of x"))
        top.set_yticks([])
        main.scatter(trials.points[:, 0], trials.points[:, 1], s=60, color="C3", zorder=3)
        main.axvspan(*GOOD_X, color="C2", alpha=0.15, label=tr("good values of x"))
        main.set_xlim(-0.05, 1.05)
        main.set_ylim(-0.05, 1.22)  # room above the points for the legend
        main.set_yticks(np.linspace(0, 1, 6))
        main.set_xlabel(tr("x: important hyperparameter"))
        main.set_ylabel(tr("y: unimportant hyperparameter"))
        main.legend(loc="upper left", fontsize=8)
        main.grid(alpha=0.3)
    save_svg(fig, out)


def draw_gaussian_process(out: IO[bytes], lang: str = "en") -> None:
    """Draw a 1-D GP posterior after four observations and its expected improvement as SVG."""
    tr = language(lang)

    def truth(x: np.ndarray) -> np.ndarray:
        return np.sin(3 * x) + 0.5 * np.sin(9 * x)

    X = np.array([[0.05], [0.3], [0.45], [0.6]])
    y = truth(X[:, 0])
    xs = np.linspace(0, 1, 300)[:, None]
    mean, std = gp_posterior(X, y, xs, length_scale=0.2)
    ei = expected_improvement(mean, std, y.max())
    fig = new_figure(7, 4.6, lang)
    top, bottom = fig.subplots(2, 1, sharex=True, height_ratios=[2.2, 1])
    top.plot(
        xs[:, 0], truth(xs[:, 0]), color="gray", linestyle="--", label=tr("true score (unknown)")
    )
    top.plot(xs[:, 0], mean, color="C0", linewidth=2, label=tr("GP mean"))
    top.fill_between(
        xs[:, 0], mean - 2 * std, mean + 2 * std, color="C0", alpha=0.2, label=tr("mean ± 2 std")
    )
    top.plot(X[:, 0], y, "o", color="black", label=tr("trials so far"))
    top.legend(loc="lower left", fontsize=8)
    top.set_ylabel(tr("score"))
    top.set_title(tr("Gaussian-process surrogate after four trials"))
    bottom.plot(xs[:, 0], ei, color="C1", linewidth=2)
    k = int(np.argmax(ei))
    bottom.axvline(xs[k, 0], color="C1", linestyle=":")
    bottom.annotate(
        tr("next trial\n(exploit)"),
        (xs[k, 0], ei[k]),
        textcoords="offset points",
        xytext=(8, -22),
        fontsize=8,
    )
    far = int(np.argmax(np.where(xs[:, 0] > 0.7, ei, 0)))
    bottom.annotate(
        tr("explore:\nGP unsure"),
        (xs[far, 0], ei[far]),
        textcoords="offset points",
        xytext=(-62, -22),
        fontsize=8,
    )
    bottom.set_ylabel(tr("expected\nimprovement"))
    bottom.set_xlabel(tr("hyperparameter"))
    for ax in (top, bottom):
        ax.grid(alpha=0.3)
    save_svg(fig, out)


def draw_convergence(out: IO[bytes], lang: str = "en") -> None:
    """Draw the three searches on the digits MLP (seed 0) as SVG.

    Left: best validation accuracy so far and every trial's score; right: the points tried.
    """
    tr = language(lang)
    runs = [
        (tr("grid search"), "s", grid_search(digits_objective, BOUNDS, 16)),
        (tr("random search"), "o", random_search(digits_objective, BOUNDS, 16, seed=0)),
        (tr("Bayesian optimisation"), "^", bayes_search(digits_objective, BOUNDS, 16, seed=0)),
    ]
    fig = new_figure(10, 4.2, lang)
    left, right = fig.subplots(1, 2)
    for name, marker, trials in runs:
        trial = np.arange(1, len(trials.scores) + 1)
        (line,) = left.step(
            trial, best_so_far(trials.scores), where="post", linewidth=2, label=name
        )
        left.plot(
            trial, trials.scores, marker=marker, linestyle="none", alpha=0.5, color=line.get_color()
        )
        right.scatter(
            trials.points[:, 0], trials.points[:, 1], marker=marker, s=50, label=name, alpha=0.8
        )
    left.axhline(0.93, color="gray", linestyle=":", linewidth=1)
    left.annotate("0.93", (16.55, 0.935), va="bottom", fontsize=8, color="gray")
    left.set_xlim(0.5, 17.6)
    left.set_xlabel(tr("trial"))
    left.set_ylabel(tr("validation accuracy"))
    left.set_title(tr("best so far (lines) and every trial (dots)"))
    left.set_ylim(0, 1.02)
    right.set_xlabel(tr("log10 learning rate"))
    right.set_ylabel(tr("log2 hidden width"))
    right.set_title(tr("where each search tried"))
    fig.legend(*right.get_legend_handles_labels(), loc="outside lower center", ncols=3)
    for ax in (left, right):
        ax.grid(alpha=0.3)
    save_svg(fig, out)


FIGURES = {
    "tuning-grid-vs-random.svg": draw_grid_vs_random,
    "tuning-gaussian-process.svg": draw_gaussian_process,
    "tuning-convergence.svg": draw_convergence,
}
