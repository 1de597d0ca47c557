"""attach against a hostile ticket server: secrets echoed in any encoding at any position,
answers that never end, trickle a byte a second or list a billion pages, JSON of the wrong
shape. Each must end in exit 4 with a clear message, within its bounds, leaking nothing."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sys
import time
from base64 import b64encode
from pathlib import Path

import pytest
from attach_support import RECORD, attach, small_pack
from conftest import MINIMAL_CONFIG, write_config
from echoes import CONTAINERS, DUMPS_WITH_A_HEAD, ECHOES, EMAIL, MARKUP, TOKEN, leaks
from fake_tickets import FakeTickets, Fault
from hostile import FIGURES
from measured import measured
from packhelpers import run

from reportgen.pack.manifest import media_type
from reportgen.tickets.answerjson import MAX_ITEMS, MAX_VALUES
from reportgen.tickets.transfer import MAX_ANSWER_BYTES

TOO_LARGE = "the answer is JSON too large to accept "  # JSON past a bound, not "not JSON"


@pytest.fixture(scope="module")
def pack(tmp_path_factory) -> Path:
    return small_pack(tmp_path_factory)


@pytest.fixture
def config(tmp_path) -> Path:
    fast = "attach:\n  timeout: 1\n  retries: 2\n  backoff: 0.01\n  max_wait: 1\n"
    return write_config(tmp_path, MINIMAL_CONFIG + fast)


@pytest.fixture
def jira(jira_cloud, monkeypatch) -> FakeTickets:
    jira_cloud.state.creds.email, jira_cloud.state.creds.token = EMAIL, TOKEN
    monkeypatch.setenv("REPORTGEN_JIRA_EMAIL", EMAIL)
    monkeypatch.setenv("REPORTGEN_JIRA_TOKEN", TOKEN)
    return jira_cloud


# Every echo where the message is cut to a line; where the body is read only in part (64 KB),
# a few whose escapes are long, short or absent (tests/test_tickets_units.py runs them all).
READ_CAP_ECHOES = ["raw", "json-go-html-safe", "url-java-urlencoder", "html-hex-zero-padded",
                   "basic-pair-base64url-unpadded", "url-encoded-twice"]  # fmt: skip
CASES = [(echo, "at-the-cut") for echo in ECHOES] + [
    (echo, where)
    for echo in READ_CAP_ECHOES
    for where in ("across-the-read-cap", "at-the-read-cap")
]


@pytest.mark.parametrize(("echo", "where"), CASES)
def test_an_echoed_secret_is_masked_wherever_it_falls(
    pack, config, jira, capsys, caplog, echo, where
):
    """Masking runs on the server's text decoded (JSON, URL and form escapes in either case,
    HTML references of any kind, encodings of encodings; + and white space ignored), so an
    echo in a form no list foresaw is masked too; before the message is cut to 200
    characters; and where the body was read only in part (64 KB), the end, where a secret
    may have been cut in two, is dropped."""
    echoed = ECHOES[echo](TOKEN)
    # 'server said: ' shows 200 characters; an error body is read up to 64 KB.
    offset = {"at-the-cut": 0, "across-the-read-cap": len(echoed) // 2, "at-the-read-cap": 7}
    head = '{"errorMessages": ["bad credentials: '
    before = "e" * 150 if where == "at-the-cut" else " " * (64 * 1024 - len(head) - offset[where])
    body = f'{head}{before}{echoed} was refused"]}}'.encode()
    jira.inject(Fault("body", status=401, body=body))
    status, output = attach(capsys, caplog, pack, "--jira", "GRC-9", "--config", config)
    assert status == 4, output
    # Where the body was read in part, up to 7 characters before the cut are dropped too.
    assert "HTTP 401" in output and 'server said: {"errorMessages": ["bad cre' in output
    assert leaks(output, echoed) == [], f"{echo} leaked through"
    # Their text before the secret shows (a container's, an opening tag's), and may fill the line.
    if where == "at-the-cut" and echo not in {*CONTAINERS, *MARKUP, *DUMPS_WITH_A_HEAD}:
        assert "***" in output


@pytest.mark.parametrize(
    "echoed",
    [
        "pass+word%2fAb1",
        "pass+word%2FAb1",
        "pass%20word%2fAb1",
        "pass word\\/Ab1",
        "pass&#32;word&#x2f;Ab1",
        "pass\\u0020word\\u002FAb1",
    ],
)
def test_a_servicenow_password_echoed_form_encoded_is_masked(
    pack, config, servicenow, monkeypatch, capsys, caplog, echoed
):
    """ServiceNow's Basic password 'pass word/Ab1', echoed form-encoded with lower-case hex
    ('pass+word%2fAb1'), was printed as it came."""
    password = "pass word/Ab1"
    servicenow.state.creds.sn_password = password
    monkeypatch.setenv("REPORTGEN_SERVICENOW_PASSWORD", password)
    body = json.dumps({"errorMessages": [f"bad credentials: {echoed}"]}).encode()
    servicenow.inject(Fault("body", status=401, body=body))
    status, output = attach(capsys, caplog, pack, "--servicenow", RECORD, "--config", config)
    assert status == 4, output
    assert "bad credentials: ***" in output
    pieces = {echoed[i : i + 6] for i in range(len(echoed) - 5)} | {"word/Ab1", "pass wor"}
    assert not [piece for piece in pieces if piece in output], output


def test_a_token_echoed_with_markup_between_its_characters_is_masked(
    pack, config, jira, capsys, caplog
):
    """Fourth adversarial pass: a highlighting error page, '<b>S</b><b>3</b>...', was
    shown in full (the letters view kept the b of every tag)."""
    echoed = ECHOES["html-markup-between"](TOKEN)
    body = json.dumps({"errorMessages": [f"bad token {echoed}"]}).encode()
    jira.inject(Fault("body", status=401, body=body))
    status, output = attach(capsys, caplog, pack, "--jira", "GRC-9", "--config", config)
    assert status == 4, output
    assert '\n  - server said: {"errorMessages": ["bad token <b>***</b>"]}' in output
    assert "\\n" not in output  # its own line: pass 38a saw reportgen's line break escaped
    assert leaks(output, echoed) == []


# The fifth adversarial pass's echoes, as its server sent them (plain text, whole on the line).
FIFTH_PASS = {
    "css-6-digits": lambda t: "".join(f"\\{ord(c):06x}" for c in t),
    "0x-spaced": lambda t: " ".join(f"0x{b:02x}" for b in t.encode()),
    "0x-comma": lambda t: ",".join(f"0x{b:02X}" for b in t.encode()),
    "es6": lambda t: "".join(f"\\u{{{ord(c):x}}}" for c in t),
    "perl": lambda t: "".join(f"\\x{{{ord(c):x}}}" for c in t),
    "python-names-of-lower-case-letters": lambda t: "".join(
        f"\\N{{LATIN SMALL LETTER {c.upper()}}}" if c.isascii() and c.islower() else c for c in t
    ),
    "ansi-between": lambda t: "\x1b[31m" + "\x1b[0m".join(t) + "\x1b]0;pwned\x07",
    "base64-of-basic-base64": lambda t: b64encode(b64encode(f"{EMAIL}:{t}".encode())).decode(),
    "utf-16-be-hex": lambda t: t.encode("utf-16-be").hex(),
    "base64-of-utf-16-le": lambda t: b64encode(t.encode("utf-16-le")).decode(),
}


@pytest.mark.parametrize("form", FIFTH_PASS)
def test_a_token_echoed_as_numbers_names_or_between_colours_is_masked(
    pack, config, jira, capsys, caplog, form
):
    """Fifth adversarial pass: CSS escapes padded to 6 digits and C's 0x53 bytes (a FAIL),
    \\u{53}, \\x{53}, \\N{...}, colour codes between the letters, base64 of the Basic
    header's base64 and UTF-16 as hex or base64 were printed in full after 'server said:'."""
    echoed = FIFTH_PASS[form](TOKEN)
    jira.inject(Fault("body", status=401, body=f"error: bad token {echoed} end".encode()))
    status, output = attach(capsys, caplog, pack, "--jira", "GRC-9", "--config", config)
    assert status == 4, output
    shown = "\\x1b[31m***\\x1b]0;pwned\\x07" if form == "ansi-between" else "***"
    assert f"server said: error: bad token {shown} end" in output, output
    assert leaks(output, *([] if form == "ansi-between" else [echoed])) == []  # the title shows


