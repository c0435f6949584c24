"""MkDocs hook: one search index per language, and Korean word-form analysis.

Material's search with mkdocs-static-i18n has two problems (STACK-NOTES item 9):
one index holds both languages, and Korean text is split on spaces only, so a
query matches the start of an eojeol and nothing else (``함수`` never finds
``활성화함수를``, ``사라지다`` never finds ``사라지는``).

What this hook does, after i18n has written the combined index:

1. Splits it: the default language's entries stay in ``search/search_index.json``,
   every other language's go to ``<lang>/search/search_index.json`` with the
   ``<lang>/`` prefix removed. Entries i18n dropped as duplicates (pages that
   are identical in both languages, like the API reference) are restored.
2. Points every page at its language's index: in the page's ``__config`` JSON,
   ``base`` becomes the language root (``../en/``) and ``search`` becomes the
   wrapper worker ``assets/javascripts/search/worker.js`` (which runs
   Material's own worker inside it); ``assets/javascripts/search/intent.js``
   is added before Material's bundle (it tells the worker when the reader is
   about to search).
3. Loads the index only when the reader is about to search: the full index
   goes to ``search/search_index.<hash>.json``, a titles index (the same
   entries without their text, and the analysis of their words) to
   ``search/search_titles.<hash>.json``, and ``search/search_index.json``
   (which Material's bundle fetches on every page load) becomes a stub: the
   config without the analysis, no documents, and ``config.full_index`` and
   ``config.titles_index``, URLs relative to the worker. The worker answers
   Material at once, loads the titles index when the page is idle, and
   fetches the full index on the first sign of intent (focus on the search
   box, a pointer on it, the ``/`` and ``s`` shortcuts) or at the first query
   at the latest, building it in a second worker while the titles answer.
4. Ships the glossary to the worker: each term's names in both languages
   (``en``, ``en_also``, ``ko``, ``ko_also``, ``ko_avoid``) and the chapter that
   defines it (``page:``), which ranks first for any of them.
5. Analyses each Korean eojeol of the index with Kiwi (kiwipiepy), and ships
   the result in the index's ``config.analysis``: for every chunk the browser
   will tokenize, its segmentation into contiguous pieces (content / particle
   or ending) and the stems each content piece also stands for (``사라진`` →
   ``사라지``; ``활성화함수`` → ``활성화``, ``함수``). The glossary
   (``i18n/glossary.yml``) adds cross-language terms. The browser side lives in
   ``overrides/assets/javascripts/search/``.

The analysis is cached in ``<cache>/search/`` by chunk, so warm builds only
analyse new text. If the analyser cannot be loaded, the build fails.
"""

from __future__ import annotations

import hashlib
import html
import itertools
import json
import logging
import re
import time
from pathlib import Path

from docs_build import (
    CACHE,
    DEFAULT,
    LANGUAGES,
    PRIORITY,
    ROOT,
    build_language,
    other_language,
    root,
    write_atomic,
)
from mkdocs.exceptions import PluginError
from mkdocs.plugins import event_priority

log = logging.getLogger("mkdocs.hooks.search")

GLOSSARY = ROOT / "i18n" / "glossary.yml"
WORKER = "assets/javascripts/search/worker.js"
FULL_INDEX = re.compile(r"^search_index\.[0-9a-f]{12}\.json$")
TITLES_INDEX = re.compile(r"^search_titles\.[0-9a-f]{12}\.json$")
# bump when the segmentation rules below change: the cache is keyed by it
ANALYSIS_VERSION = "1"

HANGUL = re.compile(r"[\uac00-\ud7a3]")
TAG = re.compile(r"<[^>]*>")
CONFIG_SCRIPT = re.compile(
    r'(<script id="__config" type="application/json">)(.*?)(</script>)', re.S
)
BUNDLE_SCRIPT = re.compile(
    r'<script src="(?P<dir>[^"]*assets/javascripts/)bundle\.[0-9a-f]+\.min\.js"></script>'
)
MATERIAL_WORKER = re.compile(
    r"^(?P<dir>.*assets/javascripts/)workers/(?P<name>search\.[0-9a-f]+\.min\.js)$"
)

# Ranking: a reader who types a concept wants the chapter that explains it; the
# lab, the API reference, the glossary and the corrections appendix mention the
# same terms and come after it (a title match still brings them first: 용어집). The
# reference, which names every function and argument of the code, comes last.
SECONDARY = {"labs": 0.25, "reference": 0.0625, "glossary": 0.25, "corrections": 0.5}

