"""The built site as a reader meets it: every page in a real browser.

Debian's chromium, driven by Playwright, loads the built site from a
localhost server. Every page of both languages (and both 404 pages) must load
with no console error, no uncaught exception, no failed request and no request
to any host but localhost, and pass axe-core with no serious or critical
violation. Then the features a reader uses: the language switch (same page,
same #anchor), math, notebook figures, code copy, the dark/light toggle and
search.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import BrowserContext, Page, expect

from i18n.languages import LANGUAGES as ALL_LANGUAGES
from i18n.languages import language_of_url, root
from tools.sitebuild import CHROMIUM, CHROMIUM_ARGS, serve

pytestmark = pytest.mark.build

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
LANGUAGES = {lang: root(lang) for lang in ALL_LANGUAGES}
LOCAL_HOSTS = {"127.0.0.1", "localhost"}
SERIOUS = {"serious", "critical"}
# axe as Lighthouse 13.5 runs it (core/gather/gatherers/accessibility.js): the
# rules tagged WCAG 2 A/AA, plus those Lighthouse turns on (target-size,
# td-has-header, heading-order, ...), less those it turns off. Lighthouse fails
# its accessibility score on any violation of these, whatever axe's impact; so
# does check_accessible. axe runs every default rule too, and a serious or
# critical violation of any of them fails as well.
LIGHTHOUSE_ON = set(
    "accesskeys aria-allowed-role aria-conditional-attr aria-deprecated-role "
    "aria-dialog-name aria-prohibited-attr aria-treeitem-name aria-text "
    "autocomplete-valid empty-heading heading-order html-xml-lang-mismatch "
    "identical-links-same-purpose image-redundant-alt input-button-name "
    "label-content-name-mismatch landmark-one-main link-in-text-block "
    "meta-viewport presentation-role-conflict select-name skip-link svg-img-alt "
    "tabindex table-duplicate-name table-fake-caption target-size td-has-header".split()
)
LIGHTHOUSE_OFF = set(
    "area-alt aria-braille-equivalent aria-roledescription audio-caption blink "
    "duplicate-id frame-focusable-content frame-title-unique marquee "
    "nested-interactive no-autoplay-audio role-img-alt scrollable-region-focusable "
    "server-side-image-map summary-name aria-tab-name".split()
)
AXE_OPTIONS = {
    "resultTypes": ["violations"],
    "rules": {rule: {"enabled": True} for rule in LIGHTHOUSE_ON},
}


def fails_lighthouse(violation: dict) -> bool:
    """Would this axe violation lower Lighthouse's accessibility score?"""
    if violation["id"] in LIGHTHOUSE_OFF:
        return False
    return violation["id"] in LIGHTHOUSE_ON or bool({"wcag2a", "wcag2aa"} & set(violation["tags"]))


HANGUL = re.compile(r"[\uac00-\ud7a3]")


def page_url(src: Path) -> str:
    """The URL MkDocs gives a page (use_directory_urls), relative to its language root."""
    stem = src.with_suffix("").as_posix()
    if stem == "index":
        return ""
    if stem.endswith("/index"):
        stem = stem[: -len("/index")]
    return stem + "/"


def site_pages() -> list[str]:
    """Every page of both languages, from docs/ (the site has the same set: see below)."""
    urls = []
    for lang, prefix in LANGUAGES.items():
        folder = DOCS / lang
        for src in sorted([*folder.rglob("*.md"), *folder.rglob("*.ipynb")]):
            urls.append(prefix + page_url(src.relative_to(folder)))
        urls.append(prefix + "404.html")
    return urls


PAGES = site_pages()


def language_of(url: str) -> str:
    return language_of_url(url)


@dataclass
class Visit:
    """What happened while a page loaded."""

    page: Page
    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    foreign: list[str] = field(default_factory=list)

    def problems(self) -> list[str]:
        return [
            *(f"console error: {e}" for e in self.console_errors),
            *(f"uncaught exception: {e}" for e in self.page_errors),
            *(f"failed request: {e}" for e in self.failed),
            *(f"request to another host: {e}" for e in self.foreign),
        ]


