"""What the site's hooks share (not a hook itself): paths, content keys, the build's language.

MkDocs imports each hook of ``mkdocs.yml`` with this folder on ``sys.path``, so a
hook reads ``from docs_build import ...``.

The hooks, one subject each, and the order they run in. For one event, MkDocs
calls handlers from the highest priority down (default 0; mkdocs-static-i18n
runs at -100); handlers of equal priority run in the order of ``hooks:`` in
``mkdocs.yml``. Every priority other than 0 is in ``PRIORITY`` below, and
``tests/test_hooks.py`` fails when a hook uses one that is not.

=================== ===================================================================
hook                what it does
=================== ===================================================================
``notebooks.py``    runs each lab once per content, renders it with mkdocs-jupyter
                    (re-wrapped after i18n), heading ids shared by twins, alt texts,
                    descriptions, images out of the HTML, only the CSS a lab uses
                    (``used_css.py``, not a hook), language links
``figures.py``      draws every ``FIGURES`` entry of ``snippets/`` in the build's language
``codeblocks.py``   highlighted code without the token spans that carry no colour
``translations.py`` fallback and outdated banners, glossary and status pages, tooltips,
                    front-matter errors
``formulas.py``     renders math at build time with KaTeX
``corrections.py``  the corrections appendix and the chapters' correction boxes
``search.py``       one search index per language, Korean word forms, light page loads
``seo.py``          absolute hreflang links, sitemap, robots.txt, 404 pages, ARIA labels
``preview.py``      dirty builds (``make serve``) rebuild every page an edit changes, only those
=================== ===================================================================
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from urllib.parse import urlsplit

from i18n.languages import DEFAULT, LANGUAGES, root
from i18n.languages import other as other_language
from i18n.yamlfile import shown  # a path relative to the repository, for messages

ROOT = Path(__file__).resolve().parent.parent
# executed notebooks, drawn figures, search analysis, training results, keyed by
# content (make bench points it at an empty folder for a cold build)
CACHE = Path(os.environ.get("DOCS_CACHE_DIR") or ROOT / ".cache")

PRIORITY = {
    # files: after mkdocs-static-i18n (-100) has rebuilt the file list per language
    "notebooks.on_files": -200,
    # after notebooks has made the labs pages again: which pages this build renders
    "preview.on_files": -250,
    "figures.on_files": -300,  # after notebooks: figures draw in the background meanwhile
    # search: after the theme has rendered a page; before seo keeps the 404 page;
    # after i18n (-100) has written the combined index
    "search.on_post_page": -200,
    "search.on_post_template": 100,
    "search.on_post_build": -200,
    # after i18n's nested builds (inside its on_post_build at -100): the 404 pages
    # of every language are known, and this sitemap replaces i18n's
    "seo.on_post_build": -200,
}

# The markers a hook replaces with content made from other files than the page's own:
# the page depends on every page (preview.py rebuilds it whenever a page changes)
MARKERS = {
    "glossary": "<!-- glossary -->",  # translations.py: i18n/glossary.yml and the chapters
    "translation-status": "<!-- translation-status -->",  # translations.py: every page pair
    "corrections": "<!-- corrections -->",  # corrections.py: the corrections and the chapters
}

__all__ = [
    "CACHE",
    "DEFAULT",
    "LANGUAGES",
    "MARKERS",
    "PRIORITY",
    "ROOT",
    "build_language",
    "content_key",
    "language_home",
    "other_language",
    "page_language",
    "root",
    "shown",
    "theme_alternates",
    "twin_of",
    "write_atomic",
]


def content_key(*extra: bytes) -> str:
    """Hash the snippet sources, the pinned dependencies and ``extra``."""
    digest = hashlib.sha256()
    for path in sorted((ROOT / "snippets").rglob("*.py")):
        digest.update(path.relative_to(ROOT).as_posix().encode())
        digest.update(path.read_bytes())
    digest.update((ROOT / "pyproject.toml").read_bytes())
    for chunk in extra:
        digest.update(chunk)
    return digest.hexdigest()[:20]


def write_atomic(path: Path, data: bytes) -> None:
    """Write a cache file whole or not at all: builds running side by side (the tests)
    read the cache while another writes it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def twin_of(path: Path, docs: Path) -> Path | None:
    """The same page in the other language's folder of ``docs``, if there is one."""
    try:
        lang, *rest = path.relative_to(docs).parts
    except ValueError:
        return None
    if lang not in LANGUAGES or not rest:
        return None
    twin = docs.joinpath(other_language(lang), *rest)
    return twin if twin.is_file() else None


def build_language(config) -> str:
    """The language this build renders (Material's ``theme.language``, set per language)."""
    return config.theme["language"]


def language_home(config, lang: str) -> str:
    """The address of ``lang``'s home page, as the language switch links it (``/en/``)."""
    base = urlsplit(config.site_url or "/").path or "/"
    return base.rstrip("/") + "/" + root(lang)


def theme_alternates(config) -> list[dict]:
    """The language links the theme renders (Material's ``extra.alternate``), to edit in place.

    Read the way the template reads it (attribute first, as Jinja does): the i18n
    plugin gives each page its own copy as an attribute of ``config.extra``.
    """
    extra = config.extra
    found = getattr(extra, "alternate", None)
    if found is None and hasattr(extra, "get"):
        found = extra.get("alternate")
    return found or []


def page_language(page) -> str:
    """The language a page is shown in: the build's language for that page's URL."""
    from i18n.languages import language_of_url

    return language_of_url(page.url)
