"""Quick previews: a dirty build (``make serve``) rebuilds every page an edit changes, and
its site is the one a clean build makes.

The unit tests give ``hooks/preview.py`` and the search merge broken inputs; the
build test edits a copy of the docs, lets dirty builds follow the edit and its undo,
and compares the result with the clean site, file by file.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path

import pytest

from tests.hookload import load_hook
from tools.sitebuild import build

ROOT = Path(__file__).resolve().parent.parent
preview = load_hook("preview")
search = load_hook("search")


# --------------------------------------------------------------------------
# Which pages a dirty build renders
# --------------------------------------------------------------------------


@pytest.fixture
def docs(tmp_path) -> Path:
    """Two twin pages, a page without a twin and a glossary page, built at t=100."""
    docs = tmp_path / "docs"
    for lang in ("ko", "en"):
        (docs / lang).mkdir(parents=True)
        (docs / lang / "a.md").write_text("# A\n\ntext\n", encoding="utf-8")
        (docs / lang / "glossary.md").write_text("# G\n\n<!-- glossary -->\n", encoding="utf-8")
    (docs / "ko" / "only.md").write_text("---\ntitle: Only\n---\n\n# O\n", encoding="utf-8")
    for path in docs.rglob("*.md"):
        os.utime(path, (50, 50))
    return docs


def pages_of(docs: Path, lang: str, site: Path) -> list:
    pages = []
    for source in sorted((docs / lang).glob("*.md")):
        dest = site / lang / source.stem / "index.html"
        dest.parent.mkdir(parents=True, exist_ok=True)
        if not dest.exists():
            dest.write_text("old", encoding="utf-8")
            os.utime(dest, (100, 100))
        aggregate = "<!-- glossary -->" in source.read_text(encoding="utf-8")
        uri = f"{lang}/{source.name}"
        pages.append(preview.Page(uri, source, dest, preview.title_source(source), aggregate))
    return pages


def record(pages: list) -> dict:
    return {"pages": {p.src_uri: {"title": "t", "title_source": p.title_source} for p in pages}}


def test_an_edit_rebuilds_the_twin_and_the_aggregate_pages_only(docs, tmp_path):
    site = tmp_path / "site"
    pages = pages_of(docs, "en", site)
    assert preview.plan(pages, record(pages), docs, newest=10) == (
        set(),
        "they depend on what changed",
    )
    ko = docs / "ko" / "a.md"
    ko.write_text("# A\n\nmore text\n", encoding="utf-8")
    os.utime(ko, (200, 200))
    stale, _ = preview.plan(pages, record(pages), docs, newest=10)
    # the English twin (its outdated banner) and the glossary page (built from every page)
    assert stale == {"en/a.md", "en/glossary.md"}


def test_a_save_during_the_last_build_is_not_taken_as_built(docs, tmp_path):
    """The HTML was written at t=100 by a build that started at t=90: a file saved at
    t=95 is newer than what that build read."""
    pages = pages_of(docs, "en", tmp_path / "site")
    ko, en = docs / "ko" / "a.md", docs / "en" / "glossary.md"
    os.utime(ko, (95, 95))
    os.utime(en, (95, 95))
    state = {**record(pages), "started": 90}
    assert preview.plan(pages, state, docs, newest=10)[0] == {"en/a.md", "en/glossary.md"}
    assert preview.plan(pages, {**state, "started": 99}, docs, newest=10)[0] == set()
    stale, _ = preview.plan(pages, state, docs, newest=92)  # the glossary.yml, say
    assert stale == {p.src_uri for p in pages}


def test_the_site_inputs_rebuild_every_page(docs, tmp_path):
    pages = pages_of(docs, "ko", tmp_path / "site")
    stale, why = preview.plan(pages, record(pages), docs, newest=150)
    assert stale == {p.src_uri for p in pages} and why == "the site's inputs changed"


@pytest.mark.parametrize(
    ("name", "text", "rebuilt"),
    [
        ("a.md", "# A\n\nnew body\n", False),  # the body: the page alone (MkDocs sees it)
        ("a.md", "# A, renamed\n\ntext\n", True),  # the first heading: every page
        ("only.md", "---\ntitle: Other\n---\n\n# O\n", True),  # the front matter's title
    ],
)
def test_a_new_title_rebuilds_every_page(docs, tmp_path, name, text, rebuilt):
    site = tmp_path / "site"
    before = pages_of(docs, "ko", site)
    (docs / "ko" / name).write_text(text, encoding="utf-8")
    os.utime(docs / "ko" / name, (200, 200))
    stale, why = preview.plan(pages_of(docs, "ko", site), record(before), docs, newest=10)
    assert (stale == {p.src_uri for p in before}) is rebuilt, why
    if rebuilt:
        assert why == f"the title of ko/{name} changed"


def test_a_snippet_edit_rebuilds_the_pages_made_of_it_only(docs, tmp_path):
    site = tmp_path / "site"
    pages = pages_of(docs, "ko", site)
    made_of_code = {"ko/a.md": 200.0, "ko/only.md": 50.0}  # a's snippet saved after the build
    for page in pages:
        page.code = made_of_code.get(page.src_uri, 0.0)
    stale, why = preview.plan(pages, record(pages), docs, newest=10)
    assert stale == {"ko/a.md"} and why == "they depend on what changed"


def test_a_page_is_made_of_the_code_it_includes_renders_and_draws(tmp_path):
    files = {
        "snippets/__init__.py": "",
        "snippets/a.py": "from snippets.b import f\n",
        "snippets/b.py": "def f():\n    pass\n",
        "snippets/c.py": "FIGURES = {}\n",
        "snippets/d.py": "import snippets.c\n",
        "snippets/e.py": "",
    }
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text, encoding="utf-8")
    page = tmp_path / "page.md"
    page.write_text(
        '# P\n\n```python\n--8<-- "snippets/e.py:region"\n```\n\n::: snippets.a\n\n'
        "![a figure](../assets/figures/d-figure.svg)\n",
        encoding="utf-8",
    )
    made_of = preview.code_inputs_of(page, {"d-figure.svg": "snippets.d"}, root=tmp_path)
    names = {p.relative_to(tmp_path).as_posix() for p in made_of}
    # e included; a rendered (and b, which it imports); d draws the figure (and imports c)
    assert names == {f"snippets/{n}.py" for n in ("__init__", "a", "b", "c", "d", "e")}
    page.write_text("# P\n\nno code\n", encoding="utf-8")
    assert preview.code_inputs_of(page, {"d-figure.svg": "snippets.d"}, root=tmp_path) == []


def test_a_lab_is_made_of_the_modules_its_cells_import_and_its_languages_words():
    for lang in ("ko", "en"):
        lab = ROOT / "docs" / lang / "labs" / "generative.ipynb"
        names = {p.relative_to(ROOT).as_posix() for p in preview.code_inputs_of(lab, {})}
        assert {"snippets/gan.py", "snippets/vae.py", "snippets/plotting.py"} <= names
        assert "snippets/detection.py" not in names
        words = {n for n in names if n.startswith("i18n/words/")}
        assert bool(words) is (lang == "ko"), words  # English prints the code's own words


def test_no_record_or_another_set_of_pages_rebuilds_every_page(docs, tmp_path):
    pages = pages_of(docs, "ko", tmp_path / "site")
    every = {p.src_uri for p in pages}
    assert preview.plan(pages, None, docs, newest=10) == (every, "no record of the last build")
    fewer = record(pages[1:])
    assert preview.plan(pages, fewer, docs, newest=10) == (every, "pages were added or removed")


def test_the_record_is_kept_per_site_folder_and_language(tmp_path):
    paths = {preview.state_path(tmp_path / s, lang) for s in ("a", "b") for lang in ("ko", "en")}
    assert len(paths) == 4


# --------------------------------------------------------------------------
# The search entries of a dirty build
# --------------------------------------------------------------------------


def entry(location: str, text: str = "") -> dict:
    return {"location": location, "title": location, "text": text}


def test_the_last_entries_of_a_rendered_page_are_this_builds():
    # Material's dirty merge: an older copy of a page's entries, then this build's
    docs = [entry("a/"), entry("a/#old"), entry("b/"), entry("a/", "new"), entry("a/#x", "new")]
    assert search.last_entries(docs, {"a/"}) == [entry("a/", "new"), entry("a/#x", "new")]
    assert search.last_entries(docs, {"c/"}) == []


def test_merged_entries_keep_the_other_pages_and_their_order():
    previous = [entry(""), entry("a/"), entry("a/#old"), entry("b/"), entry("b/#s")]
    rendered = [entry("a/", "new"), entry("a/#x", "new"), entry("c/")]
    merged = search.merge_entries(previous, rendered)
    assert [d["location"] for d in merged] == ["", "a/", "a/#x", "b/", "b/#s", "c/"]
    assert merged[1]["text"] == "new"  # a removed heading (#old) is gone, not kept
    assert search.merge_entries(previous, []) == previous


def test_the_last_index_keeps_only_pages_still_in_the_site(tmp_path):
    (tmp_path / "search").mkdir()
    docs = [entry(""), entry("a/"), entry("a/#s"), entry("gone/"), entry("gone/#s")]
    index = tmp_path / "search" / "search_index.0123456789ab.json"
    index.write_text(json.dumps({"config": {}, "docs": docs}), encoding="utf-8")
    for page in ("", "a/"):
        (tmp_path / page).mkdir(exist_ok=True)
        (tmp_path / page / "index.html").write_text("<html>", encoding="utf-8")
    kept = search._previous_index(tmp_path)
    assert [d["location"] for d in kept] == ["", "a/", "a/#s"]
    (tmp_path / "gone").mkdir()
    (tmp_path / "gone" / "index.html").write_text("<html>", encoding="utf-8")
    assert search._previous_index(tmp_path) == docs
    assert search._previous_index(tmp_path / "gone") is None  # a clean build's: no index


# --------------------------------------------------------------------------
# A dirty build follows an edit, and its undo, to the clean site
# --------------------------------------------------------------------------

PAGE = "ko/activations.md"
EDIT = "\n\n## 미리 보기 확인 { #preview-check }\n\n미리보기더티빌드 문장입니다.\n"


def files_of(site: Path) -> dict[str, bytes]:
    """Every file of a site by path; the search indexes by content (their names are
    hashes of it), and not mkdocstrings' inventory, which lists the rendered objects."""
    out = {}
    for path in sorted(site.rglob("*")):
        name = path.relative_to(site).as_posix()
        if not path.is_file() or name.endswith("objects.inv"):
            continue
        name = re.sub(r"(search_(index|titles))\.[0-9a-f]{12}\.json$", r"\1.HASH.json", name)
        data = re.sub(
            rb"(search_(index|titles))\.[0-9a-f]{12}\.json", rb"\1.HASH.json", path.read_bytes()
        )
        out[name] = data
    return out