def test_an_answer_that_never_ends_is_refused_at_its_cap(pack, config, jira, tmp_path):
    """An endless 200 answer was read whole: 3 GB, then MemoryError and exit 1."""
    jira.inject_listing(Fault("endless"))
    argv = [sys.executable, "-m", "reportgen", "attach", str(pack), "--jira", "GRC-3"]
    result = measured([*argv, "--config", str(config)], tmp_path, timeout=120)
    assert result.status == 4, result.stderr
    assert f"list attachments: the answer is larger than {MAX_ANSWER_BYTES // 2**20} MB" in (
        result.text
    )
    assert "Traceback" not in result.stderr and jira.state.names("GRC-3") == []
    assert result.rss_mb < 200 and result.seconds < 30, (result.rss_mb, result.seconds)
    FIGURES["attach: endless answer"] = f"{result.seconds:.1f} s, {result.rss_mb:.0f} MB"


@pytest.mark.parametrize("kind", ["trickle", "trickle-unsized", "slow-headers"])
def test_a_trickled_answer_fails_at_its_deadline(pack, config, jira, capsys, caplog, kind):
    """A byte a second never tripped the per-read timeout: the deadline is per request. An
    answer without Content-Length (its body ends at the connection's close) read the
    deadline's shutdown as its end: 'not JSON', not retried (fourteenth pass)."""
    body = json.dumps({"fields": {"attachment": []}, "pad": "x" * 500}).encode()
    jira.inject_listing(*[Fault(kind, stall=1.0, body=body)] * 2)
    started = time.monotonic()
    status, output = attach(capsys, caplog, pack, "--jira", "GRC-4", "--config", config)
    elapsed = time.monotonic() - started
    assert status == 4, output
    assert "list attachments: timed out (gave up after 2 attempts)" in output
    assert elapsed < 2 * 1.0 + 8, f"{elapsed:.1f} s for two attempts with a 1 s deadline"
    FIGURES[f"attach: {kind} at 1 byte/s, 2 x 1 s deadline"] = f"{elapsed:.1f} s"


