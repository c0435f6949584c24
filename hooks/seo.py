"""MkDocs hooks: what a reader, a screen reader and a search engine meet.

1. Language alternates. Every page's ``<link rel="alternate" hreflang>`` is
   absolute (search engines ignore relative ones) and an ``x-default`` points
   at the Korean original. The sitemap (from mkdocs-static-i18n) carries the
   same alternates.
2. Descriptions. A notebook page has no front matter, so its
   ``<meta name="description">`` would be the site's; it gets the first
   paragraph of the notebook instead, in the notebook's language.
3. Notebook figures. nbconvert writes ``alt="No description has been
   provided for this image"``; each figure gets an alt text in the page's
   language naming the section it illustrates ("Figure 2: Derivatives").
4. Notebook heading ids. nbconvert derives ids from the heading text, which
   leaves Korean headings with empty ids; the language switch keeps the
   ``#anchor``, so both twins get the ids of the English notebook's headings,
   in order (twins must have the same headings, or the build fails).
5. 404 pages. mkdocs-static-i18n renders ``404.html`` once per language into
   the same file, the last language winning. The Korean one stays at
   ``/404.html`` (what static hosts serve for every missing path) and the
   English one is written to ``/en/404.html``.
6. Notebook images. nbconvert inlines every figure as a base64 PNG in the
   page's HTML; they are written next to the page as files instead, with
   their size and ``loading="lazy"``, so a lab page's HTML is small and
   figures below the fold load only when the reader gets there. The 570 KB
   of JupyterLab CSS nbconvert inlines in every lab page goes to one shared,
   content-hashed stylesheet that the browser caches across labs.
7. Sitemap. mkdocs-static-i18n's sitemap leaves out notebook pages (to it they
   are assets); it is rewritten from the built pages, every page with its
   hreflang alternates. ``robots.txt`` names it.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import html as html_lib
import json
import re
import struct
from pathlib import Path
from urllib.parse import urljoin

from mkdocs.exceptions import PluginError

DEFAULT_LANGUAGE = "ko"
# where each language lives below the site root
LANGUAGE_ROOTS = {"ko": "", "en": "en/"}
DESCRIPTION_LENGTH = 160
NBCONVERT_ALT = "No description has been provided for this image"
FIGURE_ALT = {"ko": "그림 {n}: {section}", "en": "Figure {n}: {section}"}

_ALTERNATE = re.compile(r'<link rel="alternate" href="([^"]*)" hreflang="([a-z-]+)">')
_HEADING_OR_IMG = re.compile(r"<h[1-6][^>]*>(.*?)</h[1-6]>|<img\b[^>]*>", re.S)
_TAG = re.compile(r"<[^>]+>")
_PARAGRAPH = re.compile(r"<p>(.*?)</p>", re.S)

# 404 output of each language build, by language
_not_found: dict[str, str] = {}


def page_language(page) -> str:
    return getattr(page.file, "locale_alternate_of", None) or DEFAULT_LANGUAGE


def text_of(fragment: str) -> str:
    """Plain text of an HTML fragment (no tags, no permalink signs, one space)."""
    text = html_lib.unescape(_TAG.sub("", fragment)).replace("¶", "")
    return " ".join(text.split())


def shorten(text: str, limit: int = DESCRIPTION_LENGTH) -> str:
    if len(text) <= limit:
        return text
    cut = text[: limit - 1].rsplit(" ", 1)[0]
    return cut.rstrip(",;:") + "…"


def notebook_description(html: str, where: str) -> str:
    """The first non-empty paragraph of a rendered notebook."""
    for match in _PARAGRAPH.finditer(html):
        text = text_of(match.group(1))
        if len(text) >= 20:
            return shorten(text)
    raise PluginError(f"{where}: the notebook has no paragraph to describe it (add one)")


def figure_alts(html: str, lang: str, where: str) -> str:
    """Replace nbconvert's placeholder alt text by "Figure n: <section heading>"."""
    section = None
    count = 0
    out = []
    last = 0
    for match in _HEADING_OR_IMG.finditer(html):
        if match.group(1) is not None:
            section = text_of(match.group(1))
            continue
        tag = match.group(0)
        if f'alt="{NBCONVERT_ALT}"' not in tag:
            continue
        if section is None:
            raise PluginError(f"{where}: a figure comes before any heading; it needs one")
        count += 1
        alt = html_lib.escape(FIGURE_ALT[lang].format(n=count, section=section), quote=True)
        out.append(html[last : match.start()])
        out.append(tag.replace(f'alt="{NBCONVERT_ALT}"', f'alt="{alt}"'))
        last = match.end()
    out.append(html[last:])
    return "".join(out)


