"""NumPy basics: broadcasting, vectorisation, and a two-layer network trained by hand.

Every function here is shown on the NumPy chapter page (Korean and English)
through ``--8<--`` includes, and every example on that page runs in the tests.
The module is called ``numpy_basics`` (not ``numpy``) so that it cannot shadow
the library itself.
"""

from __future__ import annotations

import timeit
from collections.abc import Callable
from typing import IO

import numpy as np
import torch
from torch import nn

from snippets.activations import XOR_X, XOR_Y, sigmoid
from snippets.plotting import language, new_figure, save_svg


# --8<-- [start:broadcast-rule]
def broadcast_shape(*shapes: tuple[int, ...]) -> tuple[int, ...]:
    """The shape NumPy broadcasting gives to operands of ``shapes``.

    The rule: line the shapes up from the right (missing dimensions count as
    1); in every column the sizes must be equal or one of them must be 1; the
    result takes the larger size.

    Raises:
        ValueError: two sizes in one column differ and neither is 1.

    Examples:
        >>> broadcast_shape((2, 3), (3,))
        (2, 3)
    """
    ndim = max(len(shape) for shape in shapes)
    padded = [(1,) * (ndim - len(shape)) + tuple(shape) for shape in shapes]
    result = []
    for sizes in zip(*padded, strict=True):
        not_one = {size for size in sizes if size != 1}
        if len(not_one) > 1:
            a, b = sorted(not_one)[:2]
            raise ValueError(
                f"shapes {' and '.join(map(str, shapes))} do not broadcast: {a} vs {b}"
            )
        result.append(not_one.pop() if not_one else 1)
    return tuple(result)


# --8<-- [end:broadcast-rule]


# --8<-- [start:matmul-loop]
def matmul_python(A: list[list[float]], B: list[list[float]]) -> list[list[float]]:
    """Matrix product of two lists of lists, with three plain Python loops.

    Raises:
        ValueError: the inner dimensions differ.
    """
    n, k, m = len(A), len(B), len(B[0])
    if len(A[0]) != k:
        raise ValueError(f"inner dimensions differ: {len(A[0])} and {k}")
    C = [[0.0] * m for _ in range(n)]
    for i in range(n):
        for j in range(m):
            total = 0.0
            for p in range(k):
                total += A[i][p] * B[p][j]
            C[i][j] = total
    return C


# --8<-- [end:matmul-loop]


# --8<-- [start:timing]
def best_time(fn: Callable[[], object], number: int = 1, repeat: int = 3) -> float:
    """Seconds per call of ``fn``: the best of ``repeat`` runs of ``number`` calls."""
    fn()  # warm up (first calls allocate and load code)
    return min(timeit.repeat(fn, number=number, repeat=repeat)) / number


def matmul_speedups(n: int = 64, seed: int = 0) -> dict[str, float]:
    """How many times faster NumPy and PyTorch compute an ``n x n`` matrix product
    than :func:`matmul_python`.

    PyTorch is held to one thread, like the Python loop; NumPy's BLAS uses one
    thread by itself for matrices this small. (On a busy 2-core machine, extra
    threads make small products slower and the timings erratic.)
    """
    rng = np.random.default_rng(seed)
    A, B = rng.normal(size=(n, n)), rng.normal(size=(n, n))
    A_list, B_list = A.tolist(), B.tolist()
    A_torch, B_torch = torch.from_numpy(A), torch.from_numpy(B)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # one core each, like the Python loop
    try:
        python = best_time(lambda: matmul_python(A_list, B_list))
        numpy = best_time(lambda: A @ B, number=100)
        pytorch = best_time(lambda: A_torch @ B_torch, number=100)
    finally:
        torch.set_num_threads(threads)
    return {"numpy": python / numpy, "torch": python / pytorch}


def loop_slowdown(n: int = 24, seed: int = 0) -> float:
    """How many times slower :func:`matmul_python` runs on NumPy arrays than on lists.

    Same loops, same numbers: only the containers differ.
    """
    rng = np.random.default_rng(seed)
    A, B = rng.normal(size=(n, n)), rng.normal(size=(n, n))
    A_list, B_list = A.tolist(), B.tolist()
    over_list = best_time(lambda: matmul_python(A_list, B_list), repeat=5)
    over_array = best_time(lambda: matmul_python(A, B), repeat=5)
    return over_array / over_list


# --8<-- [end:timing]


