"""How a network learns: losses, gradient descent, optimisers, initialisation, regularisation.

Every function here is shown on the chapter page (Korean and English) through
``--8<--`` includes, and every example on that page runs in the tests. The
chapter opens up :func:`snippets.training.fit`, the loop every other chapter
uses (Adam, cross-entropy, minibatches, epochs), and measures each of its parts.
"""

from __future__ import annotations

import copy
import functools
import math
from collections.abc import Callable, Sequence
from typing import IO

import numpy as np
import torch
from torch import nn

from snippets.augmentation import augment
from snippets.cache import disk_cache
from snippets.plotting import language, new_figure, save_svg
from snippets.training import accuracy, fit
from snippets.tuning import validation_split


# --8<-- [start:losses]
def mse(prediction: np.ndarray, target: np.ndarray) -> float:
    """Mean squared error, the usual loss for regression."""
    return float(((prediction - target) ** 2).mean())


def softmax_naive(z: np.ndarray) -> np.ndarray:
    """Softmax straight from the formula ``exp(z) / sum(exp(z))``: overflows for large ``z``."""
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)


def log_softmax(z: np.ndarray) -> np.ndarray:
    """``log(softmax(z))`` computed stably with the log-sum-exp trick.

    Subtracting the largest logit changes nothing mathematically (it cancels in
    the fraction) but makes the largest exponent ``exp(0) = 1``: nothing overflows.

    Examples:
        >>> log_softmax(np.array([0.0, 0.0])).round(4)
        array([-0.6931, -0.6931])
    """
    shifted = z - z.max(axis=-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


def softmax(z: np.ndarray) -> np.ndarray:
    """Softmax without overflow: the exponential of :func:`log_softmax`."""
    return np.exp(log_softmax(z))


def cross_entropy(logits: np.ndarray, labels: np.ndarray) -> float:
    """Mean of ``-log p(correct class)`` over a batch; what ``nn.CrossEntropyLoss`` computes.

    Args:
        logits: raw scores ``(N, C)``, not probabilities.
        labels: integer classes ``(N,)``.
    """
    return float(-log_softmax(logits)[np.arange(len(labels)), labels].mean())


# --8<-- [end:losses]


# --8<-- [start:models]
def digit_mlp(width: int = 128, dropout: float = 0.0, seed: int = 0) -> nn.Sequential:
    """An MLP for the 8x8 digits: 64 pixels, two hidden ReLU layers of ``width``, 10 scores.

    ``dropout`` is the probability of zeroing each hidden unit during training
    (0: no dropout). ``seed`` fixes the initial weights.
    """
    torch.manual_seed(seed)
    return nn.Sequential(
        nn.Flatten(),
        nn.Linear(64, width),
        nn.ReLU(),
        nn.Dropout(dropout),
        nn.Linear(width, width),
        nn.ReLU(),
        nn.Dropout(dropout),
        nn.Linear(width, 10),
    )


@torch.no_grad()
def mean_loss(net: nn.Module, X: torch.Tensor, y: torch.Tensor) -> float:
    """Mean cross-entropy of ``net`` on ``(X, y)``, in evaluation mode."""
    net.eval()
    return nn.functional.cross_entropy(net(X), y).item()


# --8<-- [end:models]


# --8<-- [start:gradient-descent]
def regression_problem(n: int = 200, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """A linear regression task: ``y = X @ [2, -1] + noise``, the second feature 3x wider."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 2)) * np.array([1.0, 3.0])
    y = X @ np.array([2.0, -1.0]) + 0.5 * rng.normal(size=n)
    return torch.from_numpy(X), torch.from_numpy(y)


def gradient_descent(X: torch.Tensor, y: torch.Tensor, lr: float, steps: int = 50) -> list[float]:
    """Minimise the mean squared error of ``X @ w`` by gradient descent from ``w = 0``.

    Returns the loss before each step and after the last one (``steps + 1`` values).
    """
    w = torch.zeros(X.shape[1], dtype=X.dtype, requires_grad=True)
    losses = []
    for _ in range(steps):
        loss = ((X @ w - y) ** 2).mean()
        losses.append(loss.item())
        loss.backward()  # w.grad = dL/dw
        with torch.no_grad():
            w -= lr * w.grad  # the update rule: one step downhill
        w.grad.zero_()
    losses.append(((X @ w - y) ** 2).mean().item())
    return losses


def largest_stable_lr(X: torch.Tensor) -> float:
    """``2 / lambda_max`` of the loss's Hessian ``2/N X^T X``: larger steps diverge."""
    hessian = 2 * X.T @ X / len(X)
    return 2 / torch.linalg.eigvalsh(hessian).max().item()


# --8<-- [end:gradient-descent]


# --8<-- [start:minibatch]
def gradient_noise(
    batch_sizes: Sequence[int] = (8, 32, 128, 512), draws: int = 30, seed: int = 0
) -> dict[int, float]:
    """How far a minibatch gradient is from the full-batch one, for each batch size.

    One untrained :func:`digit_mlp` and the 1,347 training digits. For each size,
    ``draws`` random minibatches (without replacement); the value is the mean of
    ``|g_batch - g_full| / |g_full|`` over the draws.
    """
    from snippets.data import load_digit_images

    data = load_digit_images()
    net = digit_mlp(seed=seed)

    def gradient(index: torch.Tensor) -> torch.Tensor:
        net.zero_grad()
        nn.functional.cross_entropy(net(data.X_train[index]), data.y_train[index]).backward()
        return torch.cat([p.grad.flatten() for p in net.parameters()])

    full = gradient(torch.arange(len(data.X_train)))
    generator = torch.Generator().manual_seed(seed)
    noise = {}
    for size in batch_sizes:
        errors = []
        for _ in range(draws):
            index = torch.randperm(len(data.X_train), generator=generator)[:size]
            errors.append(((gradient(index) - full).norm() / full.norm()).item())
        noise[size] = float(np.mean(errors))
    return noise


def batch_size_study(
    batch_sizes: Sequence[int] = (16, 128, 1010), num_epochs: int = 5
) -> dict[int, tuple[int, float]]:
    """For each batch size: steps taken in ``num_epochs`` epochs, and validation accuracy.

    The shared :func:`snippets.training.fit` (Adam, lr 1e-3), the same initial
    weights for every size; training on the 1,010 training images of the
    validation split, scored on its 337 validation images.
    """
    X_train, X_val, y_train, y_val = validation_split()
    results = {}
    for size in batch_sizes:
        net = digit_mlp(seed=0)
        fit(net, X_train, y_train, num_epochs=num_epochs, batch_size=size)
        steps = num_epochs * math.ceil(len(X_train) / size)
        results[size] = (steps, accuracy(net, X_val, y_val))
    return results


# --8<-- [end:minibatch]


# --8<-- [start:optimizers]
def sgd_momentum_step(params, velocities, lr: float, momentum: float = 0.9) -> None:
    """One step of SGD with momentum (heavy ball), in place; the form PyTorch uses.

    ``v <- momentum * v + g``, then ``p <- p - lr * v``: ``v`` is a running sum of
    past gradients, so steps grow along directions where gradients agree.
    """
    with torch.no_grad():
        for p, v in zip(params, velocities, strict=True):
            v.mul_(momentum).add_(p.grad)
            p.sub_(lr * v)


def adam_step(
    params,
    state: dict,
    lr: float = 1e-3,
    betas: tuple[float, float] = (0.9, 0.999),
    eps: float = 1e-8,
    bias_correction: bool = True,
) -> None:
    """One step of Adam (Kingma & Ba, 2015), in place.

    ``m`` and ``v`` are running means of the gradient and of its square; each
    parameter moves by about ``lr`` in the direction of ``m``, scaled by
    ``1 / sqrt(v)``. Both start at 0, so early on they are too small: the bias
    correction divides them by ``1 - beta**t``. ``bias_correction=False`` is a
    deliberately wrong version, to show that the comparison with PyTorch catches it.
    """
    beta1, beta2 = betas
    state["t"] = t = state.get("t", 0) + 1
    with torch.no_grad():
        for i, p in enumerate(params):
            m = state.setdefault(("m", i), torch.zeros_like(p))
            v = state.setdefault(("v", i), torch.zeros_like(p))
            m.mul_(beta1).add_((1 - beta1) * p.grad)
            v.mul_(beta2).add_((1 - beta2) * p.grad**2)
            m_hat = m / (1 - beta1**t) if bias_correction else m
            v_hat = v / (1 - beta2**t) if bias_correction else v
            p.sub_(lr * m_hat / (v_hat.sqrt() + eps))


def compare_with_torch(kind: str, steps: int = 100, **options) -> tuple[float, float]:
    """Train the same small network with our step and with ``torch.optim``; compare.

    Two copies of a float64 MLP start from the same weights and see the same
    batch of 256 digits at every step. ``kind`` is ``"momentum"`` or ``"adam"``
    (``options`` go to :func:`adam_step`, e.g. ``bias_correction=False``).

    Returns:
        How far the weights moved (largest change of one weight), and the largest
        difference between the two copies' weights after ``steps`` steps.
    """
    from snippets.data import load_digit_images

    data = load_digit_images()
    X, y = data.X_train[:256].double(), data.y_train[:256]
    ours = digit_mlp(width=32, seed=0).double()
    theirs = copy.deepcopy(ours)
    start = [p.detach().clone() for p in ours.parameters()]
    if kind == "momentum":
        optimizer = torch.optim.SGD(theirs.parameters(), lr=0.05, momentum=0.9)
        velocities = [torch.zeros_like(p) for p in ours.parameters()]
        step = functools.partial(sgd_momentum_step, velocities=velocities, lr=0.05, momentum=0.9)
    elif kind == "adam":
        optimizer = torch.optim.Adam(theirs.parameters(), lr=1e-3)
        step = functools.partial(adam_step, state={}, lr=1e-3, **options)
    else:
        raise ValueError(f"unknown optimiser {kind!r}")
    for _ in range(steps):
        for net in (ours, theirs):
            net.zero_grad()
            nn.functional.cross_entropy(net(X), y).backward()
        step(list(ours.parameters()))
        optimizer.step()
    pairs = list(zip(ours.parameters(), theirs.parameters(), start, strict=True))
    moved = max((a - s).abs().max().item() for a, _, s in pairs)
    difference = max((a - b).abs().max().item() for a, b, _ in pairs)
    return moved, difference


# --8<-- [end:optimizers]


# --8<-- [start:valley]
def valley(
    angle: float = 0.0, curvatures: tuple[float, float] = (1.0, 50.0)
) -> tuple[torch.Tensor, torch.Tensor]:
    """A long, narrow valley ``f(w) = w^T A w / 2`` and a starting point, turned by ``angle``.

    The two curvatures (eigenvalues of ``A``) differ 50-fold. Turning by
    ``angle`` degrees rotates the valley and the start together: the same
    problem, only no longer lined up with the coordinate axes.

    Returns:
        ``A`` (2, 2) and the start (2,), float64.
    """
    a = math.radians(angle)
    rotation = torch.tensor(
        [[math.cos(a), -math.sin(a)], [math.sin(a), math.cos(a)]], dtype=torch.float64
    )
    A = rotation @ torch.diag(torch.tensor(curvatures, dtype=torch.float64)) @ rotation.T
    return A, rotation @ torch.tensor([-4.0, 1.5], dtype=torch.float64)


OPTIMIZERS = {
    "SGD": lambda params: torch.optim.SGD(params, lr=0.035),
    "momentum": lambda params: torch.optim.SGD(params, lr=0.035, momentum=0.9),
    "Adam": lambda params: torch.optim.Adam(params, lr=0.1),
}


def descend(
    name: str, angle: float = 0.0, steps: int = 100, optimizer: Callable | None = None
) -> tuple[np.ndarray, float]:
    """Minimise the valley turned by ``angle`` with optimiser ``name`` of ``OPTIMIZERS``.

    ``optimizer`` (a function of the parameter list) replaces it, e.g. to try
    another learning rate.

    Returns:
        The path ``(steps + 1, 2)`` and the final loss (the minimum is 0, at the origin).
    """
    A, start = valley(angle)
    w = start.clone().requires_grad_()
    optimizer = (optimizer or OPTIMIZERS[name])([w])
    path = [w.detach().clone()]
    for _ in range(steps):
        optimizer.zero_grad()
        (w @ A @ w / 2).backward()
        optimizer.step()
        path.append(w.detach().clone())
    w = path[-1]
    return torch.stack(path).numpy(), float(w @ A @ w / 2)


def final_losses(angle: float = 0.0, steps: int = 100) -> dict[str, float]:
    """Loss after ``steps`` steps of each optimiser on the valley turned by ``angle``."""
    return {name: descend(name, angle, steps)[1] for name in OPTIMIZERS}


# --8<-- [end:valley]


# --8<-- [start:weight-decay]
def decay_versus_l2(steps: int = 50, lam: float = 0.1) -> dict[str, float]:
    """Largest weight difference between two ways of shrinking weights, per optimiser.

    "L2" adds ``lam / 2 * |w|^2`` to the loss; "weight_decay=lam" is the
    optimiser's option. A linear model on 256 digits, float64, full batch.
    """
    from snippets.data import load_digit_images

    data = load_digit_images()
    X, y = data.X_train[:256].flatten(1).double(), data.y_train[:256]

    def train(optimizer_class, l2: float, **options) -> torch.Tensor:
        torch.manual_seed(0)
        model = nn.Linear(64, 10).double()
        optimizer = optimizer_class(model.parameters(), **options)
        for _ in range(steps):
            optimizer.zero_grad()
            loss = nn.functional.cross_entropy(model(X), y)
            loss = loss + l2 / 2 * sum((p**2).sum() for p in model.parameters())
            loss.backward()
            optimizer.step()
        return torch.cat([p.detach().flatten() for p in model.parameters()])

    def gap(a: torch.Tensor, b: torch.Tensor) -> float:
        return (a - b).abs().max().item()

    sgd, adam, adamw = torch.optim.SGD, torch.optim.Adam, torch.optim.AdamW
    adam_decay = train(adam, 0, lr=0.01, weight_decay=lam)
    return {
        "SGD: L2 vs weight_decay": gap(
            train(sgd, lam, lr=0.1), train(sgd, 0, lr=0.1, weight_decay=lam)
        ),
        "Adam: L2 vs weight_decay": gap(train(adam, lam, lr=0.01), adam_decay),
        "Adam(weight_decay) vs AdamW": gap(adam_decay, train(adamw, 0, lr=0.01, weight_decay=lam)),
    }


# --8<-- [end:weight-decay]


# --8<-- [start:initialization]
INIT_STD = {
    "std 0.01": lambda fan_in, fan_out: 0.01,
    "std 1": lambda fan_in, fan_out: 1.0,
    "Xavier": lambda fan_in, fan_out: math.sqrt(2 / (fan_in + fan_out)),
    "He": lambda fan_in, fan_out: math.sqrt(2 / fan_in),
}


def activation_variances(
    init: str, depth: int = 10, width: int = 512, activation: str = "relu", seed: int = 0
) -> np.ndarray:
    """Variance of each layer's pre-activations for 256 random inputs, first layer first.

    A stack of ``depth`` linear layers of ``width`` units (no biases) with
    weights drawn from a normal distribution whose standard deviation is
    ``INIT_STD[init]``, and ``activation`` (``"relu"`` or ``"tanh"``) between them.
    """
    rng = np.random.default_rng(seed)
    act = {"relu": lambda z: np.maximum(z, 0.0), "tanh": np.tanh}[activation]
    h = rng.normal(size=(256, width))
    variances = []
    for _ in range(depth):
        W = rng.normal(scale=INIT_STD[init](width, width), size=(width, width))
        z = h @ W
        variances.append(float(z.var()))
        h = act(z)
    return np.array(variances)


# --8<-- [end:initialization]


# --8<-- [start:exploding]
def deep_relu_net(std: float, depth: int = 10, width: int = 64, seed: int = 0) -> nn.Sequential:
    """``depth`` linear+ReLU layers with weights of standard deviation ``std``, then 10 scores."""
    torch.manual_seed(seed)
    layers: list[nn.Module] = [nn.Flatten()]
    fan_in = 64
    for _ in range(depth):
        linear = nn.Linear(fan_in, width)
        nn.init.normal_(linear.weight, std=std)
        nn.init.zeros_(linear.bias)
        layers += [linear, nn.ReLU()]
        fan_in = width
    return nn.Sequential(*layers, nn.Linear(width, 10))


def gradient_norm(net: nn.Module) -> float:
    """Norm of all of ``net``'s parameter gradients together, as ``clip_grad_norm_`` measures it."""
    return torch.cat([p.grad.flatten() for p in net.parameters()]).norm().item()


def one_sgd_step(
    net: nn.Module, X, y, lr: float = 0.01, max_norm: float | None = None
) -> tuple[float, float, float]:
    """Loss before and after one SGD step; with ``max_norm``, the gradient is clipped first.

    Returns:
        (loss before, gradient norm before clipping, loss after).
    """
    net.zero_grad()
    loss = nn.functional.cross_entropy(net(X), y)
    loss.backward()
    norm = gradient_norm(net)
    if max_norm is not None:
        torch.nn.utils.clip_grad_norm_(net.parameters(), max_norm)
    with torch.no_grad():
        for p in net.parameters():
            p -= lr * p.grad
        after = nn.functional.cross_entropy(net(X), y).item()
    return loss.item(), norm, after


# --8<-- [end:exploding]


# --8<-- [start:backprop]
def tiny_graph(w: float, b: float, x: float, y: float) -> dict[str, float]:
    """Forward and backward through ``L = (sigmoid(w*x + b) - y)**2`` by hand.

    Each backward line is one factor of the chain rule, from ``L`` back to the inputs.
    """
    z = w * x + b  # forward
    s = 1 / (1 + math.exp(-z))
    L = (s - y) ** 2
    dL_ds = 2 * (s - y)  # backward: local derivative times the one from above
    dL_dz = dL_ds * s * (1 - s)
    dL_dw = dL_dz * x
    dL_db = dL_dz * 1.0
    return {"L": L, "dL/dw": dL_dw, "dL/db": dL_db}


def mlp_gradients_by_hand(params: dict, X: np.ndarray, y: np.ndarray, bug: bool = False) -> dict:
    """Gradients of the mean cross-entropy of a one-hidden-layer ReLU MLP, written out.

    ``params`` holds ``W1 (64, H), b1 (H,), W2 (H, 10), b2 (10,)``. ``bug=True``
    forgets the ReLU's derivative (a classic mistake) so the check below can catch it.
    """
    a = X @ params["W1"] + params["b1"]
    h = np.maximum(a, 0.0)
    z = h @ params["W2"] + params["b2"]
    dz = softmax(z)  # dL/dz = (softmax(z) - onehot(y)) / N
    dz[np.arange(len(y)), y] -= 1
    dz /= len(y)
    dh = dz @ params["W2"].T
    da = dh if bug else dh * (a > 0)  # ReLU passes the gradient only where a > 0
    return {"W1": X.T @ da, "b1": da.sum(0), "W2": h.T @ dz, "b2": dz.sum(0)}


def mlp_loss(params: dict, X: np.ndarray, y: np.ndarray) -> float:
    """The loss that :func:`mlp_gradients_by_hand` differentiates."""
    h = np.maximum(X @ params["W1"] + params["b1"], 0.0)
    return cross_entropy(h @ params["W2"] + params["b2"], y)


# --8<-- [end:backprop]


# --8<-- [start:gradient-check]
def numerical_gradients(loss: Callable[[dict], float], params: dict, eps: float = 1e-6) -> dict:
    """Central differences ``(L(p + eps) - L(p - eps)) / (2 eps)``, one parameter at a time."""
    grads = {}
    for name, value in params.items():
        grad = np.zeros_like(value)
        for index in np.ndindex(value.shape):
            old = value[index]
            value[index] = old + eps
            up = loss(params)
            value[index] = old - eps
            down = loss(params)
            value[index] = old  # put it back
            grad[index] = (up - down) / (2 * eps)
        grads[name] = grad
    return grads


def relative_error(a: dict, b: dict) -> float:
    """``|a - b| / (|a| + |b|)`` over all parameters together: 0 when equal, 1 when unrelated."""
    flat_a = np.concatenate([a[k].ravel() for k in sorted(a)])
    flat_b = np.concatenate([b[k].ravel() for k in sorted(a)])
    return float(
        np.linalg.norm(flat_a - flat_b) / (np.linalg.norm(flat_a) + np.linalg.norm(flat_b))
    )


def check_problem(
    hidden: int = 8, n: int = 20, seed: int = 0
) -> tuple[dict, np.ndarray, np.ndarray]:
    """Small random weights and ``n`` digits (flattened, float64) for a gradient check."""
    from snippets.data import load_digit_images

    rng = np.random.default_rng(seed)
    data = load_digit_images()
    X = data.X_train[:n].flatten(1).double().numpy()
    y = data.y_train[:n].numpy()
    params = {
        "W1": rng.normal(scale=math.sqrt(2 / 64), size=(64, hidden)),
        "b1": rng.normal(scale=0.1, size=hidden),
        "W2": rng.normal(scale=math.sqrt(1 / hidden), size=(hidden, 10)),
        "b2": np.zeros(10),
    }
    return params, X, y


# --8<-- [end:gradient-check]


# --8<-- [start:overfitting]
def small_training_set(
    seed: int, per_class: int = 10, stop_per_class: int = 10
) -> tuple[torch.Tensor, ...]:
    """Draw ``per_class`` training images per digit, and a disjoint early-stopping set.

    Both come from the 1,010 training images of the validation split
    (:func:`snippets.tuning.validation_split`); its 337 validation images and the
    450 test images are never drawn. Returns images ``(N, 1, 8, 8)``:
    ``X_train, y_train, X_stop, y_stop``.
    """
    X_pool, _, y_pool, _ = validation_split()
    generator = torch.Generator().manual_seed(seed)
    train, stop = [], []
    for digit in range(10):
        members = torch.nonzero(y_pool == digit).flatten()
        members = members[torch.randperm(len(members), generator=generator)]
        train.append(members[:per_class])
        stop.append(members[per_class : per_class + stop_per_class])
    train, stop = torch.cat(train), torch.cat(stop)
    images = X_pool.view(-1, 1, 8, 8)
    return images[train], y_pool[train], images[stop], y_pool[stop]


def validation_images() -> tuple[torch.Tensor, torch.Tensor]:
    """The 337 validation images ``(N, 1, 8, 8)`` and their labels."""
    _, X_val, _, y_val = validation_split()
    return X_val.view(-1, 1, 8, 8), y_val


def train_and_watch(
    net: nn.Module,
    X: torch.Tensor,
    y: torch.Tensor,
    X_stop: torch.Tensor | None = None,
    y_stop: torch.Tensor | None = None,
    *,
    num_epochs: int = 100,
    lr: float = 1e-3,
    batch_size: int = 50,
    weight_decay: float = 0.0,
    augmentation: Callable[[torch.Tensor, torch.Generator], torch.Tensor] | None = None,
    seed: int = 0,
) -> dict:
    """The loop of :func:`snippets.training.fit`, with AdamW, watched after every epoch.

    ``weight_decay=0`` makes AdamW exactly Adam. With an early-stopping set
    ``(X_stop, y_stop)``, the network is scored after each epoch on its training
    set, on that set and on the validation set, and the weights with the lowest
    early-stopping loss are kept (early stopping with the whole run as patience).
    Without one, it is scored on the validation set once, at the end.

    Returns:
        A dict: ``val_accuracy`` (at the end); when watched, also per-epoch lists
        ``train_loss``, ``stop_loss``, ``val_loss``, ``val_accuracies``, and
        ``best_epoch`` (1-based) with its weights ``best_state``.
    """
    X_val, y_val = validation_images()
    generator = torch.Generator().manual_seed(seed)
    augment_generator = torch.Generator().manual_seed(seed + 10_000)
    optimizer = torch.optim.AdamW(net.parameters(), lr=lr, weight_decay=weight_decay)
    history: dict = {"train_loss": [], "stop_loss": [], "val_loss": [], "val_accuracies": []}
    for epoch in range(1, num_epochs + 1):
        net.train()
        X_epoch = X if augmentation is None else augmentation(X, augment_generator)
        order = torch.randperm(len(X), generator=generator)
        for start in range(0, len(X), batch_size):
            batch = order[start : start + batch_size]
            optimizer.zero_grad()
            nn.functional.cross_entropy(net(X_epoch[batch]), y[batch]).backward()
            optimizer.step()
        if X_stop is None:
            continue
        history["train_loss"].append(mean_loss(net, X, y))
        history["stop_loss"].append(mean_loss(net, X_stop, y_stop))
        history["val_loss"].append(mean_loss(net, X_val, y_val))
        history["val_accuracies"].append(accuracy(net, X_val, y_val))
        if history["stop_loss"][-1] == min(history["stop_loss"]):
            history["best_epoch"], history["best_state"] = epoch, copy.deepcopy(net.state_dict())
    history["val_accuracy"] = accuracy(net, X_val, y_val)
    return history


# --8<-- [end:overfitting]


# --8<-- [start:regularization]
SETTINGS = {
    "none": {},
    "weight decay": {"weight_decay": 1.0},
    "dropout": {"dropout": 0.5},
    "augmentation": {"augmentation": augment},
}


@disk_cache  # trained once per code and arguments (snippets/cache.py)
def regularization_study(seeds: tuple[int, ...] = (0, 1, 2, 3, 4)) -> dict[str, np.ndarray]:
    """Validation accuracy of each regulariser on each seed (cached: it trains 20 networks).

    For each seed: draw a small training set (10 images per digit), then train
    one :func:`digit_mlp` per setting of ``SETTINGS`` from the same initial
    weights with the same batch order. "early stopping" is the run without
    regularisation, rolled back to its best epoch on the early-stopping set.
    """
    results: dict[str, list[float]] = {name: [] for name in [*SETTINGS, "early stopping"]}
    X_val, y_val = validation_images()
    for seed in seeds:
        X, y, X_stop, y_stop = small_training_set(seed)
        for name, setting in SETTINGS.items():
            options = dict(setting)
            net = digit_mlp(dropout=options.pop("dropout", 0.0), seed=seed)
            if name == "none":  # watched, for early stopping
                history = train_and_watch(net, X, y, X_stop, y_stop, seed=seed)
            else:
                history = train_and_watch(net, X, y, seed=seed, **options)
            results[name].append(history["val_accuracy"])
            if name == "none":
                net.load_state_dict(history["best_state"])
                results["early stopping"].append(accuracy(net, X_val, y_val))
    return {name: np.array(values) for name, values in results.items()}


def score_on_test_set(name: str, seed: int = 0) -> float:
    """Train setting ``name`` on the small training set of ``seed``; score it on the test set.

    The 450 test images are used here and nowhere else in this chapter.
    """
    from snippets.data import load_digit_images

    data = load_digit_images()
    X, y, _, _ = small_training_set(seed)
    options = dict(SETTINGS.get(name, {}))
    net = digit_mlp(dropout=options.pop("dropout", 0.0), seed=seed)
    train_and_watch(net, X, y, seed=seed, **options)
    return accuracy(net, data.X_test, data.y_test)


def paired_interval(gains: np.ndarray) -> tuple[float, float]:
    """Mean of per-seed gains and the half-width of its 95% t-interval."""
    from scipy import stats

    n = len(gains)
    half = stats.t.ppf(0.975, n - 1) * gains.std(ddof=1) / math.sqrt(n)
    return float(gains.mean()), float(half)


# --8<-- [end:regularization]


# --------------------------------------------------------------------------
# Figures (drawn at build time by hooks/figures.py; see FIGURES)
# --------------------------------------------------------------------------

LEARNING_RATES = {"too small": 0.1, "good": 0.5, "too large": 1.05}
"""Learning rates of the figure, as fractions of :func:`largest_stable_lr`."""


def draw_learning_rates(out: IO[bytes], lang: str = "en") -> None:
    """Loss against step for three learning rates on the regression task, as SVG in ``lang``."""
    tr = language(lang)
    X, y = regression_problem()
    limit = largest_stable_lr(X)
    fig = new_figure(7, 3.6, lang)
    ax = fig.subplots()
    names = {"too small": tr("too small"), "good": tr("good"), "too large": tr("too large")}
    for label, fraction in LEARNING_RATES.items():
        lr = fraction * limit
        losses = gradient_descent(X, y, lr)
        ax.semilogy(losses, marker=".", label=tr("{what}: lr = {lr:.3f}", what=names[label], lr=lr))
    w_best = torch.linalg.lstsq(X, y.unsqueeze(1)).solution.squeeze(1)
    lowest = ((X @ w_best - y) ** 2).mean().item()
    ax.axhline(lowest, color="gray", linestyle=":", linewidth=1)
    ax.annotate(
        tr("lowest possible loss ({loss:.3f})", loss=lowest), (28, lowest * 1.25), color="gray"
    )
    ax.set_xlabel(tr("step"))
    ax.set_ylabel(tr("mean squared error (log scale)"))
    ax.set_title(tr("gradient descent, largest stable lr = {limit:.3f}", limit=limit))
    ax.grid(alpha=0.3, which="both")
    ax.legend()
    save_svg(fig, out)


def draw_optimizers(out: IO[bytes], lang: str = "en") -> None:
    """Paths of SGD, momentum and Adam on an axis-aligned and on a rotated valley, as SVG."""
    tr = language(lang)
    fig = new_figure(9, 3.6, lang)
    axes = fig.subplots(1, 2)
    names = {"SGD": "SGD", "momentum": tr("momentum"), "Adam": "Adam"}
    grid = np.linspace(-4.5, 4.5, 200)
    U, V = np.meshgrid(grid, grid)
    for ax, angle in zip(axes, [0.0, 45.0], strict=True):
        a = valley(angle)[0].numpy()
        F = 0.5 * (a[0, 0] * U**2 + 2 * a[0, 1] * U * V + a[1, 1] * V**2)
        ax.contour(U, V, F, levels=np.geomspace(0.05, 400, 12), colors="lightgray", linewidths=0.8)
        for name in OPTIMIZERS:
            path, loss = descend(name, angle)
            label = tr("{name}: loss {loss:.1e}", name=names[name], loss=loss)
            ax.plot(path[:, 0], path[:, 1], marker=".", markersize=3, linewidth=1, label=label)
        ax.plot([0], [0], marker="*", color="black", markersize=10)
        title = (
            tr("valley along the axes, 100 steps")
            if angle == 0
            else tr("valley turned by {angle:.0f}°, 100 steps", angle=angle)
        )
        ax.set_title(title)
        ax.set_xlim(-4.5, 4.5)
        ax.set_ylim(-4.5, 4.5)
        ax.set_aspect("equal")
        ax.legend(loc="lower right", fontsize=8)
    save_svg(fig, out)


def draw_initialization(out: IO[bytes], lang: str = "en") -> None:
    """Pre-activation variance per layer of a 10-layer ReLU stack for four inits, as SVG."""
    tr = language(lang)
    names = {"std 0.01": tr("std 0.01"), "std 1": tr("std 1"), "Xavier": "Xavier", "He": "He"}
    fig = new_figure(7, 3.8, lang)
    ax = fig.subplots()
    for init in INIT_STD:
        variances = activation_variances(init)
        ax.semilogy(range(1, len(variances) + 1), variances, marker="o", label=names[init])
    ax.set_xlabel(tr("layer"))
    ax.set_ylabel(tr("variance of the layer's pre-activations"))
    ax.set_title(tr("10 ReLU layers of 512 units"))
    ax.set_xticks(range(1, 11))
    ax.grid(alpha=0.3, which="both")
    ax.legend()
    save_svg(fig, out)


@disk_cache  # trained once per code and arguments (snippets/cache.py)
def overfitting_history(num_epochs: int = 300) -> dict:
    """The unregularised run of seed 0, trained long: the curves of the overfitting figure."""
    X, y, X_stop, y_stop = small_training_set(0)
    return train_and_watch(digit_mlp(seed=0), X, y, X_stop, y_stop, num_epochs=num_epochs)


def draw_overfitting(out: IO[bytes], lang: str = "en") -> None:
    """Training, early-stopping and validation loss per epoch, as SVG in ``lang``."""
    tr = language(lang)
    history = overfitting_history()
    epochs = range(1, len(history["train_loss"]) + 1)
    fig = new_figure(7, 3.8, lang)
    ax = fig.subplots()
    ax.semilogy(epochs, history["train_loss"], label=tr("training loss (100 images)"))
    ax.semilogy(epochs, history["stop_loss"], label=tr("early-stopping loss (100 images)"))
    ax.semilogy(epochs, history["val_loss"], label=tr("validation loss (337 images)"))
    best = history["best_epoch"]
    ax.axvline(best, color="gray", linestyle=":", linewidth=1)
    ax.annotate(tr("early stop: epoch {epoch}", epoch=best), (best + 5, 1.0), color="gray")
    ax.set_xlabel(tr("epoch"))
    ax.set_ylabel(tr("cross-entropy (log scale)"))
    ax.grid(alpha=0.3, which="both")
    ax.legend()
    save_svg(fig, out)


def draw_regularization(out: IO[bytes], lang: str = "en") -> None:
    """Per-seed gain of each regulariser over no regularisation, with 95% intervals, as SVG."""
    tr = language(lang)
    results = regularization_study()
    names = [name for name in results if name != "none"]
    labels = {
        "weight decay": tr("weight decay"),
        "dropout": tr("dropout"),
        "augmentation": tr("augmentation"),
        "early stopping": tr("early stopping"),
    }
    fig = new_figure(7, 3.6, lang)
    ax = fig.subplots()
    ax.axhline(0, color="black", linewidth=0.8)
    for x, name in enumerate(names):
        gains = 100 * (results[name] - results["none"])  # percentage points
        mean, half = paired_interval(gains)
        ax.plot(np.full(len(gains), x) + np.linspace(-0.12, 0.12, len(gains)), gains, "o",
                color="tab:blue", alpha=0.6, label=tr("one seed") if x == 0 else None)  # fmt: skip
        ax.errorbar(x + 0.3, mean, yerr=half, fmt="D", color="black", capsize=4,
                    label=tr("mean and 95% interval") if x == 0 else None)  # fmt: skip
    ax.set_xticks(range(len(names)), [labels[name] for name in names])
    ax.set_ylabel(tr("gain in validation accuracy (percentage points)"))
    ax.set_title(tr("against no regularisation, same seeds (5)"))
    ax.grid(alpha=0.3, axis="y")
    ax.legend(loc="upper left")
    save_svg(fig, out)


FIGURES = {
    "learning-rates.svg": draw_learning_rates,
    "learning-optimizers.svg": draw_optimizers,
    "learning-init.svg": draw_initialization,
    "learning-overfitting.svg": draw_overfitting,
    "learning-regularization.svg": draw_regularization,
}
