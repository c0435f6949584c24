"""Measure builds, tests, page weight, search, Lighthouse and examples (``make bench``).

Numbers live here, not in the tests: the tests check behaviour. Prints one table
per measurement; ``--json FILE`` also writes them for a report.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import re
import resource
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from i18n.languages import root

ROOT = Path(__file__).resolve().parent.parent
# the site is built for the address Lighthouse reads it from (canonical, hreflang)
LIGHTHOUSE_PORT = 8766
ENV = {
    **os.environ,
    "NO_MKDOCS_2_WARNING": "1",
    "SITE_URL": f"http://127.0.0.1:{LIGHTHOUSE_PORT}/",
}


def timed(cmd: list[str], env: dict | None = None) -> float:
    return timed_cpu(cmd, env)[0]


def timed_cpu(cmd: list[str], env: dict | None = None) -> tuple[float, float]:
    """Wall seconds of ``cmd``, and the CPU seconds (user + system) it and its children used."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(cmd, cwd=ROOT, env=env or ENV, check=True, capture_output=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def build_times(site: Path) -> dict[str, float]:
    """Cold (empty notebook/figure cache) and warm strict builds of both languages."""
    with tempfile.TemporaryDirectory() as cache:
        cold_env = {**ENV, "DOCS_CACHE_DIR": cache, "DOCS_JUPYTER_CACHE": f"{cache}/mkdocs-jupyter"}
        build = [sys.executable, "-m", "mkdocs", "build", "--strict", "-d", str(site)]
        cold, cold_cpu = timed_cpu(build, cold_env)
        costs = Path(cache) / "figures" / "costs.json"
        if costs.exists():  # each figure drawn from scratch: the order the build draws them in
            measured = json.loads(costs.read_text(encoding="utf-8"))
            ordered = dict(sorted(measured.items(), key=lambda kv: -kv[1]))
            (ROOT / "hooks" / "figure_costs.json").write_text(
                json.dumps(ordered, indent=1) + "\n", encoding="utf-8"
            )
        warm = timed(build, cold_env)
    cores = os.cpu_count() or 1
    return {
        "cold strict build (s)": cold,
        # CPU seconds over the machine's cores: what the cold build cannot go below
        # here, however well its work is spread (most of it trains the examples' models)
        f"cold strict build, CPU / {cores} cores (s)": cold_cpu / cores,
        "warm strict build (s)": warm,
    }


# What a previewer edits, and the served page that must show it:
# (label, file, how to change it, URL below the site root, language of that page).
EDITS = [
    ("a Korean page", "docs/ko/activations.md", "append", "activations/", "ko"),
    ("an English page", "docs/en/activations.md", "append", "en/activations/", "en"),
    ("the glossary", "i18n/glossary.yml", "glossary-ko", "glossary/", "ko"),
    ("the glossary", "i18n/glossary.yml", "glossary-en", "en/glossary/", "en"),
    ("an embedded snippet", "snippets/activations.py", "snippet", "activations/", "ko"),
]


def _edit(path: Path, how: str, marker: str) -> None:
    text = path.read_text(encoding="utf-8")
    if how == "append":
        text += f"\n\n{marker}\n"
    elif how.startswith("glossary-"):  # the first definition in that language gains the marker
        field = rf"(\n    {how[-2:]}: )(.+)"
        text = re.sub(field, lambda m: f"{m.group(1)}{m.group(2)} {marker}", text, count=1)
    elif how == "snippet":  # a comment inside the first region a page includes
        end = text.index("# --8<-- [end:")
        text = text[:end] + f"# {marker}\n" + text[end:]
    path.write_text(text, encoding="utf-8")


def serve_times(env_extra: dict | None = None, port: int = 8765) -> dict[str, float]:
    """Seconds from saving a file to ``mkdocs serve`` serving the page that shows it.

    ``mkdocs serve`` runs with the arguments ``make serve`` gives it (``SERVE`` in the
    Makefile).

    Polls the served page (not the log) until it holds a marker written into the
    file, so the time includes the rebuild and the reload of the served files.
    """
    import urllib.request

    from tools.sitebuild import serve_command

    cmd = serve_command(port)
    env = {**ENV, **(env_extra or {})}
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stderr=subprocess.PIPE, text=True)
    lines: list[str] = []
    threading.Thread(target=lambda: lines.extend(proc.stderr), daemon=True).start()

    def fetch(url: str) -> str:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/{url}", timeout=5) as r:
                return r.read().decode("utf-8", "replace")
        except OSError:
            return ""

    out = {}
    try:
        deadline = time.perf_counter() + 600
        while not any("Serving on" in line for line in lines):
            if time.perf_counter() > deadline or proc.poll() is not None:
                raise RuntimeError("mkdocs serve did not start:\n" + "".join(lines))
            time.sleep(0.2)
        only = (env_extra or {}).get("DOCS_LANGUAGE")
        for label, file, how, url, lang in EDITS:
            if only and lang != only:
                continue
            if only:  # a one-language preview serves that language at /, even English
                url = url.removeprefix(root(lang))
            path = ROOT / file
            original = path.read_text(encoding="utf-8")
            marker = f"benchmarker{int(time.time() * 1000)}"
            time.sleep(1.0)
            start = time.perf_counter()
            _edit(path, how, marker)
            try:
                while marker not in fetch(url):
                    if time.perf_counter() - start > 300:
                        raise RuntimeError(f"{url} did not show the edit within 300 s")
                    time.sleep(0.1)
                out[f"serve: edit {label} until /{url} shows it (s)"] = time.perf_counter() - start
            finally:
                path.write_text(original, encoding="utf-8")
            restored = time.perf_counter()
            while marker in fetch(url) and time.perf_counter() - restored < 300:
                time.sleep(0.2)  # the rebuild of the restored file, before the next edit
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    return out


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


