"""The pieces of attach on their own: backoff, Retry-After, masking, names, comment markup,
and TLS verification against a server with a private CA."""

from __future__ import annotations

import base64
import datetime as dt
import json
import logging
import os
import re
import ssl
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest
from attach_support import self_signed
from echoes import ECHOES, EMAIL, TOKEN, leaks
from hang_guard import within
from hostile import examples
from hypothesis import given, settings
from hypothesis import strategies as st

from reportgen.core.errors import InputError
from reportgen.core.jsonlimits import JsonOverBound, JsonRefused
from reportgen.core.redact import masked_errors
from reportgen.core.validation import key_path
from reportgen.tickets import answerjson
from reportgen.tickets.answerjson import MAX_ITEMS, MAX_VALUES
from reportgen.tickets.client import Http, Redactor, Secret, TicketError, Transport, make_client
from reportgen.tickets.markup import to_adf, to_wiki
from reportgen.tickets.preflight import name_problem, upload_problem
from reportgen.tickets.retry import (
    RetriesExhausted,
    RetryPolicy,
    describe,
    parse_retry_after,
    with_retries,
)
from reportgen.tickets.settings import transport
from reportgen.tickets.upload import Upload, upload_name

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
        ("²", None),  # a digit to str.isdigit, not to float (third adversarial pass)
        ("١٢", None),  # Arabic-Indic digits: not delta-seconds either
        ("Fri, 31 Dec 99999999999999999999 23:59:59 GMT", None),  # overflows, ignored
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


def _certificate_failure(code: int) -> httpx.ConnectError:
    """httpx's error of a TLS verification failure with OpenSSL's ``code``, as raised."""
    inner = ssl.SSLCertVerificationError(1, "[SSL: CERTIFICATE_VERIFY_FAILED] certificate")
    inner.verify_code = code
    try:
        raise httpx.ConnectError("[SSL: CERTIFICATE_VERIFY_FAILED] certificate") from inner
    except httpx.ConnectError as exc:
        return exc


@pytest.mark.parametrize(
    ("code", "said"),
    [(10, "TLS certificate has expired or is not yet valid"),
     (9, "TLS certificate has expired or is not yet valid"),
     (62, "TLS certificate does not name this host"),
     (20, "TLS certificate not trusted: it does not chain to a CA"),
     (21, "TLS certificate not trusted: it does not chain to a CA")],
)  # fmt: skip
def test_a_certificate_failure_is_named_and_not_retried(code, said):
    """Twentieth pass: an expired certificate was "not trusted (use --ca-bundle)", with
    --ca-bundle given, and was tried five times, 20 s of waiting."""
    waits: list[float] = []
    policy = RetryPolicy(attempts=5, sleep=waits.append, jitter=lambda: 0.0)
    with pytest.raises(RetriesExhausted) as exhausted:
        with_retries(_responses(_certificate_failure(code)), policy, "upload x")
    assert exhausted.value.problem.startswith(f"upload x: {said}")
    assert waits == []


def test_a_dead_proxy_is_named_as_the_place_not_reached(monkeypatch):
    """Twentieth pass: a dead HTTPS_PROXY gave "could not connect", naming nothing."""
    for name in ("https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY", "no_proxy", "NO_PROXY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HTTPS_PROXY", "http://127.0.0.1:1")
    request = httpx.Request("GET", "https://jira.example.com/rest")
    refused = httpx.ConnectError("[Errno 111] Connection refused", request=request)
    assert describe(refused) == "could not connect (through the proxy $HTTPS_PROXY names)"
    closed = httpx.RemoteProtocolError("Server disconnected", request=request)
    assert describe(closed).endswith("mid-answer (through the proxy $HTTPS_PROXY names)")
    monkeypatch.setenv("NO_PROXY", "jira.example.com")
    assert describe(refused) == "could not connect"
    assert describe(closed).endswith("mid-answer")  # pass 23c: a proxy closing in CONNECT


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
    from reportgen.config.model import AttachConfig

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
    os.mkfifo(tmp_path / "fifo.pem")  # eighth pass: a FIFO was "not found"
    for there in (tmp_path / "fifo.pem", tmp_path):
        with pytest.raises(InputError, match="the CA bundle is not a regular file"):
            transport(AttachConfig(), None, there)


# ------------------------------------------------------------------------------ TLS


