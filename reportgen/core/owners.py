"""The ownership vocabulary, its display order, labels and colours (shared by every renderer)."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Sequence
from typing import Literal

from reportgen.core.redact import IGNORABLE

Owner = Literal["aws", "customer", "shared", "third-party", "not-applicable"]
ModelOwner = Literal["aws", "customer", "shared"]
CatalogOverrideOwner = Literal["aws", "customer", "shared", "not-applicable"]

AWS = "aws"
CUSTOMER = "customer"
SHARED = "shared"
THIRD_PARTY = "third-party"
NOT_APPLICABLE = "not-applicable"

# Display order everywhere: inherited first, then what the customer must act on.
OWNER_ORDER: tuple[str, ...] = (AWS, SHARED, CUSTOMER, THIRD_PARTY, NOT_APPLICABLE)

OWNER_LABELS: dict[str, str] = {
    AWS: "AWS",
    SHARED: "Shared",
    CUSTOMER: "Customer",
    THIRD_PARTY: "Third party",
    NOT_APPLICABLE: "Not applicable",
}

# One palette for the PDF and the workbook: (fill, text) as hex RGB without '#'.
# Chosen for contrast (WCAG AA for text on fill) and to stay distinct in greyscale print.
OWNER_COLOURS: dict[str, tuple[str, str]] = {
    AWS: ("FFE8C2", "5C3A00"),
    SHARED: ("DCD3F5", "33206E"),
    CUSTOMER: ("CFE6FA", "0B3A63"),
    THIRD_PARTY: ("D6F0DC", "14532D"),
    NOT_APPLICABLE: ("EEEEEE", "4A4A4A"),
}


OwnerKey = tuple[str, str | None]  # (owner, third party's name)
AWS_KEY: OwnerKey = (AWS, None)
CUSTOMER_KEY: OwnerKey = (CUSTOMER, None)


def holders_of(owner: str, party: str | None = None) -> tuple[OwnerKey, ...]:
    """The parties an owner value stands for: ``shared`` (by the model) is AWS and you."""
    if owner == SHARED:
        return (AWS_KEY, CUSTOMER_KEY)
    if owner == NOT_APPLICABLE:
        return ()
    return ((owner, party if owner == THIRD_PARTY else None),)


def ordered(keys: Iterable[OwnerKey]) -> tuple[OwnerKey, ...]:
    """AWS, then the customer, then third parties by name; no repeats."""
    rank = {AWS: 0, CUSTOMER: 1, THIRD_PARTY: 2}
    return tuple(sorted(set(keys), key=lambda k: (rank.get(k[0], 3), k[1] or "")))


def owner_of(holders: Sequence[OwnerKey]) -> OwnerKey:
    """One holder -> its owner value; several -> shared; none -> not applicable."""
    if not holders:
        return (NOT_APPLICABLE, None)
    if len(holders) == 1:
        return holders[0]
    return (SHARED, None)


# Cyrillic and Greek letters drawn like Latin ones (Unicode's confusables, UTS #39), as
# those Latin letters: 'АWS' with a Cyrillic А reads as AWS.
_LOOK_ALIKES = str.maketrans(
    "АВЕКМНОРСТХЅІЈаеорсухѕіјԁһӏԛԝΑΒΕΖΗΙΚΜΝΟΡΤΥΧοιν",
    "ABEKMHOPCTXSIJaeopcyxsijdhlqwABEZHIKMNOPTYXoiv",
)


def name_key(name: str) -> str:
    """A party's or role's name as a reader tells it apart: compatibility forms as their
    plain letters (NFKC: fullwidth 'ＡＷＳ' is 'AWS'), invisible characters dropped (format
    characters such as the zero-width space and soft hyphen, the other default-ignorable
    code points), Cyrillic and Greek look-alikes as Latin letters, white space collapsed,
    case folded. 'AWS\u200b' and 'Amazon  Web Services' were accepted as third parties and
    shown as a second AWS (fifteenth pass)."""
    text = unicodedata.normalize("NFKC", name)
    text = "".join(c for c in text if not _invisible(c))
    text = text.translate(_LOOK_ALIKES)
    return unicodedata.normalize("NFKC", " ".join(text.split()).casefold())


def _invisible(char: str) -> bool:
    """A character a reader cannot see: a format character, one Unicode reserves to show
    as nothing, a control character that is not white space (the workbook's writer drops
    them: a role 'Ops\x9f' was written 'Ops' and its letters lost: 56a), the Braille
    blank (a second 'Status\u2800' read as another column: 56a)."""
    category = unicodedata.category(char)
    return (
        category == "Cf"
        or char in IGNORABLE
        or char == "\u2800"
        or (category == "Cc" and not char.isspace())
    )


def spelt_out(name: str) -> str:
    """``name`` with its invisible characters as escapes (``\\u200b``), for a message that
    says it looks like another name: printed as they are, they show nothing."""
    return "".join(_escape(c) if _invisible(c) else c for c in name)


def _escape(char: str) -> str:
    """Python's escape of ``char``: above U+FFFF, ``\\U`` and eight digits (``\\ue0020``
    read as U+E002 and a '0', a character the name does not hold: pass 69a)."""
    code = ord(char)
    return f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"


def holder_name(key: OwnerKey) -> str:
    """'AWS', 'Customer' or the third party's own name."""
    owner, party = key
    if owner == THIRD_PARTY and party:
        return party
    return OWNER_LABELS.get(owner, owner)


def holders_label(holders: Sequence[OwnerKey]) -> str:
    """'AWS', 'Customer', 'Stackwise Ltd', or 'Customer, Stackwise Ltd' for several."""
    return ", ".join(holder_name(key) for key in holders) or OWNER_LABELS[NOT_APPLICABLE]


def owner_label(owner: str, party: str | None = None) -> str:
    label = OWNER_LABELS.get(owner, owner)
    if owner == THIRD_PARTY and party:
        return f"{label} ({party})"
    return label


# One sentence per owner for legends and glossaries (workbook Summary and About, PDF).
OWNER_MEANINGS: dict[str, str] = {
    AWS: "Inherited: only AWS carries its duties, for its own estate and the services "
    "concerned; your evidence is AWS's attestation, which you obtain and review.",
    SHARED: "More than one party carries a duty: AWS (inherited) and you, or you and a named "
    "third party. Each part is evidenced by whoever carries it.",
    CUSTOMER: "Only you carry its duties, for every in-scope service and your own estate.",
    THIRD_PARTY: "Only a party you named in an override (for example your MSP) carries its "
    "duties; you stay accountable and collect its evidence.",
    NOT_APPLICABLE: "It does not apply: by your answers to the framework's conditions, or by "
    "its effective dates.",
}

# A control whose service cells have different owners (you patch EC2, AWS patches RDS):
# shown in place of the overall owner. Not the same as joint responsibility.
SPLIT_LABEL = "Split by service"


def control_label(owner: str, party: str | None, split: bool) -> str:
    """A control's overall owner as a reader sees it: 'Split by service' where it is. The
    build writes it, and a pack's matrix is checked against it."""
    return SPLIT_LABEL if split else owner_label(owner, party)


SPLIT_MEANING = (
    "The owner differs from one service to another (for example you patch EC2's guest OS "
    "and AWS patches RDS's): read the service cells. This is not joint responsibility."
)