def index_of(site: Path, lang_root: str) -> list[dict]:
    (path,) = [
        p
        for p in (site / lang_root / "search").glob("search_index.*.json")
        if re.fullmatch(r"search_index\.[0-9a-f]{12}\.json", p.name)
    ]
    return json.loads(path.read_text(encoding="utf-8"))["docs"]


def touch_after(path: Path, site: Path) -> None:
    """Make ``path`` newer than every file of ``site``, as a save after a build is."""
    built = max(p.stat().st_mtime for p in site.rglob("*"))
    os.utime(path, (built + 1, built + 1))


@pytest.mark.build
def test_a_dirty_build_follows_an_edit_and_its_undo(site, tmp_path):
    docs = tmp_path / "docs"
    shutil.copytree(ROOT / "docs", docs)  # copy2: the sources keep their times
    copy = tmp_path / "site"
    shutil.copytree(site, copy)
    for lang in ("ko", "en"):  # the clean build's record of its titles, for the copy
        state = json.loads(preview.state_path(site, lang).read_text(encoding="utf-8"))
        state["site_dir"] = str(copy.resolve())
        preview.state_path(copy, lang).write_text(json.dumps(state), encoding="utf-8")
    clean = files_of(site)

    source = docs / PAGE
    original = source.read_text(encoding="utf-8")
    source.write_text(original + EDIT, encoding="utf-8")
    touch_after(source, copy)
    result = build(copy, docs=docs, dirty=True)
    assert result.returncode == 0, result.stdout + result.stderr
    log = result.stdout + result.stderr
    warnings = [
        line for line in log.splitlines() if "WARNING" in line and "'dirty' build" not in line
    ]
    assert not warnings, warnings
    edited = files_of(copy)
    changed = {name for name in clean if edited.get(name) != clean[name]}
    # the page, its twin (now an outdated translation), the status pages, the indexes
    assert {"activations/index.html", "en/activations/index.html"} <= changed
    assert {"translation-status/index.html", "en/translation-status/index.html"} <= changed
    assert not {n for n in changed if n.endswith(".html")} - {
        "activations/index.html",
        "en/activations/index.html",
        "translation-status/index.html",
        "en/translation-status/index.html",
    }, changed
    assert "미리보기더티빌드" in edited["activations/index.html"].decode()
    assert "번역이 최신이 아닐" not in edited["activations/index.html"].decode()
    assert "may be outdated" in edited["en/activations/index.html"].decode()
    # the index: the new section, and every other page's entries as they were
    ko_before, ko_after = index_of(site, ""), index_of(copy, "")
    new = [d for d in ko_after if d["location"] == "activations/#preview-check"]
    assert len(new) == 1 and "미리보기더티빌드" in new[0]["text"]
    edited_pages = ("activations/", "translation-status/")
    assert [d for d in ko_after if not d["location"].startswith(edited_pages)] == [
        d for d in ko_before if not d["location"].startswith(edited_pages)
    ]

    source.write_text(original, encoding="utf-8")  # undo: back to the clean site
    touch_after(source, copy)
    result = build(copy, docs=docs, dirty=True)
    assert result.returncode == 0, result.stdout + result.stderr
    undone = files_of(copy)
    assert sorted(undone) == sorted(clean)
    assert [name for name in clean if undone[name] != clean[name]] == []


