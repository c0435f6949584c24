"""The toy RAG over the site's pages, and the claims the BERT and RAG chapter makes about it."""

import io

import numpy as np
import pytest

from snippets import rag

# the page's examples read the chapter's own page, which changes only with the chapter
CHAPTER_PAGES = ("bert-rag.md",)
# pages that exist whichever other chapters have been written
SITE_PAGES = ("index.md", "activations.md", "bert-rag.md", "conclusion.md")

PAGE = """---
description: a test page
---

# Gradients { #gradients }

Intro sentence. Another one!

## Vanishing { #vanishing }

!!! warning "Correction: a title"

    The gradient shrinks at every layer.

```python
secret_code_word = 1
```

| Function | Derivative |
| --- | --- |
| sigmoid | at most 0.25 |

## Heading without an id

Some text with a [link](other.md) and `code`.
"""


def test_tokenize_english_drops_stop_words_and_plurals():
    assert rag.tokenize("What is the vanishing of Gradients?") == ["vanishing", "gradient"]
    assert rag.tokenize("loss class") == ["loss", "class"]  # -ss is not a plural


def test_tokenize_korean_into_bigrams_without_particles_alone():
    assert rag.tokenize("기울기") == ["기울", "울기"]
    assert rag.tokenize("ReLU는") == ["relu"]  # the lone particle is dropped
    assert "나요" not in rag.tokenize("해결하나요")  # a question ending is not a topic


def test_bigrams_match_words_whose_particles_differ():
    shared = set(rag.tokenize("기울기가 사라진다")) & set(rag.tokenize("기울기는 사라지고"))
    assert {"기울", "울기"} <= shared


def test_whitespace_words_miss_what_bigrams_find():
    # the broken alternative: whole Korean words never match across particles
    passages = [
        rag.Passage("ko", "a.md", "a", "가", "기울기는 층마다 작아집니다."),
        rag.Passage("ko", "b.md", "b", "나", "데이터를 늘리는 방법입니다."),
    ]
    words = rag.BM25([(p.title + " " + p.text).split() for p in passages])
    assert words.scores("기울기가 왜 작아지나요?".split()).max() == 0.0
    search = rag.SiteSearch(passages)
    assert search.retrieve("기울기가 왜 작아지나요?", k=1)[0].page == "a.md"


def test_split_into_passages_keeps_prose_and_drops_code():
    passages = rag.split_into_passages(PAGE, "en", "test.md")
    assert [p.heading_id for p in passages] == ["gradients", "vanishing", "heading-without-an-id"]
    vanishing = passages[1]
    assert vanishing.citation == "en/test.md#vanishing"
    assert "secret_code_word" not in vanishing.text
    assert "Correction: a title" in vanishing.text
    assert "sigmoid at most 0.25" in vanishing.text
    assert "---" not in vanishing.text
    assert passages[2].text == "Some text with a link and code ."
    assert "description" not in passages[0].text  # front matter is not prose


def test_split_sentences_at_punctuation_and_line_ends():
    assert rag.split_sentences("One. Two!\nThree? four") == ["One.", "Two!", "Three?", "four"]


def _reference_bm25(documents, query, k1=1.5, b=0.75):
    n = len(documents)
    average = sum(len(d) for d in documents) / n
    scores = []
    for doc in documents:
        score = 0.0
        for term in query:
            df = sum(term in d for d in documents)
            if df == 0:
                continue
            idf = np.log(1 + (n - df + 0.5) / (df + 0.5))
            tf = doc.count(term)
            score += idf * tf * (k1 + 1) / (tf + k1 * (1 - b + b * len(doc) / average))
        scores.append(score)
    return np.array(scores)


def test_bm25_matches_the_formula():
    documents = [["a", "b", "b"], ["b", "c"], ["c", "c", "c", "d", "e"], ["e"]]
    query = ["b", "c", "zzz"]
    assert np.allclose(rag.BM25(documents).scores(query), _reference_bm25(documents, query))


def test_bm25_prefers_rare_terms_and_short_documents():
    documents = [["x", "common"], ["y", "common"], ["z", "common"], ["x", "pad", "pad", "pad"]]
    bm25 = rag.BM25(documents)
    assert bm25.idf[bm25.term_index["x"]] > bm25.idf[bm25.term_index["common"]] > 0
    scores = bm25.scores(["x"])
    assert scores[0] > scores[3] > scores[1] == 0.0


