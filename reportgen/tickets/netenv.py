"""What an https client takes from the environment, read and checked before it is built.

For an ``https://`` base URL the client trusts the environment (httpx's ``trust_env``): the
proxy variables, and ``SSL_CERT_FILE`` (else ``SSL_CERT_DIR``) in place of certifi's CA
certificates. httpx read them as it built the client, unchecked: a FIFO as ``SSL_CERT_FILE``
blocked for ever, a file of garbage was an SSLError, a SOCKS proxy without socksio an
ImportError and ``ftp://`` a ValueError, each an "internal error" (eleventh adversarial pass).
So reportgen reads them first. The CA certificates are loaded by reportgen, with the checks
of ``--ca-bundle`` (a regular file, of bounded size, holding PEM certificates), and handed to
httpx as its TLS context; a proxy httpx could not use is refused naming its variable, and
never showing the proxy URL's password.
"""

from __future__ import annotations

import importlib.util
import os
import re
import ssl
import stat
import urllib.parse
import urllib.request
from collections.abc import Mapping
from pathlib import Path

import httpx

from reportgen.core.errors import InputError, environment_error
from reportgen.core.markdown import shorten
from reportgen.core.safefiles import file_kind, read_regular
from reportgen.core.terminal import one_line

CA_FILE_ENV = "SSL_CERT_FILE"
CA_DIR_ENV = "SSL_CERT_DIR"
MAX_CA_BUNDLE_BYTES = 16 * 1024 * 1024  # certifi's bundle is 300 KB; a corporate one, a few
# What ssl's cadata reads: OpenSSL's own PEM blocks of a certificate, nothing between them
# (a bundle's '# Issuer: ...' comments are not ASCII, which cadata refuses).
_PEM_CERTIFICATE = re.compile(
    rb"-----BEGIN (X509 )?CERTIFICATE-----[A-Za-z0-9+/=\s]*-----END (X509 )?CERTIFICATE-----"
)
# The proxy variables httpx reads (urllib's getproxies, lower case before upper case).
PROXY_KEYS = ("https", "all", "http")
PROXY_SCHEMES = ("http", "https")
SOCKS_SCHEMES = ("socks5", "socks5h")  # httpx speaks these with the socksio package


def trusted_certificates(
    ca_bundle: Path | None, environ: Mapping[str, str] | None = None
) -> ssl.SSLContext | bool:
    """The TLS context to verify servers with: ``ca_bundle``'s certificates; else, when the
    client trusts ``environ``, those of $SSL_CERT_FILE or $SSL_CERT_DIR as httpx would pick
    them; else True (httpx's certifi)."""
    if ca_bundle is not None:
        return load_ca_bundle(ca_bundle, "CA bundle")
    if environ is None:
        return True
    if cafile := environ.get(CA_FILE_ENV):
        return load_ca_bundle(Path(cafile), f"CA bundle (${CA_FILE_ENV})", hint=_CA_ENV_HINT)
    if capath := environ.get(CA_DIR_ENV):
        return load_ca_folder(Path(capath))
    return True


_CA_ENV_HINT = (
    f"${CA_FILE_ENV} and ${CA_DIR_ENV} name the CA certificates (PEM) to trust for https: "
    "correct the variable, or unset it to trust reportgen's own (certifi's)."
)


def load_ca_bundle(path: Path, what: str, hint: str | None = None) -> ssl.SSLContext:
    """A TLS context trusting the PEM certificates of the file at ``path``, read by
    reportgen (a FIFO or a device never reaches OpenSSL, which would block on one)."""
    try:
        data = read_regular(path, MAX_CA_BUNDLE_BYTES, what)
    except InputError as exc:
        exc.hint = exc.hint or hint
        raise
    blocks = _certificates(data)
    if not blocks:
        raise InputError(
            f"{what} holds no PEM certificate (-----BEGIN CERTIFICATE-----)", file=path, hint=hint
        )
    return _trusting(blocks, what, path)


def _certificates(data: bytes) -> list[str]:
    return [match.group(0).decode("ascii") for match in _PEM_CERTIFICATE.finditer(data)]


def _trusting(blocks: list[str], what: str, path: Path) -> ssl.SSLContext:
    """A TLS context trusting the PEM ``blocks`` read from ``path`` (a bundle, a folder)."""
    try:
        return ssl.create_default_context(cadata="\n".join(blocks))
    except ssl.SSLError as exc:
        reason = shorten(exc.reason or type(exc).__name__, 200)
        raise InputError(f"{what}: cannot load its certificates ({reason})", file=path) from None


def load_ca_folder(path: Path) -> ssl.SSLContext:
    """A TLS context trusting the certificates of $SSL_CERT_DIR's hashed files (the names
    OpenSSL looks up, ``5ed36f99.0``), read by reportgen: handed the folder, OpenSSL opened
    them itself during the handshake, and one that was a FIFO held the request past every
    deadline (twentieth adversarial pass)."""
    what = f"CA folder (${CA_DIR_ENV})"
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        raise InputError(f"{what} not found", file=path, hint=_CA_ENV_HINT) from None
    except OSError as exc:
        raise environment_error(exc, path) from exc
    if not stat.S_ISDIR(mode):
        raise InputError(
            f"{what} is {file_kind(mode)}, not a directory", file=path, hint=_CA_ENV_HINT
        )
    blocks, total = [], 0
    for name in _hashed_names(path, what):
        if os.path.islink(path / name) and not os.path.exists(path / name):
            continue  # dangling: OpenSSL finds nothing there and goes on; it refused all (27a)
        data = read_regular(path / name, MAX_CA_BUNDLE_BYTES, f"{what}: a certificate file")
        total += len(data)
        if total > MAX_CA_BUNDLE_BYTES:  # 300 links to one 16 MB file read 4.8 GB (pass 21c)
            many = f"{what} holds more than the {MAX_CA_BUNDLE_BYTES:,} bytes a bundle may"
            raise InputError(many, file=path, hint=_CA_ENV_HINT)
        blocks += _certificates(data)
        if len(blocks) > MAX_CA_FOLDER_CERTIFICATES:
            raise InputError(f"{what} holds more than {MAX_CA_FOLDER_CERTIFICATES:,} "
                             "certificates", file=path, hint=_CA_ENV_HINT)  # fmt: skip
    if not blocks:
        raise InputError(
            f"{what} holds no hashed PEM certificate (named like 5ed36f99.0: openssl rehash)",
            file=path,
            hint=_CA_ENV_HINT,
        )
    return _trusting(list(dict.fromkeys(blocks)), what, path)


