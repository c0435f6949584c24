"""The same figure code writes the same SVG file: ``save_svg``'s ids do not depend on
the run (a salt left unset, or a layout's floats that differ in their last bits)."""

from __future__ import annotations

import io
import re

import matplotlib

from snippets.plotting import new_figure, save_svg, stable_ids


def _svg(left: float) -> bytes:
    fig = new_figure(3, 2, "en")
    ax = fig.add_axes((left, 0.2, 0.7, 0.7))  # a fixed position: no layout solving
    fig.set_layout_engine(None)
    ax.plot([0, 1, 2], [1, 0, 1])
    ax.imshow([[0, 1], [1, 0]], extent=(0, 2, 0, 1))
    ax.set_xticks([])  # tick labels are placed at half-pixels, where rounding flips
    ax.set_yticks([])
    out = io.BytesIO()
    save_svg(fig, out)
    return out.getvalue()


def test_floats_that_differ_in_their_last_bits_draw_the_same_file():
    # matplotlib hashes the clip rectangle's exact floats; the file writes them rounded
    assert 0.23 != 0.23 + 1e-15
    assert _svg(0.23) == _svg(0.23 + 1e-15)


def test_the_file_does_not_depend_on_the_salt_left_by_earlier_code():
    before = matplotlib.rcParams["svg.hashsalt"]
    try:
        matplotlib.rcParams["svg.hashsalt"] = None  # matplotlib then salts with uuid4()
        first = _svg(0.2)
        matplotlib.rcParams["svg.hashsalt"] = "another figure's salt"
        assert _svg(0.2) == first
        assert matplotlib.rcParams["svg.hashsalt"] == "another figure's salt"  # restored
    finally:
        matplotlib.rcParams["svg.hashsalt"] = before


def test_every_clip_path_reference_names_a_clip_path():
    svg = _svg(0.2).decode()
    defined = re.findall(r'<clipPath id="([^"]+)"', svg)
    used = set(re.findall(r'clip-path="url\(#([^)]+)\)"', svg))
    assert defined and used and used <= set(defined)
    assert len(defined) == len(set(defined))


def test_clip_paths_written_alike_get_distinct_names():
    clip = '<clipPath id="p{}">\n   <rect x="1" y="2" width="3" height="4"/>\n  </clipPath>'
    svg = (
        f"<defs>{clip.format('0123456789')}{clip.format('abcdef0123')}</defs>"
        '<g clip-path="url(#p0123456789)"/><g clip-path="url(#pabcdef0123)"/>'
    ).encode()
    out = stable_ids(svg).decode()
    first, second = re.findall(r'<clipPath id="([^"]+)"', out)
    assert second == f"{first}-2"
    assert re.findall(r"url\(#([^)]+)\)", out) == [first, second]
    assert stable_ids(b"<svg/>") == b"<svg/>"
