"""MkDocs hooks: notebooks, generated figures and fallback banners.

Three jobs the plugins do not do on their own in a bilingual site:

1. Notebooks. mkdocs-static-i18n rebuilds every file as a plain MkDocs file,
   which silently turns mkdocs-jupyter's notebook pages back into raw source
   (upstream issue #198). After i18n has run, notebook files are wrapped again
   in mkdocs-jupyter's ``NotebookFile``, keeping i18n's destination and URL.
   Each notebook's code runs here once per content (its code cells plus the
   ``snippets/`` sources), with ``allow_errors=False``; the Korean and English
   twins share their code, so they share that run, and all runs go in
   parallel, one kernel per core. The outputs are copied into each language's
   notebook, which is what mkdocs-jupyter renders and readers download.
2. Figures. Every ``FIGURES`` mapping in a ``snippets`` module names an SVG
   drawn by code; each is generated (cached by the same content key) and
   added to the site as ``assets/figures/<name>``.
3. Fallback. A page shown in a language it was not written in gets a visible
   banner in the reader's language.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import time
from pathlib import Path

from mkdocs.exceptions import PluginError
from mkdocs.plugins import event_priority
from mkdocs.structure.files import File, Files

log = logging.getLogger("mkdocs.hooks.site")

ROOT = Path(__file__).resolve().parent.parent
# Single-threaded examples (figures here, notebook kernels started from here):
# the same numbers on every machine, as in `make test`.
os.environ.setdefault("OMP_NUM_THREADS", "1")

# executed notebooks and drawn figures, keyed by content (make bench points it elsewhere)
CACHE = Path(os.environ.get("DOCS_CACHE_DIR") or ROOT / ".cache")
FIGURE_DIR = "assets/figures"

# the figures of the last build, by content key (mkdocs serve rebuilds in one process)
_figure_cache: dict[str, dict[str, bytes]] = {}


def shown(path: Path) -> str:
    """A path as a person reads it: relative to the repository when inside it."""
    try:
        return path.resolve().relative_to(ROOT).as_posix()
    except ValueError:
        return path.as_posix()


def content_key(*extra: bytes) -> str:
    """Hash the snippet sources, the pinned dependencies and ``extra``."""
    digest = hashlib.sha256()
    for path in sorted((ROOT / "snippets").rglob("*.py")):
        digest.update(path.relative_to(ROOT).as_posix().encode())
        digest.update(path.read_bytes())
    digest.update((ROOT / "pyproject.toml").read_bytes())
    for chunk in extra:
        digest.update(chunk)
    return digest.hexdigest()[:20]


# --------------------------------------------------------------------------
# Notebooks
# --------------------------------------------------------------------------


def _code_key(notebook) -> str:
    """Key of a notebook's code: twins share their code cells, so they share one run."""
    code = [cell.source for cell in notebook.cells if cell.cell_type == "code"]
    return content_key(json.dumps(code).encode())


def run_code(src: Path) -> Path:
    """Execute the code of notebook ``src`` once per content; return the executed notebook.

    Raises:
        PluginError: a cell raised; the message names the notebook and the cell.
    """
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    nb = nbformat.read(src, as_version=4)
    out = CACHE / "notebooks" / f"{_code_key(nb)}.ipynb"
    if out.exists():
        return out
    client = NotebookClient(
        nb,
        timeout=300,
        kernel_name="python3",
        allow_errors=False,
        resources={"metadata": {"path": str(ROOT)}},
    )
    started = time.perf_counter()
    try:
        client.execute()
    except CellExecutionError as error:
        raise PluginError(f"{shown(src)}: a notebook cell raised:\n{error}") from None
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(f".{os.getpid()}.tmp")
    nbformat.write(nb, tmp)
    tmp.replace(out)
    log.info("Executed notebook %s in %.1f s", shown(src), time.perf_counter() - started)
    return out


def run_all_notebooks(docs: Path) -> None:
    """Execute every notebook whose code has no cached run, in parallel (one kernel per core)."""
    from concurrent.futures import ThreadPoolExecutor

    import nbformat

    todo: dict[str, Path] = {}
    for src in sorted(docs.rglob("*.ipynb")):
        if "assets" in src.relative_to(docs).parts:
            continue
        key = _code_key(nbformat.read(src, as_version=4))
        if not (CACHE / "notebooks" / f"{key}.ipynb").exists():
            todo.setdefault(key, src)
    if todo:
        with ThreadPoolExecutor(max_workers=max(1, os.cpu_count() or 1)) as pool:
            list(pool.map(run_code, todo.values()))


