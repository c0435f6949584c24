"""BERT in miniature: attention masks, masked-language-model corruption, a tiny encoder.

Every function here is shown on the BERT and RAG chapter page (Korean and
English) through ``--8<--`` includes, and every example on that page runs in
the tests. Nothing is downloaded: the BERT-base-shaped encoder is built from
its published configuration with random weights.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import IO

import numpy as np
import torch
from torch import nn

from snippets.cache import disk_cache
from snippets.plotting import language, new_figure, save_svg
from snippets.training import fit


# --8<-- [start:masks]
def bidirectional_mask(num_tokens: int) -> np.ndarray:
    """``mask[i, j]`` is True where token ``i`` may attend to token ``j``: everywhere.

    Examples:
        >>> bidirectional_mask(3).astype(int)
        array([[1, 1, 1],
               [1, 1, 1],
               [1, 1, 1]])
    """
    return np.ones((num_tokens, num_tokens), dtype=bool)


def causal_mask(num_tokens: int) -> np.ndarray:
    """``mask[i, j]`` is True where ``j <= i``: each token sees itself and the past only.

    Examples:
        >>> causal_mask(3).astype(int)
        array([[1, 0, 0],
               [1, 1, 0],
               [1, 1, 1]])
    """
    return np.tril(np.ones((num_tokens, num_tokens), dtype=bool))


def attend(Q: np.ndarray, K: np.ndarray, V: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Scaled dot-product attention: ``softmax(Q K^T / sqrt(d)) V``, row by row.

    Scores where ``mask`` is False are set to minus infinity before the
    softmax, so those tokens get weight exactly 0.

    Args:
        Q: queries, one row per token, ``d`` columns.
        K: keys, one row per token, ``d`` columns.
        V: values, one row per token.
        mask: boolean ``(num_tokens, num_tokens)``, True where attending is allowed.
    """
    scores = Q @ K.T / np.sqrt(Q.shape[1])
    scores = np.where(mask, scores, -np.inf)
    scores = scores - scores.max(axis=1, keepdims=True)  # numerically stable softmax
    weights = np.exp(scores)
    weights /= weights.sum(axis=1, keepdims=True)
    return weights @ V


