"""The built site: strict build, languages, notebooks, figures, and no third-party request."""

from __future__ import annotations

import html as html_module
import json
import os
import re
import shutil
from pathlib import Path

import pytest

from tests.offline import third_party_requests
from tools.sitebuild import build

pytestmark = pytest.mark.build

HANGUL = re.compile(r"[가-힣]")
ROOT = Path(__file__).resolve().parent.parent
OWN_HOSTS = {"127.0.0.1:8000"}  # site_url when SITE_URL is unset


def html(site: Path, url: str) -> str:
    return (site / url / "index.html").read_text(encoding="utf-8")


def docs_copy(tmp_path: Path) -> Path:
    docs = tmp_path / "docs"
    shutil.copytree(ROOT / "docs", docs)
    return docs


# ---------------------------------------------------------------------------
# Languages
# ---------------------------------------------------------------------------


def test_html_lang_matches_the_language_folder(site):
    for page in site.rglob("*.html"):
        rel = page.relative_to(site).as_posix()
        expected = "en" if rel.startswith("en/") else "ko"
        assert re.search(rf'<html lang="{expected}"', page.read_text(encoding="utf-8")), rel


@pytest.mark.parametrize("page", ["activations/", "labs/activations/", "reference/snippets/"])
def test_language_links_lead_to_the_twin(site, page):
    ko, en = html(site, page), html(site, "en/" + page)
    for text in (ko, en):
        assert f'href="/en/{page}" hreflang="en"' in text
        assert f'href="/{page}" hreflang="ko"' in text


def test_navigation_is_translated(site):
    assert "활성화 함수" in html(site, "activations/")
    en = html(site, "en/activations/")
    assert ">\n    Chapters\n" in en or "Chapters" in en
    assert "활성화 함수" not in en.split('<div class="md-content"')[0]


def test_heading_ids_are_the_same_in_both_languages(site):
    ids = [
        set(re.findall(r'<h[1-6] id="([^"]+)"', html(site, prefix + "activations/")))
        for prefix in ("", "en/")
    ]
    assert ids[0] == ids[1]
    assert {"vanishing-gradients", "xor", "self-check"} <= ids[0]


# ---------------------------------------------------------------------------
# Notebooks, figures, math
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("prefix", ["", "en/"])
def test_notebook_page_is_rendered_with_outputs(site, prefix):
    text = html(site, prefix + "labs/activations/")
    assert text.count("jp-CodeCell") >= 4  # rendered cells, not raw source
    assert '"cell_type"' not in text
    # executed: the plots are there, as files beside the page (hooks/seo.py)
    assert 'src="figure-1.png"' in text
    png = (site / prefix / "labs/activations/figure-1.png").read_bytes()
    assert png.startswith(b"\x89PNG")
    assert "data:image/png;base64," not in text
    download = site / prefix / "labs/activations/activations.ipynb"
    assert '"outputs": [\n' in download.read_text(encoding="utf-8")
    assert 'href="activations.ipynb" download' in text


def test_every_figure_is_drawn_and_shown_in_both_languages(site):
    """Each language has its own drawing of every figure, under the same name."""
    import snippets

    pages = {
        lang: "".join(p.read_text(encoding="utf-8") for p in (ROOT / "docs" / lang).rglob("*.md"))
        for lang in ("ko", "en")
    }
    figures = snippets.figures()
    assert len(figures) >= 20
    for name in figures:
        drawn = {}
        for lang, prefix in (("ko", ""), ("en", "en/")):
            svg = (site / prefix / "assets/figures" / name).read_text(encoding="utf-8")
            assert svg.lstrip().startswith("<?xml") and "<svg" in svg[:1000], name
            assert f"assets/figures/{name}" in pages[lang], f"docs/{lang}: no page shows {name}"
            drawn[lang] = svg
        assert set(os.listdir(site / "assets/figures")) == set(
            os.listdir(site / "en/assets/figures")
        )
    assert 'src="../assets/figures/activations.svg"' in html(site, "activations/")
    assert 'src="../assets/figures/activations.svg"' in html(site, "en/activations/")


