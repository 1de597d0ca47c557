"""The benchmark's inventory generator writes what reportgen reads: not a timed test."""

from __future__ import annotations

import importlib.util
from collections import Counter
from pathlib import Path

import pytest

from reportgen.inventory.load import InventoryOptions, read_inventory
from reportgen.inventory.scope import ScopeParser

ROOT = Path(__file__).resolve().parent.parent
ROWS = 400


def _generator():
    spec = importlib.util.spec_from_file_location("bench_generate", ROOT / "bench" / "generate.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def generated(tmp_path_factory, catalogs):
    generate = _generator()
    path = generate.write_inventory(tmp_path_factory.mktemp("bench") / "inventory.xlsx", ROWS)
    aliases = {
        fid: [lf.framework.name, *lf.framework.aliases] for fid, lf in catalogs.frameworks.items()
    }
    resolver = type(catalogs.resolver)(catalogs.catalog)
    inventory = read_inventory(path, InventoryOptions(), resolver, ScopeParser(aliases))
    return generate, generate.rows(ROWS), inventory


def test_every_generated_row_is_read_in_order(generated):
    _, _, inventory = generated
    assert inventory.total_rows == ROWS
    numbers = sorted(r.row.row for r in inventory.rows) + [u.row.row for u in inventory.unresolved]
    assert sorted(numbers) == list(range(2, ROWS + 2))  # below the header row
    assert inventory.header.row == 1


def test_only_the_made_up_services_are_unresolved(generated):
    generate, rows, inventory = generated
    expected = [row[0] for row in rows if row[0] in generate.UNKNOWN]
    assert expected  # the generator mixes some in
    assert [u.row.service_text for u in inventory.unresolved] == expected
    assert {u.reason for u in inventory.unresolved} == {"unknown service"}


def test_the_mix_is_realistic(generated, catalogs):
    generate, _, inventory = generated
    services = Counter(r.service_id for r in inventory.rows)
    assert len(services) >= 150  # a few hundred distinct services at full size
    assert set(services) <= set(catalogs.catalog.services)
    # Names, aliases, ARNs and CloudFormation resource types, as real exports mix them.
    matched = Counter(r.matched_by for r in inventory.rows)
    assert set(matched) == {"name", "arn", "resource-type"}
    assert min(matched.values()) >= ROWS // 20
    accounts = {r.row.account for r in inventory.rows}
    assert len(accounts) >= generate.ACCOUNTS * 3 // 4
    assert all(len(a) == 12 and a.isdigit() for a in accounts)
    assert {r.row.region for r in inventory.rows} == set(generate.REGIONS)


def test_arn_rows_carry_their_service_account_and_region(generated, catalogs):
    _, rows, inventory = generated
    by_number = {r.row.row: r for r in inventory.rows}
    arn_rows = [(i + 2, row) for i, row in enumerate(rows) if row[0].startswith("arn:aws:")]
    assert arn_rows
    for number, row in arn_rows:
        resolved = by_number[number]
        assert resolved.matched_by == "arn"
        _, _, namespace, region, account, _ = row[0].split(":", 5)
        assert (resolved.row.region, resolved.row.account) == (region, account)
        assert namespace in catalogs.catalog.services[resolved.service_id].namespaces


def test_the_cur_generator_writes_what_the_cur_reader_counts(tmp_path):
    from reportgen.inventory.limits import Limits
    from reportgen.inventory.sources import read_source

    spec = importlib.util.spec_from_file_location("bench_cur", ROOT / "bench" / "cur.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    path = tmp_path / "cur.csv.gz"
    module.write_cur(path, 2000, resources=400)
    header, *rows = [cells for _, cells in read_source(path, Limits()).sheets[0].rows]
    counted = sum(int(row[header.index("Line Items")]) for row in rows)
    assert counted == 2000 - 20  # every line item but the taxes (1 in 100)
    assert module.measure(path)["rows"] == len(rows)


def test_a_few_services_spread_over_the_models(catalogs):
    generate = _generator()
    picked = generate.pick_services(10)
    assert len(picked) == len({s.id for s in picked}) == 10
    assert len({s.model for s in picked}) >= 2  # a small estate still mixes the models
    namespaces = {ns for s in picked for ns in s.namespaces}
    arns = [row[0] for row in generate.rows(300, services=10) if row[0].startswith("arn:aws:")]
    assert arns and {arn.split(":")[2] for arn in arns} <= namespaces
