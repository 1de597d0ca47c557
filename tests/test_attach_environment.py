"""attach with what an https client takes from the environment: proxy variables httpx cannot
use, SSL_CERT_FILE or SSL_CERT_DIR that are not what they say; and a certificate for another
host. Each is exit 2 (the machine's settings) or 4 (the server), naming the variable or the
file, never an "internal error", never a hang, never a proxy's password (eleventh pass)."""

from __future__ import annotations

import importlib.util
import os
import socket
import ssl
import subprocess
import sys
from pathlib import Path

import pytest
from attach_support import attach, self_signed, small_pack
from conftest import MINIMAL_CONFIG, write_config
from fake_tickets import FakeTickets
from packhelpers import ROOT

FAST = "attach:\n  timeout: 2\n  retries: 1\n  backoff: 0.01\n  max_wait: 1\n"
PROXY_PASSWORD = "proxyPass99"
SETTINGS = ("SSL_CERT_FILE", "SSL_CERT_DIR", "REPORTGEN_CA_BUNDLE")


@pytest.fixture(scope="module")
def pack(tmp_path_factory) -> Path:
    return small_pack(tmp_path_factory)


@pytest.fixture
def config(tmp_path) -> Path:
    return write_config(tmp_path, MINIMAL_CONFIG + FAST)


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def clean_env(monkeypatch) -> pytest.MonkeyPatch:
    """No proxy or CA setting of the machine running the tests; Jira credentials set."""
    for name in list(os.environ):
        if name.lower().endswith("_proxy") or name in SETTINGS:
            monkeypatch.delenv(name)
    monkeypatch.setenv("REPORTGEN_JIRA_EMAIL", "auditor@example.com")
    monkeypatch.setenv("REPORTGEN_JIRA_TOKEN", "jira-TOKEN-7f3a9c1e5d")
    monkeypatch.delenv("REPORTGEN_JIRA_PAT", raising=False)
    return monkeypatch


@pytest.fixture
def https_nowhere(clean_env) -> pytest.MonkeyPatch:
    """An https base URL where nothing listens: what is checked is checked before sending."""
    clean_env.setenv("REPORTGEN_JIRA_URL", f"https://127.0.0.1:{_closed_port()}")
    return clean_env


# ------------------------------------------------------------------------------ proxies


@pytest.mark.parametrize(
    ("name", "value", "said"),
    [
        ("ALL_PROXY", "socks5://127.0.0.1:1080", "a SOCKS proxy ('socks5://') needs the socksio"),
        ("HTTPS_PROXY", "http://[::1", "not a URL reportgen can read as a proxy"),
        ("HTTPS_PROXY", f"http://user:{PROXY_PASSWORD}@[::1", "not a URL reportgen can read"),
        ("HTTPS_PROXY", f"ftp://user:{PROXY_PASSWORD}@127.0.0.1:21", "'ftp://' is not a proxy"),
        ("https_proxy", f"ftp://user:{PROXY_PASSWORD}@127.0.0.1:21", "'ftp://' is not a proxy"),
        # Not used for an https URL, but httpx sets it up as it builds the client.
        ("HTTP_PROXY", f"gopher://user:{PROXY_PASSWORD}@h:70", "'gopher://' is not a proxy"),
        # twentieth pass: an OverflowError (exit 1); 99999, five retries and exit 4
        ("HTTPS_PROXY", f"http://user:{PROXY_PASSWORD}@h:{'9' * 22}", "the port is not one of"),
        ("HTTPS_PROXY", "127.0.0.1:99999", "the port is not one of 1 to 65535"),
        # 47a: a byte not UTF-8 (a lone surrogate to Python) was an internal error
        ("HTTPS_PROXY", "/tmp/a\udc85b", "not a URL reportgen can read as a proxy"),
    ],
)
def test_a_proxy_httpx_cannot_use_is_refused_by_its_variable(
    pack, config, https_nowhere, capsys, caplog, name, value, said
):
    if "socks" in value and importlib.util.find_spec("socksio") is not None:
        pytest.skip("socksio is installed: httpx can use a SOCKS proxy")
    https_nowhere.setenv(name, value)
    status, output = attach(capsys, caplog, pack, "--jira", "GRC-1", "--config", config)
    assert status == 2, output
    assert f"error: ${name}: {said}" in output
    assert "internal error" not in output and PROXY_PASSWORD not in output


