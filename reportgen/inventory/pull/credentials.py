"""The credentials an ``inventory pull`` signs with: every secret they come from, for
masking, and the calls botocore makes to fetch them, held to the pull's bounds.

A profile that assumes a role (``role_arn`` and ``source_profile``) makes botocore call STS
AssumeRole, signed with the source profile's long-term keys, through a client of its own
that the pull never saw: its answer was read whole and without a deadline (a never-ending
one took 1.4 GB, a trickled one hung the pull), its refusal was reported as the pull's own
call's ("AWS denied tag:GetResources"), and the source keys an endpoint echoed were printed
unmasked (fourteenth adversarial pass). So every client the session creates is bounded as
it is created, the credentials are fetched once, before the first page, and a failure to
fetch them is named as such.

The container and instance-metadata providers fetch through an HTTP session of their own,
not a client: each is bounded the same way (an endless answer was read whole). A profile's
``credential_process`` runs under credential_process.py's bounds. Whatever a provider makes
of an answer it cannot use (not UTF-8, a list for an object, a date that is none) is named
as a failure to fetch the credentials, never a traceback.
"""

from __future__ import annotations

import contextlib
import errno
import html
import json
import os
import re
import unicodedata
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from reportgen.core import jsonlimits
from reportgen.core.errors import InputError
from reportgen.core.markdown import shorten
from reportgen.core.mounts import kernel_file_system, kernel_file_words
from reportgen.core.redact import cut_masked, header_safe
from reportgen.core.safefiles import open_regular, read_fd
from reportgen.inventory.pull.answers import BoundedSession, Bounds, bound_answers
from reportgen.inventory.pull.credential_process import (
    BoundedProcess,
    bounded_processes,
    swapped,
)
from reportgen.inventory.pull.endpoints import endpoint_urls
from reportgen.inventory.pull.fetch import MESSAGE_CHARS, client_error
from reportgen.inventory.pull.refusals import xml_root
from reportgen.inventory.pull.renewals import Refusals, stop_once_refused
from reportgen.inventory.pull.sdkfiles import SSO_CACHE_BYTES, TOKEN_BYTES, check_sdk_files
from reportgen.inventory.pull.secrets import (
    UNSENDABLE,
    Secrets,
    record_token_parameters,
    token_files,
    url_password,
)

# Credential answers are a few KB (a role's keys and session token).
CREDENTIAL_BYTES, CREDENTIAL_SECONDS = 1 << 20, 60.0
METADATA_SECONDS = 30.0  # each request to the container or instance metadata endpoint
_SECRET_KEYS = ("aws_access_key_id", "aws_secret_access_key", "aws_session_token")
_SECRET_VARIABLES = (
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_SECURITY_TOKEN",
    "AWS_CONTAINER_AUTHORIZATION_TOKEN",
)
# The call each of botocore's fetching providers makes, for messages.
_FETCH_ACTIONS = {
    "assume-role": "sts:AssumeRole",
    "assume-role-with-web-identity": "sts:AssumeRoleWithWebIdentity",
    "sso": "sso:GetRoleCredentials",
    "login": "signin (the profile's login)",
    "custom-process": "the profile's credential_process",
    "container-role": "the container credentials endpoint",
    "iam-role": "the instance metadata service",
}
_REGION_LOOKUP = "the instance metadata service (the region, for defaults_mode auto)"
# The providers that fetch over HTTP without a client: their fetcher's attribute.
_METADATA_FETCHERS = {"container-role": "_fetcher", "iam-role": "_role_fetcher"}


def bound_credential_calls(
    session: Any, known: Secrets | None = None, refusals: Refusals | None = None
) -> None:
    """Bound every client ``session`` (boto3's) creates, those botocore creates to fetch
    credentials among them (they are made with the session's ``create_client``); a client
    the pull makes itself is given its own bounds after. Each stops at its next request
    once a renewal was refused (``refusals``)."""
    core = session._session
    create = core.create_client

    def bounded(service_name: str, *args: Any, **kwargs: Any) -> Any:
        client = create(service_name, *args, **kwargs)
        action = f"{service_name} (fetching credentials)"
        if refusals is not None:
            stop_once_refused(client, refusals)
        bounds = Bounds(
            action,
            CREDENTIAL_BYTES,
            CREDENTIAL_SECONDS,
            json=False,
            unique_keys=True,
            learn=_learner(known) if known is not None else None,
            parsed_only=True,
            plain_refusals=known if known is not None else Secrets(),
            shape=_answer_shape(client),
        )
        bound_answers(client, bounds)
        if known is not None:  # SSO's access token, a web identity token: sent, so masked
            record_token_parameters(client, known)
        return client

    core.create_client = bounded
    _bound_providers(core, known if known is not None else Secrets())
    _bound_region_lookup(core, known if known is not None else Secrets())


