"""The corrections appendix: i18n/corrections.yml, its checks, and the hook that renders it."""

from __future__ import annotations

import re
from pathlib import Path
from types import SimpleNamespace

import pytest
import yaml
from mkdocs.exceptions import PluginError

from i18n.corrections import (
    SECTIONS,
    SOURCE,
    VERDICTS,
    CorrectionsError,
    load_corrections,
    shown,
)
from i18n.languages import LANGUAGES
from tests.hookload import load_hook

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
# the source article (Korean original, English translation), kept verbatim in the repository
ARTICLE_DIR = ROOT / "i18n" / "article"

KEBAB = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
HEADING_ID = re.compile(r"^#{1,6}\s.*\{\s*#([A-Za-z0-9_-]+)[^}]*\}\s*$", re.MULTILINE)
SPAN_ID = re.compile(r"<span id=\"([A-Za-z0-9_-]+)\"")


hook = load_hook("corrections")


@pytest.fixture(scope="module")
def raw() -> list[dict]:
    """The YAML as plain data, for checks independent of the validator."""
    return yaml.safe_load(SOURCE.read_text(encoding="utf-8"))


def _anchors(path: Path) -> set[str]:
    text = path.read_text(encoding="utf-8")
    return set(HEADING_ID.findall(text)) | set(SPAN_ID.findall(text))


# ---------------------------------------------------------------------------
# The real file
# ---------------------------------------------------------------------------


def test_the_real_file_passes_every_check():
    entries = load_corrections(SOURCE, docs=DOCS)
    assert len(entries) >= 40
    assert {entry.section for entry in entries} == set(SECTIONS)


def test_every_entry_has_both_languages(raw):
    for entry in raw:
        for field in ("title", "claim"):
            for lang in LANGUAGES:
                assert str(entry[field][lang]).strip(), f"{entry['id']}: {field}.{lang} is empty"
        if entry.get("correction"):
            assert all(str(entry["correction"][lang]).strip() for lang in LANGUAGES), entry["id"]


def test_verdicts_are_in_the_allowed_set(raw):
    assert {entry["verdict"] for entry in raw} <= set(VERDICTS)


def test_every_verdict_is_used(raw):
    assert {entry["verdict"] for entry in raw} == set(VERDICTS)


def test_every_non_correct_entry_has_a_correction_and_a_reference(raw):
    for entry in raw:
        if entry["verdict"] != "correct":
            assert entry.get("correction"), entry["id"]
            assert len(entry.get("references") or []) >= 1, entry["id"]
            assert all(ref.get("text") for ref in entry["references"]), entry["id"]


def test_ids_are_unique_and_kebab_case(raw):
    ids = [entry["id"] for entry in raw]
    assert len(ids) == len(set(ids))
    assert all(KEBAB.match(entry_id) for entry_id in ids), ids


def test_every_link_points_at_a_page_and_anchor_in_both_languages(raw):
    for entry in raw:
        links = [
            *(entry.get("evidence") or []),
            *([entry["callout"]] if "callout" in entry else []),
        ]
        for link in links:
            page, _, anchor = link.partition("#")
            for lang in LANGUAGES:
                path = DOCS / lang / page
                assert path.is_file(), f"{entry['id']}: {link} -> docs/{lang}/{page} is missing"
                if anchor:
                    assert anchor in _anchors(path), f"{entry['id']}: no #{anchor} in {path}"


def test_every_correction_callout_is_referenced_by_exactly_one_entry(raw):
    callouts = [entry["callout"] for entry in raw if "callout" in entry]
    assert len(callouts) == len(set(callouts))
    for lang in LANGUAGES:
        for path in sorted((DOCS / lang).rglob("*.md")):
            for anchor in SPAN_ID.findall(path.read_text(encoding="utf-8")):
                if anchor.startswith("correction-"):
                    link = f"{path.relative_to(DOCS / lang).as_posix()}#{anchor}"
                    assert callouts.count(link) == 1, f"{path}: {anchor} is in no entry's callout"


