"""Recall of the site's search, and of Material's default, in headless Chromium.

    python -m tools.search_eval                # build the site into a temporary folder
    python -m tools.search_eval --site DIR     # use a site built with mkdocs build
    python -m tools.search_eval --json out.json

Each query of ``tests/search_queries.yml`` is typed into the search box of the
built site (Korean queries at ``/``, English ones at ``/en/``), the way Material
listens for it (a ``keyup``), and the result list is read from the page: a query
scores at rank k when its page is the k-th result. Recall@1 and recall@5 are
reported for both languages and both searches, with the time from the keystroke
to the rendered results, and, for a reader who opens a page and then searches:
the bytes the page load fetches for search, the bytes the first search adds,
and the time from focusing the search box to the first results.

This site's ``search/search_index.json`` is a stub; the full index
(``search_index.<hash>.json``, named in the stub's ``config.full_index``) is
fetched by the worker once the reader is about to search (hooks/search.py).

Material's default is the same built site with this site's search switched off
in the browser, not a second build: Playwright rewrites each page's ``__config``
back to what Material rendered (``base`` at the site root, ``search`` =
Material's worker) and answers ``search/search_index.json`` with the combined
index mkdocs-static-i18n wrote (both languages, no analysis), rebuilt from the
two per-language indexes exactly as i18n merges them (default language first,
an entry of the other language dropped when it duplicates one of the default's),
and leaves out this site's ``search/intent.js``.
"""

from __future__ import annotations

import argparse
import contextlib
import gzip
import json
import re
import statistics
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import yaml
from playwright.sync_api import Browser, BrowserContext, Page, Route, sync_playwright

from i18n.languages import DEFAULT
from tools.sitebuild import CHROMIUM, CHROMIUM_ARGS, build, serve

QUERIES = Path(__file__).resolve().parent.parent / "tests" / "search_queries.yml"
DEFAULT_LANGUAGE = DEFAULT
MODES = ("site", "default")
CONFIG_SCRIPT = re.compile(
    r'(<script id="__config" type="application/json">)(.*?)(</script>)', re.S
)
INTENT_SCRIPT = re.compile(r'<script src="[^"]*search/intent\.js"></script>')
WORKER_DIR = "assets/javascripts/search"  # the stub names the full index relative to it
# which index answers the page's queries: "titles", then "full" (search/intent.js)
SEARCH_INDEX = "document.querySelector('script[src$=\"search/intent.js\"]').searchIndex"
# the first query of a reader who opens a page and searches
FIRST_QUERY = {"ko": "활성화 함수", "en": "activation function"}


@dataclass
class Query:
    lang: str
    q: str
    pages: list[str]
    kind: str = "plain"
    section: str = ""  # a heading's id: the result must show that section of the page


@dataclass
class Outcome:
    query: Query
    results: list[str]  # page paths from the site root, in display order
    ms: float
    groups: list[list[str]] = field(default_factory=list)  # every link of each result, in order
    rank: int | None = field(init=False)
    section_rank: int | None = field(init=False)  # the result that links the section

    def __post_init__(self) -> None:
        prefix = "" if self.query.lang == DEFAULT_LANGUAGE else f"{self.query.lang}/"
        wanted = {prefix + page for page in self.query.pages}
        self.rank = next((i + 1 for i, r in enumerate(self.results) if r in wanted), None)
        self.section_rank = self.rank
        if self.query.section:
            targets = {f"{page}#{self.query.section}" for page in wanted}
            self.section_rank = next(
                (i + 1 for i, links in enumerate(self.groups) if targets & set(links)), None
            )


def load_queries(path: Path = QUERIES) -> list[Query]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    queries = []
    for lang, entries in data.items():
        for entry in entries:
            pages = entry["page"] if isinstance(entry["page"], list) else [entry["page"]]
            queries.append(Query(lang, str(entry["q"]), pages, entry.get("kind", "plain")))
    return queries


# pages whose text is generated from data, not written: their headings are not checked
GENERATED_PAGES = {"glossary", "translation-status"}
DOCS = Path(__file__).resolve().parent.parent / "docs"
HEADING_ID = re.compile(r"\s*\{[^}]*#([\w-]+)[^}]*\}\s*$")


