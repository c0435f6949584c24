"""The CSS a page can use, out of a large stylesheet (not a hook itself; notebooks.py uses it).

nbconvert inlines the whole JupyterLab theme into every notebook page: 570 KB
(86 KB gzipped) of CSS, render-blocking, of which a lab uses a few percent
(notebook cells, outputs, prompts; not JupyterLab's menus, dialogs, file
browser or its 80 KB of icons as data URIs). ``used_css`` keeps what can apply
to the page, as PurgeCSS does for JavaScript projects:

* a style rule keeps the selectors of its list that match an element of the page,
  read with the page's states taken as possible (``:hover``, ``:focus``, ...,
  pseudo-elements like ``::before`` and every attribute selector, since scripts
  set attributes, are treated as matching), and is dropped
  when none is left; ``@media`` and ``@supports`` blocks are pruned the same way,
  other at-rules (``@font-face``, ``@keyframes``, ``@charset``) are kept;
* a JupyterLab custom property (``--jp-*``) is dropped when no kept declaration
  and no ``style=""`` of the page refers to it, directly or through another kept
  property;
* a selector the selector engine cannot read is kept, so what cannot be proven
  unused stays.

The page's elements are static here: notebook pages run no JupyterLab script
that would add elements or classes later. The result is kept in
``<cache>/css/`` by the stylesheets, the page and this module's own source, so
a rebuild prunes only for pages that changed.
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
from pathlib import Path

from docs_build import CACHE, write_atomic

_CLASS = re.compile(r'\sclass="([^"]*)"')
_ID = re.compile(r'\sid="([^"]*)"')
_TAG = re.compile(r"<([a-zA-Z][a-zA-Z0-9-]*)")
_STYLE_ATTR = re.compile(r'\sstyle="([^"]*)"')
_VAR = re.compile(r"var\(\s*(--[\w-]+)")
# pseudo-classes and -elements that depend on the reader, not on the document;
# vendor-prefixed ones (``::-webkit-scrollbar``, ``:-moz-focusring``) too
_STATEFUL = re.compile(
    r"::?(?:-[a-z]+-[\w-]+|hover|focus(?:-within|-visible)?|active|visited|target|"
    r"before|after|first-line|first-letter|selection|placeholder|marker|backdrop|"
    r"file-selector-button|cue|grammar-error|spelling-error)(?![\w-])(?:\([^()]*\))?"
)
# functional pseudo-classes whose arguments need not all be present
_FUNCTIONAL = re.compile(r":(?:not|is|where|has|matches|-webkit-any|-moz-any|nth-[\w-]+)\(")
_SIMPLE_CLASS = re.compile(r"\.(-?[_a-zA-Z][\w-]*)")
_SIMPLE_ID = re.compile(r"#(-?[_a-zA-Z][\w-]*)")
_SIMPLE_TAG = re.compile(r"(?:^|[\s>+~])([a-zA-Z][a-zA-Z0-9-]*)")
_BRACKETS = re.compile(r"\[[^\]]*\]")


class Page:
    """What a page has: element names, classes, ids, its parsed tree (on demand)."""

    def __init__(self, html: str) -> None:
        self.html = html
        self.classes = {c for m in _CLASS.finditer(html) for c in m.group(1).split()}
        self.ids = {m.group(1) for m in _ID.finditer(html)}
        self.tags = {t.lower() for t in _TAG.findall(html)} | {"html", "head", "body"}
        self.vars = {v for m in _STYLE_ATTR.finditer(html) for v in _VAR.findall(m.group(1))}
        self._soup = None

    @property
    def soup(self):
        if self._soup is None:
            from bs4 import BeautifulSoup

            self._soup = BeautifulSoup(self.html, "html.parser")
        return self._soup

    def may_match(self, selector: Selector) -> bool:
        """True unless the selector names a class, id or element the page lacks, or
        the selector engine finds it matches nothing."""
        if not (
            selector.classes <= self.classes
            and selector.ids <= self.ids
            and selector.tags <= self.tags
        ):
            return False
        if selector.compiled is None:
            return True  # unreadable: cannot be proven unused
        try:
            return selector.compiled.select_one(self.soup) is not None
        except (NotImplementedError, ValueError):
            return True


class Selector:
    """One selector, read once per process: the names it needs, and its compiled form.

    Every notebook page is checked against the same few thousand selectors of the
    same stylesheets, so what does not depend on the page is worked out once.
    """

    __slots__ = ("classes", "compiled", "ids", "tags", "text")

    def __init__(self, text: str) -> None:
        import soupsieve

        self.text = text
        plain = _BRACKETS.sub("", _without_functions(_STATEFUL.sub("", text)))
        self.classes = frozenset(_SIMPLE_CLASS.findall(plain))
        self.ids = frozenset(_SIMPLE_ID.findall(plain))
        self.tags = frozenset(t.lower() for t in _SIMPLE_TAG.findall(plain))
        # attributes count as present: scripts set them (Material's palette sets
        # ``data-md-color-scheme``, which the dark theme's rules select on)
        static = _BRACKETS.sub(":is(*)", _STATEFUL.sub(":is(*)", text))
        try:
            self.compiled = soupsieve.compile(static)
        except (soupsieve.SelectorSyntaxError, NotImplementedError, ValueError):
            self.compiled = None

    @classmethod
    @functools.lru_cache(maxsize=1 << 16)  # by the selector's text: a pure function of it
    def of(cls, text: str) -> Selector:
        return cls(text)


def _without_functions(selector: str) -> str:
    """The selector with the arguments of :not(), :is(), :has(), ... removed."""
    out, i, depth = [], 0, 0
    while i < len(selector):
        if depth == 0:
            match = _FUNCTIONAL.match(selector, i)
            if match:
                depth, i = 1, match.end()
                continue
        char = selector[i]
        if depth:
            depth += {"(": 1, ")": -1}.get(char, 0)
        else:
            out.append(char)
        i += 1
    return "".join(out)


def _split_selectors(prelude) -> list[str]:
    """A rule's selector list, split at its top-level commas."""
    import tinycss2

    parts, current = [], []
    for token in prelude:
        if token.type == "literal" and token.value == ",":
            parts.append(current)
            current = []
        else:
            current.append(token)
    parts.append(current)
    return [tinycss2.serialize(p).strip() for p in parts]


