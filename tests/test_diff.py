"""reportgen diff and build --previous: two builds whose inventories differ."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from conftest import write_csv
from packhelpers import build, run

OLD_ROWS = [
    ["Service", "Resource ID"],
    ["Amazon EC2", "i-001"],
    ["Amazon RDS", "db-1"],
    ["Amazon S3", "bucket-1"],
    ["SQS", "queue-1"],
]
NEW_ROWS = [  # EC2 gone (the OS is no longer the customer's), Lambda added
    ["Service", "Resource ID"],
    ["Amazon RDS", "db-1"],
    ["Amazon S3", "bucket-1"],
    ["SQS", "queue-1"],
    ["AWS Lambda", "fn-1"],
]


@pytest.fixture(scope="module")
def packs(tmp_path_factory) -> tuple[Path, Path]:
    from conftest import MINIMAL_CONFIG, write_config

    project = tmp_path_factory.mktemp("project")
    write_config(project, MINIMAL_CONFIG)
    out = tmp_path_factory.mktemp("out")
    write_csv(project / "inventory.csv", OLD_ROWS)
    # Without the PDF writer: verify, bundle, attach and diff treat every file alike.
    old = build(project, out / "old", "--framework", "pci-dss", "--framework", "soc2", pdf=False)
    write_csv(project / "inventory.csv", NEW_ROWS)
    new = build(project, out / "new", "--framework", "pci-dss", "--previous", old, pdf=False)
    return old, new


def matrix(pack: Path, fid: str) -> dict:
    return json.loads((pack / fid / "matrix.json").read_text())


def test_json_diff_matches_the_two_matrices(packs):
    old, new = packs
    diff = json.loads(run("diff", old, new, "--format", "json").stdout)
    assert diff["schema"] == "reportgen.diff/1"
    pci = next(f for f in diff["frameworks"] if f["id"] == "pci-dss")
    assert pci["services_added"] == [{"id": "lambda", "name": "AWS Lambda"}]
    assert pci["services_removed"] == [{"id": "ec2", "name": "Amazon EC2"}]
    before = {c["id"]: c for c in matrix(old, "pci-dss")["controls"]}
    after = {c["id"]: c for c in matrix(new, "pci-dss")["controls"]}
    shown = ("owner", "split_by_service")  # what a reader sees in the owner column
    expected = {cid for cid in after if any(before[cid][k] != after[cid][k] for k in shown)}
    assert expected, "the inventories were chosen so that some owners change"
    assert {c["control"] for c in pci["owner_changes"]} == expected
    for change in pci["owner_changes"]:
        assert change["old"]["owner"] == before[change["control"]]["owner"]
        assert change["new"]["owner"] == after[change["control"]]["owner"]
        assert change["reason"] == after[change["control"]]["provenance"]
    soc2 = next(f for f in diff["frameworks"] if f["id"] == "soc2")
    assert soc2["status"] == "removed"


def test_anti_malware_moves_to_aws_without_ec2(packs):
    diff = json.loads(run("diff", *packs, "--format", "json").stdout)
    pci = next(f for f in diff["frameworks"] if f["id"] == "pci-dss")
    malware = next(c for c in pci["owner_changes"] if c["control"] == "5.2.2")
    assert malware["old"]["owner"] == "shared"  # EC2's guest OS was the customer's ...
    assert malware["old"]["label"] == "Split by service"  # ... and only EC2's
    assert malware["new"]["owner"] == "aws"
    assert "ec2" not in malware["reason"].lower()


def test_markdown_and_text_formats(packs):
    markdown = run("diff", *packs, "--format", "markdown").stdout
    assert markdown.startswith("# Changes between packs\n")
    assert "## PCI DSS" in markdown
    assert "- Services added: AWS Lambda (lambda)" in markdown
    assert "| `5.2.2` | Split by service | AWS |" in markdown
    text = run("diff", *packs).stdout
    assert "services removed: Amazon EC2 (ec2)" in text
    assert "5.2.2" in text


def test_identical_packs_have_no_changes(packs):
    old, _ = packs
    diff = json.loads(run("diff", old, old, "--format", "json").stdout)
    for entry in diff["frameworks"]:
        assert entry["owner_changes"] == entry["services_added"] == []


def test_summary_lists_changes_since_the_previous_pack(packs):
    old, new = packs
    summary = (new / "summary.md").read_text()
    manifest = json.loads((new / "manifest.json").read_text())
    assert "## Changes since the previous pack (2026-01-01T00:00:00Z)" in summary
    assert "### PCI DSS" in summary and "### SOC 2" in summary
    assert "Framework removed" in summary
    assert "| `5.2.2` | Split by service | AWS |" in summary
    old_manifest = hashlib.sha256((old / "manifest.json").read_bytes()).hexdigest()
    assert manifest["previous"] == {
        "generated_at": "2026-01-01T00:00:00Z",
        "manifest_sha256": old_manifest,
    }


def test_diff_of_a_directory_that_is_not_a_pack(packs, tmp_path):
    result = run("diff", packs[0], tmp_path, check=2)
    assert "not a reportgen pack" in " ".join(result.stderr.split())


def test_a_pack_built_without_its_matrix_is_named_as_such(packs, tmp_path):
    """Fourteenth pass: a pack built with --format xlsx was called "not a reportgen pack"."""
    project = packs[0].parent.parent / "project0"
    xlsx_only = build(project, tmp_path / "xlsx", "--format", "xlsx", pdf=False)
    for argv in (("diff", packs[0], xlsx_only), ("build", "--config", project / "reportgen.yaml",
                 "--out", tmp_path / "next", "--previous", xlsx_only)):  # fmt: skip
        message = " ".join(run(*argv, check=2, pdf=False).stderr.split())
        assert "holds no matrix.json" in message and "--format matrix" in message
        assert "not a reportgen pack" not in message


def test_json_diff_of_text_holding_del_and_c1_controls_is_valid_json(tmp_path):
    """Thirteenth pass: a party named with DEL or a C1 control (a YAML escape the config
    accepts) reached the diff's reasons, and the JSON was printed with \\x7f, which no
    JSON parser reads. Now JSON's own escapes: still inert on a terminal."""
    from conftest import MINIMAL_CONFIG, write_config

    write_csv(tmp_path / "inventory.csv", OLD_ROWS)
    write_config(tmp_path, MINIMAL_CONFIG)
    old = build(tmp_path, tmp_path / "old", "--framework", "soc2", pdf=False)
    party = "Stack\\x7fwise \\x85 \\x9b31m \\u202e Ltd"
    write_config(tmp_path, MINIMAL_CONFIG + "overrides:\n  - {service: ec2, layer: "
                 f'operating-system, owner: third-party, party: "{party}", '
                 "justification: Patched by our MSP}\n")  # fmt: skip
    new = build(tmp_path, tmp_path / "new", "--framework", "soc2", pdf=False)
    printed = run("diff", old, new, "--format", "json").stdout
    assert "\\u007f" in printed and "\x7f" not in printed and "\u202e" not in printed
    reasons = json.dumps(json.loads(printed), ensure_ascii=False)
    assert "Stack\x7fwise \x85 \x9b31m \u202e Ltd" in reasons


