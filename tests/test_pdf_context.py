"""The data the PDF templates receive: grouping, splits, marks, caps (no WeasyPrint here)."""

from __future__ import annotations

import pytest
from conftest import write_config, write_csv

from reportgen.core.owners import OWNER_COLOURS
from reportgen.inputs import RunOptions
from reportgen.pipeline import prepare
from reportgen.render import FrameworkJob, RenderOptions
from reportgen.render import pdf_context as ctx
from reportgen.render.pdf import report_html


@pytest.mark.parametrize(
    ("name", "version", "label"),
    [
        ("PCI DSS", "4.0.1", "PCI DSS v4.0.1"),
        ("ISO/IEC 27001", "2022", "ISO/IEC 27001:2022"),
        ("SOC 2", "2017 (2022 points of focus)", "SOC 2"),
    ],
)
def test_framework_label(name, version, label):
    assert ctx.framework_label(name, version) == label


def test_breakdown_only_where_services_disagree():
    same = [{"owner": "customer"}, {"owner": "customer"}]
    assert ctx.breakdown(same) == []
    mixed = [
        {"owner": "aws"},
        {"owner": "customer"},
        {"owner": "aws"},
        {"owner": "third-party", "party": "MSP"},
    ]
    assert ctx.breakdown(mixed) == [
        {"owner": "aws", "label": "AWS", "count": 2},
        {"owner": "customer", "label": "Customer", "count": 1},
        {"owner": "third-party", "label": "Third party (MSP)", "count": 1},
    ]


GROUPS = [
    {"id": "1", "title": "One", "parent": None},
    {"id": "1.1", "title": "One one", "parent": "1"},
    {"id": "1.2", "title": "One two", "parent": "1"},
    {"id": "A", "title": "Appendix", "parent": None},
    {"id": "A1", "title": "A one", "parent": "A"},
    {"id": "A1.1", "title": "A one one", "parent": "A1"},
    {"id": "A1.2", "title": "A one two", "parent": "A1"},
    {"id": "9", "title": "Unused", "parent": None},
]


def control(cid: str, group: str) -> dict:
    return {"id": cid, "group": group}


def test_sections_follow_the_standard_groups():
    controls = [
        control("1.1.1", "1.1"),
        control("1.1.2", "1.1"),
        control("1.2.1", "1.2"),
        control("A1.1.1", "A1.1"),
        control("A1.2.1", "A1.2"),
        control("X.1", "nowhere"),
    ]
    sections = ctx.sections(GROUPS, controls, lambda c: {"kind": "control", "id": c["id"]})
    assert [s["heading"] for s in sections] == ["1 One", "A Appendix", "Other controls"]
    rows = [(r["kind"], r["id"], r.get("level")) for r in sections[1]["rows"]]
    assert rows == [
        ("group", "A1", 1),
        ("group", "A1.1", 2),
        ("control", "A1.1.1", None),
        ("group", "A1.2", 2),  # A1 is still open: not repeated
        ("control", "A1.2.1", None),
    ]
    first = [(r["kind"], r["id"]) for r in sections[0]["rows"]]
    assert first == [
        ("group", "1.1"),
        ("control", "1.1.1"),
        ("control", "1.1.2"),
        ("group", "1.2"),
        ("control", "1.2.1"),
    ]
    assert len({s["anchor"] for s in sections}) == 3


def test_chart_geometry_adds_up():
    counts = {"aws": 10, "shared": 30, "customer": 60, "third-party": 0, "not-applicable": 7}
    chart = ctx.chart(counts)
    bars = {b["owner"]: b for b in chart["bars"]}
    assert set(bars) == {"aws", "shared", "customer"}  # no bar for what no control has
    assert chart["height"] == ctx.CHART_TOP + 3 * ctx.CHART_STEP + 4
    assert bars["customer"]["width"] == ctx.CHART_WIDTH  # the longest bar is full width
    assert bars["shared"]["width"] == ctx.CHART_WIDTH / 2
    assert sum(b["share"] for b in chart["bars"]) == pytest.approx(ctx.CHART_WIDTH)
    assert bars["customer"]["x"] == pytest.approx(ctx.CHART_WIDTH * 0.4)
    assert bars["aws"]["fill"] == "#" + OWNER_COLOURS["aws"][0]


def test_unresolved_rows_grouped_by_value_and_capped():
    items = [
        {"sheet": "S", "row": r, "column": "A", "value": "Snowflake", "reason": "unknown service",
         "suggestions": []}
        for r in range(2, 40)
    ] + [
        {"sheet": "S", "row": 100 + i, "column": "A", "value": f"thing-{i}",
         "reason": "unknown service", "suggestions": ["x"]}
        for i in range(150)
    ]  # fmt: skip
    result = ctx.unresolved(items)
    assert result["rows"] == 188
    first = result["groups"][0]
    assert first["value"] == "Snowflake"
    assert first["row_list"].items == [str(r) for r in range(2, 2 + ctx.ROW_NUMBERS_LIMIT)]
    assert first["row_list"].more == 38 - ctx.ROW_NUMBERS_LIMIT
    assert len(result["groups"]) == ctx.UNRESOLVED_LIMIT
    assert result["hidden"] == 151 - ctx.UNRESOLVED_LIMIT


def test_the_report_does_not_grow_with_resources(tmp_path):
    """Five resources or two thousand of the same services: the same report, other counts."""

    def html(rows_per_service: int) -> str:
        folder = tmp_path / str(rows_per_service)
        folder.mkdir()
        rows = [["Service", "Resource ID", "Account", "Region"]]
        for service in ("Amazon EC2", "Amazon RDS", "Amazon S3", "DynamoDB", "SQS"):
            rows += [
                [service, f"{service[-3:]}-{i}", "111122223333", "eu-west-1"]
                for i in range(rows_per_service)
            ]
        write_csv(folder / "inventory.csv", rows)
        config = write_config(
            folder, "customer: {name: Test Co}\ninventory: {path: inventory.csv}\n"
        )
        matrix = prepare(RunOptions(config=config, frameworks=("soc2",)))[1]["soc2"]
        job = FrameworkJob("soc2", matrix, folder, "test-co", None, RenderOptions())
        return report_html(job)

    small, large = html(1), html(400)
    assert abs(len(large) - len(small)) < 200  # a few digits more in the counts
    assert "2000 inventory entries" in large