def heading_text(markdown: str) -> str:
    """A heading as a reader sees it: no attributes, code marks, links, emphasis or math."""
    text = HEADING_ID.sub("", markdown)
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)
    text = re.sub(r"\$[^$]*\$", " ", text)
    return " ".join(re.sub(r"[`*_]", "", text).split())


def generated_queries(docs: Path = DOCS) -> list[Query]:
    """Checks made from the site itself rather than written by hand.

    * ``glossary``: every name of every glossary term (``en``, ``en_also``; ``ko``,
      ``ko_also``, ``ko_avoid``), typed in either language's search, must find
      the chapter that defines it (its ``page:``);
    * ``heading``: every heading of every written page (not the generated
      glossary and status pages) must find its section. A heading text that
      two pages of a language share (``요약``, ``Summary``) names no one
      section and is left out.
    """
    from i18n.glossary import load_glossary
    from i18n.languages import LANGUAGES
    from i18n.languages import other as other_language
    from i18n.pages import markdown_headings

    terms = load_glossary()
    queries: list[Query] = []
    for lang in LANGUAGES:
        for term in terms:
            page = "" if term.page == "index" else f"{term.page}/"
            for name in dict.fromkeys(term.names(lang) + term.names(other_language(lang))):
                queries.append(Query(lang, name, [page], "glossary"))
        found: dict[str, list[tuple[str, str]]] = {}
        for path in sorted((docs / lang).glob("*.md")):
            if path.stem in GENERATED_PAGES:
                continue
            page = "" if path.stem == "index" else f"{path.stem}/"
            for hashes, raw in markdown_headings(path.read_text(encoding="utf-8")):
                match = HEADING_ID.search(raw)
                text = heading_text(raw)
                if text:
                    section = "" if len(hashes) == 1 or not match else match.group(1)
                    found.setdefault(text.lower(), []).append((page, section, text))
        for places in found.values():
            if len({page for page, _, _ in places}) == 1:
                page, section, text = places[0]
                queries.append(Query(lang, text, [page], "heading", section))
    return queries


def root_url(base_url: str, lang: str) -> str:
    return base_url if lang == DEFAULT_LANGUAGE else f"{base_url}{lang}/"


# --------------------------------------------------------------------------
# Material's default, served in the browser
# --------------------------------------------------------------------------


def search_hook():
    """hooks/search.py as a module (MkDocs loads hooks by path, not as a package)."""
    from tests.hookload import load_hook

    return load_hook("search")


def _without_boost(doc: dict, secondary: dict[str, float]) -> dict:
    """A document without the ranking boost hooks/search.py gave it."""
    factor = secondary.get(doc["location"].split("/", 1)[0])
    if factor is None or "boost" not in doc:
        return doc
    doc = dict(doc)
    doc["boost"] /= factor
    if doc["boost"] == 1:
        del doc["boost"]
    return doc


def full_index_path(site: Path, lang_root: Path) -> Path:
    """The full index a language's stub (``<lang_root>/search/search_index.json``) names."""
    stub = json.loads((lang_root / "search" / "search_index.json").read_text(encoding="utf-8"))
    name = stub["config"].get("full_index")
    if not isinstance(name, str) or stub["docs"]:
        raise ValueError(f"{lang_root}/search/search_index.json is not a stub")
    path = (site / WORKER_DIR / name).resolve()
    if not path.is_relative_to(site.resolve()) or not path.is_file():
        raise ValueError(f"{lang_root}/search/search_index.json names a missing index {name!r}")
    return path


def full_index(site: Path, lang_root: Path) -> dict:
    return json.loads(full_index_path(site, lang_root).read_text(encoding="utf-8"))


def combined_index(site: Path) -> dict:
    """The one index i18n wrote, rebuilt from the per-language indexes."""
    secondary = search_hook().SECONDARY
    default = full_index(site, site)
    config = {k: v for k, v in default["config"].items() if k != "analysis"}
    docs = [_without_boost(d, secondary) for d in default["docs"]]
    seen = {(d["location"], d["title"], d["text"]) for d in docs}
    langs = [DEFAULT_LANGUAGE]
    for index in sorted(site.glob("*/search/search_index.json")):
        lang = index.parent.parent.name
        langs.append(lang)
        for doc in full_index(site, index.parent.parent)["docs"]:
            doc = _without_boost(doc, secondary)
            if (doc["location"], doc["title"], doc["text"]) not in seen:
                docs.append({**doc, "location": f"{lang}/{doc['location']}"})
    config["lang"] = sorted(langs)
    return {"config": config, "docs": docs}


