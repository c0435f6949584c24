"""`python -m i18n check`: passes on the site, names file and line on every drift."""

import json
import shutil
from pathlib import Path

import pytest

from i18n.__main__ import main

ROOT = Path(__file__).resolve().parent.parent

PAGE = """---
description: A page.
---

# Title { #title }

Prose.

## Part { #part }

```python
x = 1
```

![A figure](../assets/figures/activations.svg)

See [the other page](other.md#part).
"""


def test_the_site_passes(capsys):
    assert main(["check"]) == 0


def test_status_lists_every_page_as_json(capsys):
    assert main(["status", "--json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    pages = {entry["page"]: entry for entry in payload["pages"]}
    entry = pages["activations.md"]
    assert (entry["ko"], entry["en"], entry["ok"]) == (True, True, True)


@pytest.fixture
def docs(tmp_path: Path) -> Path:
    for lang in ("ko", "en"):
        (tmp_path / lang).mkdir()
        (tmp_path / lang / "page.md").write_text(PAGE, encoding="utf-8")
    assert main(["stamp", str(tmp_path / "en" / "page.md")]) == 0
    return tmp_path


def _check(docs: Path, capsys) -> tuple[int, str]:
    capsys.readouterr()
    code = main(["check", "--docs", str(docs)])
    return code, capsys.readouterr().out


def _edit(docs: Path, lang: str, old: str, new: str) -> None:
    path = docs / lang / "page.md"
    path.write_text(path.read_text(encoding="utf-8").replace(old, new), encoding="utf-8")
    main(["stamp", str(docs / "en" / "page.md")])  # only the edit under test is a problem


def test_identical_twins_pass(docs, capsys):
    assert _check(docs, capsys) == (0, "")


def test_missing_twin(docs, capsys):
    (docs / "en" / "page.md").unlink()
    code, out = _check(docs, capsys)
    assert code == 1
    assert "ko/page.md:1: no English twin" in out


def test_heading_id_mismatch(docs, capsys):
    _edit(docs, "en", "{ #part }", "{ #section }")
    code, out = _check(docs, capsys)
    assert code == 1
    assert "en/page.md:10: heading differs" in out


def test_heading_without_fixed_id(docs, capsys):
    _edit(docs, "ko", "## Part { #part }", "## 부분")
    code, out = _check(docs, capsys)
    assert code == 1
    assert "ko/page.md:9: heading without a fixed id" in out


@pytest.mark.parametrize(
    ("old", "new", "line", "what"),
    [
        ("x = 1", "x = 2", 12, "code block differs"),
        ("activations.svg", "other.svg", 16, "figure differs"),
        ("other.md#part", "other.md#title", 18, "internal link differs"),
    ],
)
def test_structure_mismatch(docs, capsys, old, new, line, what):
    _edit(docs, "en", old, new)
    code, out = _check(docs, capsys)
    assert code == 1
    assert f"en/page.md:{line}: {what}" in out


def test_malformed_front_matter(docs, capsys):
    _edit(docs, "ko", "description: A page.", "description: a: b")
    code, out = _check(docs, capsys)
    assert code == 1
    assert "ko/page.md:2: malformed front matter" in out


def test_notebook_code_cells_must_match(docs, capsys):
    source = ROOT / "docs" / "ko" / "labs" / "activations.ipynb"
    for lang in ("ko", "en"):
        shutil.copy(source, docs / lang / "lab.ipynb")
    main(["stamp", str(docs / "en" / "lab.ipynb")])
    notebook = json.loads((docs / "en" / "lab.ipynb").read_text(encoding="utf-8"))
    notebook["cells"][1]["source"] = ["import math\n"]
    (docs / "en" / "lab.ipynb").write_text(json.dumps(notebook), encoding="utf-8")
    code, out = _check(docs, capsys)
    assert code == 1
    assert "en/lab.ipynb:2: code block differs" in out


def test_keep_english_on_a_terms_first_use(docs, capsys):
    _edit(
        docs,
        "ko",
        "Prose.",
        "기울기 소실은 문제입니다. 기울기 소실(vanishing gradient)은 뒤에 나옵니다.",
    )
    _edit(docs, "en", "Prose.", "The vanishing gradient is a problem.")
    code, out = _check(docs, capsys)
    assert code == 1
    assert "ko/page.md:7: first use of '기울기 소실' in this chapter" in out
    _edit(docs, "ko", "기울기 소실은 문제입니다. ", "")
    assert _check(docs, capsys) == (0, "")


def test_a_korean_term_inside_a_longer_word_is_not_that_term(docs, capsys):
    # 하이퍼파라미터 is not a use of 파라미터, so the English twin needs no "parameter"
    _edit(docs, "ko", "Prose.", "하이퍼파라미터를 고릅니다.")
    _edit(docs, "en", "Prose.", "We choose a hyperparameter.")
    assert _check(docs, capsys) == (0, "")
    _edit(docs, "ko", "하이퍼파라미터를", "매개변수를")
    code, out = _check(docs, capsys)
    assert code == 1
    assert "'매개변수': the glossary's term is '파라미터'" in out


def test_a_list_names_a_chapter_as_its_title_does(docs, capsys):
    for lang in ("ko", "en"):
        _edit(docs, lang, "Prose.", "- [Title](page.md): the page itself")
    assert _check(docs, capsys) == (0, "")
    for lang in ("ko", "en"):
        _edit(docs, lang, "- [Title](page.md)", "- [Another name](page.md)")
    code, out = _check(docs, capsys)
    assert code == 1
    assert "ko/page.md:7: 'Another name' names page.md, whose title is 'Title'" in out


def mkdocs_languages(text: str) -> list[str]:
    """The locales the build's i18n plugin lists in ``mkdocs.yml``, in order."""
    import re

    block = text[text.index("  - i18n:") :]
    block = block[: block.index("\n  - ", 1)]
    return re.findall(r"^\s+- locale: (\w+)", block, flags=re.M)


def test_the_build_lists_the_languages_of_i18n_languages():
    from i18n.languages import DEFAULT, LANGUAGES

    text = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    assert mkdocs_languages(text) == list(LANGUAGES)
    assert f"locale: {DEFAULT}\n          name: 한국어\n          default: true" in text
    broken = text.replace("- locale: en", "- locale: ja")
    assert mkdocs_languages(broken) != list(LANGUAGES)  # the comparison can fail


def test_the_other_language_and_roots():
    from i18n import languages

    assert [languages.other(x) for x in languages.LANGUAGES] == ["en", "ko"]
    assert [languages.root(x) for x in languages.LANGUAGES] == ["", "en/"]
    assert languages.language_of_url("en/labs/numpy/") == "en"
    assert languages.language_of_url("labs/numpy/") == "ko"
    with pytest.raises(ValueError, match="unknown language 'ja'"):
        languages.other("ja")
