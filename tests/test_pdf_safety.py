"""A hostile, customised, archival PDF: markup in the inputs stays text, nothing is fetched
but template assets, a user template extends the shipped one, PDF/A-3u carries the inputs.

One small build (soc2, a handful of services) serves every test here to keep the suite fast.
"""

from __future__ import annotations

import re
import socket
import struct
import zlib
from typing import ClassVar

import pytest
from conftest import write_config, write_csv
from pypdf import PdfReader

from reportgen.core.errors import InputError
from reportgen.core.resources import templates_dir
from reportgen.core.terminal import visible
from reportgen.inputs import RunOptions
from reportgen.pipeline import BuildOptions, build, prepare, render_options
from reportgen.render import FrameworkJob, RenderOptions, fetcher
from reportgen.render.pdf import render_pdf
from reportgen.render.templating import render_template

UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")  # C0 but tab and newline, DEL, C1
PASSWD = '<img src="file:///etc/passwd">'
BELL_AND_RED = "\x07bell \x1b[31mRED\x1b[0m"  # an environment, listed on the cover
TITLE_SEQUENCE = "\x1b]0;pwned\x07S3"  # an unresolved service, listed in the appendix


def tiny_png() -> bytes:
    """A 4x4 navy PNG, made here so the test needs no image library."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    rows = b"".join(b"\x00" + b"\x14\x21\x3d" * 4 for _ in range(4))
    header = struct.pack(">IIBBBBB", 4, 4, 8, 2, 0, 0, 0)
    body = chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")
    return b"\x89PNG\r\n\x1a\n" + body


class Recorder(fetcher.AssetFetcher):
    """The real fetcher, remembering every URL WeasyPrint asked for."""

    asked: ClassVar[list[str]] = []

    def fetch(self, url, headers=None):
        Recorder.asked.append(url)
        return super().fetch(url, headers)


@pytest.fixture(scope="module")
def listener():
    """A TCP port on loopback that must never see a connection."""
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.bind(("127.0.0.1", 0))
    server.listen(5)
    server.setblocking(False)
    yield server
    server.close()


@pytest.fixture(scope="module")
def hostile(tmp_path_factory, listener):
    """Build a pack whose customer name, classification and inventory carry markup."""
    port = listener.getsockname()[1]
    project = tmp_path_factory.mktemp("hostile")
    link = f'<link rel="stylesheet" href="http://127.0.0.1:{port}/x.css">'
    write_csv(
        project / "inventory.csv",
        [
            ["Service", "Resource ID", "Account", "Region", "Environment", "Owner", "Scope"],
            ["Amazon S3", "bucket-1", "111122223333", "eu-west-1", link, "Data <b>team</b>", "all"],
            ["Amazon EC2", "i-001", "111122223333", "eu-west-1", "production", "Ops", "all"],
            [PASSWD, "r-3", "111122223333", "eu-west-1", "production", "Ops", "all"],
            [f'<img src="http://127.0.0.1:{port}/u.png">', "r-4", "", "", "", "", "all"],
            ["Amazon EC2", "i-002", "111122223333", "eu-west-1", BELL_AND_RED, "Ops", "all"],
            [TITLE_SEQUENCE, "r-5", "111122223333", "eu-west-1", "production", "Ops", "all"],
        ],
    )
    templates = project / "my-templates"
    templates.mkdir()
    (templates / "logo.png").write_bytes(tiny_png())
    (templates / "report.html").write_text(
        '{% extends "default:report.html" %}\n'
        '{% block cover_logo %}<img src="logo.png" alt="ACME" style="height: 12mm">'
        "<p>Prepared for the ACME audit</p>{% endblock %}\n",
        encoding="utf-8",
    )
    config = write_config(
        project,
        f"""\
customer:
  name: 'ACME <b>Bold</b> & Co <img src="http://127.0.0.1:{port}/c.png">'
  short_name: acme
frameworks: [soc2]
inventory:
  path: inventory.csv
output:
  classification: '<i>Secret</i>'
  templates: my-templates
  pdf_variant: pdf/a-3u