def material_config(html: str) -> str:
    """A page's ``__config`` as Material rendered it, before hooks/search.py."""
    match = CONFIG_SCRIPT.search(html)
    if match is None:
        return html
    data = json.loads(match.group(2))
    data["base"] = re.sub(r"/?[a-z]{2}/$", "", data["base"]) or "."
    data["search"] = re.sub(r"search/worker\.js\?material=", "workers/", data["search"])
    text = json.dumps(data, ensure_ascii=False).replace("</", "<\\/")
    return INTENT_SCRIPT.sub("", html[: match.start(2)] + text + html[match.end(2) :])


def use_material_default(context: BrowserContext, site: Path) -> dict[str, bytes]:
    """Route the context to Material's default search; return what it serves instead."""
    body = json.dumps(combined_index(site), ensure_ascii=False)

    def handle(route: Route) -> None:
        request = route.request
        path = urlsplit(request.url).path
        if path == "/search/search_index.json":
            route.fulfill(status=200, content_type="application/json", body=body)
        elif request.resource_type == "document":
            response = route.fetch()
            route.fulfill(response=response, body=material_config(response.text()))
        else:
            route.continue_()

    context.route("**/*", handle)
    return {"search/search_index.json": body.encode()}


# --------------------------------------------------------------------------
# Driving the search box
# --------------------------------------------------------------------------

# Types a query the way Material listens for it (keyup) and resolves when the
# result list has been rendered: {ms, results, meta}. With focus, the search box
# is focused first (as a reader's click or the / shortcut does) and ms counts
# from the focus.
TYPE_QUERY = """async ([query, focus]) => {
  const input = document.querySelector("input.md-search__input");
  const meta = document.querySelector(".md-search-result__meta");
  const list = document.querySelector(".md-search-result__list");
  const answered = () => new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("no search result within 10 s")), 10000);
    const observer = new MutationObserver(() => {
      observer.disconnect(); clearTimeout(timer); resolve();
    });
    observer.observe(meta, { childList: true, characterData: true, subtree: true });
  });
  const type = async (value) => {
    const done = answered();
    input.value = value;
    input.dispatchEvent(new KeyboardEvent("keyup", { bubbles: true }));
    await done;
  };
  if (input.value !== "") await type("");
  if (query === "")
    return { ms: 0, at: performance.now(), results: [], groups: [], meta: meta.textContent };
  const start = performance.now();
  if (focus) input.focus();
  await type(query);
  await new Promise((resolve) => setTimeout(resolve, 0));  // let the list render
  const at = performance.now();
  const ms = at - start;
  const items = [...list.querySelectorAll(":scope > li.md-search-result__item")];
  const results = items.map((li) => li.querySelector("a").href);
  const groups = items.map((li) => [...li.querySelectorAll("a")].map((a) => a.href));
  return { ms, at, results, groups, meta: meta.textContent };
}"""


def page_path(href: str, base_url: str) -> str:
    """A result link as a page path from the site root (``en/activations/``)."""
    path = urlsplit(href).path
    return path[len(urlsplit(base_url).path) :]


def link_path(href: str, base_url: str) -> str:
    """A result link as a path from the site root with its section (``en/numpy/#views``)."""
    fragment = urlsplit(href).fragment
    return page_path(href, base_url) + (f"#{fragment}" if fragment else "")


