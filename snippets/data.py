"""Real digit images that ship inside scikit-learn: nothing is downloaded.

``sklearn.datasets.load_digits`` holds 1,797 grey-scale images of 8x8 pixels
(handwritten digits 0-9, UCI "Optical Recognition of Handwritten Digits").
Every chapter that trains on images uses this one loader and this one split.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import torch


class DigitSplit(NamedTuple):
    """Train and test tensors: images ``(N, 1, 8, 8)`` in [0, 1], labels ``(N,)``."""

    X_train: torch.Tensor
    X_test: torch.Tensor
    y_train: torch.Tensor
    y_test: torch.Tensor


# --8<-- [start:load]
def load_digit_images(test_fraction: float = 0.25, seed: int = 0) -> DigitSplit:
    """Load the scikit-learn digits as image tensors with a stratified, seeded split.

    Examples:
        >>> data = load_digit_images()
        >>> tuple(data.X_train.shape), tuple(data.X_test.shape)
        ((1347, 1, 8, 8), (450, 1, 8, 8))
        >>> float(data.X_train.min()), float(data.X_train.max())
        (0.0, 1.0)
    """
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    digits = load_digits()
    images = digits.images.astype(np.float32) / 16.0  # pixel values are 0..16
    X_train, X_test, y_train, y_test = train_test_split(
        images, digits.target, test_size=test_fraction, random_state=seed, stratify=digits.target
    )
    return DigitSplit(
        torch.from_numpy(X_train).unsqueeze(1),
        torch.from_numpy(X_test).unsqueeze(1),
        torch.from_numpy(y_train).long(),
        torch.from_numpy(y_test).long(),
    )


# --8<-- [end:load]