""",
    )
    Recorder.asked = []
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SOURCE_DATE_EPOCH", "1764547200")
        patch.setattr("reportgen.render.fetcher.AssetFetcher", Recorder)
        first = build(BuildOptions(run=RunOptions(config=config), out=project / "out1"))
        asked = list(Recorder.asked)
        build(BuildOptions(run=RunOptions(config=config), out=project / "out2"))
    pdf = first.out_dir / "soc2" / "acme-soc2-responsibility-matrix.pdf"
    reader = PdfReader(pdf)
    text = "\n".join(page.extract_text() for page in reader.pages)
    return {"project": project, "pdf": pdf, "reader": reader, "text": text, "asked": asked}


def squash(text: str) -> str:
    return "".join(text.split())


def test_markup_in_inputs_is_printed_as_text(hostile):
    text = squash(hostile["text"])
    assert squash(PASSWD) in text  # the unresolved row in appendix A
    assert squash("ACME <b>Bold</b> & Co") in text
    assert squash("<i>Secret</i>") in text
    assert squash('<link rel="stylesheet"') in text  # the environment on the cover


def test_control_characters_in_inputs_are_printed_as_their_escape(hostile):
    # thirteenth pass: BEL and ESC from inventory cells were carried into the PDF's text
    text = squash(hostile["text"])
    assert not UNSAFE.search(hostile["text"]), repr(UNSAFE.findall(hostile["text"])[:5])
    assert squash(visible(BELL_AND_RED)) in text
    assert squash(visible(TITLE_SEQUENCE)) in text
    assert squash("\\x07bell \\x1b[31mRED\\x1b[0m") in text


def test_nothing_is_fetched_but_template_assets(hostile, listener):
    with pytest.raises(BlockingIOError):
        listener.accept()  # no connection ever reached the port
    asked = hostile["asked"]
    assert any(url.endswith("/assets/report.css") for url in asked)
    assert any(url.endswith("/logo.png") for url in asked)
    roots = (templates_dir().resolve().as_uri(), (hostile["project"] / "my-templates").as_uri())
    for url in asked:
        assert url.startswith(roots), url
    assert not [url for url in asked if "passwd" in url or "127.0.0.1" in url]


def test_user_template_extends_the_shipped_one(hostile):
    reader = hostile["reader"]
    assert "Prepared for the ACME audit" in reader.pages[0].extract_text()
    assert len(reader.pages[0].images) == 1  # the logo
    assert "Contents" in reader.pages[1].extract_text()  # the rest is the shipped report


def test_pdf_a_3u_attaches_inventory_config_and_matrix(hostile):
    reader = hostile["reader"]
    attachments = reader.attachments
    assert set(attachments) == {"inventory.csv", "reportgen.yaml", "matrix.json"}
    project = hostile["project"]
    assert attachments["inventory.csv"][0] == (project / "inventory.csv").read_bytes()
    assert attachments["reportgen.yaml"][0] == (project / "reportgen.yaml").read_bytes()
    pack_matrix = hostile["pdf"].parent / "matrix.json"
    assert attachments["matrix.json"][0] == pack_matrix.read_bytes()
    xmp = reader.trailer["/Root"]["/Metadata"].get_object().get_data()
    assert b'pdfaid:part="3"' in xmp and b'pdfaid:conformance="U"' in xmp
    assert b"2025-12-01T00:00:00" in xmp


def test_archival_pdf_is_reproducible_too(hostile):
    other = hostile["project"] / "out2" / "soc2" / "acme-soc2-responsibility-matrix.pdf"
    assert other.read_bytes() == hostile["pdf"].read_bytes()


# --------------------------------------------------------------------------- the fetcher


@pytest.fixture
def roots(tmp_path):
    user = tmp_path / "user"
    (user / "assets").mkdir(parents=True)
    (user / "assets" / "report.css").write_text("body { color: red }")
    (user / "secret.txt").write_text("no")
    (user / "escape.css").symlink_to("/etc/passwd")
    return user, templates_dir().resolve()


def test_fetcher_serves_assets_user_folder_first(roots):
    user, shipped = roots
    fetch = fetcher.AssetFetcher([user, shipped])
    css = fetch.fetch((shipped / "assets" / "report.css").as_uri())
    assert css.read() == b"body { color: red }"  # the user's copy replaces the shipped one
    font = fetch.fetch((shipped / "assets" / "fonts" / "DejaVuSansMono.ttf").as_uri())
    assert font.content_type == "font/ttf"


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:9/x.css",
        "https://example.com/logo.png",
        "data:text/css,body{}",
        "file:///etc/passwd",
        "file:///etc/ssl/certs/x.png",
        "ftp://example.com/x.png",
    ],
)
def test_fetcher_refuses_everything_else(roots, url):
    fetch = fetcher.AssetFetcher(roots)
    with pytest.raises(fetcher.RefusedURL):
        fetch.fetch(url)
    assert fetch.refused == [url]


def test_fetcher_refuses_escapes_and_unknown_types(roots):
    user, shipped = roots
    fetch = fetcher.AssetFetcher([user, shipped])
    for url in (
        (shipped / "assets" / ".." / ".." / ".." / "etc" / "passwd.css").as_uri(),
        (user / "escape.css").as_uri(),  # a symlink out of the folder
        (user / "secret.txt").as_uri(),  # inside, but not an asset type
        (shipped / "report.html").as_uri(),
    ):
        with pytest.raises(fetcher.RefusedURL):
            fetch.fetch(url)


def test_a_template_that_links_outside_is_an_input_error(tmp_path):
    job = FrameworkJob("x", {}, tmp_path, "x", None, RenderOptions(templates=tmp_path))
    with pytest.raises(InputError, match=re.escape("does not fetch: http://127.0.0.1:9/x.png")):
        render_pdf(job, '<p>hi</p><img src="http://127.0.0.1:9/x.png">')


def test_user_template_errors_name_the_file_and_line(tmp_path):
    (tmp_path / "report.html").write_text('{% extends "default:report.html" %}\n{% block x %}\n')
    with pytest.raises(InputError) as info:
        render_template({}, tmp_path)
    assert "report.html" in str(info.value) and ":2" in str(info.value)


def test_autoescape_is_on_for_every_template(tmp_path):
    (tmp_path / "report.html").write_text("{{ customer.name }}")
    html = render_template({"customer": {"name": PASSWD}}, tmp_path)
    assert html == "&lt;img src=&#34;file:///etc/passwd&#34;&gt;"


# --------------------------------------------------------------------------- options


def test_a_missing_templates_folder_stops_the_build_before_rendering(project):
    config = project / "reportgen.yaml"
    config.write_text(config.read_text() + "output:\n  templates: nowhere\n")
    with pytest.raises(InputError, match="templates folder") as info:
        build(BuildOptions(run=RunOptions(config=config), out=project / "out"))
    assert str(project / "nowhere") in str(info.value)
    assert not (project / "out").exists()


def test_command_line_render_options_win_over_the_config(project):
    config = project / "reportgen.yaml"
    (project / "mine").mkdir()
    config.write_text(config.read_text() + "output:\n  templates: mine\n  pdf_variant: pdf/a-3u\n")
    inputs, _ = prepare(RunOptions(config=config, frameworks=("soc2",)))
    from_config = render_options(BuildOptions(run=RunOptions(config=config)), inputs)
    assert from_config == RenderOptions(templates=project / "mine", pdf_variant="pdf/a-3u")
    given = RenderOptions(templates=project, pdf_variant="default")
    chosen = render_options(BuildOptions(run=RunOptions(config=config), render=given), inputs)
    assert chosen == given


def test_a_memory_error_reading_an_asset_is_raised_not_swallowed(tmp_path, monkeypatch):
    """WeasyPrint catches what a fetcher raises and draws a hole: a MemoryError reading an
    asset (adversarial 4a #48, under a memory limit) gave a PDF without the image, exit 0.
    The fetcher records it and the renderer raises it again (render_framework reports it)."""

    def out_of_memory(path, what):
        raise MemoryError

    monkeypatch.setattr(fetcher, "read_asset", out_of_memory)
    job = FrameworkJob("x", {}, tmp_path, "x", None, RenderOptions(templates=tmp_path))
    with pytest.raises(MemoryError):
        render_pdf(job, '<link rel="stylesheet" href="assets/report.css"><p>hi</p>')


def test_an_attachment_name_holding_a_bidi_override_is_shown_escaped(tmp_path):
    """Fifteenth pass: an inventory named 'evil\\u202egpj.csv' was embedded under that raw
    name, which a viewer's list of attachments shows as 'evilvsc.jpg'."""
    name = "evil\u202egpj.csv"
    write_csv(tmp_path / name, [["Service"], ["S3"]])
    config = write_config(
        tmp_path,
        f"customer: {{name: Acme}}\nframeworks: [soc2]\ninventory: {{path: '{name}'}}\n"
        "output: {pdf_variant: pdf/a-3u, formats: [pdf]}\n",
    )
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SOURCE_DATE_EPOCH", "1764547200")
        result = build(BuildOptions(run=RunOptions(config=config), out=tmp_path / "out"))
    [pdf] = (result.out_dir / "soc2").glob("*.pdf")
    names = set(PdfReader(pdf).attachments)
    assert "evil\\u202egpj.csv" in names and not any("\u202e" in n for n in names)


def test_an_unresolved_value_is_cut_in_the_appendix():
    """Sixteenth pass: ten unresolved values of 16,000 emoji each (one unbroken word each)
    held the PDF's line breaker for more than 400 s; the appendix shows 200 characters."""
    from reportgen.render.pdf_context import UNRESOLVED_VALUE_CHARS, unresolved

    item = {"sheet": "Inventory", "column": "Service", "reason": "unknown service",
            "suggestions": [], "row": 2, "value": "\U0001f600" * 16_000}  # fmt: skip
    [group] = unresolved([item])["groups"]
    assert len(group["value"]) == UNRESOLVED_VALUE_CHARS == 200
    assert group["value"].endswith("…")
