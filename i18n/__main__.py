"""Keep the Korean and English pages in step.

Usage:
    python -m i18n check [--json] [--docs DIR]    print file:line: message per problem, exit 1
    python -m i18n status [--json] [--docs DIR]   a table: page, present in ko / en, structure
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from i18n.check import LANGUAGES, check_all

ROOT = Path(__file__).resolve().parent.parent


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m i18n", description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=["check", "status"])
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    parser.add_argument("--docs", type=Path, default=ROOT / "docs", help="docs folder")
    args = parser.parse_args(argv)

    if not args.docs.is_dir():
        print(f"{args.docs}: no such docs folder", file=sys.stderr)
        return 2
    statuses = check_all(args.docs, ROOT)
    problems = [problem for status in statuses for problem in status.problems]

    if args.json:
        payload = {
            "ok": not problems,
            "pages": [
                {"page": s.page, **{lang: s.present[lang] for lang in LANGUAGES}, "ok": s.ok}
                for s in statuses
            ],
            "problems": [{"path": p.path, "line": p.line, "message": p.message} for p in problems],
        }
        print(json.dumps(payload, ensure_ascii=False, indent=2))
    elif args.command == "status":
        width = max((len(s.page) for s in statuses), default=4)
        print(f"{'page':<{width}}  ko  en  structure")
        for s in statuses:
            marks = "  ".join(" ✓" if s.present[lang] else " ✗" for lang in LANGUAGES)
            print(
                f"{s.page:<{width}}  {marks}  {'ok' if s.ok else f'{len(s.problems)} problem(s)'}"
            )
    else:
        for problem in problems:
            print(problem)
        print(
            f"i18n check: {len(statuses)} pages, {len(problems)} problem(s)",
            file=sys.stderr,
        )
    if args.command == "check" and problems:
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