def open_page(context: BrowserContext, url: str) -> Visit:
    """Load ``url`` and wait until the network is idle, recording every problem."""
    page = context.new_page()
    visit = Visit(page)
    page.on("console", lambda m: m.type == "error" and visit.console_errors.append(m.text))
    page.on("pageerror", lambda e: visit.page_errors.append(str(e)))
    page.on("requestfailed", lambda r: visit.failed.append(f"{r.url} ({r.failure})"))
    page.on("response", lambda r: r.status >= 400 and visit.failed.append(f"{r.url} ({r.status})"))

    def guard(route, request):
        host = urlsplit(request.url).hostname
        if request.url.startswith(("data:", "blob:")) or host in LOCAL_HOSTS:
            route.continue_()
        else:  # never leaves the machine: recorded, then refused
            visit.foreign.append(request.url)
            route.abort()

    page.route("**/*", guard)
    page.goto(url, wait_until="load")
    page.wait_for_load_state("networkidle")
    return visit


@pytest.fixture(scope="module")
def context(browser):
    context = browser.new_context(permissions=["clipboard-read", "clipboard-write"])
    yield context
    context.close()


@pytest.fixture
def visit(context):
    """Open pages; close them after the test."""
    visits: list[Visit] = []

    def _open(url: str) -> Visit:
        visits.append(open_page(context, url))
        return visits[-1]

    yield _open
    for v in visits:
        v.page.close()


# ---------------------------------------------------------------------------
# Every page
# ---------------------------------------------------------------------------


def test_the_page_list_is_the_sitemap(site):
    """PAGES comes from docs/; it must be every page the site has, no more, no less."""
    sitemap = (site / "sitemap.xml").read_text(encoding="utf-8")
    locs = {urlsplit(u).path.lstrip("/") for u in re.findall(r"<loc>([^<]+)</loc>", sitemap)}
    assert locs == {p for p in PAGES if not p.endswith("404.html")}


@dataclass
class Report:
    """One load of a page: what went wrong while loading, and what axe found."""

    problems: list[str]
    lang: str
    violations: list[dict]
    images: list[tuple[str, str]]


def axe_violations(page: Page) -> list[dict]:
    """axe's violations on a loaded page, every block rendered, with ``AXE_OPTIONS``."""
    # Blocks far below the fold skip rendering (content-visibility: auto) until a
    # reader scrolls to them; axe must see them rendered, or it measures the
    # contrast of text against whatever is painted there.
    page.add_style_tag(content="* { content-visibility: visible !important; }")
    return Axe().run(page, options=AXE_OPTIONS).response["violations"]


@pytest.fixture(scope="module")
def report(context, base_url):
    """Each page is loaded once; the load test and the accessibility test share it."""
    reports: dict[str, Report] = {}

    def _report(url: str) -> Report:
        if url not in reports:
            v = open_page(context, base_url + url)
            reports[url] = Report(
                problems=v.problems(),
                lang=v.page.get_attribute("html", "lang"),
                violations=axe_violations(v.page),
                images=v.page.eval_on_selector_all(
                    "article img",
                    "els => els.map(e => [e.getAttribute('alt'), e.currentSrc.slice(0, 80)])",
                ),
            )
            v.page.close()
        return reports[url]

    return _report


def check_loads_cleanly(r: Report, url: str) -> None:
    assert r.problems == []
    assert r.lang == language_of(url)


def check_accessible(r: Report, url: str) -> None:
    serious = [
        f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']][:5]}"
        for v in r.violations
        if v["impact"] in SERIOUS or fails_lighthouse(v)
    ]
    assert serious == []
    for alt, src in r.images:
        assert alt, f"image without alt text: {src}"
        if language_of(url) == "ko":
            assert HANGUL.search(alt), f"alt text not in Korean on a Korean page: {alt!r}"
        else:
            assert not HANGUL.search(alt), f"Korean alt text on an English page: {alt!r}"


# The pages of the default language here; every other language's in
# tests/test_browser_<lang>.py, so that pytest-xdist's workers load them side by side.
DEFAULT_PAGES = [url for url in PAGES if language_of(url) == ALL_LANGUAGES[0]]


