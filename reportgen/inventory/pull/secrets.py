"""Every secret an ``inventory pull`` sends, gathered as it is sent, for masking.

The keys written in the environment and the profiles are known before the pull starts, but
most of what signs or authorises its requests is not: a source profile's keys printed by a
``credential_process`` or fetched from a container, a role's keys refreshed near their expiry
(botocore re-assumes the role within 15 minutes of it), the SSO access token read from its
cache, the web identity token read from its file. Each of those, echoed by an endpoint, was
printed (fifteenth adversarial pass). So :class:`Secrets` masks with whatever it holds when
a message is masked, and :func:`gathering` feeds it: every set of credentials botocore
freezes to sign a request, and every token parameter a client is called with.
"""

from __future__ import annotations

import contextlib
import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from reportgen.core.errors import InputError
from reportgen.core.mounts import kernel_file_system
from reportgen.core.redact import Redactor, header_safe, masked_with
from reportgen.core.safefiles import read_regular
from reportgen.inventory.pull.cellmask import CellMask
from reportgen.inventory.pull.endpoints import endpoint_urls
from reportgen.inventory.pull.sdkfiles import TOKEN_BYTES, TOKEN_FILE_VARIABLES
from reportgen.inventory.sources.jsonstream import kind_of

# Parameters of the calls that fetch credentials which carry a secret of their own: an
# sso-session's refresh (sso-oidc CreateToken) sends the cached refresh token (41c).
TOKEN_PARAMETERS = (
    "accessToken",
    "WebIdentityToken",
    "SAMLAssertion",
    "clientSecret",
    "refreshToken",
)
# What such a call answers that is a secret: CreateToken's new tokens (41c).
TOKEN_ANSWERS = ("accessToken", "refreshToken", "idToken")
_PROXY_VARIABLES = ("http_proxy", "https_proxy", "all_proxy")


# Renewed credentials masked in every form: the latest this many batches of them. Each
# batch has a Redactor of its own, made once: remaking one of every secret so far at each
# renewal (short-lived credentials are renewed before every request) grew a pull's time
# between pages from 2 s to 18 s, and its memory by 11 MB a renewal (59d). Older ones are
# masked as they are written, in any message (an echo of the first credentials, 15
# renewals on, was printed: 60c); the lasting ones (the environment's, the config's, the
# first resolved) in every form.
RENEWALS_KEPT = 8
# ... and no more characters of them than this, the latest batch kept whatever its size:
# a batch's forms take some 2 KB a character (its 8-grams in each view and encoding), and
# 8 batches of 60 KB, each answer within its bounds, took 1.46 GB (71d). AWS's keys and
# session token are some 1,100 characters: 8 batches of them stay.
RENEWED_CHARS = 64 * 1024


class Secrets:
    """A growing set of secrets, callable as a Redactor of those it holds now."""

    def __init__(self, values: Iterable[str] = ()) -> None:
        self._lasting: list[tuple[set[str], Redactor]] = []
        self._renewed: deque[tuple[set[str], Redactor]] = deque()
        self._older: set[str] = set()  # renewed ones past the latest batches
        # kept as they grow: made anew from the batches at each renewal, the union grew
        # with every renewal before it
        self._every: set[str] = set()
        self._lasting_values: set[str] = set()
        self.add(*values)

    def add(self, *values: object, renewed: bool = False) -> None:
        """Hold ``values`` too; ``renewed``: credentials fetched again mid-pull, of which
        the latest :data:`RENEWALS_KEPT` batches (within :data:`RENEWED_CHARS`) are masked
        in every form, older ones as they are written."""
        given = {v for v in values if isinstance(v, str) and v.strip()}
        # lasting, a value held only as renewed is held again: the first credentials were
        # gathered as renewed before they were resolved (60c)
        new = given - (self._every if renewed else self._lasting_values)
        if not new:
            return
        self._every |= new
        if not renewed:
            self._lasting_values |= new
            self._lasting.append((new, Redactor(new)))
            return
        size = sum(map(len, new))
        # let go of before the new batch is made, or both are held at the peak
        while self._renewed and (
            len(self._renewed) >= RENEWALS_KEPT or self._renewed_chars() + size > RENEWED_CHARS
        ):
            self._older |= self._renewed.popleft()[0]
        self._renewed.append((new, Redactor(new)))

    def _renewed_chars(self) -> int:
        return sum(len(value) for batch, _ in self._renewed for value in batch)

    def values(self) -> set[str]:
        return set(self._every)

    def __call__(self, text: str) -> str:
        return masked_with(self._redactors(), text, literal=self._older)

    def prefix(self, text: str) -> str:
        """Masked as :meth:`Redactor.prefix` masks a text cut short."""
        return masked_with(self._redactors(), text, complete=False, literal=self._older)

    def _redactors(self) -> list[Redactor]:
        return [redactor for _, redactor in [*self._lasting, *self._renewed]]

    def cell_mask(self) -> CellMask:
        """Every secret held, as it is, for text that is data (a snapshot's cells), where
        the Redactor's encoded forms would cost too much; the renewed ones past the latest
        batches too (left out, a token 9 renewals old was written in a cell: 71c)."""
        return CellMask(self._every - self._older, self._older)


