"""MkDocs hook: math rendered at build time, so pages ship KaTeX's CSS and fonts, no math script.

Markdown pages: pymdownx.arithmatex (generic) wraps each formula as
``<span class="arithmatex">\\(…\\)</span>`` or ``<div class="arithmatex">\\[…\\]</div>``.
Notebook pages: nbconvert leaves ``$…$`` and ``$$…$$`` in the text of markdown
cells. Both become KaTeX's HTML (with MathML for screen readers), rendered by the
site's own copy of KaTeX (``docs/assets/vendor/katex/katex.min.js``) inside V8
(``mini-racer``): the same renderer the browser ran before, now run once, here.

A formula KaTeX cannot parse fails the build, naming the page and the formula.
The renderer is created for each build (``on_pre_build``): nothing outlives a
rebuild of ``mkdocs serve`` but the KaTeX source it reads again.
"""

from __future__ import annotations

import html
import logging
import re
import time
from pathlib import Path

from mkdocs.exceptions import PluginError

log = logging.getLogger("mkdocs.hooks.formulas")

ROOT = Path(__file__).resolve().parent.parent
KATEX = ROOT / "docs" / "assets" / "vendor" / "katex" / "katex.min.js"

ARITHMATEX = re.compile(r'<(span|div) class="arithmatex">(.*?)</\1>', re.S)
TAG = re.compile(r"(<[^>]+>)")
# notebook text: $$display$$ first, then $inline$ (no newline, not "$ 5")
DOLLARS = re.compile(r"\$\$(.+?)\$\$|\$(?!\s)([^$\n]+?)(?<!\s)\$", re.S)
# elements whose text is code or output, never math
SKIP_TAGS = {"pre", "code", "script", "style", "textarea"}
SKIP_CLASSES = ("jp-CodeCell", "jp-OutputArea", "highlight")
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}


class Renderer:
    """KaTeX in an embedded V8, loaded once per build."""

    def __init__(self, source: Path = KATEX):
        from py_mini_racer import MiniRacer

        self.context = MiniRacer()
        self.context.eval(source.read_text(encoding="utf-8"))
        self.count = 0
        self.seconds = 0.0

    def render(self, tex: str, display: bool, where: str) -> str:
        """KaTeX HTML of ``tex``.

        Raises:
            PluginError: KaTeX cannot parse ``tex``; the message names ``where``.
        """
        started = time.perf_counter()
        try:
            out = self.context.call(
                "katex.renderToString",
                tex,
                {"displayMode": display, "throwOnError": True, "output": "htmlAndMathml"},
            )
        except Exception as error:  # KaTeX's ParseError arrives as a JS exception
            message = str(error).strip().splitlines()[0]
            raise PluginError(f"{where}: KaTeX cannot render {tex!r}: {message}") from None
        self.count += 1
        self.seconds += time.perf_counter() - started
        return out


def render_markdown_math(content: str, renderer: Renderer, where: str) -> str:
    """Replace every arithmatex element of a Markdown page with its KaTeX HTML."""

    def one(match: re.Match) -> str:
        tag, body = match.groups()
        tex = html.unescape(body).strip()
        display = tex.startswith("\\[")
        if tex[:2] in ("\\(", "\\[") and tex[-2:] in ("\\)", "\\]"):
            tex = tex[2:-2]
        rendered = renderer.render(tex.strip(), display, where)
        return f'<{tag} class="arithmatex">{rendered}</{tag}>'

    return ARITHMATEX.sub(one, content)


def render_notebook_math(content: str, renderer: Renderer, where: str) -> str:
    """Render ``$…$`` and ``$$…$$`` in the text of a notebook page's markdown cells."""
    pieces = TAG.split(content)
    stack: list[bool] = []  # for each open element: is its text code or output?
    out = []
    for piece in pieces:
        if piece.startswith("<") and piece.endswith(">"):
            out.append(piece)
            name = re.match(r"</?\s*([A-Za-z0-9]+)", piece)
            if not name or piece.startswith("<!"):
                continue
            tag = name.group(1).lower()
            if piece.startswith("</"):
                if stack:
                    stack.pop()
            elif tag not in VOID and not piece.endswith("/>"):
                classes = re.search(r'class="([^"]*)"', piece)
                skip = tag in SKIP_TAGS or bool(
                    classes and any(c in classes.group(1) for c in SKIP_CLASSES)
                )
                stack.append(skip or (bool(stack) and stack[-1]))
            continue
        if (stack and stack[-1]) or "$" not in piece:
            out.append(piece)
            continue

        def one(match: re.Match) -> str:
            display = match.group(1) is not None
            tex = html.unescape(match.group(1) if display else match.group(2)).strip()
            rendered = renderer.render(tex, display, where)
            tag = "div" if display else "span"
            return f'<{tag} class="arithmatex">{rendered}</{tag}>'

        out.append(DOLLARS.sub(one, piece))
    return "".join(out)


# --------------------------------------------------------------------------
# Events
# --------------------------------------------------------------------------

_build: dict = {}


def on_pre_build(config) -> None:
    _build.clear()
    _build["renderer"] = Renderer()


def on_page_content(html_content: str, page, config, files) -> str:
    renderer: Renderer = _build.get("renderer") or Renderer()
    _build["renderer"] = renderer
    where = page.file.src_uri
    if where.endswith(".ipynb"):
        return render_notebook_math(html_content, renderer, where)
    return render_markdown_math(html_content, renderer, where)


def on_post_build(config) -> None:
    renderer = _build.get("renderer")
    if renderer is not None:
        log.info("Rendered %d formulas with KaTeX in %.1f s", renderer.count, renderer.seconds)