def _answer_shape(client: Any) -> str:
    """How ``client`` reads an answer: XML for the query and XML protocols (STS), else JSON."""
    protocol = getattr(getattr(client.meta, "service_model", None), "protocol", "")
    return "xml" if protocol in ("query", "ec2", "rest-xml") else "json"


def _bound_providers(core: Any, known: Secrets) -> None:
    """Hold the container and instance-metadata providers' HTTP sessions to the bounds of
    the credential clients (botocore reads their answers whole, with timeouts per read
    only), and run the profile's credential_process as a BoundedProcess (a source profile's
    is made later, under bounded_processes); the container provider's token is read and
    checked by _ContainerHeaders. A botocore whose providers are laid out
    otherwise is left as it is."""
    try:
        resolver = core.get_component("credential_provider")
    except Exception:  # an unreadable config: botocore's own call reports it
        return
    with contextlib.suppress(Exception):  # not in this botocore's chain
        process = resolver.get_provider("custom-process")
        if hasattr(process, "_popen"):
            process._popen = BoundedProcess
    with contextlib.suppress(Exception):
        web_identity = resolver.get_provider("assume-role-with-web-identity")
        if hasattr(web_identity, "_token_loader_cls"):
            web_identity._token_loader_cls = BoundedTokenLoader
    with contextlib.suppress(Exception):
        container = resolver.get_provider("container-role")
        if callable(getattr(container, "_build_headers", None)):
            container._build_headers = _ContainerHeaders(container._environ, known)
    for method, attribute in _METADATA_FETCHERS.items():
        try:
            provider = resolver.get_provider(method)
        except Exception:  # not in this botocore's chain
            continue
        fetcher = getattr(provider, attribute, None)
        inner = getattr(fetcher, "_session", None)
        if inner is not None and callable(getattr(inner, "send", None)):
            action, seconds = _FETCH_ACTIONS[method], METADATA_SECONDS
            bounds = Bounds(
                action,
                CREDENTIAL_BYTES,
                seconds,
                json=False,
                unique_keys=True,
                learn=_learner(known, plain=True),
                plain_refusals=known,
            )
            fetcher._session = BoundedSession(inner, bounds)


# A value in an answer under a name that names a secret (_secret_key): an XML element's
# text, a JSON string (escapes as written, and read).
_XML_VALUE = re.compile(r"<(?:[^\s<>/:!?]*:)?([^\s<>/:!?]+)(?:\s[^<>]*)?>([^<]+)")
# A JSON text's strings, read from the left (one left open ends where its reading stops),
# and what is between them: a name-value pattern searched from every quote was quadratic
# on a run of escaped quotes (64 KB: 28 s, then said as "no whole answer in 30 s": 60d).
_JSON_PIECE = re.compile(r'"((?:[^"\\]|\\.)*)("?)|[^"]+', re.S)
_JSON_COLON = re.compile(r"\s*:\s*")


_TOKEN_CHARS = 8  # shorter, a piece would be masked wherever it is, in any word


# Of one accepted answer: AWS's hold three or four (a key id, a secret key, a token), each
# learnt in a few forms; more made the masking's making run past the answer's 30 s, said
# as the server's slowness (200 values of 4,000 characters: 58d).
MOST_LEARNT = 32
MOST_LEARNT_CHARS = 64 * 1024


