"""The HTTP client every ticket system uses: TLS verified, credentials masked, retried.

Credentials live in :class:`Secret` objects whose repr is masked, go out only as an
``Authorization`` header built by httpx's auth hooks, and are masked (with their Basic
base64 form) in every message reportgen shows, even text a server sent back.
"""

from __future__ import annotations

import base64
import os
import ssl
from collections.abc import Callable, Generator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from reportgen import __version__
from reportgen.core.errors import InputError
from reportgen.core.jsonlimits import JsonOverBound
from reportgen.core.markdown import shorten
from reportgen.core.redact import MASK, Redactor
from reportgen.tickets.netenv import check_proxies, trusted_certificates
from reportgen.tickets.retry import RetriesExhausted, RetryPolicy, with_retries
from reportgen.tickets.transfer import (
    Answer,
    AnswerLate,
    AnswerRefused,
    deadline_for,
    exchange,
)

__all__ = ["MASK", "Http", "Redactor", "Secret", "TicketError", "Transport", "make_client"]

OK_STATUSES = frozenset({200, 201, 204})
EXIT_TICKET_ERROR = 4
ERROR_LINE = 200  # characters of a server's error body shown, after masking


class TicketError(InputError):
    """The ticket system refused a request or could not be reached (exit status 4)."""

    exit_code = EXIT_TICKET_ERROR


