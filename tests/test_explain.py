"""`reportgen explain` says what the pack says: for every control of every framework and
every in-scope service, its applicability, owner and parties equal matrix.json's, with the
sample's condition answers (multi-tenant-service-provider: false) and its resource override,
and with a variant that answers otherwise and hands one resource to a third party."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from conftest import SAMPLE_CONFIG, SAMPLE_EPOCH, SAMPLE_INVENTORY
from packhelpers import run

from reportgen.explain import CellExplanation, Explainer
from reportgen.inputs import RunOptions
from reportgen.pipeline import prepare

FRAMEWORKS = ("pci-dss", "iso-27001", "soc2")


def _names(parties: list[dict]) -> tuple[str, ...]:
    return tuple(p["name"] for p in parties)


def _disagreements(explainer: Explainer, matrix: dict) -> list[tuple]:
    framework = explainer.framework(matrix["framework"]["id"])
    services = [s["id"] for s in matrix["services"]]
    found = []
    for control in matrix["controls"]:
        for sid in services:
            said = explainer.cell(framework, control["id"], sid)
            cell = control["services"].get(sid)
            packed = CellExplanation(
                control_id=control["id"],
                applicable=control["applicable"],
                owner=control["owner"],
                label=control["label"],
                parties=_names(control["parties"]),
                cell_owner=cell["owner"] if cell else None,
                cell_party=cell.get("party") if cell else None,
                cell_parties=_names(cell["parties"]) if cell else (),
                note=control.get("note"),
            )
            if said != packed:
                found.append((sid, said, packed))
    return found


def _check_every_cell(explainer: Explainer, matrices: dict[str, dict]) -> None:
    checked = 0
    for fid in FRAMEWORKS:
        matrix = matrices[fid]
        assert matrix["services"] and matrix["controls"]
        assert _disagreements(explainer, matrix) == [], fid
        checked += len(matrix["controls"]) * len(matrix["services"])
    assert checked > 1000  # every control x every in-scope service, three frameworks


def test_explain_agrees_with_the_sample_pack(sample_pack, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", SAMPLE_EPOCH)
    matrices = {f: json.loads((sample_pack / f / "matrix.json").read_text()) for f in FRAMEWORKS}
    pci = {c["id"]: c for c in matrices["pci-dss"]["controls"]}
    # What the comparison covers: a condition answered no, a resource override.
    assert pci["A1.1.1"]["applicable"] is False
    assert any(o.get("resource") for o in matrices["pci-dss"]["overrides"])
    _check_every_cell(Explainer(SAMPLE_CONFIG), matrices)


VARIANT = {
    "multi-tenant-service-provider: false": "multi-tenant-service-provider: true",
    "wireless-networks: false": "wireless-networks: true",
    "categories: [security, availability, confidentiality]": "categories: [security]",
    "  - resource: i-0a1b2c3d4e5f60003\n    layer: operating-system\n    owner: customer\n": (
        "  - resource: i-0a1b2c3d4e5f60003\n    layer: [operating-system, customer-data]\n"
        "    owner: third-party\n    party: Legacy Hosting Ltd\n"
    ),
}


def test_explain_agrees_with_a_pack_of_other_answers(tmp_path, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", SAMPLE_EPOCH)
    text = SAMPLE_CONFIG.read_text()
    for old, new in VARIANT.items():
        assert old in text
        text = text.replace(old, new)
    config = tmp_path / "reportgen.yaml"
    config.write_text(text)
    shutil.copy(SAMPLE_INVENTORY, tmp_path / "inventory.xlsx")
    _inputs, matrices = prepare(RunOptions(config=config))
    pci = {c["id"]: c for c in matrices["pci-dss"]["controls"]}
    assert pci["A1.1.1"]["applicable"] is True
    ec2 = pci["6.3.3"]["services"]["ec2"]
    assert "Legacy Hosting Ltd" in _names(ec2["parties"])
    _check_every_cell(Explainer(config), matrices)


def _explained(*args: str, cwd: Path | None = None) -> str:
    return " ".join(run("explain", *args, cwd=cwd).stdout.split())


def test_explain_names_a_condition_answered_no_as_the_pack_does():
    """The issue's case: A1.1.1 with multi-tenant-service-provider: false is not applicable,
    also for a service the inventory does not hold (computed with the config's answers)."""
    for service in ("ec2", "sagemaker"):
        said = _explained(
            service, "--framework", "pci", "--control", "A1.1.1", "--config", str(SAMPLE_CONFIG)
        )
        assert "A1.1.1" in said and "Not applicable" in said, said
        assert "your answer is no" in said
    assert "as if it were" in _explained("sagemaker", "--config", str(SAMPLE_CONFIG))
    bare = _explained("sagemaker", "--framework", "pci", "--control", "A1.1.1")
    assert "Not applicable" not in bare  # nothing answered: it applies


def test_explain_a_control_of_a_category_left_out():
    said = _explained(
        "ec2", "--framework", "soc2", "--control", "PI1.1", "--config", str(SAMPLE_CONFIG)
    )
    assert "PI1.1" in said and "Not applicable" in said and "categories" in said


@pytest.mark.parametrize("service", ["ec2", "s3"])
def test_explain_uses_the_resource_override_in_the_cell(service, monkeypatch):
    """EC2's cell holds the override of one instance (customer) beside Stackwise's."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", SAMPLE_EPOCH)
    explainer = Explainer(SAMPLE_CONFIG, "pci-dss")
    said = explainer.cell(explainer.framework("pci-dss"), "6.3.3", service)
    if service == "ec2":
        assert set(said.cell_parties) >= {"Customer", "Stackwise Managed Services"}
    else:
        assert "Stackwise Managed Services" not in said.cell_parties


def test_explain_shows_every_control_of_a_catalog_title_as_its_escape(tmp_path):
    """Thirteenth adversarial pass (C35): explain built the control's line with rich's
    Text, which drops BEL, BS, VT, FF and CR: a title's OSC sequence printed as
    ``\\x1b]0;pwned`` without the BEL that ends it, where `controls` shows ``\\x07``."""
    from reportgen.core.resources import frameworks_dir

    packaged = frameworks_dir() / "soc2.yaml"
    title = "title: Integrity and ethical conduct set by leadership"
    text = packaged.read_text(encoding="utf-8")
    assert title in text
    catalog = tmp_path / "soc2.yaml"
    hostile = 'title: "T\\e]0;pwned\\a b\\bv\\vf\\fr\\r end"'
    catalog.write_text(text.replace(title, hostile, 1), encoding="utf-8")
    args = ("ec2", "--framework", "soc2", "--control", "CC1.1", "--framework-catalog", catalog)
    printed = run("explain", *args).stdout
    assert not any(c in printed for c in "\x1b\x07\x08\x0b\x0c\r"), repr(printed)
    shown = "T\\x1b]0;pwned\\x07 b\\x08v\\x0bf\\x0cr\\x0d end"
    assert shown in " ".join(printed.split()), printed
