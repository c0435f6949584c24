"""MkDocs hook: quick previews. A dirty build re-renders what an edit changed, and only that.

``make serve`` runs ``mkdocs serve --dirty``: on each save, MkDocs re-renders a page
only when its source file is newer than its HTML. On this site a page's HTML also
depends on other files, so this hook widens "newer" to everything the HTML is made
of, by marking the HTML of every page that must be rebuilt as old (its mtime) before
MkDocs compares:

- the site's inputs (``mkdocs.yml``, ``pyproject.toml``, ``hooks/``, ``overrides/``,
  ``i18n/``): every page (tooltips, banners, templates);
- a file of ``snippets/``: the pages made of it (``code_inputs_of``): those that include
  it, its API reference, the pages of the figures it draws, the labs that import it,
  each also through the project modules those import;
- the page's twin in the other language: the outdated-translation banner compares them;
- any page, for the pages built from all of them (the glossary, the translation status
  and the corrections appendix: the markers of ``docs_build.MARKERS``);
- a page added or removed, or a page title changed (its front matter ``title`` or its
  first ``#`` heading): every page, since the title is in every page's navigation.

A file saved while a build runs may be older than the HTML that build writes and still
not be in it: "newer" means newer than the HTML or than the start of the build that
wrote it, whichever came first.

A page that is not rebuilt is not read either, so MkDocs would not know its title
for the navigation of the pages that are: this hook gives it the title it had in the
last build, kept in ``<cache>/preview/`` per site folder (the one state that outlives
a build, on disk, and a build without it rebuilds everything). ``search.py`` keeps the
search entries of the pages not rebuilt, and ``notebooks.py`` stops mkdocs-jupyter from
evicting the cache entries of the notebooks not rebuilt.

A page whose source was deleted is removed from the site (and, by ``search.py``, from
the index). A build without ``--dirty`` is untouched: it only records the titles.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import time
from dataclasses import dataclass, field
from pathlib import Path

from code_inputs import (
    PREVIEW_SKIP,
    all_modules,
    closure,
    figure_modules,
    inputs_of,
    notebook_python,
)
from docs_build import CACHE, MARKERS, PRIORITY, ROOT, build_language, twin_of, write_atomic
from mkdocs.plugins import event_priority

from i18n.languages import language_of_path

log = logging.getLogger("mkdocs.hooks.preview")

# What every page is made of, besides its own source (folders are walked)
INPUTS = ("mkdocs.yml", "pyproject.toml", "hooks", "overrides", "i18n")
STATE_VERSION = 2
# What a page is made of in snippets/ (code_inputs_of): the code it includes, the module its API
# reference renders, the modules that draw its figures, the modules a lab's cells import
INCLUDE = re.compile(r'--8<--\s*"([^"]+)"')
REFERENCE = re.compile(r"^:::\s*([\w.]+)", re.M)
FIGURE = re.compile(r"assets/figures/([\w.-]+)")


def code_inputs_of(source: Path, figures: dict[str, str], root: Path = ROOT) -> list[Path]:
    """The files of ``snippets/`` (and the project modules they import) a page is made of.

    A Markdown page: the files it includes (``--8<-- "snippets/x.py:region"``), the
    module each ``::: module`` renders and the module that draws each figure it shows
    (``figures``: name -> module), with the project modules those import. A lab: the
    project modules its code cells import, and what those read (``code_inputs.py``).
    """
    text = source.read_text(encoding="utf-8")
    if source.suffix == ".ipynb":
        cells = json.loads(text).get("cells", [])
        code = ["".join(c["source"]) for c in cells if c["cell_type"] == "code"]
        # not the pages a lab reads: a dirty build keeps its earlier run (code_inputs.variant)
        return inputs_of(
            notebook_python(code), skip=PREVIEW_SKIP, root=root, lang=language_of_path(source)
        )
    files = {root / target.split(":")[0] for target in INCLUDE.findall(text)}
    modules = [
        *REFERENCE.findall(text),
        *(figures[n] for n in FIGURE.findall(text) if n in figures),
    ]
    for module in modules:
        try:
            files.update(closure(f"import {module}", root=root))
        except SyntaxError:  # a module being edited: every page made of snippets is stale
            files.update(all_modules(root))
    return sorted(files)


def state_path(site_dir: str | Path, lang: str) -> Path:
    """Where the titles of the last build of ``lang`` into ``site_dir`` are kept."""
    key = hashlib.sha256(f"{Path(site_dir).resolve()}\n{lang}".encode()).hexdigest()[:16]
    return CACHE / "preview" / f"{key}.json"


def newest_input(root: Path = ROOT, inputs: tuple[str, ...] = INPUTS) -> float:
    """The mtime of the newest file among ``inputs`` (byte-code caches aside)."""
    newest = 0.0
    for name in inputs:
        path = root / name
        if path.is_file():
            newest = max(newest, path.stat().st_mtime)
        elif path.is_dir():
            for dirpath, dirnames, filenames in os.walk(path):
                dirnames[:] = [d for d in dirnames if d != "__pycache__" and not d.startswith(".")]
                for filename in filenames:
                    newest = max(newest, os.stat(os.path.join(dirpath, filename)).st_mtime)
    return newest


def title_source(path: Path) -> str:
    """What a page's title is made of: its front matter ``title`` and its first ``#`` heading
    (of a notebook's Markdown cells)."""
    from i18n.pages import front_matter, markdown_headings

    text = path.read_text(encoding="utf-8")
    title = ""
    if path.suffix == ".ipynb":
        cells = json.loads(text).get("cells", [])
        text = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")
    else:
        meta, _, _ = front_matter(text.split("\n"), str(path))
        title = str(meta.get("title", ""))
    first = next((t for hashes, t in markdown_headings(text) if hashes == "#"), "")
    return f"{title}\n{first}"


def _mtime(path: Path) -> float | None:
    try:
        return path.stat().st_mtime
    except OSError:
        return None


@dataclass
class Page:
    """What the dirty build needs to know of one page file."""

    src_uri: str
    source: Path
    dest: Path
    title_source: str
    aggregate: bool
    code: float = 0.0  # the mtime of the newest file of code it is made of (code_inputs_of)


def plan(pages: list[Page], previous: dict | None, docs: Path, newest: float) -> tuple[set, str]:
    """The pages (``src_uri``) to rebuild beyond those MkDocs sees newer, and why.

    ``previous`` is the last build's state (``None``: unknown), ``newest`` the mtime
    of the newest site input.
    """
    every = {page.src_uri for page in pages}
    if previous is None:
        return every, "no record of the last build"
    known = previous.get("pages", {})
    if set(known) != every:
        return every, "pages were added or removed"
    # what a page was rendered from was read after the last build started: a file
    # saved while it ran can be older than the HTML and still not be in it
    started = previous.get("started", float("inf"))
    dests = {}
    for page in pages:
        built = _mtime(page.dest)
        dests[page.src_uri] = None if built is None else min(built, started)
    sources = {page.src_uri: _mtime(page.source) or 0.0 for page in pages}
    for page in pages:
        built = dests[page.src_uri]
        if built is not None and sources[page.src_uri] > built:
            if known[page.src_uri].get("title_source") != page.title_source:
                return every, f"the title of {page.src_uri} changed"
    twins = {}
    for page in pages:
        twin = twin_of(page.source, docs)
        twins[page.src_uri] = (_mtime(twin) or 0.0) if twin is not None else 0.0
    newest_doc = max([*sources.values(), *twins.values()], default=0.0)  # both languages
    stale = set()
    for page in pages:
        built = dests[page.src_uri]
        if built is None:
            continue  # MkDocs builds it anyway
        if max(newest, page.code, twins[page.src_uri], sources[page.src_uri]) > built:
            stale.add(page.src_uri)
        elif page.aggregate and newest_doc > built:
            stale.add(page.src_uri)
    why = "the site's inputs changed" if stale == every else "they depend on what changed"
    return stale, why


# --------------------------------------------------------------------------
# Hooks
# --------------------------------------------------------------------------


@dataclass
class Build:
    """One language build's view of the last build and of the pages it renders."""

    previous: dict | None
    started: float = field(default_factory=time.time)
    pages: dict[str, Page] = field(default_factory=dict)
    titles: dict[str, str] = field(default_factory=dict)


# The command line's mode, set once per process; and the builds in progress by site
# folder and language (mkdocs-static-i18n runs the other language's build inside
# this one's, into the same site folder).
_command = {"dirty": False}
_builds: dict[str, Build] = {}


def on_startup(command: str, dirty: bool) -> None:
    _command["dirty"] = dirty


def _key(config) -> tuple[str, str]:
    return config.site_dir, build_language(config)


def _load(key: tuple[str, str]) -> dict | None:
    path = state_path(*key)
    try:
        state = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return state if state.get("version") == STATE_VERSION else None


def on_config(config):
    """Keep Material's search from merging its last index into each dirty build's.

    Told of a dirty build (its ``on_startup`` event), Material's search keeps the
    index it made last and merges it into the next, assuming one page per rebuild;
    with mkdocs-static-i18n's two builds per rebuild and several pages each, that
    repeats entries, three times as many each save (a build took 2 s, then 14, 48,
    176 s). The same event, per build, tells it not to; ``search.py`` keeps the
    entries of the pages a dirty build does not render, from the last index written.
    """
    for name in ("material/search", "search"):
        search = config.plugins.get(name)
        if search is not None and hasattr(search, "on_startup"):
            search.on_startup(command="serve", dirty=False)
    return config


def on_pre_build(config) -> None:
    _builds[_key(config)] = Build(previous=_load(_key(config)))


def on_build_error(error) -> None:
    _builds.clear()


@event_priority(PRIORITY["preview.on_files"])  # after i18n has made the language's file list
def on_files(files, config):
    build = _builds[_key(config)]
    docs = Path(config.docs_dir)
    figures = figure_modules()
    for file in files.documentation_pages():
        source = docs / file.src_uri  # a lab's abs_src_path is its executed copy
        aggregate = source.suffix == ".md" and any(
            marker in source.read_text(encoding="utf-8") for marker in MARKERS.values()
        )
        code = max((_mtime(p) or 0.0 for p in code_inputs_of(source, figures)), default=0.0)
        build.pages[file.src_uri] = Page(
            file.src_uri, source, Path(file.abs_dest_path), title_source(source), aggregate, code
        )
    if not _command["dirty"]:
        return files
    site = Path(config.site_dir).resolve()
    for src_uri, known in ((build.previous or {}).get("pages") or {}).items():
        dest = (site / known.get("dest", "")).resolve()
        if src_uri not in build.pages and dest.is_file() and site in dest.parents:
            dest.unlink()  # the page of a deleted source is not served any more
            log.info("preview: %s was deleted: its page is removed", src_uri)
    stale, why = plan(list(build.pages.values()), build.previous, docs, newest_input())
    for src_uri in sorted(stale):
        dest = build.pages[src_uri].dest
        if dest.exists():
            os.utime(dest, (0, 0))  # older than any source: MkDocs rebuilds it
    if stale:
        log.info("preview: %d pages rebuilt beside the edited ones: %s", len(stale), why)
    return files


def on_nav(nav, config, files):
    """Pages that are not rebuilt keep the titles of the last build."""
    build = _builds[_key(config)]
    if not _command["dirty"] or build.previous is None:
        return nav
    known = build.previous.get("pages", {})
    for page in nav.pages:
        if not page.file.is_modified() and page.file.src_uri in known:
            page.title = known[page.file.src_uri]["title"]
    return nav


def on_post_page(output: str, page, config) -> str:
    _builds[_key(config)].titles[page.file.src_uri] = page.title
    return output


def on_post_build(config) -> None:
    build = _builds.pop(_key(config))
    known = (build.previous or {}).get("pages", {})
    pages = {}
    for src_uri, page in build.pages.items():
        title = build.titles.get(src_uri)
        if title is None:  # not rebuilt: the title it had
            title = known.get(src_uri, {}).get("title")
        if title is not None:
            dest = page.dest.resolve().relative_to(Path(config.site_dir).resolve())
            pages[src_uri] = {
                "title": title,
                "title_source": page.title_source,
                "dest": dest.as_posix(),
            }
    state = {"version": STATE_VERSION, "site_dir": str(Path(config.site_dir).resolve())}
    state["started"] = build.started
    state["pages"] = pages if len(pages) == len(build.pages) else {}
    path = state_path(*_key(config))
    write_atomic(path, json.dumps(state, ensure_ascii=False).encode())
    _prune(path.parent)


def _prune(folder: Path) -> None:
    """Forget the records of site folders that are gone (serve's temporary folders)."""
    for path in folder.glob("*.json"):
        try:
            site_dir = json.loads(path.read_text(encoding="utf-8")).get("site_dir")
        except (OSError, ValueError):
            continue
        if site_dir and not Path(site_dir).is_dir():
            path.unlink(missing_ok=True)
