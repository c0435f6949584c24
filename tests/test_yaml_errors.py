"""A YAML syntax error in any data file fails the check and the build with path:line."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from mkdocs.exceptions import PluginError

from i18n.corrections import CorrectionsError, load_corrections
from i18n.glossary import GlossaryError, load_glossary
from i18n.pages import front_matter
from tests.hookload import load_hook
from tools.search_eval import search_hook

ROOT = Path(__file__).resolve().parent.parent
BROKEN = "\n- en: broken\n  ko: [unclosed\n"


def _broken_copy(tmp_path: Path, name: str) -> tuple[Path, int]:
    """A copy of ``i18n/<name>`` with an unclosed ``[`` appended; the line it breaks on."""
    source = (ROOT / "i18n" / name).read_text(encoding="utf-8")
    path = tmp_path / name
    path.write_text(source + BROKEN, encoding="utf-8")
    return path, source.count("\n") + len(BROKEN.split("\n")) - 1


def test_glossary_syntax_error_in_the_check(tmp_path):
    path, last = _broken_copy(tmp_path, "glossary.yml")
    with pytest.raises(GlossaryError) as error:
        load_glossary(path, shown="i18n/glossary.yml")
    problem = error.value.problems[0]
    assert problem.path == "i18n/glossary.yml" and "not valid YAML" in problem.message
    assert last - 2 <= problem.line <= last + 1  # the unclosed line or the end of the file


@pytest.mark.parametrize("hook_name", ["search", "translations"])
def test_glossary_syntax_error_in_the_build(tmp_path, monkeypatch, hook_name):
    """Both hooks that read the glossary stop the build with file:line, not a traceback."""
    import i18n.glossary

    path, _ = _broken_copy(tmp_path, "glossary.yml")
    monkeypatch.setattr(i18n.glossary, "GLOSSARY", path)
    if hook_name == "search":
        hook = search_hook()
        monkeypatch.setattr(hook, "GLOSSARY", path)
        call = lambda: hook.glossary("ko")  # noqa: E731
    else:
        hook = load_hook("translations")
        monkeypatch.setattr(i18n.glossary.load_glossary, "__defaults__", (path, None))
        call = hook.glossary_terms
    with pytest.raises(PluginError, match=r"glossary\.yml:\d+: not valid YAML"):
        call()


def test_corrections_syntax_error(tmp_path):
    path, _ = _broken_copy(tmp_path, "corrections.yml")
    with pytest.raises(CorrectionsError, match=r"corrections\.yml:\d+: malformed YAML"):
        load_corrections(path, display="i18n/corrections.yml")


def test_front_matter_syntax_error():
    lines = ["---", "description: fine", "title: [unclosed", "---", "# Page"]
    _, _, problems = front_matter(lines, "docs/ko/x.md")
    assert problems and str(problems[0]).startswith("docs/ko/x.md:")
    assert "malformed front matter" in problems[0].message


def test_words_syntax_error(tmp_path):
    from i18n.words import words_problems

    (tmp_path / "snippets").mkdir()
    shutil.copytree(ROOT / "i18n" / "words", tmp_path / "i18n" / "words")
    (tmp_path / "i18n" / "words" / "ko" / "broken.yml").write_text("a: [b\n", encoding="utf-8")
    found = [str(p) for p in words_problems(tmp_path)]
    assert any(p.startswith("i18n/words/ko/broken.yml:") and "not valid YAML" in p for p in found)