class SearchBox:
    """One page of the site, loaded (network idle), then searched once.

    ``load_requests``: the URLs the page load fetched; ``first_requests``: those
    the first search added; ``first_ms``: from focusing the search box to the
    first results of a query typed at once.
    """

    def __init__(self, page: Page, base_url: str, lang: str) -> None:
        self.page = page
        self.base_url = base_url
        self.errors: list[str] = []
        self.requests: list[str] = []
        page.on("request", lambda request: self.requests.append(request.url))
        page.on("pageerror", lambda error: self.errors.append(str(error)))
        page.on("console", self._console)
        page.goto(root_url(base_url, lang), wait_until="networkidle")
        page.wait_for_function(
            "document.querySelector('.md-search-result__meta') !== null"
            " && document.querySelector('input.md-search__input') !== null"
        )
        self.load_requests = list(self.requests)
        result = self.search(FIRST_QUERY.get(lang, "a"), focus=True)
        self.first_ms = result["ms"]
        self.first_paths = result["paths"]
        # this site answers from a titles index first: wait until the full one answers
        self.full_ms = None
        if page.query_selector('script[src$="search/intent.js"]'):
            page.wait_for_function(
                f"{SEARCH_INDEX} === 'full'",
                polling=10,
                timeout=30_000,
            )
            self.full_ms = page.evaluate("performance.now()") - (result["at"] - result["ms"])
        self.first_requests = self.requests[len(self.load_requests) :]

    def _console(self, message) -> None:
        if message.type in ("error", "warning"):
            self.errors.append(message.text)

    def search(self, query: str, focus: bool = False) -> dict:
        result = self.page.evaluate(TYPE_QUERY, [query, focus])
        result["paths"] = [page_path(href, self.base_url) for href in result["results"]]
        result["groups"] = [
            [link_path(href, self.base_url) for href in links] for links in result["groups"]
        ]
        return result


def run(browser: Browser, base_url: str, site: Path, mode: str, queries: list[Query]) -> dict:
    context = browser.new_context()
    served = use_material_default(context, site) if mode == "default" else {}
    outcomes: list[Outcome] = []
    boxes: dict[str, SearchBox] = {}
    transferred: dict[str, dict[str, dict[str, int]]] = {}
    try:
        for lang in sorted({q.lang for q in queries}):
            box = boxes[lang] = SearchBox(context.new_page(), base_url, lang)
            transferred[lang] = {
                "load": search_bytes(box.load_requests, site, served),
                "first": search_bytes(box.first_requests, site, served),
            }
        for query in queries:
            result = boxes[query.lang].search(query.q)
            outcomes.append(Outcome(query, result["paths"], result["ms"], result["groups"]))
    finally:
        context.close()
    return {
        "outcomes": outcomes,
        "first_ms": {lang: box.first_ms for lang, box in boxes.items()},
        "full_ms": {lang: box.full_ms for lang, box in boxes.items()},
        "errors": {lang: box.errors for lang, box in boxes.items()},
        "bytes": transferred,
    }


def search_bytes(urls: list[str], site: Path, served: dict[str, bytes]) -> dict[str, int]:
    """Gzip-compressed bytes of each file a page fetched for search (``served``: routed)."""
    sizes = {}
    for url in urls:
        path = urlsplit(url).path.lstrip("/")
        if not re.search(r"(^|/)search/|/lunr/|/workers/", path):
            continue
        if path in served:
            sizes[path] = len(gzip.compress(served[path], 9))
        elif (site / path).is_file():
            sizes[path] = len(gzip.compress((site / path).read_bytes(), 9))
    return sizes


# --------------------------------------------------------------------------
# Report
# --------------------------------------------------------------------------


def recall(outcomes: list[Outcome], k: int) -> float:
    return sum(o.rank is not None and o.rank <= k for o in outcomes) / len(outcomes)


def summary(results: dict[str, dict]) -> dict:
    table = {}
    for mode, result in results.items():
        for lang in sorted({o.query.lang for o in result["outcomes"]}):
            outcomes = [o for o in result["outcomes"] if o.query.lang == lang]
            times = sorted(o.ms for o in outcomes)
            table[f"{mode}/{lang}"] = {
                "queries": len(outcomes),
                "recall@1": round(recall(outcomes, 1), 3),
                "recall@5": round(recall(outcomes, 5), 3),
                "median_ms": round(statistics.median(times), 1),
                "max_ms": round(times[-1], 1),
                "focus_to_results_ms": round(result["first_ms"][lang], 1),
                "focus_to_full_index_ms": result["full_ms"][lang]
                and round(result["full_ms"][lang]),
                "page_load_gzip_bytes": sum(result["bytes"][lang]["load"].values()),
                "first_search_gzip_bytes": sum(result["bytes"][lang]["first"].values()),
            }
    return table


