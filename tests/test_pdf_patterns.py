"""What the PDF says once and groups: service patterns, shared reasons, legends, the cover.

Pure context tests (no WeasyPrint): the sample's matrices and an estate of every catalog
service, computed by the pipeline and compared with what the context hands the templates.
"""

from __future__ import annotations

import pytest
from conftest import ROOT, write_config, write_csv

from reportgen.core.owners import NOT_APPLICABLE, OWNER_ORDER
from reportgen.inputs import RunOptions
from reportgen.pipeline import prepare
from reportgen.render import pdf_context as ctx
from reportgen.render import pdf_patterns as patterns
from reportgen.render.pdf_say_once import control_chapter

CUSTOMER_SOURCES = ("customer", "resource")


@pytest.fixture(scope="module")
def sample_matrices():
    return prepare(RunOptions(config=ROOT / "inputs" / "reportgen.yaml"))[1]


@pytest.fixture(scope="module")
def every_service(tmp_path_factory, catalogs):
    """SOC 2 over an inventory naming each of the catalog's services once."""
    folder = tmp_path_factory.mktemp("estate")
    rows = [["Service", "Resource ID", "Account", "Region"]]
    rows += [
        [service.name, f"r-{index}", "111122223333", "eu-west-1"]
        for index, service in enumerate(catalogs.catalog.services.values())
    ]
    write_csv(folder / "inventory.csv", rows)
    config = write_config(folder, "customer: {name: Test Co}\ninventory: {path: inventory.csv}\n")
    return prepare(RunOptions(config=config, frameworks=("soc2",)))[1]["soc2"]


def _matrix_of(matrix: dict) -> dict:
    layers = {layer["id"]: layer for layer in matrix["layers"]}
    return patterns.service_matrix(
        matrix["services"], matrix["models"], layers, matrix["overrides"]
    )


def _pattern(service: dict) -> tuple:
    owners = tuple((d["owner"], d.get("party")) for d in service["layers"].values())
    changed = any(d["source"] in CUSTOMER_SOURCES for d in service["layers"].values())
    return (service["model"], owners, service["id"] if changed else "")


@pytest.mark.parametrize("source", ["sample", "every"])
def test_one_service_matrix_row_per_distinct_pattern(source, sample_matrices, every_service):
    matrix = sample_matrices["pci-dss"] if source == "sample" else every_service
    sm = _matrix_of(matrix)
    services = {s["id"]: s for s in matrix["services"]}
    rows = [row for group in sm["groups"] for row in group["rows"]]
    assert len(rows) == sm["rows"] == len({_pattern(s) for s in services.values()})
    members = [m for row in rows for m in row["members"]]
    assert sorted(members) == sorted(services)  # every service in exactly one row
    for row in rows:
        assert len({_pattern(services[m]) for m in row["members"]}) == 1
        assert row["services"] == len(row["members"])
        assert row["resources"] == sum(services[m]["resources"] for m in row["members"])
        assert len(row["names"].items) <= patterns.NAMES_PER_ROW
        assert len(row["names"].items) + row["names"].more == len(row["members"])


def test_rows_follow_patterns_not_services(every_service):
    """Hundreds of services, a few dozen rows: the PDF's length follows the patterns."""
    sm = _matrix_of(every_service)
    assert sm["services"] >= 200
    assert sm["rows"] <= sm["services"] // 5
    biggest = max((row for g in sm["groups"] for row in g["rows"]), key=lambda r: r["services"])
    assert biggest["names"].more > 0  # named in part, counted in full


def test_a_customer_override_keeps_its_own_row_and_footnote(sample_matrices):
    sm = _matrix_of(sample_matrices["pci-dss"])
    rows = [row for group in sm["groups"] for row in group["rows"]]
    ec2 = next(row for row in rows if "ec2" in row["members"])
    assert ec2["members"] == ["ec2"]
    layers = [layer["id"] for layer in sm["layers"]]
    os_cell = ec2["cells"][layers.index("operating-system")]
    assert os_cell["marks"] == ["#1", "#2"]  # the MSP's override and the legacy host's
    assert [n["mark"] for n in sm["override_notes"]] == ["#1", "#2"]


