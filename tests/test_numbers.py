"""A reported result is a shown result: the prose-number check, and proof it can fail."""

from __future__ import annotations

from pathlib import Path

from i18n.__main__ import main
from i18n.numbers import page_problems

PAGE = """---
description: A page.
---

# Title {{ #title }}

```pycon
>>> round(acc, 3)
0.712
>>> ratio
11.6
```

{prose}
"""


def _problems(tmp_path: Path, prose: str) -> list[str]:
    page = tmp_path / "page.md"
    page.write_text(PAGE.format(prose=prose), encoding="utf-8")
    return [p.message for p in page_problems(page, tmp_path)]


def test_numbers_shown_on_the_page_pass(tmp_path):
    assert _problems(tmp_path, "Accuracy is 71% (0.71, 71.2 %), about 12× the baseline.") == []


def test_a_number_the_page_does_not_show_fails(tmp_path):
    found = _problems(tmp_path, "The test accuracy is 96.9%, and 0.64 on shuffled labels.")
    assert len(found) == 2
    assert "'96.9%'" in found[0] and "'0.64'" in found[1]


def test_rounding_is_the_prose_number_own(tmp_path):
    # 0.712 rounds to 71% and 71.2%, not to 71.5%
    assert len(_problems(tmp_path, "It reaches 71.5%.")) == 1
    assert _problems(tmp_path, "It reaches 71.2%.") == []


def test_cited_math_code_and_quoted_numbers_are_exempt(tmp_path):
    prose = "\n\n".join(
        [
            "R-CNN reached 53.3% mAP (Girshick et al., 2014).",
            "Minsky와 Papert(1969)는 0.5를 말했습니다.",
            "The bound is $0.25$ and `lr=0.003` is set.",
            "> The article says 99.9% of models do this.",
            "## A heading with 1.5 in it { #h }",
            "Integers are not results: 1,797 images of 8×8 pixels in 2024.",
        ]
    )
    assert _problems(tmp_path, prose) == []


def test_the_command_reports_file_and_line(tmp_path, capsys):
    page = tmp_path / "page.md"
    page.write_text(PAGE.format(prose="Our net reached 88.8%."), encoding="utf-8")
    assert main(["numbers", str(page)]) == 1
    out = capsys.readouterr().out
    assert "page.md:14: '88.8%' in the prose matches no value this page shows" in out