def _without_controls(text: str, *ids: str) -> str:
    """The catalog text with the controls ``ids`` left out (each block runs to the next)."""
    for cid in ids:
        start = text.index(f'\n  - id: "{cid}"\n')
        end = text.index("\n  - id: ", start + 1)
        text = text[:start] + text[end:]
    return text


def test_controls_added_and_removed_are_listed_in_text_and_markdown(tmp_path):
    """Thirteenth adversarial pass (C11): a catalog update that added controls (PCI's
    future-dated requirements) read "no service added or removed; no control changed
    owner" in text and markdown, and in the summary of build --previous: only the JSON
    listed controls_added."""
    from conftest import MINIMAL_CONFIG, write_config

    from reportgen.core.resources import frameworks_dir

    write_csv(tmp_path / "inventory.csv", OLD_ROWS)
    write_config(tmp_path, MINIMAL_CONFIG)
    older = tmp_path / "soc2-older.yaml"
    packaged = (frameworks_dir() / "soc2.yaml").read_text(encoding="utf-8")
    older.write_text(_without_controls(packaged, "CC1.2", "CC1.3"), encoding="utf-8")
    soc2 = ("--framework", "soc2")
    old = build(tmp_path, tmp_path / "old", *soc2, "--framework-catalog", older, pdf=False)
    new = build(tmp_path, tmp_path / "new", *soc2, "--previous", old, pdf=False)
    text = " ".join(run("diff", old, new).stdout.split())
    assert "controls added (2): CC1.2, CC1.3" in text and "no control" not in text, text
    back = " ".join(run("diff", new, old).stdout.split())
    assert "controls removed (2): CC1.2, CC1.3" in back, back
    markdown = run("diff", old, new, "--format", "markdown").stdout
    assert "- Controls added (2): `CC1.2`, `CC1.3`\n" in markdown, markdown
    assert "No service or control added" not in markdown
    summary = (new / "summary.md").read_text(encoding="utf-8")
    assert "- Controls added (2): `CC1.2`, `CC1.3`\n" in summary, summary
    same = " ".join(run("diff", new, new).stdout.split())
    assert "no service or control added or removed; no control changed owner" in same
