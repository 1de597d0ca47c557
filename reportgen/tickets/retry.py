"""Retries with exponential backoff and jitter, honouring Retry-After.

Retried: HTTP 429, 502, 503 and 504, and transport errors (connection refused or reset,
timeouts). Before each retry the caller's ``before_retry`` check runs: for an upload it
lists the ticket's attachments again, so a request that timed out after the server stored
the file is never sent twice.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import logging
import random
import re
import ssl
import time
import traceback
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Protocol, TypeVar

import httpx

from reportgen.tickets.netenv import proxy_setting, proxy_variable

log = logging.getLogger("reportgen.tickets")

RETRY_STATUSES = frozenset({429, 502, 503, 504})


class Reply(Protocol):
    """What with_retries reads of an answer (an httpx.Response or a transfer.Answer)."""

    @property
    def status_code(self) -> int: ...
    @property
    def headers(self) -> Mapping[str, str]: ...


ReplyT = TypeVar("ReplyT", bound=Reply)


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 5  # tries per request, the first included
    backoff: float = 1.0  # seconds before the first retry; doubles each time
    max_wait: float = 60.0  # cap of any one wait, Retry-After included
    sleep: Callable[[float], None] = field(default=time.sleep, compare=False)
    jitter: Callable[[], float] = field(default=random.random, compare=False)

    def wait(self, retry: int, retry_after: float | None) -> float:
        """Seconds before retry number ``retry`` (1-based): "equal jitter" exponential
        backoff, never shorter than the server's Retry-After, never longer than max_wait."""
        ceiling = self.backoff * 2 ** (retry - 1)
        delay = ceiling / 2 + self.jitter() * ceiling / 2
        if retry_after is not None:
            delay = max(delay, retry_after)
        return min(delay, self.max_wait)


def parse_retry_after(value: str | None, now: dt.datetime | None = None) -> float | None:
    """Retry-After as seconds: delta-seconds or an HTTP date; None when absent or invalid."""
    if not value:
        return None
    value = value.strip()
    if value.isascii() and value.isdigit():  # '²' is a digit to str.isdigit, not to float
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, OverflowError):  # a year of 20 digits overflows
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    now = now or dt.datetime.now(dt.UTC)
    return max(0.0, (when - now).total_seconds())


class RetriesExhausted(Exception):
    def __init__(self, problem: str, attempts: int) -> None:
        tries = f"gave up after {attempts} attempts" if attempts > 1 else "not retried"
        super().__init__(f"{problem} ({tries})")
        self.problem = problem


# OpenSSL's X509_V_ERR_HOSTNAME_MISMATCH and X509_V_ERR_IP_ADDRESS_MISMATCH: the
# certificate verified, but it names other hosts (eleventh pass: "not trusted" sent the
# user to --ca-bundle).
HOST_MISMATCH = frozenset({62, 64})
# X509_V_ERR_CERT_NOT_YET_VALID and X509_V_ERR_CERT_HAS_EXPIRED: "not trusted (use
# --ca-bundle)" sent the user who had given one the wrong way (twentieth pass).
OUT_OF_DATE = frozenset({9, 10})
# No chain to a trusted CA: a corporate CA not given, or a server that leaves out its
# intermediate certificate, which --ca-bundle did not mend (twenty-third pass).
_UNTRUSTED = (
    "TLS certificate not trusted: it does not chain to a CA this machine or --ca-bundle "
    "trusts (use --ca-bundle for a corporate CA; a server that does not send its "
    "intermediate certificate fails so too, and is mended on the server)"
)


def verify_code(exc: BaseException) -> int | None:
    """OpenSSL's verify code of the certificate failure behind ``exc`` (httpx wraps
    httpcore's error, which wraps ssl's), or None."""
    seen: BaseException | None = exc
    for _ in range(8):  # a chain of causes is short; a cycle must not loop
        if seen is None:
            return None
        if isinstance(seen, ssl.SSLCertVerificationError):
            return seen.verify_code
        seen = seen.__cause__ or seen.__context__
    return None


def describe(exc: httpx.TransportError) -> str:
    """The kind of transport failure, without the exception's text: that text is not ours
    to vouch for, so it is never shown (it could carry a URL with credentials)."""
    if isinstance(exc, httpx.TimeoutException):
        return "timed out" + _through_proxy(exc)
    if isinstance(exc, httpx.ConnectError):
        return _certificate_problem(exc) or "could not connect" + _through_proxy(exc)
    proxy = _proxy_of(exc)
    if proxy and not isinstance(exc, httpx.ProxyError) and _failed_at_the_proxy(exc):
        # the tunnel was never made: the server was not reached (pass 27c blamed it)
        hint = _tls_hint(*proxy)
        return (
            f"the proxy {proxy[0]} names closed the connection, or did not answer CONNECT in "
            f"HTTP ({type(exc).__name__}); the server was not reached"
            + (f" ({hint})" if hint else "")
        )
    if isinstance(exc, httpx.RemoteProtocolError):  # tenth pass: named only by its class
        return (
            "the server's answer is not valid HTTP, or it closed the connection mid-answer"
            + _through_proxy(exc)
        )
    if isinstance(exc, httpx.ProxyError):
        return _proxy_refusal(exc)
    return f"connection failed ({type(exc).__name__})" + _through_proxy(exc, plain_hint=True)


