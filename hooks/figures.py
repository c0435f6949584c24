"""MkDocs hook: the figures, drawn by the code of ``snippets/`` in the build's language.

Every ``FIGURES`` mapping in a ``snippets`` module names an SVG drawn by code. Each
figure is drawn in every language (``snippets.draw_figures``), in fresh processes,
in parallel, once per content (the module that draws it, the project modules it
imports and the files they read, such as the words tables ``i18n/words/``: see
``code_inputs.py``), per language, and kept in
``<cache>/figures/<code key>/<pages key>/<lang>/`` (:func:`figure_folder`). Drawing
starts when the build starts (``on_config``), so that it runs beside the notebooks'
kernels; each language's build then adds its own copies as
``assets/figures/<name>`` (Korean) and ``en/assets/figures/<name>``.

A training result a figure needs comes from ``snippets.cache`` (``@disk_cache``),
so the figures, the pages' examples and the labs train each model once.

On the pages (``on_page_content``), each drawn figure's ``<img>`` gets its size
(``width``/``height`` from the SVG, so its box is reserved before it loads), and
every image after the first section heading loads lazily: a phone fetches and
decodes a chapter's figures as the reader scrolls to them, not with the page.
"""

from __future__ import annotations

import json
import logging
import os
import re
import time
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

from code_inputs import inputs_keys, variant
from docs_build import (
    CACHE,
    DEFAULT,
    PRIORITY,
    build_language,
    content_key,
    write_atomic,
)
from mkdocs.exceptions import PluginError
from mkdocs.plugins import event_priority
from mkdocs.structure.files import File, Files

log = logging.getLogger("mkdocs.hooks.figures")

FIGURE_DIR = "assets/figures"
# Seconds each figure took to draw from scratch when last measured (make bench
# refreshes it). Figures are drawn longest first, so that a long one does not
# start last and hold up the build alone; the cache's own record, from this
# machine's last build, takes precedence.
COSTS = Path(__file__).with_name("figure_costs.json")


def figure_costs() -> dict[str, float]:
    costs: dict[str, float] = {}
    for path in (COSTS, CACHE / "figures" / "costs.json"):
        if path.exists():
            costs.update(json.loads(path.read_text(encoding="utf-8")))
    return costs


class Build:
    """What one build of one language holds: the figures being drawn."""

    def __init__(self) -> None:
        self.pool = ThreadPoolExecutor(max_workers=1)
        self.figures: Future = self.pool.submit(render_figures)
        self.sizes: dict[str, tuple[int, int]] = {}  # figure name -> CSS pixels


_build: Build | None = None  # replaced by every build (on_config): nothing outlives it


_command = {"dirty": False}  # a dirty build (make serve) keeps figures that read the pages


def on_startup(command: str, dirty: bool) -> None:
    _command["dirty"] = dirty


def figure_folder(name: str, target: str, lang: str) -> Path:
    """Where one figure in ``lang`` is kept (as ``lang/name`` in it): keyed by the code that
    draws it and every file that code reads in ``lang``.

    ``target`` is the ``module:function`` that draws it; the key covers that module,
    the project modules it imports (transitively), what they read (``lang``'s words
    table, the pages) and the pinned dependencies (``code_inputs.py``). An edit
    elsewhere in ``snippets/`` does not redraw it, nor does an edit to the other
    language's words; in a dirty build, neither does a page saved (``code_inputs.variant``).
    """
    module, function = target.split(":")
    code = f"import {module}\n# {name} {function}"
    code_key, pages_key = inputs_keys(code, module, lang=lang)

    def complete(folder: Path) -> bool:
        return (folder / lang / name).is_file()

    return variant(CACHE / "figures" / code_key, pages_key, _command["dirty"], complete)