def _learner(known: Secrets, plain: bool = False) -> Any:
    """What learns, from the readings of a credential call's accepted answer, the secrets
    it holds (see Bounds.learn), all at once; ``plain``: the metadata endpoints', whose
    answers in plain text (the session token, the role's name) are learnt too. A refusal
    is never quoted (refusals.py): nothing is learnt of it. False: the answer holds more
    than :data:`MOST_LEARNT` secrets' values, or more than :data:`MOST_LEARNT_CHARS`."""

    def learn(texts: list[str], accepted: bool) -> bool:
        if not accepted:
            return True
        found = [value for text in texts for value in _answer_secrets(text, plain)]
        values = [value for value in dict.fromkeys(found) if value]
        if len(values) > MOST_LEARNT or sum(map(len, values)) > MOST_LEARNT_CHARS:
            return False
        known.add(*values, renewed=True)  # an answer is fetched again at each renewal
        return True

    return learn


def _answer_secrets(text: str, plain: bool) -> list[str]:
    """The secrets an answer holds: with ``plain``, an accepted answer in plain text (not
    XML or JSON) whole, and its lines, as the metadata service's session token is one,
    whatever it holds (one with a line break after it or inside it was quoted in "Invalid
    header value": 55c, 56c; one with a short first word, a quote, or five words was
    learnt by no rule of its words': 57c); the values under a secret's name in XML or
    JSON."""
    found = []
    if plain and text.lstrip(" \t\r\n\ufeff")[:1] not in ("<", "{", "["):
        pieces = [text, text.strip(), *(line.strip() for line in text.splitlines())]
        found += [piece for piece in pieces if len(piece) >= _TOKEN_CHARS]
    for name, value in _XML_VALUE.findall(text):
        if _secret_key(name):
            found += [value, value.strip(), html.unescape(value), html.unescape(value).strip()]
    for name, value in _json_pairs(text):
        if _secret_key(name):
            found.append(value)
            with contextlib.suppress(ValueError):
                found.append(json.loads(f'"{value}"'))
    return found + _parsed_secrets(text)


def _parsed_secrets(text: str) -> list[str]:
    """The values under a secret's name as a parser reads the answer, which the patterns
    above (kept for what does not parse) miss: a name in `\\u` escapes, a value in a list or
    an object, numbers, CDATA or a comment in an element (each echoed was printed: 61c)."""
    body = text.lstrip(" \t\r\n\ufeff")  # json.loads refuses a byte-order mark
    start = body[:1]
    if start in ("{", "["):
        with contextlib.suppress(ValueError, RecursionError):
            return _json_secrets(body)
    root = xml_root(b"", [text]) if start == "<" else None
    if root is None:
        return []
    found = []
    for element in root.iter():
        if _secret_key(str(element.tag).rpartition("}")[2]):
            whole = "".join(element.itertext())
            found += [whole, whole.strip()]
        found += [value for key, value in element.attrib.items() if _secret_key(key)]
    return found


def _json_pairs(text: str) -> Iterator[tuple[str, str]]:
    """(name, value) of each string after a string and a colon, escapes as written."""
    name, colon = None, False  # the string before, and whether a colon alone came after it
    for piece in _JSON_PIECE.finditer(text):
        string, closed = piece.group(1, 2)
        if string is None:
            colon = name is not None and _JSON_COLON.fullmatch(piece[0]) is not None
        elif closed and colon:
            yield name, string  # type: ignore[misc]
            name, colon = None, False
        else:
            name, colon = (string if closed else None), False


def _bound_region_lookup(core: Any, known: Secrets) -> None:
    """Hold to the same bounds the instance-metadata lookup of the region that botocore's
    ``defaults_mode = auto`` makes as each client is created, and make it once: it reads
    the answer whole through a session of its own and swallows any error (an endless
    answer took 5.8 GB, a trickled one hung the pull: nineteenth adversarial pass)."""
    with contextlib.suppress(Exception):  # a botocore laid out otherwise
        factory = core._get_internal_component("smart_defaults_factory")
        provider = factory._imds_region_provider
        fetcher = provider._get_fetcher()
        inner = fetcher._session
        if callable(getattr(inner, "send", None)):
            # its session token learnt as the credential fetchers' are: a refusal quoting
            # it printed it, and an echo wrote it in the snapshot (65c)
            bounds = Bounds(
                _REGION_LOOKUP,
                CREDENTIAL_BYTES,
                METADATA_SECONDS,
                json=False,
                learn=_learner(known, plain=True),
            )
            fetcher._session = BoundedSession(inner, bounds)
            factory._imds_region_provider = _AskedOnce(provider)


