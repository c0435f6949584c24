"""Compare every page with its twin in the other language."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from i18n.glossary import Term
from i18n.languages import LANGUAGES
from i18n.languages import other as other_language
from i18n.pages import PageStructure, Problem, prose_lines, read_page
from i18n.translation import Translation, translation_state

LANGUAGE_NAMES = {"ko": "Korean", "en": "English"}
PAGE_SUFFIXES = (".md", ".ipynb")
KIND_NAMES = {
    "heading": "heading",
    "code": "code block",
    "include": "snippet include",
    "figure": "figure",
    "link": "internal link",
}


@dataclass
class PageStatus:
    """One page (by its path below the language folder) in both languages."""

    page: str
    present: dict[str, bool]
    problems: list[Problem]
    translation: Translation

    @property
    def ok(self) -> bool:
        return not self.problems


def page_paths(docs: Path) -> list[str]:
    """Paths of all pages below ``docs/<lang>/``, relative to the language folder."""
    found = set()
    for lang in LANGUAGES:
        root = docs / lang
        if root.is_dir():
            for path in root.rglob("*"):
                if path.suffix in PAGE_SUFFIXES and path.is_file():
                    found.add(path.relative_to(root).as_posix())
    return sorted(found)


def compare(ko: PageStructure, en: PageStructure) -> list[Problem]:
    """Problems where two twins differ in anything but prose, reported on the English page."""
    problems = []
    for kind, name in KIND_NAMES.items():
        left, right = ko.of_kind(kind), en.of_kind(kind)
        for a, b in zip(left, right, strict=False):
            if a.value != b.value:
                problems.append(
                    Problem(
                        en.path,
                        b.line,
                        f"{name} differs from {ko.path}:{a.line}: "
                        f"{_short(b.value)!r} vs {_short(a.value)!r}",
                    )
                )
                break  # one report per kind: the rest is usually a consequence
        if len(left) != len(right):
            longer, shorter = (ko, en) if len(left) > len(right) else (en, ko)
            extra = longer.of_kind(kind)[min(len(left), len(right))]
            problems.append(
                Problem(
                    longer.path,
                    extra.line,
                    f"{len(longer.of_kind(kind))} {name}s here, {len(shorter.of_kind(kind))} in "
                    f"{shorter.path}; first unmatched: {_short(extra.value)!r}",
                )
            )
    return problems


def _short(text: str, limit: int = 60) -> str:
    text = text.replace("\n", "⏎")
    return text if len(text) <= limit else text[: limit - 1] + "…"


REFERENCE_ENTRY = re.compile(r"^\s*[-*]\s.*\((?:19|20)\d\d[a-z]?\)\.")


def glossary_problems(ko: Path, en: Path, terms: list[Term], root: Path) -> list[Problem]:
    """A glossary term used in one twin whose counterpart the other twin never uses,
    and Korean variants the glossary says to avoid."""
    # reference entries quote titles in their own language: not a use of a term
    prose = {
        lang: [(n, t) for n, t in prose_lines(path) if not REFERENCE_ENTRY.match(t)]
        for lang, path in (("ko", ko), ("en", en))
    }
    paths = {"ko": _display(ko, root), "en": _display(en, root)}
    problems = []
    for term in terms:
        first = {}
        for lang in LANGUAGES:
            pattern = term.pattern(lang)
            first[lang] = next((n for n, text in prose[lang] if pattern.search(text)), None)
        for lang, other in ((lang, other_language(lang)) for lang in reversed(LANGUAGES)):
            if first[lang] is not None and first[other] is None:
                problems.append(
                    Problem(
                        paths[lang],
                        first[lang],
                        f"glossary term {term.term(lang)!r} is used here, but {paths[other]} "
                        f"never uses {term.term(other)!r} (see i18n/glossary.yml)",
                    )
                )
                break
        for variant in term.ko_avoid:
            for number, text in prose["ko"]:
                if variant in text and not text.lstrip().startswith(">"):  # article quotes
                    problems.append(
                        Problem(
                            paths["ko"],
                            number,
                            f"{variant!r}: the glossary's term is {term.ko!r}",
                        )
                    )
    return problems


KEPT_ENGLISH = re.compile(r"^\s*\(\s*[^)]*[A-Za-z]")
# pages that are not chapters: a term there needs no first-use gloss
NOT_CHAPTERS = {"glossary.md", "translation-status.md", "index.md", "corrections.md"}


def keep_english_problems(ko: Path, terms: list[Term], root: Path) -> list[Problem]:
    """A ``keep_english`` term whose first use in a Korean chapter lacks its English name.

    The first use in running text counts: headings, figure alt text and
    quotations of the article (``>`` lines) are skipped. ``다층 퍼셉트론(MLP)``
    and ``기울기 소실(vanishing gradient)`` pass; ``다층 퍼셉트론은`` does not.
    """
    if ko.suffix != ".md" or ko.name in NOT_CHAPTERS or ko.parent.name == "reference":
        return []
    lines = [
        (n, text) for n, text in prose_lines(ko) if not text.lstrip().startswith((">", "#", "!["))
    ]
    problems = []
    for term in terms:
        if not term.keep_english:
            continue
        pattern = term.pattern("ko")
        for number, text in lines:
            match = pattern.search(text)
            if match is None:
                continue
            if not KEPT_ENGLISH.match(text[match.end() :]):
                problems.append(
                    Problem(
                        _display(ko, root),
                        number,
                        f"first use of {term.ko!r} in this chapter: write "
                        f"{term.ko}({term.en}) (keep_english in i18n/glossary.yml)",
                    )
                )
            break
    return problems


def translation_problems(ko: Path, en: Path, state: Translation, root: Path) -> list[Problem]:
    """An outdated translation, or a pair with no translation record."""
    if state.state == "outdated":
        source = ko if state.source == "ko" else en
        translated = en if state.source == "ko" else ko
        return [
            Problem(
                _display(translated, root),
                1,
                f"outdated translation: {_display(source, root)} changed since this page was "
                f"translated (recorded {state.recorded}, now {state.current}); update this page, "
                f"then run: python -m i18n stamp {_display(translated, root)}",
            )
        ]
    if state.state == "no record":
        return [
            Problem(
                _display(en, root),
                1,
                "no translation record: after translating, run "
                f"python -m i18n stamp {_display(en, root)}",
            )
        ]
    return []


def check_page(docs: Path, page: str, root: Path, terms: list[Term] | None = None) -> PageStatus:
    """Check one page: both twins exist, each is well-formed, they match,
    the translation is up to date and the glossary is followed."""
    structures: dict[str, PageStructure] = {}
    problems: list[Problem] = []
    for lang in LANGUAGES:
        path = docs / lang / page
        if path.is_file():
            structures[lang] = read_page(path, _display(path, root))
            problems.extend(structures[lang].problems)
    present = {lang: lang in structures for lang in LANGUAGES}
    for lang in LANGUAGES:
        if not present[lang]:
            other = next(iter(structures))
            missing = _display(docs / lang / page, root)
            problems.append(
                Problem(
                    structures[other].path,
                    1,
                    f"no {LANGUAGE_NAMES[lang]} twin: {missing} is missing",
                )
            )
    ko, en = docs / "ko" / page, docs / "en" / page
    state = translation_state(ko if present["ko"] else None, en if present["en"] else None)
    if len(structures) == 2:
        problems.extend(compare(structures["ko"], structures["en"]))
        problems.extend(translation_problems(ko, en, state, root))
        if terms:
            problems.extend(glossary_problems(ko, en, terms, root))
            problems.extend(keep_english_problems(ko, terms, root))
    return PageStatus(page, present, problems, state)


def check_all(docs: Path, root: Path, terms: list[Term] | None = None) -> list[PageStatus]:
    """Check every page of ``docs``."""
    return [check_page(docs, page, root, terms) for page in page_paths(docs)]


def _display(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return path.as_posix()


def glossary_link_problems(docs: Path, terms: list[Term], root: Path) -> list[Problem]:
    """Links to ``glossary.md#id`` whose id is no glossary entry."""
    ids = {term.id for term in terms}
    problems = []
    for page in page_paths(docs):
        for lang in LANGUAGES:
            path = docs / lang / page
            if not path.is_file():
                continue
            for item in read_page(path, _display(path, root)).of_kind("link"):
                target, _, anchor = item.value.partition("#")
                if target.endswith("glossary.md") and anchor and anchor not in ids:
                    problems.append(
                        Problem(
                            _display(path, root),
                            item.line,
                            f"unknown glossary entry {anchor!r} (not in i18n/glossary.yml)",
                        )
                    )
    return problems