def test_the_known_errors_are_judged(raw):
    by_id = {entry["id"]: entry for entry in raw}
    assert by_id["rag-name"]["verdict"] == "wrong"
    assert "Retrieval-Augmented" in by_id["rag-name"]["correction"]["en"]
    assert "Lewis" in by_id["rag-name"]["references"][0]["text"]
    assert by_id["rag-multimodal"]["verdict"] == "wrong"
    assert by_id["relu-solves-vanishing"]["verdict"] == "imprecise"
    assert by_id["relu-solves-vanishing"]["callout"] == "activations.md#correction-relu"


def test_claims_quote_the_article_exactly(raw):
    article = {lang: (ARTICLE_DIR / f"article.{lang}.md").read_text("utf-8") for lang in LANGUAGES}
    for entry in raw:
        for lang in LANGUAGES:
            for part in entry["claim"][lang].split(" … "):
                code = part[1:-1] if len(part) > 2 and part[0] == part[-1] == "`" else None
                assert part in article[lang] or code in article[lang], (entry["id"], lang, part)


def test_the_default_file_is_named_from_the_repository():
    assert shown(SOURCE) == "i18n/corrections.yml"


# ---------------------------------------------------------------------------
# Broken files fail with file:line: entry 'id': message
# ---------------------------------------------------------------------------


def _entry(entry_id: str = "good", verdict: str = "wrong", link: str = "chapter.md#article") -> str:
    """One valid entry, 17 lines: id on line 1, claim on 6, verdict on 9, the link on 17."""
    return (
        f"- id: {entry_id}\n"
        "  section: 2\n"
        "  title:\n"
        "    ko: 제목\n"
        "    en: Title\n"
        "  claim:\n"
        "    ko: 원문\n"
        "    en: Original\n"
        f"  verdict: {verdict}\n"
        "  correction:\n"
        "    ko: 바로잡기\n"
        "    en: Correction\n"
        "  references:\n"
        "    - text: Author, A. (2020). A title. *Venue 2020*.\n"
        "      url: https://example.org/paper\n"
        "  evidence:\n"
        f"    - {link}\n"
    )


@pytest.fixture
def site(tmp_path: Path) -> Path:
    """A docs folder with one chapter in both languages."""
    docs = tmp_path / "docs"
    for lang, title in (("ko", "장"), ("en", "Chapter")):
        (docs / lang).mkdir(parents=True)
        (docs / lang / "chapter.md").write_text(
            f"# {title} {{ #chapter }}\n\n## Article {{ #article }}\n", encoding="utf-8"
        )
    return docs


def _broken(tmp_path: Path, docs: Path, text: str) -> str:
    path = tmp_path / "corrections.yml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(CorrectionsError) as caught:
        load_corrections(path, docs=docs)
    return str(caught.value)


def test_a_valid_fixture_passes(tmp_path, site):
    path = tmp_path / "corrections.yml"
    path.write_text(_entry() + _entry("other", "correct"), encoding="utf-8")
    entries = load_corrections(path, docs=site)
    assert [entry.id for entry in entries] == ["good", "other"]
    assert entries[0].section == "2"
    assert entries[0].references[0].url == "https://example.org/paper"


def test_missing_language(tmp_path, site):
    message = _broken(tmp_path, site, _entry().replace("    en: Original\n", ""))
    assert f"{tmp_path / 'corrections.yml'}:6: entry 'good': 'claim' has no 'en' text" in message


def test_unknown_verdict(tmp_path, site):
    message = _broken(tmp_path, site, _entry(verdict="dubious"))
    assert f"{tmp_path / 'corrections.yml'}:9: entry 'good': unknown verdict 'dubious'" in message


