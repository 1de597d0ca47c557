"""The shapes of the answers attach reads, checked before they are used.

A server (or a proxy in front of it) can answer 200 with JSON of any shape: a list where an
object belongs, a number for a file name. Each answer attach reads is validated against the
fields it uses; one of another shape is a ticket-server failure (exit 4) that says what was
expected, never an AttributeError. Fields attach does not read are ignored.
"""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from reportgen.core.validation import error_message, key_path
from reportgen.tickets.client import TicketError

MAX_PAGES = 100  # pages of a listing read before attach stops: 10,000 comments on Jira


class _Answer(BaseModel):
    model_config = ConfigDict(extra="ignore", strict=True, frozen=True)


class JiraAttachment(_Answer):
    filename: str = ""
    size: int | None = None  # bytes


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


class ServiceNowAttachment(_Answer):
    file_name: str = ""
    size_bytes: str | None = None  # ServiceNow's Table API sends every field as a string

    @property
    def size(self) -> int | None:
        text = self.size_bytes
        return int(text) if text is not None and text.isascii() and text.isdigit() else None


class ServiceNowAttachments(_Answer):
    """``GET /api/now/attachment?sysparm_query=..``"""

    result: list[ServiceNowAttachment] = []


class ServiceNowRecords(_Answer):
    """``GET /api/now/table/sys_journal_field?..``: only whether any record matched."""

    result: list[Any] = []


AnswerT = TypeVar("AnswerT", bound=_Answer)


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


def too_many_pages(system: str, what: str) -> TicketError:
    return TicketError(
        f"{system}: {what}: more than {MAX_PAGES} pages; reportgen stops there",
        hint="A listing that long is more likely a misbehaving server than a real ticket.",
    )