def _declarations(content) -> list:
    import tinycss2

    return [
        d
        for d in tinycss2.parse_blocks_contents(content, skip_comments=True, skip_whitespace=True)
        if d.type == "declaration"
    ]


@functools.lru_cache(maxsize=32)
def _parsed(sheet: str) -> tuple:
    """A stylesheet read once per process: (selectors, declarations) for style rules,
    (at-rule, inner) for ``@media`` and ``@supports``, the at-rule itself for the others."""
    import tinycss2

    def read(rules) -> tuple:
        out = []
        for rule in rules:
            if rule.type == "qualified-rule":
                selectors = [Selector.of(s) for s in _split_selectors(rule.prelude)]
                out.append(("style", selectors, _declarations(rule.content)))
            elif rule.type == "at-rule":
                if rule.lower_at_keyword in ("media", "supports") and rule.content is not None:
                    inner = tinycss2.parse_rule_list(
                        rule.content, skip_comments=True, skip_whitespace=True
                    )
                    out.append(("group", rule, read(inner)))
                else:
                    out.append(("other", rule, None))
        return tuple(out)

    return read(tinycss2.parse_stylesheet(sheet, skip_comments=True, skip_whitespace=True))


def _prune_rules(rules: tuple, page: Page) -> list:
    """The rules of :func:`_parsed` that may apply to ``page``, the same shapes."""
    kept = []
    for kind, a, b in rules:
        if kind == "style":
            selectors = [s.text for s in a if page.may_match(s)]
            if selectors:
                kept.append(("style", selectors, b))
        elif kind == "group":
            inner = _prune_rules(b, page)
            if inner:
                kept.append(("group", a, inner))
        else:
            kept.append((kind, a, b))
    return kept


def _walk_declarations(kept):
    for kind, _rule, inner in kept:
        if kind == "style":
            yield from inner
        elif kind == "group":
            yield from _walk_declarations(inner)


def _referenced(kept, page: Page) -> set[str]:
    """Custom properties a kept declaration or the page's inline styles refer to."""
    import tinycss2

    values: dict[str, set[str]] = {}
    wanted = set(page.vars)
    for kind, rule, _ in kept:
        if kind == "other":  # @keyframes, @font-face: what they refer to stays
            wanted |= set(_VAR.findall(tinycss2.serialize([rule])))
    for decl in _walk_declarations(kept):
        refs = set(_VAR.findall(tinycss2.serialize(decl.value)))
        if decl.name.startswith("--"):
            values.setdefault(decl.name, set()).update(refs)
        else:
            wanted |= refs
    todo = list(wanted)
    while todo:
        for ref in values.get(todo.pop(), ()):
            if ref not in wanted:
                wanted.add(ref)
                todo.append(ref)
    return wanted


def _serialize(kept, wanted: set[str]) -> str:
    import tinycss2

    out = []
    for kind, a, b in kept:
        if kind == "style":
            decls = [d for d in b if not (d.name.startswith("--jp-") and d.name not in wanted)]
            if decls:
                body = ";".join(
                    f"{d.name}:{tinycss2.serialize(d.value).strip()}"
                    + ("!important" if d.important else "")
                    for d in decls
                )
                out.append(",".join(a) + "{" + body + "}")
        elif kind == "group":
            inner = _serialize(b, wanted)
            if inner:
                prelude = tinycss2.serialize(a.prelude).strip()
                out.append(f"@{a.at_keyword} {prelude}{{{inner}}}")
        else:
            out.append(tinycss2.serialize([a]).strip())
    return "".join(out)


def used_css(sheets: list[str], page: Page) -> list[str]:
    """The rules of each of a page's stylesheets that may apply to ``page``.

    The sheets are pruned together: a custom property defined in one and used in
    another (nbconvert's syntax colours use the theme's ``--jp-mirror-*``) stays.
    """
    digest = hashlib.sha256()
    # the whole page: matching reads its structure and its style="" attributes
    for part in (
        Path(__file__).read_bytes(),
        *(s.encode("utf-8") for s in sheets),
        page.html.encode(),
    ):
        digest.update(hashlib.sha256(part).digest())
    cached = CACHE / "css" / f"{digest.hexdigest()[:24]}.json"
    if cached.exists():
        return json.loads(cached.read_text(encoding="utf-8"))
    kept = [_prune_rules(_parsed(s), page) for s in sheets]
    wanted = _referenced([rule for sheet in kept for rule in sheet], page)
    result = [_serialize(sheet, wanted) for sheet in kept]
    write_atomic(cached, json.dumps(result, ensure_ascii=False).encode("utf-8"))
    return result
