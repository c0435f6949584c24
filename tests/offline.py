"""Find every request a built page would make to a host other than the site's own."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlparse

# (tag, attribute) pairs whose URL the browser fetches by itself
FETCHED = {
    ("script", "src"),
    ("img", "src"),
    ("img", "srcset"),
    ("iframe", "src"),
    ("source", "src"),
    ("source", "srcset"),
    ("video", "src"),
    ("video", "poster"),
    ("audio", "src"),
    ("embed", "src"),
    ("object", "data"),
    ("input", "src"),
}
# <link rel=...> values that make the browser fetch href
FETCHING_RELS = {"stylesheet", "preload", "modulepreload", "prefetch", "icon", "manifest",
                 "apple-touch-icon", "preconnect", "dns-prefetch"}  # fmt: skip
CSS_URL = re.compile(r"""(?:url\(\s*['"]?|@import\s+['"])([^'")\s]+)""")


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.urls: list[tuple[int, str]] = []
        self._in_style = False

    def handle_starttag(self, tag, attrs):
        values = dict(attrs)
        for name, value in attrs:
            if value and (tag, name) in FETCHED:
                for part in value.split(","):
                    self.urls.append((self.getpos()[0], part.strip().split(" ")[0]))
        if tag == "link" and values.get("href"):
            rels = set((values.get("rel") or "").lower().split())
            if rels & FETCHING_RELS:
                self.urls.append((self.getpos()[0], values["href"]))
        if values.get("style"):
            self.urls.extend((self.getpos()[0], u) for u in CSS_URL.findall(values["style"]))
        self._in_style = tag == "style"

    def handle_endtag(self, tag):
        self._in_style = False

    def handle_data(self, data):
        if self._in_style:
            self.urls.extend((self.getpos()[0], u) for u in CSS_URL.findall(data))


def _foreign(url: str, own_hosts: set[str]) -> bool:
    parsed = urlparse(url)
    if parsed.scheme in ("data", "blob", "about", ""):
        return bool(url.startswith("//") and parsed.netloc not in own_hosts)
    return parsed.scheme in ("http", "https") and parsed.netloc not in own_hosts


def third_party_requests(site: Path, own_hosts: set[str]) -> list[str]:
    """``file:line: url`` for each URL a page or stylesheet would fetch from another host."""
    found = []
    for path in sorted(site.rglob("*.html")):
        collector = _Collector()
        collector.feed(path.read_text(encoding="utf-8"))
        for line, url in collector.urls:
            if _foreign(url, own_hosts):
                found.append(f"{path.relative_to(site)}:{line}: {url}")
    for path in sorted(site.rglob("*.css")):
        text = path.read_text(encoding="utf-8")
        for match in CSS_URL.finditer(text):
            if _foreign(match.group(1), own_hosts):
                line = text.count("\n", 0, match.start()) + 1
                found.append(f"{path.relative_to(site)}:{line}: {match.group(1)}")
    return found
