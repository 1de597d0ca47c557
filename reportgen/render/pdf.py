"""The PDF responsibility matrix: matrix.json -> Jinja2 HTML -> WeasyPrint -> PDF.

Reproducible: every date in the document and its metadata comes from
``matrix["generated_at"]`` (SOURCE_DATE_EPOCH), fonts are the ones shipped in
``templates/assets/fonts``, attachments carry fixed media types and dates, so the same
inputs give the same bytes. Safe: the HTML is autoescaped and WeasyPrint fetches through
:class:`AssetFetcher`, which serves template assets and nothing else.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from reportgen.core.clock import parse_iso
from reportgen.core.errors import InputError, environment_errors
from reportgen.core.markdown import shorten
from reportgen.core.media_types import bare_media_type
from reportgen.core.resources import templates_dir
from reportgen.core.terminal import one_line
from reportgen.matrix import dumps
from reportgen.render.method import method_html
from reportgen.render.pdf_context import build_context
from reportgen.render.scratch import scratch
from reportgen.render.templating import render_template, template_roots

if TYPE_CHECKING:
    from weasyprint import CSS, Attachment, Document

    from reportgen.render import FrameworkJob
    from reportgen.render.fetcher import AssetFetcher

DEFAULT_VARIANT = "default"
URL_SHOWN = 120  # characters of a refused URL shown in an error
# What each configured variant asks WeasyPrint for. Every PDF is tagged (headings, tables
# with their header cells, lists, the chart's text alternative, the language): the default
# one is PDF/UA-1; the archival one is PDF/A-3u, tagged too (one XMP identification per
# file: WeasyPrint writes either the PDF/A or the PDF/UA one).
WEASYPRINT_VARIANTS = {DEFAULT_VARIANT: "pdf/ua-1"}
DEFAULT_PAPER = "A4"
PAPER = {"A4": ("A4", 297.0), "Letter": ("letter", 279.4)}  # CSS size, portrait height in mm

ATTACHMENT_ROLES = {
    "inventory": ("Source", "Service inventory the pack was built from"),
    "config": ("Source", "reportgen configuration the pack was built from"),
}


def pdf_name(job: FrameworkJob) -> str:
    return f"{job.slug}-{job.framework_id}-responsibility-matrix.pdf"


def report_context(matrix: dict[str, Any], paper_size: str = DEFAULT_PAPER) -> dict[str, Any]:
    return {**build_context(matrix, paper_size), "method_html": method_html()}


def report_html(job: FrameworkJob) -> str:
    """The report as HTML (what the golden tests compare)."""
    return render_template(
        report_context(job.matrix, job.options.paper_size), job.options.templates
    )


def page_css(paper_size: str) -> CSS:
    """The paper the configuration names, for portrait and landscape (wide) pages alike,
    and the cover filling its page; after report.css, so it wins over the stylesheet's A4."""
    from weasyprint import CSS

    size, height = PAPER.get(paper_size, PAPER[DEFAULT_PAPER])
    return CSS(
        string=f"@page {{ size: {size} !important }} "
        f"@page wide {{ size: {size} landscape !important }} "
        f".cover {{ height: {height}mm !important }}"
    )


def write_pdf(job: FrameworkJob) -> list[Path]:
    path = job.folder / pdf_name(job)
    with environment_errors(path):  # disk full, here or in WeasyPrint's scratch folder
        path.write_bytes(render_pdf(job, report_html(job)))
    return [path]


def render_pdf(job: FrameworkJob, html: str) -> bytes:
    """The PDF's bytes; WeasyPrint's temporary font folders are removed before it returns
    (see scratch.py): they live in a folder of their own inside ``job.folder``."""
    with scratch(job.folder):
        # WeasyPrint is first imported here, in the scratch folder: its import looks for
        # libraries with ctypes.util, which runs gcc on temporary files.
        from reportgen.render.fetcher import AssetFetcher

        fetcher = AssetFetcher(template_roots(job.options.templates))
        with _laying_out(job.options.templates):
            return pdf_bytes(job, render_document(job, html, fetcher), fetcher)


@contextlib.contextmanager
def _laying_out(templates: Path | None) -> Iterator[None]:
    """WeasyPrint's own failure while it lays out the user's templates is theirs to fix:
    a malformed ``calc(1px +)`` in their CSS made it assert, said as "internal error, a
    bug in reportgen", exit 1 (pass 49a). With the shipped templates it stays a bug."""
    try:
        yield
    except (InputError, OSError, MemoryError):
        raise  # the user's already, or the machine's: reported as such
    except Exception as exc:
        if templates is None:
            raise
        said = one_line(f"{type(exc).__name__}: {exc}".rstrip(": "))
        raise InputError(
            "the PDF renderer (WeasyPrint) failed laying out the report with these "
            f"templates: {shorten(said, 200)}",
            file=templates,
            hint="Check the HTML and CSS of your templates (a malformed value, such as "
            "calc(1px +), makes WeasyPrint fail); build without --templates to compare.",
        ) from exc


