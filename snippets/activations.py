"""Activation functions, their derivatives, and the experiments of the activations chapter.

Every function here is shown on the chapter page (Korean and English) through
``--8<--`` includes, and every example on that page runs in the tests.
"""

from __future__ import annotations

from typing import IO

import numpy as np
import torch
from torch import nn

from snippets.plotting import language, new_figure, save_svg


# --8<-- [start:functions]
def relu(x: np.ndarray) -> np.ndarray:
    """Rectified linear unit: ``max(0, x)``.

    Examples:
        >>> relu(np.array([-2.0, 0.0, 3.0]))
        array([0., 0., 3.])
    """
    return np.maximum(x, 0.0)


def relu_grad(x: np.ndarray) -> np.ndarray:
    """Derivative of ReLU: 1 where ``x > 0``, else 0 (0 at ``x = 0`` by convention)."""
    return (x > 0).astype(float)


def sigmoid(x: np.ndarray) -> np.ndarray:
    """Logistic sigmoid ``1 / (1 + exp(-x))``, computed without overflow.

    Examples:
        >>> sigmoid(np.array([-1000.0, 0.0, 1000.0]))
        array([0. , 0.5, 1. ])
    """
    return np.exp(-np.logaddexp(0.0, -x))


def sigmoid_grad(x: np.ndarray) -> np.ndarray:
    """Derivative of the sigmoid: ``s(x) * (1 - s(x))``, at most 0.25."""
    s = sigmoid(x)
    return s * (1.0 - s)


def tanh(x: np.ndarray) -> np.ndarray:
    """Hyperbolic tangent, zero-centred, with values in (-1, 1)."""
    return np.tanh(x)


def tanh_grad(x: np.ndarray) -> np.ndarray:
    """Derivative of tanh: ``1 - tanh(x)**2``, at most 1."""
    return 1.0 - np.tanh(x) ** 2


# --8<-- [end:functions]


