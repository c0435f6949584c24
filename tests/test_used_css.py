"""hooks/used_css.py: a notebook page keeps the CSS it can use, and only that.

The browser test ``test_notebook_pages_keep_every_style_they_use`` proves it on
the built labs (no computed style changes when the whole CSS is put back); these
pin down each rule of the pruning on small inputs.
"""

from __future__ import annotations

import pytest

from tests.hookload import load_hook

PAGE = """<html><body data-md-color-scheme="default">
<div class="jupyter-wrapper"><div class="jp-Cell" id="cell-1" style="color: var(--jp-from-style)">
<pre class="highlight-ipynb"><span class="p">(</span></pre><a href="#x">link</a></div></div>
</body></html>"""


@pytest.fixture
def used_css(tmp_path, monkeypatch):
    module = load_hook("used_css")
    monkeypatch.setattr(module, "CACHE", tmp_path)
    page = module.Page(PAGE)
    return lambda *sheets: module.used_css(list(sheets), page)


def test_keeps_rules_that_match_and_drops_the_others(used_css):
    (css,) = used_css(
        ".jp-Cell{margin:0}.jp-Dialog{margin:1px}#cell-1{padding:0}#cell-2{padding:1px}"
    )
    assert css == ".jp-Cell{margin:0}#cell-1{padding:0}"


def test_a_selector_list_keeps_only_its_matching_selectors(used_css):
    (css,) = used_css(".jp-Dialog,.jupyter-wrapper .jp-Cell,.jp-Menu{color:red}")
    assert css == ".jupyter-wrapper .jp-Cell{color:red}"


def test_structure_counts_not_only_names(used_css):
    # body exists, but never inside the wrapper; the cell is never a direct child of body
    (css,) = used_css(".jupyter-wrapper body{color:red}body>.jp-Cell{color:red}a{color:blue}")
    assert css == "a{color:blue}"


def test_states_pseudo_elements_and_attributes_count_as_possible(used_css):
    (css,) = used_css(
        "a:hover{color:red}.jp-Cell::before{content:''}"
        "[data-md-color-scheme=slate] .jupyter-wrapper{color:white}"
        ".jp-Cell:not(.jp-mod-active) .p{opacity:.5}"
        ".jp-Dialog:hover{color:red}"
    )
    assert "a:hover" in css and ".jp-Cell::before" in css
    assert "[data-md-color-scheme=slate] .jupyter-wrapper" in css  # the dark palette
    assert ":not(.jp-mod-active)" in css
    assert ".jp-Dialog" not in css


def test_media_blocks_are_pruned_inside_and_dropped_when_empty(used_css):
    (css,) = used_css(
        "@media (max-width:600px){.jp-Cell{margin:0}.jp-Dialog{margin:0}}"
        "@media print{.jp-Dialog{display:none}}@keyframes spin{to{opacity:1}}"
    )
    assert css == "@media (max-width:600px){.jp-Cell{margin:0}}@keyframes spin{to{opacity:1}}"


def test_custom_properties_stay_when_used_in_any_sheet(used_css):
    theme = (
        ".jupyter-wrapper{--jp-used:red;--jp-chained:var(--jp-deep);--jp-deep:1px;"
        "--jp-from-style:blue;--jp-unused:green;--md-kept:0}"
    )
    code = ".highlight-ipynb .p{color:var(--jp-used);border-width:var(--jp-chained)}"
    theme_css, code_css = used_css(theme, code)
    for name in ("--jp-used", "--jp-chained", "--jp-deep", "--jp-from-style", "--md-kept"):
        assert name in theme_css
    assert "--jp-unused" not in theme_css
    assert code_css == code


def test_what_the_engine_cannot_read_is_kept(used_css):
    (css,) = used_css(".jp-Cell:unknown-future-thing{color:red}")
    assert css == ".jp-Cell:unknown-future-thing{color:red}"


def test_nothing_left_is_an_empty_sheet(used_css):
    assert used_css(".jp-Dialog{color:red}", "['pre { line-height: 125%; }']") == ["", ""]


def test_the_result_is_kept_by_content(used_css, tmp_path):
    first = used_css(".jp-Cell{margin:0}")
    assert len(list(tmp_path.rglob("*.json"))) == 1
    assert used_css(".jp-Cell{margin:0}") == first
    used_css(".jp-Cell{margin:1px}")
    assert len(list(tmp_path.rglob("*.json"))) == 2


def test_the_same_names_in_another_structure_are_pruned_again(tmp_path, monkeypatch):
    module = load_hook("used_css")
    monkeypatch.setattr(module, "CACHE", tmp_path)
    css = [".a > .b{color:red}"]
    nested = module.Page('<div class="a"><p class="b">x</p></div>')
    apart = module.Page('<div class="a"></div><p class="b">x</p>')
    assert module.used_css(css, nested) == [".a > .b{color:red}"]
    assert module.used_css(css, apart) == [""]