LIST_LINK = re.compile(r"^\s*(?:[-*]|\d+\.)\s+\[([^\]]+)\]\(((?:\.\./)*)([a-z0-9-]+\.md)\)")
H1 = re.compile(r"^#\s+(.*?)\s*(?:\{[^}]*\})?\s*$", re.MULTILINE)


def chapter_name_problems(docs: Path, root: Path) -> list[Problem]:
    """A list item that opens with a link to a chapter names it as its H1 does.

    One name per chapter: the navigation takes the H1, so the home page's
    learning path, the conclusion and the reference index must use it too.
    """
    problems = []
    for lang in LANGUAGES:
        base = docs / lang
        titles = {}
        for page in base.glob("*.md"):
            match = H1.search(page.read_text(encoding="utf-8"))
            if match:
                titles[page.name] = match.group(1)
        for page in sorted(base.rglob("*.md")):
            depth = len(page.relative_to(base).parts) - 1
            for number, line in enumerate(page.read_text(encoding="utf-8").split("\n"), 1):
                match = LIST_LINK.match(line)
                if not match or len(match.group(2)) // 3 != depth:
                    continue
                text, target = match.group(1), match.group(3)
                if target in titles and text != titles[target]:
                    problems.append(
                        Problem(
                            _display(page, root),
                            number,
                            f"{text!r} names {target}, whose title is {titles[target]!r}",
                        )
                    )
    return problems
