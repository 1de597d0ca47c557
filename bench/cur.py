"""The Cost and Usage Report figure of `make bench`: a synthetic legacy CUR, read streaming.

    .venv/bin/python bench/cur.py --lines 5000000 [--resources 50000] [--work DIR] [--json]

Writes a gzipped CUR of ``--lines`` line items (the columns of a real legacy report,
``--resources`` resources, 50,000 by default, over 40 accounts and 10 regions, one line item
in 50 without a resource, one in 100 a tax or credit, quoted descriptions with commas as AWS
writes them), then reads it
with reportgen's reader in this process and prints wall and CPU seconds and peak RSS.
"""

from __future__ import annotations

import argparse
import gzip
import json
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from reportgen.inventory.limits import Limits  # noqa: E402
from reportgen.inventory.sources import read_source  # noqa: E402

COLUMNS = [
    "identity/LineItemId", "identity/TimeInterval", "bill/InvoiceId", "bill/BillingEntity",
    "bill/BillType", "bill/PayerAccountId", "bill/BillingPeriodStartDate",
    "bill/BillingPeriodEndDate", "lineItem/UsageAccountId", "lineItem/LineItemType",
    "lineItem/UsageStartDate", "lineItem/UsageEndDate", "lineItem/ProductCode",
    "lineItem/UsageType", "lineItem/Operation", "lineItem/AvailabilityZone",
    "lineItem/ResourceId", "lineItem/UsageAmount", "lineItem/CurrencyCode",
    "lineItem/UnblendedRate", "lineItem/UnblendedCost", "lineItem/LineItemDescription",
    "product/ProductName", "product/region", "product/servicecode", "pricing/unit",
    "resourceTags/user:Environment", "resourceTags/user:Owner", "resourceTags/user:pci",
]  # fmt: skip
SQS = '"First 1,000,000 Amazon SQS Requests per month are free"'  # quoted, as AWS writes it
ARN = "arn:aws:{service}:{region}:{account}:"
PRODUCTS = [
    ("AmazonEC2", "i-0{:015x}", "$0.0456 per On Demand Linux t3.medium Instance Hour"),
    ("AmazonRDS", ARN + "db:db-{:06d}", "db.r6g.large reserved instance applied"),
    ("AmazonS3", "bucket-{:06d}", "$0.023 per GB - first 50 TB / month of storage used"),
    ("AWSLambda", ARN + "function:fn-{:06d}", "AWS Lambda - Total Requests"),
    ("AWSQueueService", ARN + "q-{:06d}", SQS),
    ("AmazonDynamoDB", ARN + "table/t-{:06d}", "$0.25 per GB-Month of storage"),
    ("awskms", "", '"$0.03 per 10,000 requests"'),
    ("AmazonCloudWatch", "", "$0.01 per 1,000 metrics requested using GetMetricData API"),
]
REGIONS = ["us-east-1", "us-east-2", "us-west-2", "eu-west-1", "eu-west-2", "eu-central-1",
           "ap-southeast-1", "ap-southeast-2", "ap-northeast-1", "ca-central-1"]  # fmt: skip


def write_cur(path: Path, lines: int, resources: int = 50_000) -> None:
    accounts = [f"{100000000000 + i * 7919:012d}" for i in range(40)]
    with gzip.open(path, "wt", encoding="utf-8", newline="", compresslevel=1) as out:
        out.write(",".join(COLUMNS) + "\n")
        batch = []
        for n in range(lines):
            r = (n * 7) % resources
            code, template, description = PRODUCTS[r % len(PRODUCTS)]
            account, region = accounts[r % 40], REGIONS[r % 10]
            service = code.removeprefix("Amazon").removeprefix("AWS").lower()
            rid = template.format(r, service=service, region=region, account=account)
            rid = rid if n % 50 else ""
            kind = "Tax" if n % 100 == 1 else "Usage"
            hour = n % 24
            batch.append(
                f"li{n:010d},2026-10-01T{hour:02d}:00:00Z/2026-10-01T{hour:02d}:59:59Z,,AWS,"
                f"Anniversary,{accounts[0]},2026-10-01T00:00:00Z,2026-11-01T00:00:00Z,{account},"
                f"{kind},2026-10-01T{hour:02d}:00:00Z,2026-10-01T{hour:02d}:59:59Z,{code},"
                f"EU-BoxUsage,RunInstances,{region}a,{rid},1,USD,0.0456,0.0456,{description},"
                f"Product {code},{region},{code},Hrs,{('production', 'staging')[r % 2]},"
                f"team-{r % 12},{('yes', 'no')[r % 3 == 0]}\n"
            )
            if len(batch) == 10_000:
                out.write("".join(batch))
                batch.clear()
        out.write("".join(batch))


def measure(path: Path) -> dict[str, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    raw = read_source(path, Limits())
    rows = sum(1 for _ in raw.sheets[0].rows) - 1
    return {
        "rows": rows,
        "wall": time.perf_counter() - wall,
        "cpu": time.process_time() - cpu,
        "maxrss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "bytes": path.stat().st_size,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=5_000_000)
    parser.add_argument("--resources", type=int, default=50_000, help="distinct resources")
    parser.add_argument("--work", type=Path, help="keep the generated report here")
    parser.add_argument("--json", action="store_true", help="print one JSON line only")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="reportgen-cur-") as scratch:
        folder = args.work or Path(scratch)
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"cur-{args.lines}-{args.resources}.csv.gz"
        if not path.exists():
            started = time.perf_counter()
            write_cur(path, args.lines, args.resources)
            if not args.json:
                print(
                    f"generated {args.lines:,} line items in {time.perf_counter() - started:.1f} s"
                )
        result = {"lines": args.lines, **measure(path)}
    print(json.dumps(result) if args.json else
          f"{args.lines:,} line items -> {result['rows']:,} rows: {result['wall']:.1f} s wall, "
          f"{result['cpu']:.1f} s CPU, peak RSS {result['maxrss_mb']:.0f} MB")  # fmt: skip


if __name__ == "__main__":
    main()
