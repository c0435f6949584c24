"""Object detection pieces: IoU, non-maximum suppression and a small R-CNN on digit scenes.

The R-CNN here follows Girshick et al. (2014) step by step (region proposals,
warped crops, CNN features, one linear SVM per class trained with hard-negative
mining, box regression, per-image non-maximum suppression) at toy scale:
"images" are 32x32 canvases with two handwritten digits pasted in, and the CNN
is the chapter's LeNet-5.

Boxes are ``(x1, y1, x2, y2)`` in pixel coordinates with ``x2, y2`` exclusive:
the box ``(0, 0, 8, 8)`` covers the 8x8 pixels of rows and columns 0..7, and
its area is ``(x2 - x1) * (y2 - y1) = 64``.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import IO

import numpy as np
import torch
import torch.nn.functional as F
from sklearn.svm import LinearSVC
from torch import nn

from snippets.cache import disk_cache
from snippets.cnn import single_thread
from snippets.plotting import language, new_figure, save_svg
from snippets.training import fit


# --8<-- [start:iou]
def box_area(boxes: np.ndarray) -> np.ndarray:
    """Area of each box; an empty or inverted box has area 0."""
    boxes = np.asarray(boxes, dtype=float)
    return (boxes[..., 2] - boxes[..., 0]).clip(0) * (boxes[..., 3] - boxes[..., 1]).clip(0)


def box_iou(boxes_a: np.ndarray, boxes_b: np.ndarray) -> np.ndarray:
    """Intersection over union of every box in ``boxes_a`` with every box in ``boxes_b``.

    Args:
        boxes_a: shape ``(N, 4)`` (or one box, shape ``(4,)``).
        boxes_b: shape ``(M, 4)`` (or one box).

    Returns:
        Shape ``(N, M)``: 1 for identical boxes, 0 for boxes that do not overlap.

    Examples:
        >>> box_iou([0, 0, 2, 2], [1, 0, 3, 2])  # overlap 2, union 6
        array([[0.33333333]])
    """
    a = np.asarray(boxes_a, dtype=float).reshape(-1, 4)
    b = np.asarray(boxes_b, dtype=float).reshape(-1, 4)
    # corners of the intersection of every pair (broadcast to N x M)
    x1 = np.maximum(a[:, None, 0], b[None, :, 0])
    y1 = np.maximum(a[:, None, 1], b[None, :, 1])
    x2 = np.minimum(a[:, None, 2], b[None, :, 2])
    y2 = np.minimum(a[:, None, 3], b[None, :, 3])
    intersection = (x2 - x1).clip(0) * (y2 - y1).clip(0)
    union = box_area(a)[:, None] + box_area(b)[None, :] - intersection
    return intersection / union


def iou_by_counting(box_a: tuple[int, ...], box_b: tuple[int, ...]) -> float:
    """IoU of two boxes with non-negative integer corners, by brute force:
    paint both on a pixel grid and count the pixels."""
    size = int(max(box_a[2], box_a[3], box_b[2], box_b[3]))
    grid_a = np.zeros((size, size), dtype=bool)
    grid_b = np.zeros((size, size), dtype=bool)
    grid_a[box_a[1] : box_a[3], box_a[0] : box_a[2]] = True  # rows are y, columns are x
    grid_b[box_b[1] : box_b[3], box_b[0] : box_b[2]] = True
    return float((grid_a & grid_b).sum() / (grid_a | grid_b).sum())


# --8<-- [end:iou]


# --8<-- [start:nms]
def nms(boxes: np.ndarray, scores: np.ndarray, iou_threshold: float = 0.5) -> np.ndarray:
    """Greedy non-maximum suppression.

    Take the highest-scoring box, drop every remaining box that overlaps it
    with IoU above ``iou_threshold``, and repeat with what is left.

    Returns:
        Indices of the kept boxes, highest score first.
    """
    boxes = np.asarray(boxes, dtype=float)
    order = np.argsort(-np.asarray(scores), kind="stable")
    keep = []
    while order.size > 0:
        best, rest = order[0], order[1:]
        keep.append(int(best))
        overlap = box_iou(boxes[best], boxes[rest])[0]
        order = rest[overlap <= iou_threshold]
    return np.array(keep, dtype=int)


def nms_by_definition(boxes: np.ndarray, scores: np.ndarray, iou_threshold: float = 0.5) -> list:
    """The same result from the definition: in score order, a box is kept when it
    overlaps no box kept before it by more than ``iou_threshold``."""
    kept: list[int] = []
    for i in sorted(range(len(boxes)), key=lambda i: -scores[i]):
        if all(iou_by_counting(boxes[i], boxes[k]) <= iou_threshold for k in kept):
            kept.append(i)
    return kept


# --8<-- [end:nms]


# --8<-- [start:box-regression]
def _centre_size(boxes: np.ndarray) -> tuple[np.ndarray, ...]:
    w = boxes[:, 2] - boxes[:, 0]
    h = boxes[:, 3] - boxes[:, 1]
    return boxes[:, 0] + w / 2, boxes[:, 1] + h / 2, w, h


def encode_boxes(proposals: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """R-CNN's regression targets ``(tx, ty, tw, th)`` that move each proposal onto its target.

    Shifts are measured in proposal widths and heights, size changes as log
    ratios, so the targets do not depend on the size of the box.
    """
    px, py, pw, ph = _centre_size(np.asarray(proposals, dtype=float).reshape(-1, 4))
    gx, gy, gw, gh = _centre_size(np.asarray(targets, dtype=float).reshape(-1, 4))
    return np.stack([(gx - px) / pw, (gy - py) / ph, np.log(gw / pw), np.log(gh / ph)], axis=1)


def decode_boxes(proposals: np.ndarray, deltas: np.ndarray) -> np.ndarray:
    """Apply predicted ``(tx, ty, tw, th)`` to the proposals: the inverse of ``encode_boxes``."""
    px, py, pw, ph = _centre_size(np.asarray(proposals, dtype=float).reshape(-1, 4))
    cx, cy = px + deltas[:, 0] * pw, py + deltas[:, 1] * ph
    w, h = pw * np.exp(deltas[:, 2]), ph * np.exp(deltas[:, 3])
    return np.stack([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], axis=1)


# --8<-- [end:box-regression]


# --8<-- [start:scenes]
SCENE_SIZE = 32
DIGIT_SIZES = (8, 10, 12)


def make_scene(
    images: torch.Tensor, labels: torch.Tensor, rng: np.random.Generator, num_digits: int = 2
) -> tuple[torch.Tensor, np.ndarray, np.ndarray]:
    """Paste digit images, resized to 8, 10 or 12 pixels, at random places on a blank 32x32 canvas.

    Returns:
        The scene ``(32, 32)``, the true boxes ``(num_digits, 4)`` and their classes.
    """
    scene = torch.zeros(SCENE_SIZE, SCENE_SIZE)
    chosen = rng.choice(len(images), num_digits, replace=False)
    boxes: list[np.ndarray] = []
    for i in chosen:
        for size in rng.permutation(DIGIT_SIZES):  # a random size that still fits
            places = propose_regions(sizes=(size,), stride=1)  # every place (function below)
            if boxes:  # keep the places that do not overlap the digits already there
                places = places[box_iou(places, np.array(boxes)).max(axis=1) == 0]
            if len(places) > 0:
                break
        box = places[rng.integers(len(places))]
        x, y, size = int(box[0]), int(box[1]), int(box[2] - box[0])
        digit = F.interpolate(images[i : i + 1], size=(size, size), mode="bilinear")
        scene[y : y + size, x : x + size] = digit[0, 0]
        boxes.append(box)
    return scene, np.array(boxes), labels[chosen].numpy()


# --8<-- [end:scenes]


# --8<-- [start:proposals]
def propose_regions(sizes: tuple[int, ...] = (8, 10, 12), stride: int = 2) -> np.ndarray:
    """Class-agnostic region proposals: square windows of several sizes on a grid.

    R-CNN used selective search (Uijlings et al., 2013), about 2,000 regions
    per image grown from a segmentation; on blank-background toy scenes a
    grid of windows does the same job.
    """
    boxes = [
        (x, y, x + size, y + size)
        for size in sizes
        for y in range(0, SCENE_SIZE - size + 1, stride)
        for x in range(0, SCENE_SIZE - size + 1, stride)
    ]
    return np.array(boxes, dtype=float)


def warp_regions(scene: torch.Tensor, boxes: np.ndarray, size: int = 8) -> torch.Tensor:
    """Cut every box out of the scene and resize it to ``size x size`` (R-CNN's "warp").

    Boxes of the same width and height are cut and resized together, as one batch.

    Returns:
        Shape ``(len(boxes), 1, size, size)``: a batch the CNN can take.
    """
    boxes = np.asarray(boxes).astype(int)
    sides = boxes[:, 2:] - boxes[:, :2]  # (width, height) of each box
    crops = torch.empty(len(boxes), 1, size, size)
    for width, height in np.unique(sides, axis=0):
        same = np.flatnonzero((sides == (width, height)).all(axis=1))
        # every height x width window of the scene, indexed by its top-left corner (y, x)
        windows = scene.unfold(0, height, 1).unfold(1, width, 1)
        cut = windows[boxes[same, 1], boxes[same, 0]]
        crops[same] = F.interpolate(cut[:, None], size=(size, size), mode="bilinear")
    return crops


# --8<-- [end:proposals]


# --8<-- [start:rcnn]
NUM_CLASSES = 10  # the digits 0..9
BACKGROUND = 10  # the fine-tuned CNN's extra class: "no digit here"


@dataclass
class RCNN:
    """A trained R-CNN: a fine-tuned CNN and linear models on its features."""

    net: nn.Sequential  # LeNet-5 fine-tuned on warped regions, 11 outputs (10 digits, background)
    svms: np.ndarray  # (85, 10): one linear SVM per digit, last row the bias
    regressor: np.ndarray  # (85, 4): box regression from the same features
    hard_negatives: list[int]  # negatives added by each round of mining, all classes together


def cnn_features(net: nn.Sequential, crops: torch.Tensor) -> np.ndarray:
    """Activations of the layer before the output (F6 of LeNet-5, 84 numbers per crop)."""
    with torch.no_grad(), single_thread():
        return net[:-1](crops).double().numpy()


def fit_linear(features: np.ndarray, targets: np.ndarray, alpha: float = 1.0) -> np.ndarray:
    """Ridge regression in closed form; returns weights with the bias as last row."""
    X = np.hstack([features, np.ones((len(features), 1))])
    return np.linalg.solve(X.T @ X + alpha * np.eye(X.shape[1]), X.T @ targets)


def apply_linear(features: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Outputs of linear models stored as weights with the bias as last row."""
    return np.hstack([features, np.ones((len(features), 1))]) @ weights


def sample_regions(
    images: torch.Tensor, labels: torch.Tensor, num_scenes: int, rng: np.random.Generator
) -> tuple[torch.Tensor, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Training regions from ``num_scenes`` scenes: per scene the true boxes, up to 3
    proposals per digit with IoU >= 0.5, 8 proposals that cut a digit (0 < IoU < 0.5)
    and 1 empty proposal.

    Returns:
        Warped crops, region boxes, the true box each region overlaps most,
        that box's class, and the IoU between the two.
    """
    proposals = propose_regions()
    parts: list[tuple] = []
    for _ in range(num_scenes):
        scene, boxes, classes = make_scene(images, labels, rng)
        overlaps = box_iou(proposals, boxes)
        nearest, best = overlaps.argmax(axis=1), overlaps.max(axis=1)
        picked = [
            rng.permutation(np.flatnonzero((best >= 0.5) & (nearest == k)))[:3]
            for k in range(len(boxes))
        ]
        picked.append(rng.choice(np.flatnonzero((best > 0) & (best < 0.5)), 8, replace=False))
        picked.append(rng.choice(np.flatnonzero(best == 0), 1, replace=False))
        index = np.concatenate(picked)
        regions = np.concatenate([boxes, proposals[index]])
        matched = np.concatenate([np.arange(len(boxes)), nearest[index]])
        ious = np.concatenate([np.ones(len(boxes)), best[index]])
        parts.append(
            (warp_regions(scene, regions), regions, boxes[matched], classes[matched], ious)
        )
    crops, regions, targets, classes, ious = zip(*parts, strict=True)
    return torch.cat(crops), *(np.concatenate(x) for x in (regions, targets, classes, ious))


def mining_pool(
    net: nn.Sequential,
    images: torch.Tensor,
    labels: torch.Tensor,
    num_scenes: int,
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray]:
    """Every proposal of ``num_scenes`` new scenes, where the SVMs look for negatives.

    Returns:
        CNN features ``(K, 84)`` and ``negative`` ``(K, 10)``: True where the region
        overlaps every digit of that class with IoU < 0.3, R-CNN's rule for a negative.
    """
    proposals = propose_regions()
    features, negative = [], []
    for _ in range(num_scenes):
        scene, boxes, classes = make_scene(images, labels, rng)
        of_class = classes[None, :] == np.arange(NUM_CLASSES)[:, None]  # (10, digits)
        # IoU with the closest digit of each class (0 where the class is absent)
        overlap = (box_iou(proposals, boxes)[:, None, :] * of_class).max(axis=2)
        features.append(cnn_features(net, warp_regions(scene, proposals)))
        negative.append(overlap < 0.3)
    return np.concatenate(features), np.concatenate(negative)


def train_svms(
    positives: np.ndarray,
    positive_classes: np.ndarray,
    pool: np.ndarray,
    negative: np.ndarray,
    rounds: int = 2,
    start: int = 500,
    C: float = 0.1,
    seed: int = 0,
) -> tuple[np.ndarray, list[int]]:
    """One linear SVM per class, one class against the rest, with hard-negative mining.

    The positives of class ``c`` are the features of its true boxes; its
    negatives are the pool's regions with ``negative[:, c]``. They are too many
    to fit on at once, so each SVM starts from ``start`` random negatives; every
    round of mining adds the negatives it scores above -1 (wrong, or inside
    the margin) and fits the SVM again.

    Returns:
        Weights ``(85, 10)`` with the bias as last row, and the number of
        negatives each round added (all classes together).
    """
    rng = np.random.default_rng(seed)
    weights = np.zeros((positives.shape[1] + 1, NUM_CLASSES))
    added = [0] * rounds
    for c in range(NUM_CLASSES):
        ours = positives[positive_classes == c]
        candidates = np.flatnonzero(negative[:, c])
        cache = rng.choice(candidates, start, replace=False)
        for round_ in range(rounds + 1):
            X = np.vstack([ours, pool[cache]])
            y = np.concatenate([np.ones(len(ours)), -np.ones(len(cache))])
            svm = LinearSVC(C=C, random_state=seed).fit(X, y)
            if round_ == rounds:
                break
            too_high = candidates[svm.decision_function(pool[candidates]) > -1]
            hard = np.setdiff1d(too_high, cache)  # those not in the cache yet
            added[round_] += len(hard)
            cache = np.concatenate([cache, hard])
        weights[:-1, c], weights[-1, c] = svm.coef_[0], svm.intercept_[0]
    return weights, added


@disk_cache  # trained once per code and arguments (snippets/cache.py)
def train_rcnn(
    pretrained: nn.Sequential,
    images: torch.Tensor,
    labels: torch.Tensor,
    num_scenes: int = 1000,
    num_epochs: int = 8,
    mining_scenes: int = 100,
    mining_rounds: int = 2,
    seed: int = 0,
) -> RCNN:
    """Train the three parts of R-CNN with the labelling rules of Girshick et al. (2014).

    1. Fine-tune a copy of ``pretrained`` with a new 11-way output layer:
       regions with IoU >= 0.5 take the digit's class, all others are background.
    2. One linear SVM per digit on the CNN features: positives are the true
       boxes only, negatives the regions with IoU < 0.3 with every digit of that
       class, found by hard-negative mining in ``mining_scenes`` new scenes.
    3. Box regression on the regions with IoU >= 0.6.
    """
    rng = np.random.default_rng(seed)
    crops, regions, targets, classes, ious = sample_regions(images, labels, num_scenes, rng)

    net = copy.deepcopy(pretrained)  # keep the digit classifier as it is
    torch.manual_seed(seed)
    net[-1] = nn.Linear(net[-1].in_features, BACKGROUND + 1)
    y = torch.from_numpy(np.where(ious >= 0.5, classes, BACKGROUND))
    with single_thread():
        fit(net, crops, y, num_epochs=num_epochs, lr=1e-2, batch_size=256, seed=seed)
    features = cnn_features(net, crops)

    true_box = ious == 1
    pool, negative = mining_pool(net, images, labels, mining_scenes, rng)
    svms, hard_negatives = train_svms(
        features[true_box], classes[true_box], pool, negative, rounds=mining_rounds, seed=seed
    )
    close = ious >= 0.6
    deltas = encode_boxes(regions[close], targets[close])
    regressor = fit_linear(features[close], deltas, alpha=10.0)
    return RCNN(net, svms, regressor, hard_negatives)


def score_regions(
    rcnn: RCNN, scene: torch.Tensor
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Steps 1 to 5 for every proposal of one scene.

    Returns:
        The proposals ``(K, 4)``, their boxes after regression ``(K, 4)``,
        the best class of each ``(K,)`` and its SVM score ``(K,)``.
    """
    proposals = propose_regions()  # 1. region proposals
    crops = warp_regions(scene, proposals)  # 2. warped crops
    features = cnn_features(rcnn.net, crops)  # 3. CNN features
    scores = apply_linear(features, rcnn.svms)  # 4. one score per class (K, 10)
    boxes = decode_boxes(proposals, apply_linear(features, rcnn.regressor))  # 5. regression
    return proposals, boxes, scores.argmax(axis=1), scores.max(axis=1)


def detect(
    rcnn: RCNN, scene: torch.Tensor, score_threshold: float = 0.0, iou_threshold: float = 0.3
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Detect digits in one scene: score every proposal, drop those no SVM scores
    above ``score_threshold`` (background), then let non-maximum suppression
    keep the best box of each cluster.

    Returns:
        Boxes ``(D, 4)`` after regression, classes ``(D,)``, scores ``(D,)``
        (highest first) and the proposals the boxes came from ``(D, 4)``.
    """
    proposals, boxes, classes, scores = score_regions(rcnn, scene)
    candidates = np.flatnonzero(scores > score_threshold)
    kept = candidates[nms(boxes[candidates], scores[candidates], iou_threshold)]
    return boxes[kept], classes[kept], scores[kept], proposals[kept]


# --8<-- [end:rcnn]


# --8<-- [start:evaluate]
def match_detections(
    boxes: np.ndarray, classes: np.ndarray, true_boxes: np.ndarray, true_classes: np.ndarray
) -> list[tuple[int, int]]:
    """Pairs (detection, true box) under the PASCAL VOC rule: same class, IoU >= 0.5,
    each true box matched at most once. Detections must come highest score first."""
    free = list(range(len(true_boxes)))
    pairs = []
    for d, (box, cls) in enumerate(zip(boxes, classes, strict=True)):
        overlaps = [(box_iou(box, true_boxes[k])[0, 0], k) for k in free if true_classes[k] == cls]
        if overlaps and max(overlaps)[0] >= 0.5:
            k = max(overlaps)[1]
            pairs.append((d, k))
            free.remove(k)
    return pairs


def average_precision(scores: np.ndarray, correct: np.ndarray, num_true: int) -> float:
    """Average precision (AP) of one class: the area under its precision-recall curve.

    Detections are taken in order of falling score; after each one, recall and
    precision are those of the detections so far. As in PASCAL VOC from 2010 on,
    precision at a recall is the best precision at that recall or higher.

    Examples:
        >>> average_precision(np.array([0.9, 0.8, 0.7]), np.array([True, False, True]), 2)
        0.8333333333333333
    """
    order = np.argsort(-scores, kind="stable")
    hits = np.cumsum(correct[order])
    recall = hits / num_true
    precision = hits / np.arange(1, len(order) + 1)
    precision = np.maximum.accumulate(precision[::-1])[::-1]  # best at this recall or higher
    return float(np.sum(np.diff(recall, prepend=0.0) * precision))


@disk_cache  # trained once per code and arguments (snippets/cache.py)
def evaluate(
    rcnn: RCNN, images: torch.Tensor, labels: torch.Tensor, num_scenes: int = 100, seed: int = 1
) -> dict[str, float]:
    """Detect digits in new scenes and score the detector.

    Returns:
        ``recall`` and ``precision`` of the detections with a score above 0,
        ``mAP``, the mean over the 10 classes of the average precision of all
        detections, and the mean IoU of the correct detections (score above 0)
        before (the proposal) and after box regression.
    """
    rng = np.random.default_rng(seed)
    found, scores, correct = [], [], []  # class, score and correctness of each detection
    true_classes_all = []
    before, after = [], []
    for _ in range(num_scenes):
        scene, true_boxes, true_classes = make_scene(images, labels, rng)
        boxes, classes, these_scores, proposals = detect(rcnn, scene, score_threshold=-np.inf)
        hit = np.zeros(len(boxes), dtype=bool)
        for d, k in match_detections(boxes, classes, true_boxes, true_classes):
            hit[d] = True
            if these_scores[d] > 0:
                before.append(box_iou(proposals[d], true_boxes[k])[0, 0])
                after.append(box_iou(boxes[d], true_boxes[k])[0, 0])
        found.append(classes)
        scores.append(these_scores)
        correct.append(hit)
        true_classes_all.append(true_classes)
    found, scores, correct, true_classes_all = map(
        np.concatenate, (found, scores, correct, true_classes_all)
    )
    kept = scores > 0
    aps = [
        average_precision(scores[found == c], correct[found == c], (true_classes_all == c).sum())
        for c in range(NUM_CLASSES)
    ]
    return {
        "recall": float((correct & kept).sum() / len(true_classes_all)),
        "precision": float((correct & kept).sum() / max(kept.sum(), 1)),
        "mAP": float(np.mean(aps)),
        "iou_before_regression": float(np.mean(before)) if before else 0.0,
        "iou_after_regression": float(np.mean(after)) if after else 0.0,
    }


# --8<-- [end:evaluate]


# --------------------------------------------------------------------------
# Figures (drawn at build time by hooks/figures.py; see FIGURES)
# --------------------------------------------------------------------------

FIGURE_SCENE_SEED = 0  # the scene shown on the page


def _draw_boxes(ax, boxes, color, labels=None, linewidth=1.5, alpha=1.0) -> None:
    from matplotlib.patches import Rectangle

    for i, (x1, y1, x2, y2) in enumerate(boxes):
        # pixel (row r, column c) is drawn centred on (c, r), so box edges sit at -0.5
        ax.add_patch(
            Rectangle(
                (x1 - 0.5, y1 - 0.5),
                x2 - x1,
                y2 - y1,
                fill=False,
                edgecolor=color,
                linewidth=linewidth,
                alpha=alpha,
            )
        )
        if labels is not None:  # inside the box, top left, on a white patch
            ax.text(
                max(x1, 0) - 0.3,
                max(y1, 0) + 0.6,
                labels[i],
                color=color,
                fontsize=9,
                weight="bold",
                family="DejaVu Sans",  # digits and scores only; NanumGothic has no bold
                bbox={"facecolor": "white", "edgecolor": "none", "pad": 1, "alpha": 0.8},
            )


def draw_rcnn(out: IO[bytes], lang: str = "en") -> None:
    """Draw one test scene: true boxes, candidate windows before NMS, detections after NMS."""
    from snippets.cnn import train_lenet5
    from snippets.data import load_digit_images

    tr = language(lang)
    data = load_digit_images()
    net, _, _ = train_lenet5()
    rcnn = train_rcnn(net, data.X_train, data.y_train)
    scene, true_boxes, true_classes = make_scene(
        data.X_test, data.y_test, np.random.default_rng(FIGURE_SCENE_SEED)
    )
    _, boxes, _, scores = score_regions(rcnn, scene)
    candidates = scores > 0
    found_boxes, found_classes, found_scores, _ = detect(rcnn, scene)

    fig = new_figure(9, 3.4, lang)
    axes = fig.subplots(1, 3)
    titles = [
        tr("scene and true boxes"),
        tr("{count} candidate boxes (score > 0)", count=int(candidates.sum())),
        tr("{count} detections after NMS", count=len(found_boxes)),
    ]
    for ax, title in zip(axes, titles, strict=True):
        ax.imshow(scene.numpy(), cmap="gray_r", vmin=0, vmax=1)
        ax.set_title(title, fontsize=10)
        ax.set_xlim(-0.5, SCENE_SIZE - 0.5)
        ax.set_ylim(SCENE_SIZE - 0.5, -0.5)
        ax.set_xticks([])
        ax.set_yticks([])
    _draw_boxes(axes[0], true_boxes, "tab:green", [str(c) for c in true_classes])
    _draw_boxes(axes[1], boxes[candidates], "tab:orange", linewidth=1, alpha=0.5)
    labels = [f"{c}: {s:.2f}" for c, s in zip(found_classes, found_scores, strict=True)]
    _draw_boxes(axes[2], found_boxes, "tab:blue", labels, linewidth=2)
    save_svg(fig, out)


FIGURES = {"detection-rcnn.svg": draw_rcnn}