@pytest.fixture(scope="module")
def search():
    return rag.SiteSearch(rag.load_passages(languages=("ko", "en"), pages=CHAPTER_PAGES))


def test_load_passages_reads_both_languages():
    passages = rag.load_passages(languages=("ko", "en"), pages=SITE_PAGES)
    langs = {(p.lang, p.page) for p in passages}
    assert {(lang, page) for lang in ("ko", "en") for page in SITE_PAGES} <= langs
    assert all(p.text and p.heading_id for p in passages)


def test_load_passages_reads_whatever_pages_exist():
    pages = {p.page for p in rag.load_passages(languages=("en",))}
    on_disk = {path.name for path in (rag.DOCS / "en").glob("*.md")}
    assert pages <= on_disk
    assert {"index.md", "activations.md"} <= pages


def test_a_korean_question_finds_the_korean_page(search):
    answer = search.answer("BERT는 이미지를 생성하나요?")
    assert answer.citation == "ko/bert-rag.md#what-is-bert"
    assert "이미지를 생성하지 않" in answer.sentence


def test_an_english_question_finds_the_english_page(search):
    answer = search.answer("Does BERT generate images?")
    assert answer.citation == "en/bert-rag.md#what-is-bert"
    assert "generates no images" in answer.sentence


def test_retrieval_finds_the_quoted_claim_before_its_correction(search):
    for question, lang in [
        ("BERT는 실시간 데이터 처리에 적합하지 않나요?", "ko"),
        ("Is BERT not suitable for real-time data processing?", "en"),
    ]:
        hits = search.retrieve(question, k=2)
        assert [p.citation for p in hits] == [
            f"{lang}/bert-rag.md#article",
            f"{lang}/bert-rag.md#latency",
        ]


def test_answers_are_not_questions(search):
    answer = search.answer("이진 분류 출력층에는 어떤 활성화 함수를 쓰나요?")
    assert not answer.sentence.endswith("?")


def test_build_prompt_lists_passages_then_the_question(search):
    passages = search.retrieve("Is BERT not suitable for real-time data processing?", k=3)
    lines = rag.build_prompt("Q?", passages).splitlines()
    assert len(lines) == 1 + 3 + 2
    assert lines[1].startswith(f"[1] ({passages[0].citation}) ")
    assert lines[-2:] == ["Question: Q?", "Answer:"]


def test_rag_marginals_on_the_page_example():
    doc_probs = np.array([0.6, 0.4])
    token_probs = np.array([[0.9, 0.2], [0.3, 0.8]])
    assert rag.rag_sequence_probability(doc_probs, token_probs) == pytest.approx(0.204)
    assert rag.rag_token_probability(doc_probs, token_probs) == pytest.approx(0.2904)


def test_one_passage_makes_both_marginals_the_generator_probability():
    token_probs = np.array([[0.5, 0.25, 0.8]])
    expected = 0.5 * 0.25 * 0.8
    assert rag.rag_sequence_probability(np.array([1.0]), token_probs) == pytest.approx(expected)
    assert rag.rag_token_probability(np.array([1.0]), token_probs) == pytest.approx(expected)


def test_both_marginals_are_distributions_over_answers():
    # a generator over a vocabulary of 3 that ignores the earlier tokens: summed over all
    # 3 x 3 two-token answers, each marginal must give 1
    rng = np.random.default_rng(0)
    doc_probs = rng.dirichlet(np.ones(4))  # 4 passages
    per_token = rng.dirichlet(np.ones(3), size=(4, 2))  # (passage, position, word)
    totals = {"sequence": 0.0, "token": 0.0}
    for first in range(3):
        for second in range(3):
            token_probs = np.stack([per_token[:, 0, first], per_token[:, 1, second]], axis=1)
            totals["sequence"] += rag.rag_sequence_probability(doc_probs, token_probs)
            totals["token"] += rag.rag_token_probability(doc_probs, token_probs)
    assert totals == pytest.approx({"sequence": 1.0, "token": 1.0})


def test_figure_is_svg_in_both_languages():
    for name, draw in rag.FIGURES.items():
        svgs = {}
        for lang in ("en", "ko"):
            buffer = io.BytesIO()
            draw(buffer, lang)
            svgs[lang] = buffer.getvalue()
            assert b"<svg" in svgs[lang][:500]
        assert name.startswith("rag-") and name.endswith(".svg")
        assert svgs["en"] != svgs["ko"]