def execute_notebook(src: Path) -> Path:
    """Return ``src`` with the outputs of its (cached) run: what readers see and download."""
    import nbformat

    nb = nbformat.read(src, as_version=4)
    out = CACHE / "notebooks" / content_key(src.read_bytes()) / src.name
    if out.exists():
        return out
    executed = nbformat.read(run_code(src), as_version=4)
    ran = [cell for cell in executed.cells if cell.cell_type == "code"]
    mine = [cell for cell in nb.cells if cell.cell_type == "code"]
    for cell, done in zip(mine, ran, strict=True):
        cell.outputs = done.outputs
        cell.execution_count = done.execution_count
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(f".{os.getpid()}.tmp")
    nbformat.write(nb, tmp)
    tmp.replace(out)
    return out


def _wrap_notebook(file: File, config) -> File:
    from mkdocs_jupyter.plugin import NotebookFile

    executed = execute_notebook(Path(file.abs_src_path))
    wrapped = NotebookFile(
        file, use_directory_urls=config.use_directory_urls, site_dir=config.site_dir
    )
    # keep what i18n decided (the /en/ prefix); i18n saw mkdocs-jupyter's own
    # wrapper, so its destination is already the page's .html
    wrapped.dest_uri = file.dest_uri
    wrapped.abs_dest_path = str(Path(config.site_dir) / wrapped.dest_uri)
    wrapped.url = wrapped._get_url(config.use_directory_urls)
    # render (and offer for download) the executed copy
    wrapped.abs_src_path = str(executed)
    file.abs_src_path = str(executed)
    return wrapped


# --------------------------------------------------------------------------
# Figures
# --------------------------------------------------------------------------


def render_figures() -> dict[str, dict[str, bytes]]:
    """Return every figure of ``snippets`` in every language: ``{lang: {name: svg}}``.

    Drawn once per content (the snippet sources and the words tables), in fresh
    processes, in parallel: a figure reflects the code on disk even in a
    long-running ``mkdocs serve``, and a slow one (most train a small model)
    does not hold up the others.
    """
    from concurrent.futures import ProcessPoolExecutor
    from multiprocessing import get_context

    from snippets.plotting import LANGUAGES

    words = b"".join(p.read_bytes() for p in sorted((ROOT / "i18n" / "words").rglob("*.yml")))
    key = content_key(words)
    if key in _figure_cache:
        return _figure_cache[key]
    cache = CACHE / "figures" / key
    manifest = cache / "manifest.json"
    registry = json.loads(manifest.read_text(encoding="utf-8")) if manifest.exists() else None

    def missing_of(registry):
        return [
            (n, lang) for n in registry for lang in LANGUAGES if not (cache / lang / n).exists()
        ]

    missing = [] if registry is None else missing_of(registry)
    if registry is None or missing:
        import snippets

        workers = max(1, os.cpu_count() or 1)
        with ProcessPoolExecutor(max_workers=workers, mp_context=get_context("spawn")) as pool:
            if registry is None:
                try:
                    registry = pool.submit(snippets.figures).result()
                except ValueError as error:
                    raise PluginError(f"snippets: {error}") from None
                missing = missing_of(registry)
            started = time.perf_counter()
            todo: dict[str, list[str]] = {}
            for name, lang in missing:
                todo.setdefault(name, []).append(lang)
            futures = {
                name: pool.submit(snippets.draw_figures, registry[name], tuple(langs))
                for name, langs in todo.items()
            }
            for name, future in sorted(futures.items()):
                try:
                    svgs = future.result()
                except Exception as error:  # a figure that fails must fail the build
                    raise PluginError(f"figure {name!r} ({registry[name]}): {error}") from None
                for lang, svg in svgs.items():
                    (cache / lang).mkdir(parents=True, exist_ok=True)
                    (cache / lang / name).write_bytes(svg)
            if futures:
                log.info("Drew %d figures in %.1f s", len(futures), time.perf_counter() - started)
        manifest.write_text(json.dumps(registry, indent=1), encoding="utf-8")
    _figure_cache.clear()
    _figure_cache[key] = {
        lang: {name: (cache / lang / name).read_bytes() for name in registry} for lang in LANGUAGES
    }
    return _figure_cache[key]


# --------------------------------------------------------------------------
# Events
# --------------------------------------------------------------------------


