"""Print who owns each control of a framework for a few reference services.

For catalog authors and reviewers: one line per control with its overall owner and its
owner within each service (EC2, RDS, S3, Lambda, DynamoDB by default), then the
provenance and the two responsibility statements with --long.

    python tools/owner_table.py pci-dss
    python tools/owner_table.py iso-27001 --services ec2,rds,s3 --control A.8.12 --long
    python tools/owner_table.py soc2 --json > /tmp/soc2-owners.json
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date

from reportgen.core.owners import holders_label
from reportgen.inputs import load_catalogs
from reportgen.ownership.engine import EstateService, evaluate_framework
from reportgen.ownership.provenance import label_of
from reportgen.ownership.responsibility import statements

DEFAULT_SERVICES = "ec2,rds,s3,lambda,dynamodb"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("framework")
    parser.add_argument("--services", default=DEFAULT_SERVICES, help="service ids, comma-separated")
    parser.add_argument("--control", action="append", help="only these control ids")
    parser.add_argument("--as-of", default=date.today().isoformat(), help="pack date")
    parser.add_argument(
        "--answer", action="append", default=[], help="condition answer, e.g. service-provider=no"
    )
    parser.add_argument("--long", action="store_true", help="provenance and statements too")
    parser.add_argument("--json", action="store_true", help="one JSON object per control")
    args = parser.parse_args(argv)
    catalogs = load_catalogs((), ())
    framework = catalogs.frameworks[args.framework].framework
    estate = [EstateService(sid, 1) for sid in args.services.split(",")]
    answers = {
        key: value.strip().lower() in ("yes", "y", "true")
        for key, value in (item.split("=", 1) for item in args.answer)
    }
    result = evaluate_framework(
        framework,
        catalogs.catalog,
        estate,
        conditions=answers,
        as_of=date.fromisoformat(args.as_of),
    )
    rows = []
    for control in result.controls:
        if args.control and control.control.id not in args.control:
            continue
        said = statements(control, result.services, framework.attestation.name)
        rows.append(
            {
                "id": control.control.id,
                "title": control.control.title,
                "owner": label_of(control),
                "services": {sid: holders_label(o.holders) for sid, o in control.services.items()},
                "provenance": control.provenance,
                "customer": said["customer"],
                "aws": said["aws"],
            }
        )
    for row in rows:
        if args.json:
            print(json.dumps(row, ensure_ascii=False))
            continue
        cells = "  ".join(f"{sid}={who}" for sid, who in row["services"].items())
        cells = cells or "(estate-wide duties only)"
        print(f"{row['id']:<10} {row['owner']:<18} {cells}")
        if args.long:
            print(f"    why: {row['provenance']}")
            print(f"    customer: {row['customer']}")
            print(f"    aws: {row['aws']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
