"""The ownership vocabulary, its display order, labels and colours (shared by every renderer)."""

from __future__ import annotations

from typing import Literal

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


def owner_label(owner: str, party: str | None = None) -> str:
    label = OWNER_LABELS.get(owner, owner)
    if owner == THIRD_PARTY and party:
        return f"{label} ({party})"
    return label


# One sentence per owner for legends (workbook Summary and About, report legends).
OWNER_MEANINGS: dict[str, str] = {
    AWS: "AWS operates it for every in-scope service; you inherit it through AWS's attestation.",
    SHARED: "Both sides have a part: AWS for the layers it runs, you for the layers you run.",
    CUSTOMER: "You operate it, for every in-scope service.",
    THIRD_PARTY: "A party you named in an override operates it (for example your MSP).",
    NOT_APPLICABLE: "It does not apply, by your answers to the framework's conditions.",
}
