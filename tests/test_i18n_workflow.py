"""Glossary, translation records and tooltips: the translation workflow of i18n/."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from i18n.__main__ import main
from i18n.glossary import GLOSSARY, GlossaryError, load_glossary
from i18n.tooltips import add_tooltips
from i18n.translation import content_hash, read_record, translation_state

ROOT = Path(__file__).resolve().parent.parent

KO = """---
description: 페이지.
---

# 제목 { #title }

활성화 함수는 비선형성을 더합니다.
"""
EN = """---
description: A page.
---

# Title { #title }

An activation function adds non-linearity.
"""


@pytest.fixture
def docs(tmp_path: Path) -> Path:
    for lang, text in (("ko", KO), ("en", EN)):
        (tmp_path / lang).mkdir()
        (tmp_path / lang / "page.md").write_text(text, encoding="utf-8")
    assert main(["stamp", str(tmp_path / "en" / "page.md")]) == 0
    return tmp_path


def check(docs: Path, capsys, *extra: str) -> tuple[int, str]:
    capsys.readouterr()  # drop what earlier steps (stamp) printed
    code = main(["check", "--docs", str(docs), *extra])
    captured = capsys.readouterr()
    return code, captured.out


# ---------------------------------------------------------------------------
# The glossary
# ---------------------------------------------------------------------------


def test_the_glossary_loads():
    terms = load_glossary()
    assert len(terms) >= 15
    assert all(t.definition["ko"] and t.definition["en"] for t in terms)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("- en: x\n  ko: 엑스\n", "entry 'x': definition lacks ko, en"),
        ("- en: ''\n  ko: 엑스\n  definition: {ko: a, en: b}\n", "empty en"),
        (
            "- en: x\n  ko: 엑스\n  page: numpy\n  definition: {ko: a, en: b}\n"
            "- en: X\n  ko: 와이\n  page: numpy\n  definition: {ko: a, en: b}\n",
            "duplicate en term 'X' (first at line 1)",
        ),
        ("- en: x\n  ko: 엑스\n  definition: {ko: a, en: b}\n  defintion: c\n", "unknown field"),
        ("- en: x\n  ko: 엑스\n  definition: {ko: a, en: b}\n", "entry 'x': empty page"),
        (
            "- en: x\n  ko: 엑스\n  page: numpyy\n  definition: {ko: a, en: b}\n",
            ":3: entry 'x': page 'numpyy' is not a page (docs/ko/numpyy.md, docs/en/numpyy.md",
        ),
        ("- en: x\n  ko: [엑스\n", "not valid YAML"),
        ("en: x\n", "must be a list"),
    ],
)
def test_a_malformed_glossary_is_named_by_file_and_line(tmp_path, text, message):
    path = tmp_path / "glossary.yml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(GlossaryError) as error:
        load_glossary(path)
    assert message in str(error.value)
    assert str(error.value).startswith(f"{path}:")


def test_check_reports_a_malformed_glossary_without_a_traceback(docs, tmp_path, capsys):
    bad = tmp_path / "bad.yml"
    bad.write_text("- en: x\n  ko: x\n  definition: {ko: a, en: b}\n- en: x\n", encoding="utf-8")
    code, out = check(docs, capsys, "--glossary", str(bad))
    assert code == 1
    assert f"{bad}:4: entry 'x': empty ko" in out
    assert "Traceback" not in out


def test_a_term_used_in_one_language_only_is_reported(docs, capsys):
    assert check(docs, capsys) == (0, "")
    page = docs / "ko" / "page.md"
    page.write_text(KO.replace("활성화 함수는", "이 함수는"), encoding="utf-8")
    main(["stamp", str(docs / "en" / "page.md")])
    code, out = check(docs, capsys)
    assert code == 1
    assert "en/page.md:8: glossary term 'activation function' is used here" in out


def test_a_variant_to_avoid_is_reported(docs, capsys):
    (docs / "ko" / "page.md").write_text(KO + "\n그래디언트 소실도 봅니다.\n", encoding="utf-8")
    (docs / "en" / "page.md").write_text(EN + "\nAlso vanishing gradients.\n", encoding="utf-8")
    main(["stamp", str(docs / "en" / "page.md")])
    code, out = check(docs, capsys)
    assert code == 1
    assert "ko/page.md:9: '그래디언트 소실': the glossary's term is '기울기 소실'" in out


def test_a_link_to_an_unknown_glossary_entry_is_reported(docs, capsys):
    for lang, text in (("ko", KO), ("en", EN)):
        body = text + "\n[용어](glossary.md#no-such-term)\n"
        (docs / lang / "page.md").write_text(body, encoding="utf-8")
    main(["stamp", str(docs / "en" / "page.md")])
    code, out = check(docs, capsys)
    assert code == 1
    assert "unknown glossary entry 'no-such-term'" in out


# ---------------------------------------------------------------------------
# Translation records
# ---------------------------------------------------------------------------


def test_stamp_records_the_source_hash(docs):
    en = docs / "en" / "page.md"
    assert read_record(en) == content_hash(docs / "ko" / "page.md")
    assert translation_state(docs / "ko" / "page.md", en).state == "up to date"


def test_editing_the_source_makes_the_translation_outdated(docs, capsys):
    ko = docs / "ko" / "page.md"
    ko.write_text(KO + "\n새 문단입니다.\n", encoding="utf-8")
    code, out = check(docs, capsys)
    assert code == 1
    assert "en/page.md:1: outdated translation: " in out
    assert "python -m i18n stamp" in out
    main(["stamp", str(docs / "en" / "page.md")])
    assert check(docs, capsys) == (0, "")


def test_a_pair_without_record_is_reported(docs, capsys):
    (docs / "en" / "page.md").write_text(EN, encoding="utf-8")
    code, out = check(docs, capsys)
    assert code == 1
    assert "en/page.md:1: no translation record" in out


def test_stamping_a_notebook(tmp_path, capsys):
    for lang in ("ko", "en"):
        (tmp_path / lang / "labs").mkdir(parents=True)
        shutil.copy(ROOT / f"docs/{lang}/labs/activations.ipynb", tmp_path / lang / "labs")
    en = tmp_path / "en/labs/activations.ipynb"
    assert main(["stamp", str(en)]) == 0
    assert json.loads(en.read_text(encoding="utf-8"))["metadata"]["i18n"]["source_hash"]
    assert translation_state(tmp_path / "ko/labs/activations.ipynb", en).state == "up to date"


def test_stamp_rejects_a_page_without_twin(tmp_path, capsys):
    (tmp_path / "docs" / "en").mkdir(parents=True)
    page = tmp_path / "docs" / "en" / "alone.md"
    page.write_text(EN, encoding="utf-8")
    assert main(["stamp", str(page)]) == 2
    assert "does not exist" in capsys.readouterr().err


def test_status_reports_translation_states_as_json(capsys):
    assert main(["status", "--json"]) == 0
    pages = {p["page"]: p for p in json.loads(capsys.readouterr().out)["pages"]}
    assert pages["activations.md"]["translation"] == "up to date"
    assert pages["activations.md"]["source"] == "ko"


# ---------------------------------------------------------------------------
# Tooltips
# ---------------------------------------------------------------------------


def test_tooltips_mark_the_first_use_in_prose_only():
    terms = load_glossary(GLOSSARY)
    html = (
        "<h2>활성화 함수</h2><p>코드 <code>활성화 함수</code>가 아니라 활성화 함수는 여기.</p>"
        "<p>활성화 함수 두 번째.</p>"
    )
    out = add_tooltips(html, terms, "ko")
    assert out.count("<abbr") == 1
    assert "<h2>활성화 함수</h2>" in out and "<code>활성화 함수</code>" in out
    assert '">활성화 함수</abbr>는 여기' in out


def test_tooltips_escape_definitions_and_match_english_plurals():
    terms = load_glossary(GLOSSARY)
    out = add_tooltips("<p>Two Sigmoids &amp; <a>sigmoid</a></p>", terms, "en")
    assert '<abbr title="The S-shaped function 1/(1+e^-x)' in out
    assert ">Sigmoid</abbr>s" in out
    assert "<a>sigmoid</a>" in out


@pytest.mark.parametrize(("url", "link"), [("en/page/", "../../page/"), ("en/", "../")])
def test_outdated_banner_links_the_twin_relatively(docs, url, link):
    """The banner's link is relative HTML: an absolute one ('/page/') and a Markdown link to
    a page's URL both fail a strict build."""
    from types import SimpleNamespace

    from tests.hookload import load_hook

    translations = load_hook("translations")
    name = "index.md" if url == "en/" else "page.md"
    if name != "page.md":
        for folder in ("ko", "en"):
            shutil.copy(docs / folder / "page.md", docs / folder / name)
        main(["stamp", str(docs / "en" / name)])
    ko = docs / "ko" / name
    ko.write_text(ko.read_text(encoding="utf-8") + "\n새 문단입니다.\n", encoding="utf-8")
    page = SimpleNamespace(url=url, file=SimpleNamespace(abs_src_path=str(docs / "en" / name)))
    banner = translations.outdated_banner(page, SimpleNamespace(docs_dir=str(docs)))
    assert f'<a href="{link}">' in banner, banner
    assert "](" not in banner  # not a Markdown link: MkDocs would warn of a page's URL