# The names OpenSSL looks a CA up by in a hashed folder: its subject's hash, a sequence number.
_HASHED_NAME = re.compile(r"[0-9a-f]{8}\.[0-9]+")
MAX_CA_FOLDER_CERTIFICATES = 10_000  # a system's folder holds about 150


def _hashed_names(path: Path, what: str) -> list[str]:
    try:
        names = sorted(name for name in os.listdir(path) if _HASHED_NAME.fullmatch(name))
    except OSError as exc:
        raise environment_error(exc, path) from exc
    if len(names) > MAX_CA_FOLDER_CERTIFICATES:
        raise InputError(f"{what} holds more than {MAX_CA_FOLDER_CERTIFICATES:,} hashed "
                         "files", file=path, hint=_CA_ENV_HINT)  # fmt: skip
    return names


def check_proxies() -> None:
    """InputError naming the first proxy variable httpx would read and could not use: httpx
    sets up every one of them (HTTP_PROXY too, for an https URL) as the client is built."""
    proxies = urllib.request.getproxies_environment()  # what httpx reads, as it reads it
    for key in PROXY_KEYS:
        value = proxies.get(key)
        if value:
            problem = proxy_problem(value if "://" in value else f"http://{value}")
            if problem:
                raise InputError(
                    f"{proxy_variable(key, value)}: {problem}",
                    hint="Set it to http://HOST:PORT (or https://), or unset it.",
                )
    _check_no_proxy(proxies.get("no", ""))


def _check_no_proxy(value: str) -> None:
    """httpx reads each NO_PROXY entry as a URL too: one it cannot read was reported as a
    problem with the proxy variables that did not name NO_PROXY (fifteenth pass)."""
    for entry in filter(None, (part.strip() for part in value.split(","))):
        try:
            httpx.URL(entry if "://" in entry else f"http://{entry}")
        except (httpx.InvalidURL, TypeError, ValueError):
            raise InputError(
                f"{proxy_variable('no', value)}: the entry '{one_line(shorten(entry, 60))}' is "
                "not a host name, address or domain httpx can read",
                hint="Set it to host names and domains separated by commas, or unset it.",
            ) from None


def proxy_setting(url: httpx.URL) -> tuple[str, str] | None:
    """(scheme key, proxy URL) of the proxy an https request to ``url`` goes through, or
    None (plain http goes only to this machine, never through a proxy: client.make_client)."""
    if url.scheme != "https":
        return None
    proxies = urllib.request.getproxies_environment()
    if urllib.request.proxy_bypass_environment(url.host, proxies):
        return None
    key = next((key for key in ("https", "all") if proxies.get(key)), None)
    return (key, proxies[key]) if key else None


def proxy_variable(key: str, value: str) -> str:
    """The variable a proxy came from: urllib folds case, and the lower-case name wins."""
    for name in (f"{key}_proxy", f"{key.upper()}_PROXY"):
        if os.environ.get(name) == value:
            return f"${name}"
    return f"${key.upper()}_PROXY"


def proxy_problem(url: str) -> str | None:
    """Why httpx could not use ``url`` as a proxy, or None; only its scheme is ever quoted
    (a proxy URL may hold a user and password)."""
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, TypeError, ValueError):  # a byte not UTF-8 too (47a)
        return "not a URL reportgen can read as a proxy (not shown: it may hold a password)"
    scheme = f"'{shorten(parsed.scheme, 20)}://'"
    if parsed.scheme in SOCKS_SCHEMES and importlib.util.find_spec("socksio") is None:
        return (
            f"a SOCKS proxy ({scheme}) needs the socksio package (pip install 'httpx[socks]'); "
            "or use an http:// or https:// proxy"
        )
    if parsed.scheme not in (*PROXY_SCHEMES, *SOCKS_SCHEMES):
        return f"{scheme} is not a proxy reportgen can use (http:// or https://)"
    if not parsed.host:
        return "a proxy URL names a host (http://HOST:PORT)"
    if not port_in_range(parsed, url):
        return PORT_RANGE
    return None


# A port past 65535 reached the socket: one past a C long was an internal error
# (OverflowError), 99999 five retries and "could not connect" (twentieth pass).
PORT_RANGE = "the port is not one of 1 to 65535 (in digits 0-9)"


def port_in_range(url: httpx.URL, written: str) -> bool:
    """No port (the scheme's), or one a socket can connect to, written in ASCII digits in
    ``written`` (the URL as given): httpx read '+80', '٨٠', '８０' and '1_0' as ports 80
    and 10 (twenty-first pass)."""
    host_and_port = urllib.parse.urlsplit(written).netloc.rpartition("@")[2]
    if host_and_port.endswith("]") or ":" not in host_and_port:
        return url.port is None or 0 < url.port < 65536
    port = host_and_port.rpartition(":")[2]  # 'h:+443' is port None to httpx: https's own
    return port.isascii() and port.isdigit() and 0 < int(port) < 65536
