"""Glossary tooltips: the first use of each term on a page gets its definition.

Works on the rendered HTML, so Korean terms match with their particles attached
(``활성화 함수는``), which Markdown's ``abbr`` extension cannot do. Text inside
code, links, headings, math, existing tooltips and notebook cells is left alone.
"""

from __future__ import annotations

import html
import re

from i18n.glossary import Term

TAG = re.compile(r"(<[^>]+>)")
SKIP = {
    *("code", "pre", "a", "abbr", "script", "style", "svg", "button", "summary", "title"),
    "blockquote",  # quotes of the article stay as the article wrote them
    *("h1", "h2", "h3", "h4", "h5", "h6", "figcaption", "textarea", "select", "label"),
}
NAME = re.compile(r"^<\s*(/?)\s*([a-zA-Z0-9]+)")
VOID = {"br", "img", "hr", "input", "meta", "link", "source", "wbr", "col", "area", "base"}


def add_tooltips(page_html: str, terms: list[Term], lang: str) -> str:
    """Wrap the first prose occurrence of each glossary term in ``<abbr title=...>``.

    Args:
        page_html: the page body as rendered by MkDocs.
        terms: the glossary.
        lang: ``"ko"`` or ``"en"``: which term and definition to use.
    """
    remaining = {term.id: term for term in terms}
    patterns = {term.id: term.pattern(lang) for term in terms}
    parts = TAG.split(page_html)
    stack: list[tuple[str, bool]] = []
    for index, part in enumerate(parts):
        if not remaining:
            break
        if part.startswith("<"):
            match = NAME.match(part)
            if not match:
                continue
            closing, name = match.group(1) == "/", match.group(2).lower()
            if closing:
                while stack and stack[-1][0] != name:  # tolerate unclosed tags
                    stack.pop()
                if stack:
                    stack.pop()
            elif name not in VOID and not part.endswith("/>"):
                skipped = name in SKIP or 'class="arithmatex' in part or "jp-Cell" in part
                stack.append((name, skipped or bool(stack and stack[-1][1])))
            continue
        if (stack and stack[-1][1]) or not part.strip():
            continue
        parts[index] = _wrap(part, remaining, patterns, lang)
    return "".join(parts)


def _wrap(text: str, remaining: dict[str, Term], patterns: dict, lang: str) -> str:
    """Wrap the earliest (then longest) remaining term in ``text``; repeat on the rest."""
    best = None
    for term_id in remaining:
        match = patterns[term_id].search(text)
        if match and (best is None or (match.start(), -len(match.group(0))) < best[0]):
            best = ((match.start(), -len(match.group(0))), term_id, match)
    if best is None:
        return text
    _, term_id, match = best
    term = remaining.pop(term_id)
    title = html.escape(term.definition[lang], quote=True)
    return (
        text[: match.start()]
        + f'<abbr title="{title}">{match.group(0)}</abbr>'
        + _wrap(text[match.end() :], remaining, patterns, lang)
    )
