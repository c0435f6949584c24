"""The code every page shows and the tests run: one module per concept.

A module may define ``FIGURES = {"name.svg": draw}``, where ``draw(out, lang)``
writes an SVG with its words in ``lang`` (``snippets.plotting.language``). The
site build (``hooks/figures.py``) calls the two functions below in fresh processes,
once per language, so a figure always reflects the code as it is on disk.
"""

from __future__ import annotations

import importlib
import io
import pkgutil


def figures() -> dict[str, str]:
    """Map each figure's file name to the ``module:function`` that draws it.

    Raises:
        ValueError: two modules define the same figure name.
    """
    found: dict[str, str] = {}
    for info in pkgutil.iter_modules(__path__):
        module = importlib.import_module(f"{__name__}.{info.name}")
        for name, draw in getattr(module, "FIGURES", {}).items():
            target = f"{module.__name__}:{draw.__name__}"
            if name in found:
                raise ValueError(f"figure {name!r} is defined by {found[name]} and {target}")
            found[name] = target
    return found


def draw_figure(target: str, lang: str) -> bytes:
    """Run the ``module:function`` that draws a figure in ``lang``; return its SVG bytes."""
    return draw_figures(target, (lang,))[lang]


def draw_figures(target: str, langs: tuple[str, ...]) -> dict[str, bytes]:
    """Draw one figure in each of ``langs``, in this process, one after the other.

    A figure that trains a model caches its numbers (``functools.cache``), so
    the second language only redraws.
    """
    from snippets.plotting import language

    module_name, function_name = target.split(":")
    draw = getattr(importlib.import_module(module_name), function_name)
    out = {}
    for lang in langs:
        buffer = io.BytesIO()
        language(lang)
        draw(buffer, lang)
        out[lang] = buffer.getvalue()
    return out


def draw_figures_timed(target: str, langs: tuple[str, ...]) -> tuple[dict[str, bytes], float]:
    """:func:`draw_figures`, and the seconds it took (the build orders figures by it)."""
    import time

    started = time.perf_counter()
    svgs = draw_figures(target, langs)
    return svgs, time.perf_counter() - started
