"""Figures and labs in the reader's language: the words tables, fonts and their checks."""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path

import pytest

from i18n.pages import read_notebook
from i18n.words import english_words, kept_names, svg_texts, words_problems
from snippets.plotting import MissingWords, language, new_figure, save_svg, translate

ROOT = Path(__file__).resolve().parent.parent


def test_the_site_has_no_words_problem():
    assert [str(p) for p in words_problems(ROOT)] == []


def test_translate_fills_fields_after_translating():
    table_entry = "layer (1 = closest to the input)"
    assert translate(table_entry, "ko") == "층 (1 = 입력에 가장 가까운 층)"
    assert translate("step {n}", "en", n=3) == "step 3"


def test_a_text_without_a_korean_entry_is_an_error():
    with pytest.raises(MissingWords, match="no entry for 'no such text'"):
        translate("no such text", "ko")
    with pytest.raises(ValueError, match="unknown language"):
        language("fr")


def _project(tmp_path: Path) -> Path:
    """A copy of the parts of the project the words check reads."""
    (tmp_path / "snippets").mkdir()
    (tmp_path / "docs" / "ko" / "labs").mkdir(parents=True)
    shutil.copytree(ROOT / "i18n" / "words", tmp_path / "i18n" / "words")
    for path in (tmp_path / "i18n" / "words" / "ko").glob("*.yml"):
        path.unlink()
    return tmp_path


def test_missing_unused_and_mismatched_entries_are_reported(tmp_path):
    root = _project(tmp_path)
    (root / "snippets" / "fig.py").write_text(
        'tr = print\ntr("a title")\ntr("step {n}", n=1)\n', encoding="utf-8"
    )
    (root / "i18n" / "words" / "ko" / "fig.yml").write_text(
        "step {n}: 단계 {m}\nold text: 옛 글\n", encoding="utf-8"
    )
    found = [str(p) for p in words_problems(root)]
    assert any(p.startswith("snippets/fig.py:2:") and "'a title'" in p for p in found), found
    assert any("i18n/words/ko/fig.yml:1:" in p and "fields" in p for p in found), found
    assert any("i18n/words/ko/fig.yml:2:" in p and "used by no tr()" in p for p in found), found


def test_a_broken_words_file_names_its_line(tmp_path):
    root = _project(tmp_path)
    (root / "i18n" / "words" / "ko" / "fig.yml").write_text(
        "fine: 좋음\nbroken: [unclosed\n", encoding="utf-8"
    )
    found = [str(p) for p in words_problems(root)]
    assert any(p.startswith("i18n/words/ko/fig.yml:") and "not valid YAML" in p for p in found)


def _notebook(path: Path, code: str) -> None:
    cell = {"cell_type": "code", "metadata": {}, "outputs": [], "source": [code]}
    cell["execution_count"] = None
    path.write_text(json.dumps({"cells": [cell], "metadata": {}, "nbformat": 4}), "utf-8")


def test_a_lab_in_the_wrong_language_or_none_is_reported(tmp_path):
    lab = tmp_path / "docs" / "ko" / "labs" / "x.ipynb"
    lab.parent.mkdir(parents=True)
    _notebook(lab, 'tr = language("en")\n')
    problems = [p.message for p in read_notebook(lab, "docs/ko/labs/x.ipynb").problems]
    assert any("language('en') in a 'ko' notebook" in p for p in problems)
    _notebook(lab, "x = 1\n")
    problems = [p.message for p in read_notebook(lab, "docs/ko/labs/x.ipynb").problems]
    assert any('no tr = language("ko")' in p for p in problems)


def test_twin_notebooks_compare_equal_apart_from_the_language_line(tmp_path):
    ko, en = tmp_path / "ko.ipynb", tmp_path / "en.ipynb"
    _notebook(ko, 'tr = language("ko")\n')
    _notebook(en, 'tr = language("en")\n')
    code_ko = read_notebook(ko, "docs/ko/labs/x.ipynb").of_kind("code")
    code_en = read_notebook(en, "docs/en/labs/x.ipynb").of_kind("code")
    assert [c.value for c in code_ko] == [c.value for c in code_en]


def test_english_words_are_found_and_kept_names_are_not():
    names = kept_names()
    assert english_words("ReLU, He 초기화", names) == []
    assert english_words("층별 기울기 (ReLU')", names) == []
    assert english_words("step 500: 7/8 modes", names) == ["step", "modes"]
    assert english_words("x_train.shape, f(x), 10^-3", names) == []
    assert english_words(r"$\mathdefault{10^{-13}}$", names) == []
    assert english_words("PyTorch, loss.backward()", names) == []
    assert english_words("-> ko/activations.md#relu-sigmoid-tanh <class 'float'>", names) == []
    assert english_words("mAP: 0.925, XOR를 배우는 신경망", names) == []
    assert english_words("RAG(Relevance-Augmented Generation)는 틀린 이름입니다", names) == []
    assert english_words("Relevance-Augmented Generation is wrong", names) != []


def test_a_korean_figure_uses_the_shipped_font_and_korean_words():
    buffer = io.BytesIO()
    tr = language("ko")
    fig = new_figure(3, 2, "ko")
    fig.subplots().set_xlabel(tr("layer (1 = closest to the input)"))
    save_svg(fig, buffer)
    svg = buffer.getvalue().decode()
    assert "층 (1 = 입력에 가장 가까운 층)" in svg_texts(svg)
    assert 'id="NanumGothic-' in svg  # Hangul glyphs drawn from NanumGothic, as paths


def test_a_missing_glyph_fails_the_figure():
    fig = new_figure(3, 2, "en")  # the English fonts have no Hangul
    fig.subplots().set_title("층")
    with pytest.raises(RuntimeError, match="missing glyph"):
        save_svg(fig, io.BytesIO())


def test_texts_drawn_or_printed_past_tr_are_reported(tmp_path):
    root = _project(tmp_path)
    (root / "snippets" / "fig.py").write_text(
        "def draw_x(out, lang):\n"
        "    ax.set_title('accuracy per epoch')\n"
        "    ax.plot([1], label=tr('fine'))\n"
        "    ax.set_xlabel('ReLU')\n",
        encoding="utf-8",
    )
    _notebook(root / "docs" / "ko" / "labs" / "x.ipynb", 'print(f"accuracy {acc:.2f}")\n')
    found = [str(p) for p in words_problems(root)]
    assert any(p.startswith("snippets/fig.py:2:") and "'accuracy'" in p for p in found), found
    assert any(p.startswith("docs/ko/labs/x.ipynb:1:") and "without tr()" in p for p in found)
    assert not any("ReLU" in p for p in found)  # a kept name is no English word