def test_dangling_evidence_link_to_a_missing_anchor(tmp_path, site):
    (site / "en" / "chapter.md").write_text("# Chapter { #chapter }\n", encoding="utf-8")
    message = _broken(tmp_path, site, _entry())
    assert f"{tmp_path / 'corrections.yml'}:17: entry 'good': dangling evidence link" in message
    assert "no heading { #article }" in message
    assert "en/chapter.md" in message


def test_dangling_evidence_link_to_a_missing_page(tmp_path, site):
    message = _broken(tmp_path, site, _entry(link="nowhere.md#article"))
    assert f"{tmp_path / 'corrections.yml'}:17: entry 'good': dangling evidence link" in message
    assert "ko/nowhere.md does not exist" in message


def test_duplicate_id(tmp_path, site):
    message = _broken(tmp_path, site, _entry() + _entry())
    assert (
        f"{tmp_path / 'corrections.yml'}:18: entry 'good': duplicate id (first used on line 1)"
        in message
    )


def test_non_correct_entry_without_correction_or_reference(tmp_path, site):
    text = _entry(verdict="misleading")
    text = text.replace("  correction:\n    ko: 바로잡기\n    en: Correction\n", "")
    text = re.sub(r"  references:\n(    .*\n)+?(?=  evidence)", "", text)
    message = _broken(tmp_path, site, text)
    assert "entry 'good': a 'misleading' claim needs a correction in ko and en" in message
    assert "entry 'good': a 'misleading' claim needs at least one reference" in message


def test_id_that_is_not_kebab_case(tmp_path, site):
    message = _broken(tmp_path, site, _entry(entry_id="Not_Kebab"))
    assert ":1: entry 'Not_Kebab': id must be kebab-case" in message


def test_unreferenced_callout(tmp_path, site):
    for lang in LANGUAGES:
        path = site / lang / "chapter.md"
        path.write_text(
            path.read_text("utf-8") + '\n<span id="correction-x"></span>\n', encoding="utf-8"
        )
    message = _broken(tmp_path, site, _entry())
    assert "ko/chapter.md:5: callout 'correction-x' is referenced by no entry" in message
    path = tmp_path / "corrections.yml"
    path.write_text(_entry() + '  callout: "chapter.md#correction-x"\n', encoding="utf-8")
    assert load_corrections(path, docs=site)[0].callout == "chapter.md#correction-x"


def test_callout_claimed_by_two_entries(tmp_path, site):
    for lang in LANGUAGES:
        path = site / lang / "chapter.md"
        path.write_text(path.read_text("utf-8") + '<span id="correction-x"></span>\n', "utf-8")
    callout = "  callout: chapter.md#correction-x\n"
    message = _broken(tmp_path, site, _entry() + callout + _entry("other") + callout)
    assert ":36: entry 'other': callout 'chapter.md#correction-x' is already" in message


def test_malformed_yaml(tmp_path, site):
    message = _broken(tmp_path, site, _entry() + "  claim: [unclosed\n")
    assert re.search(
        rf"{re.escape(str(tmp_path / 'corrections.yml'))}:\d+: malformed YAML", message
    )


def test_every_problem_is_reported_at_once(tmp_path, site):
    text = _entry(verdict="dubious") + _entry("second").replace("    ko: 제목\n", "")
    message = _broken(tmp_path, site, text)
    assert "entry 'good': unknown verdict" in message
    assert ":20: entry 'second': 'title' has no 'ko' text" in message


# ---------------------------------------------------------------------------
# The hook
# ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def entries():
    return load_corrections(SOURCE)


