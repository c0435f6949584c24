"""One small, seeded training loop for every chapter that trains a classifier."""

from __future__ import annotations

from collections.abc import Callable, Iterable

import torch
from torch import nn


# --8<-- [start:fit]
def fit(
    net: nn.Module,
    X: torch.Tensor,
    y: torch.Tensor,
    *,
    num_epochs: int = 20,
    lr: float = 1e-3,
    batch_size: int = 64,
    seed: int = 0,
    params: Iterable[nn.Parameter] | Iterable[dict] | None = None,
    augment: Callable[[torch.Tensor, torch.Generator], torch.Tensor] | None = None,
) -> list[float]:
    """Train ``net`` with Adam and cross-entropy; return the mean loss of each epoch.

    Args:
        net: the model; it is trained in place.
        X: inputs, first dimension is the batch.
        y: integer class labels.
        num_epochs: passes over the data.
        lr: learning rate of Adam.
        batch_size: examples per gradient step.
        seed: seeds the shuffling, so the same call gives the same result.
        params: parameters to train (default: all of ``net``'s), e.g. only a new head.
        augment: applied to ``X`` at the start of every epoch, with its own
            random generator, so the batch order does not depend on it.
    """
    generator = torch.Generator().manual_seed(seed)
    augment_generator = torch.Generator().manual_seed(seed + 10_000)
    optimizer = torch.optim.Adam(net.parameters() if params is None else params, lr=lr)
    loss_fn = nn.CrossEntropyLoss()
    losses = []
    net.train()
    for _ in range(num_epochs):
        X_epoch = X if augment is None else augment(X, augment_generator)
        order = torch.randperm(len(X), generator=generator)
        total = 0.0
        for start in range(0, len(X), batch_size):
            batch = order[start : start + batch_size]
            optimizer.zero_grad()
            loss = loss_fn(net(X_epoch[batch]), y[batch])
            loss.backward()
            optimizer.step()
            total += loss.item() * len(batch)
        losses.append(total / len(X))
    net.eval()
    return losses


@torch.no_grad()
def accuracy(net: nn.Module, X: torch.Tensor, y: torch.Tensor) -> float:
    """Fraction of examples whose highest-scoring class is the label."""
    net.eval()
    return (net(X).argmax(dim=1) == y).float().mean().item()


# --8<-- [end:fit]
