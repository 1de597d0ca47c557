"""The shapes of the answers attach reads, checked before they are used.

A server (or a proxy in front of it) can answer 200 with JSON of any shape: a list where an
object belongs, a number for a file name. Each answer attach reads is validated against the
fields it uses; one of another shape is a ticket-server failure (exit 4) that says what was
expected, never an AttributeError. Fields attach does not read are ignored.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field, RootModel, ValidationError

from reportgen.core.markdown import shorten
from reportgen.core.terminal import one_line
from reportgen.core.validation import error_message, key_path
from reportgen.tickets.client import Http, TicketError
from reportgen.tickets.transfer import Answer
from reportgen.tickets.upload import Upload

MAX_PAGES = 100  # pages of a listing read before attach stops: 10,000 comments on Jira
# A whole listing's time, its pages together: 100 pages each as slow as a request may be
# took 100 times the timeout, some 100 minutes with the defaults (pass 37c).
LISTING_SECONDS = 600.0


class _Answer(BaseModel):
    model_config = ConfigDict(extra="ignore", strict=True, frozen=True)


class JiraAttachment(_Answer):
    filename: str = ""
    size: int | None = None  # bytes


class JiraUploaded(RootModel[list[JiraAttachment]]):
    """``POST /rest/api/{2|3}/issue/{key}/attachments``: the attachments it made."""

    model_config = ConfigDict(strict=True, frozen=True)


class JiraFields(_Answer):
    attachment: list[JiraAttachment] | None = None


class JiraIssue(_Answer):
    """``GET /rest/api/{2|3}/issue/{key}?fields=attachment``"""

    fields: JiraFields = JiraFields()


class JiraComment(_Answer):
    body: Any = None


class JiraCommentPage(_Answer):
    """``GET /rest/api/{2|3}/issue/{key}/comment?startAt=..``"""

    comments: list[JiraComment] = []
    total: int = Field(default=0, ge=0)


UNREADABLE_SIZE = -1  # a listed size that cannot be read: it matches no file's size
_SIZE = re.compile(r"0*([0-9]{1,18})(?:\.0*)?")  # past 18 digits, no file's size


class ServiceNowAttachment(_Answer):
    file_name: str = ""
    size_bytes: str | None = None  # ServiceNow's Table API sends every field as a string

    @property
    def size(self) -> int | None:
        """The size listed; None when none is (the file is then taken as whole), and
        UNREADABLE_SIZE when one is that cannot be read: taken for none, a 25-digit or
        '562293.0' size skipped the upload as done (29c). At most 18 digits: 5,000 were
        past Python's int() bound, an internal error (28c)."""
        text = (self.size_bytes or "").strip()
        if not text:
            return None
        # '0000000000000562280' and '562280.00' are that size too (31a)
        found = _SIZE.fullmatch(text)
        return int(found[1]) if found else UNREADABLE_SIZE


class ServiceNowAttachments(_Answer):
    """``GET /api/now/attachment?sysparm_query=..``"""

    result: list[ServiceNowAttachment] = []


class ServiceNowUploaded(_Answer):
    """``POST /api/now/attachment/file``: the attachment record it made."""

    result: ServiceNowAttachment


class ServiceNowRecords(_Answer):
    """``GET /api/now/table/sys_journal_field?..``: only whether any record matched."""

    result: list[Any] = []


AnswerT = TypeVar("AnswerT", bound=BaseModel)


def parse(model: type[AnswerT], data: Any, system: str, what: str) -> AnswerT:
    """``data`` as ``model``; TicketError (exit 4) naming the first field that differs."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        error = exc.errors(include_url=False, include_input=False)[0]
        where = key_path(tuple(error["loc"]), data, by_id=False)  # a server's ids: anything
        raise TicketError(
            f"{system}: {what}: the answer is not what {system} sends "
            f"({where}: {error_message(error)})"
        ) from None


def pages(system: str, what: str, clock: Callable[[], float] = time.monotonic) -> Iterator[int]:
    """The numbers of a listing's pages, as they are asked for: a TicketError instead once
    MAX_PAGES have been read, or once LISTING_SECONDS have passed since the first."""
    deadline = clock() + LISTING_SECONDS
    for number in range(MAX_PAGES):
        if number and clock() > deadline:
            raise TicketError(
                f"{system}: {what}: still listing after {LISTING_SECONDS:.0f} s "
                f"({number:,} page{'s' if number != 1 else ''} read); reportgen stops there",
                hint="A listing that slow is more likely a misbehaving server than a real ticket.",
            )
        yield number
    raise too_many_pages(system, what)


def too_many_pages(system: str, what: str) -> TicketError:
    return TicketError(
        f"{system}: {what}: more than {MAX_PAGES} pages; reportgen stops there",
        hint="A listing that long is more likely a misbehaving server than a real ticket.",
    )


SHOWN_NAME = 80  # characters of a file name a server's answer gave, in a message
NOT_ATTACHED = (
    "Nothing shows the file reached the ticket whole; a sign-in page or a proxy's page "
    "answers 200 too. Check the base URL and the ticket, then run attach again."
)


def read_upload(http: Http, response: Answer, model: type[AnswerT], item: Upload) -> AnswerT:
    """An upload's answer as ``model``; TicketError (exit 4) for any other answer."""
    what = f"upload {item.name}"
    try:
        return parse(model, http.decode(response, what), http.name, what)
    except TicketError as exc:
        exc.hint = exc.hint or NOT_ATTACHED
        raise


def confirm_upload(item: Upload, made: Iterable[tuple[str, int | None]], system: str) -> None:
    """TicketError (exit 4) unless an upload's answer names ``item`` with its size: an
    answer that is not the ticket system's (a sign-in page sent with 200) was counted as
    attached, run after run (fifteenth adversarial pass)."""
    made = list(made)
    # Its size must be said, and be the size sent: an answer naming the file without one
    # was taken as the whole file (seventeenth adversarial pass). Jira and ServiceNow give
    # it in every upload's answer.
    if any(name == item.name and size == item.size for name, size in made):
        return
    raise TicketError(
        f"{system}: upload {item.name}: {_answer_said(item, made)}", hint=NOT_ATTACHED
    )


def _answer_said(item: Upload, made: list[tuple[str, int | None]]) -> str:
    said = {size for name, size in made if name == item.name and size is not None}
    sizes = sorted(size for size in said if size >= 0)
    if sizes:  # its name, another size: the server kept part of the file
        kept = ", ".join(f"{size:,}" for size in sizes)
        return f"the server says it stored {kept} bytes of {item.size:,}"
    if said:  # UNREADABLE_SIZE: it was shown as "-1 bytes" (pass 32a)
        return (
            "the answer names the file with a size that cannot be read, so nothing shows "
            "it arrived whole"
        )
    if not made:
        return "the answer names no attachment"
    if any(name == item.name for name, _ in made):
        return "the answer names the file but gives no size, so nothing shows it arrived whole"
    name, size = made[0]
    bytes_said = f" ({size:,} bytes)" if size is not None and size > 0 else ""
    shown = f"'{one_line(shorten(name, SHOWN_NAME))}'{bytes_said}"
    more = f" and {len(made) - 1:,} more" if len(made) > 1 else ""
    return f"the answer names {shown}{more}, not this file"
