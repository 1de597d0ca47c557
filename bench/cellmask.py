"""Masking a snapshot's cells of older credential renewals: time a cell, on the worst secrets.

    .venv/bin/python bench/cellmask.py [--json]

A pull whose role credentials are renewed before each of its 20,000 pages holds 60,000
older secrets (a key, a secret and a token a renewal), and a server may make them alike:
sharing AWS's 55-character start, made of two letters, one letter repeated at every
length, or alike but for one letter. Each family is indexed once and a 32 KB cell (the
``--max-cell-chars`` default) made of what they are made of is masked: the time a cell
must stay in step with the cell's length, not with the renewals: a cell's walks are held
to a budget, and one past it is masked whole (the last family), and the index must take a
few seconds at most.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import string
import subprocess
import sys
import time
from collections.abc import Callable

from reportgen.inventory.pull.cellmask import CellMask

CELL = 32_767
_AWS_START = "IQoJb3JpZ2luX2VjEJr//////////wEaCXVzLWVhc3QtMSJHMEUCIQ"


def _aws(rng: random.Random) -> tuple[list[str], str]:
    letters = string.ascii_letters + string.digits + "/+"
    tokens = [_AWS_START + "".join(rng.choices(letters, k=900)) for _ in range(20_000)]
    keys = ["ASIA" + "".join(rng.choices(string.ascii_uppercase, k=16)) for _ in range(20_000)]
    cell = (_AWS_START * (CELL // len(_AWS_START) + 1))[:CELL]
    return tokens + keys, cell


def _two_letters(rng: random.Random) -> tuple[list[str], str]:
    return ["".join(rng.choices("ab", k=24)) for _ in range(60_000)], "".join(
        rng.choices("ab", k=CELL)
    )


def _one_letter_repeated(rng: random.Random) -> tuple[list[str], str]:
    return ["q" * size for size in range(15, 10_015)], "q" * CELL


def _one_letter_off(rng: random.Random) -> tuple[list[str], str]:
    older = ["a" * i + "b" + "a" * (999 - i) for i in range(1000)]
    older += ["a" * i + "b" + "a" * (50 - i) for i in range(51)]
    return older, "a" * CELL


def _long_alike(rng: random.Random) -> tuple[list[str], str]:
    return ["a" * 15_980 + chr(0x100 + i) + "a" * 20 for i in range(16)], "a" * CELL


def _ending_otherwise(rng: random.Random) -> tuple[list[str], str]:
    """Past the budget a cell's walks are held to: the cell is masked whole."""
    return ["a" * (size - 1) + "b" for size in range(65, 1065)], "a" * CELL


FAMILIES: dict[str, Callable[[random.Random], tuple[list[str], str]]] = {
    "aws-like (40,000)": _aws,
    "two letters (60,000)": _two_letters,
    "one letter repeated (10,000)": _one_letter_repeated,
    "alike but one letter (1,051)": _one_letter_off,
    "long alike (16 of 16 KB)": _long_alike,
    "a run, then b (1,000)": _ending_otherwise,
}


def measure_one(name: str) -> dict[str, float]:
    """One family, in this process: its index's time and peak memory, and a cell's time."""
    older, cell = FAMILIES[name](random.Random(1))
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    mask = CellMask(["AKIALASTINGKEY000001"], older)
    built = time.perf_counter() - started
    grown = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
    started = time.perf_counter()
    mask(cell)
    cell_s = time.perf_counter() - started
    return {
        "index_s": built,
        "index_mb": grown / 1024,
        "cell_s": cell_s,
        "whole": mask.masked_whole,
    }


def measure() -> dict[str, dict[str, float]]:
    """Each family in a fresh process, so that each peak is its own."""
    figures = {}
    for name in FAMILIES:
        command = [sys.executable, __file__, "--only", name]
        done = subprocess.run(command, capture_output=True, text=True, check=True)
        figures[name] = json.loads(done.stdout)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print one JSON line only")
    parser.add_argument("--only", choices=FAMILIES, help="one family, in this process")
    args = parser.parse_args()
    if args.only:
        print(json.dumps(measure_one(args.only)))
        return
    figures = measure()
    if args.json:
        print(json.dumps(figures))
        return
    for name, f in figures.items():
        print(
            f"{name:30} index {f['index_s']:5.2f} s {f['index_mb']:6.1f} MB more, "
            f"32 KB cell {f['cell_s']:.3f} s{' (masked whole)' if f['whole'] else ''}"
        )


if __name__ == "__main__":
    main()