def test_every_page_is_tested_in_one_file():
    from tests import test_browser_en

    assert sorted(DEFAULT_PAGES + test_browser_en.EN_PAGES) == sorted(PAGES)


@pytest.mark.parametrize("url", DEFAULT_PAGES)
def test_page_loads_cleanly(report, url):
    check_loads_cleanly(report(url), url)


@pytest.mark.parametrize("url", DEFAULT_PAGES)
def test_page_is_accessible(report, url):
    check_accessible(report(url), url)


# ---------------------------------------------------------------------------
# What a reader does
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "target", "page_path"),
    [
        ("ko", "en", "activations/"),
        ("en", "ko", "activations/"),
        ("ko", "en", "labs/activations/"),
    ],
)
def test_language_switch_keeps_the_page_and_the_anchor(base_url, visit, start, target, page_path):
    first = base_url + LANGUAGES[start] + page_path
    page = visit(first).page
    anchor = page.eval_on_selector_all("article h2[id]", "els => els.map(e => e.id)")[1]
    assert anchor, "the second section has no id"
    page.goto(f"{first}#{anchor}")
    page.hover(".md-header__option .md-select")
    page.click(f'.md-select__link[hreflang="{target}"]')
    page.wait_for_url(f"{base_url}{LANGUAGES[target]}{page_path}#{anchor}")
    assert page.get_attribute("html", "lang") == target
    assert page.locator(f"[id='{anchor}']").count() == 1


@pytest.mark.parametrize("lang", LANGUAGES)
def test_math_is_rendered(base_url, visit, lang):
    page = visit(base_url + LANGUAGES[lang] + "activations/").page
    formulas = page.locator(".arithmatex")
    assert formulas.count() > 10
    # formulas render as they come near the viewport: open every collapsed
    # block, then visit each formula a reader can see
    page.eval_on_selector_all("details", "els => els.forEach(e => e.open = true)")
    shown = 0
    for i in range(formulas.count()):
        formula = formulas.nth(i)
        if not formula.is_visible():  # in a content tab not selected
            continue
        formula.scroll_into_view_if_needed()
        expect(formula.locator(".katex").first).to_be_attached()
        shown += 1
    assert shown > 10
    assert page.locator(".katex-error").count() == 0
    assert "\\(" not in page.locator("article").inner_text()


@pytest.mark.parametrize("lang", LANGUAGES)
def test_notebook_figures_are_visible(base_url, visit, lang):
    page = visit(base_url + LANGUAGES[lang] + "labs/activations/").page
    figures = page.locator("article img")
    assert figures.count() >= 2
    for i in range(figures.count()):
        img = figures.nth(i)
        img.scroll_into_view_if_needed()
        expect(img).to_be_visible()
        img.evaluate("e => e.decode()")  # lazy-loaded: wait until it has arrived
        assert img.evaluate("e => e.naturalWidth") > 100
        assert img.bounding_box()["width"] > 100


# The notebook pages keep only the JupyterLab CSS they can use (hooks/used_css.py).
# The proof: put the whole of it back (nbconvert's code colours, mkdocs-jupyter's
# JupyterLab theme) after the page's own, and no element of the notebook may
# change a single computed style property, in the light or the dark palette.
NOTEBOOK_STYLES = """(key) => {
  window.__styles = window.__styles || {};
  window.__styles[key] = [...document.querySelectorAll(".jupyter-wrapper, .jupyter-wrapper *")]
    .map(e => {
      const cs = getComputedStyle(e), o = {};
      for (const p of cs) o[p] = cs.getPropertyValue(p);
      return o;
    });
  return window.__styles[key].length;
}"""
STYLE_CHANGES = """([a, b]) => {
  const before = window.__styles[a], after = window.__styles[b], changes = [];
  const elements = [...document.querySelectorAll(".jupyter-wrapper, .jupyter-wrapper *")];
  if (before.length !== after.length) return [`${before.length} elements, then ${after.length}`];
  before.forEach((style, i) => {
    for (const p in style) if (style[p] !== after[i][p] && changes.length < 5) {
      const e = elements[i];
      changes.push(`${e.tagName.toLowerCase()}.${[...e.classList].join(".")} ${p}: ` +
                   `${style[p]} -> ${after[i][p]}`);
    }
  });
  return changes;
}"""
ADD_STYLE_AFTER_THE_NOTEBOOKS = """(css) => {
  const last = [...document.querySelectorAll("style")].pop();
  const style = document.createElement("style");
  style.textContent = css;
  last.after(style);
}"""