@pytest.fixture(scope="module")
def tls_server(tmp_path_factory):
    cert, key = self_signed(tmp_path_factory.mktemp("tls"), "127.0.0.1", "IP:127.0.0.1")

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
    with pytest.raises(TicketError, match=r"TLS certificate not trusted: .*--ca-bundle"):
        _get(url, None)
    response = _get(url, cert)
    assert response is not None and response.status_code == 200


def _tls_proxy(cert: Path, key: Path) -> ThreadingHTTPServer:
    """An https proxy (TLS to the proxy itself) that tunnels CONNECT to its target."""
    import select
    import socket

    class Tunnel(BaseHTTPRequestHandler):
        def do_CONNECT(self) -> None:
            host, port = self.path.rsplit(":", 1)
            upstream = socket.create_connection((host, int(port)), timeout=5)
            self.send_response(200)
            self.end_headers()
            sockets = [self.connection, upstream]
            while True:
                ready, _, _ = select.select(sockets, [], [], 5)
                if not ready:
                    break
                for sock in ready:
                    data = sock.recv(65536)
                    if not data:
                        upstream.close()
                        return
                    (upstream if sock is self.connection else self.connection).sendall(data)
            upstream.close()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Tunnel)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def test_an_https_proxy_is_verified_with_the_ca_bundle_given(tls_server, tmp_path, monkeypatch):
    """Thirteenth pass: --ca-bundle reached the server but not an https proxy, which httpx
    verified with certifi alone; the refusal said to use --ca-bundle, already given."""
    url, server_cert = tls_server
    cert, key = self_signed(tmp_path, "127.0.0.1", "IP:127.0.0.1")
    bundle = tmp_path / "both.pem"
    bundle.write_bytes(server_cert.read_bytes() + cert.read_bytes())
    proxy = _tls_proxy(cert, key)
    for name in ("HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy", "NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HTTPS_PROXY", f"https://127.0.0.1:{proxy.server_address[1]}")
    try:
        response = _get(url, bundle)
        assert response is not None and response.status_code == 200
        with pytest.raises(TicketError, match=r"TLS certificate \(\$HTTPS_PROXY\) not trusted"):
            _get(url, server_cert)  # the proxy's certificate is not in this one
    finally:
        proxy.shutdown()


def test_a_certificate_failure_says_whether_it_was_the_proxys(tls_server, tmp_path, monkeypatch):
    """Pass 25c: the https proxy's own certificate, untrusted or for another host, was
    reported as the server's, and sent the user to check the base URL."""
    url, server_cert = tls_server
    cert, key = self_signed(tmp_path, "localhost", "DNS:localhost")
    proxy = _tls_proxy(cert, key)
    for name in ("HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy", "NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    port = proxy.server_address[1]
    bundle = tmp_path / "both.pem"
    bundle.write_bytes(server_cert.read_bytes() + cert.read_bytes())
    try:
        monkeypatch.setenv("HTTPS_PROXY", f"https://127.0.0.1:{port}")
        with pytest.raises(TicketError) as untrusted:
            _get(url, server_cert)  # the proxy's certificate is not in this one
        assert "the proxy's TLS certificate ($HTTPS_PROXY) not trusted" in str(untrusted.value)
        with pytest.raises(TicketError) as elsewhere:
            _get(url, bundle)  # trusted, but it names localhost, not 127.0.0.1
        said = str(elsewhere.value)
        assert "the proxy's TLS certificate ($HTTPS_PROXY) does not name this host" in said
        assert "check the host in $HTTPS_PROXY" in said and "base URL" not in said
        monkeypatch.setenv("HTTPS_PROXY", f"https://localhost:{port}")
        with pytest.raises(TicketError) as server_side:
            _get(url, cert)  # the proxy is trusted now, the server is not
        said = str(server_side.value)
        assert "the server's TLS certificate (seen through the proxy $HTTPS_PROXY names)" in said
        assert "not trusted" in said and "proxy's" not in said
        monkeypatch.setenv("HTTPS_PROXY", f"http://localhost:{port}")
        with pytest.raises(TicketError) as plain:
            _get(url, bundle)  # a proxy that speaks TLS, given as http://
        assert "write $HTTPS_PROXY with https://" in str(plain.value)
    finally:
        proxy.shutdown()


def _refusing_proxy(status: int) -> ThreadingHTTPServer:
    """An http proxy that answers every CONNECT with ``status``, counting them."""

    class Refuse(BaseHTTPRequestHandler):
        def do_CONNECT(self) -> None:
            server.connects += 1  # type: ignore[attr-defined]
            self.send_response(status)
            self.send_header("Proxy-Authenticate", 'Basic realm="corp"')
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Refuse)
    server.connects = 0  # type: ignore[attr-defined]
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


