"""The evidence tracker's words: item statuses, implementation statuses, the Evidence sheet's
columns. One list each, shared by the workbook writer, the reader and every report.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, get_args

from reportgen.core.owners import name_key

# Where collecting one evidence item stands (matrix.json value -> workbook label).
NOT_STARTED = "not started"
REQUESTED = "requested"
COLLECTED = "collected"
ACCEPTED = "accepted"
NOT_APPLICABLE = "not applicable"
Status = Literal["not started", "requested", "collected", "accepted", "not applicable"]
STATUSES: tuple[str, ...] = get_args(Status)
STATUS_LABELS: dict[str, str] = {status: status.capitalize() for status in STATUSES}
STATUS_MEANINGS: dict[str, str] = {
    NOT_STARTED: "nobody has asked for it yet",
    REQUESTED: "asked for from the responsible person, not yet in hand",
    COLLECTED: "in hand (see the link), not yet reviewed",
    ACCEPTED: "reviewed and accepted (see Reviewed by)",
    NOT_APPLICABLE: "does not apply to this estate (say why in Notes)",
}
# Workbooks of reportgen 0.x before the tracker offered "In progress": read as requested.
STATUS_ALIASES: dict[str, str] = {"in progress": REQUESTED}
# Still to come in: past its due date, such an item is overdue.
OPEN_STATUSES = (NOT_STARTED, REQUESTED)

# One value per control, derived from its items (matrix.json controls[].implementation_status).
IMPL_NOT_STARTED = "not started"
IMPL_IN_PROGRESS = "in progress"
IMPLEMENTED = "implemented"
IMPL_NOT_APPLICABLE = "not applicable"
ImplementationStatus = Literal["not started", "in progress", "implemented", "not applicable"]
IMPLEMENTATION_STATUSES: tuple[str, ...] = get_args(ImplementationStatus)

PROVIDERS = {"customer": "Customer", "aws": "AWS"}

EVIDENCE_SHEET = "Evidence"
DATA_SHEET = "reportgen"  # hidden: what the reader needs to know where a workbook came from
WORKBOOK_SCHEMA = "reportgen.workbook/1"


@dataclass(frozen=True)
class Field:
    """A column of the Evidence sheet the team fills in, and its key in matrix.json."""

    key: str
    header: str
    kind: str  # status | text | date | link


TEAM_FIELDS: tuple[Field, ...] = (
    Field("status", "Status", "status"),
    Field("responsible_person", "Responsible person", "text"),
    Field("due_date", "Due date", "date"),
    Field("link", "Evidence link / location", "link"),
    Field("collected_on", "Collected on", "date"),
    Field("reviewed_by", "Reviewed by", "text"),
    Field("notes", "Notes", "text"),
)
TEXT_FIELDS = tuple(f.key for f in TEAM_FIELDS if f.kind != "status")

# Computed columns (reportgen fills them in) around the team's columns.
CONTROL = "Control"
TITLE = "Control title"
OWNER = "Owner"
PROVIDED_BY = "Provided by"
ITEM = "Evidence item"
RESPONSIBLE_ROLE = "Responsible role"
ACCOUNTABLE_ROLE = "Accountable role"
SORT_KEY = "Sort key"
LEADING = (CONTROL, TITLE, OWNER, PROVIDED_BY, ITEM, RESPONSIBLE_ROLE, ACCOUNTABLE_ROLE)
HEADERS: tuple[str, ...] = (*LEADING, *(f.header for f in TEAM_FIELDS), SORT_KEY)

# The RACI sheet's own columns, before and after one column per role (AWS's among them).
RACI_LEADING = (CONTROL, "Group", "Title", "Owner", "Parties")
RACI_TRAILING = ("Customer must", "AWS provides (inherited)", "Why (provenance)")
RACI_FIXED = (*RACI_LEADING, *RACI_TRAILING)


def status_from_label(text: str) -> str | None:
    """The status a cell names ('Accepted', ' accepted '), or None when it names none:
    in letters of its own (casefold() makes the long s of 'Requeſted' an s: 75a)."""
    key = " ".join(text.split())
    if not key.isascii():
        return None
    key = key.casefold()
    if key in STATUSES:
        return key
    return STATUS_ALIASES.get(key)


def header_key(text: object) -> str:
    """How a header cell is compared: as a party's or a role's name is told apart
    (``name_key``: case, spacing, compatibility forms, look-alike letters and characters
    that show as nothing do not matter). A second 'Status' with a soft hyphen or a
    variation selector in it was read as another column, what the team wrote under it
    dropped (51a, 53a, 54a, 55a)."""
    return name_key(str(text)) if text is not None else ""


def item_key(text: str) -> str:
    """Evidence items match whatever the case and spacing."""
    return " ".join(text.split()).casefold()
