"""MkDocs hook: the corrections appendix, generated from ``i18n/corrections.yml``.

The audit of the source article lives in one YAML file. Before every build the
file is checked (``i18n.corrections.load_corrections``): a malformed entry, an
unknown verdict, a missing language or a link to a page or anchor that does not
exist in both languages fails the build with ``i18n/corrections.yml:LINE: entry
'ID': message``. Every page that contains the marker line ``<!-- corrections -->``
gets, in its own language, a summary table and one ``### title { #id }`` section
per entry, grouped by the article's sections.
"""

from __future__ import annotations

import logging
import re
from collections import Counter
from pathlib import Path, PurePosixPath

from docs_build import MARKERS
from mkdocs.exceptions import PluginError

from i18n.corrections import (
    SECTIONS,
    SOURCE,
    VERDICTS,
    CorrectionsError,
    Entry,
    load_corrections,
)

log = logging.getLogger("mkdocs.hooks.corrections")

MARKER = MARKERS["corrections"]

VERDICT_LABELS = {
    "ko": {"correct": "맞음", "imprecise": "부정확", "misleading": "오해 소지", "wrong": "틀림"},
    "en": {
        "correct": "Correct",
        "imprecise": "Imprecise",
        "misleading": "Misleading",
        "wrong": "Wrong",
    },
}
# icon and colour of each verdict badge (Material icons are inlined SVG: no request)
VERDICT_STYLE = {
    "correct": ("material-check-circle", "#2e7d32"),
    "imprecise": ("material-information", "#1e88e5"),
    "misleading": ("material-alert", "#ef6c00"),
    "wrong": ("material-close-circle", "#d32f2f"),
}
SECTION_TITLES = {
    "ko": {
        "1": "1절 · NumPy",
        "2": "2절 · 활성화 함수",
        "3": "3절 · 딥러닝 아키텍처",
        "4": "4절 · 전이학습",
        "5": "5절 · 성능 평가와 하이퍼파라미터 튜닝",
        "6": "6절 · 생성 모델",
        "7": "7절 · BERT와 RAG",
        "8": "8절 · 데이터 증강",
        "conclusion": "결론",
        "form": "형식과 두 언어판의 차이",
    },
    "en": {
        "1": "Section 1 · NumPy",
        "2": "Section 2 · Activation functions",
        "3": "Section 3 · Deep learning architectures",
        "4": "Section 4 · Transfer learning",
        "5": "Section 5 · Evaluation and hyperparameter tuning",
        "6": "Section 6 · Generative models",
        "7": "Section 7 · BERT and RAG",
        "8": "Section 8 · Data augmentation",
        "conclusion": "Conclusion",
        "form": "Form, and differences between the two versions",
    },
}
SECTION_SHORT = {
    "ko": {**{s: f"{s}절" for s in "12345678"}, "conclusion": "결론", "form": "형식"},
    "en": {**{s: f"§{s}" for s in "12345678"}, "conclusion": "Conclusion", "form": "Form"},
}
TEXT = {
    "ko": {
        "summary": "한눈에 보기",
        "counts": "판정별 항목 수",
        "total": "모두 {n}개",
        "columns": "| ID | 항목 | 절 | 판정 |",
        "claim_ko": "한국어 원문",
        "claim_en": "영어 번역본",
        "correction": "바로잡기",
        "note": "설명",
        "references": "근거 문헌",
        "evidence": "실행해 보기",
        "callout": "본문의 바로잡기 상자",
    },
    "en": {
        "summary": "At a glance",
        "counts": "Entries by verdict",
        "total": "{n} in all",
        "columns": "| ID | Entry | Section | Verdict |",
        "claim_ko": "Korean original",
        "claim_en": "English translation",
        "correction": "Correction",
        "note": "Note",
        "references": "References",
        "evidence": "Run it yourself",
        "callout": "Correction box in the chapter",
    },
}

_entries: list[Entry] | None = None


# --------------------------------------------------------------------------
# Rendering
# --------------------------------------------------------------------------


def badge(verdict: str, lang: str) -> str:
    """A verdict badge: a coloured icon and the verdict in ``lang``."""
    icon, colour = VERDICT_STYLE[verdict]
    label = VERDICT_LABELS[lang][verdict]
    return f':{icon}:{{ .verdict .verdict--{verdict} style="color: {colour}" }} **{label}**'


def _quote(text: str) -> str:
    return "\n".join(f"> {line}" if line.strip() else ">" for line in text.split("\n"))


def _link(target: str, prefix: str) -> str:
    return f"[`{target}`]({prefix}{target})"


def render_entry(entry: Entry, lang: str, prefix: str = "") -> str:
    """One entry as Markdown in ``lang``; ``prefix`` leads from the page to its language root."""
    text = TEXT[lang]
    out = [
        f"### {entry.title[lang]} {{ #{entry.id} }}",
        "",
        f"{badge(entry.verdict, lang)} · {SECTION_SHORT[lang][entry.section]} · `{entry.id}`",
        "",
        f"**{text['claim_ko']}**",
        "",
        _quote(entry.claim["ko"]),
        "",
        f"**{text['claim_en']}**",
        "",
        _quote(entry.claim["en"]),
        "",
    ]
    if entry.correction:
        label = text["note"] if entry.verdict == "correct" else text["correction"]
        out += [f"**{label}**", "", entry.correction[lang], ""]
    if entry.references:
        out += [f"**{text['references']}**", ""]
        out += [
            f"- {ref.text} <{ref.url}>" if ref.url else f"- {ref.text}" for ref in entry.references
        ]
        out.append("")
    if entry.evidence:
        links = ", ".join(_link(link, prefix) for link in entry.evidence)
        out += [f"**{text['evidence']}**: {links}", ""]
    if entry.callout:
        out += [f"**{text['callout']}**: {_link(entry.callout, prefix)}", ""]
    return "\n".join(out)