# Kiwi tags (without the -I/-R irregular marks) whose morphemes carry meaning; the
# rest (particles J*, endings E*, copula, verb-making suffixes 하/되, punctuation)
# form the "tail" of an eojeol that a query never needs to match.
CONTENT_TAGS = {
    "NNG", "NNP", "NNB", "NR", "NP", "VV", "VA", "MM", "MAG", "MAJ", "IC",
    "XR", "XPN", "XSN", "SL", "SH", "SN",
}  # fmt: skip


def _kiwi_version() -> str:
    try:
        import kiwipiepy
        import kiwipiepy_model
    except ImportError as error:  # the build must not fall back to prefix-only Korean search
        raise PluginError(
            f"search: the Korean analyser cannot be loaded ({error}). "
            "Install the pinned dependencies (make setup)."
        ) from error
    return f"{kiwipiepy.__version__}-{kiwipiepy_model.__version__}"


class Analyser:
    """Kiwi, loaded on first use, with a per-chunk cache on disk."""

    def __init__(self) -> None:
        self.version = _kiwi_version()
        self.path = CACHE / "search" / f"analysis-{self.version}-{ANALYSIS_VERSION}.json"
        self.cache: dict[str, list] = {}
        if self.path.exists():
            self.cache = json.loads(self.path.read_text(encoding="utf-8"))
        self._kiwi = None

    @property
    def kiwi(self):
        if self._kiwi is None:
            try:
                from kiwipiepy import Kiwi

                self._kiwi = Kiwi()
            except Exception as error:
                raise PluginError(f"search: Kiwi failed to load its model: {error}") from error
        return self._kiwi

    def analyse(self, chunks: set[str]) -> dict[str, list]:
        """Segment every chunk (cached); return chunk -> pieces."""
        missing = sorted(chunk for chunk in chunks if chunk not in self.cache)
        if missing:
            for chunk, tokens in zip(missing, self.kiwi.tokenize(missing), strict=True):
                self.cache[chunk] = segment(chunk, tokens)
            write_atomic(self.path, json.dumps(self.cache, ensure_ascii=False).encode("utf-8"))
            log.info("search: analysed %d new Korean chunks", len(missing))
        return {chunk: self.cache[chunk] for chunk in chunks}


def segment(chunk: str, tokens) -> list:
    """Split ``chunk`` into contiguous pieces from Kiwi's morphemes.

    A content piece is ``[surface, *stems]`` (stems that differ from the
    surface); a tail piece (particles, endings) is a plain string. The pieces
    always concatenate to ``chunk.lower()``.
    """
    text = chunk.lower()
    runs: list[list] = []  # [is_content, start, end, morphemes]
    for token in tokens:
        tag = token.tag.split("-")[0]
        content = tag in CONTENT_TAGS
        start, end = token.start, token.start + token.len
        if runs and runs[-1][0] == content:
            runs[-1][2] = max(runs[-1][2], end)
            runs[-1][3].append((token.form, tag))
        else:
            runs.append([content, start, end, [(token.form, tag)]])
    if not runs:
        return [[text]]
    # piece boundaries: a contracted syllable (사라진 = 사라지 + ㄴ) stays with the content
    cuts = [0]
    for previous, run in itertools.pairwise(runs):
        cut = previous[2] if previous[0] else run[1]
        cuts.append(min(max(cut, cuts[-1]), len(text)))
    cuts.append(len(text))
    pieces: list = []
    for run, start, end in zip(runs, cuts[:-1], cuts[1:], strict=True):
        surface = text[start:end]
        if not surface:
            continue
        if not run[0]:
            if pieces and isinstance(pieces[-1], str):
                pieces[-1] += surface
            else:
                pieces.append(surface)
            continue
        stems: list[str] = []
        for form, tag in run[3]:
            form = form.lower()
            if tag == "XSN" and stems:
                stems[-1] += form  # 활성 + 화 -> 활성화
            elif stems and stems[-1].endswith("\0"):
                stems[-1] = stems[-1][:-1] + form  # 비 + 선형 -> 비선형
            else:
                stems.append(form + "\0" if tag == "XPN" else form)
        stems = [stem.rstrip("\0") for stem in stems]
        extra = [s for s in dict.fromkeys(stems) if s and s != surface and HANGUL.search(s)]
        pieces.append([surface, *extra])
    if "".join(p if isinstance(p, str) else p[0] for p in pieces) != text:
        return [[text]]  # never seen; keeps positions exact if Kiwi's offsets ever disagree
    return pieces