@pytest.mark.parametrize("prefix", ["", "en/"])
def test_figures_on_pages_are_sized_and_later_ones_lazy(site, prefix):
    """Every drawn figure on a chapter has its box reserved (width and height of the SVG);
    those after the first section heading load lazily."""
    seen = 0
    for page in sorted((site / prefix).glob("*/index.html")):
        text = page.read_text(encoding="utf-8")
        article = text[text.find("<article") : text.find("</article>")]
        first_section = article.find("<h2")
        for match in re.finditer(r"<img\b[^>]*assets/figures/[^>]*>", article):
            seen += 1
            tag = match.group()
            assert re.search(r' width="\d+" height="\d+"', tag), (page, tag[:80])
            assert ('loading="lazy"' in tag) == (0 <= first_section < match.start()), (page, tag)
    assert seen >= 20


def test_a_korean_reader_sees_korean_figures(site):
    """Korean figures: Korean words, drawn from the shipped font; English figures: no Hangul."""
    from i18n.words import english_words, kept_names, svg_texts

    names = kept_names()
    problems = []
    for path in sorted((site / "assets/figures").glob("*.svg")):
        svg = path.read_text(encoding="utf-8")
        texts = svg_texts(svg)
        if any(HANGUL.search(t) for t in texts):
            assert 'id="NanumGothic-' in svg, f"{path.name}: Hangul not drawn from NanumGothic"
        for text in texts:
            if english_words(text, names):
                problems.append(f"{path.name}: {text!r}")
        english = (site / "en/assets/figures" / path.name).read_text(encoding="utf-8")
        assert not any(HANGUL.search(t) for t in svg_texts(english)), f"en/{path.name}"
    assert problems == [], "English words in Korean figures:\n" + "\n".join(problems)


def test_a_korean_reader_sees_korean_lab_output(site):
    """What the Korean labs print is Korean (names kept in Latin script aside)."""
    from i18n.words import english_words, kept_names

    names = kept_names()
    problems = []
    seen = 0
    for page in sorted((site / "labs").glob("*/index.html")):
        text = page.read_text(encoding="utf-8")
        outputs = re.findall(
            r'jp-RenderedText jp-OutputArea-output"[^>]*>\s*<pre>(.*?)</pre>', text, re.DOTALL
        )
        seen += len(outputs)
        for output in outputs:
            plain = html_module.unescape(re.sub(r"<[^>]+>", "", output))
            for line in plain.splitlines():
                if english_words(line, names):
                    problems.append(f"{page.parent.name}: {line.strip()!r}")
    assert seen >= 8, "the labs print almost nothing: is the output selector still right?"
    assert problems == [], "English in Korean lab outputs:\n" + "\n".join(problems[:40])


def test_math_is_rendered_at_build_time(site):
    """Formulas arrive as KaTeX HTML with MathML; no page loads a math script."""
    for url in ("activations/", "en/activations/", "labs/activations/", "en/labs/activations/"):
        text = html(site, url)
        assert '<span class="katex">' in text, url
        assert "<math" in text, url  # MathML for screen readers
        assert "katex.min.js" not in text and "auto-render" not in text, url
        assert "assets/vendor/katex/katex.min.css" in text, url
        prose = re.sub(r"<(annotation|script)[^>]*>.*?</\1>", "", text, flags=re.S)
        assert "\\(" not in prose, url  # no formula left for a script to render
    assert (site / "assets/vendor/katex/fonts/KaTeX_Main-Regular.woff2").exists()
    assert not (site / "assets/vendor/katex/katex.min.js").exists()  # a build-time tool only


def test_a_formula_katex_cannot_parse_fails_the_build(tmp_path):
    import importlib.util

    from mkdocs.exceptions import PluginError

    spec = importlib.util.spec_from_file_location("formulas", ROOT / "hooks" / "formulas.py")
    formulas = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(formulas)
    renderer = formulas.Renderer()
    page = '<p>Fine: <span class="arithmatex">\\(x^2\\)</span></p>'
    assert 'class="katex"' in formulas.render_markdown_math(page, renderer, "ko/x.md")
    broken = '<p><span class="arithmatex">\\(\\frac{1}{\\)</span></p>'
    with pytest.raises(PluginError, match=r"ko/x\.md: KaTeX cannot render"):
        formulas.render_markdown_math(broken, renderer, "ko/x.md")
    notebook = '<div class="jp-RenderedMarkdown"><p>$a_1$ and</p></div><pre>$not math$</pre>'
    out = formulas.render_notebook_math(notebook, renderer, "ko/labs/x.ipynb")
    assert out.count('class="katex"') == 1 and "<pre>$not math$</pre>" in out


# ---------------------------------------------------------------------------
# Offline and private
# ---------------------------------------------------------------------------