class _AskedOnce:
    """A region provider asked once: botocore asks again for each client until one answer
    comes, so a refused lookup would cost its 30 seconds for every client."""

    def __init__(self, provider: Any) -> None:
        self._provider, self._asked, self._region = provider, False, None

    def provide(self) -> Any:
        if not self._asked:
            self._asked = True
            # what botocore does with a failed lookup: no region, its 'standard' defaults
            with contextlib.suppress(Exception):
                self._region = self._provider.provide()
        return self._region


def read_on_disk(path: Path, limit: int, what: str) -> bytes:
    """:func:`read_regular`, refusing a file of the kernel's (/proc, /sys) as sdkfiles does
    at the start: a token file swapped mid-pull for a link to /proc/self/environ had the
    whole environment sent to STS as the token, its secrets with it (pass 33d)."""
    fd = open_regular(path, what)
    try:
        kernel = kernel_file_system(os.fstat(fd).st_dev, fd=fd)
        if kernel is not None:
            raise InputError(
                f"{what} is {kernel_file_words(kernel)}, not a file on disk",
                file=str(path),
            )
        return read_fd(fd, limit, path, what)
    finally:
        os.close(fd)


# What an HTTP header's value may hold: visible ASCII and spaces, no line break or control.
_HEADER_VALUE = re.compile(r"[ -~]*")
_CONTAINER_TOKEN = "AWS_CONTAINER_AUTHORIZATION_TOKEN"
_TOKEN_FILE_HINT = "A file written with echo ends in a line break: write it with printf '%s'."


class _ContainerHeaders:
    """botocore's container provider's headers, made on each fetch (renewals too): the token
    file read as the web identity token's is, and the token checked before it is sent. A
    token file ending in a line break was "the answer is not one botocore can read
    (ValueError)", though nothing was sent; a token holding an accent was sent as it was."""

    def __init__(self, environ: Any, known: Secrets) -> None:
        self._environ, self._known = environ, known

    def __call__(self) -> dict[str, str] | None:
        variable = f"{_CONTAINER_TOKEN}_FILE"
        if variable in self._environ:
            path = self._environ[variable]
            source = f"${variable} ({path})"
            token = BoundedTokenLoader(path, "the container authorization token file")()
        elif _CONTAINER_TOKEN in self._environ:
            source, token = f"${_CONTAINER_TOKEN}", self._environ[_CONTAINER_TOKEN]
        else:
            return None
        self._known.add(token)
        if not _HEADER_VALUE.fullmatch(token):
            raise InputError(
                f"{source}: the container authorization token holds a line break, a control "
                "or non-ASCII character, which no HTTP header may hold; nothing was sent "
                "with it (not shown: it is a secret)",
                hint=_TOKEN_FILE_HINT if source.endswith(")") and token.endswith("\n") else None,
            )
        return {"Authorization": token}


class BoundedTokenLoader:
    """botocore's web identity token loader, reading the file as sdkfiles checked it: a
    regular file of at most 64 KB, opened without blocking. botocore reads it again each
    time it refreshes the role's credentials, long after that check: a FIFO swapped in
    hung the pull, a link to /dev/zero took 1.7 GB (twentieth adversarial pass)."""

    def __init__(self, path: str, what: str = "the web identity token file") -> None:
        self._path, self._what = path, what

    def __call__(self) -> str:
        data = read_on_disk(Path(os.path.expanduser(self._path)), TOKEN_BYTES, self._what)
        if not data.strip():  # an emptied token was sent, and refused as AWS's doing
            raise InputError(f"{self._what} is empty", file=self._path)
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            raise InputError(f"{self._what} is not UTF-8 text", file=self._path) from None


def bounded_token_loaders() -> contextlib.AbstractContextManager[None]:
    """Every web identity provider botocore makes while active (a role profile's source
    that is one, made as the credentials are first fetched) reads with BoundedTokenLoader;
    the loader it makes then is the one its refreshes use."""
    import botocore.credentials

    return swapped(botocore.credentials, "FileWebIdentityTokenLoader", BoundedTokenLoader)


