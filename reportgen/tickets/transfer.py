"""One HTTP exchange with a ticket system, bounded in time and size.

httpx's timeouts apply to each read and write: a server that trickles one byte a second
never trips them, and an answer that never ends is read until memory runs out. Here:

- a **deadline per request**: a watchdog thread shuts the request's socket down when it
  passes (connect, upload, headers and body alike), and the failure is reported as a
  timeout, which is retried like any other;
- a **cap on the answer**: the body is streamed and refused once it passes the cap; an
  error answer is read only as far as a message needs. The cap counts the bytes that
  arrive, so they must be the answer itself: reportgen asks for ``identity``, and refuses
  an answer in any other Content-Encoding before reading it (httpx would decode whatever
  the server names, and a 3 KB brotli body is 2 GB decoded, all of it allocated before a
  count of decoded bytes could stop it);
- the **answer parsed within the same deadline**: :meth:`Answer.json` checks the deadline
  again once the answer is parsed (parsing is linear, a fraction of a second at the cap).

Every exchange opens its own connection (no keep-alive), so the watchdog knows the socket:
attach sends a few dozen requests, each on a fresh connection.
"""

from __future__ import annotations

import contextlib
import dataclasses
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx

from reportgen.tickets import answerjson

MB = 1024 * 1024
MAX_ANSWER_BYTES = 16 * MB  # a listing of ten thousand attachments is a few MB
MAX_ERROR_BYTES = 64 * 1024  # an error body is shown cut to a line
JSON_DEPTH = 64  # Jira's and ServiceNow's answers nest under 10 deep
UPLOAD_RATE = 64 * 1024  # bytes a second an upload may take, on top of the deadline
_CONNECTED = ("connection.connect_tcp.complete", "connection.start_tls.complete")


class AnswerRefused(Exception):
    """The server's answer passed :data:`MAX_ANSWER_BYTES`, or came in an encoding
    reportgen did not ask for (so its size once decoded is unknown)."""


class AnswerLate(Exception):
    """The answer arrived within the deadline, but parsing it took the request past it."""


@dataclass(frozen=True)
class Answer:
    """A server's answer, read whole within its bounds."""

    status_code: int
    headers: httpx.Headers
    content: bytes
    complete: bool = True  # False: an error body cut at MAX_ERROR_BYTES
    encoding: str = ""  # an error body in this Content-Encoding was not read
    expires: float = float("inf")  # time.monotonic() at which the request's deadline passes
    deadline: float = 0.0  # seconds, for the message

    @property
    def text(self) -> str:
        return self.content.decode("utf-8", errors="replace")

    def json(self) -> Any:
        """The body as JSON, nested at most JSON_DEPTH deep and within answerjson's bounds
        on list lengths and values (checked before anything is built); ValueError
        otherwise. AnswerLate when the request's deadline passed while it was parsed."""
        value = answerjson.loads(self.content, JSON_DEPTH)
        if time.monotonic() > self.expires:
            raise AnswerLate(f"no complete answer within {self.deadline:.0f} s (parsing included)")
        return value


class Watchdog:
    """Shuts down the sockets of one request when its deadline passes."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.fired = False
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self._timer = threading.Timer(seconds, self._fire)
        self._timer.daemon = True

    def trace(self, event: str, info: dict[str, Any]) -> None:
        """httpcore's trace hook: note the socket of each connection the request opens."""
        if event not in _CONNECTED:
            return
        sock = info["return_value"].get_extra_info("socket")
        with self._lock:
            self._sockets.append(sock)
            if self.fired:
                _shut(sock)

    def _fire(self) -> None:
        with self._lock:
            self.fired = True
            for sock in self._sockets:
                _shut(sock)

    @contextlib.contextmanager
    def armed(self) -> Iterator[Watchdog]:
        self._timer.start()
        try:
            yield self
        finally:
            self._timer.cancel()


def _shut(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):  # already closed: the request ended on its own
        sock.shutdown(socket.SHUT_RDWR)


def deadline_for(timeout: float, upload_bytes: int) -> float:
    """Seconds a request may take: the configured timeout, plus time to send its upload at
    :data:`UPLOAD_RATE` (a 50 MB PDF gets about 13 minutes more, a listing none)."""
    return timeout + upload_bytes / UPLOAD_RATE


def exchange(client: httpx.Client, request: httpx.Request, deadline: float) -> Answer:
    """Send ``request`` and read its answer within ``deadline`` seconds and the size caps.
    A passed deadline raises httpx.ReadTimeout (retried as a timeout); an answer over the
    cap, or compressed, raises AnswerRefused."""
    watchdog = Watchdog(deadline)
    request.extensions["trace"] = watchdog.trace
    expires = time.monotonic() + deadline
    try:
        with watchdog.armed():
            response = client.send(request, stream=True)
            try:
                answer = _read(response)
                if watchdog.fired:
                    # A body that ends at connection close (no Content-Length, HTTP/1.0)
                    # reads the watchdog's shutdown as its normal end: it is cut short.
                    raise httpx.ReadTimeout(f"no complete answer within {deadline:.0f} s")
                return dataclasses.replace(answer, expires=expires, deadline=deadline)
            finally:
                response.close()
    except httpx.TransportError:
        if watchdog.fired:
            raise httpx.ReadTimeout(f"no complete answer within {deadline:.0f} s") from None
        raise


# Content-Encoding names (RFC 9110 and the IANA registry) a message may repeat; any other
# token is the server's text, which could be anything (even an echoed credential), so it
# is described, never quoted.
KNOWN_ENCODINGS = frozenset(
    {"gzip", "x-gzip", "deflate", "br", "compress", "x-compress", "zstd", "dcb", "dcz", "exi"}
)


def content_encoding(headers: httpx.Headers) -> str:
    """The answer's Content-Encoding other than identity ('' for none), as a message shows
    it: 'br', 'gzip, gzip', 'gzip, an unknown encoding'."""
    named = [
        token.strip().lower()
        for value in headers.get_list("content-encoding")
        for token in value.split(",")
    ]
    others = [token for token in named if token not in ("", "identity")]
    shown = [token if token in KNOWN_ENCODINGS else "an unknown encoding" for token in others]
    return ", ".join(shown[:4] + (["..."] if len(shown) > 4 else []))


def _read(response: httpx.Response) -> Answer:
    """The answer's bytes as they arrive (iter_raw: never decoded), within the cap."""
    ok = response.status_code < 300
    encoding = content_encoding(response.headers)
    if encoding:
        if ok:
            raise AnswerRefused(
                f"the answer came in Content-Encoding '{encoding}', which reportgen does "
                "not accept (it asks for identity: the size of a compressed answer is "
                "unknown until it is unpacked)"
            )
        return Answer(response.status_code, response.headers, b"", encoding=encoding)
    limit = MAX_ANSWER_BYTES if ok else MAX_ERROR_BYTES
    chunks, size = [], 0
    for chunk in response.iter_raw():
        chunks.append(chunk)
        size += len(chunk)
        if size > limit:
            if ok:
                raise AnswerRefused(f"the answer is larger than {limit // MB} MB")
            content = b"".join(chunks)[:limit]
            return Answer(response.status_code, response.headers, content, complete=False)
    return Answer(response.status_code, response.headers, b"".join(chunks))
