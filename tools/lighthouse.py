"""Lighthouse scores and transferred bytes of every page (part of ``make bench``).

Runs the npm package ``lighthouse`` (pinned in tools/npm/package.json,
installed with ``npm ci``) against Debian's chromium, on the built site served
from localhost with gzip (as any static host serves it), with Lighthouse's
default mobile emulation and simulated slow-4G throttling. Every page of both
languages is audited (home, chapters, labs, the appendix, the glossary, the API
reference, the status page), each ``--runs`` times (3 by default): the table
shows the median of each score, since performance varies by about 5 points
between runs. Numbers, not tests: they are printed as a table with the goals.

    python -m tools.lighthouse --site site                 # every page, 3 runs each
    python -m tools.lighthouse --site site --runs 1 --only labs/
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import gzip
import http.server
import json
import os
import statistics
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


def site_pages(site: Path, lang: str) -> list[str]:
    """Every page of ``lang`` in the built ``site``, as a path under its language root."""
    base = site / root(lang)
    others = [site / root(other) for other in ALL_LANGUAGES if root(other) and other != lang]
    pages = []
    for index in sorted(base.rglob("index.html")):
        if any(index.is_relative_to(o) for o in others) or "assets" in index.parts:
            continue
        path = index.parent.relative_to(base).as_posix()
        pages.append("" if path == "." else f"{path}/")
    return pages


def kind_of(path: str) -> str:
    """What a page is, for the table: home, chapter, lab, reference, appendix, glossary, status."""
    first = path.split("/", 1)[0]
    return {
        "": "home", "labs": "lab", "reference": "reference", "corrections": "appendix",
        "glossary": "glossary", "translation-status": "status",
    }.get(first, "chapter")  # fmt: skip


def _row(reports: list[dict]) -> dict:
    """Median scores and bytes of several runs of one page; the median run's failing audits."""
    scores = [{c: round(r["categories"][c]["score"] * 100) for c in CATEGORIES} for r in reports]
    weights = [r["audits"]["total-byte-weight"]["numericValue"] for r in reports]
    tbt = [r["audits"]["total-blocking-time"]["numericValue"] for r in reports]
    lcp = [r["audits"]["largest-contentful-paint"]["numericValue"] for r in reports]
    middle = sorted(range(len(reports)), key=lambda i: scores[i]["performance"])[len(reports) // 2]
    failing = [
        a["id"]
        for a in reports[middle]["audits"].values()
        if a.get("score") is not None and a["score"] < 1 and a.get("scoreDisplayMode") == "binary"
    ]
    return {
        **{c: statistics.median(s[c] for s in scores) for c in CATEGORIES},
        "performance runs": [s["performance"] for s in scores],
        "transferred KB": round(statistics.median(weights) / 1024),
        "TBT ms": round(statistics.median(tbt)),
        "LCP s": round(statistics.median(lcp) / 1000, 1),
        "failing audits": failing,
    }


def audit(
    site: Path, port: int = 8766, runs: int = 3, only: tuple[str, ...] = ("",), langs=None
) -> dict[str, dict]:
    """Median scores and transferred KB per page and language.

    ``only``: path prefixes under a language root (a page is audited if it starts
    with one); ``langs``: the languages to audit (all by default).
    """
    binary = install()
    rows = {}
    with serve_gzip(site, port) as base:
        for lang, prefix in LANGUAGES.items():
            if langs and lang not in langs:
                continue
            for path in site_pages(site, lang):
                if not path.startswith(tuple(only)):
                    continue
                reports = [run_lighthouse(binary, base + prefix + path) for _ in range(runs)]
                rows[f"{lang} {kind_of(path)} /{prefix}{path}"] = _row(reports)
    return rows


def meets_goals(row: dict) -> bool:
    return all(row[c] >= goal for c, goal in GOALS.items())


def print_table(rows: dict[str, dict]) -> None:
    runs = max((len(r["performance runs"]) for r in rows.values()), default=0)
    print(f"\nLighthouse (mobile preset, simulated throttling; median of {runs} runs; goals: "
          + ", ".join(f"{c} >= {g}" for c, g in GOALS.items()) + "; KB <= 400)")  # fmt: skip
    head = ["page", "perf", "a11y", "best", "seo", "KB", "TBT ms", "LCP s"]
    width = max([44, *(len(page) for page in rows)])
    print("  " + "  ".join(f"{h:>6}" if i else f"{h:<{width}}" for i, h in enumerate(head))
          + "  perf runs")  # fmt: skip
    for page, row in rows.items():
        cells = [f"{row[c]:g}" for c in CATEGORIES] + [row["transferred KB"]]
        cells += [row["TBT ms"], row["LCP s"]]
        mark = "" if meets_goals(row) and row["transferred KB"] <= 400 else "  <- below a goal"
        runs_text = "/".join(str(v) for v in row["performance runs"])
        print(f"  {page:<{width}}" + "".join(f"  {v:>6}" for v in cells) + f"  {runs_text}{mark}")
        if row["failing audits"]:
            print(f"  {'':<{width}}  failing: {', '.join(row['failing audits'])}")
    met = sum(meets_goals(r) and r["transferred KB"] <= 400 for r in rows.values())
    print(f"  {met} of {len(rows)} pages meet every goal")
    for c in CATEGORIES:
        worst = min(rows.items(), key=lambda item: item[1][c], default=None)
        if worst:
            print(f"  lowest {c}: {worst[1][c]:g} ({worst[0]})")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--site", type=Path, required=True, help="a built site folder")
    parser.add_argument("--port", type=int, default=8766)
    parser.add_argument("--runs", type=int, default=3, help="runs per page (the median is shown)")
    parser.add_argument(
        "--only",
        action="append",
        help="only pages whose path (under the language root) starts with this; repeatable",
    )
    parser.add_argument("--lang", action="append", choices=ALL_LANGUAGES, help="repeatable")
    parser.add_argument("--json", type=Path, help="also write the rows to this file")
    args = parser.parse_args()
    rows = audit(args.site, args.port, args.runs, tuple(args.only or [""]), args.lang)
    print_table(rows)
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
