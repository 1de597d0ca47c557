"""The pieces of attach on their own: backoff, Retry-After, masking, names, comment markup,
and TLS verification against a server with a private CA."""

from __future__ import annotations

import datetime as dt
import shutil
import ssl
import subprocess
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest

from reportgen.errors import InputError
from reportgen.tickets.client import Http, Redactor, Secret, TicketError, Transport, make_client
from reportgen.tickets.markup import to_adf, to_wiki
from reportgen.tickets.retry import RetriesExhausted, RetryPolicy, parse_retry_after, with_retries
from reportgen.tickets.settings import transport
from reportgen.tickets.upload import upload_name

NOW = dt.datetime(2026, 3, 1, 12, 0, 0, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ("7", 7.0),
        (" 0 ", 0.0),
        ("Sun, 01 Mar 2026 12:00:30 GMT", 30.0),
        ("Sun, 01 Mar 2026 11:00:00 GMT", 0.0),  # in the past: go now
        ("soon", None),
        ("-3", None),
        (None, None),
    ],
)
def test_retry_after_seconds_or_http_date(value, seconds):
    assert parse_retry_after(value, now=NOW) == seconds


def test_backoff_doubles_with_jitter_and_is_capped():
    low = RetryPolicy(backoff=1.0, max_wait=10.0, jitter=lambda: 0.0)
    high = RetryPolicy(backoff=1.0, max_wait=10.0, jitter=lambda: 1.0)
    assert [low.wait(n, None) for n in (1, 2, 3, 4)] == [0.5, 1.0, 2.0, 4.0]
    assert [high.wait(n, None) for n in (1, 2, 3, 4, 5)] == [1.0, 2.0, 4.0, 8.0, 10.0]
    assert low.wait(1, 6.0) == 6.0  # Retry-After wins over a shorter backoff
    assert low.wait(1, 3600.0) == 10.0  # but never past max_wait


def _responses(*statuses: int | Exception):
    queue = list(statuses)

    def send() -> httpx.Response:
        item = queue.pop(0)
        if isinstance(item, Exception):
            raise item
        return httpx.Response(item, headers={"Retry-After": "2"} if item == 429 else {})

    return send


def test_with_retries_sleeps_between_attempts_and_stops_when_done():
    waits: list[float] = []
    policy = RetryPolicy(attempts=5, backoff=0.1, sleep=waits.append, jitter=lambda: 0.0)
    timeout = httpx.ReadTimeout("timed out")
    response = with_retries(_responses(429, 503, timeout, 201), policy, "upload x")
    assert response is not None and response.status_code == 201
    assert waits == [2.0, 0.1, 0.2]  # Retry-After 2, then backoff 0.1 * 2**n / 2
    checks = iter([False, True])
    done = with_retries(_responses(503, 503, 201), policy, "upload", lambda: next(checks))
    assert done is None  # the second re-list found the file: nothing more is sent


def test_with_retries_gives_up():
    policy = RetryPolicy(attempts=3, sleep=lambda _s: None)
    with pytest.raises(RetriesExhausted, match=r"upload x: HTTP 502 \(gave up after 3 attempts\)"):
        with_retries(_responses(502, 502, 502), policy, "upload x")
    assert with_retries(_responses(404), policy, "x").status_code == 404  # not retried


def test_secrets_are_masked_in_reprs_and_text():
    secret = Secret("s3cr3t-value")
    assert "s3cr3t" not in repr(secret) and "s3cr3t" not in f"{secret}"
    redact = Redactor.for_auth("me@example.com", secret.reveal())
    basic = "bWVAZXhhbXBsZS5jb206czNjcjN0LXZhbHVl"  # base64("me@example.com:s3cr3t-value")
    assert redact(f"Authorization: Basic {basic} token=s3cr3t-value") == (
        "Authorization: Basic *** token=***"
    )


