"""Load and check the audit of the source article: ``i18n/corrections.yml``.

The file is the one source of truth for the corrections appendix. Each entry
audits one claim of the article, quoted in its Korean original and its English
translation, with a verdict, a correction in both languages, primary references
and links to runnable evidence on the site. ``hooks/corrections.py`` renders it
into ``docs/ko/corrections.md`` and ``docs/en/corrections.md``; the tests use
the same checks.

Every problem is reported as ``i18n/corrections.yml:LINE: entry 'ID': message``,
with the line taken from the YAML node (``yaml.compose``), so a broken entry is
found where it is written.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from i18n.languages import LANGUAGES
from i18n.pages import read_markdown

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "i18n" / "corrections.yml"
DOCS = ROOT / "docs"

VERDICTS = ("correct", "imprecise", "misleading", "wrong")
SECTIONS = ("1", "2", "3", "4", "5", "6", "7", "8", "conclusion", "form")
FIELDS = (
    "id",
    "section",
    "title",
    "claim",
    "verdict",
    "correction",
    "references",
    "evidence",
    "callout",
)
REQUIRED = ("id", "section", "title", "claim", "verdict")

KEBAB = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
LINK = re.compile(r"^(?P<page>[a-z0-9][a-z0-9_/-]*\.md)(?:#(?P<anchor>[A-Za-z0-9_-]+))?$")
SPAN_ID = re.compile(r"<span\s+id=\"([A-Za-z0-9_-]+)\"")
CALLOUT_PREFIX = "correction-"


class CorrectionsError(Exception):
    """``corrections.yml`` is malformed or points at something that does not exist.

    Attributes:
        problems: one ``path:line: entry 'id': message`` string per problem.
    """

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class Reference:
    """A primary source: a paper (author, title, venue, year) or official documentation."""

    text: str
    url: str | None = None


@dataclass(frozen=True)
class Entry:
    """One audited claim of the article.

    Attributes:
        id: stable kebab-case id, also the heading id on the appendix page.
        line: line of the entry in the YAML file.
        section: ``"1"`` to ``"8"``, ``"conclusion"`` or ``"form"``.
        title: short title per language.
        claim: the claim as each version of the article states it, quoted exactly.
        verdict: one of ``VERDICTS``.
        correction: what is right, per language (for a correct claim: an optional note).
        references: primary sources.
        evidence: ``page.md#anchor`` links to runnable evidence on the site.
        callout: ``page.md#correction-...`` of the chapter's correction box, if any.
        link_lines: the YAML line of each evidence and callout link.
    """

    id: str
    line: int
    section: str
    title: dict[str, str]
    claim: dict[str, str]
    verdict: str
    correction: dict[str, str] | None
    references: tuple[Reference, ...]
    evidence: tuple[str, ...]
    callout: str | None
    link_lines: dict[str, int] = field(default_factory=dict, compare=False, repr=False)


def shown(path: Path) -> str:
    """A path as a person reads it: relative to the repository when inside it."""
    try:
        return path.resolve().relative_to(ROOT).as_posix()
    except ValueError:
        return path.as_posix()


# --------------------------------------------------------------------------
# Reading the YAML with its line numbers
# --------------------------------------------------------------------------


def _compose(text: str, display: str) -> tuple[yaml.Node | None, object]:
    """Parse ``text`` into its node tree (for line numbers) and its Python value."""
    from i18n.yamlfile import YamlError, compose_and_load

    try:
        return compose_and_load(text, display, what="malformed YAML")
    except YamlError as error:
        raise CorrectionsError([str(error)]) from None


def _line(node: yaml.Node) -> int:
    return node.start_mark.line + 1


def _fields(node: yaml.MappingNode) -> dict[str, int]:
    """Map each key of a mapping node to the line it is written on."""
    return {str(key.value): _line(key) for key, _ in node.value if isinstance(key, yaml.ScalarNode)}


def _link_lines(node: yaml.MappingNode) -> dict[str, int]:
    """The line of every evidence item and of the callout of an entry node."""
    found: dict[str, int] = {}
    for key, value in node.value:
        if getattr(key, "value", None) == "evidence" and isinstance(value, yaml.SequenceNode):
            for item in value.value:
                if isinstance(item, yaml.ScalarNode):
                    found.setdefault(str(item.value), _line(item))
        elif getattr(key, "value", None) == "callout" and isinstance(value, yaml.ScalarNode):
            found.setdefault(str(value.value), _line(value))
    return found


class _Checker:
    """Collects the problems of one file, each tied to an entry and a line."""

    def __init__(self, display: str) -> None:
        self.display = display
        self.problems: list[str] = []

    def add(self, line: int, entry: str | None, message: str) -> None:
        where = f"entry {entry!r}: " if entry is not None else ""
        self.problems.append(f"{self.display}:{line}: {where}{message}")


def _text(value: object) -> bool:
    return isinstance(value, str) and bool(value.strip())


def _bilingual(
    check: _Checker, value: object, field: str, line: int, entry: str
) -> dict[str, str] | None:
    """Check a ``{ko, en}`` mapping of non-empty strings; return it when valid."""
    if not isinstance(value, dict):
        check.add(line, entry, f"'{field}' must map 'ko' and 'en' to text")
        return None
    ok = True
    for lang in LANGUAGES:
        if not _text(value.get(lang)):
            check.add(line, entry, f"'{field}' has no '{lang}' text")
            ok = False
    for extra in sorted(set(value) - set(LANGUAGES), key=str):
        check.add(line, entry, f"'{field}' has an unknown language {extra!r}")
        ok = False
    return {lang: value[lang].strip() for lang in LANGUAGES} if ok else None


def _entry(
    check: _Checker, node: yaml.Node, data: object, index: int, seen: dict[str, int]
) -> Entry | None:
    """Check one entry; return it when it is well-formed."""
    line = _line(node)
    if not isinstance(node, yaml.MappingNode) or not isinstance(data, dict):
        check.add(line, None, f"entry #{index} must be a mapping of fields")
        return None
    lines = _fields(node)
    raw_id = data.get("id")
    name = raw_id if _text(raw_id) else f"#{index}"
    before = len(check.problems)

    def at(key: str) -> int:
        return lines.get(key, line)

    for key in REQUIRED:
        if key not in data:
            check.add(line, name, f"missing field '{key}'")
    for key in sorted(set(data) - set(FIELDS), key=str):
        check.add(at(str(key)), name, f"unknown field {key!r}")

    if "id" in data:
        if not isinstance(raw_id, str) or not KEBAB.match(raw_id):
            check.add(at("id"), name, "id must be kebab-case (a-z, 0-9, '-')")
        elif raw_id in seen:
            check.add(at("id"), name, f"duplicate id (first used on line {seen[raw_id]})")
        else:
            seen[raw_id] = at("id")

    section = data.get("section")
    section = str(section) if isinstance(section, (int, str)) else None
    if "section" in data and section not in SECTIONS:
        check.add(at("section"), name, f"section must be one of {', '.join(SECTIONS)}")

    verdict = data.get("verdict")
    if "verdict" in data and verdict not in VERDICTS:
        check.add(
            at("verdict"), name, f"unknown verdict {verdict!r} (allowed: {', '.join(VERDICTS)})"
        )

    title, claim = (
        _bilingual(check, data[key], key, at(key), name) if key in data else None
        for key in ("title", "claim")
    )
    correction = None
    if data.get("correction") is not None:
        correction = _bilingual(check, data["correction"], "correction", at("correction"), name)
    elif verdict in VERDICTS and verdict != "correct":
        check.add(at("verdict"), name, f"a '{verdict}' claim needs a correction in ko and en")

    references = _references(check, data.get("references"), at("references"), name)
    if verdict in VERDICTS and verdict != "correct" and not data.get("references"):
        check.add(at("verdict"), name, f"a '{verdict}' claim needs at least one reference")

    evidence = _links(check, data.get("evidence"), at("evidence"), name)
    callout = data.get("callout")
    if callout is not None:
        match = LINK.match(callout) if isinstance(callout, str) else None
        if not match or not (match.group("anchor") or "").startswith(CALLOUT_PREFIX):
            check.add(
                at("callout"),
                name,
                f"callout must look like 'page.md#{CALLOUT_PREFIX}...', not {callout!r}",
            )
            callout = None

    if len(check.problems) > before:
        return None
    return Entry(
        id=raw_id,
        line=line,
        section=section,
        title=title,
        claim=claim,
        verdict=verdict,
        correction=correction,
        references=references,
        evidence=evidence,
        callout=callout,
        link_lines=_link_lines(node),
    )


def _references(check: _Checker, value: object, line: int, entry: str) -> tuple[Reference, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        check.add(line, entry, "'references' must be a list of {text, url}")
        return ()
    found = []
    for item in value:
        if isinstance(item, str) and item.strip():
            found.append(Reference(item.strip()))
            continue
        if not isinstance(item, dict) or not _text(item.get("text")):
            check.add(line, entry, "every reference needs a 'text'")
            continue
        url = item.get("url")
        if url is not None and not (isinstance(url, str) and re.match(r"^https?://\S+$", url)):
            check.add(line, entry, f"reference url must be http(s)://..., not {url!r}")
            continue
        extra = set(item) - {"text", "url"}
        if extra:
            check.add(line, entry, f"unknown reference field(s): {', '.join(sorted(extra))}")
            continue
        found.append(Reference(item["text"].strip(), url))
    return tuple(found)


def _links(check: _Checker, value: object, line: int, entry: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        check.add(line, entry, "'evidence' must be a list of 'page.md#anchor' links")
        return ()
    for link in value:
        if not LINK.match(link):
            check.add(line, entry, f"evidence link must look like 'page.md#anchor', not {link!r}")
    return tuple(value)


# --------------------------------------------------------------------------
# Links into the site
# --------------------------------------------------------------------------


def page_anchors(path: Path) -> set[str]:
    """Ids a link can point at in a Markdown page: ``{ #id }`` headings and ``<span id>``."""
    page = read_markdown(path, path.as_posix())
    ids = {item.value.rsplit("#", 1)[1] for item in page.of_kind("heading")}
    ids.update(SPAN_ID.findall(path.read_text(encoding="utf-8")))
    return ids


class _Site:
    """The pages of ``docs/`` and their anchors, read once."""

    def __init__(self, docs: Path) -> None:
        self.docs = docs
        self._anchors: dict[Path, set[str]] = {}

    def anchors(self, path: Path) -> set[str]:
        if path not in self._anchors:
            self._anchors[path] = page_anchors(path)
        return self._anchors[path]

    def problem(self, link: str) -> str | None:
        """Why ``link`` does not resolve in both languages, or None when it does."""
        match = LINK.match(link)
        page, anchor = match.group("page"), match.group("anchor")
        for lang in LANGUAGES:
            path = self.docs / lang / page
            if not path.is_file():
                return f"{link!r}: {shown(path)} does not exist"
            if anchor and anchor not in self.anchors(path):
                return (
                    f'{link!r}: no heading {{ #{anchor} }} or <span id="{anchor}"> in {shown(path)}'
                )
        return None

    def callouts(self) -> Iterable[tuple[str, Path, int]]:
        """Every ``<span id="correction-...">`` of every page: (link, path, line)."""
        for lang in LANGUAGES:
            root = self.docs / lang
            for path in sorted(root.rglob("*.md")) if root.is_dir() else ():
                lines = path.read_text(encoding="utf-8").split("\n")
                for number, text in enumerate(lines, start=1):
                    for anchor in SPAN_ID.findall(text):
                        if anchor.startswith(CALLOUT_PREFIX):
                            page = path.relative_to(root).as_posix()
                            yield f"{page}#{anchor}", path, number


def _check_links(check: _Checker, entries: list[Entry], docs: Path) -> None:
    site = _Site(docs)
    owners: dict[str, Entry] = {}
    for entry in entries:
        for link in (*entry.evidence, *([entry.callout] if entry.callout else [])):
            problem = site.problem(link)
            if problem:
                kind = "callout" if link == entry.callout else "evidence"
                line = entry.link_lines.get(link, entry.line)
                check.add(line, entry.id, f"dangling {kind} link {problem}")
        if entry.callout:
            if entry.callout in owners:
                first = owners[entry.callout]
                check.add(
                    entry.link_lines.get(entry.callout, entry.line),
                    entry.id,
                    f"callout {entry.callout!r} is already the callout of entry {first.id!r}",
                )
            else:
                owners[entry.callout] = entry
    for link, path, number in site.callouts():
        if link not in owners:
            check.problems.append(
                f"{shown(path)}:{number}: callout {link.split('#')[1]!r} is referenced by no "
                f'entry of {check.display} (add `callout: "{link}"` to the entry it corrects)'
            )


# --------------------------------------------------------------------------
# Public API
# --------------------------------------------------------------------------


def load_corrections(
    path: Path = SOURCE, docs: Path | None = None, display: str | None = None
) -> list[Entry]:
    """Read and check ``corrections.yml``.

    Args:
        path: the YAML file.
        docs: the docs folder (with ``ko/`` and ``en/``). When given, every evidence
            and callout link must resolve in both languages, and every
            ``<span id="correction-...">`` of every page must be the callout of
            exactly one entry.
        display: how to name the file in messages (default: relative to the repository).

    Returns:
        The entries, in file order.

    Raises:
        CorrectionsError: one line per problem, ``file:line: entry 'id': message``.
    """
    display = display or shown(path)
    check = _Checker(display)
    node, data = _compose(path.read_text(encoding="utf-8"), display)
    if not isinstance(node, yaml.SequenceNode) or not isinstance(data, list):
        line = _line(node) if node is not None else 1
        raise CorrectionsError([f"{display}:{line}: the file must be a list of entries"])
    seen: dict[str, int] = {}
    entries = [
        entry
        for index, (item_node, item) in enumerate(zip(node.value, data, strict=True), start=1)
        if (entry := _entry(check, item_node, item, index, seen)) is not None
    ]
    if docs is not None and not check.problems:
        _check_links(check, entries, docs)
    if check.problems:
        raise CorrectionsError(check.problems)
    return entries
