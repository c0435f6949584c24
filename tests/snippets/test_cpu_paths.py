"""snippets/__init__.py: importing snippets holds torch to the pages' CPU code paths."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest

import snippets
from snippets import cache

pytestmark = pytest.mark.skipif(
    not snippets._has_avx2(), reason="the pinned paths need an x86-64 CPU with AVX2"
)


def _run(code: str, **env: str) -> list[str]:
    """Run ``code`` in a fresh interpreter without the pinning variables (plus ``env``)."""
    clean = {k: v for k, v in os.environ.items() if k not in snippets.CPU_PATHS}
    done = subprocess.run(
        [sys.executable, "-W", "always", "-c", textwrap.dedent(code)],
        env={**clean, **env},
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.split() + [line for line in done.stderr.splitlines() if "Warning" in line]


OPERATION_AFTER_IMPORT = """
    import os
    import snippets
    import torch
    torch.ones(3).sum()  # the first operation fixes the kernels
    print(torch.backends.cpu.get_cpu_capability())
    print(os.environ["MKL_CBWR"], os.environ["ONEDNN_MAX_CPU_ISA"])
"""


def test_import_pins_torch_to_the_avx2_kernels():
    assert _run(OPERATION_AFTER_IMPORT) == ["AVX2", "AVX2", "AVX2"]


def test_a_path_the_reader_chose_is_kept():
    assert _run(OPERATION_AFTER_IMPORT, ATEN_CPU_CAPABILITY="default")[0] == "DEFAULT"


def test_torch_already_on_another_path_is_reported():
    # torch runs on its plain kernels before snippets is imported: pinning comes too late
    found = _run(
        """
        import os
        import torch
        torch.ones(3).sum()
        del os.environ["ATEN_CPU_CAPABILITY"]
        import snippets
        """,
        ATEN_CPU_CAPABILITY="default",
    )
    assert len(found) == 1
    assert "torch already runs its DEFAULT kernels" in found[0]


def test_no_warning_when_snippets_comes_first():
    assert not [line for line in _run(OPERATION_AFTER_IMPORT) if "Warning" in line]


def test_stored_results_are_keyed_by_the_cpu_path(monkeypatch):
    from snippets import training

    key = cache.function_key(training.fit)
    assert cache.function_key(training.fit) == key
    monkeypatch.setenv("MKL_CBWR", "COMPATIBLE")
    assert cache.function_key(training.fit) != key
