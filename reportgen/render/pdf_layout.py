"""Layout defects of a rendered report, found on WeasyPrint's laid-out pages.

What a reader notices first and no text comparison catches: a heading left alone at the
foot of a page, a column header broken inside a word ("configura-tion"), a short chapter
that spills a few lines onto an otherwise blank page, a legend naming a value the figure
never shows, a cover that says the same thing twice. :func:`layout_defects` lists them;
the tests run it on the sample pack and on a many-service estate, so a template or CSS
change that brings one back fails there.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from weasyprint import Document
from weasyprint.formatting_structure import boxes

HEADINGS = ("h1", "h2", "h3")
KEEP_WITH_NEXT = ("section-why",)  # classes of paragraphs that introduce what follows
INTRO_LINES = 3  # lines under a heading that only introduce what follows
SPILL_FILL = 0.2  # a chapter's second and last page holding less than this has spilled
COVER_NGRAM = 3  # words in a phrase the cover must not repeat
_WORD = re.compile(r"[\w/.:-]+")


@dataclass(frozen=True)
class Defect:
    page: int  # 1-based; 0 for the document as a whole
    kind: str
    text: str

    def __str__(self) -> str:
        return f"page {self.page}: {self.kind}: {self.text}"


def layout_defects(document: Document) -> list[Defect]:
    """Every defect found, in page order."""
    found: list[Defect] = []
    pages = [page._page_box for page in document.pages]
    for number, page in enumerate(pages, start=1):
        found += stranded_headings(page, number, pages[number] if number < len(pages) else None)
        found += broken_headers(page, number)
    found += spilled_chapters(pages)
    if pages:
        root = _root_element(pages[0])
        if root is not None:
            found += legend_defects(root)
            found += cover_repeats(root)
    return sorted(found, key=lambda d: d.page)


# ------------------------------------------------------------------ walking the pages


def _classes(box: Any) -> list[str]:
    element = getattr(box, "element", None)
    if element is None or not hasattr(element, "get"):
        return []
    return (element.get("class") or "").split()


def _keeps_with_next(box: Any) -> bool:
    """A heading, a table's group-heading row, or an introduction to what follows."""
    if isinstance(box, boxes.BlockBox) and box.element_tag in HEADINGS:
        return True
    if isinstance(box, boxes.TableRowBox) and "group" in _classes(box):
        return True
    return isinstance(box, boxes.BlockBox) and any(c in KEEP_WITH_NEXT for c in _classes(box))


def _flow(box: Any, in_header: bool = False) -> Iterator[tuple[Any, bool]]:
    """(box, keeps-with-next) for the page's content in document order: headings and
    group rows as one item each, other content as lines, table rows and images. The rows
    of a table header repeated on every page keep with what follows too."""
    if (
        isinstance(box, boxes.MarginBox)
        or getattr(box, "is_absolutely_positioned", lambda: False)()
    ):
        return
    if _keeps_with_next(box):
        yield box, True
        return
    if isinstance(box, boxes.TableRowBox):
        yield box, in_header
        return
    if isinstance(box, boxes.LineBox | boxes.ReplacedBox):
        yield box, False
        return
    header = in_header or (isinstance(box, boxes.TableRowGroupBox) and box.is_header)
    for child in getattr(box, "children", ()):
        yield from _flow(child, header)


def _text(box: Any) -> str:
    if isinstance(box, boxes.TextBox):
        return box.text
    return "".join(_text(child) for child in getattr(box, "children", ()))


def stranded_headings(page: Any, number: int, next_page: Any = None) -> list[Defect]:
    """A heading (or group row, or table header) with nothing of its own below it, or
    with only its introduction (a few lines, no table row) while what it introduces goes
    on overleaf."""
    items = list(_flow(page))
    last = max((i for i, (_box, keeps) in enumerate(items) if keeps), default=None)
    if last is None:
        return []
    after = items[last + 1 :]
    intro_only = (
        0 < len(after) <= INTRO_LINES
        and all(isinstance(box, boxes.LineBox) for box, _ in after)
        and next_page is not None
        and not _starts_chapter(next_page)
        and not _opens_with_heading(next_page)
    )
    if after and not intro_only:
        return []
    tail = []
    for box, keeps in reversed(items[: last + 1]):
        if not keeps:
            break
        tail.append(" ".join(_text(box).split())[:60])
    return [Defect(number, "heading at the foot of the page", " / ".join(reversed(tail)))]


def _opens_with_heading(page: Any) -> bool:
    """The page's first content (after a repeated table header) is a heading of its own."""
    for box, keeps in _flow(page):
        if isinstance(box, boxes.TableRowBox) and keeps and "group" not in _classes(box):
            continue  # a table header repeated at the top of the page
        return keeps
    return False


