"""Read the structure of a page: what must be identical in its two languages.

Only prose may differ between ``docs/ko/X`` and ``docs/en/X``. Headings (by
their fixed ids), code blocks, snippet includes, figures and internal links
must match, in order. Every problem is reported as ``Problem(path, line, message)``.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*$")
HEADING_ID = re.compile(r"\{\s*#([A-Za-z0-9_-]+)[^}]*\}\s*$")
FENCE = re.compile(r"^(\s*)(`{3,}|~{3,})(.*)$")
INCLUDE = re.compile(r"^\s*-{1,}8<-{1,}\s+\"?([^\"]+)\"?\s*$")
IMAGE = re.compile(r"!\[[^\]]*\]\(([^)\s]+)")
LINK = re.compile(r"(?<!!)\[[^\]]*\]\(([^)\s]+)")
MARKDOWN_HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$")
# the one line in which twin notebooks differ: ``tr = language("ko")``
NOTEBOOK_LANGUAGE = re.compile(r"""\blanguage\(\s*["']([a-z]{2})["']\s*\)""")
PATH_LANGUAGE = re.compile(r"(?:^|/)(ko|en)/")


@dataclass(frozen=True)
class Problem:
    """One finding, printed as ``path:line: message``."""

    path: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"


@dataclass
class Item:
    """One structural element and the line it starts on."""

    kind: str  # heading, code, include, figure, link
    value: str
    line: int


@dataclass
class PageStructure:
    """What a page is made of, apart from its prose."""

    path: str
    meta: dict = field(default_factory=dict)
    items: list[Item] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    def of_kind(self, kind: str) -> list[Item]:
        return [item for item in self.items if item.kind == kind]


def front_matter(lines: list[str], path: str) -> tuple[dict, int, list[Problem]]:
    """Parse YAML front matter; return (meta, index of the first body line, problems)."""
    if not lines or lines[0].strip() != "---":
        return {}, 0, []
    for end in range(1, len(lines)):
        if lines[end].strip() == "---":
            break
    else:
        return {}, 0, [Problem(path, 1, "front matter opened with '---' is never closed")]
    from i18n.yamlfile import YamlError, parse_yaml

    try:
        meta = parse_yaml("\n".join(lines[1:end]), path, 2, "malformed front matter") or {}
    except YamlError as error:
        return {}, end + 1, [Problem(path, error.line, error.message)]
    if not isinstance(meta, dict):
        return {}, end + 1, [Problem(path, 2, "front matter must be a mapping of keys to values")]
    return meta, end + 1, []


def _is_internal(target: str) -> bool:
    return not re.match(r"^[a-z][a-z0-9+.-]*:", target) and not target.startswith("//")


def read_markdown(path: Path, display: str) -> PageStructure:
    """Extract headings, code, includes, figures and internal links of a Markdown page."""
    lines = path.read_text(encoding="utf-8").split("\n")
    meta, start, problems = front_matter(lines, display)
    page = PageStructure(display, meta, [], problems)
    fence: tuple[str, str] | None = None  # (indent, marker) of the open fence
    code: list[str] = []
    code_line = 0
    for index in range(start, len(lines)):
        line, number = lines[index], index + 1
        match = FENCE.match(line)
        if fence is None and match:
            fence = (match.group(1), match.group(2))
            code, code_line = [line.strip()], number
            continue
        if fence is not None:
            closing = match and match.group(2).startswith(fence[1]) and not match.group(3).strip()
            if closing:
                page.items.append(Item("code", "\n".join([*code, line.strip()]), code_line))
                fence = None
                continue
            code.append(line[len(fence[0]) :] if line.startswith(fence[0]) else line)
            include = INCLUDE.match(line)
            if include:
                page.items.append(Item("include", include.group(1), number))
            continue
        heading = HEADING.match(line)
        if heading:
            fixed = HEADING_ID.search(heading.group(2))
            if fixed:
                page.items.append(Item("heading", f"{heading.group(1)} #{fixed.group(1)}", number))
            else:
                page.problems.append(
                    Problem(display, number, f"heading without a fixed id: {line.strip()!r}")
                )
        for target in IMAGE.findall(line):
            page.items.append(Item("figure", target, number))
        for target in LINK.findall(line):
            if _is_internal(target):
                page.items.append(Item("link", target, number))
    if fence is not None:
        page.problems.append(Problem(display, code_line, "code fence is never closed"))
    return page


def markdown_headings(source: str) -> list[tuple[str, str]]:
    """The ATX headings of Markdown ``source`` as ``(hashes, text)``, fenced code skipped.

    The one notebook heading parser: the twin check compares these, and the build
    gives both twins the ids of the English notebook's headings from it.
    """
    headings = []
    fenced = False
    for line in source.splitlines():
        if line.lstrip().startswith(("```", "~~~")):
            fenced = not fenced
        match = None if fenced else MARKDOWN_HEADING.match(line)
        if match:
            headings.append((match.group(1), match.group(2)))
    return headings


def notebook_headings(path: Path) -> list[str]:
    """The heading texts of the notebook ``path``, in order."""
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    return [
        text
        for cell in cells
        if cell["cell_type"] == "markdown"
        for _, text in markdown_headings("".join(cell["source"]))
    ]


def read_notebook(path: Path, display: str) -> PageStructure:
    """Extract the code cells and the heading levels of a notebook."""
    page = PageStructure(display)
    try:
        notebook = json.loads(path.read_text(encoding="utf-8"))
        cells = notebook["cells"]
    except (ValueError, KeyError) as error:
        page.problems.append(Problem(display, 1, f"not a readable notebook: {error}"))
        return page
    match = PATH_LANGUAGE.search(display)
    lang = match.group(1) if match else None
    declared = []
    for number, cell in enumerate(cells, start=1):
        source = "".join(cell.get("source", []))
        if cell.get("cell_type") == "code":
            for found in NOTEBOOK_LANGUAGE.finditer(source):
                declared.append(found.group(1))
                if lang and found.group(1) != lang:
                    page.problems.append(
                        Problem(
                            display,
                            number,
                            f"cell {number} sets language({found.group(1)!r}) in a {lang!r} "
                            f"notebook: its sentences and labels would be in the wrong language",
                        )
                    )
            # twins compare equal apart from their language line
            source = NOTEBOOK_LANGUAGE.sub("language(LANG)", source)
            page.items.append(Item("code", source, number))
            if cell.get("outputs"):
                page.problems.append(
                    Problem(display, number, f"cell {number} has stored outputs (clear them)")
                )
        elif cell.get("cell_type") == "markdown":
            for level, _ in markdown_headings(source):
                page.items.append(Item("heading", level, number))
            for target in IMAGE.findall(source):
                page.items.append(Item("figure", target, number))
            for target in LINK.findall(source):
                if _is_internal(target):
                    page.items.append(Item("link", target, number))
    if lang and "/labs/" in display and not declared:
        page.problems.append(
            Problem(
                display,
                1,
                f'no tr = language("{lang}") in a code cell: the lab would print and plot in '
                "English (see snippets/plotting.py)",
            )
        )
    return page


def read_page(path: Path, display: str) -> PageStructure:
    """Read a Markdown page or a notebook."""
    if path.suffix == ".ipynb":
        return read_notebook(path, display)
    return read_markdown(path, display)


INLINE_CODE = re.compile(r"`[^`]*`")
LINK_TARGET = re.compile(r"\]\([^)]*\)")
HTML_TAG = re.compile(r"<[^>]+>")
ATTRIBUTES = re.compile(r"\{[^}]*\}")
MATH = re.compile(r"\$[^$]*\$")


def _clean(line: str) -> str:
    for pattern in (INLINE_CODE, LINK_TARGET, HTML_TAG, ATTRIBUTES, MATH):
        line = pattern.sub(" ", line)
    return line


def prose_lines(path: Path) -> list[tuple[int, str]]:
    """The prose of a page, line by line: no front matter, code, link targets or markup.

    For a notebook the "line" is the number of the markdown cell.
    """
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".ipynb":
        try:
            cells = json.loads(text)["cells"]
        except (ValueError, KeyError):
            return []
        out = []
        for number, cell in enumerate(cells, start=1):
            if cell.get("cell_type") == "markdown":
                body = "".join(cell.get("source", []))
                body = re.sub(r"```.*?```", " ", body, flags=re.DOTALL)
                out.append((number, _clean(body)))
        return out
    lines = text.split("\n")
    _, start, _ = front_matter(lines, path.name)
    out = []
    fence = None
    for index in range(start, len(lines)):
        match = FENCE.match(lines[index])
        if fence is None and match:
            fence = match.group(2)
            continue
        if fence is not None:
            if match and match.group(2).startswith(fence) and not match.group(3).strip():
                fence = None
            continue
        if lines[index].lstrip().startswith(":::"):  # mkdocstrings directive
            continue
        out.append((index + 1, _clean(lines[index])))
    return out