def _proxy_refusal(exc: httpx.ProxyError) -> str:
    """The proxy's answer to CONNECT, by its status alone (pass 26c: a 407 was "refused or
    failed", naming neither the variable nor the status, and retried five times)."""
    proxy = _proxy_of(exc)
    named = f"the proxy {proxy[0]} names" if proxy else "the proxy"
    status = _proxy_status(exc)
    if status == 407:
        where = f" in {proxy[0]}'s URL, http(s)://USER:PASSWORD@HOST:PORT" if proxy else ""
        return f"{named} asks for a user and password (HTTP 407): give the right ones{where}"
    if status is not None:
        return f"{named} refused the tunnel to the server (HTTP {status})"
    return f"{named} refused or failed the connection"


def _proxy_status(exc: BaseException) -> int | None:
    """The HTTP status a proxy answered CONNECT with (httpcore writes it first in the
    error's text, which is otherwise never shown), or None."""
    if not isinstance(exc, httpx.ProxyError):
        return None
    found = re.match(r"([1-5][0-9]{2}) ", str(exc))
    return int(found.group(1)) if found else None


def _certificate_problem(exc: httpx.ConnectError) -> str | None:
    """What is wrong with the certificate, and whose it is (the server's, or an https
    proxy's: pass 25c reported a proxy's certificate as the server's), or None."""
    code = verify_code(exc)
    if code is None and "CERTIFICATE_VERIFY_FAILED" not in str(exc):
        return None
    proxy = _proxy_of(exc)
    whose, where = "TLS certificate", "the host in the base URL"
    if proxy and _failed_at_the_proxy(exc):
        whose, where = f"the proxy's TLS certificate ({proxy[0]})", f"the host in {proxy[0]}"
    elif proxy:  # a proxy that inspects TLS shows its own certificate for the server
        whose = f"the server's TLS certificate (seen through the proxy {proxy[0]} names)"
    if code in HOST_MISMATCH:  # a trusted CA's certificate for another name
        return f"{whose} does not name this host (check {where})"
    if code in OUT_OF_DATE:
        return f"{whose} has expired or is not yet valid (check the machine's clock)"
    return whose + _UNTRUSTED.removeprefix("TLS certificate")


def _failed_at_the_proxy(exc: BaseException) -> bool:
    """Whether what failed was the connection to the proxy itself (its TLS, or its answer
    to CONNECT): httpcore makes that connection (connection.py) from its proxy code, and
    speaks to the server, TLS and request, inside the tunnel from the proxy code directly
    (http11.py). An httpcore that no longer shows either leaves the failure the server's."""
    seen: BaseException | None = exc
    for _ in range(8):
        if seen is None:
            return False
        names = [
            (frame.f_code.co_filename.rsplit("/", 1)[-1], frame.f_code.co_name)
            for frame, _ in traceback.walk_tb(seen.__traceback__)
        ]
        in_proxy = [i for i, (file, _) in enumerate(names) if file == "http_proxy.py"]
        if in_proxy:
            return any(file == "connection.py" for file, _ in names[in_proxy[0] :])
        seen = seen.__cause__ or seen.__context__
    return False


def _proxy_of(exc: httpx.TransportError) -> tuple[str, str] | None:
    """(variable, URL) of the proxy the failed request went through, or None."""
    try:
        found = proxy_setting(exc.request.url)
    except RuntimeError:  # raised without its request
        return None
    return (proxy_variable(*found), found[1]) if found else None


def _through_proxy(exc: httpx.TransportError, plain_hint: bool = False) -> str:
    """Where the connection went: a dead proxy was reported as the server (pass 20c). A
    proxy that speaks TLS, given as http://, fails with what it sends back (pass 25c)."""
    proxy = _proxy_of(exc)
    if proxy is None:
        return ""
    hint = _tls_hint(*proxy) if plain_hint else ""
    return f" (through the proxy {proxy[0]} names{'; ' + hint if hint else ''})"


def _tls_hint(variable: str, url: str) -> str:
    """For a proxy given as http://: it may speak TLS, and fail with what it sends back."""
    return (
        f"if it speaks TLS, write {variable} with https://"
        if url.lower().startswith("http://")
        else ""
    )


def _lasting_refusal(exc: BaseException) -> bool:
    """A certificate, or a proxy's 3xx or 4xx to CONNECT (but 429), does not change in
    seconds (a 301 was tried five times: pass 27c)."""
    status = _proxy_status(exc)
    return status is not None and 300 <= status < 500 and status != 429


def with_retries(
    send: Callable[[], ReplyT],
    policy: RetryPolicy,
    what: str,
    before_retry: Callable[[], bool] | None = None,
) -> ReplyT | None:
    """``send()`` until it gives a response that is not retryable; None when
    ``before_retry()`` finds the work already done."""
    for attempt in range(1, policy.attempts + 1):
        retry_after = None
        try:
            response = send()
        except httpx.UnsupportedProtocol:
            raise
        except httpx.TransportError as exc:
            problem = describe(exc)
            if verify_code(exc) is not None or _lasting_refusal(exc):
                raise RetriesExhausted(f"{what}: {problem}", attempt) from None
        else:
            if response.status_code not in RETRY_STATUSES:
                return response
            problem = f"HTTP {response.status_code}"
            retry_after = parse_retry_after(response.headers.get("Retry-After"))
        if attempt == policy.attempts:
            raise RetriesExhausted(f"{what}: {problem}", attempt)
        delay = policy.wait(attempt, retry_after)
        log.warning("%s: %s; retrying in %.1f s (attempt %d of %d)", what, problem, delay,
                    attempt + 1, policy.attempts)  # fmt: skip
        policy.sleep(delay)
        if before_retry is not None and before_retry():
            return None
    raise AssertionError("unreachable")
