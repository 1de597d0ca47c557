"""Synthetic inventories for the benchmark: a realistic mix at any size.

Every catalog service (about 250; or a few, spread over the catalog) across 40 accounts
and 10 regions; the service cell is
written as a display name, an alias, an ARN or a CloudFormation type, as real exports mix
them; a few rows name services that do not exist.

The .xlsx is written directly as SpreadsheetML (shared strings, cell references, as Excel
writes it): the generator is not what the benchmark measures, and openpyxl took 20 s for
100,000 rows where this takes about 2.
"""

from __future__ import annotations

import random
import zipfile
from collections.abc import Sequence
from pathlib import Path
from xml.sax.saxutils import escape

from reportgen.inputs import load_catalogs

HEADERS = ["Service", "Resource ID", "Account", "Region", "Environment", "Owner", "Scope", "Notes"]
REGIONS = ["us-east-1", "us-east-2", "us-west-2", "eu-west-1", "eu-central-1", "eu-west-2",
           "ap-southeast-1", "ap-southeast-2", "ap-northeast-1", "ca-central-1"]  # fmt: skip
ENVIRONMENTS = ["production", "staging", "development", "shared"]
TEAMS = ["Cloud Platform", "Security", "Application Owner", "Payments", "Data", "Identity"]
SCOPES = ["all", "PCI DSS, SOC 2", "ISO 27001", "all", "none", "SOC 2"]
UNKNOWN = ["Snowflake", "Datadog", "GitHub Actions", "Okta"]
ACCOUNTS = 40
RESOURCE_KINDS = ["Resource", "Cluster", "Policy", "Instance", "Configuration"]


def _cell(rng: random.Random, service, account: str, region: str) -> tuple[str, str]:
    """(service cell, resource cell) in one of the forms real inventories use."""
    namespace = service.namespaces[0]
    arn = f"arn:aws:{namespace}:{region}:{account}:resource/{rng.getrandbits(48):012x}"
    form = rng.random()
    if form < 0.35:
        return service.name, arn
    if form < 0.55 and service.aliases:
        return rng.choice(service.aliases), arn
    if form < 0.8:
        return arn, ""
    if service.resource_types:
        # The catalog lists 'AWS::EC2::Instance' or a whole namespace 'AWS::SQS::*'; an
        # export names one type, so a namespace becomes one of its made-up types.
        kind = rng.choice(service.resource_types)
        if kind.endswith("*"):
            kind = kind[:-1] + rng.choice(RESOURCE_KINDS)
        return kind, f"{namespace}-{rng.getrandbits(32):08x}"
    return service.name, arn


def pick_services(limit: int | None) -> list:
    """Every catalog service, or ``limit`` of them spread evenly over the catalog (by id),
    so a small estate still mixes the three service models."""
    services = sorted(load_catalogs().catalog.services.values(), key=lambda s: s.id)
    if limit is None or limit >= len(services):
        return services
    step = len(services) / limit
    return [services[int(i * step)] for i in range(limit)]


def rows(count: int, seed: int = 7, services: int | None = None) -> list[list[str]]:
    """``count`` data rows over every catalog service (or ``services`` of them); the same
    seed gives the same rows."""
    rng = random.Random(seed)
    services = pick_services(services)
    accounts = [f"{rng.randrange(10**11, 10**12):012d}" for _ in range(ACCOUNTS)]
    table = []
    for index in range(count):
        account, region = rng.choice(accounts), rng.choice(REGIONS)
        if index % 997 == 0:
            service_cell, resource = rng.choice(UNKNOWN), f"ext-{index}"
        else:
            service_cell, resource = _cell(rng, rng.choice(services), account, region)
        table.append([service_cell, resource, account, region, rng.choice(ENVIRONMENTS),
                      rng.choice(TEAMS), rng.choice(SCOPES), f"row {index}"])  # fmt: skip
    return table


def write_inventory(path: Path, count: int, seed: int = 7, services: int | None = None) -> Path:
    """Write an .xlsx inventory of ``count`` data rows below a header row."""
    write_xlsx(path, [HEADERS, *rows(count, seed, services)])
    return path


# ---------------------------------------------------------------- a lean .xlsx writer

_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG = "http://schemas.openxmlformats.org/package/2006"
_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml"
_PARTS = {
    "[Content_Types].xml": (
        f'<Types xmlns="{_PKG}/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
        'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
        f'<Override PartName="/xl/workbook.xml" ContentType="{_TYPE}.sheet.main+xml"/>'
        f'<Override PartName="/xl/worksheets/sheet1.xml" ContentType="{_TYPE}.worksheet+xml"/>'
        f'<Override PartName="/xl/sharedStrings.xml" ContentType="{_TYPE}.sharedStrings+xml"/>'
        "</Types>"
    ),
    "_rels/.rels": (
        f'<Relationships xmlns="{_PKG}/relationships"><Relationship Id="rId1" '
        f'Type="{_REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>'
    ),
    "xl/workbook.xml": (
        f'<workbook xmlns="{_NS}" xmlns:r="{_REL}"><sheets>'
        '<sheet name="Inventory" sheetId="1" r:id="rId1"/></sheets></workbook>'
    ),
    "xl/_rels/workbook.xml.rels": (
        f'<Relationships xmlns="{_PKG}/relationships">'
        f'<Relationship Id="rId1" Type="{_REL}/worksheet" Target="worksheets/sheet1.xml"/>'
        f'<Relationship Id="rId2" Type="{_REL}/sharedStrings" Target="sharedStrings.xml"/>'
        "</Relationships>"
    ),
}
_DECLARATION = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'


def write_xlsx(path: Path, table: Sequence[Sequence[str]]) -> None:
    """One sheet of text cells, shared strings, every cell with its reference: the shape
    Excel saves. Fixed zip times, so the same table gives the same bytes."""
    strings: dict[str, int] = {}
    letters = [chr(65 + i) for i in range(len(table[0]))]
    body = []
    for number, values in enumerate(table, start=1):
        cells = "".join(
            f'<c r="{letter}{number}" t="s"><v>{strings.setdefault(value, len(strings))}</v></c>'
            for letter, value in zip(letters, values, strict=False)
            if value
        )
        body.append(f'<row r="{number}">{cells}</row>')
    sheet = f'<worksheet xmlns="{_NS}"><sheetData>{"".join(body)}</sheetData></worksheet>'
    shared = "".join(f"<si><t>{escape(text)}</t></si>" for text in strings)
    sst = f'<sst xmlns="{_NS}" count="{len(strings)}" uniqueCount="{len(strings)}">{shared}</sst>'
    parts = {
        **_PARTS,
        "xl/worksheets/sheet1.xml": sheet,
        "xl/sharedStrings.xml": sst,
    }
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in parts.items():
            info = zipfile.ZipInfo(name, (2025, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, _DECLARATION + text)