def bounded_cache_files(known: Secrets) -> contextlib.AbstractContextManager[None]:
    """botocore's JSON cache files (the SSO token cache among them) read as sdkfiles checks
    them, a regular file of at most 1 MB, each time botocore reads one: it reads the SSO
    token again to refresh credentials mid-pull, long after that check, and a cache file
    swapped for a link to 1 GB was read whole, 2.2 GB (twenty-first adversarial pass). The
    secrets a cache file holds are added to ``known``."""
    from botocore.utils import JSONFileCache

    read: set[str] = set()  # the cache entries read so far

    def getitem(self: Any, cache_key: str) -> Any:
        path = Path(self._convert_cache_key(cache_key))
        try:
            data = read_on_disk(path, SSO_CACHE_BYTES, "botocore's cache file")
        except InputError as exc:
            if not path.exists():
                raise KeyError(cache_key) from None  # gone: botocore's "not cached"
            raise exc from None
        cached = _parsed_cache(data, path)
        if _in_login_cache(path):  # `aws login`'s: its accessToken is an object of keys
            _check_login_token(cached, path)
        else:
            _check_cached_tokens(cached, path)
        # masked whether sent or not: a token a refresh replaced before it was sent was
        # written in a snapshot's cells as a server echoed it (42c). Read again, an entry's
        # new tokens are a renewal's, of which the latest batches are kept in every form:
        # held as lasting, one each page took 8 MB a page, 1.45 GB in 160 (70d).
        known.add(*_cached_secrets(data), renewed=cache_key in read)
        read.add(cache_key)
        return cached

    return swapped(JSONFileCache, "__getitem__", getitem)


# The secrets of an SSO token cache: botocore's refusal of one that is not a string quoted
# it whole ("Invalid type for parameter accessToken, value: [...]": twenty-first pass).
_CACHED_SECRETS = ("accessToken", "refreshToken", "clientSecret", "clientId")


# botocore's caches are flat (the SSO token) or an object or two deep (a role's keys);
# deeper is no cache it wrote, and every level of it would have to be searched for tokens.
CACHE_DEPTH = 8
_SIGN_IN_AGAIN = "Sign in again (aws sso login), which writes the cache anew."


def _parsed_cache(data: bytes, path: Path) -> Any:
    """The cache file's JSON, refused (naming the file) where it is not JSON, nests deeper
    than :data:`CACHE_DEPTH`, or gives a key twice: botocore's reading keeps the last of a
    repeated key, and the first, never masked, was printed (45c)."""
    try:
        return jsonlimits.loads(data, CACHE_DEPTH, unique_keys=True)
    except jsonlimits.JsonRefused as exc:
        # botocore's own reading: not cached, which its SSO token loader then said as
        # "the answer is not one botocore can read (KeyError)", naming no file (41c)
        raise InputError(
            "botocore's cache file is not one botocore writes (damaged, or written by "
            f"another tool): {exc}",
            file=str(path),
            hint=_SIGN_IN_AGAIN,
        ) from None


def _cached_secrets(data: bytes) -> list[str]:
    """Every value under a key that names a token or secret, at any depth (a token in an
    object under another key was printed: 45c), numbers as written in the file."""
    return _json_secrets(data.decode("utf-8-sig"))


def _json_secrets(text: str) -> list[str]:
    """Every string under a key that names a secret in the JSON ``text``, at any depth,
    numbers as written."""
    return _secrets_under(json.loads(text, parse_int=str, parse_float=str), secret=False)


def _secrets_under(value: Any, secret: bool) -> list[str]:
    if isinstance(value, str):
        return [value] if secret else []
    if isinstance(value, dict):
        return [
            text
            for key, item in value.items()
            for text in _secrets_under(item, secret or _secret_key(key))
        ]
    if isinstance(value, list):
        return [text for item in value for text in _secrets_under(item, secret)]
    return []


def _secret_key(key: object) -> bool:
    """A cache key that holds a secret: a token of any kind (idToken was printed: 43c), the
    client's secret or id (botocore sends the id with the secret), a password or a key
    (46a); never its region or start URL, which masked would hide words."""
    text = unicodedata.normalize("NFKC", key).casefold() if isinstance(key, str) else ""
    folded = re.sub(r"[^a-z0-9]", "", text)  # fullwidth ｔｏｋｅｎ is token (48c)
    return any(word in folded for word in _SECRET_WORDS)


