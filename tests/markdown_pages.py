"""Sybil over the Markdown pages, with ``--8<--`` includes expanded first.

Sybil reads raw Markdown, where ``--8<-- "snippets/x.py:part"`` inside a fence
would be executed literally. Here every include line is expanded with the very
same pymdownx.snippets preprocessor and options that the site build uses (read
from mkdocs.yml), so the code a reader sees is the code that runs. Each
expanded line remembers the page line it came from, so a failure points at
the line of the page a human would open.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from pathlib import Path

from sybil import Document, Example, Sybil
from sybil.evaluators.python import PythonEvaluator
from sybil.parsers.markdown import CodeBlockParser, PythonCodeBlockParser, SkipParser
from sybil.parsers.markdown.lexers import RawFencedCodeBlockLexer

from i18n.languages import LANGUAGES

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"

INCLUDE = re.compile(r"^\s*-{1,}8<-{1,}\s")
# A fence whose info string starts like Python is what a reader takes for code
# that runs: Sybil must collect every one of them (see uncollected_fences).
PYTHON_INFO = re.compile(r"\s*(py|python|python3|pycon|ipython)\b")
_ANY_FENCE = RawFencedCodeBlockLexer(
    info_pattern=re.compile(r"(?P<info>[^\n]*)$\n", re.MULTILINE),
    mapping={"info": "info", "source": "source"},
)


class IncludeError(Exception):
    """An include line that cannot be expanded; the message names page and line."""


@functools.cache
def _snippet_options() -> dict:
    from mkdocs.config import load_config

    config = load_config(str(ROOT / "mkdocs.yml"))
    return dict(config["mdx_configs"]["pymdownx.snippets"])


def _preprocessor():
    import markdown

    md = markdown.Markdown(
        extensions=["pymdownx.snippets"],
        extension_configs={"pymdownx.snippets": _snippet_options()},
    )
    return md.preprocessors["snippet"]


def expand_includes(text: str, path: str) -> tuple[str, list[int]]:
    """Expand every ``--8<--`` line of ``text``.

    Returns:
        The expanded text, and for each of its lines the 1-based line of the
        original text it comes from.

    Raises:
        IncludeError: an include names a missing file or section.
    """
    pre = _preprocessor()
    out: list[str] = []
    origin: list[int] = []
    for number, line in enumerate(text.split("\n"), start=1):
        if not INCLUDE.match(line):
            out.append(line)
            origin.append(number)
            continue
        try:
            expanded = pre.run([line])
        except Exception as error:  # SnippetMissingError and friends
            raise IncludeError(f"{path}:{number}: {error}") from None
        out.extend(expanded)
        origin.extend([number] * len(expanded))
    return "\n".join(out), origin


class ExpandedMarkdownDocument(Document):
    """A Markdown page whose includes are expanded before Sybil parses it."""

    origin: list[int]

    @classmethod
    def parse(cls, path: str, *parsers, encoding: str = "utf-8") -> Document:
        raw = Path(path).read_text(encoding=encoding)
        text, origin = expand_includes(raw, _display(path))
        document = cls(text, path)
        document.origin = origin
        for parser in parsers:
            for region in parser(document):
                document.add(region)
        return document

    def page_line(self, position: int) -> int:
        """Line of the original page for a character position in the expanded text."""
        return self.origin[self.text.count("\n", 0, position)]

    def line_column(self, position: int) -> str:
        col = position - self.text.rfind("\n", 0, position)
        return f"line {self.page_line(position)}, column {col}"

    def examples(self) -> Iterator[Example]:
        for _, region in self.regions:
            line_start = self.text.rfind("\n", 0, region.start)
            yield Example(
                self,
                self.page_line(region.start),
                region.start - line_start,
                region,
                self.namespace,
            )


def _display(path: str) -> str:
    try:
        return Path(path).resolve().relative_to(ROOT).as_posix()
    except ValueError:
        return path


class PyconCodeBlockParser(PythonCodeBlockParser):
    """``pycon`` fences: interactive sessions (``>>>``), highlighted as such."""

    def __init__(self) -> None:
        super().__init__()
        self.codeblock_parser = CodeBlockParser("pycon", PythonEvaluator())


def page_parsers() -> list:
    """The parsers applied to every page: ``python`` and ``pycon`` fences, skip directives."""
    return [PythonCodeBlockParser(), PyconCodeBlockParser(), SkipParser()]


def pages_sybil(path: str = "docs") -> Sybil:
    """Sybil for every Markdown page in ``path`` (relative to the repository root)."""
    return Sybil(
        parsers=page_parsers(),
        patterns=["*.md"],
        path=str(ROOT / path),
        document_types={".md": ExpandedMarkdownDocument},
        name="pages",
    )


def parse_page(path: Path) -> ExpandedMarkdownDocument:
    """Parse one page the way the test run does."""
    return ExpandedMarkdownDocument.parse(str(path), *page_parsers())


def page_files() -> list[Path]:
    """Every Markdown page of both languages."""
    return sorted(p for lang in LANGUAGES for p in (DOCS / lang).rglob("*.md"))


def uncollected_fences(document: ExpandedMarkdownDocument) -> list[int]:
    """Page lines of Python-looking fences in which Sybil found no example.

    A fence such as ``py`` or ``python title="x"`` is skipped by Sybil's parser
    without a word; a reader would still take it for tested code.
    """
    starts = [region.start for _, region in document.regions]
    missing = []
    for fence in _ANY_FENCE(document):
        if not PYTHON_INFO.match(fence.lexemes["info"]):
            continue
        if not any(fence.start <= start < fence.end for start in starts):
            missing.append(document.page_line(fence.start))
    return missing
