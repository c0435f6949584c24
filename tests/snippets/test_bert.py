"""BERT in miniature, and the claims the BERT and RAG chapter makes about it."""

import io

import numpy as np
import pytest
import torch
from torch import nn

from snippets import bert
from snippets.training import accuracy


def test_masks_are_full_and_lower_triangular():
    assert bert.bidirectional_mask(6).all()
    causal = bert.causal_mask(6)
    assert causal.sum() == 6 * 7 // 2
    assert np.array_equal(causal, causal & np.tri(6, dtype=bool))  # nothing above the diagonal


def test_only_bidirectional_attention_sees_the_future():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(5, 8))
    X_changed = X.copy()
    X_changed[-1] += 1.0
    for i in range(4):  # every token but the changed one
        causal = bert.self_attention(X, bert.causal_mask(5))[i]
        causal_changed = bert.self_attention(X_changed, bert.causal_mask(5))[i]
        assert np.allclose(causal, causal_changed)
        both = bert.self_attention(X, bert.bidirectional_mask(5))[i]
        both_changed = bert.self_attention(X_changed, bert.bidirectional_mask(5))[i]
        assert not np.allclose(both, both_changed)


def test_causal_first_token_attends_to_itself_only():
    X = np.random.default_rng(2).normal(size=(4, 3))
    assert np.allclose(bert.self_attention(X, bert.causal_mask(4))[0], X[0])


def test_self_attention_is_attend_with_q_k_v_all_x():
    X = np.random.default_rng(3).normal(size=(4, 6))
    mask = bert.causal_mask(4)
    assert np.allclose(bert.self_attention(X, mask), bert.attend(X, X, X, mask))


def _torch_layer(d, heads, seed=0):
    torch.manual_seed(seed)
    return nn.TransformerEncoderLayer(
        d, nhead=heads, dropout=0.0, batch_first=True, dtype=torch.float64
    )


@pytest.mark.parametrize(("d", "heads"), [(8, 1), (8, 2), (12, 3), (16, 8)])
@pytest.mark.parametrize("causal", [False, True])
def test_multi_head_attention_matches_pytorch(d, heads, causal):
    layer = _torch_layer(d, heads)
    weights = bert.attention_weights(layer)
    X = np.random.default_rng(d + heads).normal(size=(6, d))
    mask = bert.causal_mask(6) if causal else bert.bidirectional_mask(6)
    ours = bert.multi_head_attention(X, mask, weights, num_heads=heads)
    x = torch.from_numpy(X)[None]
    torch_mask = nn.Transformer.generate_square_subsequent_mask(6, dtype=torch.float64)
    theirs = layer.self_attn(x, x, x, attn_mask=torch_mask if causal else None, need_weights=False)[
        0
    ][0]
    np.testing.assert_allclose(ours, theirs.detach().numpy(), atol=1e-12)


def test_the_number_of_heads_changes_the_output_not_the_count():
    layer = _torch_layer(8, 2)
    weights = bert.attention_weights(layer)
    X = np.random.default_rng(0).normal(size=(5, 8))
    two = bert.multi_head_attention(X, bert.bidirectional_mask(5), weights, num_heads=2)
    one = bert.multi_head_attention(X, bert.bidirectional_mask(5), weights, num_heads=1)
    assert not np.allclose(one, two)  # a wrong head count is caught
    counts = {
        h: sum(p.numel() for p in nn.MultiheadAttention(8, h).parameters()) for h in (1, 2, 8)
    }
    assert set(counts.values()) == {4 * (8 * 8 + 8)}
    assert sum(w.size for w in weights.values()) == 288


def test_bert_base_layer_tensors_are_those_of_the_table():
    with torch.device("meta"):
        net = bert.BertEncoder(bert.BERT_BASE)
    shapes = {name: tuple(p.shape) for name, p in net.layers.layers[0].named_parameters()}
    assert shapes["self_attn.in_proj_weight"] == (3 * 768, 768)  # W_Q, W_K, W_V stacked
    assert shapes["self_attn.out_proj.weight"] == (768, 768)  # W_O
    assert shapes["linear1.weight"] == (3072, 768)
    assert sum(np.prod(shape) for shape in shapes.values()) == 7_087_872
    with torch.device("meta"):
        for heads in (1, 64):
            config = bert.BertConfig(num_attention_heads=heads)
            assert bert.count_parameters(bert.BertEncoder(config)) == 109_482_240


