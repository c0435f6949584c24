"""Unit tests of hooks/seo.py (alternates, sitemap) and hooks/notebooks.py (descriptions, alts)."""

from __future__ import annotations

import pytest
from mkdocs.exceptions import PluginError

from tests.hookload import load_hook

seo = load_hook("seo")
notebooks = load_hook("notebooks")

SITE = "https://example.org/docs/"


def test_alternates_become_absolute_with_an_x_default():
    head = (
        '<link rel="alternate" href="/activations/" hreflang="ko">\n'
        '<link rel="alternate" href="/en/activations/" hreflang="en">'
    )
    out = seo.absolute_alternates(head, "en/activations/", SITE)
    assert 'href="https://example.org/docs/activations/" hreflang="ko"' in out
    assert 'href="https://example.org/docs/en/activations/" hreflang="en"' in out
    assert 'href="https://example.org/docs/activations/" hreflang="x-default"' in out


def test_notebook_figures_get_alt_text_from_their_section():
    html = (
        '<h2 id="a">Plot it</h2><img alt="No description has been provided for this image" src="x">'
        '<h2 id="b">그리기</h2><img alt="No description has been provided for this image" src="y">'
        '<img alt="kept" src="z">'
    )
    out = notebooks.figure_alts(html, "en", "lab.ipynb")
    assert 'alt="Figure 1: Plot it"' in out
    assert 'alt="Figure 2: 그리기"' in out
    assert 'alt="kept"' in out
    assert "No description" not in out


def test_a_figure_before_any_heading_is_an_error():
    html = '<img alt="No description has been provided for this image" src="x">'
    with pytest.raises(PluginError, match=r"lab\.ipynb: a figure comes before any heading"):
        notebooks.figure_alts(html, "ko", "lab.ipynb")


def test_notebook_description_is_the_first_real_paragraph():
    html = "<p>¶</p><p>The lab of the chapter. Run the cells from top to bottom, in order.</p>"
    assert notebooks.notebook_description(html, "x").startswith("The lab of the chapter.")
    long = "<p>" + "word " * 100 + "</p>"
    assert len(notebooks.notebook_description(long, "x")) <= notebooks.DESCRIPTION_LENGTH
    with pytest.raises(PluginError, match="x: the notebook has no paragraph"):
        notebooks.notebook_description("<p>short</p>", "x")


def test_sitemap_lists_every_page_with_its_twins(tmp_path):
    for url in ["", "a/", "labs/n/", "en/", "en/a/", "en/labs/n/", "only-ko/"]:
        (tmp_path / url).mkdir(parents=True, exist_ok=True)
        (tmp_path / url / "index.html").write_text("x", encoding="utf-8")
    (tmp_path / "assets/x").mkdir(parents=True)
    (tmp_path / "assets/x/index.html").write_text("x", encoding="utf-8")
    seo.write_sitemap(tmp_path, SITE)
    xml = (tmp_path / "sitemap.xml").read_text(encoding="utf-8")
    assert xml.count("<url>") == 7  # assets/ is not a page
    assert "<loc>https://example.org/docs/labs/n/</loc>" in xml
    assert 'hreflang="en" href="https://example.org/docs/en/labs/n/"' in xml
    only = xml.split("<loc>https://example.org/docs/only-ko/</loc>")[1].split("</url>")[0]
    assert "hreflang" not in only.replace('hreflang="ko"', "")