def chunks_of(docs: list[dict], separator: str) -> set[str]:
    """The chunks Material's tokenizer hands to a segmenter: text between tags, split."""
    split = re.compile(separator, re.ASCII)  # JavaScript's \\b is ASCII-only
    found: set[str] = set()
    for doc in docs:
        for field in ("title", "text"):
            for block in TAG.split(doc.get(field) or ""):
                found.update(c for c in split.split(block) if c and HANGUL.search(c))
    return found


def _terms():
    from i18n.glossary import GlossaryError, load_glossary

    try:
        return load_glossary(GLOSSARY)  # the one loader: errors name file and line
    except GlossaryError as error:
        raise PluginError(f"glossary:\n{error}") from None


def _names(term, lang: str) -> list[str]:
    """``term.names(lang)``, lower case, spaces collapsed."""
    return list(dict.fromkeys(" ".join(html.unescape(n).lower().split()) for n in term.names(lang)))


def glossary(to: str) -> dict[str, list[str]]:
    """Names a reader may type mapped to the terms of this language's index (lower case).

    The other language's names map to this language's term: every English name
    (``en_also`` too, which the English pages write) or the preferred Korean one.
    This language's Korean variants (``ko_also``, ``ko_avoid``) map to the
    preferred Korean term as well.
    """
    mapping: dict[str, list[str]] = {}
    for term in _terms():
        own = _names(term, to)
        targets = own if to == "en" else own[:1]
        sources = _names(term, other_language(to)) + (own[1:] if to == "ko" else [])
        for name in sources:
            mapping.setdefault(name, [])
            mapping[name] += [t for t in targets if t not in mapping[name]]
    return mapping


def defining_pages(lang: str) -> list[list]:
    """``[names, page]`` per glossary term: every name of it in both languages, and the
    location (under the language root) of the chapter that defines it (``page:``)."""
    out = []
    for term in _terms():
        names = list(dict.fromkeys(_names(term, lang) + _names(term, other_language(lang))))
        location = "" if term.page == "index" else f"{term.page}/"
        out.append([names, location])
    return out


# --------------------------------------------------------------------------
# Hooks
# --------------------------------------------------------------------------

_state: dict = {}


def on_config(config):
    _kiwi_version()  # fail now, naming the cause, rather than after the whole build
    return config


def on_pre_build(config) -> None:
    # mkdocs-static-i18n runs each other language's build inside the default
    # language's on_post_build: count the builds in progress, so that the
    # combined index is split once, when the outermost build ends
    if not _state.get("depth"):
        _state["rendered"] = {lang: set() for lang in LANGUAGES}  # pages rendered, by language
    _state["depth"] = _state.get("depth", 0) + 1


def on_build_error(error) -> None:
    _state["depth"] = 0


@event_priority(PRIORITY["search.on_post_page"])  # after the theme has rendered the page
def on_post_page(output: str, page, config) -> str:
    """Point the page at its language's index and at the wrapper worker."""
    lang = build_language(config)
    _state["rendered"][lang].add(page.url.removeprefix(root(lang)))
    return _point_search(output, page.file.src_uri, config)


@event_priority(PRIORITY["search.on_post_template"])  # before seo.py keeps the 404 page
def on_post_template(output: str, template_name: str, config) -> str:
    """The same for the 404 page (a template, not a page)."""
    if template_name != "404.html":
        return output
    return _point_search(output, template_name, config)


def _point_search(output: str, name: str, config) -> str:
    match = CONFIG_SCRIPT.search(output)
    if match is None:
        raise PluginError(f"search: no __config script in {name}")
    data = json.loads(match.group(2))
    worker = MATERIAL_WORKER.match(data.get("search") or "")
    if worker is None:
        raise PluginError(f"search: unexpected Material worker URL {data.get('search')!r}")
    lang = build_language(config)
    if lang != DEFAULT:
        data["base"] = f"{data['base'].rstrip('/')}/{lang}/"
    data["search"] = f"{worker['dir']}search/worker.js?material={worker['name']}"
    replaced = json.dumps(data, ensure_ascii=False).replace("</", "<\\/")
    output = output[: match.start(2)] + replaced + output[match.end(2) :]
    bundle = BUNDLE_SCRIPT.search(output)
    if bundle is None:
        raise PluginError(f"search: no Material bundle script in {name}")
    # before the bundle: it must see the search worker Material creates
    intent = f'<script src="{bundle["dir"]}search/intent.js"></script>'
    return output[: bundle.start()] + intent + output[bundle.start() :]


