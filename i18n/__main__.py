"""Keep the Korean and English pages in step.

Usage:
    python -m i18n check [--json]          file:line: message per problem; exit 1 if any
    python -m i18n status [--json]         a table: page, ko / en, translation, structure
    python -m i18n stamp PAGE [PAGE ...]   record that PAGE is translated from its twin as it is now
    python -m i18n numbers [PAGE ...]      prose numbers that match no value shown on their page
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from i18n.check import chapter_name_problems, check_all, glossary_link_problems
from i18n.glossary import GLOSSARY, GlossaryError, load_glossary
from i18n.languages import LANGUAGES, language_of_path
from i18n.languages import other as other_language
from i18n.numbers import docs_problems as number_problems
from i18n.numbers import page_problems as page_number_problems
from i18n.translation import content_hash, write_record
from i18n.words import words_problems

ROOT = Path(__file__).resolve().parent.parent


def _twin(page: Path) -> Path | None:
    """The same page in the other language folder, if both exist."""
    parts = page.parts
    for index in range(len(parts) - 2, -1, -1):
        if parts[index] in LANGUAGES:
            other = other_language(parts[index])
            twin = Path(*parts[:index], other, *parts[index + 1 :])
            return twin if page.is_file() and twin.is_file() else None
    return None


def stamp(pages: list[Path]) -> int:
    """Write the source twin's current hash into each translated page."""
    code = 0
    for page in pages:
        page = page.resolve()
        source = _twin(page)
        if source is None:
            print(f"{page}: its twin does not exist (a page lives in docs/ko/ and docs/en/)",
                  file=sys.stderr)  # fmt: skip
            code = 2
            continue
        other = other_language(language_of_path(page))
        value = content_hash(source)
        write_record(page, value)
        print(f"{page.relative_to(ROOT) if page.is_relative_to(ROOT) else page}: "
              f"translated from {other} {value}")  # fmt: skip
    return code


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m i18n", description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=["check", "status", "stamp", "numbers"])
    parser.add_argument(
        "pages", nargs="*", type=Path, help="stamp: the translated pages; numbers: pages to check"
    )
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    parser.add_argument("--docs", type=Path, default=ROOT / "docs", help="docs folder")
    parser.add_argument("--glossary", type=Path, default=GLOSSARY, help="glossary file")
    args = parser.parse_args(argv)

    if args.command == "stamp":
        if not args.pages:
            parser.error("stamp needs at least one page")
        return stamp(args.pages)
    if args.command == "numbers":
        found = (
            [p for page in args.pages for p in page_number_problems(page.resolve(), ROOT)]
            if args.pages
            else number_problems(args.docs, ROOT)
        )
        for problem in found:
            print(problem)
        print(f"i18n numbers: {len(found)} problem(s)", file=sys.stderr)
        return 1 if found else 0
    if not args.docs.is_dir():
        print(f"{args.docs}: no such docs folder", file=sys.stderr)
        return 2
    try:
        terms = load_glossary(args.glossary)
    except GlossaryError as error:
        for problem in error.problems:
            print(problem)
        return 1
    statuses = check_all(args.docs, ROOT, terms)
    problems = [problem for status in statuses for problem in status.problems]
    problems += glossary_link_problems(args.docs, terms, ROOT)
    problems += chapter_name_problems(args.docs, ROOT)
    if args.docs.resolve() == (ROOT / "docs").resolve():  # the words belong to this project
        problems += words_problems(ROOT)
    problems += number_problems(args.docs, ROOT)

    if args.json:
        payload = {
            "ok": not problems,
            "pages": [
                {
                    "page": s.page,
                    **{lang: s.present[lang] for lang in LANGUAGES},
                    "source": s.translation.source,
                    "translation": s.translation.state,
                    "ok": s.ok,
                }
                for s in statuses
            ],
            "problems": [{"path": p.path, "line": p.line, "message": p.message} for p in problems],
        }
        print(json.dumps(payload, ensure_ascii=False, indent=2))
    elif args.command == "status":
        width = max((len(s.page) for s in statuses), default=4)
        print(f"{'page':<{width}}  ko  en  {'translation':<20}  structure")
        for s in statuses:
            marks = "  ".join(" ✓" if s.present[lang] else " ✗" for lang in LANGUAGES)
            source = f" (from {s.translation.source})" if s.translation.source else ""
            verdict = "ok" if s.ok else f"{len(s.problems)} problem(s)"
            print(f"{s.page:<{width}}  {marks}  {s.translation.state + source:<20}  {verdict}")
    else:
        for problem in problems:
            print(problem)
        print(f"i18n check: {len(statuses)} pages, {len(problems)} problem(s)", file=sys.stderr)
    if args.command == "check" and problems:
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
