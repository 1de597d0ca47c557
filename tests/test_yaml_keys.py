"""Odd YAML keys and tags in a config or a catalog, through the real command line.

A set, list or mapping as a mapping key once reached Python's hash() and ended in an
internal error (exit 1). Every such key, and every other tag a tester tries next (!!omap,
!!pairs, !!set as a value, !!binary, !!timestamp, merge keys), is exit 2 naming the file
and the line of the offending key, or is read as the schema allows.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from conftest import ROOT, write_csv

from reportgen.cli import main
from reportgen.core.errors import InputError
from reportgen.core.yamlio import DEFAULT_MAX_YAML_BYTES, load_yaml, max_yaml_nodes

HEAD = "customer:\n  name: X\n"
PLAIN = "mapping keys must be plain values, not"
READ = "is read by YAML as"
TAG = "the YAML tag"
# (name, YAML after HEAD, expected exit status, fragment of stderr); the bad key is on line 3.
CONFIG_CASES = [
    ("set-key", "? !!set {a: null}\n: 1\n", 2, f"c.yaml:3: {TAG} !!set"),
    ("nested-set-key", "raci: !!set {? !!set {a: null} : null}\n", 2, f"c.yaml:3: {TAG} !!set"),
    ("list-key", "? [a, b]\n: 1\n", 2, f"c.yaml:3: {PLAIN} a list"),
    ("mapping-key", "? {a: 1}\n: 1\n", 2, f"c.yaml:3: {PLAIN} a mapping"),
    ("omap-key", "? !!omap [{a: 1}]\n: 1\n", 2, f"c.yaml:3: {TAG} !!omap"),
    (
        "binary-key",
        "? !!binary aGVsbG8=\n: 1\n",
        2,
        f"c.yaml:3: {TAG} !!binary",
    ),
    ("date-key", "2020-01-01: 1\n", 2, f"c.yaml:3: mapping key '2020-01-01' {READ} a date"),
    ("timestamp-key", "? !!timestamp 2020-01-01T00:00:00Z\n: 1\n", 2, f"{READ} a date"),
    ("bool-key", "on: 1\n", 2, f"c.yaml:3: mapping key 'on' {READ} a boolean; put it in quotes"),
    ("null-key", "~: 1\n", 2, f"c.yaml:3: mapping key '~' {READ} null"),
    ("number-key", "5.10: 1\n", 2, f"c.yaml:3: mapping key '5.10' {READ} a number"),
    ("merge-key", "other:\n  <<: {name: Y}\n", 2, "c.yaml:4: YAML merge keys (<<) are not allowed"),
    ("omap-value", "frameworks: !!omap [{soc2: 1}]\n", 2, f"c.yaml:3: {TAG} !!omap"),
    ("pairs-value", "raci: !!pairs [{roles: [A]}]\n", 2, f"c.yaml:3: {TAG} !!pairs"),
    # These were read (the first as 'soc2'); no value reportgen reads is binary or a set.
    ("binary-value", "frameworks: [!!binary c29jMg==]\n", 2, f"c.yaml:3: {TAG} !!binary"),
    ("set-value", "frameworks: !!set {soc2: null}\n", 2, f"c.yaml:3: {TAG} !!set"),
]
# A service catalog is parsed by the same loader: the same keys are refused in one.
CATALOG_CASES = [
    (
        "catalog-set-key",
        "services:\n? !!set {a: null}\n: 1\n",
        2,
        f"services.yaml:2: {TAG} !!set",
    ),
    # Fourth adversarial pass: a flow list of millions of items, under the size limit,
    # took 14 s and 930 MB before it was refused. Its nodes are counted before the tree.
    (
        "catalog-too-many-nodes",
        "services: []\nx: [" + "0," * 200_000 + "0]\n",
        2,
        "services.yaml:2: the file holds more than 200,000 YAML nodes",
    ),
    (
        "catalog-date-key",
        "services: []\n2024-01-01: x\n",
        2,
        f"services.yaml:2: mapping key '2024-01-01' {READ} a date",
    ),
]
CASES = CONFIG_CASES + CATALOG_CASES


def _run(name: str, body: str, folder: Path, capsys, head: str = HEAD) -> tuple[int, str]:
    """reportgen's own entry point, in this process (YAML cannot abort it): exit, stderr."""
    folder.mkdir()
    write_csv(folder / "inv.csv", [["Service", "Resource ID"], ["Amazon S3", "b"]])
    config = folder / "c.yaml"
    args = ["validate", "--config", str(config), "--inventory", str(folder / "inv.csv")]
    if name.startswith("catalog-"):
        config.write_text(head, encoding="utf-8")
        (folder / "services.yaml").write_text(body, encoding="utf-8")
        args += ["--catalog", str(folder / "services.yaml")]
    else:
        config.write_text(head + body, encoding="utf-8")
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