@event_priority(PRIORITY["search.on_post_build"])  # after i18n has written the combined index
def on_post_build(config) -> None:
    _state["depth"] = max(0, _state.get("depth", 1) - 1)
    if _state["depth"]:  # a nested build of one language: the combined index comes later
        return
    site = Path(config.site_dir)
    path = site / "search" / "search_index.json"
    if not path.exists():
        raise PluginError(f"search: {path} was not written; is the search plugin enabled?")
    combined = json.loads(path.read_text(encoding="utf-8"))
    log.info("search: %d entries from the search plugin", len(combined["docs"]))
    default = DEFAULT
    others = [lang for lang in LANGUAGES if lang != default]
    by_lang: dict[str, list[dict]] = {lang: [] for lang in [default, *others]}
    for doc in combined["docs"]:
        prefix = doc["location"].split("/", 1)[0]
        if prefix in others:
            by_lang[prefix].append({**doc, "location": doc["location"][len(prefix) + 1 :]})
        else:
            by_lang[default].append(doc)
    # A dirty build (make serve) renders only some pages, and the entries it gets for
    # them are mixed with copies of older ones (in a dirty build Material's search
    # merges the index it made last, here the other language's). Of each rendered
    # page, the last entries given are this build's; the other pages keep the
    # entries of the last build's index, which a clean build would have deleted.
    previous = {lang: _previous_index(site / root(lang)) for lang in by_lang}
    for lang in by_lang:
        by_lang[lang] = last_entries(by_lang[lang], _state["rendered"][lang])
    # i18n drops an entry identical to the default language's: give it back
    for lang in others:
        by_lang[lang] = _restore(
            by_lang[lang], by_lang[default], site / lang, _state["rendered"][lang]
        )
    for lang, docs in by_lang.items():
        for doc in docs:
            factor = SECONDARY.get(doc["location"].split("/", 1)[0])
            if factor is not None:
                doc["boost"] = doc.get("boost", 1) * factor
        if previous[lang] is not None:
            by_lang[lang] = merge_entries(previous[lang], docs)
    # a one-language build (DOCS_LANGUAGE=en) writes that language's index only
    by_lang = {lang: docs for lang, docs in by_lang.items() if docs}
    for lang, docs in by_lang.items():
        _check_order(docs, lang)
    started = time.perf_counter()
    analyser = _state.get("analyser") or Analyser()
    _state["analyser"] = analyser
    for lang, docs in by_lang.items():
        index_config = {**combined["config"], "lang": [lang]}
        analysis: dict = {"glossary": glossary(lang), "defining": defining_pages(lang)}
        # the titles index: every entry without its text, answered while the full one builds
        title_docs = [{**doc, "text": ""} for doc in docs]
        title_analysis = dict(analysis)
        if lang == "ko":
            pieces = analyser.analyse(chunks_of(docs, index_config["separator"]))
            # one entry per chunk that is not simply one content piece
            lexicon = {c: p for c, p in pieces.items() if p != [[c.lower()]]}
            analysis["lexicon"] = [lexicon[c] for c in sorted(lexicon)]
            in_titles = chunks_of(title_docs, index_config["separator"])
            title_analysis["lexicon"] = [lexicon[c] for c in sorted(lexicon) if c in in_titles]
        folder = site / (lang if lang != default else "") / "search"
        bodies = {
            kind: json.dumps(
                {**combined, "config": {**index_config, "analysis": a}, "docs": d},
                ensure_ascii=False,
            )
            for kind, a, d in (("full", analysis, docs), ("titles", title_analysis, title_docs))
        }
        names = _write_lazy(folder, lang if lang != default else "", index_config, bodies)
        log.info(
            "search: %s index: %d entries, %d bytes (%s); titles %d bytes (%s)",
            lang, len(docs), len(bodies["full"].encode()), names["full"],
            len(bodies["titles"].encode()), names["titles"],
        )  # fmt: skip
    log.info("search: indexes written in %.1f s", time.perf_counter() - started)


