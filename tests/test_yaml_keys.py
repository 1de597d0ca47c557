"""Odd YAML keys and tags in a config or a catalog, through the real command line.

A set, list or mapping as a mapping key once reached Python's hash() and ended in an
internal error (exit 1). Every such key, and every other tag a tester tries next (!!omap,
!!pairs, !!set as a value, !!binary, !!timestamp, merge keys), is exit 2 naming the file
and the line of the offending key, or is read as the schema allows.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import write_csv

from reportgen.cli import main

HEAD = "customer:\n  name: X\n"
PLAIN = "mapping keys must be plain values, not"
READ = "is read by YAML as"
# (name, YAML after HEAD, expected exit status, fragment of stderr); the bad key is on line 3.
CONFIG_CASES = [
    ("set-key", "? !!set {a: null}\n: 1\n", 2, f"c.yaml:3: {PLAIN} a set"),
    ("nested-set-key", "raci: !!set {? !!set {a: null} : null}\n", 2, f"c.yaml:3: {PLAIN} a set"),
    ("list-key", "? [a, b]\n: 1\n", 2, f"c.yaml:3: {PLAIN} a list"),
    ("mapping-key", "? {a: 1}\n: 1\n", 2, f"c.yaml:3: {PLAIN} a mapping"),
    ("omap-key", "? !!omap [{a: 1}]\n: 1\n", 2, f"c.yaml:3: {PLAIN} a list"),
    (
        "binary-key",
        "? !!binary aGVsbG8=\n: 1\n",
        2,
        f"c.yaml:3: mapping key 'aGVsbG8=' {READ} binary",
    ),
    ("date-key", "2020-01-01: 1\n", 2, f"c.yaml:3: mapping key '2020-01-01' {READ} a date"),
    ("timestamp-key", "? !!timestamp 2020-01-01T00:00:00Z\n: 1\n", 2, f"{READ} a date"),
    ("bool-key", "on: 1\n", 2, f"c.yaml:3: mapping key 'on' {READ} a boolean; put it in quotes"),
    ("null-key", "~: 1\n", 2, f"c.yaml:3: mapping key '~' {READ} null"),
    ("number-key", "5.10: 1\n", 2, f"c.yaml:3: mapping key '5.10' {READ} a number"),
    ("merge-key", "other:\n  <<: {name: Y}\n", 2, "c.yaml:4: YAML merge keys (<<) are not allowed"),
    ("omap-value", "frameworks: !!omap [{soc2: 1}]\n", 2, "line 3: frameworks[0]: Input should be"),
    ("pairs-value", "raci: !!pairs [{roles: [A]}]\n", 2, "line 3: raci: Input should be a valid"),
    ("binary-value", "frameworks: [!!binary c29jMg==]\n", 0, ""),  # decodes to 'soc2'
    ("set-value", "frameworks: !!set {soc2: null}\n", 0, ""),
]
# A service catalog is parsed by the same loader: the same keys are refused in one.
CATALOG_CASES = [
    (
        "catalog-set-key",
        "services:\n? !!set {a: null}\n: 1\n",
        2,
        f"services.yaml:2: {PLAIN} a set",
    ),
    (
        "catalog-date-key",
        "services: []\n2024-01-01: x\n",
        2,
        f"services.yaml:2: mapping key '2024-01-01' {READ} a date",
    ),
]
CASES = CONFIG_CASES + CATALOG_CASES


def _run(name: str, body: str, folder: Path, capsys) -> tuple[int, str]:
    """reportgen's own entry point, in this process (YAML cannot abort it): exit, stderr."""
    folder.mkdir()
    write_csv(folder / "inv.csv", [["Service", "Resource ID"], ["Amazon S3", "b"]])
    config = folder / "c.yaml"
    args = ["validate", "--config", str(config), "--inventory", str(folder / "inv.csv")]
    if name.startswith("catalog-"):
        config.write_text(HEAD, encoding="utf-8")
        (folder / "services.yaml").write_text(body, encoding="utf-8")
        args += ["--catalog", str(folder / "services.yaml")]
    else:
        config.write_text(HEAD + body, encoding="utf-8")
    with pytest.raises(SystemExit) as exited:
        main(args)
        raise SystemExit(0)
    captured = capsys.readouterr()
    return exited.value.code or 0, captured.err + captured.out


@pytest.mark.parametrize(("name", "body", "status", "fragment"), CASES, ids=[c[0] for c in CASES])
def test_odd_yaml_key_or_tag(name, body, status, fragment, tmp_path, capsys) -> None:
    code, output = _run(name, body, tmp_path / name, capsys)
    report = f"exit {code}\n{output}"
    assert code == status, report
    assert "Traceback" not in output and "internal error" not in output, report
    assert fragment in " ".join(output.split()), report