def _corrupt(seed=0, shape=(512, 512)):
    g = torch.Generator().manual_seed(seed)
    token_ids = torch.randint(1000, 30522, shape, generator=g)
    inputs, labels = bert.mask_tokens(token_ids, vocab_size=30522, mask_id=103, generator=g)
    return token_ids, inputs, labels


def test_masking_follows_the_15_and_80_10_10_rule():
    token_ids, inputs, labels = _corrupt()
    selected = labels != -100
    assert abs(selected.float().mean().item() - 0.15) < 0.005
    chosen = inputs[selected]
    assert abs((chosen == 103).float().mean().item() - 0.8) < 0.01
    assert abs((chosen == token_ids[selected]).float().mean().item() - 0.1) < 0.01
    # outside the selection nothing changes, and labels hold the original ids
    assert torch.equal(inputs[~selected], token_ids[~selected])
    assert torch.equal(labels[selected], token_ids[selected])


def test_masking_is_seeded():
    assert all(torch.equal(a, b) for a, b in zip(_corrupt(3), _corrupt(3), strict=True))
    assert not torch.equal(_corrupt(3)[1], _corrupt(4)[1])


def test_special_tokens_are_never_selected():
    batch = torch.full((500, 8), 5000)
    batch[:, 0], batch[:, -1] = 101, 102
    _, labels = bert.mask_tokens(
        batch, vocab_size=30522, mask_id=103, special_ids=(101, 102), mask_prob=0.9
    )
    assert (labels[:, [0, -1]] == -100).all()
    assert (labels[:, 1:-1] != -100).float().mean() > 0.8


def test_a_wrong_masking_rule_is_caught():
    # replacing every selected token with [MASK] gives 1.0, not the rule's 0.8
    token_ids, _, labels = _corrupt()
    all_masked = torch.where(labels != -100, torch.tensor(103), token_ids)
    fractions = bert.masking_fractions(token_ids, all_masked, labels, mask_id=103)
    assert fractions["mask"] == 1.0
    assert fractions["kept"] == 0.0


@pytest.mark.parametrize(
    "config",
    [
        bert.TINY,
        bert.BertConfig(100, 16, 3, 4, 40, 20, 3),
        bert.BERT_BASE,
        bert.BertConfig(num_hidden_layers=6),
    ],
    ids=["tiny", "odd", "base", "six-layers"],
)
def test_parameter_formula_matches_the_modules(config):
    with torch.device("meta"):  # shapes only, no memory, no time
        net = bert.BertEncoder(config)
    assert bert.count_parameters(net) == bert.bert_parameter_count(config)["total"]


def test_bert_base_has_the_hugging_face_count():
    counts = bert.bert_parameter_count(bert.BERT_BASE)
    assert counts["total"] == 109_482_240
    assert counts["embeddings"] + counts["encoder"] + counts["pooler"] == counts["total"]
    assert round(counts["total"] / 1e6) == 109  # "about 110M" in the paper
    assert round(counts["embeddings"] / counts["total"], 2) == 0.22  # the page's 22%
    six = bert.bert_parameter_count(bert.BertConfig(num_hidden_layers=6))
    assert round(1 - six["total"] / counts["total"], 2) == 0.39  # the page's 39%


def test_a_wrong_configuration_gives_a_wrong_count():
    assert bert.bert_parameter_count(bert.BertConfig(vocab_size=30000))["total"] != 109_482_240
    with torch.device("meta"):
        net = bert.BertEncoder(bert.BERT_BASE)
    without_pooler = bert.count_parameters(net) - bert.count_parameters(net.pooler)
    assert without_pooler == 108_891_648 != 109_482_240


def test_flops_halve_with_half_the_layers():
    full = bert.forward_flops(bert.BERT_BASE, 16)
    assert round(full / 1e9, 1) == 2.7
    assert bert.forward_flops(bert.BertConfig(num_hidden_layers=6), 16) * 2 == full
    # attention's share grows with the square of the length
    assert bert.forward_flops(bert.BERT_BASE, 512) > 32 * full