@event_priority(-200)  # after mkdocs-static-i18n (-100) has rebuilt the files
def on_files(files: Files, config) -> Files:
    from concurrent.futures import ThreadPoolExecutor

    # figures (process pool) and notebooks (kernels) share the cores
    with ThreadPoolExecutor(max_workers=1) as background:
        figures = background.submit(render_figures)
        run_all_notebooks(Path(config.docs_dir))
        svgs = figures.result()
    # in place: ``files`` is i18n's Files subclass, which resolves links per language
    for file in [f for f in files if f.src_uri.endswith(".ipynb")]:
        files.remove(file)
        files.append(_wrap_notebook(file, config))
    # each language's build gets its own figures: /assets/figures/ (ko), /en/assets/figures/
    lang = build_language(config)
    prefix = "" if lang == DEFAULT_LANGUAGE else f"{lang}/"
    for name, svg in svgs[lang].items():
        figure = File.generated(config, f"{FIGURE_DIR}/{name}", content=svg)
        figure.dest_uri = f"{prefix}{FIGURE_DIR}/{name}"
        files.append(figure)
    return files


DEFAULT_LANGUAGE = "ko"


def build_language(config) -> str:
    """The language this build renders (Material's ``theme.language``, set per language)."""
    return config.theme["language"]


BANNERS = {
    "en": (
        '!!! warning "Not translated yet"\n'
        "    This page has no English version yet: you are reading the Korean original.\n"
        "    Contributions are welcome (see CONTRIBUTING.md).\n\n"
    ),
    "ko": (
        '!!! warning "아직 번역되지 않았습니다"\n'
        "    이 페이지는 아직 한국어판이 없어 영어 원문을 보여 드립니다.\n"
        "    번역 기여를 환영합니다 (CONTRIBUTING.md 참고).\n\n"
    ),
}


def fallback_banner(file_locale: str | None, build_locale: str | None) -> str:
    """Return the banner for a page written in ``file_locale`` shown in ``build_locale``."""
    if not file_locale or not build_locale or file_locale == build_locale:
        return ""
    return BANNERS[build_locale]


def on_page_markdown(markdown: str, page, config, files) -> str:
    file_locale = getattr(page.file, "locale", None)
    build_locale = getattr(page.file, "locale_alternate_of", None)
    lang = build_locale or "ko"
    if "<!-- glossary -->" in markdown:
        markdown = markdown.replace("<!-- glossary -->", glossary_markdown(lang))
    if "<!-- translation-status -->" in markdown:
        table = translation_status_markdown(Path(config.docs_dir), lang)
        markdown = markdown.replace("<!-- translation-status -->", table)
    banner = fallback_banner(file_locale, build_locale)
    if banner:
        log.info("%s has no %s twin: shown with a fallback banner", page.file.src_uri, lang)
    else:
        banner = outdated_banner(page, config)
        if banner:
            log.info("%s: outdated translation, shown with a banner", page.file.src_uri)
    if banner:
        # after the front matter, before the first heading's body
        lines = markdown.split("\n")
        first_heading = next((i for i, line in enumerate(lines) if line.startswith("# ")), -1)
        lines.insert(first_heading + 1, "\n" + banner)
        return "\n".join(lines)
    return markdown


def on_page_context(context, page, config, nav):
    """Point every language link at the same page in that language.

    mkdocs-static-i18n does this for Markdown pages only: notebooks are assets
    to it, so their links fall back to the language's home page. Twin pages
    share their path below the language root (``x/`` and ``en/x/``), so the
    link is that path under the other language's home link.
    """
    build_locale = getattr(page.file, "locale_alternate_of", None)
    i18n = config.plugins.get("i18n")
    if build_locale is None or i18n is None or not i18n.extra_alternate:
        return context
    homes = {alt["lang"]: alt["link"] for alt in i18n.extra_alternate}
    root = {
        lang.locale: "" if lang.default else f"{lang.locale}/" for lang in i18n.config.languages
    }
    path = page.url
    if root[build_locale] and path.startswith(root[build_locale]):
        path = path[len(root[build_locale]) :]
    for alternate in config.extra.alternate:  # the object i18n and the theme read
        if alternate.get("lang") in homes:
            alternate["link"] = homes[alternate["lang"]] + path
    return context