# --8<-- [start:numerical-gradient]
def numerical_grad(f, x: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    """Central finite difference ``(f(x + eps) - f(x - eps)) / (2 eps)``, elementwise."""
    return (f(x + eps) - f(x - eps)) / (2 * eps)


# --8<-- [end:numerical-gradient]


# --8<-- [start:xor]
XOR_X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
XOR_Y = np.array([0.0, 1.0, 1.0, 0.0])


def best_linear_fit(X: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Predictions of the least-squares linear model ``X @ w + b``."""
    X1 = np.hstack([X, np.ones((len(X), 1))])  # add a bias column
    w, *_ = np.linalg.lstsq(X1, y, rcond=None)
    return X1 @ w


def xor_network(X: np.ndarray) -> np.ndarray:
    """A two-layer ReLU network that computes XOR exactly.

    ``XOR(a, b) = relu(a + b) - 2 * relu(a + b - 1)``: two hidden units, one
    output, weights set by hand.
    """
    W1 = np.array([[1.0, 1.0], [1.0, 1.0]])  # both hidden units see a + b
    b1 = np.array([0.0, -1.0])
    w2 = np.array([1.0, -2.0])
    return relu(X @ W1.T + b1) @ w2


# --8<-- [end:xor]


# --8<-- [start:deep-mlp]
def deep_mlp(activation: str, init: str, depth: int = 20, width: int = 64) -> nn.Sequential:
    """A ``depth``-layer MLP of ``width`` units with one activation and one init.

    Args:
        activation: ``"sigmoid"``, ``"tanh"`` or ``"relu"``.
        init: ``"xavier"`` (Glorot & Bengio, 2010), ``"he"`` (He et al., 2015),
            ``"small"`` (normal with std 0.01, too small) or ``"large"`` (normal
            with std 0.25, too large: He's std for 64 inputs is 0.18).
    """
    act = {"sigmoid": nn.Sigmoid, "tanh": nn.Tanh, "relu": nn.ReLU}[activation]
    layers: list[nn.Module] = []
    for _ in range(depth):
        linear = nn.Linear(width, width)
        if init == "xavier":
            nn.init.xavier_normal_(linear.weight)
        elif init == "he":
            nn.init.kaiming_normal_(linear.weight, nonlinearity="relu")
        elif init == "small":
            nn.init.normal_(linear.weight, std=0.01)
        elif init == "large":
            nn.init.normal_(linear.weight, std=0.25)
        else:
            raise ValueError(f"unknown init {init!r}")
        nn.init.zeros_(linear.bias)
        layers += [linear, act()]
    return nn.Sequential(*layers)


def gradient_norms(activation: str, init: str, depth: int = 20, seed: int = 0) -> np.ndarray:
    """Norm of the loss gradient w.r.t. each layer's weights, first layer first.

    One batch of 256 random inputs goes through the network; the loss is the
    mean squared error against random targets.
    """
    torch.manual_seed(seed)
    net = deep_mlp(activation, init, depth=depth)
    X = torch.randn(256, 64)
    y = torch.randn(256, 64)
    loss = ((net(X) - y) ** 2).mean()
    loss.backward()
    linears = [m for m in net if isinstance(m, nn.Linear)]
    return np.array([m.weight.grad.double().norm().item() for m in linears])


# --8<-- [end:deep-mlp]


SETTINGS = [("sigmoid", "xavier"), ("relu", "he"), ("relu", "small"), ("relu", "large")]


def gradient_ratio(activation: str, init: str, depth: int = 20) -> float:
    """Gradient norm of the first layer divided by that of the last one."""
    norms = gradient_norms(activation, init, depth=depth)
    return float(norms[0] / norms[-1])


# --------------------------------------------------------------------------
# Figures (drawn at build time by hooks/figures.py; see FIGURES)
# --------------------------------------------------------------------------


def draw_activations(out: IO[bytes], lang: str = "en") -> None:
    """Draw ReLU, sigmoid and tanh (left) and their derivatives (right) as SVG in ``lang``."""
    tr = language(lang)
    x = np.linspace(-5, 5, 401)
    fig = new_figure(9, 3.4, lang)
    left, right = fig.subplots(1, 2)
    for name, f, df in [
        ("ReLU", relu, relu_grad),
        (tr("sigmoid"), sigmoid, sigmoid_grad),
        ("tanh", tanh, tanh_grad),
    ]:
        left.plot(x, f(x), label=name, linewidth=2)
        right.plot(x, df(x), label=name + "'", linewidth=2)
    left.set_title("f(x)")
    right.set_title("f'(x)")
    right.axhline(0.25, color="gray", linestyle=":", linewidth=1)
    right.annotate(tr("sigmoid' ≤ 0.25"), (4.9, 0.3), color="gray", ha="right")
    for ax in (left, right):
        ax.axhline(0, color="black", linewidth=0.6)
        ax.axvline(0, color="black", linewidth=0.6)
        ax.set_xlabel("x")
        ax.grid(alpha=0.3)
        ax.legend(loc="upper left")
    left.set_ylim(-1.5, 3)
    right.set_ylim(-0.1, 1.2)
    save_svg(fig, out)


def draw_gradient_norms(out: IO[bytes], lang: str = "en") -> None:
    """Draw the per-layer gradient norm of a 20-layer MLP for three settings as SVG in ``lang``."""
    tr = language(lang)
    fig = new_figure(7, 3.8, lang)
    ax = fig.subplots()
    labels = {
        ("sigmoid", "xavier"): tr("sigmoid, Xavier init"),
        ("relu", "he"): tr("ReLU, He init"),
        ("relu", "small"): tr("ReLU, std 0.01 init"),
        ("relu", "large"): tr("ReLU, std 0.25 init"),
    }
    for activation, init in SETTINGS:
        norms = gradient_norms(activation, init)
        ax.semilogy(range(1, len(norms) + 1), norms, marker="o", label=labels[activation, init])
    ax.set_xlabel(tr("layer (1 = closest to the input)"))
    ax.set_ylabel(tr("gradient norm of the layer's weights"))
    ax.set_xticks(range(1, 21, 2))
    ax.grid(alpha=0.3, which="both")
    ax.legend(loc="lower right", bbox_to_anchor=(1, 0.1))  # in the empty band between the lines
    save_svg(fig, out)


FIGURES = {
    "activations.svg": draw_activations,
    "gradient-norms.svg": draw_gradient_norms,
}