@pytest.mark.parametrize(
    ("status", "said", "tries"),
    [(407, "asks for a user and password (HTTP 407): give the right ones in $HTTPS_PROXY's", 1),
     (403, "the proxy $HTTPS_PROXY names refused the tunnel to the server (HTTP 403)", 1),
     (301, "the proxy $HTTPS_PROXY names refused the tunnel to the server (HTTP 301)", 1),
     (502, "the proxy $HTTPS_PROXY names refused the tunnel to the server (HTTP 502)", 3)],
)  # fmt: skip
def test_a_proxy_refusing_the_tunnel_is_named_with_its_status(status, said, tries, monkeypatch):
    """Pass 26c: a proxy's 407 was "the proxy refused or failed the connection", naming
    neither the variable nor the status, and a missing password was tried five times."""
    proxy = _refusing_proxy(status)
    for name in ("HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy", "NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HTTPS_PROXY", f"http://127.0.0.1:{proxy.server_address[1]}")
    waits: list[float] = []
    retry = RetryPolicy(attempts=3, sleep=waits.append, jitter=lambda: 0.0)
    settings = Transport(ca_bundle=None, timeout=5, retry=retry)
    client = make_client("https://jira.example.com", httpx.BasicAuth("u", "p"), settings)
    try:
        with pytest.raises(TicketError) as refused:
            Http(client, retry, Redactor([]), "Jira").call("GET", "/", "probe")
    finally:
        proxy.shutdown()
    assert said in str(refused.value)
    assert proxy.connects == tries and len(waits) == tries - 1  # type: ignore[attr-defined]


def test_a_proxy_closing_during_connect_is_not_blamed_on_the_server(monkeypatch):
    """Pass 27c: a proxy that closed the connection on CONNECT was "the server's answer is
    not valid HTTP"; the server was never reached."""
    import socket

    listener = socket.create_server(("127.0.0.1", 0))

    def close_each() -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            client.recv(65536)
            client.close()

    threading.Thread(target=close_each, daemon=True).start()
    for name in ("HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy", "NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HTTPS_PROXY", f"http://127.0.0.1:{listener.getsockname()[1]}")
    try:
        with pytest.raises(TicketError) as closed:
            _get("https://jira.example.com", None)
    finally:
        listener.close()
    said = str(closed.value)
    assert "the proxy $HTTPS_PROXY names closed the connection, or did not answer CONNECT" in said
    assert "the server was not reached" in said and "the server's answer" not in said


def test_a_long_change_list_gives_way_to_a_pointer_in_the_comment():
    from reportgen.tickets.attach import fit_comment

    rows = "\n".join(f"| `1.{n}` | Shared | AWS | why |" for n in range(500))
    summary = f"# Pack\n\n## Changes since the previous pack (x)\n\n{rows}\n\n## Files\n\nlist\n"
    fitted = fit_comment(summary, limit=2000)
    assert len(fitted) < 2000
    assert "## Changes since the previous pack (x)\n\nToo long for a comment" in fitted
    assert fitted.endswith("## Files\n\nlist\n")
    assert fit_comment("# short\n", limit=2000) == "# short\n"


def test_a_summary_too_long_for_a_comment_anyway_is_cut_to_a_pointer():
    """Pass 81d D2: a summary.md of 16 MB of code spans, with no change list to trim, was
    converted whole: a 283 MB Jira comment, 3.4 GB. It is cut at a line within the limit."""
    from reportgen.tickets.attach import fit_comment

    summary = "# Summary\n\n" + "`a`\n" * 1_000_000
    fitted = fit_comment(summary, limit=2000)
    assert len(fitted) < 2100 and fitted.startswith("# Summary\n\n`a`\n")
    assert fitted.endswith(
        "`a`\n\nThe rest is too long for a comment: see the attached summary.md.\n"
    )


# ---------------------------------------------------------------- masking: every echo, every cut


def _redactor() -> Redactor:
    return Redactor.for_auth(EMAIL, TOKEN)