LONG = "a number written with"
# An integer scalar longer than Python converts (4,300 digits) was an internal error
# (exit 1); hex and sexagesimal forms build huge integers instead. Each is exit 2 at its line.
LONG_NUMBERS = [
    ("customer-name", "customer:\n  name: {n}\n", "9" * 5000, "c.yaml:2"),
    ("header-row", HEAD + "inventory:\n  header_row: {n}\n", "9" * 4400, "c.yaml:4"),
    ("attach-timeout", HEAD + "attach:\n  timeout: {n}\n", "9" * 4301, "c.yaml:4"),
    ("hex", "customer:\n  name: {n}\n", "0x" + "f" * 5000, "c.yaml:2"),
    ("sexagesimal", "customer:\n  name: {n}\n", "1" + ":59" * 3000, "c.yaml:2"),
    ("tagged", "customer:\n  name: !!int '{n}'\n", "9" * 4301, "c.yaml:2"),
    ("underscored", "customer:\n  name: {n}\n", "9_" * 200 + "9", "c.yaml:2"),
]


@pytest.mark.parametrize(
    ("name", "template", "number", "where"), LONG_NUMBERS, ids=[c[0] for c in LONG_NUMBERS]
)
def test_long_integer_in_config_is_refused_at_its_line(
    name, template, number, where, tmp_path, capsys
) -> None:
    code, output = _run(name, template.format(n=number), tmp_path / name, capsys, head="")
    report = f"exit {code}\n{output[:2000]}"
    assert code == 2, report
    assert "internal error" not in output and "Traceback" not in output, report
    assert f"{where}: {LONG}" in output and "put it in quotes" in output, report


def test_number_of_100_digits_is_still_read(tmp_path, capsys) -> None:
    body = "inventory:\n  header_row: " + "9" * 100 + "\n"
    code, output = _run("n100", body, tmp_path / "n100", capsys)
    assert code == 2 and LONG not in output, output  # the header_row bound answers instead
    assert "beyond the 1,000,000 rows" in output, output


@pytest.mark.parametrize("option", ["--catalog", "--framework-catalog", "services"])
def test_long_integer_in_a_catalog_is_refused_at_its_line(option, tmp_path, capsys) -> None:
    catalog = tmp_path / "cat.yaml"
    catalog.write_text("services:\n  - id: foo\n    n: " + "9" * 4301 + "\n", encoding="utf-8")
    config = tmp_path / "c.yaml"
    config.write_text(HEAD, encoding="utf-8")
    write_csv(tmp_path / "inv.csv", [["Service", "Resource ID"], ["Amazon S3", "b"]])
    args = ["validate", "--config", str(config), "--inventory", str(tmp_path / "inv.csv")]
    args = ["services", "--catalog", str(catalog)] if option == "services" else args
    args += [] if option == "services" else [option, str(catalog)]
    with pytest.raises(SystemExit) as exited:
        main(args)
        raise SystemExit(0)
    captured = capsys.readouterr()
    output = captured.err + captured.out
    assert exited.value.code == 2, output
    assert f"cat.yaml:3: {LONG} 4,301 characters" in output, output


# Third adversarial pass: a scalar YAML reads as a date, time or number that Python cannot
# hold was exit 1 "internal error: ValueError"; each is exit 2 at its line.
IMPOSSIBLE = [
    ("date-value", "customer:\n  name: x\nnotes: 2024-02-30\n", "c.yaml:3", "a date or time"),
    ("date-key", "customer:\n  name: x\n2024-02-30: x\n", "c.yaml:3", "a date or time"),
    ("time", "customer:\n  name: 2024-01-01 25:61:00\n", "c.yaml:2", "a date or time"),
    ("tagged-time", "customer:\n  name: !!timestamp 2024-01-01T99:00:00\n", "c.yaml:2", "date"),
    ("quoted-date", "customer:\n  name: !!timestamp '2024-02-30'\n", "c.yaml:2", "date"),
    ("tagged-int", "customer:\n  name: !!int 'abc'\n", "c.yaml:2", "a number"),
    ("tagged-float", "customer:\n  name: !!float 'abc'\n", "c.yaml:2", "a number"),
    ("catalog-date", "services:\n  - id: foo\n    name: 2024-02-30\n", "services.yaml:3", "date"),
]


@pytest.mark.parametrize(
    ("name", "body", "where", "kind"), IMPOSSIBLE, ids=[c[0] for c in IMPOSSIBLE]
)
def test_an_impossible_date_or_number_is_refused_at_its_line(
    name, body, where, kind, tmp_path, capsys
) -> None:
    code, output = _run(
        name, body, tmp_path / name, capsys, head="" if "catalog" not in name else HEAD
    )
    report = f"exit {code}\n{output[:2000]}"
    assert code == 2, report
    assert "internal error" not in output and "Traceback" not in output, report
    assert f"{where}: " in output and kind in output and "put it in quotes" in output, report


