"""The keys of figures and labs: an edit redraws or re-runs what it can change, and only that."""

from __future__ import annotations

import os
from pathlib import Path

import nbformat
import pytest

from i18n.languages import language_of_path
from tests.hookload import load_hook

code_inputs = load_hook("code_inputs")
ROOT = code_inputs.ROOT
LABS = sorted((ROOT / "docs").glob("*/labs/*.ipynb"))


def lab_code(path: Path) -> str:
    return "\n".join(
        c.source for c in nbformat.read(path, as_version=4).cells if c.cell_type == "code"
    )


def rel(paths) -> set[str]:
    return {p.relative_to(ROOT).as_posix() for p in paths}


@pytest.fixture
def tree(tmp_path):
    """A small project: ``snippets.a`` imports ``snippets.b``, which imports ``i18n.c``."""
    files = {
        "pyproject.toml": "[project]\n",
        "snippets/__init__.py": "",
        "snippets/a.py": "from .b import f\n",
        "snippets/b.py": "def f():\n    from i18n.c import g\n    return g()\n",
        "snippets/d.py": "import numpy\n",
        "i18n/__init__.py": "",
        "i18n/c.py": (
            "from pathlib import Path\nDATA = Path(__file__).parent / 'words'\n"
            "READS = ('i18n/words/*.yml',)\ndef g():\n    return 1\n"
        ),
        "i18n/words/ko.yml": "a: 가\n",
        "docs/page.md": "# page\n",
    }
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text, encoding="utf-8")
    return tmp_path


def key(tree, code="import snippets.a"):
    return code_inputs.inputs_keys(code, root=tree)


def test_the_inputs_are_the_imports_transitively_and_what_they_read(tree):
    inputs = {
        p.relative_to(tree).as_posix()
        for p in code_inputs.inputs_of("import snippets.a", root=tree)
    }
    assert inputs == {
        "pyproject.toml",
        "snippets/__init__.py",
        "snippets/a.py",
        "snippets/b.py",  # a relative import
        "i18n/__init__.py",
        "i18n/c.py",  # imported inside a function
        "i18n/words/ko.yml",  # declared in READS
    }


@pytest.mark.parametrize(
    ("edited", "changes"),
    [
        ("snippets/b.py", True),
        ("i18n/c.py", True),
        ("i18n/words/ko.yml", True),
        ("pyproject.toml", True),
        ("snippets/d.py", False),  # not imported by a
        ("docs/page.md", False),  # read by nothing
    ],
)
def test_an_edit_changes_the_key_of_the_code_it_can_change_only(tree, edited, changes):
    before = key(tree)
    path = tree / edited
    path.write_text(path.read_text(encoding="utf-8") + "\n# edited\n", encoding="utf-8")
    assert (key(tree) != before) is changes


def test_a_skipped_read_is_not_an_input(tree):
    words = tree / "i18n/words/ko.yml"
    assert words in code_inputs.inputs_of("import snippets.a", root=tree)
    assert words not in code_inputs.inputs_of(
        "import snippets.a", skip=("i18n/words/*.yml",), root=tree
    )


def test_code_that_does_not_parse_depends_on_everything(tree):
    code = "%matplotlib inline\nimport snippets.a"
    before = key(tree, code)
    (tree / "snippets/d.py").write_text("import os\n", encoding="utf-8")
    assert key(tree, code) != before


def test_the_sites_figures_and_labs_depend_on_what_they_import():
    figure = rel(code_inputs.inputs_of("import snippets.activations", "snippets.activations"))
    assert {"snippets/activations.py", "snippets/plotting.py", "i18n/yamlfile.py"} <= figure
    assert "snippets/gan.py" not in figure
    assert any(p.startswith("i18n/words/ko/") for p in figure)  # plotting's READS
    for lang in ("ko", "en"):  # READS "i18n/words/{lang}/*.yml": in English, no table
        code = "import snippets.activations"
        words = {p for p in rel(code_inputs.inputs_of(code, lang=lang)) if "words" in p}
        assert words == ({p for p in figure if "words" in p} if lang == "ko" else set())
    rag = rel(code_inputs.inputs_of(lab_code(ROOT / "docs/ko/labs/bert-rag.ipynb")))
    assert {"snippets/rag.py", "docs/ko/activations.md", "docs/en/activations.md"} <= rag
    assert "docs/ko/activations.md" not in rel(
        code_inputs.inputs_of(
            lab_code(ROOT / "docs/ko/labs/bert-rag.ipynb"), skip=code_inputs.PREVIEW_SKIP
        )
    )


def test_every_module_a_figure_or_lab_loads_declares_the_files_it_finds():
    loaded = set()
    for path in sorted((ROOT / "snippets").glob("*.py")):
        loaded.update(code_inputs.closure(f"import {code_inputs.module_name(path)}"))
    for lab in LABS:
        loaded.update(code_inputs.closure(lab_code(lab)))
    assert ROOT / "snippets" / "rag.py" in loaded
    assert code_inputs.undeclared_readers(sorted(loaded)) == []
    for path in loaded:  # a pattern that matches nothing is a typo, and a stale key
        for pattern in code_inputs.declared_reads(path):
            assert list(ROOT.glob(pattern.replace(code_inputs.LANG, "*"))), (
                f"{path.relative_to(ROOT)}: READS {pattern!r} matches nothing"
            )


def test_a_module_that_finds_files_without_declaring_them_is_named(tree):
    (tree / "i18n/c.py").write_text(
        "from pathlib import Path\n\nDATA = Path(__file__).parent / 'words'\n", encoding="utf-8"
    )
    assert code_inputs.undeclared_readers([tree / "i18n/c.py"], root=tree) == [
        "i18n/c.py:3: finds files from __file__ but declares no READS (the files it reads,"
        " as glob patterns)"
    ]


