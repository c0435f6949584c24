"""Commands that are not tests: the shared site build, benchmarks, Lighthouse, search evaluation.

``make bench`` (``tools/bench.py``), ``make search-bench`` (``tools/search_eval.py``);
the tests import the site build and the search evaluation from here.
"""
