"""MkDocs hook: what a screen reader and a search engine meet (notebooks: hooks/notebooks.py).

1. Language alternates. Every page's ``<link rel="alternate" hreflang>`` is
   absolute (search engines ignore relative ones) and an ``x-default`` points
   at the Korean original. The sitemap (from mkdocs-static-i18n) carries the
   same alternates.
2. Accessibility. The search dialog gets a name in the page's language, and
   blocks that scroll sideways are reachable with Tab.
3. 404 pages. mkdocs-static-i18n renders ``404.html`` once per language into
   the same file, the last language winning. The Korean one stays at
   ``/404.html`` (what static hosts serve for every missing path) and the
   English one is written to ``/en/404.html``.
4. Sitemap. mkdocs-static-i18n's sitemap leaves out notebook pages (to it they
   are assets); it is rewritten from the built pages, every page with its
   hreflang alternates. ``robots.txt`` names it.
"""

from __future__ import annotations

import gzip
import re
from pathlib import Path
from urllib.parse import urljoin

from docs_build import (
    DEFAULT,
    LANGUAGES,
    PRIORITY,
    build_language,
    language_home,
    page_language,
    root,
    theme_alternates,
)
from mkdocs.plugins import event_priority

DEFAULT_LANGUAGE = DEFAULT
# where each language lives below the site root
LANGUAGE_ROOTS = {lang: root(lang) for lang in LANGUAGES}

_ALTERNATE = re.compile(r'<link rel="alternate" href="([^"]*)" hreflang="([a-z-]+)">')

# 404 output of each language build of this site build, by language. A site
# build is the Korean build with the English one nested in it (mkdocs-static-i18n),
# so this is emptied when the outermost build starts (builds are counted).
_not_found: dict[str, str] = {}
_depth = [0]


def on_pre_build(config) -> None:
    _depth[0] += 1
    if _depth[0] == 1:
        _not_found.clear()


def on_build_error(error) -> None:
    _depth[0] = 0


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


def on_post_page(output: str, page, config) -> str:
    output = accessible(output, page_language(page))
    if not config.site_url:
        return output
    return absolute_alternates(output, page.url, config.site_url)


def on_template_context(context, template_name: str, config):
    """A 404 page has no twin: its language links lead to each language's home."""
    if template_name == "404.html":
        for alternate in theme_alternates(config):
            if alternate.get("lang"):
                alternate["link"] = language_home(config, alternate["lang"])
    return context


def on_post_template(output: str, template_name: str, config) -> str:
    """Keep each language's 404 page (the last build would overwrite the first)."""
    if template_name != "404.html":
        return output
    lang = build_language(config)
    output = accessible(output, lang)
    if config.site_url:
        output = absolute_alternates(output, "", config.site_url)
    _not_found[lang] = output
    return _not_found.get(DEFAULT_LANGUAGE, output)


@event_priority(PRIORITY["seo.on_post_build"])
def on_post_build(config) -> None:
    _depth[0] = max(0, _depth[0] - 1)
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
