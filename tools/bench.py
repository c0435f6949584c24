"""Measure build time, test time, page weight and example run times (``make bench``).

Numbers live here, not in the tests: the tests check behaviour. Prints one table
per measurement; ``--json FILE`` also writes them for a report.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# the site is built for the address Lighthouse reads it from (canonical, hreflang)
LIGHTHOUSE_PORT = 8766
ENV = {
    **os.environ,
    "NO_MKDOCS_2_WARNING": "1",
    "SITE_URL": f"http://127.0.0.1:{LIGHTHOUSE_PORT}/",
}


def timed(cmd: list[str], env: dict | None = None) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, cwd=ROOT, env=env or ENV, check=True, capture_output=True)
    return time.perf_counter() - start


def build_times(site: Path) -> dict[str, float]:
    """Cold (empty notebook/figure cache) and warm strict builds of both languages."""
    with tempfile.TemporaryDirectory() as cache:
        cold_env = {**ENV, "DOCS_CACHE_DIR": cache}
        build = [sys.executable, "-m", "mkdocs", "build", "--strict", "-d", str(site)]
        cold = timed(build, cold_env)
        warm = timed(build, cold_env)
    return {"cold strict build (s)": cold, "warm strict build (s)": warm}


def serve_rebuild_time(page: str = "docs/en/activations.md") -> float:
    """Seconds from saving one page to the end of the rebuild in ``mkdocs serve``."""
    # --livereload: without it mkdocs 1.6 serves but does not rebuild on a change
    cmd = [sys.executable, "-m", "mkdocs", "serve", "--livereload", "-a", "127.0.0.1:8765"]
    proc = subprocess.Popen(cmd, cwd=ROOT, env=ENV, stderr=subprocess.PIPE, text=True)
    lines: list[tuple[float, str]] = []

    def read() -> None:
        for line in proc.stderr:
            lines.append((time.perf_counter(), line))

    threading.Thread(target=read, daemon=True).start()
    try:
        deadline = time.perf_counter() + 300
        while not any("Serving on" in line for _, line in lines):
            if time.perf_counter() > deadline or proc.poll() is not None:
                raise RuntimeError("mkdocs serve did not start:\n" + "".join(x for _, x in lines))
            time.sleep(0.2)
        time.sleep(1.0)
        path = ROOT / page
        original = path.read_text(encoding="utf-8")
        seen = len(lines)
        start = time.perf_counter()
        path.write_text(original + "\n", encoding="utf-8")
        try:
            while True:
                done = [t for t, line in lines[seen:] if "Reloading browsers" in line
                        or "Documentation built" in line]  # fmt: skip
                if done:
                    return done[-1] - start if len(done) > 1 else done[0] - start
                if time.perf_counter() - start > 120:
                    raise RuntimeError("no rebuild within 120 s")
                time.sleep(0.05)
        finally:
            path.write_text(original, encoding="utf-8")
    finally:
        proc.terminate()
        proc.wait(timeout=30)


ASSET = re.compile(r'(?:src|href)="([^"]+\.(?:js|css|svg|png|woff2))"')


def page_weight(site: Path, url: str) -> dict[str, int]:
    """Bytes (raw and gzip) of a page's HTML and the local assets it references."""
    page = site / url / "index.html"
    files = {page}
    for ref in ASSET.findall(page.read_text(encoding="utf-8")):
        target = (page.parent / ref.split("#")[0]).resolve()
        if target.is_file():
            files.add(target)
            if target.suffix == ".css":  # fonts the stylesheet can load
                files.update(target.parent.glob("fonts/KaTeX_Main-Regular.woff2"))
                files.update(target.parent.glob("fonts/KaTeX_Math-Italic.woff2"))
    raw = sum(f.stat().st_size for f in files)
    packed = sum(len(gzip.compress(f.read_bytes())) for f in files)
    return {"files": len(files), "bytes": raw, "gzip bytes": packed}


def example_times() -> dict[str, float]:
    """Seconds to run every example of each page (parse + evaluate)."""
    from tests.markdown_pages import page_files, parse_page

    out = {}
    for page in page_files():
        start = time.perf_counter()
        for example in parse_page(page):
            example.evaluate()
        out[page.relative_to(ROOT).as_posix()] = time.perf_counter() - start
    return out


def test_time() -> float:
    return timed([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"])


def table(title: str, rows: dict, fmt: str = "{:.1f}") -> None:
    print(f"\n{title}")
    width = max(len(str(k)) for k in rows)
    for key, value in rows.items():
        shown = fmt.format(value) if isinstance(value, float) else str(value)
        print(f"  {key:<{width}}  {shown}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skip-tests", action="store_true", help="do not time the test suite")
    parser.add_argument("--skip-lighthouse", action="store_true", help="do not run Lighthouse")
    parser.add_argument("--json", type=Path, help="also write the numbers to this file")
    args = parser.parse_args()

    results: dict[str, dict] = {}
    with tempfile.TemporaryDirectory() as tmp:
        site = Path(tmp) / "site"
        results["build"] = build_times(site)
        results["build"]["serve: rebuild after editing one page (s)"] = serve_rebuild_time()
        table("Build", results["build"])
        results["page weight"] = {}
        for url in ["", "activations", "labs/activations", "en", "en/activations"]:
            results["page weight"][url or "/"] = page_weight(site, url)
        print("\nPage weight (HTML + local CSS/JS/images/fonts it references)")
        for url, row in results["page weight"].items():
            print(f"  /{url.strip('/') + '/' if url != '/' else ''}"
                  f"  {row['files']} files, {row['bytes'] / 1024:.0f} KB, "
                  f"{row['gzip bytes'] / 1024:.0f} KB gzip")  # fmt: skip
        if not args.skip_lighthouse:
            from tools import lighthouse

            results["lighthouse"] = lighthouse.audit(site, LIGHTHOUSE_PORT)
            lighthouse.print_table(results["lighthouse"])
    results["examples"] = example_times()
    table("Page examples (s)", results["examples"])
    if not args.skip_tests:
        results["tests"] = {"pytest, whole suite (s)": test_time()}
        table("Tests", results["tests"])
    if args.json:
        args.json.write_text(json.dumps(results, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