def edited_keys(monkeypatch, keys, edited: str | None):
    """What ``keys()`` gives when the file ``edited`` (from the root) has one more line."""
    original = Path.read_bytes

    def read_bytes(self):
        data = original(self)
        return data + b"\n# edited\n" if edited and self == ROOT / edited else data

    with monkeypatch.context() as patch:
        patch.setattr(Path, "read_bytes", read_bytes)
        return keys()


@pytest.mark.parametrize(
    ("edited", "code_changes", "pages_change"),
    [
        ("i18n/words/ko/bert-rag.yml", True, False),  # the words it prints through
        ("snippets/rag.py", True, False),
        ("docs/en/numpy.md", False, True),  # a page it searches
        ("snippets/gan.py", False, False),  # not imported
    ],
)
def test_a_labs_keys_follow_what_it_imports_prints_and_searches(
    monkeypatch, edited, code_changes, pages_change
):
    code = lab_code(ROOT / "docs/ko/labs/bert-rag.ipynb")
    unedited = code_inputs.inputs_keys(code)
    keys = edited_keys(monkeypatch, lambda: code_inputs.inputs_keys(code), edited)
    assert (keys[0] != unedited[0], keys[1] != unedited[1]) == (code_changes, pages_change)


def test_a_figure_that_reads_the_pages_has_a_pages_key_and_others_do_not(monkeypatch):
    rag = code_inputs.inputs_keys("import snippets.rag", "snippets.rag")
    assert rag[1] != "-"
    assert code_inputs.inputs_keys("import snippets.gan", "snippets.gan")[1] == "-"
    figures = load_hook("figures")
    folder = figures.figure_folder("rag-pipeline.svg", "snippets.rag:draw_rag_pipeline", "ko")
    assert folder.name == rag[1] and folder.parent.name != rag[0]  # its own key: name, function


def test_a_dirty_build_keeps_the_latest_output_made_from_earlier_pages(tmp_path):
    def complete(folder: Path) -> bool:
        return (folder / "out.svg").is_file()

    code = tmp_path / "codekey"
    assert code_inputs.variant(code, "pages1", dirty=True, complete=complete) == code / "pages1"
    for pages, when in (("pages1", 1000), ("pages2", 2000), ("pages3", 3000)):
        (code / pages).mkdir(parents=True)
        if pages != "pages3":  # pages3 was never finished
            (code / pages / "out.svg").write_text("<svg/>", encoding="utf-8")
        os.utime(code / pages, (when, when))
    # a full build uses, or makes, the output of the pages as they are now
    assert code_inputs.variant(code, "pages9", dirty=False, complete=complete) == code / "pages9"
    # a dirty build: the exact one if it is there, else the latest complete earlier one
    assert code_inputs.variant(code, "pages1", dirty=True, complete=complete) == code / "pages1"
    assert code_inputs.variant(code, "pages9", dirty=True, complete=complete) == code / "pages2"


def test_the_figures_are_found_without_importing_as_snippets_finds_them():
    import snippets

    found = {name: target.split(":")[0] for name, target in snippets.figures().items()}
    assert code_inputs.figure_modules() == found


def test_a_figures_table_that_is_not_a_literal_is_named(tree):
    (tree / "snippets/d.py").write_text("FIGURES = dict(a=1)\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"d\.py:1: FIGURES must be a dict literal"):
        code_inputs.figure_modules(tree)


def test_a_closure_asked_again_sees_edits_and_new_modules(tree):
    code = "import snippets.a\nfrom snippets import z"
    first = code_inputs.closure(code, root=tree)
    assert code_inputs.closure(code, root=tree) == first  # asked again: the same
    assert tree / "snippets/z.py" not in first and tree / "snippets/d.py" not in first
    (tree / "snippets/z.py").write_text("", encoding="utf-8")  # a module created later
    assert tree / "snippets/z.py" in code_inputs.closure(code, root=tree)
    (tree / "snippets/b.py").write_text("import snippets.d\n", encoding="utf-8")  # a new import
    assert tree / "snippets/d.py" in code_inputs.closure(code, root=tree)


@pytest.mark.parametrize("edited", ["i18n/words/ko/activations.yml", "snippets/plotting.py"])
def test_a_korean_words_edit_redraws_and_reruns_the_korean_outputs_only(monkeypatch, edited):
    """A translator's save to the Korean words table changes the keys of the Korean figures
    and labs, not the English ones (which print the code's own words); code changes both."""
    figures, notebooks = load_hook("figures"), load_hook("notebooks")
    labs = {lang: ROOT / "docs" / lang / "labs" / "activations.ipynb" for lang in ("ko", "en")}

    def keys():
        return {
            lang: (
                figures.figure_folder(
                    "activations.svg", "snippets.activations:draw_activations", lang
                ),
                notebooks.run_folder(nbformat.read(labs[lang], as_version=4), lang),
            )
            for lang in ("ko", "en")
        }

    before, after = keys(), edited_keys(monkeypatch, keys, edited)
    for lang in ("ko", "en"):
        changed = [a != b for a, b in zip(before[lang], after[lang], strict=True)]
        assert changed == [lang == "ko" or edited.startswith("snippets/")] * 2, (lang, changed)


def test_a_sources_language_is_its_nearest_language_folder(tmp_path):
    assert language_of_path(ROOT / "docs/ko/labs/x.ipynb") == "ko"
    assert language_of_path(tmp_path / "en" / "docs" / "en" / "labs" / "x.ipynb") == "en"
    assert language_of_path(tmp_path / "docs" / "x.ipynb") is None  # every language
