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

import httpx

from reportgen.config import AttachConfig, JiraAttachConfig, ServiceNowAttachConfig
from reportgen.errors import InputError
from reportgen.tickets.client import BasicAuth, BearerAuth, Redactor, Secret, Transport
from reportgen.tickets.retry import RetryPolicy

CA_BUNDLE_ENV = "REPORTGEN_CA_BUNDLE"


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
        return Redactor.for_auth(self.user, self.secret)


@dataclass(frozen=True)
class Endpoint:
    system: str  # "Jira Cloud", "Jira Data Center", "ServiceNow"
    url: str | None
    credential: Credential | None
    problems: list[str] = field(default_factory=list)

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
    try:
        url = httpx.URL(value)
    except (httpx.InvalidURL, TypeError):
        return None, [f"${env_name}: not a URL"]
    problems = []
    if url.scheme != "https" and not (url.scheme == "http" and _is_loopback(url.host)):
        problems.append(f"${env_name}: use https:// (plain http only to this machine)")
    if url.userinfo:
        problems.append(f"${env_name}: credentials do not belong in the URL")
    if url.query or url.fragment or not url.host:
        problems.append(f"${env_name}: give only the site's base URL, like https://example.com")
    return (None if problems else str(url).rstrip("/")), problems


def jira_endpoint(config: JiraAttachConfig, environ: Mapping[str, str] = os.environ) -> Endpoint:
    url, problems = base_url(config.url, config.url_env, environ, "attach.jira.url")
    email, token = _env(environ, config.email_env), _env(environ, config.token_env)
    pat = _env(environ, config.pat_env)
    cloud = f"${config.email_env} and ${config.token_env} (Jira Cloud)"
    server = f"${config.pat_env} (Jira Data Center)"
    credential = None
    if pat and (email or token):
        problems.append(f"set either {cloud} or {server}, not both")
    elif pat:
        credential = Credential(
            "Bearer", None, Secret(pat), f"personal access token from ${config.pat_env}"
        )
    elif email and token:
        source = f"email from ${config.email_env}, API token from ${config.token_env}"
        credential = Credential("Basic", email, Secret(token), source)
    else:
        problems.append(f"no Jira credentials: set {cloud} or {server}")
    system = "Jira Data Center" if pat and credential else "Jira Cloud"
    return Endpoint(system, url, credential, problems)


def servicenow_endpoint(
    config: ServiceNowAttachConfig, environ: Mapping[str, str] = os.environ
) -> Endpoint:
    url, problems = base_url(config.url, config.url_env, environ, "attach.servicenow.url")
    user, password = _env(environ, config.user_env), _env(environ, config.password_env)
    token = _env(environ, config.token_env)
    basic = f"${config.user_env} and ${config.password_env}"
    credential = None
    if token and (user or password):
        problems.append(f"set either {basic} or ${config.token_env} (OAuth), not both")
    elif token:
        credential = Credential(
            "Bearer", None, Secret(token), f"OAuth token from ${config.token_env}"
        )
    elif user and password:
        source = f"user from ${config.user_env}, password from ${config.password_env}"
        credential = Credential("Basic", user, Secret(password), source)
    else:
        problems.append(f"no ServiceNow credentials: set {basic}, or ${config.token_env}")
    return Endpoint("ServiceNow", url, credential, problems)


def transport(
    config: AttachConfig,
    config_dir: Path | None,
    ca_bundle: Path | None,
    environ: Mapping[str, str] = os.environ,
) -> Transport:
    """Timeout, retries and CA bundle: --ca-bundle, else $REPORTGEN_CA_BUNDLE, else config."""
    bundle = ca_bundle or (Path(v) if (v := _env(environ, CA_BUNDLE_ENV)) else None)
    if bundle is None and config.ca_bundle:
        bundle = Path(config.ca_bundle)
        if config_dir is not None and not bundle.is_absolute():
            bundle = config_dir / bundle
    if bundle is not None and not bundle.is_file():
        raise InputError("CA bundle file not found", file=bundle)
    policy = RetryPolicy(attempts=config.retries, backoff=config.backoff, max_wait=config.max_wait)
    return Transport(ca_bundle=bundle, timeout=config.timeout, retry=policy)
