"""A toy retrieval-augmented question answerer over this site's own pages.

The retriever is BM25 (Robertson & Zaragoza, 2009) written in NumPy. Korean
text is split into character bigrams, so particles such as 은/는/이/가 do not
stop a word from matching. The answerer is extractive, not generative: it
returns the best-matching sentence of the best passage and cites the page and
heading. This is a retrieve-then-read pipeline, not the RAG model of Lewis et
al. (2020): there a dense retriever and a seq2seq generator are fine-tuned
together and the answer's probability is summed over the retrieved passages
(``rag_sequence_probability`` and ``rag_token_probability`` compute the two
sums). ``build_prompt`` shows what a language model receives in the later
retrieve-then-prompt setup.

The pages are read when the code runs: whatever ``docs/<lang>/*.md`` holds then
is what can be found.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from snippets.plotting import language, new_figure, save_svg

DOCS = Path(__file__).resolve().parent.parent / "docs"
# the files this module reads: the build re-runs a lab that searches the pages when they change
READS = ("docs/*/*.md",)


# --8<-- [start:passages]
@dataclass(frozen=True)
class Passage:
    """The prose under one heading of one page."""

    lang: str  # "ko" or "en"
    page: str  # file name, e.g. "activations.md"
    heading_id: str  # the heading's fixed id, e.g. "vanishing-gradients"
    title: str  # the heading's text
    text: str  # the prose, one line per Markdown line, code blocks and markup removed

    @property
    def citation(self) -> str:
        """Where the passage lives: ``lang/page#heading-id``."""
        return f"{self.lang}/{self.page}#{self.heading_id}"


HEADING = re.compile(r"^(#{1,6})\s+(.+?)(?:\s*\{\s*#([\w-]+)\s*\})?\s*$")
FENCE = re.compile(r"^\s*(```|~~~)")


def clean_markdown(line: str) -> str:
    """Keep the words of one Markdown line, drop the markup."""
    if re.fullmatch(r"\s*\|?[\s:|-]*-[\s:|-]*", line):
        return ""  # the |---|---| row under a table header
    line = re.sub(r"^\s*(!!!|\?\?\?\+?)\s*\w+\s*", "", line)  # admonition marker, keep title
    line = re.sub(r"^\s*===\s*", "", line)  # content tab label
    line = re.sub(r"<[^>]+>", " ", line)  # HTML tags such as <span id=...>
    line = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", line)  # links and images: keep the text
    line = re.sub(r"^\s*(?:(?:>|[-*]|\d+\.)(?:\s+|$))+", "", line)  # quote, list item
    line = re.sub(r"[*`|\"]", " ", line)  # emphasis, code, table cells, quotes
    return " ".join(line.split())


def split_into_passages(markdown: str, lang: str, page: str) -> list[Passage]:
    """Split one page into passages, one per heading; code blocks are left out."""
    markdown = re.sub(r"\A---\n.*?\n---\n", "", markdown, flags=re.DOTALL)  # front matter
    passages: list[Passage] = []
    heading_id, title, lines = "", "", []
    in_code = False

    def flush() -> None:
        text = "\n".join(line for line in lines if line)
        if heading_id and text:
            passages.append(Passage(lang, page, heading_id, title, text))

    for raw in markdown.splitlines():
        if FENCE.match(raw):
            in_code = not in_code
            continue
        if in_code:
            continue
        match = HEADING.match(raw)
        if match:
            flush()
            title = clean_markdown(match.group(2))
            heading_id = match.group(3) or re.sub(r"[^\w]+", "-", title.lower()).strip("-")
            lines = []
        else:
            lines.append(clean_markdown(raw))
    flush()
    return passages


def load_passages(
    languages: tuple[str, ...] = ("ko", "en"), pages: tuple[str, ...] | None = None
) -> list[Passage]:
    """Read the site's pages as they are now and split them into passages.

    Args:
        languages: which language folders of ``docs/`` to read.
        pages: file names to read (e.g. ``("activations.md",)``); ``None`` reads
            every ``*.md`` directly in each language folder.
    """
    passages = []
    for lang in languages:
        folder = DOCS / lang
        paths = sorted(folder.glob("*.md")) if pages is None else [folder / p for p in pages]
        for path in paths:
            passages += split_into_passages(path.read_text(encoding="utf-8"), lang, path.name)
    return passages


# --8<-- [end:passages]


# --8<-- [start:tokenize]
STOP_WORDS = frozenset(
    "a an and are as at be by can do does for from how in is it its of on or that the this "
    "to was what when where which why with".split()
)
# bigrams of Korean endings that mark a question or a polite sentence, not a topic
KOREAN_STOP_BIGRAMS = frozenset("나요 가요 까요 인가 세요 니다 습니 합니 입니".split())
WORD = re.compile(r"[가-힣]+|[a-z0-9]+")