def render_figures() -> dict[str, dict[str, bytes]]:
    """Return every figure of ``snippets`` in every language: ``{lang: {name: svg}}``.

    Each figure is drawn once per content (:func:`figure_folder`), in fresh processes,
    in parallel: a figure reflects the code on disk even in a long-running
    ``mkdocs serve``, and a slow one (most train a small model) does not hold up
    the others. An edit redraws only the figures whose code it touches.
    """
    from concurrent.futures import ProcessPoolExecutor
    from multiprocessing import get_context

    from snippets.plotting import LANGUAGES

    # which function draws which figure: known once per content of the whole package
    registry_file = CACHE / "figures" / "registry" / f"{content_key()}.json"
    registry = (
        json.loads(registry_file.read_text(encoding="utf-8")) if registry_file.exists() else None
    )

    def folders_of(registry):  # (name, lang) -> folder
        return {
            (name, lang): figure_folder(name, target, lang)
            for name, target in registry.items()
            for lang in LANGUAGES
        }

    def missing_of(folders):
        return [(n, lang) for (n, lang), f in folders.items() if not (f / lang / n).exists()]

    folders = None if registry is None else folders_of(registry)
    missing = [] if folders is None else missing_of(folders)
    if registry is None or missing:
        import snippets

        workers = max(1, os.cpu_count() or 1)
        with ProcessPoolExecutor(max_workers=workers, mp_context=get_context("spawn")) as pool:
            if registry is None:
                try:
                    registry = pool.submit(snippets.figures).result()
                except ValueError as error:
                    raise PluginError(f"snippets: {error}") from None
                folders = folders_of(registry)
                missing = missing_of(folders)
            started = time.perf_counter()
            todo: dict[str, list[str]] = {}
            for name, lang in missing:
                todo.setdefault(name, []).append(lang)
            costs = figure_costs()
            longest_first = sorted(todo, key=lambda n: (-costs.get(n, float("inf")), n))
            futures = {
                name: pool.submit(snippets.draw_figures_timed, registry[name], tuple(todo[name]))
                for name in longest_first
            }
            measured: dict[str, float] = {}
            for name, future in sorted(futures.items()):
                try:
                    svgs, seconds = future.result()
                except Exception as error:  # a figure that fails must fail the build
                    raise PluginError(f"figure {name!r} ({registry[name]}): {error}") from None
                measured[name] = round(seconds, 1)
                for lang, svg in svgs.items():
                    write_atomic(folders[name, lang] / lang / name, svg)
            if futures:
                log.info("Drew %d figures in %.1f s", len(futures), time.perf_counter() - started)
                record = CACHE / "figures" / "costs.json"
                known = json.loads(record.read_text(encoding="utf-8")) if record.exists() else {}
                record.write_text(json.dumps({**known, **measured}, indent=1), encoding="utf-8")
        write_atomic(registry_file, json.dumps(registry, indent=1).encode())
    return {
        lang: {name: (folders[name, lang] / lang / name).read_bytes() for name in registry}
        for lang in LANGUAGES
    }


def on_config(config):
    global _build
    _build = Build()
    return config


@event_priority(PRIORITY["figures.on_files"])
def on_files(files: Files, config) -> Files:
    if _build is None:  # a build without on_config (a test calling on_files directly)
        on_config(config)
    try:
        svgs = _build.figures.result()
    finally:
        _build.pool.shutdown(wait=False)
    # each language's build gets its own figures: /assets/figures/ (ko), /en/assets/figures/
    lang = build_language(config)
    prefix = "" if lang == DEFAULT else f"{lang}/"
    for name, svg in svgs[lang].items():
        figure = File.generated(config, f"{FIGURE_DIR}/{name}", content=svg)
        figure.dest_uri = f"{prefix}{FIGURE_DIR}/{name}"
        files.append(figure)
        size = svg_size(svg)
        if size:
            _build.sizes[name] = size
    return files


SVG_ROOT = re.compile(rb"<svg\b[^>]*>", re.S)
SVG_LENGTH = re.compile(r"^\s*([0-9.]+)\s*(pt|px)?\s*$")
IMG = re.compile(r"<img\b([^>]*?)\s*/?>", re.S)
PX_PER = {"pt": 4 / 3, "px": 1.0, None: 1.0}


def svg_size(svg: bytes) -> tuple[int, int] | None:
    """The width and height of an SVG in CSS pixels (matplotlib writes them in pt)."""
    root = SVG_ROOT.search(svg)
    if not root:
        return None
    tag = root.group().decode("utf-8", "replace")
    found = {}
    for key in ("width", "height"):
        value = re.search(rf'\s{key}="([^"]+)"', tag)
        length = value and SVG_LENGTH.match(value.group(1))
        if not length:
            return None
        found[key] = round(float(length.group(1)) * PX_PER[length.group(2)])
    return found["width"], found["height"]


def sized_and_lazy(html: str, sizes: dict[str, tuple[int, int]]) -> str:
    """Give figures their size, and images after the first ``<h2>`` lazy loading."""
    first_section = html.find("<h2")

    def fix(match: re.Match) -> str:
        attrs = match.group(1)
        src = re.search(r'\ssrc="([^"]+)"', attrs)
        name = src and src.group(1).rsplit("/", 1)[-1]
        if src and f"{FIGURE_DIR}/" in src.group(1) and name in sizes and " width=" not in attrs:
            attrs += ' width="{}" height="{}"'.format(*sizes[name])
        if 0 <= first_section < match.start() and " loading=" not in attrs:
            attrs += ' loading="lazy" decoding="async"'
        return f"<img{attrs} />"

    return IMG.sub(fix, html)


def on_page_content(html: str, page, config, files) -> str:
    return sized_and_lazy(html, _build.sizes if _build else {})