def test_catalog_reasons_keep_their_letter_on_every_row(sample_matrices):
    matrix = sample_matrices["pci-dss"]
    sm = _matrix_of(matrix)
    layers = [layer["id"] for layer in sm["layers"]]
    notes = {n["mark"]: n for n in sm["catalog_notes"]}
    for group in sm["groups"]:
        for row in group["rows"]:
            for layer, cell in zip(layers, row["cells"], strict=True):
                expected = {
                    (s["layers"][layer].get("reason"), s["layers"][layer]["owner"])
                    for s in matrix["services"]
                    if s["id"] in row["members"] and s["layers"][layer]["source"] == "catalog"
                }
                found = {(notes[m]["text"], cell["owner"]) for m in cell["marks"] if m in notes}
                assert found == expected


def test_layers_the_same_for_every_service_are_said_once(sample_matrices):
    matrix = sample_matrices["pci-dss"]
    sm = _matrix_of(matrix)
    shown = {layer["id"] for layer in sm["layers"]}
    said = {name for u in sm["uniform"] for name in u["layers"]}
    names = {layer["id"]: layer["name"] for layer in matrix["layers"]}
    for lid, name in names.items():
        decisions = [s["layers"][lid] for s in matrix["services"]]
        alike = len({(d["owner"], d.get("party")) for d in decisions}) == 1 and all(
            d["source"] == "model" for d in decisions
        )
        assert (name in said) == alike and (lid in shown) != alike, lid
    assert said and shown  # the sample has both kinds


def test_columns_fit_the_page_and_the_longest_header_word(sample_matrices):
    for paper, width in patterns.TABLE_WIDTH_MM.items():
        for count in (1, 6, 14):
            columns = patterns._columns(count, width)
            total = columns["service"] + columns["entries"] + count * columns["layer"]
            assert total == pytest.approx(100, abs=0.1)
            assert columns["layer"] * width / 100 >= patterns.LAYER_COLUMN_MM - 0.01, paper


# ------------------------------------------------------------------ say it once


def _row(cid: str, why: str, note: str | None = None, attestation: str | None = None) -> dict:
    return {"kind": "control", "id": cid, "provenance": why, "note": note, "applicable": True,
            "attestation": attestation}  # fmt: skip


def test_a_sections_shared_reason_is_said_once():
    rows = [_row("1", "Estate-wide: you."), _row("2", "Estate-wide: you."), _row("3", "Split.")]
    sections = [{"rows": [{"kind": "group"}, *rows]}]
    control_chapter(sections)
    assert sections[0]["why"] == "Estate-wide: you." and sections[0]["why_count"] == 2
    assert [r["why"] for r in rows] == ["", "", "Split."]  # only the row that differs says it


def test_a_reason_one_row_gives_is_not_lifted():
    rows = [_row("1", "A."), _row("2", "B.")]
    sections = [{"rows": rows}]
    control_chapter(sections)
    assert sections[0]["why"] == "" and [r["why"] for r in rows] == ["A.", "B."]


def test_shared_notes_become_marks_and_the_attestation_name_is_said_once():
    note = "In force since 2025-03-31 (was future-dated)"
    rows = [
        _row("1", "X.", note, "AWS AOC: covers the hosts"),
        _row("2", "Y.", note, "AWS AOC: covers the media"),
        _row("3", "Z.", "Only here", None),
    ]
    chapter = control_chapter([{"rows": rows}])
    assert chapter["notes"] == [{"mark": "†", "text": note}]
    assert chapter["attestation"] == "AWS AOC"
    assert [r["marks"] for r in rows] == [["†"], ["†"], []]
    assert [r["attestation"] for r in rows[:2]] == ["covers the hosts", "covers the media"]
    assert rows[2]["why"] == "Z. Only here."  # a note one row carries stays in the row


def test_different_attestation_heads_are_kept_whole():
    rows = [_row("1", "X.", attestation="AWS AOC: a"), _row("2", "Y.", attestation="SOC 2: b")]
    chapter = control_chapter([{"rows": rows}])
    assert chapter["attestation"] == "" and rows[0]["attestation"] == "AWS AOC: a"


