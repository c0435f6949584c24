"""Every page's examples are collected, the same in both languages, and can fail."""

from pathlib import Path

import pytest
from sybil.example import SybilFailure

from tests.markdown_pages import (
    DOCS,
    IncludeError,
    page_files,
    parse_page,
    uncollected_fences,
)

PAGES = sorted({p.relative_to(DOCS / p.relative_to(DOCS).parts[0]) for p in page_files()})


@pytest.mark.parametrize("page", PAGES, ids=str)
def test_every_python_fence_is_collected(page: Path):
    for lang in ("ko", "en"):
        document = parse_page(DOCS / lang / page)
        assert uncollected_fences(document) == [], f"docs/{lang}/{page}: fences Sybil skips"


def _source(parsed) -> str:
    # a code block parses to its text, a doctest line to a doctest.Example
    return f"{parsed.source}->{parsed.want}" if hasattr(parsed, "want") else str(parsed)


@pytest.mark.parametrize("page", PAGES, ids=str)
def test_both_languages_run_the_same_examples(page: Path):
    ko, en = (DOCS / "ko" / page), (DOCS / "en" / page)
    assert ko.exists() and en.exists(), f"{page} lacks a twin"
    ko_sources = [_source(e.region.parsed) for e in parse_page(ko)]
    en_sources = [_source(e.region.parsed) for e in parse_page(en)]
    assert len(ko_sources) == len(en_sources)
    assert ko_sources == en_sources


CHAPTERS = [
    "numpy.md",
    "activations.md",
    "learning.md",
    "architectures.md",
    "transfer-learning.md",
    "evaluation.md",
    "generative.md",
    "bert-rag.md",
    "augmentation.md",
]


@pytest.mark.parametrize("page", CHAPTERS)
def test_chapter_pages_have_examples(page):
    # a chapter that silently tests nothing is a defect (Sybil's own docs count examples)
    for lang in ("ko", "en"):
        assert len(list(parse_page(DOCS / lang / page))) >= 20, f"docs/{lang}/{page}"


# ---------------------------------------------------------------------------
# The harness itself can fail
# ---------------------------------------------------------------------------


def _write(tmp_path: Path, text: str) -> Path:
    page = tmp_path / "page.md"
    page.write_text(text, encoding="utf-8")
    return page


def _run(page: Path) -> None:
    for example in parse_page(page):
        example.evaluate()


def test_wrong_expected_output_fails_at_the_page_line(tmp_path):
    page = _write(
        tmp_path,
        "# Title { #t }\n\nSome prose.\n\n```pycon\n>>> 1 + 1\n3\n```\n",
    )
    examples = list(parse_page(page))
    assert [e.line for e in examples] == [6]
    with pytest.raises(SybilFailure, match="Expected:\n    3\nGot:\n    2"):
        examples[0].evaluate()


def test_failure_lines_point_at_the_page_not_the_expanded_text(tmp_path):
    # the include expands to many lines; the example after it keeps its page line
    page = _write(
        tmp_path,
        "```python\nimport numpy as np\n```\n\n"
        '```python\n--8<-- "snippets/activations.py:functions"\n```\n\n'
        "```pycon\n>>> float(relu(-1.0))\n1.0\n```\n",
    )
    examples = list(parse_page(page))
    assert [e.line for e in examples] == [1, 5, 10]
    examples[0].evaluate()
    examples[1].evaluate()
    with pytest.raises(SybilFailure, match=r"Expected:\n    1\.0\nGot:\n    0\.0"):
        examples[2].evaluate()


def test_included_code_really_runs(tmp_path):
    page = _write(
        tmp_path,
        "```python\nimport numpy as np\n```\n\n"
        '```python\n--8<-- "snippets/activations.py:functions"\n```\n\n'
        "```pycon\n>>> float(sigmoid(0.0))\n0.5\n```\n",
    )
    _run(page)


def test_skipped_fence_is_reported(tmp_path):
    page = _write(
        tmp_path,
        '```python title="x.py"\nassert False\n```\n\n```py\nassert False\n```\n',
    )
    document = parse_page(page)
    assert list(document) == []
    assert uncollected_fences(document) == [1, 5]


def test_missing_snippet_names_page_and_line(tmp_path):
    page = _write(tmp_path, '# T { #t }\n\n```python\n--8<-- "snippets/nope.py:x"\n```\n')
    with pytest.raises(IncludeError, match=r"page\.md:4: .*nope\.py"):
        parse_page(page)


def test_missing_snippet_section_names_page_and_line(tmp_path):
    page = _write(tmp_path, '```python\n--8<-- "snippets/activations.py:nope"\n```\n')
    with pytest.raises(IncludeError, match=r"page\.md:2: .*nope"):
        parse_page(page)