def _write_lazy(folder: Path, prefix: str, index_config: dict, bodies: dict[str, str]) -> dict:
    """Write the full and titles indexes under content-hashed names, and the stub Material fetches.

    ``bodies``: ``{"full": ..., "titles": ...}``. Returns their file names.
    ``prefix`` is the language folder (``""`` for the default language): the
    stub names each index by its URL relative to the worker
    (``assets/javascripts/search/``), which is shared.
    """
    folder.mkdir(parents=True, exist_ok=True)
    names = {}
    for kind, body in bodies.items():
        data = body.encode("utf-8")
        stem = "search_index" if kind == "full" else "search_titles"
        name = f"{stem}.{hashlib.sha256(data).hexdigest()[:12]}.json"
        pattern = FULL_INDEX if kind == "full" else TITLES_INDEX
        for old in folder.glob(f"{stem}.*.json"):  # an earlier build's (mkdocs serve, --dirty)
            if pattern.match(old.name) and old.name != name:
                old.unlink()
        (folder / name).write_bytes(data)
        names[kind] = name
    stub_config = {k: v for k, v in index_config.items() if k != "analysis"}
    depth = WORKER.count("/")  # assets/javascripts/search/worker.js -> ../../../
    base = "../" * depth + f"{prefix}/" * bool(prefix) + "search/"
    stub_config["full_index"] = base + names["full"]
    stub_config["titles_index"] = base + names["titles"]
    stub = json.dumps({"config": stub_config, "docs": []}, ensure_ascii=False)
    (folder / "search_index.json").write_text(stub, encoding="utf-8")
    return names


def _previous_index(site_root: Path) -> list[dict] | None:
    """The entries of the full index an earlier build left below ``site_root`` (a dirty
    build's, where a clean build has deleted it), of the pages still in the site."""
    folder = site_root / "search"
    found = [p for p in folder.glob("search_index.*.json") if FULL_INDEX.match(p.name)]
    if not found:
        return None
    newest = max(found, key=lambda p: p.stat().st_mtime)
    docs = json.loads(newest.read_text(encoding="utf-8"))["docs"]
    return [doc for doc in docs if (site_root / _page_of(doc) / "index.html").is_file()]


def _page_of(doc: dict) -> str:
    return doc["location"].partition("#")[0]


def last_entries(docs: list[dict], pages: set[str]) -> list[dict]:
    """The entries of each of ``pages``: the last run of ``docs`` that belongs to it."""
    runs: dict[str, list[dict]] = {}
    start = 0
    for end in range(1, len(docs) + 1):
        if end == len(docs) or _page_of(docs[end]) != _page_of(docs[start]):
            if _page_of(docs[start]) in pages:
                runs[_page_of(docs[start])] = docs[start:end]
            start = end
    return [doc for run in runs.values() for doc in run]


def merge_entries(previous: list[dict], rendered: list[dict]) -> list[dict]:
    """The entries of ``rendered`` pages in place of theirs in ``previous``; the other
    pages' entries as they were (in their order; new pages at the end)."""
    fresh: dict[str, list[dict]] = {}
    for doc in rendered:
        fresh.setdefault(_page_of(doc), []).append(doc)
    merged: list[dict] = []
    for doc in previous:
        page = _page_of(doc)
        if page not in fresh:
            merged.append(doc)
        elif fresh[page]:  # the page's new entries, once, where its old ones began
            merged += fresh[page]
            fresh[page] = []
    for docs in fresh.values():
        merged += docs
    return merged


def _restore(docs: list[dict], default: list[dict], root: Path, rendered: set[str]) -> list[dict]:
    """Add the default language's entries that i18n removed from ``docs`` as duplicates.

    An entry is restored when its page was rendered in this language (``rendered``) and has its
    anchor (notebook headings have different ids per language: those sections
    are not duplicates, they are simply the other language's).
    """
    known = {doc["location"] for doc in docs}
    pages: dict[str, str] = {}
    restored = list(docs)
    for doc in default:
        page_path, _, anchor = doc["location"].partition("#")
        if doc["location"] in known or page_path not in rendered:
            continue
        if page_path not in pages:
            page = root / page_path / "index.html"
            pages[page_path] = page.read_text(encoding="utf-8") if page.exists() else ""
        if pages[page_path] and (not anchor or f'id="{anchor}"' in pages[page_path]):
            restored.append(dict(doc))  # its own copy: each language's entry is boosted once
    # Material maps sections to the page entry that precedes them: keep pages together
    first: dict[str, int] = {}
    for i, doc in enumerate(restored):
        first.setdefault(doc["location"].partition("#")[0], i)
    return sorted(
        restored,
        key=lambda d: (first[d["location"].partition("#")[0]], "#" in d["location"]),
    )


def _check_order(docs: list[dict], lang: str) -> None:
    """Material needs each page's entry before its sections' (it maps sections to it)."""
    seen: set[str] = set()
    for doc in docs:
        page_path, _, anchor = doc["location"].partition("#")
        if anchor and page_path not in seen:
            raise PluginError(f"search: {lang} index has section {doc['location']} before its page")
        if not anchor:
            seen.add(page_path)
