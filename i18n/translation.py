"""Which twin is a translation, of which version of its source, and is it outdated.

A translated page records the hash of the source page it was translated from:
``source_hash: 1a2b3c4d5e6f`` in a Markdown page's front matter, or
``metadata.i18n.source_hash`` in a notebook. Editing the source changes its
hash, so the translation reads as outdated until someone updates it and runs
``python -m i18n stamp <translated page>``. No git history is needed.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path

import yaml

HASH_LENGTH = 12
RECORD = re.compile(r"^source_hash:\s*['\"]?([0-9a-f]+)['\"]?\s*$", re.MULTILINE)


def content_hash(path: Path) -> str:
    """Hash of a source page, ignoring its own translation record and line endings."""
    text = path.read_text(encoding="utf-8").replace("\r\n", "\n")
    if path.suffix == ".ipynb":
        notebook = json.loads(text)
        notebook.get("metadata", {}).pop("i18n", None)
        text = json.dumps(notebook["cells"], sort_keys=True, ensure_ascii=False)
    else:
        text = RECORD.sub("", text, count=1)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:HASH_LENGTH]


def read_record(path: Path) -> str | None:
    """The ``source_hash`` a translated page records, or None."""
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".ipynb":
        try:
            value = json.loads(text).get("metadata", {}).get("i18n", {}).get("source_hash")
        except ValueError:
            return None
        return str(value) if value else None
    if not text.startswith("---"):
        return None
    end = text.find("\n---", 3)
    match = RECORD.search(text[: end if end != -1 else 0])
    return match.group(1) if match else None


def write_record(path: Path, value: str) -> None:
    """Store ``source_hash: value`` in a translated page (front matter or notebook metadata)."""
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".ipynb":
        notebook = json.loads(text)
        notebook.setdefault("metadata", {}).setdefault("i18n", {})["source_hash"] = value
        path.write_text(json.dumps(notebook, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        return
    line = f"source_hash: {value}"
    if not text.startswith("---\n"):
        path.write_text(f"---\n{line}\n---\n\n{text}", encoding="utf-8")
        return
    end = text.find("\n---", 3)
    head, rest = text[:end], text[end:]
    head = RECORD.sub(line, head, count=1) if RECORD.search(head) else f"{head}\n{line}"
    yaml.safe_load(head[4:])  # never write front matter that does not parse
    path.write_text(head + rest, encoding="utf-8")


@dataclass(frozen=True)
class Translation:
    """The state of one pair of twins."""

    source: str | None  # language of the source page, None when neither twin records it
    state: str  # "up to date", "outdated", "no record", "single"
    recorded: str | None = None
    current: str | None = None


def translation_state(ko: Path | None, en: Path | None) -> Translation:
    """Compare a pair's translation record with its source's current hash."""
    if ko is None or en is None:
        return Translation(None, "single")
    for translated, source, source_lang in ((en, ko, "ko"), (ko, en, "en")):
        recorded = read_record(translated)
        if recorded:
            current = content_hash(source)
            state = "up to date" if recorded == current else "outdated"
            return Translation(source_lang, state, recorded, current)
    return Translation(None, "no record")