class Secret:
    """A credential: readable with :meth:`reveal`, masked in repr/str/format."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return f"Secret('{MASK}')"

    __str__ = __repr__


def basic_token(user: str, secret: Secret) -> str:
    return base64.b64encode(f"{user}:{secret.reveal()}".encode()).decode("ascii")


class BearerAuth(httpx.Auth):
    def __init__(self, token: Secret) -> None:
        self._token = token

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers["Authorization"] = f"Bearer {self._token.reveal()}"
        yield request


class BasicAuth(httpx.Auth):
    def __init__(self, user: str, secret: Secret) -> None:
        self._user, self._secret = user, secret

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers["Authorization"] = f"Basic {basic_token(self._user, self._secret)}"
        yield request


@dataclass(frozen=True)
class Transport:
    """How to reach a ticket system: CA bundle, timeout, retries."""

    ca_bundle: Path | None = None
    timeout: float = 30.0
    retry: RetryPolicy = field(default_factory=RetryPolicy)


def make_client(base_url: str, auth: httpx.Auth, transport: Transport) -> httpx.Client:
    # Plain http is allowed to this machine only: a proxy from the environment (HTTP_PROXY)
    # would carry the credentials in clear to wherever it is (ninth adversarial pass). An
    # https URL may go through one: the proxy tunnels TLS it cannot read.
    plain = httpx.URL(base_url).scheme == "http"
    if not plain:  # httpx reads the proxy variables as it builds the client: checked first
        check_proxies()
    verify = trusted_certificates(transport.ca_bundle, None if plain else os.environ)
    try:
        return _client(base_url, auth, transport, plain, verify)
    except (ValueError, ImportError, httpx.InvalidURL) as exc:  # a proxy check_proxies let by
        raise InputError(
            f"cannot set up the HTTP client from the proxy variables ({type(exc).__name__})",
            hint="Check HTTPS_PROXY, ALL_PROXY and HTTP_PROXY (http://HOST:PORT), or unset them.",
        ) from None


class _Client(httpx.Client):
    """httpx's client, but an https proxy from the environment is verified with the same
    certificates as the server (--ca-bundle, $REPORTGEN_CA_BUNDLE, $SSL_CERT_FILE): httpx
    verified it with certifi's alone, and its refusal told the user to pass the
    --ca-bundle they had passed (thirteenth adversarial pass)."""

    def _init_proxy_transport(self, proxy: httpx.Proxy, verify: Any = True, **options: Any):  # type: ignore[override]
        if proxy.url.scheme == "https" and isinstance(verify, ssl.SSLContext):
            proxy = httpx.Proxy(proxy.url, ssl_context=verify, auth=proxy.auth,
                                headers=proxy.headers)  # fmt: skip
        return super()._init_proxy_transport(proxy, verify=verify, **options)


def _client(
    base_url: str,
    auth: httpx.Auth,
    transport: Transport,
    plain: bool,
    verify: ssl.SSLContext | bool,
) -> httpx.Client:
    return _Client(
        base_url=base_url,
        trust_env=not plain,
        auth=auth,
        verify=verify,
        timeout=transport.timeout,
        follow_redirects=False,  # a redirect would send the credentials elsewhere
        # One connection per request: the deadline watchdog shuts down the request's own
        # socket (transfer.py). Answers must come uncompressed (transfer.py refuses any
        # other Content-Encoding), so their size is what is read.
        limits=httpx.Limits(max_keepalive_connections=0),
        headers={
            "User-Agent": f"reportgen/{__version__}",
            "Accept": "application/json",
            "Accept-Encoding": "identity",
        },
    )


# What a status means for the user; {service} names the system.
STATUS_HINTS = {
    401: "authentication failed: check the credentials in the environment",
    403: "permission denied for this account (or the request was refused as a CSRF risk)",
    404: "not found: check the ticket and the base URL",
    413: "the file is larger than the server accepts",
}


class Remote:
    """Base of a ticket on a remote system: its client, None in a dry run."""

    http: Http | None = None

    @property
    def api(self) -> Http:
        assert self.http is not None, "a dry run sends nothing"
        return self.http


class Http:
    """One ticket system's client: every call bounded, retried and checked, every error
    masked (see transfer.py for the bounds, redact.py for the masking)."""

    def __init__(
        self,
        client: httpx.Client,
        retry: RetryPolicy,
        redact: Redactor,
        name: str,
        timeout: float = 30.0,
    ) -> None:
        self.client, self.retry, self.redact, self.name = client, retry, redact, name
        self.timeout = timeout

    def call(
        self,
        method: str,
        url: str,
        what: str,
        before_retry: Callable[[], bool] | None = None,
        upload_bytes: int = 0,
        **kwargs: Any,
    ) -> Answer | None:
        """The answer to one request, retried; TicketError for any failure, None when
        ``before_retry`` found the work already done."""
        deadline = deadline_for(self.timeout, upload_bytes)

        def send() -> Answer:
            return exchange(self.client, self.client.build_request(method, url, **kwargs), deadline)

        try:
            response = with_retries(send, self.retry, what, before_retry)
        except RetriesExhausted as exc:
            raise TicketError(self.redact(f"{self.name}: {exc}")) from None
        except AnswerRefused as exc:  # may name the server's Content-Encoding: masked
            raise TicketError(self.redact(f"{self.name}: {what}: {exc}")) from None
        except httpx.HTTPError as exc:
            raise TicketError(self.redact(f"{self.name}: {what}: {type(exc).__name__}")) from None
        if response is not None and response.status_code not in OK_STATUSES:
            raise self.error(response, what)
        return response

    def json(self, method: str, url: str, what: str, **kwargs: Any) -> Any:
        response = self.call(method, url, what, **kwargs)
        return self.decode(response, what) if response is not None else None

    def decode(self, response: Answer, what: str) -> Any:
        """An answer's JSON; TicketError (exit 4) for a body that is not JSON, or is JSON
        past the bounds, or that took the request past its deadline to parse."""
        try:
            return response.json()
        except JsonOverBound as exc:  # JSON, as far as it was read: not "not JSON"
            raise TicketError(
                f"{self.name}: {what}: the answer is JSON too large to accept ({exc})"
            ) from None
        except ValueError as exc:
            raise TicketError(f"{self.name}: {what}: the answer is not JSON ({exc})") from None
        except AnswerLate as exc:
            raise TicketError(f"{self.name}: {what}: {exc}") from None

    def error(self, response: Answer, what: str) -> TicketError:
        """The error of a refused request: the server's body masked first, then flattened
        and cut, so a cut never splits a secret that masking would have caught."""
        status = response.status_code
        hint = STATUS_HINTS.get(status, "")
        if 300 <= status < 400:
            hint = "redirected: check the base URL (reportgen does not follow redirects)"
        text = response.text
        masked = self.redact(text) if response.complete else self.redact.prefix(text)
        body = shorten(" ".join(masked.split()), ERROR_LINE)
        message = f"{self.name}: {what}: HTTP {status}" + (f": {hint}" if hint else "")
        said = [f"server said: {body}"] if body else []
        if not body and response.encoding:
            said = [f"its body came in Content-Encoding '{response.encoding}'; not read"]
        # A detail, each on a line of its own: a line break in the message is escaped
        # (core/errors.py), which showed reportgen's own as "\n" (pass 38a).
        return TicketError(self.redact(message), details=[self.redact(line) for line in said])

    def close(self) -> None:
        self.client.close()