@pytest.mark.parametrize("echo", ECHOES)
def test_every_echo_is_masked_whole_and_wherever_a_read_cut_it(echo):
    """Each form, whole in a complete text; then the text read only up to each character of
    the echo (as a 64 KB read cuts it): no 8 characters of it or of the secret show."""
    redact, echoed = _redactor(), ECHOES[echo](TOKEN)
    whole = redact(f"bad credentials: {echoed} was refused")
    assert whole.startswith("bad credentials: ") and whole.endswith(" was refused")
    assert "***" in whole and leaks(whole, echoed) == []
    for cut in range(len(echoed) + 1):
        shown = redact.prefix(f"bad credentials: {echoed[:cut]}")
        assert leaks(shown, echoed) == [], (cut, shown)
        assert shown.startswith("bad cre")


def _dump(data: bytes, size: int) -> str:
    """``hexdump`` (size 2), ``od -t x4`` (4) or ``od -t x8`` (8): 16 bytes a line as
    little-endian words, an offset first."""
    data += b"\n" + b"\0" * (-(len(data) + 1) % size)
    words = [data[i : i + size][::-1].hex() for i in range(0, len(data), size)]
    per_line = 16 // size
    lines = range(-(-len(words) // per_line))
    return "\n".join(
        f"{16 * n:07x} " + " ".join(words[per_line * n : per_line * (n + 1)]) for n in lines
    )


@pytest.mark.parametrize("size", [2, 4, 8])
@pytest.mark.parametrize("before", ["tok=", "tk=", "t=", "", "y" * 13, "y" * 14, "y" * 15])
@pytest.mark.parametrize("secret", ["s3c", "ab12", "x9Kq2", "K7pQ2mX9", "Tok3nValue12345"])
def test_a_short_secret_in_a_dumps_words_is_masked_at_every_alignment(size, before, secret):
    """Pass 46c: a 3-character token in hexdump's words (``6f74 3d6b 3373 0a63``), or a
    4-character one at an odd offset, showed whole: no word lay wholly within it. 46a:
    ``od -t x4`` words were not looked for at all. 47c: one across two lines, the next
    line's offset between its halves, showed whole."""
    dumped = _dump(f"{before}{secret}".encode(), size)
    shown = Redactor([secret])(f"server said: {dumped}")
    assert "***" in shown, shown
    hex_digits = "".join(re.findall(r"(?<= )[0-9a-f]+", shown))
    raw = secret.encode()
    for start in range(len(raw) - 3):  # no four bytes of it, in any word order, show
        piece = raw[start : start + 4]
        assert piece.hex() not in hex_digits and piece[::-1].hex() not in hex_digits, shown


@pytest.mark.parametrize("head", range(9, 16))
def test_a_secret_split_across_two_lines_of_a_canonical_dump_is_masked(head):
    """Pass 46c: ``hexdump -C`` of a text holding an 8-character token across two lines:
    each line's characters column held fewer than 8 of it, and both showed, the whole
    token between them."""
    secret, data = "K7pQ2mX9", b"x" * head + b"K7pQ2mX9" + b" refused\n"
    lines = []
    for offset in range(0, len(data), 16):
        chunk = data[offset : offset + 16]
        hexed = (
            " ".join(f"{b:02x}" for b in chunk[:8]) + "  " + " ".join(f"{b:02x}" for b in chunk[8:])
        )
        text = "".join(chr(b) if 32 <= b < 127 else "." for b in chunk)
        lines.append(f"{offset:08x}  {hexed:<48}  |{text}|")
    shown = Redactor([secret])("dump:\n" + "\n".join(lines))
    columns = "".join(re.findall(r"\|([^|\n]*)\|", shown))
    assert "***" in shown and not any(c in columns for c in ("K7p", "X9", "Q2m")), shown


@pytest.mark.parametrize("head", range(4, 13))
def test_a_secret_split_across_two_lines_of_an_xxd_dump_is_masked(head):
    """Pass 48a: xxd's characters column, no bars around it, began with letters that are
    hex digits (``ECRET22``): read as one more word, and the password showed whole."""
    secret, data = "pw0rdSECRET22", b"A" * head + b"pw0rdSECRET22" + b"B" * 40
    lines = []
    for offset in range(0, len(data), 16):
        chunk = data[offset : offset + 16]
        words = " ".join(chunk[i : i + 2].hex() for i in range(0, len(chunk), 2))
        lines.append(f"{offset:08x}: {words:<39}  {chunk.decode()}")
    shown = Redactor([secret])("\n".join(lines))
    assert "pw0rdS" not in shown or "ECRET22" not in shown, shown
    assert not any(part in shown for part in ("pw0rdSE", "SECRET2", "ECRET22")), shown


def test_masking_keeps_the_rest_of_the_message():
    redact = Redactor.for_auth("me@example.com", "pass word/Ab1")
    assert redact("user me@example.com: pass+word%2fAb1 is wrong (see the policy)") == (
        "user me@example.com: *** is wrong (see the policy)"
    )
    # White space is ignored in matching, so 8 characters of 'pass word/Ab1' include the
    # word 'password': masked too. Masking too much is the safe way to be wrong.
    assert redact("the password is wrong") == "the *** is wrong"
    assert Redactor([])("anything at all") == "anything at all"
    # A secret too short for fragments is masked whole wherever it shows (and so may mask
    # a word that holds it): a three-character token is still a credential.
    assert (
        Redactor(["Zq9"])("error: bad token Zq9 (zq9 again)") == "error: bad token *** (*** again)"
    )


@pytest.mark.parametrize("form", ["NFC", "NFD", "NFKC", "NFKD"])
def test_a_secret_with_accents_is_masked_in_any_normal_form(form):
    """Seventh adversarial pass: a password echoed decomposed (NFD) showed 'Pa\u0308sswo\u0308'."""
    import unicodedata

    secret = "Pässwörd-Ümlaut-42"
    redact = Redactor.for_auth("me@example.com", secret)
    echo = unicodedata.normalize(form, f"bad credential {secret} given")
    assert redact(echo) == "bad credential *** given", repr(redact(echo))


def test_a_fragment_of_a_secret_is_masked_but_not_a_shorter_piece():
    """A server that echoes only part of a token: 8 characters or more are masked."""
    redact = Redactor(["ATATT3xFfGF0T0kenValue1234567890"])
    assert redact("token ATATT3xFfGF0... is invalid") == "token ***... is invalid"
    assert redact("token ATATT3x... is invalid") == "token ATATT3x... is invalid"


def test_an_error_holding_a_secret_is_masked_on_its_way_out():
    redact = Redactor([TOKEN])
    with pytest.raises(InputError) as caught, masked_errors(redact):
        raise TicketError(f"at {json.dumps(TOKEN)}", details=[TOKEN], hint=quote(TOKEN))
    assert str(caught.value) == 'at "***"\n  - ***\n***'
    with pytest.raises(RuntimeError, match=r"^KeyError: .\*\*\*.$"), masked_errors(redact):
        raise KeyError(TOKEN)
    with pytest.raises(KeyError, match="other"), masked_errors(redact):
        raise KeyError("other")


# ---------------------------------------------------------------- answers: paths and bounds


def test_a_servers_list_items_are_named_by_index_and_a_users_by_a_short_id():
    data = {"a": [{"id": "ATATT-token", "f": 1}, {"id": "x" * 61}, {"id": 10**5000}]}
    assert key_path(("a", 0, "f"), data, by_id=False) == "a[0].f"
    assert key_path(("a", 0, "f"), data) == "a[ATATT-token].f"  # the user's own config files
    assert key_path(("a", 1), data) == "a[1]" and key_path(("a", 2), data) == "a[2]"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b'{"fields": {"attachment": [' + b"{}," * MAX_ITEMS + b"{}]}}",
         f"the list at fields.attachment holds more than {MAX_ITEMS:,} items"),
        (b'{"x": [' + b",".join([b"[" + b"0," * 9_999 + b"0]"] * 51) + b"]}",
         f"more than {MAX_VALUES:,} values (at x[49]["),
        (b"[" * 65 + b"]" * 65, "nested more than 64 levels deep"),
        # thirteenth pass: valid JSON, past yajl's 64 bits, was called 'not JSON'
        (b"[99999999999999999999999]", "a whole number past 64 bits (at [0])"),
        (b'{"comments": [], "total": 9223372036854775808}', "past 64 bits (at total)"),
        # 83d: a decimal one was called 'not valid JSON' too
        (b'{"x": 1e999, "fields": {"attachment": []}}', "floating-point number holds (at x)"),
        (b"[1, 0." + b"9" * 400 + b"e99999]", "floating-point number holds (at [1])"),
        (b'{"a": "\xff"}', "not UTF-8 (byte 7)"),
        (b"<html>", "not valid JSON: lexical error"),
    ],
)  # fmt: skip
def test_an_answer_past_a_bound_is_refused_before_it_is_built(body, message):
    with pytest.raises(JsonRefused) as caught:
        answerjson.loads(body, 64)
    assert message in str(caught.value)
    over = "past 64 bits" in message or "more than" in message or "holds (at" in message
    assert isinstance(caught.value, JsonOverBound) == over