# Looked for in a key folded to its letters and digits (client_id, Client-Id: 47c).
_SECRET_WORDS = ("token", "secret", "password", "passwd", "pwd", "key", "clientid")


def _in_login_cache(path: Path) -> bool:
    """Whether ``path`` is in the cache of `aws login` (a login_session profile): checked
    as SSO's, a cache botocore wrote was refused, 'its accessToken is not a string' (76c)."""
    from botocore.utils import get_login_token_cache_directory

    return os.path.realpath(path.parent) == os.path.realpath(get_login_token_cache_directory())


def _check_login_token(cached: Any, path: Path) -> None:
    token = cached.get("accessToken") if isinstance(cached, dict) else None
    why = "holds no JSON object" if not isinstance(cached, dict) else ""
    if token is not None and not isinstance(token, dict):
        why = "its accessToken is not an object (not shown: it may be a secret)"
    elif isinstance(token, dict) and "expiresAt" in token:
        said = _not_a_date(token["expiresAt"])
        if said:
            why = f"its accessToken's expiresAt {said}"
    if why:
        raise InputError(
            f"botocore's cache file: {why}",
            file=str(path),
            hint="Sign in again (aws login), which writes the cache anew.",
        )


def _check_cached_tokens(cached: Any, path: Path) -> None:
    if not isinstance(cached, dict):
        raise InputError("botocore's cache file holds no JSON object", file=str(path))
    for key in _CACHED_SECRETS:
        if key in cached and not isinstance(cached[key], str):
            raise InputError(
                f"botocore's cache file: its {key} is not a string (not shown: it may be a secret)",
                file=str(path),
                hint=_SIGN_IN_AGAIN,
            )
    for key in _CACHED_DATES:
        if key in cached and (why := _not_a_date(cached[key])):
            raise InputError(
                f"botocore's cache file: its {key} {why}", file=str(path), hint=_SIGN_IN_AGAIN
            )
    token = cached.get("accessToken")
    if isinstance(token, str) and not header_safe(token):  # sent in a header (32d)
        raise InputError(
            f"botocore's cache file: its accessToken holds {UNSENDABLE}; nothing was sent "
            "with it (not shown: it is a secret)",
            file=str(path),
            hint=_SIGN_IN_AGAIN,
        )


# The dates botocore reads from an SSO token cache: one it cannot read was said as the
# answer of a call never sent, sso-oidc:CreateToken or sso:GetRoleCredentials (75c).
_CACHED_DATES = ("expiresAt", "registrationExpiresAt")


def _not_a_date(value: object) -> str:
    """Why botocore cannot read ``value`` as the date and time it compares with now; ""
    when it can."""
    import dateutil.parser

    if not isinstance(value, str):
        return "is not a date and time written as text"
    try:
        parsed = dateutil.parser.parse(value)
    except (ValueError, OverflowError, OSError, RuntimeError):
        return "is not a date and time botocore can read"
    return (
        "" if parsed.tzinfo is not None else "has no time zone (write it as 2030-01-01T00:00:00Z)"
    )


def check_files(session: Any, profile: str | None) -> None:
    """The files botocore would read for this pull, checked before it does (sdkfiles.py)."""
    if session is not None:
        profiles = _profiles(session)
        check_sdk_files(profiles, list(_chain(profiles, profile or session.profile_name)))


def configured_secrets(session: Any, profile: str | None) -> list[str]:
    """The keys in the AWS environment variables and in every profile of ``profile``'s
    chain (its ``source_profile``, and theirs): an STS call signed with a source profile's
    keys may have them echoed back, even though the pull signs with the role's."""
    if session is None:
        return []
    values = [os.environ.get(name, "") for name in _SECRET_VARIABLES]
    profiles = _profiles(session)
    for name in _chain(profiles, profile or session.profile_name):
        section = profiles.get(name)
        if isinstance(section, dict):
            values += [str(section.get(key) or "") for key in _SECRET_KEYS]
            values += token_files([str(section.get("web_identity_token_file") or "")])
    with contextlib.suppress(Exception):  # an unreadable config: botocore's call reports it
        values += _endpoint_passwords(session._session.full_config)
    return [value for value in values if value]


