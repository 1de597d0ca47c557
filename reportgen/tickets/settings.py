"""Base URLs and credentials of the ticket systems: from environment variables only.

The config's ``attach`` section may rename the variables (``token_env: ACME_JIRA_TOKEN``)
and give the base URL; secrets themselves are never accepted on the command line or in the
config file. Problems are collected rather than raised so ``--dry-run`` can show them all.
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import httpx

from reportgen.core.errors import InputError
from reportgen.core.pathtext import config_path
from reportgen.core.redact import header_safe
from reportgen.tickets.client import (
    BasicAuth,
    BearerAuth,
    Http,
    Redactor,
    Secret,
    Transport,
    make_client,
)
from reportgen.tickets.netenv import PORT_RANGE, port_in_range
from reportgen.tickets.retry import RetryPolicy

if TYPE_CHECKING:  # the config is built from the ticket-system registry: no import back
    from reportgen.config.model import AttachConfig

CA_BUNDLE_ENV = "REPORTGEN_CA_BUNDLE"
# What an Authorization header can carry as it is: a Bearer token goes out verbatim, and
# must be ASCII (httpx cannot encode anything else) with no space or line break.


@dataclass(frozen=True)
class Credential:
    scheme: str  # Basic | Bearer
    user: str | None
    secret: Secret
    source: str  # where it came from, by variable name only

    def auth(self) -> httpx.Auth:
        if self.user is not None:
            return BasicAuth(self.user, self.secret)
        return BearerAuth(self.secret)

    def redactor(self) -> Redactor:
        return Redactor.for_auth(self.user, self.secret.reveal())


@dataclass(frozen=True)
class Endpoint:
    system: str  # "Jira Cloud", "Jira Data Center", "ServiceNow"
    url: str | None
    credential: Credential | None
    problems: list[str] = field(default_factory=list)

    def redactor(self) -> Redactor:
        """Masks this endpoint's credential (nothing when none is configured)."""
        return self.credential.redactor() if self.credential else Redactor([])

    def require(self) -> tuple[str, Credential]:
        """URL and credential, or one InputError listing everything that is missing."""
        if self.problems or self.url is None or self.credential is None:
            raise InputError(
                f"{self.system} is not configured", details=self.problems or ["no base URL"]
            )
        return self.url, self.credential


def _env(environ: Mapping[str, str], name: str) -> str | None:
    value = environ.get(name, "").strip()
    return value or None


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def base_url(
    literal: str | None, env_name: str, environ: Mapping[str, str], key: str
) -> tuple[str | None, list[str]]:
    value = literal or _env(environ, env_name)
    if value is None:
        return None, [f"set the base URL in ${env_name} (or {key} in the config)"]
    # Name where the URL came from: the config's key when it set one, else the variable.
    source = key if literal else f"${env_name}"
    try:
        url = httpx.URL(value)
    except UnicodeError:  # a byte the environment gave that is not UTF-8: exit 1 (47a)
        return None, [f"{source}: not a URL (it holds a byte that is not UTF-8)"]
    except (httpx.InvalidURL, TypeError, ValueError):
        return None, [f"{source}: not a URL"]
    problems = []
    if url.scheme != "https" and not (url.scheme == "http" and _is_loopback(url.host)):
        problems.append(f"{source}: use https:// (plain http only to this machine)")
    if url.userinfo:
        problems.append(f"{source}: credentials do not belong in the URL")
    if url.query or url.fragment or not url.host:
        problems.append(f"{source}: give only the site's base URL, like https://example.com")
    if not port_in_range(url, value):
        problems.append(f"{source}: {PORT_RANGE}")
    return (None if problems else str(url).rstrip("/")), problems


@dataclass(frozen=True)
class CredentialVars:
    """The environment variables of one system's two ways to log in."""

    system: str
    user: tuple[str, str]  # (variable, what it holds), for Basic auth
    password: tuple[str, str]
    bearer: tuple[str, str]  # a token, for Bearer auth


def credential(
    names: CredentialVars, environ: Mapping[str, str]
) -> tuple[Credential | None, list[str]]:
    """Basic (user + password/API token) or Bearer (token) auth; never both, never half."""
    user, password = _env(environ, names.user[0]), _env(environ, names.password[0])
    token = _env(environ, names.bearer[0])
    basic = f"${names.user[0]} and ${names.password[0]}"
    bearer = f"${names.bearer[0]}"
    if token and (user or password):
        return None, [f"set either {basic} or {bearer}, not both"]
    if token:
        if not header_safe(token):
            return None, [f"{bearer}: a token is printable ASCII without spaces (RFC 6750)"]
        return Credential("Bearer", None, Secret(token), f"{names.bearer[1]} from {bearer}"), []
    if user and password:
        if ":" in user or not (user + password).isprintable():
            return None, [f"{basic}: no ':' in the user, no control characters (RFC 7617)"]
        source = f"{names.user[1]} from ${names.user[0]}, {names.password[1]} from "
        return Credential("Basic", user, Secret(password), source + f"${names.password[0]}"), []
    return None, [f"no {names.system} credentials: set {basic}, or {bearer}"]


def connect(endpoint: Endpoint, transport: Transport) -> tuple[Http, str]:
    """The retried, masked HTTP client of a configured endpoint, and its base URL."""
    url, found = endpoint.require()
    client = make_client(url, found.auth(), transport)
    http = Http(client, transport.retry, found.redactor(), endpoint.system, transport.timeout)
    return http, url


def transport(
    config: AttachConfig,
    config_dir: Path | None,
    ca_bundle: Path | None,
    environ: Mapping[str, str] = os.environ,
) -> Transport:
    """Timeout, retries and CA bundle: --ca-bundle, else $REPORTGEN_CA_BUNDLE, else config."""
    bundle = ca_bundle or (Path(v) if (v := _env(environ, CA_BUNDLE_ENV)) else None)
    if bundle is None and config.ca_bundle:  # ~ as in every path of the config (README)
        bundle = config_path(config.ca_bundle, config_dir or Path())
    if bundle is not None and not bundle.is_file():
        found = bundle.exists()  # a folder, a FIFO, a device: there, but no file
        raise InputError(
            "the CA bundle is not a regular file" if found else "CA bundle file not found",
            file=bundle,
            hint="Give the path of a PEM file of CA certificates." if found else None,
        )
    policy = RetryPolicy(attempts=config.retries, backoff=config.backoff, max_wait=config.max_wait)
    return Transport(ca_bundle=bundle, timeout=config.timeout, retry=policy)
