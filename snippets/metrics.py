"""Evaluation metrics by hand, the precision/recall trade-off, and what a parameter count measures.

Code of the evaluation chapter (the first half; hyperparameter tuning lives in
``snippets/tuning.py``). Every function here is shown on the chapter page
(Korean and English) through ``--8<--`` includes, and every example on that
page runs in the tests.
"""

from __future__ import annotations

from typing import IO, NamedTuple

import numpy as np
import torch
from torch import nn

from snippets.cache import disk_cache
from snippets.data import load_digit_images
from snippets.plotting import language, new_figure, save_svg
from snippets.training import accuracy, fit


# --8<-- [start:confusion-matrix]
def confusion_matrix(y_true: np.ndarray, y_pred: np.ndarray, num_classes: int = 0) -> np.ndarray:
    """Count matrix ``C`` with ``C[i, j]`` = examples of class ``i`` predicted as ``j``.

    Rows are the true classes, columns the predicted ones (scikit-learn's
    convention), so the diagonal holds the correct predictions.

    Args:
        y_true: integer labels, shape ``(N,)``.
        y_pred: integer predictions, shape ``(N,)``.
        num_classes: size of the matrix; by default one more than the largest label seen.

    Examples:
        >>> confusion_matrix(np.array([0, 0, 1, 1]), np.array([0, 1, 1, 1]))
        array([[1, 1],
               [0, 2]])
    """
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    if y_true.shape != y_pred.shape:
        raise ValueError(f"shapes differ: {y_true.shape} vs {y_pred.shape}")
    num_classes = max(num_classes, int(max(y_true.max(), y_pred.max())) + 1)
    counts = np.zeros((num_classes, num_classes), dtype=int)
    np.add.at(counts, (y_true, y_pred), 1)  # one count per (true, predicted) pair
    return counts


# --8<-- [end:confusion-matrix]


# --8<-- [start:binary-metrics]
def binary_metrics(y_true: np.ndarray, y_pred: np.ndarray) -> dict[str, float]:
    """Accuracy, precision, recall and F1 of 0/1 predictions, from the confusion matrix.

    Precision is defined as 0 when nothing is predicted positive (0/0), and so
    are recall without positives and F1 when precision + recall = 0; this is
    scikit-learn's ``zero_division=0``.

    Examples:
        >>> m = binary_metrics(np.array([1, 1, 0, 0]), np.array([1, 0, 0, 0]))
        >>> m["precision"], m["recall"], round(m["f1"], 3)
        (1.0, 0.5, 0.667)
    """
    (tn, fp), (fn, tp) = confusion_matrix(y_true, y_pred, num_classes=2)
    precision = tp / (tp + fp) if tp + fp else 0.0  # of the predicted positives, how many are
    recall = tp / (tp + fn) if tp + fn else 0.0  # of the real positives, how many were found
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        "accuracy": float((tp + tn) / (tp + tn + fp + fn)),
        "precision": float(precision),
        "recall": float(recall),
        "f1": float(f1),
    }


# --8<-- [end:binary-metrics]


# --8<-- [start:digits]
def digit_arrays() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The shared digits split as NumPy arrays: 64 pixels per row, integer labels.

    Returns:
        ``X_train (1347, 64), X_test (450, 64), y_train (1347,), y_test (450,)``.
    """
    data = load_digit_images()
    return (
        data.X_train.flatten(1).numpy(),
        data.X_test.flatten(1).numpy(),
        data.y_train.numpy(),
        data.y_test.numpy(),
    )


def nine_scores() -> tuple[np.ndarray, np.ndarray]:
    """Train "is it a 9?" logistic regression; return the test labels (0/1) and scores.

    The score of an image is the model's probability that it shows a 9.
    About 10% of the images are nines, so the task is imbalanced.
    """
    from sklearn.linear_model import LogisticRegression

    X_train, X_test, y_train, y_test = digit_arrays()
    clf = LogisticRegression(max_iter=1000).fit(X_train, y_train == 9)
    return (y_test == 9).astype(int), clf.predict_proba(X_test)[:, 1]


# --8<-- [end:digits]


# --8<-- [start:threshold]
def precision_recall_at(
    y_true: np.ndarray, scores: np.ndarray, thresholds: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Precision and recall of the rule ``score >= threshold``, for each threshold.

    Examples:
        >>> y_true, scores = np.array([0, 0, 1, 1]), np.array([0.1, 0.6, 0.4, 0.9])
        >>> precision, recall = precision_recall_at(y_true, scores, np.array([0.3, 0.5]))
        >>> precision.round(3), recall
        (array([0.667, 0.5  ]), array([1. , 0.5]))
    """
    precision, recall = [], []
    for threshold in thresholds:
        m = binary_metrics(y_true, (scores >= threshold).astype(int))
        precision.append(m["precision"])
        recall.append(m["recall"])
    return np.array(precision), np.array(recall)


