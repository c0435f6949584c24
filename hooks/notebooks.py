"""MkDocs hook: the labs (Jupyter notebooks), from running them to their final HTML.

1. Running. Each notebook's code runs once per content (its code cells plus what
   their output is made of: the project modules they import and the files those
   read, ``code_inputs.py``), with ``allow_errors=False``, all notebooks in parallel,
   one kernel per core; the Korean and English twins differ only in their
   ``language()`` line. The outputs are copied into each language's notebook,
   which is what mkdocs-jupyter renders and readers download.
2. Rendering. mkdocs-static-i18n rebuilds every file as a plain MkDocs file,
   which turns mkdocs-jupyter's notebook pages back into raw source (upstream
   issue #198); after i18n has run, notebook files are wrapped again in
   mkdocs-jupyter's ``NotebookFile`` (its public constructor), keeping the
   destination i18n chose.
3. Heading ids. nbconvert derives ids from the heading text, which leaves Korean
   headings with empty ids; the language switch keeps the ``#anchor``, so both
   twins get the ids of the English notebook's headings, in order (twins must
   have the same headings, or the build fails). The headings are read by the
   one notebook heading parser, ``i18n.pages.notebook_headings``.
4. Descriptions and alt texts. A notebook has no front matter: its
   ``<meta name="description">`` is its first paragraph; nbconvert's placeholder
   alt text becomes "Figure n: <section>" in the page's language.
5. Weight. Inline PNGs are written next to the page in a 256-colour palette (the
   figures hook decides which load lazily); of the 570 KB of JupyterLab CSS
   nbconvert inlines, only the rules the page can use stay (``used_css``).
6. Language links. The language switch of every page (Material reads
   ``config.extra.alternate``) points at the same page in the other language.
"""

from __future__ import annotations

import base64
import hashlib
import html as html_lib
import io
import json
import logging
import os
import re
import struct
import time
from pathlib import Path

from code_inputs import inputs_keys, notebook_python, variant
from docs_build import (
    CACHE,
    LANGUAGES,
    PRIORITY,
    ROOT,
    build_language,
    content_key,
    language_home,
    page_language,
    root,
    shown,
    theme_alternates,
    write_atomic,
)
from mkdocs.exceptions import PluginError
from mkdocs.plugins import event_priority
from mkdocs.structure.files import File, Files
from used_css import Page, used_css

from i18n.languages import language_of_path

log = logging.getLogger("mkdocs.hooks.notebooks")

DESCRIPTION_LENGTH = 160
NBCONVERT_ALT = "No description has been provided for this image"
# mkdocs-jupyter's cache folder for a dirty build that renders some notebooks only
PARTIAL = "partial"
FIGURE_ALT = {"ko": "그림 {n}: {section}", "en": "Figure {n}: {section}"}

_HEADING_OR_IMG = re.compile(r"<h[1-6][^>]*>(.*?)</h[1-6]>|<img\b[^>]*>", re.S)
_TAG = re.compile(r"<[^>]+>")
_PARAGRAPH = re.compile(r"<p>(.*?)</p>", re.S)


def is_notebook(page) -> bool:
    return page.file.src_uri.endswith(".ipynb")


# --------------------------------------------------------------------------
# Running
# --------------------------------------------------------------------------


_command = {"dirty": False}  # a dirty build (make serve) keeps the runs of labs that read the pages


def on_startup(command: str, dirty: bool) -> None:
    _command["dirty"] = dirty


RUN = "run.ipynb"


def run_folder(notebook, lang: str | None) -> Path:
    """Where the run of a notebook in ``lang`` is kept: keyed by its code cells and every file
    their output depends on in ``lang`` (the project modules they import and what those
    read: ``code_inputs.py``). Twins differ in one line (``language("ko")``), so each
    language's lab has its own run, which the other language's words do not change;
    in a dirty build, a page saved does not re-run a lab that reads the pages
    (``code_inputs.variant``)."""
    code = [cell.source for cell in notebook.cells if cell.cell_type == "code"]
    python, extra = notebook_python(code), json.dumps(code).encode()
    code_key, pages_key = inputs_keys(python, extra=extra, lang=lang)
    folder = CACHE / "notebooks" / code_key
    return variant(folder, pages_key, _command["dirty"], lambda run: (run / RUN).is_file())


def run_code(src: Path) -> Path:
    """Execute the code of notebook ``src`` once per content; return the executed notebook.

    Raises:
        PluginError: a cell raised; the message names the notebook and the cell.
    """
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    nb = nbformat.read(src, as_version=4)
    out = run_folder(nb, language_of_path(src)) / RUN
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
        run = run_folder(nbformat.read(src, as_version=4), language_of_path(src)) / RUN
        if not run.exists():
            todo.setdefault(run, src)
    if todo:
        with ThreadPoolExecutor(max_workers=max(1, os.cpu_count() or 1)) as pool:
            list(pool.map(run_code, todo.values()))


def execute_notebook(src: Path) -> Path:
    """Return ``src`` with the outputs of its (cached) run: what readers see and download."""
    import nbformat

    nb = nbformat.read(src, as_version=4)
    out = run_folder(nb, language_of_path(src)) / content_key(src.read_bytes()) / src.name
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


