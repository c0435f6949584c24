"""Fixtures shared by the site, browser and search tests."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, sync_playwright

from tools.sitebuild import CHROMIUM, CHROMIUM_ARGS, serve, shared_site


@pytest.fixture(scope="session")
def site(tmp_path_factory, worker_id) -> Path:
    """The real site, built with --strict once per session (shared by xdist workers).

    TEST_SITE_DIR=<folder> tests an already built site instead (a quicker loop
    while working on the browser tests; `make test` always builds).
    """
    if os.environ.get("TEST_SITE_DIR"):
        return Path(os.environ["TEST_SITE_DIR"])
    root = tmp_path_factory.getbasetemp()
    if worker_id != "master":
        root = root.parent
    return shared_site(root)


@pytest.fixture(scope="session")
def base_url(site) -> Iterator[str]:
    """The built site served on a free localhost port."""
    with serve(site) as url:
        yield url


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """Debian's Chromium driven by Playwright (no browser download: see the Makefile)."""
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()