def render_summary(entries: list[Entry], lang: str) -> str:
    """The verdict counts and a table of every entry: id, title, section, verdict."""
    text = TEXT[lang]
    counts = Counter(entry.verdict for entry in entries)
    tally = " · ".join(f"{VERDICT_LABELS[lang][verdict]} {counts[verdict]}" for verdict in VERDICTS)
    out = [
        f"## {text['summary']} {{ #summary }}",
        "",
        f"{text['counts']}: {tally} ({text['total'].format(n=len(entries))})",
        "",
        text["columns"],
        "| --- | --- | --- | --- |",
    ]
    for entry in entries:
        out.append(
            f"| [`{entry.id}`](#{entry.id}) | {entry.title[lang]} "
            f"| {SECTION_SHORT[lang][entry.section]} | {badge(entry.verdict, lang)} |"
        )
    return "\n".join(out) + "\n"


def render(entries: list[Entry], lang: str, prefix: str = "") -> str:
    """The whole generated part of the appendix in ``lang``: summary, then entries by section."""
    out = [render_summary(entries, lang)]
    for section in SECTIONS:
        group = [entry for entry in entries if entry.section == section]
        if not group:
            continue
        out.append(f"## {SECTION_TITLES[lang][section]} {{ #section-{section} }}\n")
        out.extend(render_entry(entry, lang, prefix) for entry in group)
    return "\n".join(out)


# --------------------------------------------------------------------------
# Events
# --------------------------------------------------------------------------


def entries_for(docs: Path, source: Path = SOURCE) -> list[Entry]:
    """Load and check the corrections; a problem becomes a build error with its file:line."""
    try:
        return load_corrections(source, docs=docs)
    except CorrectionsError as error:
        raise PluginError(f"corrections:\n{error}") from None


def on_pre_build(config) -> None:
    """Check ``corrections.yml`` against this build's docs folder before any page is read."""
    global _entries
    _entries = entries_for(Path(config.docs_dir))
    log.debug("Loaded %d corrections", len(_entries))


def page_language(page) -> tuple[str, str]:
    """The language a page is written in and the link prefix back to its language root."""
    parts = list(PurePosixPath(page.file.src_uri).parts)
    lang = getattr(page.file, "locale", None)
    if parts and parts[0] in VERDICT_LABELS:
        lang = lang or parts[0]
        parts = parts[1:]
    return (lang if lang in VERDICT_LABELS else "ko"), "../" * max(len(parts) - 1, 0)


CALLOUT = re.compile(r'^<span id="(correction-[a-z0-9-]+)"></span>\s*$')
APPENDIX_LINK = {
    "ko": "[부록의 바로잡기 항목: 근거와 참고 문헌]({href}){{ .appendix-link }}",
    "en": "[The appendix entry: evidence and references]({href}){{ .appendix-link }}",
}


def link_callouts(markdown: str, page_path: str, entries: list[Entry], lang: str, prefix: str):
    """End each correction box (``<span id="correction-…">`` + admonition) with a link
    to its appendix entry, so the chapter and the appendix cannot drift apart."""
    by_callout = {entry.callout: entry for entry in entries if entry.callout}
    lines = markdown.split("\n")
    out: list[str] = []
    index = 0
    while index < len(lines):
        line = lines[index]
        out.append(line)
        index += 1
        match = CALLOUT.match(line)
        entry = by_callout.get(f"{page_path}#{match.group(1)}") if match else None
        if entry is None:
            continue
        # copy the blank lines, the admonition's first line and its indented body
        while index < len(lines) and not lines[index].strip():
            out.append(lines[index])
            index += 1
        if index < len(lines) and lines[index].startswith(("!!!", "???")):
            out.append(lines[index])
            index += 1
            while index < len(lines) and (not lines[index].strip() or lines[index][:4] == "    "):
                out.append(lines[index])
                index += 1
            while out and not out[-1].strip():
                out.pop()
            href = f"{prefix}corrections.md#{entry.id}"
            out += ["", "    " + APPENDIX_LINK[lang].format(href=href), ""]
    return "\n".join(out)


def on_page_markdown(markdown: str, page, config, files) -> str:
    """Render the appendix where its marker is; link correction boxes to their entries."""
    if MARKER not in markdown and '<span id="correction-' not in markdown:
        return markdown
    entries = _entries if _entries is not None else entries_for(Path(config.docs_dir))
    lang, prefix = page_language(page)
    if MARKER in markdown:
        return markdown.replace(MARKER, render(entries, lang, prefix))
    page_path = PurePosixPath(page.file.src_uri)
    if page_path.parts and page_path.parts[0] in VERDICT_LABELS:
        page_path = PurePosixPath(*page_path.parts[1:])
    return link_callouts(markdown, page_path.as_posix(), entries, lang, prefix)