def url_of(dest_uri: str, use_directory_urls: bool) -> str:
    """A page's URL from its destination, by MkDocs' documented rule (``x/index.html`` → ``x/``).

    >>> url_of("en/labs/numpy/index.html", True), url_of("index.html", True)
    ('en/labs/numpy/', './')
    """
    from urllib.parse import quote

    if use_directory_urls and (dest_uri == "index.html" or dest_uri.endswith("/index.html")):
        return quote(dest_uri[: -len("index.html")] or "./")
    return quote(dest_uri)


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
    wrapped.url = url_of(wrapped.dest_uri, config.use_directory_urls)
    # render (and offer for download) the executed copy
    wrapped.abs_src_path = str(executed)
    file.abs_src_path = str(executed)
    return wrapped


# --------------------------------------------------------------------------
# Descriptions, alt texts, heading ids
# --------------------------------------------------------------------------


def text_of(fragment: str) -> str:
    """Plain text of an HTML fragment (no tags, no permalink signs, one space)."""
    text = html_lib.unescape(_TAG.sub("", fragment)).replace("¶", "")
    return " ".join(text.split())


def shorten(text: str, limit: int = DESCRIPTION_LENGTH) -> str:
    if len(text) <= limit:
        return text
    cut = text[: limit - 1].rsplit(" ", 1)[0]
    return cut.rstrip(",;:") + "…"


def notebook_description(html: str, where: str) -> str:
    """The first non-empty paragraph of a rendered notebook."""
    for match in _PARAGRAPH.finditer(html):
        text = text_of(match.group(1))
        if len(text) >= 20:
            return shorten(text)
    raise PluginError(f"{where}: the notebook has no paragraph to describe it (add one)")


def figure_alts(html: str, lang: str, where: str) -> str:
    """Replace nbconvert's placeholder alt text by "Figure n: <section heading>"."""
    section = None
    count = 0
    out = []
    last = 0
    for match in _HEADING_OR_IMG.finditer(html):
        if match.group(1) is not None:
            section = text_of(match.group(1))
            continue
        tag = match.group(0)
        if f'alt="{NBCONVERT_ALT}"' not in tag:
            continue
        if section is None:
            raise PluginError(f"{where}: a figure comes before any heading; it needs one")
        count += 1
        alt = html_lib.escape(FIGURE_ALT[lang].format(n=count, section=section), quote=True)
        out.append(html[last : match.start()])
        out.append(tag.replace(f'alt="{NBCONVERT_ALT}"', f'alt="{alt}"'))
        last = match.end()
    out.append(html[last:])
    return "".join(out)


_NB_HEADING = re.compile(r'<h([1-6]) id="([^"]*)">(.*?)</h\1>', re.S)


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def notebook_ids(html: str, page, config) -> str:
    """Give the notebook's headings the English twin's ids, in the HTML and the TOC."""
    # abs_src_path is the executed copy in the cache; src_uri is "<lang>/labs/x.ipynb"
    from i18n.pages import notebook_headings

    lang, *rest = Path(page.file.src_uri).parts
    english = Path(config.docs_dir).joinpath("en", *rest)
    if lang not in LANGUAGES or not english.is_file():
        return html
    ids = [slug(text) or f"section-{i + 1}" for i, text in enumerate(notebook_headings(english))]
    found = _NB_HEADING.findall(html)
    if len(found) != len(ids):
        raise PluginError(
            f"{page.file.src_uri}: {len(found)} headings, but its English twin has {len(ids)}; "
            "twin notebooks need the same headings"
        )
    new = iter(ids)

    def rename(match: re.Match) -> str:
        level, old, inner = match.groups()
        new_id = next(new)
        inner = inner.replace(f'href="#{old}"', f'href="#{new_id}"', 1)
        return f'<h{level} id="{new_id}">{inner}</h{level}>'

    html = _NB_HEADING.sub(rename, html)
    renamed = iter(ids)

    def walk(items) -> None:
        for item in items:
            item.id = next(renamed, item.id)
            walk(item.children)

    walk(page.toc)
    return html


# --------------------------------------------------------------------------
# Weight: images and CSS out of the HTML
# --------------------------------------------------------------------------


_INLINE_PNG = re.compile(r'<img ([^>]*?)src="data:image/png;base64,([A-Za-z0-9+/=\s]+)"([^>]*)>')


def smaller_png(data: bytes) -> bytes:
    """The same plot in a 256-colour palette (as pngquant does): 60 % fewer bytes.

    Matplotlib's plots use a few colours and their anti-aliased edges; with 256
    the figure looks the same (checked side by side) and keeps its transparency.
    Pillow comes with matplotlib. An image that would not shrink is kept as it is.
    Kept in ``<cache>/png/`` by the image's content, so a rebuild converts only
    new figures (converting all of them took 2 s of every build).
    """
    import PIL

    digest = hashlib.sha256(data).hexdigest()[:24]
    cached = CACHE / "png" / f"{digest}-{PIL.__version__}.png"
    if cached.exists():
        return cached.read_bytes()
    out = _palette_png(data)
    write_atomic(cached, out)
    return out


