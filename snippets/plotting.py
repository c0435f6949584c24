"""Figure helpers shared by the modules that draw this site's figures (``FIGURES``)."""

from __future__ import annotations

from typing import IO


def new_figure(width: float, height: float):
    """A matplotlib Figure of ``width`` x ``height`` inches, laid out by matplotlib."""
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), layout="constrained")


def save_svg(fig, out: IO[bytes], **savefig) -> None:
    """Write ``fig`` as SVG without a date, so the same code draws the same file."""
    fig.savefig(out, format="svg", metadata={"Date": None}, **savefig)