def full_notebook_css() -> str:
    """All the CSS mkdocs-jupyter's template inlines into a notebook page."""
    import mkdocs_jupyter
    from nbconvert.preprocessors import CSSHTMLHeaderPreprocessor

    _, resources = CSSHTMLHeaderPreprocessor().preprocess({}, {"config_dir": ""})
    code = "".join(str(css) for css in resources["inlining"]["css"])
    assets = Path(mkdocs_jupyter.__file__).parent / "templates" / "mkdocs_html" / "assets"
    theme = [
        (assets / name).read_text(encoding="utf-8") for name in ("index.css", "theme-light.css")
    ]
    return "\n".join([code.replace(".highlight ", ".highlight-ipynb "), *theme])


def notebook_style_changes(page: Page, css: str) -> list[str]:
    """What adding ``css`` after the page's styles changes, in both palettes."""
    body = "document.body.dataset.mdColorScheme = "
    # no transitions: a colour caught halfway after a palette switch is no change
    page.add_style_tag(content="*, *::before, *::after { transition: none !important; }")
    assert page.evaluate(NOTEBOOK_STYLES, "light") > 500
    page.evaluate(body + "'slate'")
    page.evaluate(NOTEBOOK_STYLES, "dark")
    page.evaluate(ADD_STYLE_AFTER_THE_NOTEBOOKS, css)
    page.evaluate(NOTEBOOK_STYLES, "dark, all")
    page.evaluate(body + "'default'")
    page.evaluate(NOTEBOOK_STYLES, "light, all")
    return page.evaluate(STYLE_CHANGES, ["light", "light, all"]) + page.evaluate(
        STYLE_CHANGES, ["dark", "dark, all"]
    )


@pytest.mark.parametrize("url", ["labs/numpy/", "en/labs/generative/"])
def test_notebook_pages_keep_every_style_they_use(base_url, visit, url):
    page = visit(base_url + url).page
    assert notebook_style_changes(page, full_notebook_css()) == []


def test_the_notebook_style_check_fails_when_a_used_rule_is_missing(base_url, visit):
    page = visit(base_url + "labs/numpy/").page
    page.evaluate("() => document.querySelectorAll('style').forEach(s => s.textContent = '')")
    changes = notebook_style_changes(page, full_notebook_css())
    assert changes and " -> " in changes[0]


def test_korean_figures_show_korean_words_in_the_shipped_font(base_url, visit, tmp_path):
    """A Korean chapter's figure is the Korean drawing: Hangul glyphs from NanumGothic,
    stored as paths, so every browser shows the same letters; English keeps English."""
    shots = {}
    for lang in LANGUAGES:
        page = visit(base_url + LANGUAGES[lang] + "activations/").page
        img = page.locator('article img[src$="gradient-norms.svg"]')
        img.scroll_into_view_if_needed()
        img.evaluate("e => e.decode()")
        assert img.evaluate("e => e.naturalWidth") > 100
        svg = page.evaluate("src => fetch(src).then(r => r.text())", img.get_attribute("src"))
        if lang == "ko":
            assert "층 (1 = 입력에 가장 가까운 층)" in svg
            assert 'id="NanumGothic-' in svg
        else:
            assert "layer (1 = closest to the input)" in svg
            assert "NanumGothic" not in svg
        shots[lang] = img.screenshot(path=tmp_path / f"gradient-norms-{lang}.png")
    assert shots["ko"] != shots["en"]  # the two languages are two drawings


def test_code_copy_puts_the_shown_code_on_the_clipboard(base_url, visit):
    page = visit(base_url + "numpy/").page
    block = page.locator("article .highlight").first
    block.hover()
    block.locator("button.md-code__button[data-md-type='copy']").click()
    copied = page.evaluate("navigator.clipboard.readText()")
    shown = block.locator("code").evaluate("e => e.textContent")
    assert copied.strip() and copied.strip() == shown.strip()