_MD_HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$")
_NB_HEADING = re.compile(r'<h([1-6]) id="([^"]*)">(.*?)</h\1>', re.S)


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def notebook_headings(path: Path) -> list[str]:
    """The Markdown headings of a notebook, in order (fenced code skipped)."""
    headings = []
    for cell in json.loads(path.read_text(encoding="utf-8"))["cells"]:
        if cell["cell_type"] != "markdown":
            continue
        fenced = False
        for line in "".join(cell["source"]).splitlines():
            if line.lstrip().startswith(("```", "~~~")):
                fenced = not fenced
            match = None if fenced else _MD_HEADING.match(line)
            if match:
                headings.append(match.group(2))
    return headings


def notebook_ids(html: str, page, config) -> str:
    """Give the notebook's headings the English twin's ids, in the HTML and the TOC."""
    # abs_src_path is the executed copy in the cache; src_uri is "<lang>/labs/x.ipynb"
    lang, *rest = Path(page.file.src_uri).parts
    english = Path(config.docs_dir).joinpath("en", *rest)
    if lang not in LANGUAGE_ROOTS or not english.is_file():
        return html
    ids = [slug(text) or f"section-{i + 1}" for i, text in enumerate(notebook_headings(english))]
    found = _NB_HEADING.findall(html)
    if len(found) != len(ids):
        raise PluginError(
            f"{page.file.src_uri}: {len(found)} headings, but its English twin has {len(ids)}; "
            "twin notebooks need the same headings"
        )
    new = iter(ids)

    def rename(match: re.Match) -> str:
        level, old, inner = match.groups()
        new_id = next(new)
        inner = inner.replace(f'href="#{old}"', f'href="#{new_id}"', 1)
        return f'<h{level} id="{new_id}">{inner}</h{level}>'

    html = _NB_HEADING.sub(rename, html)
    renamed = iter(ids)

    def walk(items) -> None:
        for item in items:
            item.id = next(renamed, item.id)
            walk(item.children)

    walk(page.toc)
    return html


def on_page_content(html: str, page, config, files) -> str:
    if not page.file.src_uri.endswith(".ipynb"):
        return html
    lang = page_language(page)
    where = page.file.src_uri
    if not page.meta.get("description"):
        page.meta["description"] = notebook_description(html, where)
    html = notebook_ids(html, page, config)
    return figure_alts(html, lang, where)


def absolute_alternates(output: str, page_url: str, site_url: str) -> str:
    """Absolute hreflang links, plus x-default pointing at the Korean page."""
    default = None

    def absolute(match: re.Match) -> str:
        nonlocal default
        href, lang = match.groups()
        url = urljoin(site_url, urljoin("/" + page_url, href).lstrip("/"))
        if lang == DEFAULT_LANGUAGE:
            default = url
        return f'<link rel="alternate" href="{url}" hreflang="{lang}">'

    output = _ALTERNATE.sub(absolute, output)
    if default is not None:
        last = list(_ALTERNATE.finditer(output))[-1]
        extra = f'\n    <link rel="alternate" href="{default}" hreflang="x-default">'
        output = output[: last.end()] + extra + output[last.end() :]
    return output


SEARCH_LABEL = {"ko": "사이트 검색", "en": "Search the site"}
_SEARCH_DIALOG = '<div class="md-search" data-md-component="search" role="dialog">'
# blocks that scroll sideways when they are wider than the page: keyboard users
# reach them with Tab (Material does the same for its own code blocks)
_SCROLLABLE = re.compile(r'<div class="(highlight-ipynb[^"]*|arithmatex)"([^>]*)>')


def accessible(output: str, lang: str) -> str:
    """Name the search dialog and make wide blocks reachable by keyboard."""
    label = SEARCH_LABEL.get(lang, SEARCH_LABEL["en"])
    output = output.replace(_SEARCH_DIALOG, _SEARCH_DIALOG[:-1] + f' aria-label="{label}">')
    return _SCROLLABLE.sub(r'<div class="\1"\2 tabindex="0">', output)


_INLINE_PNG = re.compile(r'<img ([^>]*?)src="data:image/png;base64,([A-Za-z0-9+/=\s]+)"')


def extract_images(output: str, page, config) -> str:
    """Write inline PNGs of a notebook page to files beside it; lazy-load them."""
    folder = Path(config.site_dir) / Path(page.file.dest_uri).parent
    count = 0

    def extract(match: re.Match) -> str:
        nonlocal count
        count += 1
        data = base64.b64decode(match.group(2))
        name = f"figure-{count}.png"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(data)
        width, height = struct.unpack(">II", data[16:24])  # PNG IHDR
        attrs = match.group(1)
        return f'<img {attrs}src="{name}" width="{width}" height="{height}" loading="lazy"'

    return _INLINE_PNG.sub(extract, output)


