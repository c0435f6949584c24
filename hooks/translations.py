"""MkDocs hook: what keeps the two languages readable side by side.

1. Fallback. A page shown in a language it was not written in gets a visible
   banner in the reader's language; a translation whose source changed since it
   was translated (``python -m i18n stamp``) gets an "outdated" banner.
2. The glossary page and the translation status page, generated from
   ``i18n/glossary.yml`` and ``python -m i18n check``.
3. Tooltips: the first use of a glossary term on a page explains it.
4. Front matter: a malformed one fails the build with ``path:line``; MkDocs
   itself silently ignores it.

The glossary is read once per build (and again when the file changes during
``mkdocs serve``); a malformed glossary fails the build with ``path:line``.
"""

from __future__ import annotations

import hashlib
import logging
import posixpath
from pathlib import Path

from docs_build import (
    CACHE,
    LANGUAGES,
    MARKERS,
    ROOT,
    build_language,
    other_language,
    root,
    shown,
    twin_of,
    write_atomic,
)
from mkdocs.exceptions import PluginError

log = logging.getLogger("mkdocs.hooks.translations")


BANNERS = {
    "en": (
        '!!! warning "Not translated yet"\n'
        "    This page has no English version yet: you are reading the Korean original.\n"
        "    Contributions are welcome (see CONTRIBUTING.md).\n\n"
    ),
    "ko": (
        '!!! warning "아직 번역되지 않았습니다"\n'
        "    이 페이지는 아직 한국어판이 없어 영어 원문을 보여 드립니다.\n"
        "    번역 기여를 환영합니다 (CONTRIBUTING.md 참고).\n\n"
    ),
}


def fallback_banner(file_locale: str | None, build_locale: str | None) -> str:
    """Return the banner for a page written in ``file_locale`` shown in ``build_locale``."""
    if not file_locale or not build_locale or file_locale == build_locale:
        return ""
    return BANNERS[build_locale]


def written_language(page, config) -> str | None:
    """The language folder a page's source lives in (``en/x.md`` → ``en``)."""
    parts = Path(page.file.src_uri).parts
    return parts[0] if parts and parts[0] in LANGUAGES else None


def on_page_markdown(markdown: str, page, config, files) -> str:
    lang = build_language(config)
    file_locale, build_locale = written_language(page, config), lang
    if MARKERS["glossary"] in markdown:
        markdown = markdown.replace(MARKERS["glossary"], glossary_markdown(lang))
    if MARKERS["translation-status"] in markdown:
        table = translation_status_markdown(Path(config.docs_dir), lang)
        markdown = markdown.replace(MARKERS["translation-status"], table)
    banner = fallback_banner(file_locale, build_locale)
    if banner:
        log.info("%s has no %s twin: shown with a fallback banner", page.file.src_uri, lang)
    else:
        banner = outdated_banner(page, config)
        if banner:
            log.info("%s: outdated translation, shown with a banner", page.file.src_uri)
    if banner:
        # after the front matter, before the first heading's body
        lines = markdown.split("\n")
        first_heading = next((i for i, line in enumerate(lines) if line.startswith("# ")), -1)
        lines.insert(first_heading + 1, "\n" + banner)
        return "\n".join(lines)
    return markdown


def on_page_read_source(page, config):
    """Fail on malformed front matter: MkDocs itself silently ignores it."""
    from i18n.pages import front_matter

    path = Path(page.file.abs_src_path)
    if path.suffix != ".md":
        return None
    _, _, problems = front_matter(path.read_text(encoding="utf-8").split("\n"), shown(path))
    if problems:
        raise PluginError(str(problems[0]))
    return None


# --------------------------------------------------------------------------
# Glossary, translation status, outdated translations (i18n/)
# --------------------------------------------------------------------------

OUTDATED = {
    "en": (
        '!!! warning "This translation may be outdated"\n'
        '    The <a href="{link}">Korean original</a> changed after this page was translated.\n\n'
    ),
    "ko": (
        '!!! warning "번역이 최신이 아닐 수 있습니다"\n'
        '    이 페이지를 번역한 뒤 <a href="{link}">영어 원문</a>이 바뀌었습니다.\n\n'
    ),
}


def glossary_terms():
    """The glossary, read again whenever the file changes (``mkdocs serve`` keeps this
    module loaded across rebuilds); a malformed glossary fails the build."""
    from i18n.glossary import GLOSSARY, GlossaryError, load_glossary

    key = hashlib.sha256(GLOSSARY.read_bytes()).hexdigest()
    if _glossary.get("key") != key:
        try:
            _glossary["terms"] = load_glossary()
        except GlossaryError as error:
            raise PluginError(f"glossary:\n{error}") from None
        _glossary["key"] = key
    return _glossary["terms"]


