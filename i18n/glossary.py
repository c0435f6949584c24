"""The glossary (``i18n/glossary.yml``): loading, validation and term matching."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from i18n.languages import LANGUAGES
from i18n.pages import Problem
from i18n.yamlfile import YamlError, compose_yaml

GLOSSARY = Path(__file__).resolve().parent / "glossary.yml"
FIELDS = {
    "en",
    "en_also",
    "ko",
    "ko_also",
    "ko_avoid",
    "keep_english",
    "page",
    "definition",
    "note",
}
REQUIRED = ("en", "ko", "page", "definition")
DOCS = Path(__file__).resolve().parent.parent / "docs"


class GlossaryError(Exception):
    """The glossary file is malformed; ``problems`` say where."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("\n".join(str(p) for p in problems))
        self.problems = problems


@dataclass(frozen=True)
class Term:
    """One glossary entry."""

    id: str
    en: str
    ko: str
    definition: dict[str, str]
    line: int
    page: str = ""
    en_also: tuple[str, ...] = ()
    ko_also: tuple[str, ...] = ()
    ko_avoid: tuple[str, ...] = ()
    keep_english: bool = False
    note: dict[str, str] = field(default_factory=dict)

    def term(self, lang: str) -> str:
        return self.en if lang == "en" else self.ko

    def names(self, lang: str) -> list[str]:
        """Every name of the term a reader of ``lang`` may type, the preferred one first
        (``en``, ``en_also``; ``ko``, ``ko_also``, ``ko_avoid``)."""
        if lang == "en":
            return [self.en, *self.en_also]
        return [self.ko, *self.ko_also, *self.ko_avoid]

    def pattern(self, lang: str) -> re.Pattern[str]:
        """Where a page uses this term: English as a word (plurals too), Korean as text."""
        if lang == "en":
            words = "|".join(re.escape(w) for w in (self.en, *self.en_also))
            return re.compile(rf"(?<![\w-])(?:{words})", re.IGNORECASE)
        # not inside a longer Korean word: 파라미터 is not found in 하이퍼파라미터
        return re.compile(r"(?<![가-힣])" + re.escape(self.ko))


def term_id(en: str) -> str:
    """The anchor of a term on the glossary page: ``vanishing-gradient``."""
    return re.sub(r"[^a-z0-9]+", "-", en.lower()).strip("-")


def _line(node: yaml.Node) -> int:
    return node.start_mark.line + 1


def load_glossary(path: Path = GLOSSARY, shown: str | None = None) -> list[Term]:
    """Read and validate the glossary.

    Raises:
        GlossaryError: naming the file and line of every malformed entry
            (a missing or empty field, an unknown field, a duplicate term).
    """
    shown = shown or _shown(path)
    try:
        root = compose_yaml(path.read_text(encoding="utf-8"), shown)
    except YamlError as error:
        raise GlossaryError([Problem(error.path, error.line, error.message)]) from None
    if root is None or not isinstance(root, yaml.SequenceNode):
        raise GlossaryError([Problem(shown, 1, "the glossary must be a list of entries")])

    problems: list[Problem] = []
    terms: list[Term] = []
    seen: dict[tuple[str, str], int] = {}
    for node in root.value:
        line = _line(node)
        if not isinstance(node, yaml.MappingNode):
            problems.append(Problem(shown, line, "an entry must be a mapping (en:, ko:, ...)"))
            continue
        data = yaml.constructor.SafeConstructor().construct_document(node) or {}
        lines = {key.value: _line(key) for key, _ in node.value}
        label = data.get("en") or data.get("ko") or "?"
        for key in sorted(set(data) - FIELDS):
            problems.append(Problem(shown, lines[key], f"entry {label!r}: unknown field {key!r}"))
        entry_ok = True
        for key in REQUIRED:
            value = data.get(key)
            if key == "definition":
                missing = [
                    lang
                    for lang in LANGUAGES
                    if not isinstance(value, dict) or not str(value.get(lang) or "").strip()
                ]
                if missing:
                    problems.append(
                        Problem(
                            shown,
                            lines.get(key, line),
                            f"entry {label!r}: definition lacks {', '.join(missing)}",
                        )
                    )
                    entry_ok = False
            elif not isinstance(value, str) or not value.strip():
                problems.append(
                    Problem(shown, lines.get(key, line), f"entry {label!r}: empty {key}")
                )
                entry_ok = False
        if entry_ok:
            page = data["page"].strip()
            missing = [
                f"docs/{lang}/{page}.md"
                for lang in LANGUAGES
                if not (DOCS / lang / f"{page}.md").is_file()
            ]
            if missing:
                problems.append(
                    Problem(
                        shown,
                        lines["page"],
                        f"entry {label!r}: page {page!r} is not a page"
                        f" ({', '.join(missing)} missing)",
                    )
                )
                entry_ok = False
        if not entry_ok:
            continue
        for lang in ("en", "ko"):
            key = (lang, data[lang].strip().lower())
            if key in seen:
                problems.append(
                    Problem(
                        shown,
                        lines[lang],
                        f"duplicate {lang} term {data[lang]!r} (first at line {seen[key]})",
                    )
                )
            seen[key] = lines[lang]
        terms.append(
            Term(
                id=term_id(data["en"]),
                en=data["en"].strip(),
                ko=data["ko"].strip(),
                definition={k: str(v).strip() for k, v in data["definition"].items()},
                line=line,
                page=data["page"].strip(),
                en_also=tuple(data.get("en_also") or ()),
                ko_also=tuple(data.get("ko_also") or ()),
                ko_avoid=tuple(data.get("ko_avoid") or ()),
                keep_english=bool(data.get("keep_english", False)),
                note={k: str(v).strip() for k, v in (data.get("note") or {}).items()},
            )
        )
    if problems:
        raise GlossaryError(problems)
    return terms


def _shown(path: Path) -> str:
    root = Path(__file__).resolve().parent.parent
    try:
        return path.resolve().relative_to(root).as_posix()
    except ValueError:
        return path.as_posix()
