"""The build-time Korean analysis of hooks/search.py (Kiwi), without building the site."""

from __future__ import annotations

import builtins

import pytest
from mkdocs.exceptions import PluginError

from tools.search_eval import search_hook

hook = search_hook()


@pytest.fixture(scope="module")
def analyser(tmp_path_factory):
    hook.CACHE = tmp_path_factory.mktemp("cache")
    return hook.Analyser()


@pytest.mark.parametrize(
    ("chunk", "pieces"),
    [
        ("활성화함수를", [["활성화함수", "활성화", "함수"], "를"]),
        ("사라지는", [["사라지"], "는"]),
        ("사라진다", [["사라진", "사라지"], "다"]),
        ("기울기가", [["기울기"], "가"]),
        ("ReLU는", [["relu"], "는"]),
        ("계산합니다", [["계산"], "합니다"]),
    ],
)
def test_segment(analyser, chunk, pieces):
    assert analyser.analyse({chunk})[chunk] == pieces


def test_pieces_cover_the_chunk(analyser):
    chunks = {"과적합되었다", "전이학습이란", "역전파는", "2차원", "'해결'하지", "값들로"}
    for chunk, pieces in analyser.analyse(chunks).items():
        assert "".join(p if isinstance(p, str) else p[0] for p in pieces) == chunk.lower()


def test_cache_is_reused(analyser):
    analyser.analyse({"정규화를"})
    again = hook.Analyser()
    assert "정규화를" in again.cache
    assert again._kiwi is None  # nothing to analyse: Kiwi is not even loaded


def test_chunks_follow_materials_tokenizer():
    separator = r'[\s\-,:!=\[\]()"/]+|(?!\b)(?=[A-Z][a-z])|\.(?!\d)|&[lg]t;'
    docs = [
        {"title": "기울기(gradient)를", "text": "<p>함수 <code>x</code>는 0.5배 LeakyReLU에</p>"}
    ]
    assert hook.chunks_of(docs, separator) == {"기울기", "를", "함수", "는", "0.5배", "ReLU에"}


def test_missing_analyser_fails_the_build(monkeypatch):
    real_import = builtins.__import__

    def no_kiwi(name, *args, **kwargs):
        if name.startswith("kiwipiepy"):
            raise ImportError(f"No module named {name!r}")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_kiwi)
    with pytest.raises(PluginError, match="Korean analyser cannot be loaded"):
        hook.on_config({})


def test_glossary_maps_both_ways():
    assert "기울기" in hook.glossary("ko")["gradient"]
    assert "gradient" in hook.glossary("en")["기울기"]