def render_document(job: FrameworkJob, html: str, fetcher: AssetFetcher | None = None) -> Document:
    """Lay the HTML out into pages, fetching only template assets."""
    from weasyprint import HTML
    from weasyprint.text.fonts import FontConfiguration

    from reportgen.render.fetcher import AssetFetcher

    fetcher = fetcher or AssetFetcher(template_roots(job.options.templates))
    document = HTML(
        string=html, base_url=templates_dir().as_uri() + "/", url_fetcher=fetcher
    ).render(font_config=FontConfiguration(), stylesheets=[page_css(job.options.paper_size)])
    check_fetched(job, fetcher)
    return document


def check_fetched(job: FrameworkJob, fetcher: AssetFetcher) -> None:
    """Every URL the templates asked for was an asset: a refused one (an image, a font, a
    ``<link rel=attachment>`` to a file) is an error, not a hole in the PDF. URLs are cut
    in the message: a ``data:`` URI can be megabytes long. An asset found but not read (too
    big, sparse) is its own error, and a MemoryError WeasyPrint swallowed is raised again."""
    if fetcher.out_of_memory:
        raise MemoryError("reading a template asset")  # render_framework reports it
    if fetcher.failed:
        raise fetcher.failed[0]
    if fetcher.refused:
        refused = sorted({(fetcher.shown(url), fetcher.why(url)) for url in fetcher.refused})
        shown = ", ".join(f"{shorten(url, URL_SHOWN)} ({why})" for url, why in refused[:5])
        more = f" and {len(refused) - 5} more" if len(refused) > 5 else ""
        raise InputError(
            f"the report templates refer to URLs the PDF renderer does not fetch: {shown}{more}",
            file=job.options.templates,
            hint="Only files inside the templates folders (fonts, CSS, images) can be used: "
            "a relative name is looked for in your templates folder, then in the shipped one, "
            "and a file that links out of its folder is refused.",
        )


def pdf_bytes(job: FrameworkJob, document: Document, fetcher: AssetFetcher | None = None) -> bytes:
    """The PDF of a laid-out document; attachments a template links to are fetched now,
    through ``fetcher``, and a refused one is an error (see :func:`check_fetched`)."""
    variant = job.options.pdf_variant or DEFAULT_VARIANT
    options: dict[str, Any] = {
        "pdf_identifier": job.matrix["document_id"].encode(),
        "pdf_variant": WEASYPRINT_VARIANTS.get(variant, variant),
        "pdf_tags": True,
    }
    if variant != DEFAULT_VARIANT:
        options["attachments"] = attachments(job)
    with source_date(build_moment(job.matrix)):
        data = document.write_pdf(**options)
    if fetcher is not None:
        check_fetched(job, fetcher)
    return data


@contextlib.contextmanager
def source_date(moment: dt.datetime) -> Iterator[None]:
    """SOURCE_DATE_EPOCH = the build time while fonts are subset.

    fontTools stamps every font subset it saves with the current time unless
    SOURCE_DATE_EPOCH is set; the build time makes the embedded fonts, like the rest of
    the file, depend on the inputs only.
    """
    previous = os.environ.get("SOURCE_DATE_EPOCH")
    os.environ["SOURCE_DATE_EPOCH"] = str(int(moment.timestamp()))
    try:
        yield
    finally:
        if previous is None:
            del os.environ["SOURCE_DATE_EPOCH"]
        else:
            os.environ["SOURCE_DATE_EPOCH"] = previous


def build_moment(matrix: dict[str, Any]) -> dt.datetime:
    return parse_iso(matrix["generated_at"])


def attachments(job: FrameworkJob) -> list[Attachment]:
    """Inventory, config and matrix.json, embedded for chain of custody (PDF/A-3)."""
    from weasyprint import Attachment

    from reportgen.render.fetcher import AttachmentFetcher

    files: dict[str, tuple[bytes, str]] = {}
    described: list[tuple[str, str, str]] = []  # name, relationship, description
    for role, path in sorted(job.inputs.items()):
        relationship, description = ATTACHMENT_ROLES.get(role, ("Source", f"Input: {role}"))
        # As the page text shows it: a raw U+202E made 'evil\u202egpj.csv' read as
        # 'evilvsc.jpg' in a viewer's list of attachments (fifteenth adversarial pass).
        name = one_line(path.name)
        files[name] = (path.read_bytes(), bare_media_type(path.name))
        described.append((name, relationship, description))
    # The bytes the matrix format writes, whether or not the build writes that format.
    files["matrix.json"] = (dumps(job.matrix).encode("utf-8"), bare_media_type("matrix.json"))
    described.append(("matrix.json", "Data", "The computed matrix (reportgen.matrix/1)"))
    fetcher = AttachmentFetcher(files)
    moment = build_moment(job.matrix)
    return [
        Attachment(
            url=fetcher.url(name),
            url_fetcher=fetcher,
            name=name,
            description=description,
            created=moment,
            modified=moment,
            relationship=relationship,
        )
        for name, relationship, description in described
    ]
