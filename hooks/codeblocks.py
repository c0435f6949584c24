"""MkDocs hook: highlighted code without the elements that change nothing a reader sees.

Pygments wraps every token of a code block in its own ``<span class="...">``; the
code of a chapter is half of its page's elements (7,000 of 13,600 on the
learning chapter), and a phone computes the style and layout of each of them
when the page loads (Lighthouse measured over a second on the long chapters).

Two kinds of token span carry no colour in Material's code palette:

* ``n`` (a plain name): Material colours it ``--md-code-hl-name-color``, which
  is ``var(--md-code-fg-color)``, the colour of the code itself;
* ``w`` (whitespace): Material gives it no rule.

Their text is kept and the span around it dropped, only inside the code blocks
of pymdownx.highlight (``<div class="language-... highlight"><pre>``), so
notebook cells (nbconvert's own highlighting) are left as they are.
Each block's ``<code>`` also starts keyboard-focusable (``focusable`` below).

``tests/test_codeblocks.py`` checks that Material's stylesheet still gives these
two classes no colour of their own, so a theme update that does fails the tests.
"""

from __future__ import annotations

import re

# a pymdownx.highlight block (Markdown pages and mkdocstrings' signatures and source)
BLOCK = re.compile(
    r'(<div class="language-[\w+-]+(?: [\w-]+)* highlight"><pre>)(.*?)(</pre>)', re.S
)
CLASSES = ("n", "w")
# a span of one of those classes around plain text
PLAIN = re.compile(rf'<span class="(?:{"|".join(CLASSES)})">([^<]*)</span>')


def plain_tokens(html: str) -> str:
    """``html`` with the colourless token spans of its highlighted code blocks unwrapped,
    and each block's code focusable (see ``focusable``)."""
    return BLOCK.sub(lambda m: m[1] + focusable(PLAIN.sub(r"\1", m[2])) + m[3], html)


def focusable(code: str) -> str:
    """The ``<code>`` of a block reachable with the keyboard from the start.

    Material makes a code block that scrolls sideways focusable (so a keyboard can
    scroll it) when it sets the block up; with ``content.lazy`` that happens only
    when the block comes into view, so a reader tabbing down the page would pass
    the blocks below unreachable. Every block starts focusable; Material takes
    the ``tabindex`` off a block that does not scroll once it is in view.
    """
    return code.replace("<code>", '<code tabindex="0">', 1)


def on_page_content(html: str, page, config, files) -> str:
    return plain_tokens(html)