# --8<-- [start:xor-numpy]
def init_xor_params(hidden: int = 4, seed: int = 0) -> dict[str, np.ndarray]:
    """Random weights of a 2 -> ``hidden`` -> 1 network; biases start at zero."""
    rng = np.random.default_rng(seed)
    return {
        "W1": rng.normal(size=(2, hidden)),
        "b1": np.zeros(hidden),
        "W2": rng.normal(size=(hidden, 1)) / np.sqrt(hidden),
        "b2": np.zeros(1),
    }


def numpy_gradients(
    params: dict[str, np.ndarray], X: np.ndarray, y: np.ndarray
) -> tuple[float, dict[str, np.ndarray]]:
    """Loss and its gradients, with the backward pass written by hand.

    Forward: ``h = tanh(X W1 + b1)``, logit ``z = h W2 + b2``,
    ``y_hat = sigmoid(z)``, loss = mean binary cross-entropy.
    """
    h = np.tanh(X @ params["W1"] + params["b1"])  # (N, hidden)
    z = h @ params["W2"] + params["b2"]  # (N, 1) logits
    loss = np.mean(np.logaddexp(0.0, z) - y * z)  # BCE written with logits
    # backward, one chain-rule step per line
    dz = (sigmoid(z) - y) / len(X)  # dL/dz = (y_hat - y) / N
    dh = dz @ params["W2"].T
    dz1 = dh * (1.0 - h**2)  # tanh'(a) = 1 - tanh(a)**2
    grads = {"W1": X.T @ dz1, "b1": dz1.sum(axis=0), "W2": h.T @ dz, "b2": dz.sum(axis=0)}
    return float(loss), grads


def train_xor_numpy(
    X: np.ndarray,
    y: np.ndarray,
    num_epochs: int = 1000,
    lr: float = 1.0,
    hidden: int = 4,
    seed: int = 0,
) -> tuple[dict[str, np.ndarray], list[float]]:
    """Full-batch gradient descent with :func:`numpy_gradients`; returns params and losses."""
    params = init_xor_params(hidden, seed)
    losses = []
    for _ in range(num_epochs):
        loss, grads = numpy_gradients(params, X, y)
        for name in params:
            params[name] -= lr * grads[name]
        losses.append(loss)
    return params, losses


def predict(params: dict[str, np.ndarray], X: np.ndarray) -> np.ndarray:
    """Class 1 where the network's probability is above 0.5, else class 0."""
    z = np.tanh(X @ params["W1"] + params["b1"]) @ params["W2"] + params["b2"]
    return (z[:, 0] > 0).astype(int)  # sigmoid(z) > 0.5 exactly when z > 0


# --8<-- [end:xor-numpy]


# --8<-- [start:xor-torch]
def torch_logits(params: dict[str, torch.Tensor], X: torch.Tensor) -> torch.Tensor:
    """The same forward pass as :func:`numpy_gradients`, in PyTorch."""
    h = torch.tanh(X @ params["W1"] + params["b1"])
    return h @ params["W2"] + params["b2"]