def test_an_answer_that_is_not_http_is_said_so(pack, config, jira, capsys, caplog):
    """Tenth pass: it was "connection failed (RemoteProtocolError)", a class name."""
    jira.inject_listing(*[Fault("not-http")] * 2)
    status, output = attach(capsys, caplog, pack, "--jira", "GRC-5", "--config", config)
    assert status == 4, output
    said = "list attachments: the server's answer is not valid HTTP, or it closed the connection"
    assert said in output and "connection failed (RemoteProtocolError)" not in output


@pytest.mark.parametrize("system", ["jira", "servicenow"])
def test_a_listing_of_a_billion_pages_stops_at_the_page_cap(
    pack, config, server, jira, servicenow, capsys, caplog, system
):
    server.state.endless_pages = True
    target = ("--jira", "GRC-5", "--comment") if system == "jira" else ("--servicenow", RECORD)
    started = time.monotonic()
    status, output = attach(capsys, caplog, pack, *target, "--config", config)
    assert status == 4, output
    listing = "list comments" if system == "jira" else "list attachments"
    assert f"{listing}: more than 100 pages; reportgen stops there" in output
    pages = [s for s in server.state.seen if s.method == "GET"]
    assert len(pages) <= 101 + 1  # the cap, plus Jira's attachment listing
    assert time.monotonic() - started < 60


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"[]", "the answer is not what Jira Cloud sends ((top level): Input should be a valid"),
        (b'{"fields": []}', "fields: Input should be a valid dictionary"),
        (b'{"fields": {"attachment": [{"filename": 7}]}}', "filename: Input should be a valid"),
        (b'{"fields": {"attachment": {"a": 1}}}', "attachment: Input should be a valid list"),
        (b"<html>maintenance</html>", "the answer is not JSON"),
        # Valid JSON past a bound is not "not JSON" (fourth adversarial pass); a text cut
        # short after the bound is refused at the bound, before its end is read.
        (
            b'{"fields": ' + b"[" * 100 + b"]" * 100 + b"}",
            TOO_LARGE + "(nested more than 64 levels",
        ),
        (b"[" * 100_000, TOO_LARGE + "(nested more than 64 levels deep)"),
        (
            b'{"fields": {"x": [' + b"0," * MAX_ITEMS + b"0]}}",
            TOO_LARGE + f"(the list at fields.x holds more than {MAX_ITEMS:,} items)",
        ),
        (b'{"fields": "' + b"\xff" * 10 + b'"}', "the answer is not JSON (not UTF-8"),
    ],
)
def test_an_answer_of_the_wrong_shape_is_a_server_failure(
    pack, config, jira, capsys, caplog, body, message
):
    """JSON of the wrong shape was an AttributeError: exit 1, "internal error"."""
    jira.inject_listing(Fault("body", status=200, body=body))
    status, output = attach(capsys, caplog, pack, "--jira", "GRC-6", "--config", config)
    assert status == 4, output
    assert message in " ".join(output.split())
    assert "internal error" not in output and jira.state.names("GRC-6") == []


