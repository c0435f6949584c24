"""Unit tests for snippets/detection.py: IoU, NMS, box regression and the small R-CNN."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from snippets.cnn import train_lenet5
from snippets.data import load_digit_images
from snippets.detection import (
    BACKGROUND,
    SCENE_SIZE,
    box_area,
    box_iou,
    decode_boxes,
    detect,
    encode_boxes,
    evaluate,
    iou_by_counting,
    make_scene,
    match_detections,
    nms,
    nms_by_definition,
    propose_regions,
    sample_regions,
    score_regions,
    train_rcnn,
    warp_regions,
)


def _random_boxes(rng: np.random.Generator, n: int, size: int = 20) -> np.ndarray:
    corners = rng.integers(0, size, size=(n, 2))
    sides = rng.integers(1, 8, size=(n, 2))
    return np.hstack([corners, corners + sides]).astype(int)


# --------------------------------------------------------------------------
# IoU
# --------------------------------------------------------------------------


def test_iou_hand_checked_cases():
    a = [0, 0, 10, 10]
    assert box_iou(a, a)[0, 0] == 1.0
    assert box_iou(a, [5, 0, 15, 10])[0, 0] == pytest.approx(50 / 150)  # half overlaps
    assert box_iou(a, [2, 2, 7, 7])[0, 0] == pytest.approx(25 / 100)  # inside
    assert box_iou(a, [1, 1, 11, 11])[0, 0] == pytest.approx(81 / 119)


def test_iou_of_disjoint_or_touching_boxes_is_zero():
    assert box_iou([0, 0, 10, 10], [20, 20, 30, 30])[0, 0] == 0.0
    assert box_iou([0, 0, 10, 10], [10, 0, 20, 10])[0, 0] == 0.0  # they share an edge only


def test_an_inverted_box_has_no_area():
    assert box_area(np.array([5, 5, 0, 0])) == 0.0


def test_iou_matrix_shape_and_symmetry():
    rng = np.random.default_rng(0)
    a, b = _random_boxes(rng, 5), _random_boxes(rng, 7)
    ious = box_iou(a, b)
    assert ious.shape == (5, 7)
    assert np.allclose(ious, box_iou(b, a).T)
    assert ((0 <= ious) & (ious <= 1)).all()


def test_iou_equals_brute_force_counting():
    rng = np.random.default_rng(1)
    a, b = _random_boxes(rng, 300, size=10), _random_boxes(rng, 300, size=10)
    fast = [box_iou(x, y)[0, 0] for x, y in zip(a, b, strict=True)]
    slow = [iou_by_counting(tuple(x), tuple(y)) for x, y in zip(a, b, strict=True)]
    assert np.allclose(fast, slow)
    assert sum(v > 0 for v in slow) > 50  # the test really compares overlapping boxes


# --------------------------------------------------------------------------
# NMS
# --------------------------------------------------------------------------

BOXES = np.array([[0, 0, 10, 10], [1, 1, 11, 11], [20, 20, 30, 30], [21, 20, 31, 30]])
SCORES = np.array([0.9, 0.8, 0.7, 0.95])


def test_nms_hand_checked():
    # 0 and 1 overlap (IoU 0.68), 2 and 3 overlap (IoU 0.82): one of each pair survives
    assert nms(BOXES, SCORES, 0.5).tolist() == [3, 0]
    assert nms(BOXES, SCORES, 0.9).tolist() == [3, 0, 1, 2]  # nothing overlaps that much
    assert nms(BOXES, SCORES, 0.0).tolist() == [3, 0]


def test_nms_chain_keeps_the_far_end():
    # B overlaps A and C, A and C do not overlap: A removes B, so C survives
    boxes = np.array([[0, 0, 10, 10], [5, 0, 15, 10], [10, 0, 20, 10]])
    assert nms(boxes, np.array([0.9, 0.8, 0.7]), 0.3).tolist() == [0, 2]


def test_nms_equals_its_definition_on_random_boxes():
    rng = np.random.default_rng(2)
    for _ in range(30):
        boxes = _random_boxes(rng, 15, size=12)
        scores = rng.permutation(15) / 15  # distinct scores: the order is unique
        for threshold in (0.1, 0.3, 0.5):
            assert nms(boxes, scores, threshold).tolist() == nms_by_definition(
                boxes, scores, threshold
            )


def test_nms_output_properties():
    rng = np.random.default_rng(3)
    boxes = _random_boxes(rng, 40, size=12)
    scores = rng.random(40)
    kept = nms(boxes, scores, 0.4)
    # kept boxes overlap each other at most by the threshold ...
    ious = box_iou(boxes[kept], boxes[kept])
    assert (ious[~np.eye(len(kept), dtype=bool)] <= 0.4).all()
    # ... and every dropped box overlaps a kept, higher-scoring box by more
    for i in set(range(40)) - set(kept.tolist()):
        assert any(box_iou(boxes[i], boxes[k])[0, 0] > 0.4 and scores[k] >= scores[i] for k in kept)


# --------------------------------------------------------------------------
# Box regression
# --------------------------------------------------------------------------


def test_box_coding_round_trip():
    rng = np.random.default_rng(4)
    proposals = _random_boxes(rng, 50).astype(float)
    targets = _random_boxes(rng, 50).astype(float)
    deltas = encode_boxes(proposals, targets)
    assert np.allclose(decode_boxes(proposals, deltas), targets)
    assert np.allclose(encode_boxes(targets, targets), 0)


def test_box_coding_hand_checked():
    # move right by half a width, double the height
    deltas = encode_boxes(np.array([[0, 0, 10, 10]]), np.array([[5, -5, 15, 15]]))
    assert np.allclose(deltas, [[0.5, 0.0, 0.0, np.log(2)]])


# --------------------------------------------------------------------------
# Scenes, proposals, warping
# --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def data():
    return load_digit_images()


def test_scenes_are_deterministic_and_boxes_do_not_overlap(data):
    for seed in range(20):
        scene, boxes, classes = make_scene(data.X_test, data.y_test, np.random.default_rng(seed))
        again, _, _ = make_scene(data.X_test, data.y_test, np.random.default_rng(seed))
        assert torch.equal(scene, again)
        assert box_iou(boxes[0], boxes[1])[0, 0] == 0
        assert (boxes >= 0).all() and (boxes <= SCENE_SIZE).all()
        assert set((boxes[:, 2] - boxes[:, 0]).tolist()) <= {8.0, 10.0, 12.0}
        inside = torch.zeros_like(scene, dtype=torch.bool)
        for x1, y1, x2, y2 in boxes.astype(int):
            inside[y1:y2, x1:x2] = True
        assert scene[~inside].abs().max() == 0  # ink only inside the true boxes
        assert classes.shape == (2,)


def test_proposals_cover_the_scene():
    proposals = propose_regions()
    assert proposals.shape == (13 * 13 + 12 * 12 + 11 * 11, 4) == (434, 4)
    assert proposals.min() == 0 and proposals.max() == SCENE_SIZE


def test_warp_keeps_an_8x8_crop_and_resizes_others(data):
    scene, _, _ = make_scene(data.X_test, data.y_test, np.random.default_rng(0))
    crops = warp_regions(scene, np.array([[3, 4, 11, 12], [0, 0, 12, 12]], dtype=float))
    assert crops.shape == (2, 1, 8, 8)
    assert torch.allclose(crops[0, 0], scene[4:12, 3:11])


def test_sampled_regions_follow_the_iou_rules(data):
    crops, regions, targets, classes, ious = sample_regions(
        data.X_train, data.y_train, 20, np.random.default_rng(0)
    )
    assert len(crops) == len(regions) == len(targets) == len(classes) == len(ious)
    recomputed = np.array([box_iou(r, t)[0, 0] for r, t in zip(regions, targets, strict=True)])
    assert np.allclose(recomputed, ious)
    assert (ious == 1).sum() >= 40  # the true boxes themselves
    assert ((ious > 0) & (ious < 0.5)).sum() == 20 * 8


def test_match_detections_counts_each_true_box_once():
    true_boxes = np.array([[0, 0, 10, 10], [20, 20, 30, 30]], dtype=float)
    true_classes = np.array([3, 7])
    boxes = np.array([[0, 0, 10, 10], [1, 0, 11, 10], [20, 20, 30, 30]], dtype=float)
    assert match_detections(boxes, np.array([3, 3, 7]), true_boxes, true_classes) == [
        (0, 0),
        (2, 1),
    ]
    # a right box with the wrong class is no match
    assert match_detections(boxes, np.array([5, 5, 5]), true_boxes, true_classes) == []


# --------------------------------------------------------------------------
# The small R-CNN: the page's claims
# --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def rcnn(data):
    net, _, _ = train_lenet5()
    return train_rcnn(net, data.X_train, data.y_train)


def test_rcnn_finds_most_digits(rcnn, data):
    results = evaluate(rcnn, data.X_test, data.y_test)
    assert results["recall"] > 0.8
    assert results["precision"] > 0.8
    assert results["iou_after_regression"] > results["iou_before_regression"]


def test_nms_reduces_candidates_to_a_few_detections(rcnn, data):
    scene, true_boxes, true_classes = make_scene(data.X_test, data.y_test, np.random.default_rng(0))
    _, _, classes, scores = score_regions(rcnn, scene)
    candidates = ((classes != BACKGROUND) & (scores > 0)).sum()
    boxes, found, _, _ = detect(rcnn, scene)
    assert candidates > 3 * len(boxes)
    assert len(match_detections(boxes, found, true_boxes, true_classes)) == 2


def test_an_untrained_cnn_detects_nothing_useful(data):
    # Deliberately broken: a detector built on random features should fail the page's check
    from snippets.cnn import lenet5

    torch.manual_seed(0)
    broken = train_rcnn(lenet5(), data.X_train, data.y_train, num_scenes=50, num_epochs=0)
    results = evaluate(broken, data.X_test, data.y_test, num_scenes=20)
    assert not (results["recall"] > 0.8 and results["precision"] > 0.8)
