"""Check the words tables of figures and labs (``i18n/words/<lang>/*.yml``).

Code writes its figure and lab texts in English through ``tr("...")``
(``snippets.plotting.language``); each non-English language has a table that
maps every such text to its translation. This module finds:

- a text the code uses that a table lacks (the build would fail on it),
- an entry no code uses any more (the English text changed: update the entry),
- an entry whose ``{fields}`` differ from its English text (formatting would fail),
- Latin-script words in what a Korean reader sees (a figure's text, a lab's
  printed output) that are neither translated nor a name kept in Latin script
  (``i18n/words/names.yml``).
"""

from __future__ import annotations

import ast
import json
import re
import string
from dataclasses import dataclass
from pathlib import Path

import yaml

from i18n.pages import Problem
from i18n.yamlfile import YamlError, compose_yaml, shown

ROOT = Path(__file__).resolve().parent.parent
WORDS = ROOT / "i18n" / "words"
TRANSLATORS = {"tr", "translate", "_tr"}
TARGET_LANGUAGES = ("ko",)


@dataclass(frozen=True)
class Use:
    """One literal text passed to ``tr``: where, and what."""

    path: str
    line: int
    text: str


def _shown(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return shown(path)


def _literal_uses(source: str, display: str, line_of=lambda n: n) -> list[Use]:
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return []
    uses = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call) or not node.args:
            continue
        name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
        first = node.args[0]
        if name in TRANSLATORS and isinstance(first, ast.Constant) and isinstance(first.value, str):
            uses.append(Use(display, line_of(node.lineno), first.value))
    return uses


def text_uses(root: Path = ROOT) -> list[Use]:
    """Every literal ``tr("...")`` text in ``snippets/`` and in the lab notebooks."""
    uses: list[Use] = []
    for path in sorted((root / "snippets").rglob("*.py")):
        uses += _literal_uses(path.read_text(encoding="utf-8"), _shown(path, root))
    for path in sorted((root / "docs").glob("*/labs/*.ipynb")):
        try:
            cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
        except (ValueError, KeyError):
            continue  # the twin check reports an unreadable notebook
        for number, cell in enumerate(cells, start=1):
            if cell.get("cell_type") == "code":
                source = "".join(cell.get("source", []))
                uses += _literal_uses(source, _shown(path, root), line_of=lambda _n, c=number: c)
    return uses


def read_table(lang: str, root: Path = ROOT) -> tuple[dict[str, tuple[str, str, int]], list]:
    """``{english: (translation, file, line)}`` of ``lang``'s tables, and the problems found."""
    table: dict[str, tuple[str, str, int]] = {}
    problems: list[Problem] = []
    for path in sorted((root / "i18n" / "words" / lang).glob("*.yml")):
        display = _shown(path, root)
        try:
            node = compose_yaml(path.read_text(encoding="utf-8"), display)
        except YamlError as error:
            problems.append(Problem(error.path, error.line, error.message))
            continue
        if node is None:
            continue
        if not isinstance(node, yaml.MappingNode):
            problems.append(Problem(display, 1, "expected a mapping: English text: translation"))
            continue
        for key, value in node.value:
            line = key.start_mark.line + 1
            if not isinstance(value, yaml.ScalarNode) or not value.value.strip():
                problems.append(Problem(display, line, f"{key.value!r}: the translation is empty"))
                continue
            if key.value in table and table[key.value][0] != value.value:
                _, other, other_line = table[key.value]
                problems.append(
                    Problem(
                        display,
                        line,
                        f"{key.value!r} is translated differently in {other}:{other_line}",
                    )
                )
                continue
            table[key.value] = (value.value, display, line)
    return table, problems


def fields(text: str) -> list[str]:
    """The ``{field}`` names of a format string, sorted (``[]`` if it does not parse)."""
    try:
        return sorted(name for _, name, _, _ in string.Formatter().parse(text) if name)
    except ValueError:
        return ["<unparsable>"]


def words_problems(root: Path = ROOT) -> list[Problem]:
    """Missing, unused and malformed entries of every words table, and untranslated texts."""
    uses = text_uses(root)
    problems: list[Problem] = untranslated_problems(root)
    for lang in TARGET_LANGUAGES:
        table, found = read_table(lang, root)
        problems += found
        used = set()
        for use in uses:
            used.add(use.text)
            if use.text not in table:
                problems.append(
                    Problem(
                        use.path,
                        use.line,
                        f"tr({use.text!r}) has no {lang} entry in i18n/words/{lang}/ "
                        "(the build would fail)",
                    )
                )
        for text, (translation, display, line) in sorted(table.items(), key=lambda x: x[1][1:]):
            if text not in used:
                problems.append(
                    Problem(display, line, f"{text!r} is used by no tr() call (remove or update)")
                )
            elif fields(text) != fields(translation):
                problems.append(
                    Problem(
                        display,
                        line,
                        f"{text!r}: fields {fields(translation)} differ from the English "
                        f"{fields(text)}",
                    )
                )
    return problems


