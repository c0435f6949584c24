"""The site's languages, defined once: every hook, check, tool and test reads them here.

``mkdocs.yml`` lists the same languages for the build (mkdocs-static-i18n);
``tests/test_i18n_check.py`` fails when the two lists differ.
"""

from __future__ import annotations

from pathlib import PurePath

LANGUAGES: tuple[str, ...] = ("ko", "en")
"""Every language of the site, the default (the original) first."""

DEFAULT: str = LANGUAGES[0]
"""The language the site is written in; its pages live at the site's root."""


def other(lang: str) -> str:
    """The other language of a two-language site.

    >>> other("ko"), other("en")
    ('en', 'ko')
    """
    if lang not in LANGUAGES:
        raise ValueError(f"unknown language {lang!r}: the site has {', '.join(LANGUAGES)}")
    (found,) = [x for x in LANGUAGES if x != lang]
    return found


def root(lang: str) -> str:
    """The folder of ``lang``'s pages in the built site: ``""`` for the default, else ``"en/"``.

    >>> root("ko"), root("en")
    ('', 'en/')
    """
    if lang not in LANGUAGES:
        raise ValueError(f"unknown language {lang!r}: the site has {', '.join(LANGUAGES)}")
    return "" if lang == DEFAULT else f"{lang}/"


def language_of_url(url: str) -> str:
    """The language of a page from its URL below the site root (``en/x/`` → ``en``).

    >>> language_of_url("en/activations/"), language_of_url("activations/"), language_of_url("")
    ('en', 'ko', 'ko')
    """
    head = url.lstrip("/").split("/", 1)[0]
    return head if head in LANGUAGES and head != DEFAULT else DEFAULT


def language_of_path(path: PurePath) -> str | None:
    """The language of a page or lab file: its nearest folder named after a language, or
    ``None`` when no folder is.

    >>> language_of_path(PurePath("docs/en/labs/numpy.ipynb")), language_of_path(PurePath("x.md"))
    ('en', None)
    """
    return next((part for part in reversed(path.parent.parts) if part in LANGUAGES), None)