def _outermost(box: Any, kind: type) -> Iterator[Any]:
    """The boxes of ``kind`` under ``box``, not looking inside one once found."""
    if isinstance(box, kind):
        yield box
        return
    for child in getattr(box, "children", ()):
        yield from _outermost(child, kind)


def broken_headers(page: Any, number: int) -> list[Defect]:
    """Column headers must break between words and fit their column."""
    found = []
    for cell in _outermost(page, boxes.TableCellBox):
        if cell.element_tag != "th":
            continue
        source = " ".join("".join(cell.element.itertext()).split())
        words = set(_parts(source))
        right = cell.content_box_x() + cell.width
        for line in _outermost(cell, boxes.LineBox):
            text = " ".join(_text(line).split())
            bad = [w for w in text.split() if w not in words]
            if bad:
                found.append(
                    Defect(number, "header broken inside a word", f"{bad[0]!r} in {source!r}")
                )
                break
            if line.position_x + line.width > right + 0.5:
                found.append(Defect(number, "header wider than its column", source))
                break
    return found


def _parts(text: str) -> Iterator[str]:
    """Words of a header and the pieces a line may end or start with at a hyphen it has."""
    for word in text.split():
        yield word
        pieces = word.split("-")
        for index in range(1, len(pieces)):
            yield "-".join(pieces[:index]) + "-"
            yield "-".join(pieces[index:])


def _fill(page: Any) -> float:
    """Share of the page's content area its content reaches down to."""
    bottoms = [
        box.position_y + box.margin_height()
        for box, _keeps in _flow(page)
        if hasattr(box, "margin_height")
    ]
    if not bottoms:
        return 0.0
    top = page.content_box_y()
    return max(0.0, (max(bottoms) - top) / page.height) if page.height else 0.0


def _starts_chapter(page: Any) -> bool:
    return any(
        isinstance(box, boxes.BlockBox) and box.element_tag == "h1" for box, _ in _flow(page)
    ) or any("cover" in _classes(box) for box in _descendants(page))


def _descendants(box: Any) -> Iterator[Any]:
    for child in getattr(box, "children", ()):
        yield child
        yield from _descendants(child)


def spilled_chapters(pages: list[Any]) -> list[Defect]:
    """A two-page chapter whose second page holds a few lines: it spilled over."""
    starts = [index for index, page in enumerate(pages) if _starts_chapter(page)]
    found = []
    for first, end in zip(starts, [*starts[1:], len(pages)], strict=True):
        if end - first == 2:
            fill = _fill(pages[first + 1])
            if fill < SPILL_FILL:
                found.append(
                    Defect(
                        first + 2, "chapter spilled onto a nearly blank page", f"{fill:.0%} used"
                    )
                )
    return found


# ------------------------------------------------------------------ the document's HTML


def _root_element(page: Any) -> Any:
    for box in _descendants(page):
        element = getattr(box, "element", None)
        if element is not None and getattr(box, "element_tag", None) == "html":
            return element
    return None


def _owner_classes(element: Any) -> set[str]:
    return {c[2:] for c in (element.get("class") or "").split() if c.startswith("o-")}


def legend_defects(root: Any) -> list[Defect]:
    """Each legend names only owners its chapter shows outside the legend."""
    found = []
    for section in root.iter("section"):
        legends = [p for p in section.iter("p") if "legend" in (p.get("class") or "").split()]
        if not legends:
            continue
        in_legends = {id(e) for p in legends for e in p.iter()}
        shown = set()
        for element in section.iter():
            if id(element) not in in_legends:
                shown |= _owner_classes(element)
        for legend in legends:
            for chip in legend.iter():
                for owner in sorted(_owner_classes(chip) - shown):
                    where = f"{owner} in {section.get('id')}"
                    found.append(Defect(0, "legend names a value its chapter never shows", where))
    return found


def _words(element: Any) -> list[str]:
    text = " ".join("".join(element.itertext()).split())
    return [w.lower().strip(".,:;()") for w in _WORD.findall(text)]


def cover_repeats(root: Any) -> list[Defect]:
    """The cover says each thing once: no phrase of three words appears on it twice."""
    cover = next((s for s in root.iter("section") if s.get("id") == "cover"), None)
    if cover is None:
        return []
    words = _words(cover)
    seen: dict[tuple[str, ...], int] = {}
    found = []
    for index in range(len(words) - COVER_NGRAM + 1):
        phrase = tuple(words[index : index + COVER_NGRAM])
        if phrase in seen and seen[phrase] + COVER_NGRAM <= index:
            found.append(Defect(1, "the cover repeats itself", " ".join(phrase)))
        seen.setdefault(phrase, index)
    return found