_STYLE = re.compile(r"<style[^>]*>(.*?)</style>", re.S)
SHARED_CSS_MIN = 50_000  # only the big theme block; small page styles stay inline


def extract_styles(output: str, page, config) -> str:
    """Move a notebook page's large inline <style> blocks to shared, hashed files."""
    depth = len(Path(page.file.dest_uri).parent.parts)

    def extract(match: re.Match) -> str:
        css = match.group(1)
        if len(css) < SHARED_CSS_MIN:
            return match.group(0)
        digest = hashlib.sha256(css.encode("utf-8")).hexdigest()[:12]
        name = f"assets/stylesheets/jupyter-{digest}.css"
        target = Path(config.site_dir) / name
        if not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(css, encoding="utf-8")
        return f'<link rel="stylesheet" href="{"../" * depth}{name}">'

    return _STYLE.sub(extract, output)


def on_post_page(output: str, page, config) -> str:
    if page.file.src_uri.endswith(".ipynb"):
        output = extract_styles(extract_images(output, page, config), page, config)
    output = accessible(output, page_language(page))
    if not config.site_url:
        return output
    return absolute_alternates(output, page.url, config.site_url)


def on_template_context(context, template_name: str, config):
    """A 404 page has no twin: its language links lead to each language's home."""
    i18n = config.plugins.get("i18n")
    if template_name == "404.html" and i18n is not None and i18n.extra_alternate:
        homes = {alt["lang"]: alt["link"] for alt in i18n.extra_alternate}
        for alternate in config.extra.get("alternate") or []:
            if alternate.get("lang") in homes:
                alternate["link"] = homes[alternate["lang"]]
    return context


def on_post_template(output: str, template_name: str, config) -> str:
    """Keep each language's 404 page (the last build would overwrite the first)."""
    if template_name != "404.html":
        return output
    lang = config.theme.get("language") or DEFAULT_LANGUAGE
    output = accessible(output, lang)
    if config.site_url:
        output = absolute_alternates(output, "", config.site_url)
    _not_found[lang] = output
    return _not_found.get(DEFAULT_LANGUAGE, output)


def on_post_build(config) -> None:
    site = Path(config.site_dir)
    for lang, output in _not_found.items():
        target = site / "404.html" if lang == DEFAULT_LANGUAGE else site / lang / "404.html"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(output, encoding="utf-8")
    if config.site_url:
        write_sitemap(site, config.site_url)
        (site / "robots.txt").write_text(
            f"User-agent: *\nAllow: /\nSitemap: {urljoin(config.site_url, 'sitemap.xml')}\n",
            encoding="utf-8",
        )


def page_urls(site: Path) -> dict[str, str]:
    """Every built page, as {url: language}, from the ``index.html`` files."""
    pages = {}
    for index in sorted(site.rglob("index.html")):
        rel = index.parent.relative_to(site).as_posix()
        url = "" if rel == "." else rel + "/"
        if url.startswith(("assets/", "search/")):
            continue
        lang = url.split("/", 1)[0] if url.split("/", 1)[0] in LANGUAGE_ROOTS else DEFAULT_LANGUAGE
        pages[url] = lang
    return pages


def write_sitemap(site: Path, site_url: str) -> None:
    pages = page_urls(site)
    entries = []
    for url, lang in pages.items():
        path = url[len(LANGUAGE_ROOTS[lang]) :]
        alternates = {
            other: LANGUAGE_ROOTS[other] + path
            for other in LANGUAGE_ROOTS
            if LANGUAGE_ROOTS[other] + path in pages
        }
        link = '\n    <xhtml:link rel="alternate" hreflang="{}" href="{}"/>'
        links = "".join(
            link.format(other, urljoin(site_url, alt)) for other, alt in alternates.items()
        )
        if DEFAULT_LANGUAGE in alternates and len(alternates) > 1:
            default = urljoin(site_url, alternates[DEFAULT_LANGUAGE])
            links += link.format("x-default", default)
        entries.append(f"  <url>\n    <loc>{urljoin(site_url, url)}</loc>{links}\n  </url>")
    xml = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
        'xmlns:xhtml="http://www.w3.org/1999/xhtml">\n' + "\n".join(entries) + "\n</urlset>\n"
    )
    (site / "sitemap.xml").write_text(xml, encoding="utf-8")
    (site / "sitemap.xml.gz").write_bytes(gzip.compress(xml.encode("utf-8"), mtime=0))