def self_attention(X: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """The simplest self-attention, with no learned weights: ``Q = K = V = X``."""
    return attend(X, X, X, mask)


# --8<-- [end:masks]


# --8<-- [start:heads]
def multi_head_attention(
    X: np.ndarray, mask: np.ndarray, weights: dict[str, np.ndarray], num_heads: int
) -> np.ndarray:
    """Self-attention as a Transformer layer computes it: learned projections, several heads.

    Queries, keys and values are learned linear maps of the token vectors
    (``Q = X W_q + b_q``, and so on). Head ``h`` attends with its own block of
    ``d / num_heads`` columns of them; the heads' outputs are put side by side
    and mapped once more by ``W_o``. The heads split the columns: more heads
    means smaller blocks, not more weights.
    """
    Q = X @ weights["W_q"] + weights["b_q"]
    K = X @ weights["W_k"] + weights["b_k"]
    V = X @ weights["W_v"] + weights["b_v"]
    d_head = X.shape[1] // num_heads
    blocks = [slice(h * d_head, (h + 1) * d_head) for h in range(num_heads)]
    heads = [attend(Q[:, cols], K[:, cols], V[:, cols], mask) for cols in blocks]
    return np.concatenate(heads, axis=1) @ weights["W_o"] + weights["b_o"]


def attention_weights(layer: nn.TransformerEncoderLayer) -> dict[str, np.ndarray]:
    """The learned weights of a PyTorch encoder layer's self-attention, as NumPy arrays.

    PyTorch keeps ``W_q``, ``W_k`` and ``W_v`` stacked in one ``(3d, d)`` matrix,
    ``in_proj_weight``, and multiplies by its transpose.
    """
    attention = layer.self_attn
    d = attention.embed_dim
    W = attention.in_proj_weight.detach().numpy().T  # (d, 3d): [W_q | W_k | W_v]
    b = attention.in_proj_bias.detach().numpy()
    return {
        "W_q": W[:, :d],
        "b_q": b[:d],
        "W_k": W[:, d : 2 * d],
        "b_k": b[d : 2 * d],
        "W_v": W[:, 2 * d :],
        "b_v": b[2 * d :],
        "W_o": attention.out_proj.weight.detach().numpy().T,
        "b_o": attention.out_proj.bias.detach().numpy(),
    }


# --8<-- [end:heads]


# --8<-- [start:mlm]
def mask_tokens(
    token_ids: torch.Tensor,
    *,
    vocab_size: int,
    mask_id: int,
    special_ids: tuple[int, ...] = (),
    mask_prob: float = 0.15,
    generator: torch.Generator | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Corrupt a batch for masked-language-model pretraining (Devlin et al., 2019).

    Each ordinary token is selected with probability ``mask_prob`` (15%). Of the
    selected tokens, 80% become ``[MASK]``, 10% become a random token and 10%
    stay as they are. Special tokens such as ``[CLS]`` are never selected.

    Returns:
        ``(inputs, labels)``: the corrupted ids the model reads, and the ids it
        must predict: the original id at selected positions, ``-100`` elsewhere
        (the value ``nn.CrossEntropyLoss`` ignores by default).
    """
    shape = token_ids.shape
    probability = torch.full(shape, mask_prob)
    probability[torch.isin(token_ids, torch.tensor(special_ids, dtype=token_ids.dtype))] = 0.0
    selected = torch.bernoulli(probability, generator=generator).bool()
    labels = torch.where(selected, token_ids, torch.full_like(token_ids, -100))

    inputs = token_ids.clone()
    to_mask = selected & torch.bernoulli(torch.full(shape, 0.8), generator=generator).bool()
    inputs[to_mask] = mask_id
    # half of the remaining 20% -> random token; the other half stays unchanged
    to_random = (
        selected & ~to_mask & torch.bernoulli(torch.full(shape, 0.5), generator=generator).bool()
    )
    random_ids = torch.randint(vocab_size, shape, generator=generator, dtype=token_ids.dtype)
    inputs[to_random] = random_ids[to_random]
    return inputs, labels


def masking_fractions(
    token_ids: torch.Tensor, inputs: torch.Tensor, labels: torch.Tensor, mask_id: int
) -> dict[str, float]:
    """Measured fractions: selected tokens, and among them ``[MASK]``, random, kept.

    Rounded to two decimals, so the result reads like the 15% / 80-10-10 rule.
    """
    selected = labels != -100
    chosen_inputs = inputs[selected]
    chosen_originals = token_ids[selected]
    is_mask = chosen_inputs == mask_id
    kept = chosen_inputs == chosen_originals
    fractions = {
        "selected": selected.float().mean().item(),
        "mask": is_mask.float().mean().item(),
        "random": (~is_mask & ~kept).float().mean().item(),
        "kept": kept.float().mean().item(),
    }
    return {name: round(value, 2) for name, value in fractions.items()}


# --8<-- [end:mlm]


# --8<-- [start:encoder]
@dataclass(frozen=True)
class BertConfig:
    """The shape of a BERT encoder (the fields of Hugging Face's ``BertConfig``)."""

    vocab_size: int = 30522
    hidden_size: int = 768
    num_hidden_layers: int = 12
    num_attention_heads: int = 12
    intermediate_size: int = 3072
    max_position_embeddings: int = 512
    type_vocab_size: int = 2


BERT_BASE = BertConfig()  # the published BERT-base configuration


class BertEncoder(nn.Module):
    """A BERT-style encoder: embeddings, a stack of Transformer layers, a pooler.

    The modules match those of Hugging Face's ``BertModel`` one for one, so the
    parameter counts agree. ``causal=True`` adds a causal mask: that is NOT
    BERT, it is there to compare the two kinds of attention.
    """

    def __init__(self, config: BertConfig, causal: bool = False) -> None:
        super().__init__()
        h = config.hidden_size
        self.causal = causal
        self.word_embeddings = nn.Embedding(config.vocab_size, h)
        self.position_embeddings = nn.Embedding(config.max_position_embeddings, h)
        self.token_type_embeddings = nn.Embedding(config.type_vocab_size, h)
        self.embedding_norm = nn.LayerNorm(h, eps=1e-12)
        layer = nn.TransformerEncoderLayer(
            d_model=h,
            nhead=config.num_attention_heads,
            dim_feedforward=config.intermediate_size,
            dropout=0.0,  # BERT trains with 0.1; 0 keeps the small demos deterministic
            activation="gelu",
            layer_norm_eps=1e-12,
            batch_first=True,  # post-LayerNorm, as in BERT (norm_first=False)
        )
        self.layers = nn.TransformerEncoder(
            layer, config.num_hidden_layers, enable_nested_tensor=False
        )
        self.pooler = nn.Sequential(nn.Linear(h, h), nn.Tanh())  # reads the [CLS] vector

    def forward(
        self, token_ids: torch.Tensor, token_type_ids: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Return ``(hidden_states, pooled)``: one vector per token, and one per sequence."""
        num_tokens = token_ids.shape[1]
        positions = torch.arange(num_tokens, device=token_ids.device)
        if token_type_ids is None:
            token_type_ids = torch.zeros_like(token_ids)
        x = (
            self.word_embeddings(token_ids)
            + self.position_embeddings(positions)
            + self.token_type_embeddings(token_type_ids)
        )
        x = self.embedding_norm(x)
        mask = None
        if self.causal:
            mask = nn.Transformer.generate_square_subsequent_mask(num_tokens, device=x.device)
        hidden_states = self.layers(x, mask=mask, is_causal=self.causal)
        pooled = self.pooler(hidden_states[:, 0])  # position 0 holds [CLS]
        return hidden_states, pooled


class BertClassifier(nn.Module):
    """Sentence classification as in BERT fine-tuning: one linear layer on the pooled [CLS]."""

    def __init__(self, config: BertConfig, num_classes: int, causal: bool = False) -> None:
        super().__init__()
        self.encoder = BertEncoder(config, causal=causal)
        self.head = nn.Linear(config.hidden_size, num_classes)

    def forward(self, token_ids: torch.Tensor) -> torch.Tensor:
        """Class scores (logits), shape ``(batch, num_classes)``."""
        _, pooled = self.encoder(token_ids)
        return self.head(pooled)


# --8<-- [end:encoder]


# --8<-- [start:order-task]
PAD, CLS, MASK, TOKEN_A, TOKEN_B = 0, 1, 2, 3, 4  # token ids; 5 and up are filler words
TINY = BertConfig(
    vocab_size=16,
    hidden_size=32,
    num_hidden_layers=2,
    num_attention_heads=2,
    intermediate_size=64,
    max_position_embeddings=16,
)


def order_task(
    num_sequences: int, length: int = 10, seed: int = 0
) -> tuple[torch.Tensor, torch.Tensor]:
    """Sequences ``[CLS] w1 ... w10`` holding token A once and token B once.

    The label is 1 when A comes before B. Every sequence contains the same
    two special words, so word counts say nothing about the label: only the
    order does.
    """
    g = torch.Generator().manual_seed(seed)
    X = torch.randint(TOKEN_B + 1, TINY.vocab_size, (num_sequences, length), generator=g)
    where = torch.stack([torch.randperm(length, generator=g)[:2] for _ in range(num_sequences)])
    rows = torch.arange(num_sequences)
    X[rows, where[:, 0]] = TOKEN_A
    X[rows, where[:, 1]] = TOKEN_B
    y = (where[:, 0] < where[:, 1]).long()
    X = torch.cat([torch.full((num_sequences, 1), CLS), X], dim=1)
    return X, y


def bag_of_words_accuracy(
    X_train: torch.Tensor, y_train: torch.Tensor, X_test: torch.Tensor, y_test: torch.Tensor
) -> float:
    """Test accuracy of logistic regression on word counts (order thrown away)."""
    from sklearn.linear_model import LogisticRegression

    def counts(X: torch.Tensor) -> np.ndarray:
        return np.stack([np.bincount(row, minlength=TINY.vocab_size) for row in X.numpy()])

    model = LogisticRegression(max_iter=1000).fit(counts(X_train), y_train.numpy())
    return float(model.score(counts(X_test), y_test.numpy()))


# --8<-- [end:order-task]


# --8<-- [start:train]
@contextmanager
def torch_threads(num_threads: int) -> Iterator[None]:
    """Run the block on ``num_threads`` CPU threads, then restore the previous setting.

    Small models gain nothing from a second thread, and on a busy machine the
    threads wait for each other: one thread is both faster and steadier.
    """
    previous = torch.get_num_threads()
    torch.set_num_threads(num_threads)
    try:
        yield
    finally:
        torch.set_num_threads(previous)


@disk_cache  # trained once per code and arguments (snippets/cache.py)
def train_order_classifier(
    X: torch.Tensor, y: torch.Tensor, causal: bool = False, num_epochs: int = 6, seed: int = 0
) -> tuple[BertClassifier, list[float]]:
    """Train a tiny BERT-style classifier (2 layers, width 32) on the order task.

    Uses the shared training loop ``snippets.training.fit`` (Adam, cross-entropy).

    Returns:
        The trained network and its mean training loss per epoch.
    """
    torch.manual_seed(seed)
    net = BertClassifier(TINY, num_classes=2, causal=causal)
    with torch_threads(1):
        losses = fit(net, X, y, num_epochs=num_epochs, lr=2e-3, seed=seed)
    return net, losses


# --8<-- [end:train]


# --8<-- [start:size]
def count_parameters(net: nn.Module) -> int:
    """Number of trainable numbers in ``net``."""
    return sum(p.numel() for p in net.parameters())


def bert_parameter_count(config: BertConfig) -> dict[str, int]:
    """The parameter count of ``BertEncoder(config)``, worked out by hand.

    Examples:
        >>> bert_parameter_count(BERT_BASE)["total"]
        109482240
    """
    h, ff = config.hidden_size, config.intermediate_size
    embeddings = (
        (config.vocab_size + config.max_position_embeddings + config.type_vocab_size) * h
        + 2 * h  # LayerNorm: scale and shift
    )
    attention = 4 * (h * h + h)  # query, key, value, output: weight + bias each
    feed_forward = (h * ff + ff) + (ff * h + h)
    layer = attention + feed_forward + 2 * (2 * h)  # two LayerNorms
    pooler = h * h + h
    encoder = config.num_hidden_layers * layer
    return {
        "embeddings": embeddings,
        "encoder": encoder,
        "pooler": pooler,
        "total": embeddings + encoder + pooler,
    }


def forward_flops(config: BertConfig, num_tokens: int) -> int:
    """Floating-point operations of one forward pass over ``num_tokens`` tokens.

    Counts the matrix multiplications (2 operations per multiply-add): the
    linear layers, plus the ``Q K^T`` and ``weights V`` products of attention.
    Embedding look-ups, softmax and LayerNorm are comparatively free.
    """
    h, ff, n = config.hidden_size, config.intermediate_size, num_tokens
    linear = n * (4 * h * h + 2 * h * ff)
    attention = 2 * n * n * h
    return 2 * config.num_hidden_layers * (linear + attention)


@torch.inference_mode()
def cpu_latency_ms(
    net: BertEncoder, num_tokens: int = 16, repeats: int = 10, num_threads: int = 1
) -> float:
    """Wall time in milliseconds of one forward pass on a batch of one sentence.

    Runs on ``num_threads`` CPU threads (default: one core), after two warm-up
    passes, and returns the fastest of ``repeats`` passes: slower passes are
    the ones other programs interrupted (the advice of Python's ``timeit``).
    The thread setting is restored afterwards.
    """
    vocab_size = net.word_embeddings.num_embeddings
    token_ids = torch.randint(
        vocab_size, (1, num_tokens), generator=torch.Generator().manual_seed(0)
    )
    net.eval()
    times = []
    with torch_threads(num_threads):
        for _ in range(2):  # warm-up
            net(token_ids)
        for _ in range(repeats):
            start = time.perf_counter()
            net(token_ids)
            times.append(time.perf_counter() - start)
    return 1000 * min(times)


# --8<-- [end:size]


# --------------------------------------------------------------------------
# Figures (drawn at build time by hooks/figures.py; see FIGURES)
# --------------------------------------------------------------------------


def draw_attention_masks(out: IO[bytes], lang: str = "en") -> None:
    """Draw the bidirectional (BERT) and causal (GPT) attention masks as SVG in ``lang``."""
    from matplotlib.colors import ListedColormap

    tr = language(lang)
    words = tr("the cat sat down").split()  # four words in either language
    tokens = ["[CLS]", *words, "[SEP]"]
    n = len(tokens)
    colours = ListedColormap(["#eeeeee", "#7986cb"])  # blocked, allowed
    fig = new_figure(8.5, 4.0, lang)
    axes = fig.subplots(1, 2)
    for ax, mask, title in [
        (axes[0], bidirectional_mask(n), tr("bidirectional (BERT encoder)")),
        (axes[1], causal_mask(n), tr("causal (GPT decoder)")),
    ]:
        ax.imshow(mask, cmap=colours, vmin=0, vmax=1)
        for i in range(n):
            for j in range(n):
                allowed = bool(mask[i, j])
                ax.text(
                    j,
                    i,
                    "✓" if allowed else "×",
                    ha="center",
                    va="center",
                    fontsize=12,
                    color="white" if allowed else "#9e9e9e",
                )
        ax.set_xticks(range(n), tokens, rotation=45)
        ax.set_yticks(range(n), tokens)
        ax.set_xlabel(tr("attends to (key)"))
        ax.set_ylabel(tr("token (query)"))
        ax.set_title(title)
    save_svg(fig, out)


def order_task_curves(num_epochs: int = 6) -> dict[str, list[float]]:
    """Training loss per epoch of the tiny encoder, bidirectional and causal."""
    X, y = order_task(2000, seed=0)
    return {
        name: train_order_classifier(X, y, causal=causal, num_epochs=num_epochs)[1]
        for name, causal in [("bidirectional", False), ("causal", True)]
    }


def draw_order_task(out: IO[bytes], lang: str = "en") -> None:
    """Draw the training loss of the order task for both attention masks as SVG in ``lang``."""
    tr = language(lang)
    curves = order_task_curves()
    labels = {
        "bidirectional": tr("bidirectional mask, [CLS] classifier"),
        "causal": tr("causal mask, [CLS] classifier"),
    }
    fig = new_figure(6.5, 3.6, lang)
    ax = fig.subplots()
    for name, losses in curves.items():
        ax.plot(range(1, len(losses) + 1), losses, marker="o", label=labels[name])
    ax.axhline(np.log(2), color="gray", linestyle=":", linewidth=1)
    ax.annotate(tr("chance: ln 2"), (1.0, np.log(2) + 0.04), color="gray")
    ax.set_xlabel(tr("epoch"))
    ax.set_ylabel(tr("training loss (cross-entropy)"))
    ax.set_title(tr("Does token A come before token B?"))
    ax.set_ylim(0, 0.8)
    ax.grid(alpha=0.3)
    ax.legend(loc="center right")
    save_svg(fig, out)


FIGURES = {
    "bert-attention-masks.svg": draw_attention_masks,
    "bert-order-task.svg": draw_order_task,
}
