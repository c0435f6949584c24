"""Collect the examples of every page and of every snippet docstring.

Pages: tests/markdown_pages.py (includes expanded first). Snippets: the
doctests in the docstrings of snippets/*.py.
"""

from sybil import Sybil
from sybil.parsers.rest import DocTestParser

from tests.markdown_pages import pages_sybil

docstrings = Sybil(
    parsers=[DocTestParser()],
    patterns=["*.py"],
    path="snippets",
    name="docstrings",
)

pytest_collect_file = (pages_sybil() + docstrings).pytest()