# --------------------------------------------------------------------------
# What a Korean reader sees
# --------------------------------------------------------------------------

# a word, not an identifier (x_train, np.exp, loss.backward(), f(x)) or a TeX command
# (\mathdefault)
LATIN_WORD = re.compile(
    r"(?<![A-Za-z0-9_.\\-])([A-Za-z][A-Za-z'’]*[A-Za-z])(?![A-Za-z0-9_(]|\.[A-Za-z])"
)
# paths, anchors and addresses (ko/activations.md#relu-sigmoid-tanh) are not prose
PATH_LIKE = re.compile(r"\S*[/#]\S*[A-Za-z]\S*|[\w.-]+\.(?:md|py|ipynb|svg|yml|json)\b")
# Python's repr of a type: <class 'numpy.float64'>
TYPE_REPR = re.compile(r"<class '[^']*'>")


def kept_names(root: Path = ROOT) -> set[str]:
    """Names that Korean figures and outputs keep in Latin script (``names.yml``)."""
    from i18n.yamlfile import load_yaml

    data = load_yaml(root / "i18n" / "words" / "names.yml") or []
    return {str(name).lower() for name in data}


def english_words(text: str, names: set[str]) -> list[str]:
    """Latin-script words of ``text`` (3+ letters) that are not a kept name.

    Identifiers (``x_train``, ``np.exp``, ``f(x)``) and units are not words.
    """
    found = []
    text = TYPE_REPR.sub(" ", PATH_LIKE.sub(" ", text))
    if re.search(
        r"[가-힣]", text
    ):  # Korean prose glosses English in parentheses: 사전 학습(pretraining)
        text = re.sub(r"\([^()]*\)", " ", text)
    for word in LATIN_WORD.findall(text):
        if len(word) >= 3 and word.lower().strip("'’") not in names:
            found.append(word)
    return found


SVG_TEXT = re.compile(r"<!-- (.*?) -->", re.DOTALL)


def svg_texts(svg: str) -> list[str]:
    """The texts matplotlib drew into an SVG (it writes each as a comment)."""
    import html

    return [html.unescape(t) for t in SVG_TEXT.findall(svg)]


# --------------------------------------------------------------------------
# Texts written past tr(): found in the code, before anything is drawn
# --------------------------------------------------------------------------

# matplotlib calls whose string arguments a reader reads, and print()
SHOWN_CALLS = {
    "set_title", "set_xlabel", "set_ylabel", "suptitle", "text", "annotate", "set_label",
    "title", "xlabel", "ylabel", "figtext",
}  # fmt: skip
SHOWN_KEYWORDS = {"label", "title"}


def _literal_text(node: ast.AST) -> str | None:
    """The words of a string constant or the literal parts of an f-string."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return " ".join(
            v.value for v in node.values if isinstance(v, ast.Constant) and isinstance(v.value, str)
        )
    return None


def _shown_texts(tree: ast.AST, printing: bool) -> list[tuple[int, str]]:
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
        args: list[ast.AST] = []
        if name in SHOWN_CALLS or (printing and name == "print"):
            args += node.args[:1] if name != "print" else node.args
        args += [k.value for k in node.keywords if k.arg in SHOWN_KEYWORDS]
        for arg in args:
            text = _literal_text(arg)
            if text:
                found.append((node.lineno, text))
    return found


def untranslated_problems(root: Path = ROOT) -> list[Problem]:
    """English words a figure or a lab shows without ``tr``: titles, labels, printed text.

    Figure code is every function whose name starts with ``draw`` in
    ``snippets/``; in the labs, every code cell (``print`` included).
    """
    names = kept_names(root)
    problems = []
    for path in sorted((root / "snippets").rglob("*.py")):
        try:
            tree = ast.parse(path.read_text(encoding="utf-8"))
        except SyntaxError:
            continue
        for function in ast.walk(tree):
            if isinstance(function, ast.FunctionDef) and function.name.startswith("draw"):
                for line, text in _shown_texts(function, printing=False):
                    words = english_words(text, names)
                    if words:
                        problems.append(
                            Problem(
                                _shown(path, root),
                                line,
                                f"{text!r} is drawn without tr(): a Korean figure would show "
                                f"{words[0]!r}",
                            )
                        )
    for path in sorted((root / "docs").glob("*/labs/*.ipynb")):
        try:
            cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
        except (ValueError, KeyError):
            continue
        for number, cell in enumerate(cells, start=1):
            if cell.get("cell_type") != "code":
                continue
            try:
                tree = ast.parse("".join(cell.get("source", [])))
            except SyntaxError:
                continue
            for _, text in _shown_texts(tree, printing=True):
                words = english_words(text, names)
                if words:
                    problems.append(
                        Problem(
                            _shown(path, root),
                            number,
                            f"cell {number} shows {text!r} without tr(): a Korean reader "
                            f"would read {words[0]!r}",
                        )
                    )
    return problems