def test_transport_errors_never_show_the_exception_text():
    def send(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("failed for https://user:hunter2@example.com")

    client = httpx.Client(transport=httpx.MockTransport(send), base_url="https://example.com")
    http = Http(client, RetryPolicy(attempts=2, sleep=lambda _s: None), Redactor([]), "Jira")
    with pytest.raises(TicketError) as caught:
        http.call("GET", "/x", "list attachments")
    assert (
        str(caught.value) == "Jira: list attachments: could not connect (gave up after 2 attempts)"
    )
    assert caught.value.exit_code == 4


@pytest.mark.parametrize(
    ("path", "name"),
    [
        ("pci-dss/matrix.json", "acme-pci-dss-matrix.0123abcd.json"),
        ("pci-dss/acme-pci-dss-raci.xlsx", "acme-pci-dss-raci.0123abcd.xlsx"),
        ("summary.md", "acme-summary.0123abcd.md"),
        ("iso-27001/Acme Report.PDF", "acme-iso-27001-acme-report.0123abcd.pdf"),
    ],
)
def test_upload_names_carry_the_content_hash(path, name):
    assert upload_name("acme", path, "0123abcd" + "e" * 56) == name


SUMMARY = r"""# Audit pack: \*Evil\* \| \<b\>x\</b\>

Generated 2026-01-01T00:00:00Z by reportgen 0.1.0.

- Services added: AWS Lambda (lambda)

| File | Bytes | SHA-256 |
| --- | ---: | --- |
| `pci-dss/matrix.json` | 1,234 | `abc` |
| a \| b | 2 | `d` |
"""


def test_adf_keeps_untrusted_text_as_text():
    doc = to_adf(SUMMARY)
    heading, _paragraph, bullets, table = doc["content"]
    assert heading == {
        "type": "heading",
        "attrs": {"level": 1},
        "content": [{"type": "text", "text": "Audit pack: *Evil* | <b>x</b>"}],
    }
    assert bullets["type"] == "bulletList"
    header, first, second = table["content"]
    assert [c["type"] for c in header["content"]] == ["tableHeader"] * 3
    code = first["content"][0]["content"][0]["content"][0]
    assert code == {"type": "text", "text": "pci-dss/matrix.json", "marks": [{"type": "code"}]}
    assert second["content"][0]["content"][0]["content"][0]["text"] == "a | b"  # one cell


def test_wiki_text_escapes_markup():
    wiki = to_wiki(SUMMARY)
    assert wiki.startswith(r"h1. Audit pack: \*Evil\* \| <b>x</b>" + "\n")
    assert "||File||Bytes||SHA\\-256||" in wiki
    assert "|{{pci-dss/matrix.json}}|1,234|{{abc}}|" in wiki
    assert "|a \\| b|2|{{d}}|" in wiki


def test_ca_bundle_option_env_and_config(tmp_path, monkeypatch):
    from reportgen.config import AttachConfig

    monkeypatch.delenv("REPORTGEN_CA_BUNDLE", raising=False)
    pem = tmp_path / "ca.pem"
    pem.write_text("x")
    assert transport(AttachConfig(), None, pem).ca_bundle == pem
    monkeypatch.setenv("REPORTGEN_CA_BUNDLE", str(pem))
    assert transport(AttachConfig(), None, None).ca_bundle == pem
    monkeypatch.delenv("REPORTGEN_CA_BUNDLE")
    configured = AttachConfig(ca_bundle="ca.pem", retries=2, backoff=0.5)
    settings = transport(configured, tmp_path, None)
    assert settings.ca_bundle == pem and settings.retry.attempts == 2
    with pytest.raises(InputError, match="CA bundle file not found"):
        transport(AttachConfig(), None, tmp_path / "missing.pem")


# ------------------------------------------------------------------------------ TLS


@pytest.fixture(scope="module")
def tls_server(tmp_path_factory):
    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed: cannot make a test certificate")
    folder = tmp_path_factory.mktemp("tls")
    key, cert = folder / "key.pem", folder / "cert.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
         "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
         "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )  # fmt: skip

    class Ok(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"{}")

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Ok)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"https://127.0.0.1:{server.server_address[1]}", cert
    server.shutdown()


def _get(url: str, ca_bundle: Path | None) -> httpx.Response | None:
    settings = Transport(ca_bundle=ca_bundle, timeout=5, retry=RetryPolicy(attempts=1))
    client = make_client(url, httpx.BasicAuth("u", "p"), settings)
    return Http(client, settings.retry, Redactor([]), "Jira").call("GET", "/", "probe")


def test_tls_is_verified_and_a_private_ca_can_be_trusted(tls_server):
    url, cert = tls_server
    with pytest.raises(TicketError, match=r"TLS certificate not trusted .*--ca-bundle"):
        _get(url, None)
    response = _get(url, cert)
    assert response is not None and response.status_code == 200


def test_a_long_change_list_gives_way_to_a_pointer_in_the_comment():
    from reportgen.tickets.attach import fit_comment

    rows = "\n".join(f"| `1.{n}` | Shared | AWS | why |" for n in range(500))
    summary = f"# Pack\n\n## Changes since the previous pack (x)\n\n{rows}\n\n## Files\n\nlist\n"
    fitted = fit_comment(summary, limit=2000)
    assert len(fitted) < 2000
    assert "## Changes since the previous pack (x)\n\nToo long for a comment" in fitted
    assert fitted.endswith("## Files\n\nlist\n")
    assert fit_comment("# short\n", limit=2000) == "# short\n"