# --8<-- [end:threshold]


# --8<-- [start:roc-auc]
def auc_by_ranking(y_true: np.ndarray, scores: np.ndarray) -> float:
    """ROC AUC as a probability: a random positive scores above a random negative.

    Every (positive, negative) pair is compared; a tie counts half
    (Hanley & McNeil, 1982). This equals the area under the ROC curve.

    Examples:
        >>> auc_by_ranking(np.array([0, 0, 1, 1]), np.array([0.1, 0.6, 0.4, 0.9]))
        0.75
    """
    y_true, scores = np.asarray(y_true), np.asarray(scores)
    pos, neg = scores[y_true == 1], scores[y_true == 0]
    above = (pos[:, None] > neg[None, :]).mean()  # all positive-negative pairs at once
    ties = (pos[:, None] == neg[None, :]).mean()
    return float(above + 0.5 * ties)


# --8<-- [end:roc-auc]


# --8<-- [start:capacity]
class FitResult(NamedTuple):
    """What one training run gives: parameter count and accuracy on both splits."""

    num_params: int
    train_acc: float
    test_acc: float


def count_parameters(net: nn.Module) -> int:
    """Number of trainable numbers in ``net``.

    Examples:
        >>> count_parameters(nn.Linear(64, 10))  # 64 * 10 weights + 10 biases
        650
    """
    return sum(p.numel() for p in net.parameters() if p.requires_grad)


def fit_mlp(
    width: int,
    *,
    random_labels: bool = False,
    num_train: int = 500,
    num_epochs: int = 50,
    lr: float = 3e-3,
    seed: int = 0,
) -> FitResult:
    """Train a one-hidden-layer MLP on ``num_train`` digit images; measure it.

    Args:
        width: hidden units; the MLP has ``64 * width + width + width * 10 + 10`` parameters.
        random_labels: shuffle the training labels first, so that there is
            nothing to learn but the labels themselves (Zhang et al., 2017).
        num_train: training images used (the first ones of the shared split).
        num_epochs: passes over the data.
        lr: learning rate of Adam.
        seed: seeds the initialisation, the label shuffle and the batches.

    Returns:
        Parameter count, accuracy on the (possibly shuffled) training labels,
        and accuracy on the untouched test set.
    """
    data = load_digit_images()
    X, y = data.X_train[:num_train], data.y_train[:num_train]
    if random_labels:  # a permutation keeps the 10% share of every class
        y = y[torch.randperm(len(y), generator=torch.Generator().manual_seed(seed))]
    torch.manual_seed(seed)
    net = nn.Sequential(nn.Flatten(), nn.Linear(64, width), nn.ReLU(), nn.Linear(width, 10))
    fit(net, X, y, num_epochs=num_epochs, lr=lr, seed=seed)
    return FitResult(
        count_parameters(net), accuracy(net, X, y), accuracy(net, data.X_test, data.y_test)
    )


WIDTHS = (4, 16, 64, 256, 1024)  # 310 to 76,810 parameters


@disk_cache  # trained once per code and arguments (snippets/cache.py)
def capacity_sweep(widths: tuple[int, ...] = WIDTHS) -> tuple[tuple[FitResult, FitResult], ...]:
    """For each width: the run on the true labels and the run on shuffled labels."""
    return tuple((fit_mlp(w), fit_mlp(w, random_labels=True)) for w in widths)


# --8<-- [end:capacity]


# --------------------------------------------------------------------------
# Figures (drawn at build time by hooks/figures.py; see FIGURES)
# --------------------------------------------------------------------------


def draw_confusion(out: IO[bytes], lang: str = "en") -> None:
    """Draw the 10-class confusion matrix of logistic regression on the test digits as SVG."""
    from sklearn.linear_model import LogisticRegression

    tr = language(lang)
    X_train, X_test, y_train, y_test = digit_arrays()
    y_hat = LogisticRegression(max_iter=1000).fit(X_train, y_train).predict(X_test)
    counts = confusion_matrix(y_test, y_hat, num_classes=10)
    fig = new_figure(5.2, 4.6, lang)
    ax = fig.subplots()
    image = ax.imshow(counts, cmap="Blues")
    for i in range(10):
        for j in range(10):
            if counts[i, j]:
                color = "white" if counts[i, j] > counts.max() / 2 else "black"
                ax.text(j, i, str(counts[i, j]), ha="center", va="center", color=color, fontsize=8)
    ax.set_xticks(range(10))
    ax.set_yticks(range(10))
    ax.set_xlabel(tr("predicted class"))
    ax.set_ylabel(tr("true class"))
    accuracy_ = np.trace(counts) / counts.sum()
    ax.set_title(tr("logistic regression, test accuracy {acc:.3f}", acc=accuracy_))
    fig.colorbar(image, ax=ax, shrink=0.8, label=tr("count"))
    save_svg(fig, out)