def test_the_hook_is_registered():
    text = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    block = re.search(r"^hooks:\n((?:  - .*\n)+)", text, re.MULTILINE)
    assert block and "  - hooks/corrections.py\n" in block.group(1)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_render_has_a_heading_per_entry_in_the_page_language(entries, lang):
    out = hook.render(entries, lang)
    for entry in entries:
        assert f"### {entry.title[lang]} {{ #{entry.id} }}" in out
        assert f"| [`{entry.id}`](#{entry.id}) | {entry.title[lang]} |" in out
        assert "> " + entry.claim["ko"].split("\n")[0] in out
        assert "> " + entry.claim["en"].split("\n")[0] in out
    assert out.count("\n### ") == len(entries)
    assert hook.TEXT[lang]["summary"] in out


def test_render_links_evidence_callout_and_references(entries):
    relu = next(entry for entry in entries if entry.id == "relu-solves-vanishing")
    out = hook.render_entry(relu, "en", "../")
    assert "[`activations.md#vanishing-gradients`](../activations.md#vanishing-gradients)" in out
    assert "[`activations.md#correction-relu`](../activations.md#correction-relu)" in out
    assert "<https://arxiv.org/abs/1502.01852>" in out
    assert hook.badge("imprecise", "en") in out


def test_the_same_ids_in_both_languages(entries):
    ko, en = (hook.render(entries, lang) for lang in LANGUAGES)
    assert re.findall(r"\{ #([\w-]+) \}", ko) == re.findall(r"\{ #([\w-]+) \}", en)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_appendix_page_carries_the_marker_and_the_legend(lang):
    text = (DOCS / lang / "corrections.md").read_text(encoding="utf-8")
    assert text.count(hook.MARKER) == 1
    for verdict in VERDICTS:
        assert hook.badge(verdict, lang) in text


@pytest.mark.parametrize(
    ("src_uri", "locale", "expected"),
    [
        ("ko/corrections.md", "ko", ("ko", "")),
        ("en/corrections.md", "en", ("en", "")),
        ("en/sub/corrections.md", None, ("en", "../")),
        ("corrections.md", "en", ("en", "")),
    ],
)
def test_page_language(src_uri, locale, expected):
    page = SimpleNamespace(file=SimpleNamespace(src_uri=src_uri, locale=locale))
    assert hook.page_language(page) == expected


def test_on_page_markdown_replaces_the_marker(tmp_path, site):
    source = tmp_path / "corrections.yml"
    source.write_text(_entry(), encoding="utf-8")
    hook._entries = hook.entries_for(site, source)
    try:
        page = SimpleNamespace(file=SimpleNamespace(src_uri="en/corrections.md", locale="en"))
        config = SimpleNamespace(docs_dir=str(site))
        out = hook.on_page_markdown(f"# Appendix\n\n{hook.MARKER}\n", page, config, None)
    finally:
        hook._entries = None
    assert hook.MARKER not in out
    assert "### Title { #good }" in out
    assert hook.on_page_markdown("# Other page\n", page, config, None) == "# Other page\n"


def test_a_broken_file_fails_the_build_with_file_and_line(tmp_path, site):
    source = tmp_path / "corrections.yml"
    source.write_text(_entry(verdict="dubious"), encoding="utf-8")
    with pytest.raises(PluginError, match=r"corrections\.yml:9: entry 'good': unknown verdict"):
        hook.entries_for(site, source)


def test_correction_boxes_link_to_their_entry():
    entry = SimpleNamespace(id="relu-solves-vanishing", callout="activations.md#correction-relu")
    markdown = (
        'Text.\n\n<span id="correction-relu"></span>\n\n!!! warning "Correction"\n\n'
        "    Body line one.\n\n    Body line two.\n\nAfter the box.\n"
    )
    out = hook.link_callouts(markdown, "activations.md", [entry], "en", "")
    box, after = out.split("After the box.")
    assert box.rstrip().endswith(
        "    [The appendix entry: evidence and references](corrections.md#relu-solves-vanishing)"
        "{ .appendix-link }"
    )
    assert "Body line two." in box and after == "\n"
    # a box no entry claims is left alone (the corrections check reports it)
    assert hook.link_callouts(markdown, "other.md", [entry], "en", "") == markdown