def test_an_answer_within_the_bounds_is_read():
    items = ",".join(f'{{"filename": "f{n}.pdf", "size": {n}}}' for n in range(MAX_ITEMS))
    body = f'\ufeff{{"fields": {{"attachment": [{items}]}}}}'.encode()
    assert len(answerjson.loads(body, 64)["fields"]["attachment"]) == MAX_ITEMS


# ---------------------------------------------------------------- what attach sends


@pytest.mark.parametrize(
    ("name", "problem"),
    [
        ("acme-notes.1234abcd.tëxt", None),
        ("acme-notes.1234abcd.t xt", None),
        ("acme-notes.1234abcd.t\x1bxt", "U+001B"),
        ("acme-notes.1234abcd.t\u202ext", "U+202E"),  # right-to-left override
        ("acme-notes.1234abcd.t\u00a0xt", "U+00A0"),
        ('acme-notes.1234abcd.t"xt', "U+0022"),
        ("acme-notes.1234abcd.\udc80", "not valid Unicode"),
        ("a" * 250 + ".é.pdf", "257 bytes long in UTF-8 (at most 255)"),
    ],
)
def test_an_upload_name_must_reach_the_ticket_unchanged(name, problem):
    found = name_problem(name)
    assert (found is None) if problem is None else (problem in found)