def browser_times(site: Path) -> dict[str, float]:
    """Where the browser tests' time goes: each page loaded as they load it, then axe.

    The steps of ``tests/test_browser.py``'s ``report`` fixture (``open_page``: load,
    wait for the network to be idle; ``axe_violations``), timed apart, summed over
    every page of both languages; the slowest pages by axe time follow.
    """
    from playwright.sync_api import sync_playwright

    from tests.test_browser import PAGES, axe_violations, open_page
    from tools.sitebuild import CHROMIUM, CHROMIUM_ARGS, serve

    load = axe_total = 0.0
    per_page: dict[str, tuple[float, int]] = {}
    with serve(site) as base_url, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context()
        for url in PAGES:
            start = time.perf_counter()
            visit = open_page(context, base_url + url)
            loaded = time.perf_counter()
            axe_violations(visit.page)
            done = time.perf_counter()
            elements = visit.page.evaluate("document.getElementsByTagName('*').length")
            visit.page.close()
            load += loaded - start
            axe_total += done - loaded
            per_page[url] = (done - loaded, elements)
        browser.close()
    out = {
        f"{len(PAGES)} pages: load + network idle (s)": load,
        f"{len(PAGES)} pages: axe (s)": axe_total,
    }
    for url, (seconds, elements) in sorted(per_page.items(), key=lambda kv: -kv[1][0])[:8]:
        out[f"axe on /{url} ({elements} elements) (s)"] = seconds
    return out


def test_time() -> float:
    return timed([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"])


def table(title: str, rows: dict, fmt: str = "{:.1f}") -> None:
    print(f"\n{title}")
    width = max(len(str(k)) for k in rows)
    for key, value in rows.items():
        shown = fmt.format(value) if isinstance(value, float) else str(value)
        print(f"  {key:<{width}}  {shown}")


def search_times(site: Path) -> dict:
    """Search recall@1/@5 (this site's and Material's default), the checks generated from
    the glossary and the headings, and the first query's latency, in Chromium."""
    from playwright.sync_api import sync_playwright

    from tools import search_eval
    from tools.sitebuild import CHROMIUM, CHROMIUM_ARGS, serve

    print("\nSearch (tools/search_eval.py: typed into the site's search box in Chromium)")
    with serve(site) as base_url, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        queries = search_eval.load_queries()
        runs = {
            mode: search_eval.run(browser, base_url, site, mode, queries)
            for mode in search_eval.MODES
        }
        generated = search_eval.run(
            browser, base_url, site, "site", search_eval.generated_queries()
        )
        browser.close()
    search_eval.report(runs)
    return {
        "summary": search_eval.summary(runs),
        "generated": search_eval.generated_report(generated["outcomes"]),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skip-tests", action="store_true", help="do not time the test suite")
    parser.add_argument("--skip-lighthouse", action="store_true", help="do not run Lighthouse")
    parser.add_argument(
        "--lighthouse-runs",
        type=int,
        default=3,
        help="Lighthouse runs per page (the median is shown)",
    )
    parser.add_argument("--skip-search", action="store_true", help="do not measure search")
    parser.add_argument("--json", type=Path, help="also write the numbers to this file")
    args = parser.parse_args()

    results: dict[str, dict] = {}
    with tempfile.TemporaryDirectory() as tmp:
        site = Path(tmp) / "site"
        results["build"] = build_times(site)
        table("Build", results["build"])
        results["serve"] = serve_times()
        table("Preview (make serve, both languages)", results["serve"])
        results["serve-ko"] = serve_times({"DOCS_LANGUAGE": "ko"})
        table("Preview (make serve-ko, Korean only)", results["serve-ko"])
        results["page weight"] = {}
        for url in ["", "activations", "labs/activations", "en", "en/activations"]:
            results["page weight"][url or "/"] = page_weight(site, url)
        print("\nPage weight (HTML + local CSS/JS/images/fonts it references)")
        for url, row in results["page weight"].items():
            print(f"  /{url.strip('/') + '/' if url != '/' else ''}"
                  f"  {row['files']} files, {row['bytes'] / 1024:.0f} KB, "
                  f"{row['gzip bytes'] / 1024:.0f} KB gzip")  # fmt: skip
        results["browser"] = browser_times(site)
        table("Browser checks (one worker, as tests/test_browser.py loads each page)",
              results["browser"])  # fmt: skip
        if not args.skip_search:
            results["search"] = search_times(site)
        if not args.skip_lighthouse:
            from tools import lighthouse

            results["lighthouse"] = lighthouse.audit(site, LIGHTHOUSE_PORT, args.lighthouse_runs)
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