@pytest.mark.parametrize("port", ["9" * 22, "99999", "0", "+443", "٤٤٣", "4_43"])
def test_a_ticket_url_whose_port_no_socket_has_is_refused(pack, config, clean_env, capsys,
                                                          caplog, port):  # fmt: skip
    """Twentieth pass: a port past a C long was "internal error: OverflowError", exit 1.
    Twenty-first: '+443', Arabic-Indic digits and '4_43' were read as ports 443 and 443."""
    clean_env.setenv("REPORTGEN_JIRA_URL", f"https://127.0.0.1:{port}")
    status, output = attach(capsys, caplog, pack, "--jira", "GRC-1", "--config", config)
    assert status == 2, output
    assert "$REPORTGEN_JIRA_URL: the port is not one of 1 to 65535" in output


def test_a_ticket_url_holding_a_byte_not_utf8_is_refused_by_its_variable(
    pack, config, clean_env, capsys, caplog
):
    """Pass 47a: "internal error: UnicodeEncodeError", exit 1, from httpx's URL parser."""
    clean_env.setenv("REPORTGEN_JIRA_URL", "http://127.0.0.1:1/a\udc85b")
    status, output = attach(capsys, caplog, pack, "--jira", "GRC-1", "--config", config)
    assert status == 2, output
    assert "$REPORTGEN_JIRA_URL: not a URL (it holds a byte that is not UTF-8)" in output, output
    assert "internal error" not in output


def test_a_proxy_of_host_and_port_only_is_used_as_http(pack, config, https_nowhere, capsys, caplog):
    """curl's and urllib's reading of 'host:port': http://host:port. A proxy that is not
    there is the network's failure (exit 4), not a setting refused."""
    https_nowhere.setenv("HTTPS_PROXY", f"127.0.0.1:{_closed_port()}")
    status, output = attach(capsys, caplog, pack, "--jira", "GRC-1", "--config", config)
    assert status == 4, output
    assert "could not connect" in output or "proxy" in output


# ------------------------------------------------------------------- SSL_CERT_FILE, SSL_CERT_DIR