def tokenize(text: str) -> list[str]:
    """Lower-cased English words and Korean character bigrams.

    A Korean word carries its particle (기울기는, 기울기가, 기울기를): as whole
    words these never match each other. Their bigrams (기울, 울기, 기는) mostly do.

    Examples:
        >>> tokenize("ReLU는 기울기 소실을 완화합니다")
        ['relu', '기울', '울기', '소실', '실을', '완화', '화합']
        >>> tokenize("Does ReLU solve vanishing gradients?")
        ['relu', 'solve', 'vanishing', 'gradient']
    """
    tokens = []
    for word in WORD.findall(text.lower()):
        if "가" <= word[0] <= "힣":
            # a lone syllable is nearly always a particle left after an English word (ReLU는)
            bigrams = [word[i : i + 2] for i in range(len(word) - 1)]
            tokens += [bigram for bigram in bigrams if bigram not in KOREAN_STOP_BIGRAMS]
        elif word not in STOP_WORDS:
            if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
                word = word[:-1]  # a crude plural rule: gradients -> gradient
            tokens.append(word)
    return tokens


# --8<-- [end:tokenize]


# --8<-- [start:bm25]
class BM25:
    """Okapi BM25 over a fixed list of tokenized documents (Robertson & Zaragoza, 2009).

    For each query term ``t`` with frequency ``tf`` in document ``d``::

        idf(t) * tf * (k1 + 1) / (tf + k1 * (1 - b + b * len(d) / average_len))

    summed over the query terms.
    """

    def __init__(self, documents: list[list[str]], k1: float = 1.5, b: float = 0.75) -> None:
        vocabulary = sorted({term for doc in documents for term in doc})
        self.term_index = {term: i for i, term in enumerate(vocabulary)}
        tf = np.zeros((len(documents), len(vocabulary)))  # term frequencies
        for row, doc in enumerate(documents):
            for term in doc:
                tf[row, self.term_index[term]] += 1
        df = (tf > 0).sum(axis=0)  # in how many documents each term occurs
        n = len(documents)
        self.idf = np.log(1 + (n - df + 0.5) / (df + 0.5))
        length = tf.sum(axis=1, keepdims=True)
        saturation = tf + k1 * (1 - b + b * length / length.mean())
        self.weights = self.idf * tf * (k1 + 1) / saturation  # (documents, vocabulary)

    def scores(self, query: list[str]) -> np.ndarray:
        """BM25 score of every document for the tokenized ``query``."""
        columns = [self.term_index[t] for t in query if t in self.term_index]
        return self.weights[:, columns].sum(axis=1)


# --8<-- [end:bm25]


# --8<-- [start:answer]
@dataclass(frozen=True)
class Answer:
    """An extracted sentence and the passage it comes from."""

    sentence: str
    passage: Passage
    score: float

    @property
    def citation(self) -> str:
        return self.passage.citation


class SiteSearch:
    """Retriever plus extractive answerer over a list of passages."""

    def __init__(self, passages: list[Passage]) -> None:
        self.passages = passages
        # the heading is part of the passage: it often names the topic best
        self.bm25 = BM25([tokenize(p.title + " " + p.text) for p in passages])

    def retrieve(self, question: str, k: int = 3) -> list[Passage]:
        """The ``k`` passages with the highest BM25 score, best first."""
        scores = self.bm25.scores(tokenize(question))
        best = np.argsort(-scores, kind="stable")[:k]
        return [self.passages[i] for i in best]

    def answer(self, question: str) -> Answer:
        """The sentence of the best passage that shares the most (idf-weighted) query terms.

        Questions in the passage (a self-check, say) are skipped: they are not answers.
        """
        passage = self.retrieve(question, k=1)[0]
        query = set(tokenize(question))
        best_sentence, best_score = "", -1.0
        for sentence in split_sentences(passage.text):
            if sentence.endswith("?"):
                continue
            shared = query & set(tokenize(sentence))
            score = sum(self.bm25.idf[self.bm25.term_index[t]] for t in shared)
            if score > best_score:
                best_sentence, best_score = sentence, score
        return Answer(best_sentence, passage, best_score)


def split_sentences(text: str) -> list[str]:
    """Split prose at line ends, and after ``.``, ``?`` or ``!`` followed by a space."""
    return [s for line in text.splitlines() for s in re.split(r"(?<=[.?!])\s+", line) if s]


# --8<-- [end:answer]


