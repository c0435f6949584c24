"""Figure helpers and the reader's language for everything this site draws or prints.

Every figure (``FIGURES`` in a module) and every lab notebook is written once, in
English, and shown in the reader's language. Words are looked up, gettext-style, in
one table per language: the files ``i18n/words/ko/*.yml`` (one per chapter) map
each English text to its Korean text. Translators edit that table, never the code.
A text with no entry is an error (:class:`MissingWords`), never a silent English
word on a Korean page.

Korean glyphs come from NanumGothic, which the ``koreanize-matplotlib`` package
ships; SVG figures store every glyph as a path, so they look the same in every
browser on every machine. A glyph missing from the fonts is an error too.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.util
import re
import warnings
from pathlib import Path
from typing import IO

from i18n.languages import LANGUAGES

SOURCE_LANGUAGE = "en"  # the language the code writes its texts in
WORDS_DIR = Path(__file__).resolve().parent.parent / "i18n" / "words"
# the files this module reads: the build redraws a figure, or re-runs a lab, when they change
# ({lang}: a figure or lab in Korean reads the Korean table; English has none)
READS = ("i18n/words/{lang}/*.yml",)
# per language: the fonts matplotlib tries, in order, for each glyph
FONTS = {"ko": ["DejaVu Sans", "NanumGothic"], "en": ["DejaVu Sans"]}
# Latin letters, digits and math (log-axis ticks such as 10^-3, drawn by mathtext,
# which takes only the first font) in DejaVu Sans; Hangul falls back to NanumGothic.


class MissingWords(KeyError):
    """A text has no entry in the words table of a language."""

    def __str__(self) -> str:
        return str(self.args[0])


@functools.cache
def words_table(lang: str) -> dict[str, str]:
    """The words table of ``lang``: English text -> text in ``lang`` (empty for English)."""
    if lang not in LANGUAGES:
        raise ValueError(f"unknown language {lang!r}; expected one of {LANGUAGES}")
    if lang == SOURCE_LANGUAGE:
        return {}
    from i18n.yamlfile import load_yaml, shown

    table: dict[str, str] = {}
    where: dict[str, str] = {}
    for path in sorted((WORDS_DIR / lang).glob("*.yml")):
        data = load_yaml(path) or {}
        if not isinstance(data, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in data.items()
        ):
            raise ValueError(f"{shown(path)}: expected a mapping of English text to {lang} text")
        for source, text in data.items():
            if source in table and table[source] != text:
                raise ValueError(
                    f"{shown(path)}: {source!r} is translated differently in {where[source]}"
                )
            table[source], where[source] = text, shown(path)
    return table


def translate(text: str, lang: str, **fields) -> str:
    """``text`` (English) in ``lang``, with ``{fields}`` filled in.

    Raises:
        MissingWords: ``lang`` has no entry for ``text``.
    """
    if lang != SOURCE_LANGUAGE:
        table = words_table(lang)
        if text not in table:
            raise MissingWords(f"i18n/words/{lang}/ has no entry for {text!r} (add it, translated)")
        text = table[text]
    return text.format(**fields) if fields else text


def language(lang: str) -> Translator:
    """Draw and print in ``lang`` from here on; return its translator ``tr``.

    ``tr("accuracy {acc:.3f}", acc=0.9)`` gives the text in ``lang`` with its
    fields filled in. The lab notebooks start with ``tr = language("ko")`` (or
    ``"en"``): the only line in which twin notebooks differ.
    """
    import matplotlib

    words_table(lang)  # fail early on an unknown language or a broken table
    matplotlib.rcParams["font.family"] = font_family(lang)
    return Translator(lang)


class Translator:
    """``tr(text, **fields)``: ``text`` in ``lang``; ``tr.lang`` says which language."""

    def __init__(self, lang: str):
        self.lang = lang

    def __call__(self, text: str, **fields) -> str:
        return translate(text, self.lang, **fields)

    def __repr__(self) -> str:
        return f"Translator({self.lang!r})"


@functools.cache
def _register_korean_font() -> None:
    """Make NanumGothic (shipped by koreanize-matplotlib) known to matplotlib.

    The package is located, not imported: importing it would change matplotlib's
    global settings and trip a deprecation warning of its own.
    """
    from matplotlib import font_manager

    spec = importlib.util.find_spec("koreanize_matplotlib")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("the Korean font is missing: install koreanize-matplotlib (make setup)")
    font = Path(next(iter(spec.submodule_search_locations))) / "fonts" / "NanumGothic.ttf"
    font_manager.fontManager.addfont(str(font))


def font_family(lang: str) -> list[str]:
    """The font list for ``lang``, with its fonts registered in matplotlib."""
    if lang == "ko":
        _register_korean_font()
    return FONTS[lang]


def new_figure(width: float, height: float, lang: str = SOURCE_LANGUAGE):
    """A matplotlib Figure of ``width`` x ``height`` inches in ``lang``'s fonts."""
    import matplotlib
    from matplotlib.figure import Figure

    matplotlib.rcParams["font.family"] = font_family(lang)
    return Figure(figsize=(width, height), layout="constrained")


# matplotlib names a clip path by a hash of its rectangle's exact floats, whose last bits
# differ from run to run (a layout solved in another order): renamed by what the file says
CLIP_PATH = re.compile(rb'<clipPath id="(p[0-9a-f]{10})">(.*?)</clipPath>', re.S)


def stable_ids(svg: bytes) -> bytes:
    """``svg`` (matplotlib's) with each clip path named by a hash of its written shape.

    The written shape is rounded, so the same figure gets the same names on every run;
    two clip paths written alike get distinct names (a ``-2`` suffix, in document order).
    """
    names: dict[bytes, bytes] = {}
    taken: set[bytes] = set()
    for match in CLIP_PATH.finditer(svg):
        base = b"p" + hashlib.sha256(match.group(2)).hexdigest()[:10].encode()
        name, k = base, 1
        while name in taken:
            k += 1
            name = base + b"-%d" % k
        names[match.group(1)] = name
        taken.add(name)
    if not names:
        return svg
    alternatives = b"|".join(names)
    old = re.compile(rb'(?<=id=")(%s)(?=")|(?<=url\(#)(%s)(?=\))' % (alternatives, alternatives))
    return old.sub(lambda m: names[m.group(1) or m.group(2)], svg)


def save_svg(fig, out: IO[bytes], **savefig) -> None:
    """Write ``fig`` as SVG without a date and with stable ids, so the same code draws
    the same file (``svg.hashsalt`` fixed, clip paths named by :func:`stable_ids`).

    Raises:
        RuntimeError: a glyph is missing from the figure's fonts (it would show as a box).
    """
    import io
    import logging

    import matplotlib

    class Collect(logging.Handler):
        def __init__(self):
            super().__init__(logging.WARNING)
            self.found: list[str] = []

        def emit(self, record):
            message = record.getMessage()
            if "glyph" in message.lower():
                self.found.append(message)

    handler = Collect()
    mpl_log = logging.getLogger("matplotlib")
    mpl_log.addHandler(handler)
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("error", message=r".*[Gg]lyph .* missing from")
            buffer = io.BytesIO()
            try:
                with matplotlib.rc_context({"svg.hashsalt": "deep-learning-docs"}):
                    fig.savefig(buffer, format="svg", metadata={"Date": None}, **savefig)
            except UserWarning as warning:
                raise RuntimeError(f"missing glyph: {warning}") from None
    finally:
        mpl_log.removeHandler(handler)
    if handler.found:
        raise RuntimeError(f"missing glyph: {handler.found[0]}")
    out.write(stable_ids(buffer.getvalue()))