def draw_threshold(out: IO[bytes], lang: str = "en") -> None:
    """Draw precision and recall against the threshold (left) and the PR curve (right) as SVG."""
    tr = language(lang)
    y_true, scores = nine_scores()
    thresholds = np.linspace(0.01, 0.99, 99)
    precision, recall = precision_recall_at(y_true, scores, thresholds)
    fig = new_figure(9, 3.4, lang)
    left, right = fig.subplots(1, 2)
    left.plot(thresholds, precision, label=tr("precision"), linewidth=2)
    left.plot(thresholds, recall, label=tr("recall"), linewidth=2)
    left.axvline(0.5, color="gray", linestyle=":", linewidth=1)
    left.annotate(tr("default 0.5"), (0.52, 0.15), color="gray")
    left.set_xlabel(tr("threshold on P(9)"))
    left.set_title(tr('"is it a 9?": moving the threshold'))
    left.legend(loc="lower left")
    right.plot(recall, precision, linewidth=2, color="C2")
    for t in (0.1, 0.5, 0.9):
        k = int(np.argmin(np.abs(thresholds - t)))
        right.plot(recall[k], precision[k], "o", color="black")
        right.annotate(
            f"t = {t}", (recall[k], precision[k]), textcoords="offset points", xytext=(-52, -4)
        )
    right.axhline(y_true.mean(), color="gray", linestyle=":", linewidth=1)
    right.annotate(
        tr("random classifier (share of nines)"), (0.02, y_true.mean() + 0.03), color="gray"
    )
    right.set_xlabel(tr("recall"))
    right.set_ylabel(tr("precision"))
    right.set_title(tr("precision-recall curve"))
    for ax in (left, right):
        ax.set_ylim(0, 1.05)
        ax.grid(alpha=0.3)
    save_svg(fig, out)


def draw_capacity(out: IO[bytes], lang: str = "en") -> None:
    """Draw memorisation of shuffled labels and test accuracy against parameter count as SVG.

    The sweep is the chapter's own (``capacity_sweep()``), so the figure shows
    the numbers the page prints.
    """
    tr = language(lang)
    runs = capacity_sweep(WIDTHS)
    params = [true.num_params for true, _ in runs]
    fig = new_figure(7, 4.2, lang)
    ax = fig.subplots()
    lines = [
        ([t.test_acc for t, _ in runs], "o", "-", tr("true labels: test accuracy (performance)")),
        ([t.train_acc for t, _ in runs], "o", "--", tr("true labels: train accuracy")),
        (
            [r.train_acc for _, r in runs],
            "s",
            "-",
            tr("shuffled labels: train accuracy (capacity)"),
        ),
        ([r.test_acc for _, r in runs], "s", "--", tr("shuffled labels: test accuracy")),
    ]
    for values, marker, style, label in lines:
        ax.semilogx(params, values, marker=marker, linestyle=style, linewidth=2, label=label)
    ax.annotate(
        tr("too few parameters:\neven the true labels are not fitted\n(underfitting)"),
        xy=(params[0], runs[0][0].train_acc),
        xytext=(params[1] * 1.3, 0.6),
        fontsize=8,
        color="C3",
        arrowprops={"arrowstyle": "->", "color": "C3"},
    )
    for p, w in zip(params, WIDTHS, strict=True):
        ax.annotate(tr("width {width}", width=w), (p, -0.07), ha="center", fontsize=8, color="gray")
    ax.set_xlabel(tr("number of parameters (one-hidden-layer MLP, 500 training images)"))
    ax.set_ylabel(tr("accuracy"))
    ax.set_ylim(-0.1, 1.05)
    ax.set_xlim(params[0] / 1.6, params[-1] * 1.6)
    ax.grid(alpha=0.3, which="both")
    fig.legend(loc="outside lower center", ncols=2, fontsize=8)
    save_svg(fig, out)


FIGURES = {
    "metrics-confusion.svg": draw_confusion,
    "metrics-threshold.svg": draw_threshold,
    "metrics-capacity.svg": draw_capacity,
}
