"""manifest.json and summary.md: what they record, and reproducible packs."""

from __future__ import annotations

import getpass
import hashlib
import json
import socket
from pathlib import Path

import pytest
from conftest import ROOT, SAMPLE_CONFIG, SAMPLE_EPOCH, SAMPLE_INVENTORY
from packhelpers import run, tree_hashes

from reportgen.pack.manifest import MEDIA_TYPES, media_type, safe_relative

SAMPLE_ARGS = ("--config", "inputs/reportgen.yaml")  # relative: inputs are recorded as given


@pytest.fixture(scope="module")
def twin_packs(sample_pack, tmp_path_factory) -> tuple[Path, Path]:
    """The sample built twice, into different directories, with different hash seeds: the
    session's sample pack (PYTHONHASHSEED=1) and one more build here."""
    second = tmp_path_factory.mktemp("second") / "deep" / "elsewhere"
    env = {"PYTHONHASHSEED": "2", "SOURCE_DATE_EPOCH": SAMPLE_EPOCH}
    run("-q", "build", *SAMPLE_ARGS, "--out", second, env=env)
    return sample_pack, second


def test_same_inputs_give_byte_identical_packs(twin_packs):
    first, second = twin_packs
    hashes = tree_hashes(first)
    assert {"manifest.json", "summary.md", "pci-dss/matrix.json"} <= set(hashes)
    assert hashes == tree_hashes(second)


def test_the_build_time_comes_from_source_date_epoch(twin_packs, tmp_path):
    manifest = json.loads((twin_packs[0] / "manifest.json").read_text())
    assert manifest["generated_at"] == "2025-12-01T00:00:00Z"
    later = tmp_path / "later"
    env = {"SOURCE_DATE_EPOCH": str(int(SAMPLE_EPOCH) + 3600)}
    run("-q", "build", *SAMPLE_ARGS, "--out", later, env=env, pdf=False)
    generated = json.loads((later / "manifest.json").read_text())["generated_at"]
    assert generated == "2025-12-01T01:00:00Z"
    assert tree_hashes(later)["manifest.json"] != tree_hashes(twin_packs[0])["manifest.json"]


def test_outputs_hold_nothing_machine_specific(twin_packs):
    first, second = twin_packs
    markers = [str(first), str(second), str(first.parent), str(ROOT), str(Path.home()) + "/"]
    host = socket.gethostname()
    if len(host) >= 4:
        markers.append(host)
    user = getpass.getuser()
    if len(user) >= 5:
        markers.append(user)
    for path in first.rglob("*"):
        if path.is_file():
            text = path.read_bytes().decode("utf-8", "replace")
            for marker in markers:
                assert marker not in text, f"{marker!r} in {path.name}"


def test_manifest_lists_every_file_but_itself(twin_packs):
    pack = twin_packs[0]
    manifest = json.loads((pack / "manifest.json").read_text())
    listed = [entry["path"] for entry in manifest["outputs"]]
    on_disk = sorted(p.relative_to(pack).as_posix() for p in pack.rglob("*") if p.is_file())
    assert listed == sorted(listed)
    assert "manifest.json" not in listed
    assert listed == [name for name in on_disk if name != "manifest.json"]
    for entry in manifest["outputs"]:
        data = (pack / entry["path"]).read_bytes()
        assert entry["sha256"] == hashlib.sha256(data).hexdigest()
        assert entry["size"] == len(data)
        assert entry["media_type"] == media_type(entry["path"])
    types = {e["path"]: e["media_type"] for e in manifest["outputs"]}
    assert types["summary.md"] == "text/markdown; charset=utf-8"
    assert types["pci-dss/matrix.json"] == "application/json"


def test_manifest_records_versions_inputs_and_counts(twin_packs):
    pack = twin_packs[0]
    manifest = json.loads((pack / "manifest.json").read_text())
    assert manifest["schema"] == "reportgen.manifest/1"
    assert manifest["generator"]["name"] == "reportgen" and manifest["generator"]["version"]
    inputs = {item["role"]: item for item in manifest["inputs"]}
    assert inputs["config"]["path"] == "inputs/reportgen.yaml"
    assert inputs["inventory"]["path"] == "inputs/inventory.xlsx"
    for role, path in (("config", SAMPLE_CONFIG), ("inventory", SAMPLE_INVENTORY)):
        assert inputs[role]["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
        assert inputs[role]["size"] == path.stat().st_size
    assert [f["id"] for f in manifest["frameworks"]] == ["pci-dss", "iso-27001", "soc2"]
    for entry in manifest["frameworks"]:
        matrix = json.loads((pack / entry["id"] / "matrix.json").read_text())
        assert entry["counts"] == matrix["counts"]
        assert sum(entry["counts"].values()) == entry["controls"] == len(matrix["controls"])
        assert entry["document_id"] == matrix["document_id"]
        assert manifest["catalogs"]["frameworks"][entry["id"]] == entry["catalog_version"]
    assert manifest["catalogs"]["srm"] == matrix["catalogs"]["srm"]
    assert "previous" not in manifest


def test_summary_fits_a_ticket(twin_packs):
    pack = twin_packs[0]
    summary = (pack / "summary.md").read_text()
    manifest = json.loads((pack / "manifest.json").read_text())
    assert summary.startswith("# Audit pack: Harbourline Payments Ltd\n")
    assert "2025-12-01T00:00:00Z" in summary
    for entry in manifest["outputs"]:
        if entry["path"] != "summary.md":  # a file cannot carry its own hash
            assert f"| `{entry['path']}` | {entry['size']:,} | `{entry['sha256']}` |" in summary
    pci = next(f for f in manifest["frameworks"] if f["id"] == "pci-dss")
    counts = " | ".join(f"{n:,}" for n in pci["counts"].values())
    assert f"| PCI DSS | {counts} |" in summary
    assert "Changes since" not in summary  # no --previous given
    assert len(summary) < 8000


def test_summary_escapes_untrusted_text(project, tmp_path):
    config = project / "reportgen.yaml"
    config.write_text(config.read_text().replace("Test Co", "'*Evil* | <b>x</b> [link](http://e)'"))
    out = tmp_path / "pack"
    run(
        "-q",
        "build",
        "--config",
        config,
        "--out",
        out,
        "--framework",
        "soc2",
        cwd=project,
        pdf=False,
    )
    heading = (out / "summary.md").read_text().splitlines()[0]
    assert heading == r"# Audit pack: \*Evil\* \| \<b\>x\</b\> \[link\](http://e)"


@pytest.mark.parametrize(
    ("name", "safe"),
    [
        ("pci-dss/matrix.json", True),
        ("summary.md", True),
        ("manifest.json", False),
        ("/etc/passwd", False),
        ("../secrets", False),
        ("a/../../b", False),
        ("a//b", False),
        ("a\\b", False),
        ("", False),
    ],
)
def test_manifest_paths_must_stay_inside_the_pack(name, safe):
    assert safe_relative(name) is safe


def test_media_types_are_fixed_not_machine_dependent():
    assert media_type("x/report.PDF") == "application/pdf"
    assert media_type("a.xlsx") == MEDIA_TYPES[".xlsx"]
    assert media_type("noext") == "application/octet-stream"