def _endpoint_passwords(config: Any) -> list[str]:
    """The password of every ``endpoint_url`` the AWS config file holds, in a profile or a
    ``[services]`` section: botocore quoted the URL when it could not reach it (56c)."""
    return [found for _, url in endpoint_urls({}, config) for found in url_password(url)]


def _profiles(session: Any) -> dict[str, Any]:
    try:
        found = session._session.full_config.get("profiles")
    except Exception:  # an unreadable config: botocore's own call reports it
        return {}
    return found if isinstance(found, dict) else {}


def _chain(profiles: dict[str, Any], name: str | None) -> Iterator[str]:
    """``name`` and the source profiles it leads to, each once (a loop ends it)."""
    seen: set[str] = set()
    while isinstance(name, str) and name not in seen:
        seen.add(name)
        yield name
        section = profiles.get(name)
        name = section.get("source_profile") if isinstance(section, dict) else None


def resolved_secrets(session: Any, profile: str | None) -> list[str]:
    """The access key, secret key and session token the pull signs with, fetched now (a
    role's by AssumeRole); none when botocore finds no credentials (the first call's own
    error says so). A fetch that fails is an InputError naming the call that failed."""
    if session is None:
        return []
    from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError

    found = None
    whose = f" of profile '{shorten(profile, 60)}'" if profile else ""
    try:
        with bounded_processes(), bounded_token_loaders():
            found = session.get_credentials()
            frozen = found.get_frozen_credentials() if found is not None else None
    except NoCredentialsError:
        return []
    except ClientError as exc:  # not retried by reportgen: botocore's attempts alone
        code = exc.response.get("Error", {}).get("Code", "")
        raise client_error(exc, code, _action(found, exc), attempts=None) from exc
    except (BotoCoreError, ValueError, TypeError, KeyError, AttributeError, RecursionError) as exc:
        raise _failed(_action(found, exc), f"fetching the credentials{whose}", exc) from (
            exc if isinstance(exc, BotoCoreError) else None
        )
    except BEYOND_DATES as exc:
        if not _beyond_dates(exc):
            raise
        raise _failed(_action(found, exc), f"fetching the credentials{whose}", exc) from None
    values = (getattr(frozen, name, None) for name in ("access_key", "secret_key", "token"))
    return [value for value in values if isinstance(value, str) and value]


def fetch_error(exc: BaseException, when: str) -> InputError | None:
    """``exc``, raised in a request of the pull, said as the failure of the credential call
    botocore made first (``when``: "renewing the credentials before tag:GetResources"), as
    one at the start is said; None when it did not come from botocore's credential code."""
    if not (_in_token_refresh(exc) or _raised_by(exc)):
        return None
    if isinstance(exc, BEYOND_DATES) and not _beyond_dates(exc):
        return None  # keys already expired, said as such (23d); a file's own failure
    return _failed(_action(None, exc), "fetching the credentials", exc, when)


def _failed(action: str, what: str, exc: BaseException, when: str = "") -> InputError:
    """``action`` (a credential call) failed with ``exc``: botocore's words cut short, or,
    for a provider's use of an answer it cannot read (bytes that are not UTF-8, a list
    where botocore indexes an object, '[' nested 100,000 deep for json.loads: an internal
    error in the eighteenth pass), that alone: the answer is not quoted, it may hold keys."""
    from botocore.exceptions import BotoCoreError

    called = f"{action} ({when})" if when else action
    if isinstance(exc, BotoCoreError):  # its text may quote what the endpoint sent: cut it
        return InputError(f"{called}: {what} failed: {cut_masked(str(exc), MESSAGE_CHARS)}")
    return InputError(
        f"{called}: {what} failed: the answer is not one botocore can read "
        f"({type(exc).__name__}{_unreadable_part(exc)})",
        hint=_SSO_HINT if action.startswith("sso") else None,
    )


# Where botocore's providers that fetch nothing found the keys, for messages.
_STATIC_SOURCES = {
    "env": "the AWS_* variables",
    "shared-credentials-file": "the shared credentials file",
    "config-file": "the AWS config file",
    None: "a role profile's source_profile",  # botocore names no method for those keys
}


def source_of(found: Any) -> str:
    """Where the credentials ``found`` (botocore's) come from, for messages."""
    method = getattr(found, "method", None)
    return _STATIC_SOURCES.get(method) or _action(found)