def test_a_warning_holding_a_secret_is_masked(caplog):
    log = logging.getLogger("reportgen.tickets")
    with masked_errors(Redactor([TOKEN])):
        log.warning("retrying %s: %s", "upload x", quote(TOKEN))
    log.warning("after: %s", "plain")
    assert [r.getMessage() for r in caplog.records] == ["retrying upload x: ***", "after: plain"]


@pytest.mark.parametrize(
    ("kind", "ok"),
    [("text/markdown; charset=utf-8", True), ("image/svg+xml", True), ("text/plaïn", False),
     ("text/ｐlain", False), ("text/plain\r\nX-Evil: 1", False), ("text/plain\n", False)],
)  # fmt: skip
def test_a_media_type_is_sent_only_if_a_header_can_carry_it(kind, ok):
    """Checked again before sending, whatever the manifest's schema let through."""
    upload = Upload("a.1234abcd.md", "a.md", Path("a.md"), 1, "0" * 64, kind)
    problem = upload_problem(upload)
    assert (problem is None) is ok
    assert ok or "is not an ASCII type/subtype (RFC 6838)" in problem


@given(before=st.text(max_size=40), after=st.text(max_size=40), echo=st.sampled_from(list(ECHOES)))
@settings(max_examples=examples(200))
def test_masking_never_fails_and_finds_the_secret_in_any_surroundings(before, after, echo):
    """Any text around an echo (escapes cut in two, lone backslashes, entities that are
    not entities): no exception, and no 8 characters of the secret or its echo show."""
    redact, echoed = _redactor(), ECHOES[echo](TOKEN)
    if echo == "cut-by-the-server":
        return
    for shown in (redact(before + echoed + after), redact.prefix(before + echoed + after)):
        assert leaks(shown.replace(before, "", 1), echoed) == [], shown


def test_a_secret_of_plus_signs_or_spaces_alone_is_masked_as_written():
    """Fourth adversarial pass: folding drops '+' and white space, so a password of plus
    signs matched nothing and was shown whole."""
    redact = Redactor.for_auth("me@example.com", "++++++++++")
    assert redact("bad password ++++++++++ for me") == "bad password *** for me"


