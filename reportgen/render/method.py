"""The PDF's method appendix, rendered from docs/methodology.md (its one source)."""

from __future__ import annotations

from functools import cache

from markdown_it import MarkdownIt
from markupsafe import Markup

from reportgen.core.resources import methodology_path


@cache
def method_html() -> Markup:
    """The numbered sections of the methodology as HTML; the page title and intro stay out.

    The text is ours and shipped with the tool, never user input, and raw HTML in it is
    escaped all the same (``html: False``).
    """
    text = methodology_path().read_text(encoding="utf-8")
    start = text.find("\n## ")
    sections = text[start + 1 :] if start >= 0 else text
    parser = MarkdownIt("commonmark", {"html": False}).enable("table")
    return Markup(parser.render(sections))
