"""Resource overrides at scale: `validate` of N resource overrides on N inventory rows.

    .venv/bin/python bench/overrides.py [--count 10000] [--work DIR] [--json]

Each override names one EC2 instance by its id, the tail of the row's ARN: the engine
finds it by one look-up (ownership/engine.py ResourceIndex); matching every override
against every resource took 73 s at 10,000 (the twelfth adversarial pass).
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REPORTGEN = Path(sys.executable).with_name("reportgen")


def write_inputs(folder: Path, count: int) -> Path:
    """An inventory of ``count`` EC2 instances and a config overriding each one's OS layer."""
    ids = [f"i-{n:017x}" for n in range(count)]
    rows = [f"EC2,arn:aws:ec2:eu-west-1:111122223333:instance/{i},111122223333,eu-west-1"
            for i in ids]  # fmt: skip
    inventory = folder / "inventory.csv"
    inventory.write_text("Service,Resource,Account,Region\n" + "\n".join(rows) + "\n")
    entries = [f"  - {{resource: {i}, layer: operating-system, owner: third-party, "
               "party: MSP, justification: Patched by the MSP}" for i in ids]  # fmt: skip
    config = folder / "reportgen.yaml"
    config.write_text(
        "customer: {name: Bench Co}\ninventory: {path: inventory.csv}\n"
        "overrides:\n" + "\n".join(entries) + "\n"
    )
    return config


def measure(folder: Path, count: int) -> dict[str, float]:
    config = write_inputs(folder, count)
    started = time.perf_counter()
    subprocess.run([str(REPORTGEN), "validate", "--config", str(config)], check=True,
                   capture_output=True, cwd=ROOT)  # fmt: skip
    wall = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return {"count": count, "wall": wall, "maxrss_mb": peak}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=10_000, help="overrides (and rows)")
    parser.add_argument("--work", type=Path, help="keep the inputs here")
    parser.add_argument("--json", action="store_true", help="print one JSON line only")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="reportgen-overrides-") as scratch:
        folder = args.work or Path(scratch)
        folder.mkdir(parents=True, exist_ok=True)
        result = measure(folder, args.count)
    if args.json:
        print(json.dumps(result))
    else:
        print(f"{result['count']:,} resource overrides: validate in {result['wall']:.1f} s, "
              f"peak RSS {result['maxrss_mb']:.0f} MB")  # fmt: skip


if __name__ == "__main__":
    main()