_glossary: dict = {}  # emptied by every build (on_config): nothing outlives it


def on_config(config):
    _glossary.clear()
    return config


def glossary_markdown(lang: str) -> str:
    """The glossary page body in ``lang``: one heading per term, same ids in both languages."""
    other = other_language(lang)
    label = {"ko": "번역 메모", "en": "Translator's note"}[lang]
    explained = {"ko": "다루는 장", "en": "Explained in"}[lang]
    out = []
    for term in sorted(glossary_terms(), key=lambda t: t.term(lang).lower()):
        out.append(f"### {term.term(lang)} ({term.term(other)}) {{ #{term.id} }}\n")
        out.append(term.definition[lang] + "\n")
        out.append(f"*{explained}:* [{page_title(lang, term.page)}]({term.page}.md)\n")
        if term.note.get(lang):
            out.append(f"*{label}:* {term.note[lang]}\n")
    return "\n".join(out)


def page_title(lang: str, page: str) -> str:
    """The first level-1 heading of ``docs/<lang>/<page>.md`` (without its attributes)."""
    from i18n.pages import ATTRIBUTES, markdown_headings

    path = ROOT / "docs" / lang / f"{page}.md"
    for hashes, text in markdown_headings(path.read_text(encoding="utf-8")):
        if hashes == "#":
            return ATTRIBUTES.sub("", text).strip()
    raise PluginError(
        f"{path.relative_to(ROOT).as_posix()}: no level-1 heading for the glossary's link"
    )


def translation_status_markdown(docs: Path, lang: str) -> str:
    """A table of every page: present in each language, translation state, structure."""
    head = {
        "ko": "| 페이지 | 한국어 | English | 번역 | 구조 |",
        "en": "| Page | 한국어 | English | Translation | Structure |",
    }[lang]
    states = {
        "ko": {
            "up to date": "최신",
            "outdated": "오래됨",
            "no record": "기록 없음",
            "single": "짝 없음",
        },
        "en": {s: s for s in ("up to date", "outdated", "no record", "single")},
    }[lang]
    rows = [head, "| --- | :-: | :-: | --- | --- |"]
    for page, present, state, problems in status_rows(docs):
        ok = "✓" if not problems else f"✗ ({problems})"
        marks = " | ".join("✓" if present[x] else "✗" for x in LANGUAGES)
        rows.append(f"| `{page}` | {marks} | {states[state]} | {ok} |")
    return "\n".join(rows) + "\n"


def status_rows(docs: Path) -> list:
    """``python -m i18n check`` of every page, kept in ``<cache>/status/`` by the content
    of what it reads (the pages, the glossary and words tables, the checker's code):
    checking every page took over a second of each language's build."""
    import json

    from i18n.check import check_all

    digest = hashlib.sha256()
    for folder, patterns in ((docs, ("*.md", "*.ipynb")), (ROOT / "i18n", ("*.py", "*.yml"))):
        for pattern in patterns:
            for path in sorted(folder.rglob(pattern)):
                digest.update(path.relative_to(folder).as_posix().encode() + b"\0")
                digest.update(path.read_bytes())
    cached = CACHE / "status" / f"{digest.hexdigest()[:24]}.json"
    if cached.exists():
        return json.loads(cached.read_text(encoding="utf-8"))
    rows = [
        [s.page, s.present, s.translation.state, len(s.problems)]
        for s in check_all(docs, ROOT, glossary_terms())
    ]
    write_atomic(cached, json.dumps(rows, ensure_ascii=False).encode("utf-8"))
    return rows


def outdated_banner(page, config) -> str:
    """A banner in the page's language when it is a translation of a changed source."""
    from i18n.translation import translation_state

    path = Path(page.file.abs_src_path)
    docs = Path(config.docs_dir)
    twin = twin_of(path, docs)
    if twin is None:
        return ""
    lang, other = path.relative_to(docs).parts[0], twin.relative_to(docs).parts[0]
    pair = (path, twin) if lang == "ko" else (twin, path)
    state = translation_state(*pair)
    if state.state != "outdated" or state.source == lang:
        return ""
    path_in_lang = page.url[len(root(lang)) :] if page.url.startswith(root(lang)) else page.url
    # a URL relative to the page, in HTML: MkDocs checks Markdown links, and both an
    # absolute one and one to a page's URL (not its .md file) fail a strict build
    target = root(other) + path_in_lang
    link = posixpath.relpath(target or ".", start=page.url or ".")
    return OUTDATED[lang].format(link=link if link == "." else link + "/")


def on_page_content(html: str, page, config, files) -> str:
    lang = build_language(config)
    if page.file.src_uri.endswith("glossary.md"):
        return html
    from i18n.tooltips import add_tooltips

    return add_tooltips(html, glossary_terms(), lang)