def report(results: dict[str, dict], out=sys.stdout) -> None:
    table = summary(results)
    print(
        f"{'search/lang':<12} {'n':>3} {'R@1':>6} {'R@5':>6} {'med ms':>7} {'max ms':>7}", file=out
    )
    for name, row in table.items():
        print(
            f"{name:<12} {row['queries']:>3} {row['recall@1']:>6.1%} {row['recall@5']:>6.1%}"
            f" {row['median_ms']:>7} {row['max_ms']:>7}",
            file=out,
        )
    print(
        "\na page loaded, then searched: gzip bytes for search at page load and on the first"
        " search, time from focusing the search box to the first results",
        file=out,
    )
    for mode, result in results.items():
        for lang, phases in result["bytes"].items():
            full = result["full_ms"][lang]
            print(f"  {mode}/{lang}: focus to results {result['first_ms'][lang]:.0f} ms"
                  + (f" (titles index; the full index answers from {full:.0f} ms)" if full else ""),
                  file=out)  # fmt: skip
            for phase, label in (("load", "page load"), ("first", "first search")):
                sizes = phases[phase]
                files = ", ".join(f"{Path(p).name} {b}" for p, b in sorted(sizes.items()))
                print(f"    {label:<12} {sum(sizes.values()):>7} B  ({files})", file=out)
    site = results["site"]
    for lang, outcomes in _by_lang(site["outcomes"]).items():
        misses = [o for o in outcomes if o.rank is None or o.rank > 1]
        print(f"\n{lang}: not first with this site's search ({len(misses)})", file=out)
        for o in misses:
            print(
                f"  {o.query.q!r} -> {o.query.pages} got {o.results[:3]} (rank {o.rank})", file=out
            )


def within(outcome: Outcome, k: int) -> bool:
    """The query found its page (and, for a heading, its section) in the first ``k`` results."""
    return outcome.section_rank is not None and outcome.section_rank <= k


def generated_report(outcomes: list[Outcome], out=sys.stdout, k: int = 3) -> dict:
    """Share of the generated checks met (top ``k``), per language and kind; the misses."""
    table: dict[str, dict] = {}
    for o in outcomes:
        row = table.setdefault(f"{o.query.lang} {o.query.kind}", {"n": 0, "top1": 0, f"top{k}": 0})
        row["n"] += 1
        row["top1"] += within(o, 1)
        row[f"top{k}"] += within(o, k)
    print(f"\ngenerated checks (glossary names -> defining chapter; headings -> section), top {k}",
          file=out)  # fmt: skip
    for name, row in sorted(table.items()):
        print(f"  {name:<14} {row['n']:>4}  top 1 {row['top1'] / row['n']:>6.1%}"
              f"  top {k} {row[f'top{k}'] / row['n']:>6.1%}", file=out)  # fmt: skip
    for o in outcomes:
        if not within(o, k):
            wanted = o.query.pages[0] + (f"#{o.query.section}" if o.query.section else "")
            print(f"  miss {o.query.lang} {o.query.kind}: {o.query.q!r} -> {wanted}"
                  f" got {o.results[:3]}", file=out)  # fmt: skip
    return table


def _by_lang(outcomes: list[Outcome]) -> dict[str, list[Outcome]]:
    grouped: dict[str, list[Outcome]] = {}
    for o in outcomes:
        grouped.setdefault(o.query.lang, []).append(o)
    return grouped


@contextlib.contextmanager
def built_site(path: str | None):
    if path:
        yield Path(path)
        return
    with tempfile.TemporaryDirectory() as tmp:
        site = Path(tmp) / "site"
        result = build(site)
        if result.returncode:
            sys.exit(result.stdout + result.stderr)
        yield site


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--site", help="a built site (default: build one into a temporary folder)")
    parser.add_argument("--json", help="write the figures and every outcome to this file")
    parser.add_argument("--mode", choices=MODES, action="append", help="only this search")
    args = parser.parse_args(argv)
    queries = load_queries()
    with built_site(args.site) as site, serve(site) as base_url, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        results = {mode: run(browser, base_url, site, mode, queries) for mode in args.mode or MODES}
        generated = run(browser, base_url, site, "site", generated_queries())
        browser.close()
    report(results)
    generated_table = generated_report(generated["outcomes"])
    if args.json:
        data = {
            "summary": summary(results),
            "generated": generated_table,
            "outcomes": {
                mode: [
                    {"lang": o.query.lang, "q": o.query.q, "pages": o.query.pages,
                     "rank": o.rank, "results": o.results[:5], "ms": round(o.ms, 1)}
                    for o in result["outcomes"]
                ]
                for mode, result in results.items()
            },
        }  # fmt: skip
        Path(args.json).write_text(json.dumps(data, ensure_ascii=False, indent=1), "utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