def torch_bce(z: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Mean binary cross-entropy from logits, the same formula as the NumPy line.

    ``nn.BCEWithLogitsLoss()(z, y)`` computes the same value.
    """
    return torch.mean(nn.functional.softplus(z) - y * z)  # softplus(z) = log(1 + e^z)


def torch_gradients(
    params: dict[str, np.ndarray], X: np.ndarray, y: np.ndarray
) -> tuple[float, dict[str, np.ndarray]]:
    """Loss and gradients of the same network, computed by ``loss.backward()``."""
    tensors = {name: torch.tensor(value, requires_grad=True) for name, value in params.items()}
    z = torch_logits(tensors, torch.from_numpy(X))
    loss = torch_bce(z, torch.from_numpy(y))
    loss.backward()  # autograd: no backward pass to write
    return loss.item(), {name: t.grad.numpy() for name, t in tensors.items()}


def train_xor_torch(
    X: np.ndarray,
    y: np.ndarray,
    num_epochs: int = 1000,
    lr: float = 1.0,
    hidden: int = 4,
    seed: int = 0,
) -> tuple[dict[str, np.ndarray], list[float]]:
    """The usual PyTorch loop (``zero_grad``, ``backward``, ``step``) from the same start."""
    start = init_xor_params(hidden, seed)
    tensors = {name: torch.tensor(value, requires_grad=True) for name, value in start.items()}
    optimizer = torch.optim.SGD(tensors.values(), lr=lr)
    X_t, y_t = torch.from_numpy(X), torch.from_numpy(y)
    losses = []
    for _ in range(num_epochs):
        optimizer.zero_grad()
        loss = torch_bce(torch_logits(tensors, X_t), y_t)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return {name: t.detach().numpy() for name, t in tensors.items()}, losses


# --8<-- [end:xor-torch]


def xor_data() -> tuple[np.ndarray, np.ndarray]:
    """The four XOR points ``X`` (4, 2) and their labels ``y`` as a column (4, 1)."""
    return XOR_X, XOR_Y.reshape(-1, 1)


# --------------------------------------------------------------------------
# Figures (drawn at build time by hooks/figures.py; see FIGURES)
# --------------------------------------------------------------------------


def _draw_grid(ax, values: np.ndarray, x0: float, real_rows: int, real_cols: int, title: str):
    """Draw a 2-D array as a grid of cells; cells outside the real block are faded."""
    from matplotlib.patches import Rectangle

    rows, cols = values.shape
    for i in range(rows):
        for j in range(cols):
            real = i < real_rows and j < real_cols
            ax.add_patch(
                Rectangle(
                    (x0 + j, rows - 1 - i),
                    1,
                    1,
                    facecolor="#7986cb" if real else "#e8eaf6",
                    edgecolor="#283593" if real else "#9fa8da",
                    linestyle="-" if real else "--",
                    linewidth=1.2,
                )
            )
            ax.text(
                x0 + j + 0.5,
                rows - 1 - i + 0.5,
                str(values[i, j]),
                ha="center",
                va="center",
                color="white" if real else "#7986cb",
                fontsize=12,
            )
    ax.text(x0 + cols / 2, rows + 0.35, title, ha="center", va="bottom", fontsize=11)


def draw_broadcasting(out: IO[bytes], lang: str = "en") -> None:
    """Draw ``col (3, 1) + row (4,) -> (3, 4)`` with the stretched copies faded, as SVG in ``lang``.

    The titles name the page's variables (``col``, ``row``), so they stay as code.
    """
    tr = language(lang)
    col = np.array([[0], [10], [20]])
    row = np.array([0, 1, 2, 3])
    fig = new_figure(9, 2.6, lang)
    ax = fig.subplots()
    _draw_grid(ax, np.repeat(col, 4, axis=1), 0, 3, 1, "col: (3, 1) → (3, 4)")
    ax.text(4.75, 1.5, "+", ha="center", va="center", fontsize=22)
    _draw_grid(ax, np.repeat(row[None, :], 3, axis=0), 5.5, 1, 4, "row: (4,) → (1, 4) → (3, 4)")
    ax.text(10.25, 1.5, "=", ha="center", va="center", fontsize=22)
    _draw_grid(ax, col + row, 11, 3, 4, "col + row: (3, 4)")
    ax.text(
        7.5,
        -0.55,
        tr("faded cells: repeated virtually, never copied in memory"),
        ha="center",
        va="center",
        fontsize=10,
        color="#5c6bc0",
    )
    ax.set_xlim(-0.2, 15.2)
    ax.set_ylim(-0.9, 4.1)
    ax.set_aspect("equal")
    ax.axis("off")
    save_svg(fig, out)


def draw_xor_loss(out: IO[bytes], lang: str = "en") -> None:
    """Draw the XOR training loss of the NumPy and the PyTorch network as SVG in ``lang``."""
    tr = language(lang)
    X, y = xor_data()
    _, numpy_losses = train_xor_numpy(X, y)
    _, torch_losses = train_xor_torch(X, y)
    fig = new_figure(7, 3.4, lang)
    ax = fig.subplots()
    epochs = np.arange(1, len(numpy_losses) + 1)
    ax.semilogy(epochs, numpy_losses, linewidth=4, alpha=0.5, label=tr("NumPy, backward by hand"))
    ax.semilogy(epochs, torch_losses, "k--", linewidth=1.2, label=tr("PyTorch, loss.backward()"))
    ax.axhline(np.log(2), color="gray", linestyle=":", linewidth=1)
    ax.annotate(
        tr("log 2: predicting 0.5 for every point"),
        (len(epochs) * 0.4, np.log(2) * 0.55),
        color="gray",
    )
    ax.set_ylim(top=1.2)
    ax.set_xlabel(tr("epoch (full-batch gradient descent step)"))
    ax.set_ylabel(tr("binary cross-entropy"))
    ax.set_title(tr("2-4-1 tanh network learning XOR"))
    ax.grid(alpha=0.3, which="both")
    ax.legend(loc="lower left")
    save_svg(fig, out)


FIGURES = {
    "numpy_basics-broadcasting.svg": draw_broadcasting,
    "numpy_basics-xor-loss.svg": draw_xor_loss,
}
