"""hooks/figures.py on the pages: drawn figures get their size, later images load lazily."""

from __future__ import annotations

import pytest

from tests.hookload import load_hook

figures = load_hook("figures")

SVG = (
    b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg"'
    b' width="460.8pt" height="345.6pt" viewBox="0 0 460.8 345.6">'
)


def test_svg_size_in_css_pixels():
    assert figures.svg_size(SVG) == (614, 461)  # 1 pt = 4/3 px
    assert figures.svg_size(b'<svg width="100" height="50px">') == (100, 50)
    assert figures.svg_size(b'<svg width="100%" height="50">') is None  # no fixed size
    assert figures.svg_size(b"<html>") is None


PAGE = (
    '<p><img alt="a" src="../assets/figures/top.svg" /></p>'
    '<h2 id="x">X</h2>'
    '<p><img alt="b" src="../assets/figures/later.svg"></p>'
    '<p><img alt="c" src="photo.png" loading="eager" /></p>'
)


def test_sized_and_lazy():
    out = figures.sized_and_lazy(PAGE, {"top.svg": (614, 461), "later.svg": (672, 346)})
    top, later, photo = out.split("<img")[1:]
    # the first screen loads at once; after the first section, lazily
    assert 'width="614" height="461"' in top and "loading" not in top
    assert 'width="672" height="346" loading="lazy" decoding="async"' in later
    assert 'loading="eager"' in photo and "lazy" not in photo and "width" not in photo


@pytest.mark.parametrize("html", ["<p>no images</p>", '<img alt="a" src="x.svg" />'])
def test_pages_without_a_section_or_a_known_figure_are_left_alone(html):
    assert figures.sized_and_lazy(html, {}).replace(" />", ">") == html.replace(" />", ">")


def test_a_wrong_size_table_is_caught():
    """The check can fail: a figure missing from the sizes gets no size."""
    out = figures.sized_and_lazy(PAGE, {})
    assert "width=" not in out
