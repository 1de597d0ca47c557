"""The ticket systems ``reportgen attach`` knows, in one registry
(docs/contributing.md, "Add a ticket system").

Each system gives its config section (``attach.<name>``: base URL and the names of the
environment variables holding its credentials), a target parser (an issue key, a record id)
and a client. The config, the ``--<name>`` option of ``attach`` and the attach flow are all
built from this registry. This module imports no HTTP code: the client (httpx) is imported
only when a pack is attached, from the ``client`` path ("module:function").
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from reportgen.core.errors import InputError
from reportgen.core.plugins import TICKETS_GROUP, Registry

# (its attach.<name> section, the target, the environment, the transport: timeouts, retries
# and CA (tickets.client.Transport), dry run) -> (tickets.settings.Endpoint, the ticket). The
# config layer sits below the ticket code, so these types are named, not imported.
Opener = Callable[[Any, str, Mapping[str, str], Any, bool], tuple[Any, Any]]


class SystemSettings(BaseModel):
    """Base of a system's ``attach.<name>`` section: names of variables, never secrets."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    url: str | None = Field(default=None, max_length=500)  # not secret; else from url_env
    url_env: str


@dataclass(frozen=True)
class TicketSystem:
    name: str  # attach.<name> in the config, --<name> on `reportgen attach`
    metavar: str  # what --<name> takes: ISSUE-KEY
    help: str
    settings: type[SystemSettings]
    check_target: Callable[[str], object]  # raises InputError for a malformed target
    client: str | Opener  # "module:function", imported only when attaching

    def opener(self) -> Opener:
        if not isinstance(self.client, str):
            return self.client
        module, _, function = self.client.partition(":")
        opener: Opener = getattr(importlib.import_module(module), function)
        return opener

    def open(
        self, section: Any, target: str, environ: Mapping[str, str], transport: Any,
        dry_run: bool,
    ) -> tuple[Any, Any]:  # fmt: skip
        self.check_target(target)  # before any variable or URL is looked at
        return self.opener()(section, target, environ, transport, dry_run)


# ---------------------------------------------------------------- Jira

ISSUE_KEY = re.compile(r"[A-Z][A-Z0-9_]{0,49}-[1-9][0-9]{0,9}")


def check_key(key: str) -> str:
    if not ISSUE_KEY.fullmatch(key):
        raise InputError(f"'{key[:60]}' is not a Jira issue key", hint="Like ABC-123.")
    return key


class JiraAttachConfig(SystemSettings):
    """Where `reportgen attach --jira` finds its base URL and credentials: the names of
    environment variables, never the secrets themselves."""

    url_env: str = "REPORTGEN_JIRA_URL"
    email_env: str = "REPORTGEN_JIRA_EMAIL"
    token_env: str = "REPORTGEN_JIRA_TOKEN"
    pat_env: str = "REPORTGEN_JIRA_PAT"


# ---------------------------------------------------------------- ServiceNow

TABLE = re.compile(r"[a-z][a-z0-9_]{0,79}")
SYS_ID = re.compile(r"[0-9a-f]{32}")


def parse_record(text: str) -> tuple[str, str]:
    table, _, sys_id = text.partition(":")
    if not TABLE.fullmatch(table) or not SYS_ID.fullmatch(sys_id):
        raise InputError(
            f"'{text[:80]}' is not TABLE:SYS_ID",
            hint="Like incident:0123456789abcdef0123456789abcdef (the record's 32-hex sys_id).",
        )
    return table, sys_id


class ServiceNowAttachConfig(SystemSettings):
    url_env: str = "REPORTGEN_SERVICENOW_URL"
    user_env: str = "REPORTGEN_SERVICENOW_USER"
    password_env: str = "REPORTGEN_SERVICENOW_PASSWORD"
    token_env: str = "REPORTGEN_SERVICENOW_TOKEN"
    journal: Literal["work_notes", "comments"] = "work_notes"


TICKET_SYSTEMS: Registry[TicketSystem] = Registry(
    "ticket system",
    TICKETS_GROUP,
    TicketSystem,
    (
        TicketSystem(
            "jira", "ISSUE-KEY", "Attach to this Jira issue.", JiraAttachConfig, check_key,
            "reportgen.tickets.jira:open_ticket",
        ),
        TicketSystem(
            "servicenow", "TABLE:SYS_ID", "Attach to this ServiceNow record.",
            ServiceNowAttachConfig, parse_record, "reportgen.tickets.servicenow:open_ticket",
        ),
    ),
)  # fmt: skip


def env_names(section: BaseModel) -> list[str]:
    """The environment variable names a section gives (its ``*_env`` keys)."""
    return [getattr(section, key) for key in type(section).model_fields if key.endswith("_env")]