def _nodes(path: Path) -> int:
    loader = yaml.CSafeLoader(path.read_text(encoding="utf-8"))
    kinds = (yaml.ScalarEvent, yaml.SequenceStartEvent, yaml.MappingStartEvent)
    try:
        return sum(isinstance(loader.get_event(), kinds) for _ in iter(loader.check_event, False))
    finally:
        loader.dispose()


def test_the_node_bound_leaves_ample_room_above_every_shipped_catalog() -> None:
    """The bound is 200,000 nodes at the default 5 MB; the largest catalog reportgen ships
    (PCI DSS) has about 10,000, and a config a few hundred."""
    shipped = [
        *(ROOT / "reportgen" / "catalogs").rglob("*.yaml"),
        ROOT / "inputs" / "reportgen.yaml",
    ]
    largest = max(map(_nodes, shipped))
    assert largest > 5_000 and 10 * largest < max_yaml_nodes(DEFAULT_MAX_YAML_BYTES) == 200_000


def test_a_config_just_under_the_node_bound_is_read_and_one_over_is_refused(
    tmp_path, capsys
) -> None:
    """Counted as PyYAML builds them: the document's mapping, then each key and value."""
    # The document mapping, customer, its mapping, name, X, junk: 6 nodes before the list.
    room = max_yaml_nodes(DEFAULT_MAX_YAML_BYTES) - 6
    for extra, refused in ((0, False), (1, True)):
        body = "junk: [" + "0," * (room + extra - 2) + "0]\n"
        code, output = _run(f"n{extra}", body, tmp_path / f"n{extra}", capsys)
        assert code == 2, output
        assert ("YAML nodes" in output) is refused, output
        assert ("junk: unknown key" in output) is not refused, output


def test_a_long_unknown_key_is_cut_short_in_the_message(tmp_path, capsys) -> None:
    """Fifth adversarial pass (a JSON key of an export, and so of a config): an unknown key
    of 200,000 characters was quoted whole, a 200 KB line."""
    body = '? "' + "K" * 200_000 + '"\n: 1\n'
    code, output = _run("long-key", body, tmp_path / "long-key", capsys)
    assert code == 2, output[:2000]
    assert f": {'K' * 59}…: unknown key" in output, output[:2000]
    assert len(output) < 2000, output[:2000]


@pytest.mark.parametrize("control", ["\x1b", "\x7f", "\x07"])
def test_a_control_character_is_named_by_line_and_column(tmp_path, control):
    """Tenth pass: PyYAML gives it as a position in the text ('position 1000100'), and the
    message had no line."""
    path = tmp_path / "reportgen.yaml"
    path.write_text(f'customer: {{name: Test, short_name: t}}\n# a\nframeworks: ["ab{control}"]\n',
                    encoding="utf-8")  # fmt: skip
    with pytest.raises(InputError) as caught:
        load_yaml(path)
    assert caught.value.line == 3
    assert f"U+{ord(control):04X} is a control character YAML does not allow (column 17)" in (
        caught.value.message
    )


@pytest.mark.parametrize(
    "args",
    [
        ["services", "--catalog", "{file}"],
        ["frameworks", "--framework-catalog", "{file}"],
        ["controls", "soc2", "--framework-catalog", "{file}"],
        ["explain", "ec2", "--catalog", "{file}"],
        ["explain", "ec2", "--config", "{file}"],
        ["attach", "{pack}", "--jira", "X-1", "--dry-run", "--config", "{file}"],
    ],
    ids=["services", "frameworks", "controls", "explain", "explain-config", "attach"],
)
def test_every_command_that_reads_yaml_takes_the_flag_its_node_limit_names(
    args, tmp_path, capsys
) -> None:
    """Thirteenth adversarial pass (C28): `services --catalog` of a catalog over the node
    bound said "Raise --max-yaml-mb", which `services` (and `controls`, `frameworks`,
    `explain`) refused as an unknown option. Raised, the file is read past the bound."""
    big = tmp_path / "big.yaml"
    big.write_text(HEAD + "junk: [" + "0," * max_yaml_nodes(DEFAULT_MAX_YAML_BYTES) + "0]\n")
    argv = [a.format(file=big, pack=tmp_path / "pack") for a in args]
    for extra, refused in (([], True), (["--max-yaml-mb", "6"], False)):
        with pytest.raises(SystemExit) as exited:
            main([*argv, *extra])
        captured = capsys.readouterr()
        output = captured.err + captured.out
        assert exited.value.code == 2, output
        assert ("Raise --max-yaml-mb" in output) is refused, output
        assert "big.yaml" in output and "No such option" not in output, output
