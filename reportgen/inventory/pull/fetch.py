"""Paging through one AWS operation with backoff on throttling and plain-words errors."""

from __future__ import annotations

import hashlib
import json
import logging
import random
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from reportgen.core.errors import InputError
from reportgen.core.markdown import shorten
from reportgen.core.redact import cut_masked
from reportgen.inventory.pull.apis import Api
from reportgen.inventory.sources.repeats import SeenResources

THROTTLED = frozenset(
    {"Throttling", "ThrottlingException", "ThrottledException", "TooManyRequestsException",
     "RequestLimitExceeded", "RequestThrottled", "RequestThrottledException", "SlowDown"}
)  # fmt: skip
DENIED = frozenset(
    {"AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "UnauthorizedException"}
)
ATTEMPTS = 8  # per page
# A million resources (--max-rows) at the smallest page size of the APIs pulled (100 items)
# take 10,000 pages.
MAX_PAGES = 20_000
# An empty page with a next token is rare (the tagging API sends a few); a thousand in a row
# is an endpoint that will not end: one ran 13,320 pages in 600 s (thirteenth pass).
MAX_EMPTY_PAGES = 1_000
MESSAGE_CHARS = 200  # of an error's text from the answer (one was 2 MB: ninth pass)
Sleep = Callable[[float], None]
log = logging.getLogger("reportgen.pull")  # said by the command line, masked (snapshot.py)


def pages(
    client: Any, api: Api, params: dict[str, Any], sleep: Sleep = time.sleep
) -> Iterator[dict[str, Any]]:
    """Every page of the operation, following the page token until it is empty; refused
    past MAX_PAGES pages, after MAX_EMPTY_PAGES empty ones in a row, or when a token comes
    back (an endpoint or proxy that repeats its token kept a pull running, and growing, for
    ever: eighth adversarial pass)."""
    call = getattr(client, api.operation)
    request = dict(params)
    seen: set[str] = set()  # digests of the tokens followed
    pages_seen: set[bytes] = set()  # digests of the lists of resources pages held
    items_seen = SeenResources()
    repeated = 0  # resources sent a second time, each written once
    empty = 0  # pages in a row with no item and a next token
    overlapping = 0  # pages in a row repeating a resource of an earlier page
    for _ in range(MAX_PAGES):
        page = _with_backoff(lambda: call(**request), api, sleep)
        _check_page(page, api)
        token = page.get(api.token_out)
        if token:
            _check_token_new(token, api, seen)
        _check_new(page.get(api.reader.list_key), api, pages_seen)
        dropped = _drop_repeated(page, api, items_seen)
        repeated += dropped
        yield page
        if not token:
            _say_repeated(repeated, api)
            return
        empty = 0 if page.get(api.reader.list_key) else empty + 1
        overlapping = overlapping + 1 if dropped else 0
        _check_endless(empty, overlapping, api)
        request[api.token_in] = token
    raise InputError(
        f"{api.iam_action}: more than {MAX_PAGES:,} pages; reportgen stops there",
        hint="Narrow the pull (--region, a resource type filter), or export the inventory "
        "with the AWS CLI and pass the file.",
    )


def _check_endless(empty: int, overlapping: int, api: Api) -> None:
    """Stop an endpoint that will not end: MAX_EMPTY_PAGES pages in a row with no resource,
    or as many each repeating an earlier one (one new resource and one repeated a page ran
    to MAX_PAGES, about 16 minutes: 31c)."""
    if empty >= MAX_EMPTY_PAGES:
        said = f"{empty:,} pages in a row with no resource"
    elif overlapping >= MAX_EMPTY_PAGES:
        said = f"{overlapping:,} pages in a row each repeating resources of an earlier page"
    else:
        return
    raise InputError(
        f"{api.iam_action}: AWS sent {said}, each with a new page token; stopping, as an "
        "endpoint that does so may never end",
        hint="Run the pull again; if it recurs, check any proxy between you and AWS.",
    )


# AWS's page tokens are a few hundred bytes (GetResources' may be at most 2,048); one of
# 10 MB, sent back on each request, made a pull of 20,000 pages take 37 minutes (26e).
MAX_TOKEN_BYTES = 64 * 1024


def _check_page(page: dict[str, Any], api: Api) -> None:
    """Refuse a page token past :data:`MAX_TOKEN_BYTES` (a null list is refused before
    botocore parses the answer, which drops it: answers.py)."""
    token = page.get(api.token_out)
    size = len(token.encode("utf-8", "surrogatepass")) if isinstance(token, str) else 0
    if size > MAX_TOKEN_BYTES:  # in bytes, as sent back: 60,001 emoji were 240 KB (27a)
        raise InputError(
            f"{api.iam_action}: AWS sent a page token of {size:,} bytes, more than the "
            f"{MAX_TOKEN_BYTES:,} any AWS service sends; stopping",
            hint="Run the pull again; if it recurs, check any proxy between you and AWS.",
        )


def _check_token_new(token: Any, api: Api, seen: set[str]) -> None:
    digest = hashlib.sha256(str(token).encode("utf-8", "replace")).hexdigest()
    if digest in seen:
        raise InputError(
            f"{api.iam_action}: AWS sent a page token it had sent before; stopping, as "
            "following it would read the same pages for ever",
            hint="Run the pull again; if it recurs, check any proxy between you and AWS.",
        )
    seen.add(digest)


def _check_new(items: Any, api: Api, pages_seen: set[bytes]) -> None:
    """Refuse a page holding the very resources of an earlier one, under a new token: an
    endpoint doing so wrote each resource again as a row, and ran to MAX_PAGES (933 s)
    when it did not stop (twenty-sixth pass)."""
    if not items:
        return  # empty pages are counted (MAX_EMPTY_PAGES)
    text = json.dumps(items, sort_keys=True, default=str, ensure_ascii=True)
    digest = hashlib.sha256(text.encode("ascii")).digest()
    if digest in pages_seen:
        raise InputError(
            f"{api.iam_action}: AWS sent a page holding the same resources as an earlier "
            "page, under a new page token; stopping, as following it would write them again "
            "(and an endpoint that does so may never end)",
            hint="Run the pull again; if it recurs, check any proxy between you and AWS.",
        )
    pages_seen.add(digest)


def _drop_repeated(page: dict[str, Any], api: Api, seen: SeenResources) -> int:
    """Take out of ``page`` the resources an earlier page (or this one) held already, how
    many: pages that overlapped wrote them again as rows (10 rows for 6 resources), and a
    page of repeats only now counts as empty (an endless endpoint ran 6,347 pages: 28c)."""
    items = page.get(api.reader.list_key)
    if not isinstance(items, list) or not items:
        return 0
    fresh = [item for item in items if seen.first_time(_names(item, api))]
    page[api.reader.list_key] = fresh
    return len(items) - len(fresh)


def _names(item: Any, api: Api) -> list[str]:
    """What the resource ``item`` describes goes by (see ``ListingReader.names``). An item
    the reader refuses is named by its text; the pull refuses it where it reads it."""
    reader = api.reader
    try:
        cells, _tags = reader.row(item, [], Path("-"))
    except Exception:  # refused, with its path, where the pull reads it
        cells = None
    return reader.names(item, cells)


def _say_repeated(repeated: int, api: Api) -> None:
    if repeated:
        log.warning(
            "%s: AWS sent %s resource(s) a second time; each is written once, as first sent",
            api.iam_action,
            f"{repeated:,}",
        )


def _with_backoff(send: Callable[[], dict], api: Api, sleep: Sleep) -> dict[str, Any]:
    from botocore.exceptions import (
        BotoCoreError,
        ClientError,
        NoCredentialsError,
        ParamValidationError,
    )

    for attempt in range(ATTEMPTS):
        try:
            return send()
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "")
            if code in THROTTLED and attempt + 1 < ATTEMPTS:
                # Exponential with full jitter: parallel pulls do not retry in step.
                sleep(random.uniform(0, min(20.0, 0.5 * 2**attempt)))
                continue
            raise client_error(exc, code, refused_action(exc, api.iam_action)) from exc
        except NoCredentialsError as exc:
            raise InputError(
                "no AWS credentials found",
                hint="Pass --profile NAME, or set AWS_PROFILE or the AWS_* variables.",
            ) from exc
        except ParamValidationError as exc:  # what AWS sent back (a page token) is not usable
            raise InputError(
                f"{api.iam_action}: AWS's answer cannot be sent back as the next request: "
                f"{cut_masked(str(exc), MESSAGE_CHARS)}",
                hint="Check any proxy between you and AWS.",
            ) from None
        except BotoCoreError as exc:  # its text may quote what the endpoint sent: cut it
            raise _renewal_error(exc, api) or InputError(
                f"AWS could not be reached: {cut_masked(str(exc), MESSAGE_CHARS)}"
            ) from exc
        except (AttributeError, TypeError, ValueError, KeyError) as exc:
            # botocore's parser meets an answer of another shape (a string where its model
            # has a list, bytes that are not UTF-8): not a reportgen bug (tenth pass)
            raise _renewal_error(exc, api) or InputError(
                f"{api.iam_action}: the answer is not one AWS sends (its parser failed: "
                f"{type(exc).__name__})",
                hint="Check any proxy between you and AWS.",
            ) from None
        except RecursionError:  # the JSON parser, on an answer nested thousands deep
            raise InputError(
                f"{api.iam_action}: the answer is nested too deeply to read; it is not one "
                "AWS sends",
                hint="Check any proxy between you and AWS.",
            ) from None
        # an expiry no date holds (74c); after RecursionError, a RuntimeError too
        except (OverflowError, OSError, RuntimeError) as exc:
            error = _renewal_error(exc, api)
            if error is None:
                raise
            raise error from None
    raise AssertionError("unreachable")  # pragma: no cover - the loop returns or raises


