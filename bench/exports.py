"""The JSON export figures of `make bench`: how fast an export's bytes reach the parser.

    .venv/bin/python bench/exports.py [--items 100000] [--work DIR] [--json]

Writes gzipped Resource Groups Tagging API exports (``get-resources``) and reads each with
reportgen's reader in this process, printing MB/s of unpacked JSON, CPU seconds and peak
RSS. ``normal``: ``--items`` resources with 8 tags each, as the API writes them. The others
are 25 resources each carrying one skipped field ``Junk`` of just under the 4 MB a string
may hold (about 100 MB unpacked from about 200 KB of gzip), the worst cases of the bytes
between the file and the parser: ``escaped-emoji`` (``\\ud83d\\ude00`` 320,000 times:
adversarial review, issue 20), ``escaped-quotes`` (``\\"`` 1.9 million times), ``emoji``
(the emoji as UTF-8) and ``backslashes`` (``\\\\``).
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

JUNK = {  # a string's text as written in the JSON, just under the 4 MB a string may hold
    "escaped-emoji": "\\ud83d\\ude00" * 320_000,
    "escaped-quotes": '\\"' * 1_900_000,
    "emoji": "\N{GRINNING FACE}" * 960_000,
    "backslashes": "\\\\" * 1_900_000,
}
JUNK_ITEMS = 25


def _arn(n: int) -> str:
    return f"arn:aws:ec2:eu-west-1:{111122223333 + n % 40}:instance/i-{n:017x}"


def write_normal(path: Path, items: int) -> None:
    with gzip.open(path, "wt", encoding="utf-8", compresslevel=1) as out:
        out.write('{"ResourceTagMappingList": [')
        for n in range(items):
            tags = [{"Key": f"team-{k}", "Value": f"value {n % 97} of {k}"} for k in range(8)]
            entry = {"ResourceARN": _arn(n), "Tags": tags}
            out.write(("," if n else "") + json.dumps(entry))
        out.write("]}")


def write_junk(path: Path, junk: str) -> None:
    with gzip.open(path, "wt", encoding="utf-8") as out:
        out.write('{"ResourceTagMappingList": [')
        for n in range(JUNK_ITEMS):
            tags = '[{"Key": "Environment", "Value": "production"}]'
            out.write(f'{"," if n else ""}{{"ResourceARN": "{_arn(n)}", "Junk": "{junk}", ')
            out.write(f'"Tags": {tags}}}')
        out.write("]}")


def measure(path: Path) -> dict[str, float]:
    with gzip.open(path, "rb") as unpacked:
        size = sum(len(block) for block in iter(lambda: unpacked.read(1 << 20), b""))
    wall, cpu = time.perf_counter(), time.process_time()
    raw = read_source(path, Limits())
    assert raw is not None
    rows = sum(1 for _ in raw.sheets[0].rows) - 1
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    return {
        "rows": rows,
        "unpacked_mb": size / 2**20,
        "gzip_kb": path.stat().st_size / 1024,
        "wall": wall,
        "cpu": cpu,
        "mb_per_s": size / 2**20 / wall,
        "maxrss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=100_000, help="resources of the normal one")
    parser.add_argument("--only", help="one case: normal, " + ", ".join(JUNK))
    parser.add_argument("--work", type=Path, help="keep the generated exports here")
    parser.add_argument("--json", action="store_true", help="print one JSON line only")
    args = parser.parse_args()
    results = {}
    with tempfile.TemporaryDirectory(prefix="reportgen-exports-") as scratch:
        folder = args.work or Path(scratch)
        folder.mkdir(parents=True, exist_ok=True)
        for case in ["normal", *JUNK]:
            if args.only and case != args.only:
                continue
            path = (
                folder
                / f"tagging-{case}{'-' + str(args.items) if case == 'normal' else ''}.json.gz"
            )
            if not path.exists():
                write_normal(path, args.items) if case == "normal" else write_junk(path, JUNK[case])
            results[case] = measure(path)
            if not args.json:
                r = results[case]
                print(
                    f"{case:15} {r['unpacked_mb']:7.1f} MB ({r['gzip_kb']:,.0f} KB gzipped), "
                    f"{r['rows']:,} rows: {r['wall']:5.1f} s wall, {r['cpu']:5.1f} s CPU, "
                    f"{r['mb_per_s']:6.1f} MB/s, peak RSS {r['maxrss_mb']:.0f} MB",
                    flush=True,
                )
    if args.json:
        print(json.dumps(results))


if __name__ == "__main__":
    main()