def from_environment(environ: dict[str, str] | os._Environ[str] = os.environ) -> list[str]:
    """Secrets the environment holds beyond the AWS keys: the password of a URL in an
    ``AWS_ENDPOINT_URL*`` variable, and what the token files it names hold."""
    found = [word for _, url in endpoint_urls(environ, {}) for word in url_password(url)]
    for name, value in environ.items():
        if name.lower() in _PROXY_VARIABLES:
            # a proxy's user:password too, whose base64 is its Proxy-Authorization header
            # (a proxy that echoed it had it printed: seventeenth pass)
            found += url_password(value)
    found += token_files(environ.get(name, "") for name in TOKEN_FILE_VARIABLES)
    return found


def url_password(value: str) -> list[str]:
    """The password of the URL ``value`` (and user:password), if it holds one: as a URL
    parser reads it, and as written up to the last '@', for a password holding a '#', '/'
    or '?' that the parser takes for the URL's end (57c)."""
    text = value if "://" in value else f"http://{value}"
    found = []
    with contextlib.suppress(ValueError):
        url = urlsplit(text)
        if url.password:
            found += [url.password, f"{url.username or ''}:{url.password}"]
    user_info = user_info_of(text)
    if user_info and ":" in user_info:
        found += [user_info.split(":", 1)[1], user_info]
    # decoded too, as a proxy's Proxy-Authorization sends a password written percent-
    # encoded: an echo of that header showed 13 of its 16 characters in base64 (65c)
    for written in list(found):
        if "%" in written:
            user, colon, password = written.partition(":")
            found.append(f"{unquote(user)}{colon}{unquote(password)}" if colon else unquote(user))
    return [value for value in dict.fromkeys(found) if value]


def user_info_of(url: str) -> str | None:
    """What a URL holds between '//' and its last '@', if it has one."""
    rest = url.partition("://")[2]
    return rest.rpartition("@")[0] if "@" in rest else None


def token_files(paths: Iterable[str]) -> list[str]:
    """What each of ``paths`` holds (a regular file, at most 64 KB), as written and
    stripped; a file that cannot be read is botocore's to report."""
    found = []
    for path in dict.fromkeys(p for text in paths for p in (text, text.strip()) if p):
        full = Path(os.path.expanduser(path)) if path.startswith("~") else Path(path)
        try:  # never a FIFO, whose open would block (safefiles: O_NONBLOCK, then fstat)
            if kernel_file_system(os.stat(full).st_dev, full):
                continue  # refused (sdkfiles); /proc/self/environ masked the variable's name
            data = read_regular(full, TOKEN_BYTES, "token file")
        except (InputError, OSError, RuntimeError, ValueError):  # RuntimeError: '~nouser'
            continue
        text = data.decode("utf-8", errors="replace")
        found += [text, text.strip()]
    return found


# How a message says why a key or token was not sent (never quoting it: it is a secret).
UNSENDABLE = (
    "a character no HTTP header may hold (a space, a line break, a control or non-ASCII character)"
)