def test_the_fifth_adversarial_passs_echoes_of_its_own_token_are_masked():
    """Its forms, with its token (no character an escape changes): the numbers view reads
    padded CSS escapes and 0x bytes; names, colour codes, base64 of base64 and UTF-16."""
    token, user = "S3cretTok3nValue9", "bot@example.com"
    basic = base64.b64encode(f"{user}:{token}".encode())
    forms = [
        "".join(f"\\{ord(c):06x}" for c in token),
        " ".join(f"0x{b:02x}" for b in token.encode()),
        ",".join(f"0x{b:02X}" for b in token.encode()),
        "".join(f"\\u{{{ord(c):x}}}" for c in token),
        "".join(f"\\x{{{ord(c):x}}}" for c in token),
        "".join(f"\\N{{LATIN SMALL LETTER {c.upper()}}}" if c.islower() else c for c in token),
        "\x1b[31m" + "\x1b[0m".join(token) + "\x1b]0;pwned\x07",
        base64.b64encode(basic).decode(),
        token.encode("utf-16-be").hex(),
        base64.b64encode(token.encode("utf-16-le")).decode(),
        "".join(f"\\N{{U+{ord(c):X}}}" for c in token),  # Perl
        "".join(f"%u{ord(c):04X}" for c in token),  # JavaScript's escape()
    ]
    redact = Redactor.for_auth(user, token)
    for form in forms:
        shown = redact(f"bad token {form} end")
        assert shown.startswith("bad token ") and shown.endswith(" end"), shown
        bare = re.sub("\x1b\\[[0-9;]*m|\x1b\\][^\x07]*\x07", "", shown)
        assert bare == "bad token *** end", (form, shown)


def test_security_md_states_how_many_echo_forms_are_tested():
    text = " ".join((Path(__file__).parents[1] / "SECURITY.md").read_text().split())
    assert f"cuts {len(ECHOES)} echo forms at every character" in text


def test_a_listing_keeps_only_the_names_asked_about():
    # Issue 20 (pass 7): a ServiceNow record's listing kept every name of every page (100
    # pages of 16 MB of names took 1.7 GB); attach asks only about the pack's own files.
    from reportgen.tickets.servicenow import ServiceNowRecord

    seen: list[int] = []

    def send(request: httpx.Request) -> httpx.Response:
        offset = int(request.url.params["sysparm_offset"])
        seen.append(offset)
        # pages of 1,000, a short one, then an empty one: the listing ends at the empty page
        count = 1000 if offset < 2000 else 7 if offset == 2000 else 0
        names = [f"other-{offset + i}-" + "x" * 200 for i in range(count)]
        if offset == 1000:
            names[500] = "acme-summary.0123abcd.md"
        body = json.dumps({"result": [{"file_name": n} for n in names]}).encode()
        headers = {"Content-Type": "application/json"}
        return httpx.Response(200, headers=headers, stream=httpx.ByteStream(body))

    client = httpx.Client(transport=httpx.MockTransport(send), base_url="https://example.com")
    http = Http(client, RetryPolicy(attempts=1, sleep=lambda _s: None), Redactor([]), "ServiceNow")
    record = ServiceNowRecord(http, "incident:" + "a" * 32, "comments", None)
    wanted = ["acme-summary.0123abcd.md", "acme-matrix.0123abcd.json"]
    assert record.attachments(wanted) == {"acme-summary.0123abcd.md": {None}}
    assert seen == [0, 1000, 2000, 2007]


def test_plain_http_to_this_machine_never_goes_through_a_proxy(monkeypatch):
    """Ninth pass: with HTTP_PROXY set, requests to http://127.0.0.1 and their credentials
    went in clear to the proxy."""
    seen: dict[str, list[str]] = {"server": [], "proxy": []}

    def serve(name: str) -> ThreadingHTTPServer:
        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                seen[name].append(self.path)
                self.send_response(200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"{}")

            def log_message(self, *args) -> None:
                pass

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        return server

    server, proxy = serve("server"), serve("proxy")
    try:
        proxy_url = f"http://127.0.0.1:{proxy.server_address[1]}"
        for variable in ("HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"):
            monkeypatch.setenv(variable, proxy_url)
        monkeypatch.delenv("NO_PROXY", raising=False)
        monkeypatch.delenv("no_proxy", raising=False)
        base = f"http://127.0.0.1:{server.server_address[1]}"
        with make_client(base, httpx.BasicAuth("me", "secret"), Transport()) as client:
            assert client.get("/rest/x").status_code == 200
        assert seen == {"server": ["/rest/x"], "proxy": []}
    finally:
        server.shutdown()
        proxy.shutdown()


