"""Masking a server's error text: time against the text's length, on the worst texts.

    .venv/bin/python bench/masking.py [--json]

Each text repeats a sequence that starts an escape, a numeric token or a markup tag at
every character and runs it to its bound: the worst a server can send each of the
redactor's views. Masking (core/redact.py) is one pass a view and a decoding round, so
four times the text must take about four times as long (at most eight), and the 64 KB
reportgen reads of an error at most half a second.
"""

from __future__ import annotations

import argparse
import json
import time

from reportgen.core.redact import Redactor

WORST = {
    "css-zeros": "\\0",
    "c-hex": "0x",
    "long-names": "\\N{" + "A" * 99,
    "colour-code-parameters": "\x1b[" + "0" * 70,
    "tags": "<a" + "b" * 250,
    "decimal-escapes": "\\116",
    "percent-escapes": "%4",
    "hex-digits": "0123456789abcdef",  # where a short secret's word patterns are tried
    "offset-like-words": "000000 ",  # where each blank starts a dump's line
    # a dump line may begin after blanks: each blank of a run tried the rest of the run
    # (64 KB of spaces took over 100 s: pass 49c)
    "blanks": " ",
    "blank-lines": " " * 63 + "\n",
    "dump-lines": "00000000  41 42 43 44 45 46 47 48  41 42 43 44  |ABCDEFGHABCD|\n",
}
SMALL, LARGE = 16 * 1024, 64 * 1024


def seconds(redact: Redactor, unit: str, size: int) -> float:
    """The best of five maskings of ``size`` characters of ``unit`` repeated."""
    text = (unit * (size // len(unit) + 1))[:size]
    best = float("inf")
    for _ in range(5):
        started = time.perf_counter()
        redact.prefix(text)
        best = min(best, time.perf_counter() - started)
    return best


def measure() -> dict[str, dict[str, float]]:
    # a token, a user's Basic pair, and secrets short enough to be looked for as patterns
    redact = Redactor(
        ["jira/T0KEN~*'<é>&+ s3cr=t-7f3a9c1e5d", "s3cr3t-9", "abc", "x7Yq"],
        ["auditor@example.com:jira/T0KEN~*'<é>&+ s3cr=t-7f3a9c1e5d"],
    )
    return {
        name: {"small": seconds(redact, unit, SMALL), "large": seconds(redact, unit, LARGE)}
        for name, unit in WORST.items()
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print one JSON line only")
    figures = measure()
    if parser.parse_args().json:
        print(json.dumps(figures))
        return
    for name, times in figures.items():
        print(f"{name:24} 16 KB {times['small']:.3f} s, 64 KB {times['large']:.3f} s")


if __name__ == "__main__":
    main()
