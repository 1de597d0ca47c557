"""attach against a hostile ticket server: secrets echoed in any encoding at any position,
answers that never end, trickle a byte a second or list a billion pages, JSON of the wrong
shape. Each must end in exit 4 with a clear message, within its bounds, leaking nothing."""

from __future__ import annotations

import base64
import html
import json
import re
import sys
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote, quote_plus

import pytest
from attach_support import RECORD, attach
from conftest import MINIMAL_CONFIG, write_config, write_csv
from fake_tickets import FakeTickets, Fault
from hostile import FIGURES
from measured import measured
from packhelpers import build

from reportgen.tickets.transfer import MAX_ANSWER_BYTES

# A token with every character that some encoding changes: '/', '+', '=' and non-ASCII.
TOKEN = "jira/T0KEN+s3cr=t/é-7f3a9c1e5d"
EMAIL = "auditor@example.com"
BASIC = base64.b64encode(f"{EMAIL}:{TOKEN}".encode()).decode()


def _lower(match: re.Match) -> str:
    return match.group(0).lower()


def _json_slashes(text: str) -> str:
    return json.dumps(text)[1:-1].replace("/", "\\/")


ENCODINGS: dict[str, Callable[[str], str]] = {
    "raw": lambda t: t,
    "json-escaped-slashes": _json_slashes,
    "json-unicode-escapes": lambda t: json.dumps(t)[1:-1],
    "url-encoded": lambda t: quote(t, safe=""),
    "url-encoded-lower-hex": lambda t: re.sub("%[0-9A-F]{2}", _lower, quote(t, safe="")),
    "form-encoded": quote_plus,
    "html-escaped": html.escape,
    "basic-pair-base64": lambda _t: BASIC,
    "basic-pair-base64-json": lambda _t: _json_slashes(BASIC),
    "basic-pair-base64url-unpadded": lambda _t: (
        base64.urlsafe_b64encode(f"{EMAIL}:{TOKEN}".encode()).decode().rstrip("=")
    ),
}


def leaks(output: str) -> list[str]:
    """Every 8-character piece of any encoding of the secrets that appears in the output."""
    forms = {encode(TOKEN) for encode in ENCODINGS.values()} | {TOKEN}
    return sorted(
        {form[i : i + 8] for form in forms for i in range(len(form) - 7)} & _pieces(output)
    )


def _pieces(output: str) -> set[str]:
    return {output[i : i + 8] for i in range(len(output) - 7)}


@pytest.fixture(scope="module")
def pack(tmp_path_factory) -> Path:
    project = tmp_path_factory.mktemp("project")
    write_csv(project / "inventory.csv", [["Service", "Resource ID"], ["EC2", "i-1"]])
    write_config(project, MINIMAL_CONFIG)
    return build(project, tmp_path_factory.mktemp("out") / "test-co", pdf=False)


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


@pytest.mark.parametrize("encoding", ENCODINGS)
@pytest.mark.parametrize("where", ["at-the-cut", "at-the-read-cap"])
def test_an_echoed_secret_is_masked_wherever_it_falls(
    pack, config, jira, capsys, caplog, encoding, where
):
    """The error body was cut to 200 characters before masking: a token across the cut was
    printed all but whole. Now masking comes first, in every encoding, and where the body
    is read only in part (64 KB), the part of a secret the cut may have split is dropped."""
    echoed = ENCODINGS[encoding](TOKEN)
    # 'server said: ' shows 200 characters; an error body is read up to 64 KB.
    before = "e" * 170 if where == "at-the-cut" else " " * (64 * 1024 - 27)
    body = f'{{"errorMessages": ["{before}{echoed} was refused"]}}'.encode()
    jira.inject(Fault("body", status=400, body=body))
    status, output = attach(capsys, caplog, pack, "--jira", "GRC-9", "--config", config)
    assert status == 4, output
    assert "HTTP 400" in output and "server said:" in output
    assert leaks(output) == [], f"{encoding} leaked through"


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


@pytest.mark.parametrize("kind", ["trickle", "slow-headers"])
def test_a_trickled_answer_fails_at_its_deadline(pack, config, jira, capsys, caplog, kind):
    """A byte a second never tripped the per-read timeout: the deadline is per request."""
    body = json.dumps({"fields": {"attachment": []}, "pad": "x" * 500}).encode()
    jira.inject_listing(*[Fault(kind, stall=1.0, body=body)] * 2)
    started = time.monotonic()
    status, output = attach(capsys, caplog, pack, "--jira", "GRC-4", "--config", config)
    elapsed = time.monotonic() - started
    assert status == 4, output
    assert "list attachments: timed out (gave up after 2 attempts)" in output
    assert elapsed < 2 * 1.0 + 8, f"{elapsed:.1f} s for two attempts with a 1 s deadline"
    FIGURES[f"attach: {kind} at 1 byte/s, 2 x 1 s deadline"] = f"{elapsed:.1f} s"


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
        (b"[" * 100_000, "the answer is not JSON (nested more than 64 levels deep)"),
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