_SSO_HINT = (  # the cache read, or the answer the SSO service sent: botocore says not which
    "Sign in again (aws sso login): the token cache under ~/.aws/sso/cache may be damaged "
    "or written by another tool; if that does not help, the SSO service's answer was at "
    "fault: check any proxy between you and AWS."
)


_FIELD = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,39}")  # botocore's own key, never the answer's


# What Python and dateutil raise for an expiry no date can hold (an SSO expiration of
# 1e20 ms, an AssumeRole <Expiration> of 1e300): said as botocore's, naming no call (74c).
BEYOND_DATES = (OverflowError, OSError, RuntimeError)


def _beyond_dates(exc: BaseException) -> bool:
    text = str(exc)
    if isinstance(exc, OSError):
        return exc.errno == errno.EOVERFLOW
    if isinstance(exc, RuntimeError):
        return "timezone offset" in text
    out_of_range = re.search(r"year -?\d+ is out of range", text) is not None
    return isinstance(exc, OverflowError) or (isinstance(exc, ValueError) and out_of_range)


# Python's and dateutil's words for an expiry that is no date (NaN, 'soon', 1e300 as text).
_NOT_DATES = ("Unknown string format", "Invalid timestamp", "NaN", "String does not contain")


def _unreadable_part(exc: BaseException) -> str:
    """The part of an answer botocore could not use, where Python's own words say which
    (its words only, never the answer's): an expiry without a time zone was "(TypeError)",
    naming nothing (twenty-sixth pass)."""
    text = str(exc)
    if "offset-naive" in text:
        return ": its expiry time has no time zone; write it as 2030-01-01T00:00:00Z"
    if isinstance(exc, ValueError) and ("offset" in text or "tzinfo" in text):
        return ": its expiry time's time zone is not a real one"
    if _beyond_dates(exc):
        return ": its expiry time lies further from today than any date can"
    if isinstance(exc, ValueError) and any(word in text for word in _NOT_DATES):
        return ": its expiry time is not a date and time"  # was "(ParserError)" alone (75c)
    if isinstance(exc, KeyError) and exc.args and _FIELD.fullmatch(str(exc.args[0])):
        return f": it has no {exc.args[0]}"  # the field botocore looked for (31d)
    return ""


def _action(found: Any, error: BaseException | None = None) -> str:
    if _in_token_refresh(error):
        return _TOKEN_REFRESH
    kwargs = getattr(error, "kwargs", None)
    provider = kwargs.get("provider") if isinstance(kwargs, dict) else None
    method = getattr(found, "method", None) or provider or _raised_by(error)
    return _FETCH_ACTIONS.get(method, f"fetching credentials ({method or 'unknown'})")


# An sso-session's token provider is botocore's "sso" too: its refresh's failures were
# said as sso:GetRoleCredentials, a call never sent (62c).
_TOKEN_REFRESH = "sso-oidc:CreateToken (refreshing the sso-session's token)"


def _in_token_refresh(error: BaseException | None) -> bool:
    """Whether ``error`` went through the code of botocore's token providers."""
    traceback = error.__traceback__ if error is not None else None
    while traceback is not None:
        if type(traceback.tb_frame.f_locals.get("self")).__module__ == "botocore.tokens":
            return True
        traceback = traceback.tb_next
    return False


def _raised_by(error: BaseException | None) -> str | None:
    """The METHOD of the innermost credential provider whose code ``error`` went through:
    an error of Python's own (a TypeError indexing a list) says nothing of its source."""
    method = None
    traceback = error.__traceback__ if error is not None else None
    while traceback is not None:
        owner = traceback.tb_frame.f_locals.get("self")
        found = getattr(owner, "METHOD", None) or _FETCHERS.get(type(owner).__name__)
        method = found if isinstance(found, str) else method
        traceback = traceback.tb_next
    return method


# The fetchers botocore renews a role's credentials with mid-pull, by their provider's
# METHOD: no provider is on the way then (an AssumeRole answer without its credentials was
# said as the pull's own call's: 63c).
_FETCHERS = {
    "AssumeRoleCredentialFetcher": "assume-role",
    "AssumeRoleWithWebIdentityCredentialFetcher": "assume-role-with-web-identity",
    "SSOCredentialFetcher": "sso",
}
