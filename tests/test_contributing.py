"""docs/contributing.md's recipes, exercised: a toy framework in a temporary folder, named
in the config, builds a pack (matrix.json, workbook, manifest that verifies) whose owners
follow the toy's duties."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from conftest import ROOT
from openpyxl import load_workbook
from packhelpers import run

CONTRIBUTING = (ROOT / "docs" / "contributing.md").read_text(encoding="utf-8")

TOY_FRAMEWORK = """\
id: toy-standard
name: Toy Standard
full_name: Toy Standard for Cloud Patching
version: "1.0"
catalog_version: "2026.1.0"
publisher: reportgen contributors
attestation:
  name: AWS SOC 2 Type II report
  source: AWS Artifact
groups:
  - id: "T1"
    title: Patching
controls:
  - id: "T1.1"
    group: "T1"
    title: Operating systems are patched
    description: Operating systems that run the workload are kept patched on a schedule.
    topics: [vulnerability-management]
    duties:
      - by: layer
        layer: operating-system
        text: Patch the guest operating system within a month of a fix
        aws_text: Patches the operating system under the managed service
    evidence:
      - Patch compliance report for the period
    aws_evidence: AWS SOC 2 Type II report, change and patch management.
  - id: "T1.2"
    group: "T1"
    title: A patching policy exists
    description: The organisation writes down how quickly fixes are applied.
    topics: [governance]
    duties:
      - by: customer
        estate: true
        text: Keep a patching policy with deadlines by severity
    evidence:
      - Approved patching policy
"""


def test_the_recipe_sections_are_there():
    for heading in (
        "## Add a framework",
        "## Add an output format",
        "## Add a ticket system",
        "## Add an inventory source",
    ):
        assert heading in CONTRIBUTING


def test_a_toy_framework_in_a_temp_folder_builds_a_pack(tmp_path: Path):
    (tmp_path / "toy.yaml").write_text(TOY_FRAMEWORK, encoding="utf-8")
    # The config exactly as the recipe shows it, plus a customer and an inventory.
    snippet = CONTRIBUTING.split("## Add a framework", 1)[1].split("```yaml\n", 1)[1]
    snippet = snippet.split("```", 1)[0]
    config = "customer:\n  name: Toy Corp\n" + _dedent(snippet)
    config += "inventory:\n  path: inventory.csv\n"
    (tmp_path / "reportgen.yaml").write_text(config, encoding="utf-8")
    (tmp_path / "inventory.csv").write_text("Service,Resource ID\nEC2,i-1\nS3,bucket-1\n")
    run("validate", "--config", "reportgen.yaml", cwd=tmp_path, pdf=False)
    run("-q", "build", "--config", "reportgen.yaml", "--out", "out", cwd=tmp_path, pdf=False)
    pack = tmp_path / "out"
    matrix = json.loads((pack / "toy-standard" / "matrix.json").read_text())
    assert matrix["framework"]["name"] == "Toy Standard"
    controls = {c["id"]: c for c in matrix["controls"]}
    assert set(controls) == {"T1.1", "T1.2"}
    patched = controls["T1.1"]  # you patch EC2's OS, AWS patches S3's
    assert patched["split_by_service"] is True
    assert {s: c["owner"] for s, c in patched["services"].items()} == {
        "ec2": "customer",
        "s3": "aws",
    }
    assert controls["T1.2"]["owner"] == "customer" and controls["T1.2"]["services"] == {}
    book = load_workbook(next((pack / "toy-standard").glob("*-raci.xlsx")), read_only=True)
    ids = {row[0] for row in book["RACI"].iter_rows(values_only=True)}
    assert {"T1.1", "T1.2"} <= ids
    run("verify", str(pack), cwd=tmp_path)
    shutil.rmtree(pack)


def _dedent(text: str) -> str:
    lines = text.splitlines()
    indent = min(len(line) - len(line.lstrip()) for line in lines if line.strip())
    return "\n".join(line[indent:] for line in lines) + "\n"