def test_no_request_to_a_third_party_host(site):
    assert third_party_requests(site, OWN_HOSTS) == []
    for page in site.rglob("*.html"):
        text = page.read_text(encoding="utf-8")
        # Material fetches GitHub stars for this component; overrides/ removes it
        assert 'data-md-component="source"' not in text, page
        assert "fonts.googleapis.com" not in text, page


def test_the_offline_check_can_fail(tmp_path):
    (tmp_path / "index.html").write_text(
        '<html><head><link rel="stylesheet" href="https://fonts.googleapis.com/css">\n'
        '<script src="https://cdn.jsdelivr.net/npm/mathjax@3/es5/tex-mml-chtml.js"></script>'
        '</head><body><img src="//example.com/x.png"><a href="https://arxiv.org/">ok</a>'
        "</body></html>",
        encoding="utf-8",
    )
    (tmp_path / "x.css").write_text("@font-face{src:url(https://x.org/f.woff2)}", encoding="utf-8")
    found = third_party_requests(tmp_path, OWN_HOSTS)
    assert len(found) == 4  # the <a> link is not a request
    assert found[0] == "index.html:1: https://fonts.googleapis.com/css"


# ---------------------------------------------------------------------------
# Bad input: the build fails or warns visibly, naming the file
# ---------------------------------------------------------------------------


def test_page_without_twin_falls_back_with_a_banner(site, tmp_path):
    docs = docs_copy(tmp_path)
    (docs / "en/reference/snippets.md").unlink()
    (docs / "en/index.md").write_text(
        (docs / "en/index.md").read_text(encoding="utf-8"), encoding="utf-8"
    )
    out = tmp_path / "site"
    result = build(out, docs)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "ko/reference/snippets.md has no en twin" in result.stderr
    text = html(out, "en/reference/snippets/")
    assert '<html lang="en"' in text
    assert "Not translated yet" in text


def test_broken_anchor_and_missing_snippet_fail_the_strict_build(site, tmp_path):
    docs = docs_copy(tmp_path)
    page = docs / "en/activations.md"
    page.write_text(
        page.read_text(encoding="utf-8").replace("(#vanishing-gradients)", "(#no-such-anchor)"),
        encoding="utf-8",
    )
    result = build(tmp_path / "site", docs, language="en")
    assert result.returncode != 0
    assert "en/activations.md" in result.stderr and "no-such-anchor" in result.stderr

    page.write_text(
        page.read_text(encoding="utf-8").replace("activations.py:xor", "activations.py:nope"),
        encoding="utf-8",
    )
    result = build(tmp_path / "site2", docs, language="en")
    assert result.returncode != 0
    assert "nope" in result.stderr


def test_malformed_front_matter_fails_the_build(site, tmp_path):
    docs = docs_copy(tmp_path)
    page = docs / "ko/index.md"
    page.write_text("---\ndescription: a: b\n---\n\n# 홈 { #home }\n", encoding="utf-8")
    result = build(tmp_path / "site", docs, language="ko")
    assert result.returncode != 0
    assert "ko/index.md:2: malformed front matter" in result.stderr


def test_twin_notebooks_with_different_headings_fail_the_build(site, tmp_path):
    docs = docs_copy(tmp_path)
    notebook = docs / "en/labs/activations.ipynb"
    data = json.loads(notebook.read_text(encoding="utf-8"))
    first = next(c for c in data["cells"] if c["cell_type"] == "markdown")
    first["source"] = [*first["source"], "\n\n## An extra heading\n"]
    notebook.write_text(json.dumps(data), encoding="utf-8")
    result = build(tmp_path / "site", docs, language="ko")
    assert result.returncode != 0
    assert "ko/labs/activations.ipynb" in result.stderr
    assert "twin notebooks need the same headings" in result.stderr


def test_notebook_figures_are_palette_pngs_with_their_size(site):
    """hooks/notebooks.py: figures beside a lab are 256-colour PNGs, sized in the HTML."""
    import struct

    for prefix in ["", "en/"]:
        text = html(site, prefix + "labs/generative/")
        tags = re.findall(r'<img [^>]*src="figure-\d+\.png"[^>]*>', text)
        assert tags, prefix
        for tag in tags:
            assert tag.count(" loading=") == 1, tag  # all after the first section
            name = re.search(r'src="([^"]+)"', tag)[1]
            png = (site / prefix / "labs/generative" / name).read_bytes()
            width, height, _depth, colour = struct.unpack(">IIBB", png[16:26])
            assert colour == 3, f"{prefix}labs/generative/{name}: not a palette PNG"
            assert f'width="{width}" height="{height}"' in tag
