"""The code every page shows and the tests run: one module per concept.

A module may define ``FIGURES = {"name.svg": draw}``, where ``draw(out, lang)``
writes an SVG with its words in ``lang`` (``snippets.plotting.language``). The
site build (``hooks/figures.py``) calls the two functions below in fresh processes,
once per language, so a figure always reflects the code as it is on disk.
"""

from __future__ import annotations

import importlib
import io
import os
import pkgutil
import platform
import sys
import warnings

# Trained numbers depend on the CPU's code path, not only on the seed: torch picks
# its vector kernels (ATen), matrix products (oneMKL) and convolutions (oneDNN) by
# instruction set, and each rounds differently. Over hundreds of training steps an
# AVX-512 machine and an AVX2 one end in different third decimals. The pages' numbers
# come from the AVX2 paths, which every x86-64 CPU since about 2015 has; this pins
# them before torch reads the variables (its first operation), so any such CPU
# prints the pages' numbers. A variable already set is kept. Other CPUs (ARM, Apple
# silicon) have other kernels, and their last digits may differ.
CPU_PATHS = {"ATEN_CPU_CAPABILITY": "avx2", "MKL_CBWR": "AVX2", "ONEDNN_MAX_CPU_ISA": "AVX2"}


def _has_avx2() -> bool:
    if platform.machine().lower() not in {"x86_64", "amd64"}:
        return False
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as info:
            return " avx2" in info.read()
    except OSError:  # not Linux: torch's own CPU probe (it does not fix ATen's choice)
        import torch

        return bool(torch.cpu._is_avx2_supported())


def pin_cpu_paths() -> dict[str, str]:
    """Pin torch's CPU code paths to AVX2 (see ``CPU_PATHS``); return what was set.

    Warns when torch has already run on another path in this process, since the
    variables are read only once.
    """
    if not _has_avx2():
        return {}
    pinned = {name: os.environ.setdefault(name, value) for name, value in CPU_PATHS.items()}
    if "torch" in sys.modules:
        chosen = sys.modules["torch"].backends.cpu.get_cpu_capability()
        if chosen.lower() != pinned["ATEN_CPU_CAPABILITY"].lower():
            warnings.warn(
                f"torch already runs its {chosen} kernels in this process; import snippets "
                "before the first torch operation to get the pages' numbers",
                stacklevel=2,
            )
    return pinned


pin_cpu_paths()


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
