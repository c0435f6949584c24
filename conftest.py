"""Collect the examples of every page and of every snippet docstring.

Pages: tests/markdown_pages.py (includes expanded first). Snippets: the
doctests in the docstrings of snippets/*.py.
"""

import torch
from sybil import Sybil
from sybil.parsers.rest import DocTestParser

import snippets  # noqa: F401  (pins torch's CPU code paths before any operation runs)
from tests.markdown_pages import pages_sybil

# Same as `make test` (OMP_NUM_THREADS=1) when pytest is run directly.
torch.set_num_threads(1)

docstrings = Sybil(
    parsers=[DocTestParser()],
    patterns=["*.py"],
    path="snippets",
    name="docstrings",
)

pytest_collect_file = (pages_sybil() + docstrings).pytest()