def check_sendable(frozen: Any, source: str) -> None:
    """The access key and session token go in the request's headers: one holding a line
    break was 'AWS could not be reached: Invalid header value', naming neither its source
    nor that nothing was sent (31d); a space or an accent was sent as it was, a role's
    source keys and keys renewed mid-pull too (32c). Each must be text: a list was blamed
    on the answer of a call never sent ("tag:GetResources: ... its parser failed"), or,
    as the secret key, signed with as its printed form (44c). Never quoted: they are
    secrets."""
    for name, label in _SENT:
        value = getattr(frozen, name, None)
        if value is None and name == "token":
            continue  # long-term keys have no session token
        if not isinstance(value, str):
            raise InputError(
                f"{source}: the credentials hold {label} that is not text "
                f"({kind_of(value)}); nothing was signed with them (not shown: it may be a "
                "secret)"
            )
        if name != "secret_key" and not header_safe(value):
            raise InputError(
                f"{source}: the credentials hold {label} with {UNSENDABLE}; the request "
                "they were to sign was not sent (not shown: it is a secret)"
            )


# What signs a request: the key id and token go in its headers, the secret key in its HMAC.
_SENT = (
    ("access_key", "an access key id"),
    ("secret_key", "a secret access key"),
    ("token", "a session token"),
)


@contextlib.contextmanager
def gathering(secrets: Secrets, source_of: Callable[[Any], str]) -> Iterator[None]:
    """While active, every set of credentials botocore freezes (to sign a request, its own
    credential fetches among them) is added to ``secrets``, and checked as sendable
    (``source_of`` names where a set came from)."""
    from botocore.credentials import Credentials, RefreshableCredentials

    originals = {cls: cls.get_frozen_credentials for cls in (Credentials, RefreshableCredentials)}

    def recorded(original: Any) -> Any:
        def get_frozen_credentials(self: Any) -> Any:
            frozen = original(self)
            keys = strings_in([frozen.access_key, frozen.secret_key, frozen.token])
            secrets.add(*keys, renewed=True)
            check_sendable(frozen, source_of(self))
            return frozen

        return get_frozen_credentials

    for cls, original in originals.items():
        cls.get_frozen_credentials = recorded(original)  # type: ignore[method-assign]
    try:
        yield
    finally:
        for cls, original in originals.items():
            cls.get_frozen_credentials = original  # type: ignore[method-assign]


def _check_header_token(token: Any, model: Any) -> None:
    """SSO's access token goes in a header (``x-amz-sso_bearer_token``): one botocore got
    anew mid-pull (an sso-session's refresh) holding a line break was "Invalid header
    value", an accent was sent (pass 33c); the cache's own is checked as it is read."""
    if isinstance(token, str) and not header_safe(token):
        call = getattr(model, "name", None) or "the SSO call"
        raise InputError(
            f"sso:{call}: the SSO access token holds {UNSENDABLE}; nothing was sent with "
            "it (not shown: it is a secret)",
            hint="Sign in again (aws sso login), which writes the token cache anew.",
        )


def strings_in(value: Any, depth: int = 0) -> list[str]:
    """Every string ``value`` holds, in lists and objects too (a token sent as a list was
    quoted whole by botocore's refusal of it: 44c), at most 8 levels down."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        value = list(value.values())
    if depth >= 8 or not isinstance(value, list | tuple):
        return []
    return [text for item in value for text in strings_in(item, depth + 1)]


def record_token_parameters(client: Any, secrets: Secrets) -> None:
    """Add the tokens a call of ``client`` is given (SSO's access and refresh tokens, a web
    identity token) to ``secrets`` before the call is sent, and those it answers with."""

    def record(params: Any = None, model: Any = None, **_: Any) -> None:
        if isinstance(params, dict):
            # renewed: an sso-session refresh sends new ones every time; kept lasting, each
            # refresh grew the masking for the whole pull (800 refreshes: 11.7 GB, 63d)
            secrets.add(*strings_in([params.get(name) for name in TOKEN_PARAMETERS]), renewed=True)
            _check_header_token(params.get("accessToken"), model)

    def record_answer(parsed: Any = None, **_: Any) -> None:
        if isinstance(parsed, dict):  # a token that is a list or object: quoted whole (44c)
            secrets.add(*strings_in([parsed.get(name) for name in TOKEN_ANSWERS]), renewed=True)

    client.meta.events.register("before-parameter-build.*.*", record)
    client.meta.events.register("after-call.*.*", record_answer)