def _renewal_error(exc: Exception, api: Api) -> InputError | None:
    """``exc`` said as a failure of renewing the credentials mid-pull, naming the source, as
    one at the start is said, when it came from botocore's credential code: a container
    endpoint's refusal was "AWS could not be reached", and an AssumeRole answer botocore
    could not use "tag:GetResources: the answer is not one AWS sends" (63c)."""
    from reportgen.inventory.pull.credentials import fetch_error  # it builds on this module

    return fetch_error(exc, f"renewing the credentials before {api.iam_action}")


# The calls botocore makes to renew a role's credentials before a request of the pull.
_RENEWALS = {
    "AssumeRole": "sts:AssumeRole",
    "AssumeRoleWithWebIdentity": "sts:AssumeRoleWithWebIdentity",
    "GetRoleCredentials": "sso:GetRoleCredentials",
}


def refused_action(exc: Exception, action: str) -> str:
    """The call AWS refused: ``action``, or the credential call botocore made before it. A
    renewal refused mid-pull was said as "AWS denied tag:GetResources", sending the user
    to the wrong permission (twenty-sixth pass)."""
    operation = getattr(exc, "operation_name", None)
    if not isinstance(operation, str) or not operation or action.endswith(f":{operation}"):
        return action
    renewal = _RENEWALS.get(operation, shorten(operation, 60))
    return f"{renewal} (renewing the credentials before {action})"