def test_a_servicenow_answer_of_the_wrong_shape_is_a_server_failure(
    pack, config, servicenow, capsys, caplog
):
    servicenow.inject_listing(Fault("body", status=200, body=b'{"result": {"file_name": 1}}'))
    status, output = attach(capsys, caplog, pack, "--servicenow", RECORD, "--config", config)
    assert status == 4, output
    assert "the answer is not what ServiceNow sends (result: Input should be a valid list" in output


# ---------------------------------------------------------------- all checked before sending


def pack_copy(pack: Path, tmp_path: Path) -> Path:
    return Path(shutil.copytree(pack, tmp_path / "pack-copy" / pack.name))


def add_file(pack: Path, path: str, data: bytes, kind: str | None = None) -> None:
    """Put a file in the pack and list it in the manifest, as a crafted pack can."""
    target = pack / os.fsencode(path).decode("utf-8", "surrogateescape")
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(data)
    manifest = json.loads((pack / "manifest.json").read_text())
    entry = {"path": path, "size": len(data), "sha256": hashlib.sha256(data).hexdigest()}
    manifest["outputs"].append({**entry, "media_type": kind or media_type(path)})
    (pack / "manifest.json").write_text(json.dumps(manifest, indent=2))


TARGETS = {"jira": ("--jira", "GRC-7"), "servicenow": ("--servicenow", RECORD)}


@pytest.mark.parametrize("system", TARGETS)
def test_a_media_type_no_header_can_carry_is_refused_before_anything_is_sent(
    pack, config, server, jira, servicenow, tmp_path, capsys, caplog, system
):
    """'text/plaïn' passed verify (the pattern's \\w was Unicode); attach then uploaded 6 of
    8 files and died with UnicodeEncodeError, exit 1, leaving a half-attached ticket."""
    copy = pack_copy(pack, tmp_path)
    manifest = json.loads((copy / "manifest.json").read_text())
    index = next(i for i, e in enumerate(manifest["outputs"]) if e["path"] == "summary.md")
    manifest["outputs"][index]["media_type"] = "text/plaïn"
    (copy / "manifest.json").write_text(json.dumps(manifest))
    status, output = attach(capsys, caplog, copy, *TARGETS[system], "--files", "--config", config)
    assert status == 2, output
    assert f"outputs[{index}].media_type: String should match pattern" in output
    assert server.state.seen == [] and "internal error" not in output
    verify = run("verify", copy, check=2, pdf=False)
    assert f"outputs[{index}].media_type" in verify.stderr


