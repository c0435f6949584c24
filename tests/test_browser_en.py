"""Every English page in a real browser: loads cleanly and passes axe (see tests/test_browser.py).

A file of its own so that pytest-xdist's two workers (one file each, ``--dist loadfile``)
load the pages of the two languages at the same time.
"""

from __future__ import annotations

import pytest

from tests.test_browser import (  # noqa: F401  (context and report are fixtures)
    PAGES,
    check_accessible,
    check_loads_cleanly,
    context,
    language_of,
    report,
)

pytestmark = pytest.mark.build

EN_PAGES = [url for url in PAGES if language_of(url) == "en"]


@pytest.mark.parametrize("url", EN_PAGES)
def test_page_loads_cleanly(report, url):  # noqa: F811
    check_loads_cleanly(report(url), url)


@pytest.mark.parametrize("url", EN_PAGES)
def test_page_is_accessible(report, url):  # noqa: F811
    check_accessible(report(url), url)
