"""The evidence tracker's rules, one function at a time: statuses read from cells,
implementation status from items, what is overdue, RACI overrides checked."""

from __future__ import annotations

import datetime as dt

import pytest

from reportgen.core.errors import InputError
from reportgen.evidence.carry import apply_raci_overrides, implementation_status, is_overdue
from reportgen.evidence.read import Origin, RaciEdit, _date, _letter, _Problems
from reportgen.ownership.evidence_vocabulary import STATUSES, status_from_label


@pytest.mark.parametrize(
    ("cell", "status"),
    [
        ("Accepted", "accepted"),
        ("  not   APPLICABLE ", "not applicable"),
        ("In progress", "requested"),  # the drop-down of workbooks before the tracker
        ("Done", None),
        ("", None),
    ],
)
def test_status_from_label(cell, status):
    assert status_from_label(cell) == status


@pytest.mark.parametrize(
    ("value", "day"),
    [
        (dt.datetime(2026, 3, 31, 0, 0), dt.date(2026, 3, 31)),
        (dt.date(2026, 3, 31), dt.date(2026, 3, 31)),
        ("2026-03-31", dt.date(2026, 3, 31)),
        ("2026-03-31 00:00:00", dt.date(2026, 3, 31)),
        (46112, dt.date(2026, 3, 31)),  # a date cell that lost its format
        ("31/03/2026", None),  # ambiguous day and month: refused, never guessed
        ("2026-02-30", None),
        (True, None),
        (-5, None),
    ],
)
def test_dates(value, day):
    assert _date(value) == day


def test_raci_letters():
    problems = _Problems("book.xlsx")
    assert [_letter(v, "RACI", 2, 5, problems) for v in ("r", " a / r ", None, "", "AR")] == [
        "R",
        "A/R",
        "",
        "",
        "A/R",
    ]
    assert _letter("R/A", "RACI", 3, 6, problems) is None
    assert problems.found == [("RACI", 3, "G", "'R/A' is not a RACI letter (R, A, A/R, C, I)")]


def _items(*statuses: str) -> list[dict]:
    return [{"status": s} for s in statuses]


@pytest.mark.parametrize(
    ("applicable", "statuses", "expected"),
    [
        (False, ("accepted",), "not applicable"),
        (True, ("not applicable", "not applicable"), "not applicable"),
        (True, ("accepted", "not applicable"), "implemented"),
        (True, ("accepted", "collected"), "in progress"),
        (True, ("not started", "requested"), "in progress"),
        (True, ("not started", "not applicable"), "not started"),
        (True, (), "not started"),
    ],
)
def test_implementation_status(applicable, statuses, expected):
    assert implementation_status({"applicable": applicable}, _items(*statuses)) == expected


def test_overdue_only_while_still_to_come():
    for status in STATUSES:
        late = is_overdue(status, "2026-01-01", "2026-01-02")
        assert late == (status in ("not started", "requested"))
    assert not is_overdue("requested", "2026-01-02", "2026-01-02")
    assert not is_overdue("requested", None, "2026-01-02")


def _matrix(raci: dict[str, str]) -> dict:
    return {
        "framework": {"id": "f"},
        "roles": ["AWS", "Security", "Ops", "Acme MSP"],
        "overrides": [{"party": "Acme MSP"}],
        "controls": [{"id": "1.1", "raci": dict(raci)}],
    }


def _edit(role: str, letter: str, computed: str = "") -> dict:
    origin = Origin("book.xlsx", "RACI", 2, "C")
    return {"1.1": {role: RaciEdit("1.1", role, letter, computed, origin)}}


def test_an_override_replaces_the_rules_letter_and_says_where_it_came_from():
    matrix = _matrix({"Security": "A", "Ops": "R"})
    assert apply_raci_overrides(matrix, _edit("Ops", "C", "R")) == []
    control = matrix["controls"][0]
    assert control["raci"] == {"Security": "A", "Ops": "C"}
    assert control["raci_overrides"] == [
        {
            "role": "Ops",
            "letter": "C",
            "computed": "R",
            "source": "edited in workbook book.xlsx, sheet RACI, row 2",
        }
    ]


def test_a_cleared_cell_removes_the_letter():
    matrix = _matrix({"Security": "A", "Ops": "I"})
    apply_raci_overrides(matrix, _edit("Ops", "", "I"))
    assert matrix["controls"][0]["raci"] == {"Security": "A"}
    assert matrix["controls"][0]["raci_overrides"][0]["letter"] is None


def test_an_edit_the_rules_now_agree_with_is_no_override():
    matrix = _matrix({"Security": "A", "Ops": "R"})
    apply_raci_overrides(matrix, _edit("Ops", "R", ""))
    assert "raci_overrides" not in matrix["controls"][0]


@pytest.mark.parametrize(
    ("raci", "edit", "message"),
    [
        ({"Security": "A"}, ("Security", "R", "A"), "0 Accountable (none)"),
        ({"Security": "A"}, ("Ops", "A/R", ""), "2 Accountable (Security, Ops)"),
        ({"Security": "R", "Ops": "A"}, ("Acme MSP", "A", ""), "2 Accountable"),
        ({"Security": "R"}, ("AWS", "A", ""), "AWS cannot be Accountable"),
        ({"Security": "A"}, ("AWS", "R", ""), "AWS is responsible only for the part it operates"),
    ],
)
def test_edits_that_break_the_rules_stop_the_build(raci, edit, message):
    with pytest.raises(InputError) as caught:
        apply_raci_overrides(_matrix(raci), _edit(*edit))
    assert message in str(caught.value)
    assert "row 2 (control 1.1)" in str(caught.value)


def test_a_third_party_cannot_be_accountable():
    matrix = _matrix({"Security": "R", "Acme MSP": "R"})
    with pytest.raises(InputError, match="Acme MSP cannot be Accountable"):
        apply_raci_overrides(matrix, _edit("Acme MSP", "A", "R"))


def test_letters_for_a_role_the_config_dropped_are_a_warning():
    matrix = _matrix({"Security": "A"})
    notes = apply_raci_overrides(matrix, _edit("Legal", "R", ""))
    assert notes == [
        "f: RACI letters edited for role(s) no longer in the config (Legal) are not carried"
    ]
    assert matrix["controls"][0]["raci"] == {"Security": "A"}