@pytest.mark.parametrize("lang", LANGUAGES)
def test_dark_and_light_toggle(base_url, visit, lang):
    page = visit(base_url + LANGUAGES[lang]).page
    body = page.locator("body")
    expect(body).to_have_attribute("data-md-color-scheme", "default")
    toggle = page.locator('label[for="__palette_1"]')
    title = toggle.get_attribute("title")
    assert bool(HANGUL.search(title)) == (lang == "ko"), title
    toggle.click()
    expect(body).to_have_attribute("data-md-color-scheme", "slate")
    page.locator('label[for="__palette_0"]').click()
    expect(body).to_have_attribute("data-md-color-scheme", "default")


@pytest.mark.parametrize(("lang", "query"), [("ko", "활성화"), ("en", "activation")])
def test_search_returns_results(base_url, visit, lang, query):
    page = visit(base_url + LANGUAGES[lang]).page
    page.click("input.md-search__input")
    page.keyboard.type(query)
    page.keyboard.press("End")  # a real keyup: Material searches on keyup
    results = page.locator(".md-search-result__item")
    # the worker builds the index first: seconds on a loaded CI machine
    expect(results.first).to_be_visible(timeout=60_000)
    assert results.count() > 0


# ---------------------------------------------------------------------------
# The checks can fail
# ---------------------------------------------------------------------------

BROKEN = """<!doctype html>
<html><head><title>broken</title>
<link rel="stylesheet" href="https://cdn.example.com/font.css"></head>
<body><main><article>
<img src="missing.png">
<p style="color:#eee;background:#fff">low contrast</p>
<script>console.error("boom"); undefinedFunction();</script>
</article></main></body></html>
"""


# A block laid out only near the viewport (content-visibility: auto) clips what it
# paints to its box; a focus ring drawn outside the box of a link or a code block
# inside it (Material: outline-offset .2rem) must still show whole.
CLIPPED_FOCUS_RINGS = """() => {
  const rem = parseFloat(getComputedStyle(document.documentElement).fontSize);
  const needed = 0.2 * rem + 3;  // Material's outline offset and the ring itself
  const focusable = "a[href], [tabindex], button, input, select, textarea, summary";
  const lazy = [...document.querySelectorAll("article *")]
    .filter(e => getComputedStyle(e).contentVisibility === "auto");
  const clipped = lazy
    .filter(e => e.querySelector(focusable))
    .filter(e => !(parseFloat(getComputedStyle(e).overflowClipMargin) >= needed))
    .map(e => `${e.tagName.toLowerCase()}.${e.className}: clips at ` +
              getComputedStyle(e).overflowClipMargin + `, needs ${needed}px`);
  return {lazy: lazy.length, clipped: clipped.slice(0, 5)};
}"""


# Layout shifts while a page loads in a phone-sized window (Lighthouse's 412 x 823),
# summed as the browser reports them; Lighthouse counts 0.1 or more as poor.
# (Playwright's is_mobile emulation hid the shift Lighthouse measured; a plain
# window of that size shows it every time.)
RECORD_LAYOUT_SHIFTS = """
window.__shifts = [];
new PerformanceObserver(list => {
  for (const e of list.getEntries()) if (!e.hadRecentInput) window.__shifts.push(e.value);
}).observe({type: "layout-shift", buffered: true});
"""
PHONE = {"viewport": {"width": 412, "height": 823}}


def layout_shift_on_a_phone(browser, url: str, css: str = "") -> float:
    """Measured in a browser of its own: one that has drawn pages before (fonts
    loaded) paints the final layout first and hides the shift, as Lighthouse's
    fresh browser does not."""
    fresh = browser.browser_type.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    context = fresh.new_context(**PHONE)
    try:
        page = context.new_page()
        page.add_init_script(RECORD_LAYOUT_SHIFTS)
        if css:  # in the page's own <head>, as if the site's stylesheet had it

            def with_css(route):
                html = route.fetch().text().replace("</head>", f"<style>{css}</style></head>", 1)
                route.fulfill(body=html, content_type="text/html; charset=utf-8")

            page.route(url, with_css)
        page.goto(url, wait_until="load")
        page.wait_for_load_state("networkidle")
        page.wait_for_timeout(300)
        return page.evaluate("window.__shifts.reduce((a, b) => a + b, 0)")
    finally:
        context.close()
        fresh.close()