@pytest.mark.parametrize(
    ("path", "problem"),
    [
        # A control character: the manifest's schema refuses it first (tenth pass).
        ("notes/readme.t\x1bxt", "holds a control character or a byte not UTF-8"),
        ("notes/readme.t\u202ext", "holds characters a ticket system rewrites (U+202E)"),
        ('notes/readme.t"xt', "holds characters a ticket system rewrites (U+0022)"),
        ("notes/readme." + "é" * 120, "cannot be attached: its name is 270 bytes long in UTF-8"),
        # Not even a valid string: the manifest's schema refuses it first.
        ("notes/readme.\udc80", "outputs[16].path: Input should be a valid string"),
    ],
)
def test_a_name_that_cannot_reach_the_ticket_unchanged_is_refused_before_sending(
    pack, config, server, jira, tmp_path, capsys, caplog, path, problem
):
    """Every file's name, media type and size are checked before the first request: the
    listed file comes after others, and nothing at all is sent."""
    copy = pack_copy(pack, tmp_path)
    add_file(copy, path, b"notes\n")
    status, output = attach(capsys, caplog, copy, "--jira", "GRC-8", "--files", "--config", config)
    assert status == 2, output
    assert problem in " ".join(output.split())
    assert ("readme." in output or "outputs[16]" in output) and "\x1b" not in output
    assert server.state.seen == [] and "internal error" not in output


@pytest.mark.parametrize("system", TARGETS)
def test_a_non_ascii_file_name_is_attached_as_it_is_and_found_again(
    pack, config, server, jira, servicenow, tmp_path, capsys, caplog, system
):
    """Jira gets the name as UTF-8 in the multipart filename (RFC 7578), ServiceNow as a
    percent-encoded query parameter; each lists it back the same, so a re-run skips it."""
    copy = pack_copy(pack, tmp_path)
    add_file(copy, "notes/lisez-moi.tëxt", "données\n".encode())
    args = (*TARGETS[system], "--files", "--config", config)
    status, output = attach(capsys, caplog, copy, *args)
    assert status == 0, output
    ticket = "GRC-7" if system == "jira" else RECORD
    stored = {a["filename"]: a for a in server.state.attachments[ticket]}
    (name,) = [n for n in stored if n.endswith(".tëxt")]
    assert name.startswith("test-co-notes-lisez-moi.")
    assert stored[name]["data"] == "données\n".encode()
    assert stored[name]["content_type"] == "application/octet-stream"
    count = len(stored)
    status, output = attach(capsys, caplog, copy, *args)
    assert status == 0, output
    assert f"already attached: {name}" in output and len(server.state.attachments[ticket]) == count


@pytest.mark.parametrize(
    ("variable", "value", "problem"),
    [
        ("REPORTGEN_JIRA_PAT", "pät-2b8e6d4f0a", "$REPORTGEN_JIRA_PAT: a token is printable ASCII"),
        ("REPORTGEN_JIRA_PAT", "pat 2b8e6d4f0a", "$REPORTGEN_JIRA_PAT: a token is printable ASCII"),
        ("REPORTGEN_JIRA_PAT", "pat\n2b8e6d4f", "$REPORTGEN_JIRA_PAT: a token is printable ASCII"),
        ("REPORTGEN_JIRA_EMAIL", "a:b@example.com", "no ':' in the user"),
    ],
)
def test_a_credential_no_header_can_carry_is_refused_before_sending(
    pack, config, server, jira, monkeypatch, capsys, caplog, variable, value, problem
):
    if variable == "REPORTGEN_JIRA_PAT":
        monkeypatch.delenv("REPORTGEN_JIRA_EMAIL")
        monkeypatch.delenv("REPORTGEN_JIRA_TOKEN")
    monkeypatch.setenv(variable, value)
    status, output = attach(capsys, caplog, pack, "--jira", "GRC-8", "--config", config)
    assert status == 2, output
    assert problem in output and server.state.seen == []
    assert value not in output
    # a Data Center token refused was reported as "Jira Cloud is not configured" (pass 14)
    system = "Jira Data Center" if variable == "REPORTGEN_JIRA_PAT" else "Jira Cloud"
    assert f"{system} is not configured" in output


# ---------------------------------------------------------------- server text in messages