def test_encoder_shapes_and_cls_pooling():
    net = bert.BertEncoder(bert.TINY)
    X, _ = bert.order_task(3)
    hidden, pooled = net(X)
    assert hidden.shape == (3, 11, 32)
    assert pooled.shape == (3, 32)
    assert torch.allclose(pooled, net.pooler(hidden[:, 0]))


def test_order_task_has_one_a_and_one_b_per_sequence():
    X, y = bert.order_task(300, seed=5)
    assert X.shape == (300, 11)
    assert (X[:, 0] == bert.CLS).all()
    assert ((X == bert.TOKEN_A).sum(dim=1) == 1).all()
    assert ((X == bert.TOKEN_B).sum(dim=1) == 1).all()
    a_first = (X == bert.TOKEN_A).float().argmax(dim=1) < (X == bert.TOKEN_B).float().argmax(dim=1)
    assert torch.equal(a_first.long(), y)
    assert 0.4 < y.float().mean() < 0.6


def test_bag_of_words_cannot_tell_the_order():
    X_train, y_train = bert.order_task(2000, seed=0)
    X_test, y_test = bert.order_task(1000, seed=1)
    # the page shows 0.486: a coin flip
    assert abs(bert.bag_of_words_accuracy(X_train, y_train, X_test, y_test) - 0.5) < 0.05


def test_causal_cls_gives_one_answer_for_everything_even_untrained():
    torch.manual_seed(0)
    net = bert.BertClassifier(bert.TINY, num_classes=2, causal=True).eval()
    X, _ = bert.order_task(50, seed=2)
    with torch.no_grad():
        logits = net(X)
    assert torch.allclose(logits, logits[:1].expand_as(logits), atol=1e-6)
    bidirectional = bert.BertClassifier(bert.TINY, num_classes=2).eval()
    with torch.no_grad():
        assert not torch.allclose(bidirectional(X), bidirectional(X)[:1].expand_as(logits))


def test_tiny_bert_learns_the_order():
    X_train, y_train = bert.order_task(2000, seed=0)
    X_test, y_test = bert.order_task(1000, seed=1)
    net, losses = bert.train_order_classifier(X_train, y_train)
    assert len(losses) == 6
    assert losses[0] == pytest.approx(0.65, abs=0.03)  # the page: 0.65 down to 0.0
    assert losses[-1] < 0.01
    assert accuracy(net, X_test, y_test) > 0.99  # the page: 1.0


def test_causal_cls_classifier_stays_at_chance():
    X_train, y_train = bert.order_task(2000, seed=0)
    X_test, y_test = bert.order_task(1000, seed=1)
    net, losses = bert.train_order_classifier(X_train, y_train, causal=True)
    assert all(abs(loss - np.log(2)) < 0.02 for loss in losses)  # the page: ln 2 = 0.693
    share = y_test.float().mean().item()
    assert accuracy(net, X_test, y_test) in (pytest.approx(share), pytest.approx(1 - share))


def test_thread_setting_is_restored():
    before = torch.get_num_threads()
    with bert.torch_threads(1):
        assert torch.get_num_threads() == 1
    assert torch.get_num_threads() == before
    with pytest.raises(RuntimeError), bert.torch_threads(1):
        raise RuntimeError("inside")
    assert torch.get_num_threads() == before


def test_latency_is_measured_in_milliseconds():
    net = bert.BertEncoder(bert.TINY)
    latency = bert.cpu_latency_ms(net, num_tokens=8, repeats=3)
    assert 0 < latency < 1000


@pytest.mark.parametrize("name", sorted(bert.FIGURES))
def test_figures_are_drawn_in_both_languages(name, monkeypatch):
    # the words, not the training: the order-task curves are tested above
    curves = {"bidirectional": [0.65, 0.1, 0.0], "causal": [0.7, 0.69, 0.69]}
    monkeypatch.setattr(bert, "order_task_curves", lambda: curves)
    svgs = {}
    for lang in ("en", "ko"):
        buffer = io.BytesIO()
        bert.FIGURES[name](buffer, lang)  # MissingWords if a Korean entry is missing
        svgs[lang] = buffer.getvalue()
        assert b"<svg" in svgs[lang][:500]
    assert svgs["en"] != svgs["ko"]


def test_the_korean_example_sentence_has_four_words():
    from snippets.plotting import translate

    assert len(translate("the cat sat down", "ko").split()) == 4
