"""hooks/codeblocks.py: colourless token spans are dropped, and only those."""

from __future__ import annotations

import re
from pathlib import Path

import material

from tests.hookload import load_hook

codeblocks = load_hook("codeblocks")

BLOCK = (
    '<div class="language-python highlight"><pre><span></span><code>'
    '<span class="n">x</span><span class="w"> </span><span class="o">=</span>'
    '<span class="w"> </span><span class="n">np</span><span class="o">.</span>'
    '<span class="n">zeros</span><span class="p">(</span><span class="mi">3</span>'
    '<span class="p">)</span>\n</code></pre></div>'
)


def test_plain_names_and_whitespace_lose_their_spans_and_keep_their_text():
    out = codeblocks.plain_tokens(BLOCK)
    assert 'class="n"' not in out and 'class="w"' not in out
    assert re.sub(r"<[^>]+>", "", out) == re.sub(r"<[^>]+>", "", BLOCK)  # the same text
    assert out.count('<span class="o">') == 2 and '<span class="mi">3</span>' in out
    assert '<code tabindex="0">' in out  # reachable by keyboard before Material sets it up


def test_other_html_is_left_alone():
    notebook = '<div class="highlight-ipynb hl-python"><pre><span class="n">x</span></pre></div>'
    prose = '<p><span class="n">x</span></p>'
    signature = BLOCK.replace("python highlight", "python doc-signature highlight")
    assert codeblocks.plain_tokens(notebook + prose) == notebook + prose
    assert 'class="n"' not in codeblocks.plain_tokens(signature)


def material_css() -> str:
    folder = Path(material.__file__).parent / "templates" / "assets" / "stylesheets"
    return "".join(p.read_text(encoding="utf-8") for p in folder.glob("*.min.css"))


def colours(css: str, cls: str) -> list[str]:
    """The colour declarations of every rule whose selector names ``.highlight .cls``."""
    found = []
    for selectors, body in re.findall(r"([^{}]+)\{([^{}]*)\}", css):
        if re.search(rf"\.highlight \.{cls}(?![\w-])", selectors):
            found += re.findall(r"(?:^|;)\s*((?:background-)?color:[^;]+)", body)
    return found


def colourless(css: str) -> bool:
    """Material shows ``n`` in the code's own colour and gives ``w`` no colour."""
    name = re.findall(r"--md-code-hl-name-color:([^;}]+)", css)
    return (
        bool(name)
        and set(name) == {"var(--md-code-fg-color)"}
        and colours(css, "n") == ["color:var(--md-code-hl-name-color)"]
        and colours(css, "w") == []
    )


def test_materials_stylesheet_gives_those_spans_no_colour_of_their_own():
    css = material_css()
    assert codeblocks.CLASSES == ("n", "w")
    assert colourless(css)


def test_the_check_fails_when_a_theme_colours_them():
    css = material_css()
    assert not colourless(css + ".highlight .w{color:red}")
    name = "--md-code-hl-name-color:"
    assert not colourless(css.replace(name + "var(--md-code-fg-color)", name + "#123"))
