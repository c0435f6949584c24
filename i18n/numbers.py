"""A reported result is a shown result: prose numbers against the page's shown values.

Every result-like number in a page's prose — a decimal (``0.93``, ``71.2``), a
percentage (``67%``, ``1.7%포인트``) or a ratio (``12×``, ``12배``) — must match a
value the same page shows: in a code block, a ``pycon`` output, or a snippet
section the page embeds. Matching allows rounding and percent/fraction
(prose ``71%`` matches shown ``0.712``; prose ``0.94`` matches ``93.8%``), and
ignores the sign (prose ``−4.0 points`` matches a shown ``-0.040``).

Not checked, on purpose: numbers in ``$math$``, inline code, headings and
``>`` quotations (the article's words); and numbers on a line that cites its
source (a footnote ``[^x]``, a web link, "et al.", an author-year such as
``Papert(1969)`` or ``(Snoek et al., 2012)``): numbers quoted from papers.
Integers without ``%`` or ``×`` (counts, sizes, years) are not result-like.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from i18n.pages import FENCE, INCLUDE, Problem, front_matter
from i18n.yamlfile import shown

ROOT = Path(__file__).resolve().parent.parent

# prose
PERCENT = re.compile(r"(?<![\w.])(\d+(?:\.\d+)?)\s?(?:%|퍼센트|percent)")
RATIO = re.compile(
    r"(?<![\w.])(\d+(?:\.\d+)?)\s?(?:×|배|times (?=faster|slower|larger|smaller|more|fewer|as))"
    r"(?!\s?\d)"
)
DECIMAL = re.compile(r"(?<![\w.])(\d+\.\d+)(?![\w.]*\d)(?!\s?(?:%|퍼센트|percent|×|배))")
# shown values: any number
VALUE = re.compile(r"(?<![\w])(\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)")

INLINE_CODE = re.compile(r"`[^`]*`")
MATH = re.compile(r"\$[^$]+\$")
LINK_TARGET = re.compile(r"\]\([^)]*\)")
HTML = re.compile(r"<[^>]+>")
ATTRIBUTES = re.compile(r"\{[^}]*\}")
CITATION = re.compile(
    r"\[\^|\]\(https?://|et al\.?|[가-힣A-Za-z] 외[,(\s]"  # footnote, web link, et al. / 외
    r"|\((?:[^()]*?\D)?(?:19|20)\d\d[a-z]?\)|,\s*(?:19|20)\d\d[a-z]?\)"  # author-year
)


@dataclass(frozen=True)
class Reported:
    """A result-like number in the prose."""

    line: int
    text: str
    value: float
    decimals: int


def _decimals(text: str) -> int:
    return len(text.split(".")[1]) if "." in text else 0


def reported_numbers(line: str, number: int) -> list[Reported]:
    """The result-like numbers of one prose line (already without code and math)."""
    found = []
    taken: list[tuple[int, int]] = []
    for pattern in (PERCENT, RATIO, DECIMAL):
        for match in pattern.finditer(line):
            span = match.span(1)
            if any(a <= span[0] < b for a, b in taken):
                continue
            taken.append(match.span())
            digits = match.group(1)
            found.append(Reported(number, match.group(0).strip(), float(digits), _decimals(digits)))
    return found


def shown_values(text: str) -> set[float]:
    """Every number in shown text (code, outputs), as floats."""
    values = set()
    for match in VALUE.finditer(text):
        try:
            values.add(abs(float(match.group(1))))
        except ValueError:
            continue
    return values


def matches(reported: Reported, values: set[float]) -> bool:
    """``reported`` equals a shown value up to its own rounding, as fraction or percent."""
    tolerance = 0.5 * 10 ** (-reported.decimals) + 1e-9
    for value in values:
        for candidate in (value, value * 100, value / 100):
            if abs(candidate - reported.value) <= tolerance:
                return True
    return False


def _section(path: Path, name: str | None) -> str:
    text = path.read_text(encoding="utf-8")
    if not name:
        return text
    start = re.search(rf"--8<-- \[start:{re.escape(name)}\]", text)
    end = re.search(rf"--8<-- \[end:{re.escape(name)}\]", text)
    if not start or not end:
        return ""
    return text[start.end() : end.start()]


def _include_text(target: str, root: Path) -> str:
    path, _, name = target.partition(":")
    file = root / path
    return _section(file, name or None) if file.is_file() else ""


def page_problems(path: Path, root: Path = ROOT) -> list[Problem]:
    """Prose numbers of the Markdown page ``path`` that match no value shown on it."""
    lines = path.read_text(encoding="utf-8").split("\n")
    _, start, _ = front_matter(lines, shown(path))
    prose: list[tuple[int, str]] = []
    shown_text: list[str] = []
    fence = None
    in_math = False
    for index in range(start, len(lines)):
        line = lines[index]
        match = FENCE.match(line)
        if fence is None and match:
            fence = match.group(2)
            continue
        if fence is not None:
            if match and match.group(2).startswith(fence) and not match.group(3).strip():
                fence = None
                continue
            include = INCLUDE.match(line)
            shown_text.append(_include_text(include.group(1), root) if include else line)
            continue
        stripped = line.strip()
        if stripped.startswith("$$"):
            in_math = not in_math if stripped == "$$" or not stripped.endswith("$$") else in_math
            continue
        if in_math or stripped.startswith((">", "#", ":::")) or not stripped:
            continue
        prose.append((index + 1, stripped))
    values = shown_values("\n".join(shown_text))
    problems = []
    display = shown(path)
    for number, text in prose:
        if CITATION.search(text):
            continue
        for pattern in (INLINE_CODE, MATH, LINK_TARGET, HTML, ATTRIBUTES):
            text = pattern.sub(" ", text)
        for reported in reported_numbers(text, number):
            if not matches(reported, values):
                problems.append(
                    Problem(
                        display,
                        number,
                        f"{reported.text!r} in the prose matches no value this page shows: "
                        "print it in a verified example, or cite its source on this line",
                    )
                )
    return problems


def docs_problems(docs: Path, root: Path = ROOT) -> list[Problem]:
    """Prose-number problems of every Markdown page of both languages."""
    problems = []
    for path in sorted(docs.glob("*/*.md")) + sorted(docs.glob("*/*/*.md")):
        if path.parent.name == "assets" or "assets" in path.parts:
            continue
        problems += page_problems(path, root)
    return problems
