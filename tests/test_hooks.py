"""The hooks: one table of priorities, every module named, no plugin's private attributes."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from tests.hookload import load_hook

ROOT = Path(__file__).resolve().parent.parent
HOOKS = sorted((ROOT / "hooks").glob("*.py"))
# imported by the hooks, not listed in mkdocs.yml
SHARED = ["code_inputs.py", "docs_build.py", "used_css.py"]


def listed_hooks(text: str) -> list[str]:
    block = text[text.index("\nhooks:\n") :]
    return re.findall(r"^  - hooks/(\w+\.py)$", block.split("\n\n", 1)[0], flags=re.M)


def test_every_hook_module_is_built_and_named_in_the_readme():
    listed = listed_hooks((ROOT / "mkdocs.yml").read_text(encoding="utf-8"))
    assert sorted([*listed, *SHARED]) == [p.name for p in HOOKS]
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for path in HOOKS:
        assert f"| `hooks/{path.name}` |" in readme, f"README's table misses hooks/{path.name}"


def priorities(source: str) -> list[tuple[int, str]]:
    """``(line, text)`` of every ``@event_priority(...)`` argument in ``source``."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "event_priority":
            found.append((node.lineno, ast.unparse(node.args[0])))
    return found


def test_every_priority_comes_from_the_one_table():
    table = load_hook("docs_build").PRIORITY
    used = set()
    for path in HOOKS:
        for line, arg in priorities(path.read_text(encoding="utf-8")):
            match = re.fullmatch(r"PRIORITY\['([\w.]+)'\]", arg)
            assert match, f"hooks/{path.name}:{line}: priority {arg} is not from PRIORITY"
            name = match.group(1)
            assert name.split(".")[0] == path.stem, f"hooks/{path.name}:{line}: {name}"
            assert name in table
            used.add(name)
    assert used == set(table), f"PRIORITY lists events no hook has: {set(table) - used}"


def test_a_literal_priority_is_caught():
    source = "@event_priority(-50)\ndef on_files(files, config):\n    return files\n"
    assert priorities(source) == [(1, "-50")]
    assert not re.fullmatch(r"PRIORITY\['([\w.]+)'\]", priorities(source)[0][1])


def private_reads(source: str) -> list[tuple[int, str]]:
    """Reads of another object's ``_private`` attribute (``self._x`` and dunders are fine)."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Attribute):
            continue
        attr = node.attr
        if not attr.startswith("_") or (attr.startswith("__") and attr.endswith("__")):
            continue
        if isinstance(node.value, ast.Name) and node.value.id in {"self", "cls"}:
            continue
        found.append((node.lineno, ast.unparse(node)))
    return found


PLUGIN_ATTRIBUTES = re.compile(
    r"\b(current_language|default_language|build_languages|extra_alternate|"
    r"locale_alternate_of|\.building)\b"
)


@pytest.mark.parametrize("path", HOOKS, ids=lambda p: p.name)
def test_no_hook_reads_a_private_or_plugin_internal_attribute(path):
    source = path.read_text(encoding="utf-8")
    assert private_reads(source) == []
    code = "\n".join(
        line for line in source.splitlines() if not line.lstrip().startswith(("#", '"', "'"))
    )
    assert not PLUGIN_ATTRIBUTES.search(code), PLUGIN_ATTRIBUTES.search(code)
    assert 'plugins.get("i18n")' not in code


def test_the_checks_catch_a_private_read():
    assert private_reads("url = wrapped._get_url(True)\n") == [(1, "wrapped._get_url")]
    assert private_reads("self._kiwi = 1\nx = a.__class__\n") == []
    assert PLUGIN_ATTRIBUTES.search("lang = i18n.current_language")
