"""The inventory fields reportgen understands and the header names it accepts for each."""

from __future__ import annotations

import re

# Field -> accepted header names. Matching ignores case, spaces, '_' and '-'.
FIELDS: dict[str, tuple[str, ...]] = {
    "service": (
        "service",
        "aws service",
        "service name",
        "aws service name",
        "aws product",
        "product",
        "product name",
        "service id",
        "service code",
        "svc",
        "svc name",
        "aws svc",
    ),
    "resource_type": (
        "resource type",
        "aws resource type",
        "cloudformation type",
        "cfn type",
        "config resource type",
        "type",
    ),
    "resource": (
        "resource id",
        "resource",
        "arn",
        "resource arn",
        "resource name",
        "resource identifier",
        "identifier",
        "name",
    ),
    "account": (
        "account",
        "account id",
        "aws account",
        "aws account id",
        "account number",
        "account no",
        "account name",
        "account alias",
        "acct",
        "acct id",
        "acct no",
        "aws acct",
        "owner account",
        "owner account id",
        "owning account",
        "owning account id",
        "linked account",
        "linked account id",
        "usage account",
        "usage account id",
        "member account",
    ),
    "region": ("region", "aws region", "region code", "region name", "location"),
    "environment": ("environment", "env", "stage", "tier"),
    "owner": (
        "owner",
        "team",
        "owner team",
        "owning team",
        "responsible team",
        "technical owner",
        "service owner",
    ),
    "classification": ("data classification", "classification", "data class", "sensitivity"),
    "scope": (
        "scope",
        "frameworks",
        "framework",
        "in scope",
        "audit scope",
        "compliance scope",
    ),
    "notes": ("notes", "note", "comments", "comment", "remarks", "description"),
}

# Fields that can identify the service of a row, in the order they are tried.
SERVICE_SOURCES = ("service", "resource_type", "resource")

_NON_ALNUM = re.compile(r"[^0-9a-z]+")


def header_key(text: str) -> str:
    """Comparable form of a header cell: 'AWS_Service ' -> 'awsservice'."""
    return _NON_ALNUM.sub("", text.casefold())


HEADER_ALIASES: dict[str, str] = {
    header_key(alias): field for field, aliases in FIELDS.items() for alias in aliases
}


# Second pass for headers no alias matched: words that identify a field ("Resource ARN / ID",
# "Owning team (primary)"). Checked in this order; each field is taken once.
FIELD_KEYWORDS: tuple[tuple[str, tuple[frozenset[str], ...]], ...] = (
    ("resource_type", (frozenset({"resource", "type"}),)),
    ("resource", (frozenset({"arn"}), frozenset({"resource", "id"}), frozenset({"resource"}))),
    ("service", (frozenset({"service"}),)),
    ("account", (frozenset({"account"}),)),
    ("region", (frozenset({"region"}),)),
    ("environment", (frozenset({"environment"}), frozenset({"env"}))),
    ("owner", (frozenset({"owner"}), frozenset({"team"}))),
    ("classification", (frozenset({"classification"}),)),
    ("scope", (frozenset({"scope"}), frozenset({"frameworks"}))),
    ("notes", (frozenset({"notes"}), frozenset({"comments"}))),
)

_WORD = re.compile(r"[0-9a-z]+")


def header_words(text: str) -> frozenset[str]:
    return frozenset(_WORD.findall(text.casefold()))


def keyword_field(text: str, taken: set[str]) -> str | None:
    """The field a header names by its words, when no alias matched it exactly."""
    words = header_words(text)
    for field, patterns in FIELD_KEYWORDS:
        if field not in taken and any(pattern <= words for pattern in patterns):
            return field
    return None
