"""Build the site once per test session, serve it on localhost, open it in Chromium.

pytest-xdist runs test files in two worker processes; the strict build of the
real site is shared between them through a file lock (the pattern from the
pytest-xdist documentation), so a cold run builds it once, not once per worker.
"""

from __future__ import annotations

import contextlib
import functools
import http.server
import json
import os
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

from filelock import FileLock

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
# Chromium as root on a machine with no network: no sandbox, no GPU, and none of
# the background requests to Google that a closed network refuses.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]


def build(
    site: Path, docs: Path | None = None, language: str | None = None, dirty: bool = False
) -> subprocess.CompletedProcess:
    """Run a strict build into ``site``, from another docs folder or one language.

    The build runs under ProperDocs, the maintained fork of MkDocs 1.x, with the
    same ``mkdocs.yml``: the tests prove the site on the line that outlives MkDocs
    1.6 (``mkdocs serve`` still previews it with MkDocs itself).

    ``dirty``: the build ``make serve`` makes on each save (``--dirty``), not strict,
    since MkDocs warns of every dirty build.
    """
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1", "DISABLE_MKDOCS_2_WARNING": "true"}
    env.pop("SITE_URL", None)
    env.pop("DOCS_LANGUAGE", None)
    if docs is not None:
        env["DOCS_DIR"] = str(docs)
    if language is not None:
        env["DOCS_LANGUAGE"] = language
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "properdocs",
            "build",
            "-f",
            "mkdocs.yml",
            "--dirty" if dirty else "--strict",
            "-d",
            str(site),
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )


def shared_site(root: Path) -> Path:
    """The real site, built once into ``root`` for every worker of this session."""
    site = root / "site"
    done = root / "site.json"
    with FileLock(str(root / "site.lock")):
        if not done.exists():
            shutil.rmtree(site, ignore_errors=True)
            result = build(site)
            done.write_text(
                json.dumps({"returncode": result.returncode, "log": result.stdout + result.stderr})
            )
    record = json.loads(done.read_text())
    assert record["returncode"] == 0, record["log"]
    return site


def serve_command(port: int) -> list[str]:
    """``mkdocs serve`` as ``make serve`` runs it (``SERVE`` in the Makefile), on ``port``."""
    import re

    serve = re.search(r"^SERVE := (.+)$", (ROOT / "Makefile").read_text(), re.M)
    if serve is None:
        raise RuntimeError("Makefile: no SERVE := line (the arguments of make serve)")
    return [sys.executable, "-m", "mkdocs", *serve.group(1).split(), "-a", f"127.0.0.1:{port}"]


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:  # the tests record requests themselves
        pass


@contextlib.contextmanager
def serve(site: Path) -> Iterator[str]:
    """Serve ``site`` on a free localhost port; yield its base URL."""
    handler = functools.partial(_QuietHandler, directory=str(site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