def _palette_png(data: bytes) -> bytes:
    from PIL import Image

    with Image.open(io.BytesIO(data)) as image:
        image.load()
        if image.mode not in ("RGB", "RGBA"):
            return data
        palette = image.quantize(256, method=Image.Quantize.FASTOCTREE, dither=Image.Dither.NONE)
        out = io.BytesIO()
        palette.save(out, "PNG", optimize=True)
    return out.getvalue() if out.tell() < len(data) else data


def extract_images(output: str, page, config) -> str:
    """Write inline PNGs of a notebook page to files beside it, with their size.

    Whether an image loads lazily is decided in one place for every page,
    ``figures.sized_and_lazy`` (after the first section heading).
    """
    folder = Path(config.site_dir) / Path(page.file.dest_uri).parent
    count = 0

    def extract(match: re.Match) -> str:
        nonlocal count
        count += 1
        data = smaller_png(base64.b64decode(match.group(2)))
        name = f"figure-{count}.png"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(data)
        width, height = struct.unpack(">II", data[16:24])  # PNG IHDR
        attrs, rest = match.group(1), match.group(3)
        return f'<img {attrs}src="{name}" width="{width}" height="{height}"{rest}>'

    return _INLINE_PNG.sub(extract, output)


_STYLE = re.compile(r"(<style[^>]*>)(.*?)(</style>)", re.S)


def prune_styles(output: str) -> str:
    """Cut a notebook page's inline <style> blocks to the rules the page can use.

    nbconvert inlines all of JupyterLab's CSS (570 KB, 86 KB gzipped) into each
    page; what a lab can use of it is about 16 KB (4 KB gzipped), which stays
    inline: no render-blocking stylesheet request. ``used_css`` decides; a block
    left empty (mkdocs-jupyter also writes one holding a Python list's repr,
    which no browser applies) is removed.
    """
    blocks = list(_STYLE.finditer(output))
    pruned = used_css([m.group(2) for m in blocks], Page(output))
    parts, end = [], 0
    for match, css in zip(blocks, pruned, strict=True):
        parts.append(output[end : match.start()])
        if css:
            parts.append(f"{match.group(1)}{css}{match.group(3)}")
        end = match.end()
    return "".join(parts) + output[end:]


# --------------------------------------------------------------------------
# Events
# --------------------------------------------------------------------------


def jupyter_cache_per_language(config, notebooks: list) -> None:
    """Give mkdocs-jupyter's rendered-HTML cache one folder per language.

    mkdocs-jupyter deletes, after each build, every cache entry that build did not
    use; mkdocs-static-i18n builds each language in turn with the same plugin, so
    one language's build evicted the other's entries and every notebook was
    converted again on every build (about 7 s of a warm build). ``cache_dir`` is
    the plugin's documented option; each language's build sets it to
    ``<configured folder>/<lang>``.

    A dirty build (``make serve``) that renders only some notebooks would evict the
    others' entries: it gets a folder of its own, ``<lang>/partial``.
    """
    plugin = config.plugins.get("mkdocs-jupyter")
    if plugin is None or not plugin.config.get("cache"):
        return
    folder = Path(plugin.config["cache_dir"])
    while folder.name in (*LANGUAGES, PARTIAL):  # set by an earlier build of this run
        folder = folder.parent
    folder = folder / build_language(config)
    if any(not file.is_modified() for file in notebooks):
        folder = folder / PARTIAL
    plugin.config["cache_dir"] = str(folder)


@event_priority(PRIORITY["notebooks.on_files"])
def on_files(files: Files, config) -> Files:
    run_all_notebooks(Path(config.docs_dir))
    # in place: ``files`` is i18n's Files subclass, which resolves links per language
    for file in [f for f in files if f.src_uri.endswith(".ipynb")]:
        files.remove(file)
        files.append(_wrap_notebook(file, config))
    return files


def on_nav(nav, config, files):
    # after every hook's on_files: preview.py has decided which pages this build renders
    jupyter_cache_per_language(config, [f for f in files if f.src_uri.endswith(".ipynb")])
    return nav


def on_page_content(html: str, page, config, files) -> str:
    if not is_notebook(page):
        return html
    lang = page_language(page)
    where = page.file.src_uri
    if not page.meta.get("description"):
        page.meta["description"] = notebook_description(html, where)
    html = notebook_ids(html, page, config)
    return figure_alts(html, lang, where)


def on_page_context(context, page, config, nav):
    """Point every language link at the same page in that language.

    Twin pages share their path below the language root (``x/`` and ``en/x/``),
    so the link is that path under the other language's home. (mkdocs-static-i18n
    does this for Markdown pages only: notebooks are assets to it.)
    """
    lang = page_language(page)
    path = page.url[len(root(lang)) :] if page.url.startswith(root(lang)) else page.url
    for alternate in theme_alternates(config):
        if alternate.get("lang"):
            alternate["link"] = language_home(config, alternate["lang"]) + path
    return context


def on_post_page(output: str, page, config) -> str:
    if is_notebook(page):
        output = prune_styles(extract_images(output, page, config))
    return output