def _cli(*args: str | Path, env: dict[str, str]) -> subprocess.CompletedProcess:
    """The CLI in its own process: a FIFO read in-process would block the test for ever."""
    return subprocess.run(
        [sys.executable, "-m", "reportgen", *map(str, args)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip


def test_ssl_cert_file_as_a_fifo_is_refused_not_waited_on(pack, config, https_nowhere, tmp_path):
    fifo = tmp_path / "ca.fifo"
    os.mkfifo(fifo)
    env = {**os.environ, "SSL_CERT_FILE": str(fifo)}
    done = _cli("attach", pack, "--jira", "GRC-1", "--config", config, env=env)
    assert done.returncode == 2, done.stderr
    assert f"{fifo}: CA bundle ($SSL_CERT_FILE) is a FIFO (named pipe)" in done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize(
    ("kind", "said"),
    [
        ("garbage", "CA bundle ($SSL_CERT_FILE) holds no PEM certificate"),
        ("broken-pem", "CA bundle ($SSL_CERT_FILE): cannot load its certificates"),
        ("missing", "CA bundle ($SSL_CERT_FILE) not found"),
        ("folder", "CA bundle ($SSL_CERT_FILE) is a directory, not a regular file"),
        ("/dev/zero", "CA bundle ($SSL_CERT_FILE) is a character device"),
    ],
)
def test_a_bad_ssl_cert_file_is_exit_2_naming_variable_and_file(
    pack, config, https_nowhere, tmp_path, capsys, caplog, kind, said
):
    path = {"/dev/zero": Path("/dev/zero"), "folder": tmp_path}.get(kind, tmp_path / "ca.pem")
    if kind == "garbage":
        path.write_text("hello\n")
    elif kind == "broken-pem":
        path.write_text("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n")
    https_nowhere.setenv("SSL_CERT_FILE", str(path))
    status, output = attach(capsys, caplog, pack, "--jira", "GRC-1", "--config", config)
    assert status == 2, output
    assert f"error: {path}: {said}" in output
    assert "internal error" not in output


@pytest.mark.parametrize("kind", ["file", "missing"])
def test_ssl_cert_dir_must_be_a_directory(
    pack, config, https_nowhere, tmp_path, capsys, caplog, kind
):
    path = tmp_path / "certs"
    if kind == "file":
        path.write_text("not a folder\n")
    https_nowhere.setenv("SSL_CERT_DIR", str(path))
    status, output = attach(capsys, caplog, pack, "--jira", "GRC-1", "--config", config)
    assert status == 2, output
    said = "is a file, not a directory" if kind == "file" else "not found"
    assert f"error: {path}: CA folder ($SSL_CERT_DIR) {said}" in output


def test_a_fifo_in_ssl_cert_dir_is_refused_not_waited_on(pack, config, https_nowhere, tmp_path):
    """Twentieth pass: OpenSSL opened the folder's hashed files itself, in the handshake,
    and one that was a FIFO held the request past every deadline."""
    folder = tmp_path / "certs"
    folder.mkdir()
    os.mkfifo(folder / "f5b931d4.0")
    env = {**os.environ, "SSL_CERT_DIR": str(folder)}
    done = _cli("attach", pack, "--jira", "GRC-1", "--config", config, env=env)
    assert done.returncode == 2, done.stderr
    assert "f5b931d4.0: CA folder ($SSL_CERT_DIR): a certificate file is a FIFO" in done.stderr


def test_an_ssl_cert_dir_is_read_within_a_bundles_bound_in_all(
    pack, config, https_nowhere, tmp_path, capsys, caplog
):
    """Twenty-first pass: each file was held to 16 MB, the folder to nothing: 300 links to
    one 16 MB file read 4.8 GB before the first request."""
    folder = tmp_path / "certs"
    folder.mkdir()
    (folder / "big.pem").write_bytes(b"#" * (9 << 20))
    for number in range(2):
        (folder / f"0a1b2c3d.{number}").symlink_to("big.pem")
    https_nowhere.setenv("SSL_CERT_DIR", str(folder))
    status, output = attach(capsys, caplog, pack, "--jira", "GRC-1", "--config", config)
    assert status == 2, output
    assert "CA folder ($SSL_CERT_DIR) holds more than the 16,777,216 bytes" in output


def test_an_ssl_cert_dir_without_hashed_certificates_is_named(
    pack, config, https_nowhere, tmp_path, capsys, caplog
):
    folder = tmp_path / "certs"
    folder.mkdir()
    (folder / "readme.txt").write_text("hello\n")
    https_nowhere.setenv("SSL_CERT_DIR", str(folder))
    status, output = attach(capsys, caplog, pack, "--jira", "GRC-1", "--config", config)
    assert status == 2, output
    assert "CA folder ($SSL_CERT_DIR) holds no hashed PEM certificate" in output


# ------------------------------------------------------------------------------ TLS server


@pytest.fixture(scope="module")
def localhost_cert(tmp_path_factory) -> tuple[Path, Path]:
    """A self-signed certificate for the name 'localhost' only (not for 127.0.0.1)."""
    return self_signed(tmp_path_factory.mktemp("tls"), "localhost", "DNS:localhost")


@pytest.fixture
def tls_jira(localhost_cert, clean_env):
    cert, key = localhost_cert
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    with FakeTickets() as fake:
        fake.server.socket = context.wrap_socket(fake.server.socket, server_side=True)
        creds = fake.state.creds
        clean_env.setenv("REPORTGEN_JIRA_EMAIL", creds.email)
        clean_env.setenv("REPORTGEN_JIRA_TOKEN", creds.token)
        yield fake, fake.server.server_address[1]


def test_ssl_cert_file_is_trusted_as_httpx_would(
    pack, config, tls_jira, localhost_cert, tmp_path, capsys, caplog
):
    """A bundle as distributions and certifi write them: comments between the certificates,
    some not ASCII (which ssl's cadata refuses: reportgen gives it the PEM blocks only)."""
    bundle = tmp_path / "bundle.pem"
    pem = localhost_cert[0].read_text()
    bundle.write_text(f"# Issuer: CN=Főtanúsítvány\n{pem}\n# end\n", encoding="utf-8")
    _attaches_trusting("SSL_CERT_FILE", bundle, pack, config, tls_jira, capsys, caplog)


def test_ssl_cert_dir_is_trusted_as_openssl_would(
    pack, config, tls_jira, localhost_cert, tmp_path, capsys, caplog
):
    """The folder's hashed files, read by reportgen, are the CAs trusted."""
    folder = tmp_path / "certs"
    folder.mkdir()
    (folder / "ca.pem").write_text(localhost_cert[0].read_text())
    (folder / "0a1b2c3d.0").symlink_to("ca.pem")  # as openssl rehash links them
    (folder / "0a1b2c3d.1").symlink_to("gone.pem")  # dangling: skipped, as OpenSSL does (27a)
    _attaches_trusting("SSL_CERT_DIR", folder, pack, config, tls_jira, capsys, caplog)


def _attaches_trusting(variable, value, pack, config, tls_jira, capsys, caplog) -> None:
    """attach to the TLS Jira with ``variable`` naming the CAs to trust: it uploads."""
    fake, port = tls_jira
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(variable, str(value))
        patch.setenv("REPORTGEN_JIRA_URL", f"https://localhost:{port}")
        status, output = attach(capsys, caplog, pack, "--jira", "GRC-1", "--config", config)
    assert status == 0, output
    assert fake.uploads()


def test_a_certificate_for_another_host_is_said_so(
    pack, config, tls_jira, localhost_cert, capsys, caplog
):
    """The CA is trusted (--ca-bundle), the certificate names 'localhost', the URL 127.0.0.1:
    "not trusted (use --ca-bundle)" sent the user the wrong way."""
    _, port = tls_jira
    cert, _ = localhost_cert
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("REPORTGEN_JIRA_URL", f"https://127.0.0.1:{port}")
        args = ("--jira", "GRC-1", "--config", config, "--ca-bundle", cert)
        status, output = attach(capsys, caplog, pack, *args)
    assert status == 4, output
    assert "TLS certificate does not name this host (check the host in the base URL)" in output
    assert "not trusted" not in output


def test_a_ticket_url_in_the_config_refused_names_the_config(
    pack, tmp_path, clean_env, capsys, caplog
):
    """Pass 32a: 'attach.jira.url: the port is not one of 1 to 65535' named no file."""
    clean_env.delenv("REPORTGEN_JIRA_URL", raising=False)
    folder = tmp_path / "cfg"
    folder.mkdir()
    config = write_config(folder, MINIMAL_CONFIG + FAST + "  jira:\n    url: https://h:99999\n")
    status, output = attach(capsys, caplog, pack, "--jira", "GRC-1", "--config", config)
    assert status == 2, output
    assert f"error: {config}: Jira Cloud is not configured" in " ".join(output.split()), output
    assert "attach.jira.url: the port is not one of 1 to 65535" in output
