"""How long the Excel RACI workbook takes to write, and how much memory, at scale.

Run: .venv/bin/python bench/xlsx_scale.py [--rows 100000] [--framework pci-dss] [--sample]

Generates an inventory of --rows rows (services written as names, ARNs and CloudFormation
types, as a real export has them), reads and computes it once, then writes the workbook in
a forked child (as `reportgen build` renders) and reports the child's wall time and peak
RSS. For comparison, a second child writes the same Inventory rows with bare openpyxl
write-only mode (no styles, no other sheets): the ratio shows what the workbook's styling,
safety and other sheets cost on top of openpyxl itself.
"""

from __future__ import annotations

import argparse
import csv
import os
import struct
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from openpyxl import Workbook

from reportgen.inputs import RunOptions
from reportgen.pipeline import BuildOptions, jobs_for, prepare
from reportgen.render import FrameworkJob
from reportgen.render.xlsx import write_xlsx
from reportgen.render.xlsx_sheets import INVENTORY_COLUMNS, inventory_rows

ROOT = Path(__file__).resolve().parent.parent
SERVICES = [
    ("Amazon EC2", "arn:aws:ec2:eu-west-1:{acct}:instance/i-{n:017x}"),
    ("AWS::S3::Bucket", "arn:aws:s3:::bucket-{n}"),
    ("Amazon RDS", "arn:aws:rds:eu-west-1:{acct}:db:db-{n}"),
    ("AWS Lambda", "arn:aws:lambda:eu-west-1:{acct}:function:fn-{n}"),
    ("DynamoDB", "arn:aws:dynamodb:eu-west-1:{acct}:table/t-{n}"),
    ("Amazon SQS", "arn:aws:sqs:eu-west-1:{acct}:q-{n}"),
    ("AWS KMS", "arn:aws:kms:eu-west-1:{acct}:key/{n:08x}-0000-4000-8000-000000000000"),
    ("Amazon EBS", "arn:aws:ec2:eu-west-1:{acct}:volume/vol-{n:017x}"),
    ("Elastic Load Balancing", "arn:aws:elasticloadbalancing:eu-west-1:{acct}:lb/app/{n}"),
    ("Amazon CloudWatch", "arn:aws:cloudwatch:eu-west-1:{acct}:alarm:a-{n}"),
]
ACCOUNTS = ["111122223333", "444455556666", "777788889999", "210987654321"]
TEAMS = ["Cloud Platform", "Security", "Application Owner", "Payments Engineering"]
CONFIG = """\
customer:
  name: Scale Test Ltd
frameworks: [{framework}]
inventory:
  path: inventory.csv
raci:
  roles: [Cloud Platform, Security, Application Owner, Compliance]
  accountable: Security
  informed: [Compliance]
"""


def make_inventory(directory: Path, rows: int, framework: str) -> Path:
    with (directory / "inventory.csv").open("w", newline="", encoding="utf-8") as handle:
        out = csv.writer(handle)
        out.writerow(
            ["Service", "Resource ID", "Account", "Region", "Environment", "Owner", "Notes"]
        )
        for n in range(rows):
            service, arn = SERVICES[n % len(SERVICES)]
            acct = ACCOUNTS[n % len(ACCOUNTS)]
            out.writerow(
                [
                    service,
                    arn.format(acct=acct, n=n),
                    acct,
                    "eu-west-1",
                    "production" if n % 3 else "staging",
                    TEAMS[n % len(TEAMS)],
                    f"resource {n} of the generated estate" if n % 5 == 0 else "",
                ]
            )
    config = directory / "reportgen.yaml"
    config.write_text(CONFIG.format(framework=framework), encoding="utf-8")
    return config


def status_mb(field: str) -> float:
    """A memory figure of this process from /proc/self/status, in MB (Linux)."""
    with open("/proc/self/status") as handle:
        for line in handle:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    return float("nan")


@dataclass(frozen=True)
class Run:
    wall: float  # seconds
    cpu: float  # user + system seconds: steadier than wall time on a busy machine
    start_mb: float  # resident memory of the writing process when it starts writing
    peak_mb: float  # and its high-water mark when it is done

    def __str__(self) -> str:
        return (
            f"{self.wall:6.2f} s wall {self.cpu:6.2f} s CPU   "
            f"RSS {self.start_mb:4.0f} -> peak {self.peak_mb:4.0f} MB"
        )


def in_child(work: Callable[[], None]) -> Run:
    """Run ``work`` in a forked child, as `reportgen build` renders a framework."""
    reader, writer = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(reader)
        start = status_mb("VmRSS")
        started = time.perf_counter()
        work()
        wall = time.perf_counter() - started
        os.write(writer, struct.pack("ddd", wall, start, status_mb("VmHWM")))
        os._exit(0)
    os.close(writer)
    wall, start, peak = struct.unpack("ddd", os.read(reader, 24))
    _, status, usage = os.wait4(pid, 0)
    if status != 0:
        sys.exit(f"child failed with status {status}")
    return Run(wall, usage.ru_utime + usage.ru_stime, start, peak)


def best(runs: list[Run]) -> Run:
    """The least disturbed of several runs: each figure's minimum."""
    return Run(*(min(getattr(r, f) for r in runs) for f in ("wall", "cpu", "start_mb", "peak_mb")))


def bare_openpyxl(job: FrameworkJob, target: Path) -> Callable[[], None]:
    def work() -> None:
        wb = Workbook(write_only=True)
        ws = wb.create_sheet("Inventory")
        ws.append([c.header for c in INVENTORY_COLUMNS])
        for row in inventory_rows(job):
            ws.append(row)
        wb.save(target)

    return work


def measure(config: Path, framework: str, label: str, repeat: int) -> None:
    started = time.perf_counter()
    inputs, matrices = prepare(RunOptions(config=config, frameworks=(framework,)))
    read = time.perf_counter() - started
    with tempfile.TemporaryDirectory() as out:
        options = BuildOptions(run=RunOptions(config=config))
        job = jobs_for(inputs, matrices, Path(out), options)[0]
        job.folder.mkdir(parents=True)
        rows = sum(1 for _ in inventory_rows(job))
        ours = best([in_child(lambda: write_xlsx(job)) for _ in range(repeat)])
        size = os.path.getsize(next(job.folder.glob("*.xlsx"))) / 1e6
        bare = best([in_child(bare_openpyxl(job, Path(out) / "bare.xlsx")) for _ in range(repeat)])
    cells = rows * len(INVENTORY_COLUMNS)
    print(f"{label}: {rows:,} inventory rows in scope ({cells:,} cells), {framework}")
    print(f"  read + compute           {read:6.2f} s wall")
    print(f"  reportgen workbook       {ours}   {size:.1f} MB file")
    print(f"  bare openpyxl Inventory  {bare}")
    ratio = f"{ours.wall / bare.wall:7.2f} x wall {ours.cpu / bare.cpu:5.2f} x CPU"
    print(f"  ratio                    {ratio}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--framework", default="pci-dss")
    parser.add_argument("--sample", action="store_true", help="also measure the sample pack")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each; the best counts")
    args = parser.parse_args()
    os.environ.setdefault("SOURCE_DATE_EPOCH", "1790000000")
    if args.sample:
        measure(ROOT / "inputs" / "reportgen.yaml", args.framework, "sample", args.repeat)
    with tempfile.TemporaryDirectory() as directory:
        config = make_inventory(Path(directory), args.rows, args.framework)
        measure(config, args.framework, "generated", args.repeat)


if __name__ == "__main__":
    main()