def test_a_no_proxy_entry_httpx_cannot_read_is_named(monkeypatch):
    """Fifteenth pass: NO_PROXY holding a byte that is not UTF-8 was reported as a problem
    with HTTPS_PROXY, ALL_PROXY or HTTP_PROXY."""
    from reportgen.core.errors import InputError
    from reportgen.tickets.netenv import check_proxies

    for name in ("HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("NO_PROXY", "localhost,.example.com,10.0.0.0/8")
    check_proxies()
    monkeypatch.setenv("NO_PROXY", "localhost,bad\udcffhost")
    with pytest.raises(InputError) as caught:
        check_proxies()
    assert str(caught.value).startswith("$NO_PROXY: the entry 'bad\\xffhost' is not a host")


def test_a_servicenow_size_past_any_file_is_no_size():
    """Pass 28c: a size_bytes of 5,000 digits passed Python's bound on int(): an internal
    error, exit 1 (Jira's was refused)."""
    from reportgen.tickets.answers import ServiceNowAttachment
    from reportgen.tickets.upload import Upload

    def listed(text: str | None) -> int | None:
        return ServiceNowAttachment(file_name="a.zip", size_bytes=text).size

    assert listed("1234") == 1234 and listed("562293.0") == 562293
    assert listed("562293.00") == listed("0000000000000562293") == 562293  # pass 31a
    assert listed("0") == 0 and listed("0" * 30 + "1") == 1
    assert listed(None) is None and listed("") is None  # says none: taken as whole
    upload = Upload("a.zip", "a.zip", Path("a.zip"), 1234, "0" * 64, "application/zip")
    for unreadable in ("9" * 5000, "9" * 25, "12.5", "x", "٣", "+12", "1_000"):  # 29c
        assert not upload.whole_in({"a.zip": {listed(unreadable)}}), unreadable
    from reportgen.tickets.attach import cut_short

    said = cut_short(upload, {listed("9" * 25)})  # pass 30a: "(-1 bytes, not 1,234)"
    assert said == (  # and not "cut short": nothing says it was (31a)
        "on the ticket with a size that cannot be read: a.zip (this one is 1,234 bytes); "
        "sending it again"
    )
    said = cut_short(upload, {listed("9" * 25), 1000})
    assert "(1,000 bytes, a size that cannot be read, not 1,234 bytes)" in said


def test_a_long_secret_is_taken_in_bounded_time():
    """Pass 57: the Redactor made every encoded form of a whole secret, some milliseconds a
    character: a 1 MB token a credential endpoint sent, learnt to be masked, took most of
    an hour. Its start is what a message quotes, masked in every form; the rest as it is."""
    secret = "Tok" + "xY9q" * 262_144
    with within(60):
        redact = Redactor([secret])
        said = redact(f"quoted {secret[:300]} and {secret[-300:]}")
    assert "xY9q" not in said, said[:200]


def test_a_token_of_5000_characters_echoed_in_base64_is_masked_whole():
    """Pass 59c F2: the encoded forms were made of a secret's first 4,096 characters, and a
    server echoing the Authorization header of a 5,000-character token showed its end."""
    import random
    import string

    rng = random.Random(7)
    token = "".join(rng.choices(string.ascii_letters + string.digits, k=5000))
    encoded = base64.b64encode(f"me@example.com:{token}".encode()).decode()
    said = Redactor.for_auth("me@example.com", token)(f"bad auth header: Basic {encoded}")
    assert not [i for i in range(0, len(encoded) - 16, 8) if encoded[i : i + 16] in said], said


def test_a_summary_of_many_escapes_is_made_a_comment_in_one_pass():
    """Pass 60d D3: the text between code spans was joined again at each escape, a copy of
    all before it each time: a 4 MB summary of escapes took 90 s before it was sent."""
    markdown = "\\a" * 2_000_000 + " `id` \\b\n\n| x\\|y |\n|---|\n"
    with within(20):
        document, wiki = to_adf(markdown), to_wiki(markdown)
    texts = [node["text"] for node in document["content"][0]["content"]]
    assert texts == ["a" * 2_000_000 + " ", "id", " b"]
    assert wiki.startswith("a" * 2_000_000 + " {{id}} b\n\n||x\\|y||")