# --8<-- [start:prompt]
PROMPT = (
    "Answer the question using only the passages below, and cite them as [n].\n"
    "{context}\n"
    "Question: {question}\n"
    "Answer:"
)


def build_prompt(question: str, passages: list[Passage], template: str = PROMPT) -> str:
    """The input of a retrieve-then-prompt system: the retrieved passages, then the question.

    A language model reads it as it is; nothing is trained. (The RAG model of
    Lewis et al., 2020, instead gives its generator the question with one
    passage at a time; see :func:`rag_sequence_probability`.) ``template``
    has the fields ``{context}`` and ``{question}`` (a lab passes its own
    language's wording).
    """
    context = "\n".join(
        f"[{i}] ({p.citation}) {' '.join(p.text.split())}" for i, p in enumerate(passages, 1)
    )
    return template.format(context=context, question=question)


# --8<-- [end:prompt]


# --8<-- [start:marginal]
def rag_sequence_probability(doc_probs: np.ndarray, token_probs: np.ndarray) -> float:
    """p(answer | question) in RAG-Sequence (Lewis et al., 2020): one passage per answer.

    Args:
        doc_probs: ``(k,)``, the retriever's probability of each of the top-k
            passages, ``p(z | x)``, summing to 1.
        token_probs: ``(k, T)``, the generator's probability of each of the
            answer's ``T`` tokens given the question, passage ``z`` and the
            tokens before it, ``p(y_i | x, z, y_<i)``.

    The whole answer is generated from one passage, and the passage is summed
    out: ``sum_z p(z | x) prod_i p(y_i | x, z, y_<i)``.
    """
    return float(doc_probs @ token_probs.prod(axis=1))


def rag_token_probability(doc_probs: np.ndarray, token_probs: np.ndarray) -> float:
    """p(answer | question) in RAG-Token: the passage is summed out at every token.

    ``prod_i sum_z p(z | x) p(y_i | x, z, y_<i)``: each token may draw on a
    different passage. Same arguments as :func:`rag_sequence_probability`.
    """
    return float((doc_probs @ token_probs).prod())


# --8<-- [end:marginal]


# --------------------------------------------------------------------------
# Figure (drawn at build time by hooks/figures.py; see FIGURES)
# --------------------------------------------------------------------------


def draw_rag_pipeline(out, lang: str = "en") -> None:
    """Draw the retrieve-then-generate pipeline as SVG in ``lang`` (boxes and arrows, no data)."""
    from matplotlib.patches import FancyBboxPatch

    tr = language(lang)
    fig = new_figure(9, 3.0, lang)
    ax = fig.subplots()
    ax.set_xlim(0, 10)
    ax.set_ylim(0, 3.2)
    ax.axis("off")
    boxes = [
        (0.1, tr("question\n(query)"), "#e8eaf6"),
        (2.1, tr("retriever\nBM25 / DPR"), "#c5cae9"),
        (4.1, tr("top-k passages\n+ citations"), "#fff3e0"),
        (6.1, tr("generator\n(seq2seq / LLM)"), "#c5cae9"),
        (8.1, tr("answer\nwith sources"), "#e8f5e9"),
    ]
    for x, label, colour in boxes:
        ax.add_patch(
            FancyBboxPatch(
                (x, 1.0), 1.8, 1.1, boxstyle="round,pad=0.05", facecolor=colour, edgecolor="#3949ab"
            )
        )
        ax.text(x + 0.9, 1.55, label, ha="center", va="center", fontsize=10)
    for x in (1.9, 3.9, 5.9, 7.9):
        ax.annotate("", (x + 0.2, 1.55), (x, 1.55), arrowprops={"arrowstyle": "->", "lw": 1.5})
    ax.add_patch(
        FancyBboxPatch(
            (2.1, 0.05), 1.8, 0.6, boxstyle="round,pad=0.05", facecolor="white", edgecolor="gray"
        )
    )
    ax.text(
        3.0, 0.35, tr("document index\n(this site's pages)"), ha="center", va="center", fontsize=8
    )
    ax.annotate("", (3.0, 0.95), (3.0, 0.7), arrowprops={"arrowstyle": "->", "color": "gray"})
    ax.annotate(
        "",
        (7.0, 2.2),
        (1.0, 2.2),
        arrowprops={"arrowstyle": "->", "color": "gray", "connectionstyle": "arc3,rad=-0.12"},
    )
    ax.text(
        4.0,
        2.75,
        tr("the question goes to the generator too"),
        ha="center",
        fontsize=9,
        color="gray",
    )
    save_svg(fig, out)


FIGURES = {"rag-pipeline.svg": draw_rag_pipeline}
