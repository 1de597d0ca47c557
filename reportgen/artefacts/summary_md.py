"""summary.md's part on the artefacts: per framework the document version, the AWS
attestation relied on and the in-scope services outside its list; the third parties and
the inventory rows that name them."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from reportgen.core import markdown as md


def artefact_lines(matrices: dict[str, dict[str, Any]]) -> Iterator[str]:
    yield "## Document control and AWS attestations\n"
    rows = []
    for matrix in matrices.values():
        document = matrix["document"]
        relied = matrix["aws_attestation"]["relied_on"]
        coverage = matrix["aws_attestation"]["coverage"]
        names = {s["id"]: s["name"] for s in matrix["services"]}
        outside = sorted(
            names.get(s, s) for s in (coverage["not_covered"] + coverage["not_listed"])
        ) if coverage else []  # fmt: skip
        rows.append(
            [
                md.escape(matrix["framework"]["name"]),
                md.escape(document["version"]),
                md.escape(document["next_review"]),
                md.escape(_relied_on(relied)),
                md.escape(", ".join(outside) or "none") if coverage else "no list",
            ]
        )
    headers = ["Framework", "Version", "Next review", "AWS attestation relied on"]
    yield md.table([*headers, "In scope, not on its list"], rows) + "\n"
    first = next(iter(matrices.values()))
    if any(m["aws_attestation"]["coverage"] for m in matrices.values()):
        as_of = next(
            m["aws_attestation"]["coverage"]["as_of"]
            for m in matrices.values()
            if m["aws_attestation"]["coverage"]
        )
        yield (
            f"Services not on the list of services an AWS attestation covers (list as of "
            f"{as_of}) cannot inherit AWS's part of a control until coverage is confirmed in "
            "AWS Artifact.\n"
        )
    yield from _providers(first)
    yield from _outside(first)


def _relied_on(relied: dict[str, Any] | None) -> str:
    if not relied:
        return "not recorded: obtain the current one from AWS Artifact"
    return ", ".join(v for v in (relied["version"], relied["date"], relied["assessor"]) if v)


def _providers(matrix: dict[str, Any]) -> Iterator[str]:
    parties = matrix["third_parties"]
    if not parties:
        return
    names = ", ".join(md.escape(p["name"]) for p in parties)
    yield f"Third-party service providers besides AWS: {names}.\n"


def _outside(matrix: dict[str, Any]) -> Iterator[str]:
    """Rows of declared providers; the unresolved rest is counted under Scope."""
    rows = matrix["scope"]["third_party_rows"]
    if rows:
        yield (
            f"{md.number(rows)} inventory row(s) name a declared third-party provider: "
            "outside the AWS matrix, listed with the providers.\n"
        )