def client_error(
    exc: Exception, code: str, action: str, attempts: int | None = ATTEMPTS
) -> InputError:
    """AWS's refusal of ``action`` (an IAM action) in plain words, its text cut short.
    ``attempts``: how many times reportgen sent it; None for a call only botocore sends
    (a credential call: "after 8 attempts" was said of one sent once, 63c)."""
    message = getattr(exc, "response", {}).get("Error", {}).get("Message", "") or str(exc)
    message = cut_masked(str(message), MESSAGE_CHARS)  # an answer's text
    code = cut_masked(code, MESSAGE_CHARS)
    if code in DENIED:
        return InputError(
            f"AWS denied {action}: {message}",
            hint=f"Allow {action.split()[0]} for the identity in use (its IAM policy, or an SCP).",
        )
    if code in THROTTLED:
        if attempts is None:
            return InputError(
                f"AWS throttled {action}, through all the attempts botocore makes",
                hint="Run again later; AWS_MAX_ATTEMPTS sets how many attempts botocore makes.",
            )
        return InputError(f"AWS kept throttling {action} after {attempts} attempts")
    if code.isascii() and code.isdigit() and 300 <= int(code) < 400:  # "refused: 307:" (27c)
        return InputError(
            f"{action}: the endpoint answered with a redirect (HTTP {code}), which AWS's "
            "APIs do not send; reportgen does not follow it",
            hint="Check AWS_ENDPOINT_URL, --region, and any proxy between you and AWS.",
        )
    return InputError(f"AWS refused {action}: {code}: {message}")
