"""Lighthouse scores and transferred bytes of a few pages (part of ``make bench``).

Runs the npm package ``lighthouse`` (pinned in tools/npm/package.json,
installed with ``npm ci``) against Debian's chromium, on the built site served
from localhost with gzip (as any static host serves it), with Lighthouse's
default mobile emulation and simulated slow-4G throttling. Numbers, not tests:
they are printed as a table and compared with the goals in the README.

    python -m tools.lighthouse --site site   # an already built site
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import gzip
import http.server
import json
import os
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path

from i18n.languages import LANGUAGES as ALL_LANGUAGES
from i18n.languages import root
from tools.sitebuild import CHROMIUM, CHROMIUM_ARGS

ROOT = Path(__file__).resolve().parent.parent
TOOL = ROOT / "tools" / "npm"  # its package.json pins Lighthouse
PAGES = {
    "home": "",
    "chapter": "activations/",
    "notebook": "labs/activations/",
}
LANGUAGES = {lang: root(lang) for lang in ALL_LANGUAGES}
CATEGORIES = ["performance", "accessibility", "best-practices", "seo"]
GOALS = {"performance": 95, "accessibility": 100, "best-practices": 100, "seo": 100}
COMPRESSIBLE = {".html", ".css", ".js", ".json", ".svg", ".xml", ".txt", ".map"}


class GzipHandler(http.server.SimpleHTTPRequestHandler):
    """Static files, text ones gzipped when the client accepts it."""

    def log_message(self, *args) -> None:
        pass

    def send_head(self):
        path = Path(self.translate_path(self.path))
        if path.is_dir():
            path = path / "index.html"
        accepts = "gzip" in self.headers.get("Accept-Encoding", "")
        if not (accepts and path.is_file() and path.suffix in COMPRESSIBLE):
            return super().send_head()
        if self.path.split("?")[0].endswith("/") is False and (path.name == "index.html"):
            return super().send_head()  # let the base class redirect /dir to /dir/
        body = gzip.compress(path.read_bytes(), compresslevel=6)
        self.send_response(200)
        self.send_header("Content-Type", self.guess_type(str(path)))
        self.send_header("Content-Encoding", "gzip")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        return _Body(body)


class _Body:
    def __init__(self, data: bytes) -> None:
        self.data = data

    def read(self, *args) -> bytes:
        data, self.data = self.data, b""
        return data

    def close(self) -> None:
        pass


@contextlib.contextmanager
def serve_gzip(site: Path, port: int) -> Iterator[str]:
    handler = functools.partial(GzipHandler, directory=str(site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


def install() -> Path:
    """``npm ci`` the pinned Lighthouse once; return its command."""
    binary = TOOL / "node_modules" / ".bin" / "lighthouse"
    if not binary.exists():
        subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=TOOL, check=True)
    return binary


def run_lighthouse(binary: Path, url: str) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "report.json"
        flags = " ".join(["--headless=new", *CHROMIUM_ARGS, f"--user-data-dir={tmp}/profile"])
        subprocess.run(
            [
                str(binary),
                url,
                "--quiet",
                "--output=json",
                f"--output-path={out}",
                f"--only-categories={','.join(CATEGORIES)}",
                f"--chrome-flags={flags}",
            ],
            env={**os.environ, "CHROME_PATH": CHROMIUM},
            check=True,
            timeout=300,
        )
        return json.loads(out.read_text(encoding="utf-8"))


def audit(site: Path, port: int = 8766) -> dict[str, dict]:
    """Scores and transferred KB per page and language."""
    binary = install()
    rows = {}
    with serve_gzip(site, port) as base:
        for lang, prefix in LANGUAGES.items():
            for kind, path in PAGES.items():
                report = run_lighthouse(binary, base + prefix + path)
                scores = {c: round(report["categories"][c]["score"] * 100) for c in CATEGORIES}
                weight = report["audits"]["total-byte-weight"]["numericValue"]
                failing = [
                    a["id"]
                    for a in report["audits"].values()
                    if a.get("score") is not None
                    and a["score"] < 1
                    and a.get("scoreDisplayMode") == "binary"
                ]
                rows[f"{lang} {kind} /{prefix}{path}"] = {
                    **scores,
                    "transferred KB": round(weight / 1024),
                    "failing audits": failing,
                }
    return rows


def print_table(rows: dict[str, dict]) -> None:
    print("\nLighthouse (mobile preset, simulated throttling; goals: " + ", ".join(
        f"{c} >= {g}" for c, g in GOALS.items()) + ")")  # fmt: skip
    head = ["page", "perf", "a11y", "best", "seo", "KB"]
    print("  " + "  ".join(f"{h:>6}" if i else f"{h:<34}" for i, h in enumerate(head)))
    for page, row in rows.items():
        cells = [row[c] for c in CATEGORIES] + [row["transferred KB"]]
        print(f"  {page:<34}" + "".join(f"  {v:>6}" for v in cells))
        if row["failing audits"]:
            print(f"  {'':<34}  failing: {', '.join(row['failing audits'])}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--site", type=Path, required=True, help="a built site folder")
    parser.add_argument("--port", type=int, default=8766)
    args = parser.parse_args()
    print_table(audit(args.site, args.port))
    return 0


if __name__ == "__main__":
    sys.exit(main())