# --------------------------------------------------------------------------
# make serve: saves show, and each rebuild does the same work as the last
# --------------------------------------------------------------------------


def _indexes(lines: list[str]) -> dict[str, tuple[int, str]]:
    """The last search index each language's build wrote in ``lines`` of the build log:
    ``{lang: (entries, file name)}``."""
    found = {}
    for line in lines:
        match = re.search(r"search: (\w+) index: (\d+) entries, \d+ bytes \(([^)]+)\)", line)
        if match:
            found[match.group(1)] = (int(match.group(2)), match.group(3))
    return found


def _rebuilds_ended(lines: list[str]) -> bool:
    """Each rebuild ``mkdocs serve`` started in ``lines`` ("Detected file changes") has
    ended ("Reloading browsers", or the error of a failed one), and there was at least one."""
    started = sum("Detected file changes" in line for line in lines)
    ended = sum(
        "Reloading browsers" in line or "An error happened during the rebuild" in line
        for line in lines
    )
    return started > 0 and ended == started


def _fetch(url: str) -> str:
    import urllib.request

    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.read().decode("utf-8", "replace")
    except OSError:
        return ""


@pytest.mark.build
def test_make_serve_shows_each_save_with_the_same_work_each_time(tmp_path):
    """Saves to a copy of the docs, served as ``make serve`` serves them: each shows; after
    each, each language's search index has as many entries as the full build's and the
    saved page's words; and the search plugin hands over no more entries on later saves
    than on the first two (Material's dirty merge once tripled them on every save).

    How many it hands over depends on which language's index Material merged last,
    which is not the same on every machine; the indexes a reader gets are."""
    import socket
    import subprocess
    import threading
    import time

    from tools.sitebuild import serve_command

    docs = tmp_path / "docs"
    shutil.copytree(ROOT / "docs", docs)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {**os.environ, "DOCS_DIR": str(docs), "NO_MKDOCS_2_WARNING": "1"}
    env.pop("DOCS_LANGUAGE", None)
    proc = subprocess.Popen(
        serve_command(port), cwd=ROOT, env=env, stderr=subprocess.PIPE, text=True
    )
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(proc.stderr), daemon=True)
    reader.start()

    def wait_for(condition, what: str, limit: float = 120) -> None:
        deadline = time.monotonic() + limit
        while not condition():
            assert proc.poll() is None, "".join(lines)
            assert time.monotonic() < deadline, f"{what}:\n" + "".join(lines[-30:])
            time.sleep(0.2)

    try:
        wait_for(lambda: any("Serving on" in line for line in lines), "serve did not start", 600)
        full = _indexes(lines)
        assert set(full) == {"ko", "en"}, "".join(lines)
        counts = []
        for n, (page, url) in enumerate([(PAGE, ""), ("en/activations.md", "en/")] * 2):
            source = docs / page
            marker = f"previewsave{n}marker"
            start = len(lines)  # this save's rebuild logs after this line
            source.write_text(source.read_text(encoding="utf-8") + f"\n\n{marker}\n", "utf-8")
            address = f"http://127.0.0.1:{port}/{url}activations/"
            wait_for(
                lambda address=address, marker=marker: marker in _fetch(address),
                f"save {n} of {page} did not show",
            )

            # every rebuild the save started has ended, and none follows for 1.5 s: an in-place
            # write can start two (one sees the truncated file), the second renders that page only
            def ended(start=start):
                return _rebuilds_ended(lines[start:])

            wait_for(ended, "the rebuild did not end")
            quiet_until = time.monotonic() + 1.5
            while time.monotonic() < quiet_until:
                time.sleep(0.3)
                if not ended():
                    wait_for(ended, "a second rebuild did not end")
                    quiet_until = time.monotonic() + 1.5
            found = [
                re.search(r"search: (\d+) entries from the search plugin", x) for x in lines[start:]
            ]
            counts.append(int([m for m in found if m][-1].group(1)))
            after = _indexes(lines[start:])
            assert {lang: k for lang, (k, _) in after.items()} == {
                lang: k for lang, (k, _) in full.items()
            }, f"save {n}: {after} after a full build's {full}"
            lang = page.split("/", 1)[0]
            index = _fetch(f"http://127.0.0.1:{port}/{url}search/{after[lang][1]}")
            assert marker in index, f"save {n}: {after[lang][1]} lacks {marker}"
            time.sleep(1)  # the next save is a second later (mtimes)
        assert max(counts[2:]) <= max(counts[:2]), counts
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        reader.join(timeout=30)
        proc.stderr.close()