def on_page_read_source(page, config):
    """Fail on malformed front matter: MkDocs itself silently ignores it."""
    from i18n.pages import front_matter

    path = Path(page.file.abs_src_path)
    if path.suffix != ".md":
        return None
    _, _, problems = front_matter(path.read_text(encoding="utf-8").split("\n"), shown(path))
    if problems:
        raise PluginError(str(problems[0]))
    return None


# --------------------------------------------------------------------------
# Glossary, translation status, outdated translations (i18n/)
# --------------------------------------------------------------------------

OUTDATED = {
    "en": (
        '!!! warning "This translation may be outdated"\n'
        "    The [Korean original]({link}) changed after this page was translated.\n\n"
    ),
    "ko": (
        '!!! warning "번역이 최신이 아닐 수 있습니다"\n'
        "    이 페이지를 번역한 뒤 [영어 원문]({link})이 바뀌었습니다.\n\n"
    ),
}


def glossary_terms():
    """The glossary, read again whenever the file changes (``mkdocs serve`` keeps this
    module loaded across rebuilds); a malformed glossary fails the build."""
    from i18n.glossary import GLOSSARY, GlossaryError, load_glossary

    key = hashlib.sha256(GLOSSARY.read_bytes()).hexdigest()
    if _glossary.get("key") != key:
        try:
            _glossary["terms"] = load_glossary()
        except GlossaryError as error:
            raise PluginError(f"glossary:\n{error}") from None
        _glossary["key"] = key
    return _glossary["terms"]


_glossary: dict = {}


def glossary_markdown(lang: str) -> str:
    """The glossary page body in ``lang``: one heading per term, same ids in both languages."""
    other = "en" if lang == "ko" else "ko"
    label = {"ko": "번역 메모", "en": "Translator's note"}[lang]
    out = []
    for term in sorted(glossary_terms(), key=lambda t: t.term(lang).lower()):
        out.append(f"### {term.term(lang)} ({term.term(other)}) {{ #{term.id} }}\n")
        out.append(term.definition[lang] + "\n")
        if term.note.get(lang):
            out.append(f"*{label}:* {term.note[lang]}\n")
    return "\n".join(out)


def translation_status_markdown(docs: Path, lang: str) -> str:
    """A table of every page: present in each language, translation state, structure."""
    from i18n.check import check_all

    head = {
        "ko": "| 페이지 | 한국어 | English | 번역 | 구조 |",
        "en": "| Page | 한국어 | English | Translation | Structure |",
    }[lang]
    states = {
        "ko": {
            "up to date": "최신",
            "outdated": "오래됨",
            "no record": "기록 없음",
            "single": "짝 없음",
        },
        "en": {s: s for s in ("up to date", "outdated", "no record", "single")},
    }[lang]
    rows = [head, "| --- | :-: | :-: | --- | --- |"]
    for status in check_all(docs, ROOT, glossary_terms()):
        ok = "✓" if status.ok else f"✗ ({len(status.problems)})"
        marks = " | ".join("✓" if status.present[x] else "✗" for x in ("ko", "en"))
        rows.append(f"| `{status.page}` | {marks} | {states[status.translation.state]} | {ok} |")
    return "\n".join(rows) + "\n"


def outdated_banner(page, config) -> str:
    """A banner in the page's language when it is a translation of a changed source."""
    from i18n.translation import translation_state

    path = Path(page.file.abs_src_path)
    docs = Path(config.docs_dir)
    try:
        lang, *rest = path.relative_to(docs).parts
    except ValueError:
        return ""
    if lang not in OUTDATED or not rest:
        return ""
    other = "en" if lang == "ko" else "ko"
    twin = docs.joinpath(other, *rest)
    if not twin.is_file():
        return ""
    pair = (path, twin) if lang == "ko" else (twin, path)
    state = translation_state(*pair)
    if state.state != "outdated" or state.source == lang:
        return ""
    i18n = config.plugins.get("i18n")
    homes = {alt["lang"]: alt["link"] for alt in (i18n.extra_alternate if i18n else [])}
    path_in_lang = page.url[len(f"{lang}/") :] if page.url.startswith(f"{lang}/") else page.url
    return OUTDATED[lang].format(link=homes.get(other, "/") + path_in_lang)


def on_page_content(html: str, page, config, files) -> str:
    lang = getattr(page.file, "locale_alternate_of", None) or "ko"
    if page.file.src_uri.endswith("glossary.md"):
        return html
    from i18n.tooltips import add_tooltips

    return add_tooltips(html, glossary_terms(), lang)
