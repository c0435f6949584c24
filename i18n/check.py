"""Compare every page with its twin in the other language."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from i18n.pages import PageStructure, Problem, read_page

LANGUAGES = ("ko", "en")
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


def check_page(docs: Path, page: str, root: Path) -> PageStatus:
    """Check one page: both twins exist, each is well-formed, and they match."""
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
    if len(structures) == 2:
        problems.extend(compare(structures["ko"], structures["en"]))
    return PageStatus(page, present, problems)


def check_all(docs: Path, root: Path) -> list[PageStatus]:
    """Check every page of ``docs``."""
    return [check_page(docs, page, root) for page in page_paths(docs)]


def _display(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return path.as_posix()