@pytest.mark.parametrize(
    ("system", "body", "where"),
    [
        ("jira", {"fields": {"attachment": [{"id": TOKEN, "filename": 5}]}},
         "fields.attachment[0].filename: Input should be a valid string"),
        ("jira", {"fields": {"attachment": [{"filename": "a"}, {"id": TOKEN, "filename": [1]}]}},
         "fields.attachment[1].filename: Input should be a valid string"),
        ("servicenow", {"result": [{"id": TOKEN, "file_name": [1]}]},
         "result[0].file_name: Input should be a valid string"),
        ("jira", {"fields": {"attachment": [], TOKEN: [0] * (MAX_ITEMS + 1)}},
         f"the list at fields.*** holds more than {MAX_ITEMS:,} items"),
    ],
)  # fmt: skip
def test_an_answer_naming_a_secret_is_masked_in_the_message(
    pack, config, server, jira, servicenow, monkeypatch, capsys, caplog, system, body, where
):
    """A list item was named by its 'id', so a server answering with the token as an id put
    it into the exit-4 message, which was never masked. Items of a server's answer are now
    named by index, and every error of an attach run is masked on its way out."""
    server.state.creds.sn_password = TOKEN
    monkeypatch.setenv("REPORTGEN_SERVICENOW_PASSWORD", TOKEN)
    server.inject_listing(Fault("body", status=200, body=json.dumps(body).encode()))
    status, output = attach(capsys, caplog, pack, *TARGETS[system], "--config", config)
    assert status == 4, output
    assert where in " ".join(output.split())
    assert leaks(output) == [] and "internal error" not in output


# ---------------------------------------------------------------- memory of a parsed answer


@pytest.mark.parametrize(
    ("shape", "message"),
    [
        ("5.5 M empty objects", f"the list at fields.attachment holds more than {MAX_ITEMS:,}"),
        ("lists of 10,000 numbers", f"more than {MAX_VALUES:,} values (at x["),
    ],
)
def test_a_16_mb_answer_of_tiny_values_is_refused_before_it_is_built(
    pack, config, jira, tmp_path, shape, message
):
    """A 16 MB answer under the byte cap, made of 5.5 million '{}', took 3.23 GB (json.loads,
    then a model for each). Its events are now counted first: refused at the first bound,
    in bounded memory (the process runs under RLIMIT_AS; its peak RSS is checked)."""
    if shape.startswith("5.5 M"):
        body = b'{"fields": {"attachment": [' + b"{}," * 5_500_000 + b"{}]}}"
    else:
        row = b"[" + b"0," * (MAX_ITEMS - 1) + b"0]"
        body = b'{"fields": {"attachment": []}, "x": [' + b",".join([row] * 800) + b"]}"
    assert 15 * 2**20 < len(body) <= MAX_ANSWER_BYTES
    jira.inject_listing(Fault("body", status=200, body=body))
    argv = [sys.executable, "-m", "reportgen", "attach", str(pack), "--jira", "GRC-3"]
    result = measured([*argv, "--config", str(config)], tmp_path, timeout=120)
    assert result.status == 4, result.stderr
    assert f"list attachments: {TOO_LARGE}({message}" in result.text
    assert "Traceback" not in result.stderr and jira.uploads() == []
    assert result.rss_mb < 200, result.rss_mb
    FIGURES[f"attach: 16 MB answer of {shape}"] = f"{result.seconds:.1f} s, {result.rss_mb:.0f} MB"


@pytest.mark.parametrize("system", ["jira", "servicenow"])
def test_a_listing_stops_at_its_whole_deadline(
    pack, config, server, jira, servicenow, capsys, caplog, monkeypatch, system
):
    """Pass 37c: pages each as slow as a request may be kept attach listing for 100 times
    the timeout (about 100 minutes with the defaults); a listing has a deadline of its own."""
    from reportgen.tickets import answers

    monkeypatch.setattr(answers, "LISTING_SECONDS", 0.0)  # past it once the first page came
    server.state.endless_pages = True
    target = ("--jira", "GRC-5", "--comment") if system == "jira" else ("--servicenow", RECORD)
    status, output = attach(capsys, caplog, pack, *target, "--config", config)
    assert status == 4, output
    listing = "list comments" if system == "jira" else "list attachments"
    assert f"{listing}: still listing after 0 s (1 page read); reportgen stops there" in output