@pytest.mark.parametrize("fid", ["pci-dss", "iso-27001", "soc2"])
def test_the_control_matrix_says_each_reason_once_per_section(fid, sample_matrices):
    context = ctx.build_context(sample_matrices[fid])
    controls = {c["id"]: c for c in sample_matrices[fid]["controls"]}
    lifted = 0
    for section in context["control_sections"]:
        for row in (r for r in section["rows"] if r["kind"] == "control"):
            full = controls[row["id"]]["provenance"]
            assert len(full) <= 300
            if row["why"] == "":
                assert section["why"] and full == section["why"]  # said under the heading
                lifted += 1
            else:
                assert row["why"].startswith(full) and row["why"] != section["why"]
    assert lifted >= len(controls) // 3  # the repetition is gone from most rows


# ------------------------------------------------------------------ legends, shares, cover


def test_legends_name_only_what_the_chapter_shows(sample_matrices):
    context = ctx.build_context(sample_matrices["pci-dss"])
    sm = context["service_matrix"]
    cells = {c["owner"] for g in sm["groups"] for r in g["rows"] for c in r["cells"]}
    cells |= {u["owner"] for u in sm["uniform"]}
    assert {e["id"] for e in sm["legend"]} == cells
    stacks = {cell["owner"] for m in context["models"] for cell in m["cells"].values()}
    assert {e["id"] for e in context["srm_legend"]} == stacks
    assert "shared" not in stacks  # the figure's legend used to show Shared regardless
    rows = [r for s in context["control_sections"] for r in s["rows"] if r["kind"] == "control"]
    assert {e["id"] for e in context["control_chapter"]["legend"]} == {r["owner"] for r in rows}


def test_legend_orders_owners_and_adds_split_only_when_present():
    assert ctx.legend(["customer", "aws"]) == [
        {"id": "aws", "label": "AWS"},
        {"id": "customer", "label": "Customer"},
    ]
    assert [e["id"] for e in ctx.legend(["customer", "shared"], split=True)] == [
        "shared",
        "customer",
        "split",
    ]


def test_shares_are_of_the_applicable_controls():
    counts = {"aws": 0, "shared": 83, "customer": 153, "third-party": 0, "not-applicable": 44}
    legend = {o["id"]: o for o in ctx.owner_legend(counts)}
    assert legend["shared"]["percent"] == 35 and legend["customer"]["percent"] == 65
    assert legend[NOT_APPLICABLE]["percent"] is None
    chart = ctx.chart(counts)
    assert [b["owner"] for b in chart["bars"]] == ["shared", "customer"]  # only owners present
    assert chart["applicable"] == 236
    assert sum(b["percent"] for b in chart["bars"]) == 100


def test_percent_rounds_half_up_as_a_spreadsheet_does():
    assert [ctx.percent(n, 8) for n in (1, 3, 5)] == [13, 38, 63]  # 12.5, 37.5, 62.5
    assert ctx.percent(1, 0) == 0


@pytest.mark.parametrize("fid", ["pci-dss", "iso-27001", "soc2"])
def test_the_cover_says_each_thing_once(fid, sample_matrices):
    framework = sample_matrices[fid]["framework"]
    label = ctx.framework_label(framework["name"], framework["version"])
    cover = ctx.cover({**framework, "label": label})
    assert cover["title"] == label
    assert framework["name"] not in cover["subtitle"]
    said = " ".join(cover.values())
    assert said.count(framework["publisher"]) <= 1
    for number in ("4.0.1", "2022", "2017"):
        assert said.count(number) <= 1


def test_every_owner_has_a_legend_entry_in_display_order():
    assert [e["id"] for e in ctx.legend(OWNER_ORDER, split=True)] == [
        "aws",
        "shared",
        "split",
        "customer",
        "third-party",
        "not-applicable",
    ]


def test_many_services_keep_the_summary_short(every_service):
    context = ctx.build_context(every_service)
    for row in context["summary"]["by_model"]:
        assert len(row["services"].items) <= patterns.NAMES_PER_MODEL
    for note in context["service_matrix"]["catalog_notes"]:
        assert len(note["services"].items) <= patterns.NAMES_PER_NOTE


def test_paper_size_sizes_the_service_matrix(sample_matrices):
    a4 = ctx.build_context(sample_matrices["soc2"])["service_matrix"]["columns"]
    letter = ctx.build_context(sample_matrices["soc2"], "Letter")["service_matrix"]["columns"]
    assert letter["layer"] > a4["layer"]  # the same millimetres of a narrower page