@pytest.mark.parametrize(
    "url",
    ["", "translation-status/", "en/translation-status/", "glossary/", "learning/", "labs/numpy/"],
)
def test_pages_do_not_shift_while_loading_on_a_phone(browser, base_url, url):
    assert layout_shift_on_a_phone(browser, base_url + url) < 0.05


def test_the_layout_shift_check_fails_on_a_block_that_grows_in_the_first_screen(browser, base_url):
    # The status table pushed down by a block in the first screen that grows after
    # the first paint, as the table itself did when it was laid out lazily from a
    # 12rem placeholder. That rule showed the shift only when the browser painted
    # before laying the table out, which a fast or a loaded machine may not do; a
    # block that grows over a few frames shifts the page on every machine.
    grows = (
        ".md-content { animation: grows 150ms linear both; }"
        " @keyframes grows { from { margin-top: 0; } to { margin-top: 40vh; } }"
    )
    assert layout_shift_on_a_phone(browser, base_url + "translation-status/", grows) >= 0.1


@pytest.mark.parametrize("url", ["learning/", "en/generative/", "labs/learning/"])
def test_focus_rings_are_not_clipped_by_lazy_blocks(base_url, visit, url):
    found = visit(base_url + url).page.evaluate(CLIPPED_FOCUS_RINGS)
    assert found["lazy"] > 0, "the page has no lazily laid-out blocks: the check tests nothing"
    assert found["clipped"] == []


def test_the_focus_ring_check_fails_on_a_clipping_block(base_url, visit):
    page = visit(base_url + "learning/").page
    page.add_style_tag(content="article * { overflow-clip-margin: 0px !important; }")
    found = page.evaluate(CLIPPED_FOCUS_RINGS)["clipped"]
    assert found and "needs" in found[0]


def test_the_browser_checks_catch_a_broken_page(browser, tmp_path):
    (tmp_path / "index.html").write_text(BROKEN, encoding="utf-8")
    context = browser.new_context()
    with serve(tmp_path) as url:
        v = open_page(context, url)
        problems = "\n".join(v.problems())
        assert "cdn.example.com" in problems  # third-party request, refused
        assert "missing.png" in problems  # 404
        assert "console error: boom" in problems
        assert "undefinedFunction" in problems  # uncaught exception
        violations = {x["id"] for x in Axe().run(v.page).response["violations"]}
        assert {"image-alt", "html-has-lang", "color-contrast"} <= violations
    context.close()


LIGHTHOUSE_BROKEN = """<!doctype html>
<html lang="en"><head><title>broken</title></head>
<body><main><h1>Tables and links</h1>
<table><tr><th></th><th>A</th><th>B</th></tr>
<tr><td>one</td><td>1</td><td>2</td></tr><tr><td>two</td><td>3</td><td>4</td></tr></table>
<p><a href="#a" style="display:inline-block;width:8px;height:8px;font-size:6px">a</a><a
href="#b" style="display:inline-block;width:8px;height:8px;font-size:6px">b</a></p>
</main></body></html>
"""


def test_the_accessibility_check_fails_what_lighthouse_fails(browser, tmp_path):
    # a table whose first column has no header, and two tiny links side by side
    (tmp_path / "index.html").write_text(LIGHTHOUSE_BROKEN, encoding="utf-8")
    context = browser.new_context()
    with serve(tmp_path) as url:
        v = open_page(context, url)
        violations = Axe().run(v.page, options=AXE_OPTIONS).response["violations"]
        failing = {x["id"] for x in violations if fails_lighthouse(x)}
        assert {"td-has-header", "target-size"} <= failing
        report = Report(problems=[], lang="en", violations=violations, images=[])
        with pytest.raises(AssertionError, match="target-size"):
            check_accessible(report, "en/")
    context.close()
