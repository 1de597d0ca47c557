"""Hostile packs through the real command line: verify, diff, bundle, attach, build --previous.

Every case crafts a copy of a real pack (symbolic links in and out of it, FIFOs, sparse
files, duplicate or nested manifests, wrong types), runs one command in its own process and
checks its exit status (2 not a pack, 1 a pack that does not match its manifest), its
message, that nothing is written and nothing hangs, and its time and peak memory.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from conftest import MINIMAL_CONFIG, write_config, write_csv
from hostile import FIGURES, tally
from measured import measured
from packhelpers import EPOCH, REPORTGEN, REPORTGEN_WITHOUT_PDF, build

RSS_LIMIT_MB = 200  # a refused pack costs what starting Python and pydantic costs: ~60 MB
SECONDS = 20  # generous for a busy 2-core machine; the failures fixed here took minutes
GB = 1024**3


@pytest.fixture(scope="module")
def pack(tmp_path_factory) -> Path:
    project = tmp_path_factory.mktemp("project")
    write_csv(project / "inventory.csv", [["Service", "Resource ID"], ["EC2", "i-1"], ["S3", "b"]])
    write_config(project, MINIMAL_CONFIG)
    out = tmp_path_factory.mktemp("packs") / "test-co"
    return build(project, out, "--framework", "soc2", "--framework", "pci-dss", pdf=False)


def manifest_of(pack: Path) -> dict:
    return json.loads((pack / "manifest.json").read_text())


def write_manifest(pack: Path, manifest: dict | str) -> None:
    text = manifest if isinstance(manifest, str) else json.dumps(manifest, indent=2)
    (pack / "manifest.json").write_text(text)


def edit_manifest(pack: Path, change: Callable[[dict], None]) -> None:
    manifest = manifest_of(pack)
    change(manifest)
    write_manifest(pack, manifest)


def relist(pack: Path, name: str) -> None:
    """Update the manifest entry of ``name`` to the file's current size and hash."""
    import hashlib

    data = (pack / name).read_bytes()

    def change(manifest: dict) -> None:
        entry = next(e for e in manifest["outputs"] if e["path"] == name)
        entry.update(size=len(data), sha256=hashlib.sha256(data).hexdigest())

    edit_manifest(pack, change)


def sparse(path: Path, size: int) -> None:
    with path.open("wb") as handle:
        handle.truncate(size)


# ---------------------------------------------------------------- the cases

Make = Callable[[Path, Path], None]  # (the pack's copy, a scratch folder outside it)


def symlinked_pack(pack: Path, scratch: Path) -> None:
    real = pack.rename(scratch / "real-pack")
    pack.symlink_to(real, target_is_directory=True)


def manifest_links_out(pack: Path, scratch: Path) -> None:
    outside = scratch / "outside-manifest.json"
    shutil.move(pack / "manifest.json", outside)
    (pack / "manifest.json").symlink_to(outside)


def folder_links_out(pack: Path, scratch: Path) -> None:
    real = shutil.move(pack / "soc2", scratch / "soc2")
    (pack / "soc2").symlink_to(real, target_is_directory=True)


def file_links_out(pack: Path, scratch: Path) -> None:
    outside = Path(shutil.copy(pack / "summary.md", scratch / "secret.md"))
    (pack / "summary.md").unlink()
    (pack / "summary.md").symlink_to(outside)


def listed_twice(pack: Path, scratch: Path) -> None:
    def change(manifest: dict) -> None:
        entry = dict(manifest["outputs"][0])
        manifest["outputs"].append({**entry, "sha256": "0" * 64})

    edit_manifest(pack, change)


def key_twice(pack: Path, scratch: Path) -> None:
    text = (pack / "manifest.json").read_text()
    write_manifest(pack, text.replace('"outputs": [', '"outputs": [], "outputs": [', 1))


def nested_manifest(pack: Path, scratch: Path) -> None:
    write_manifest(pack, "[" * 100_000 + "]" * 100_000)


def long_size(pack: Path, scratch: Path) -> None:
    text = (pack / "manifest.json").read_text()
    write_manifest(pack, text.replace('"size": ', '"size": ' + "9" * 5000, 1))


def drop(*keys: str) -> Make:
    def make(pack: Path, scratch: Path) -> None:
        def change(manifest: dict) -> None:
            target = manifest
            for key in keys[:-1]:
                target = target[key] if not isinstance(target, list) else target[int(key)]
            del target[keys[-1]]

        edit_manifest(pack, change)

    return make


def customer_string(pack: Path, scratch: Path) -> None:
    edit_manifest(pack, lambda m: m.update(customer="Test Co"))


def size_as_text(pack: Path, scratch: Path) -> None:
    edit_manifest(pack, lambda m: m["outputs"][0].update(size=str(m["outputs"][0]["size"])))


def header_injection(pack: Path, scratch: Path) -> None:
    edit_manifest(pack, lambda m: m["outputs"][0].update(media_type="text/plain\r\nX-Evil: 1"))


def huge_manifest(pack: Path, scratch: Path) -> None:
    sparse(pack / "manifest.json", 200 * 1024**2)


def manifest_fifo(pack: Path, scratch: Path) -> None:
    (pack / "manifest.json").unlink()
    os.mkfifo(pack / "manifest.json")


def sparse_listed_file(pack: Path, scratch: Path) -> None:
    sparse(pack / "soc2" / "matrix.json", 16 * GB)


def fifo_listed_file(pack: Path, scratch: Path) -> None:
    (pack / "soc2" / "matrix.json").unlink()
    os.mkfifo(pack / "soc2" / "matrix.json")


def fifo_unlisted(pack: Path, scratch: Path) -> None:
    os.mkfifo(pack / "soc2" / "pipe")


def dev_zero_matrix(pack: Path, scratch: Path) -> None:
    (pack / "soc2" / "matrix.json").unlink()
    (pack / "soc2" / "matrix.json").symlink_to("/dev/zero")


def nested_matrix(pack: Path, scratch: Path) -> None:
    (pack / "soc2" / "matrix.json").write_text("[" * 200_000 + "]" * 200_000)
    relist(pack, "soc2/matrix.json")


def huge_matrix(pack: Path, scratch: Path) -> None:
    sparse(pack / "soc2" / "matrix.json", 129 * 1024**2)
    edit_manifest(
        pack,
        lambda m: next(e for e in m["outputs"] if e["path"] == "soc2/matrix.json").update(
            size=129 * 1024**2
        ),
    )


def matrix_wrong_owner(pack: Path, scratch: Path) -> None:
    path = pack / "soc2" / "matrix.json"
    matrix = json.loads(path.read_text())
    matrix["controls"][0]["owner"] = "nobody"
    del matrix["services"][0]["name"]
    path.write_text(json.dumps(matrix))
    relist(pack, "soc2/matrix.json")


def matrix_edited(pack: Path, scratch: Path) -> None:
    path = pack / "soc2" / "matrix.json"
    path.write_text(path.read_text().replace('"customer"', '"aws"'))


@dataclass
class Case:
    name: str
    make: Make
    status: int
    expect: list[str]
    commands: tuple[str, ...] = ("verify", "bundle", "attach", "diff", "previous")
    statuses: dict[str, int] = field(default_factory=dict)  # per command, where it differs


NOT_VALID = "the manifest is not valid"
CASES = [
    Case("symlinked-pack", symlinked_pack, 2, ["the pack directory is a symbolic link"]),
    Case("manifest-links-out", manifest_links_out, 2, ["manifest.json: is a symbolic link"]),
    Case(
        "folder-links-out",
        folder_links_out,
        1,
        ["soc2/matrix.json: 'soc2' is a symbolic link"],
        statuses={"diff": 2, "previous": 2},
    ),
    Case("file-links-out", file_links_out, 1, ["summary.md: is a symbolic link"], ("verify",)),
    Case("listed-twice", listed_twice, 2, [NOT_VALID, "listed more than once"]),
    Case("key-twice", key_twice, 2, ["the key 'outputs' appears twice"]),
    Case("nested-manifest", nested_manifest, 2, ["cannot read the manifest: nested more than"]),
    Case("5000-digit-size", long_size, 2, ["cannot read the manifest: not valid JSON", "digits"]),
    Case("no-generated-at", drop("generated_at"), 2, ["generated_at: required key is missing"]),
    Case("no-media-type", drop("outputs", "0", "media_type"), 2, ["media_type: required key"]),
    Case("customer-as-text", customer_string, 2, ["customer: Input should be a valid dict"]),
    Case("size-as-text", size_as_text, 2, ["size: Input should be a valid integer"]),
    Case("header-in-media-type", header_injection, 2, ["media_type: String should match"]),
    Case("200-mb-manifest", huge_manifest, 2, ["over the limit of 4,194,304 bytes"]),
    Case("manifest-fifo", manifest_fifo, 2, ["'manifest.json' is a FIFO (named pipe)"]),
    Case(
        "sparse-16-gb-file",
        sparse_listed_file,
        1,
        ["soc2/matrix.json: size 17179869184 bytes, manifest says"],
        ("verify", "bundle", "attach"),
    ),
    Case(
        "fifo-listed-file",
        fifo_listed_file,
        1,
        ["'matrix.json' is a FIFO (named pipe), not a regular file"],
        statuses={"diff": 2, "previous": 2},
    ),
    Case("fifo-not-listed", fifo_unlisted, 1, ["soc2/pipe"], ("verify", "bundle", "attach")),
    Case(
        "dev-zero-matrix",
        dev_zero_matrix,
        1,
        ["soc2/matrix.json", "is a symbolic link"],
        statuses={"diff": 2, "previous": 2},
    ),
    Case(
        "nested-matrix", nested_matrix, 2, ["cannot read the matrix: nested"], ("diff", "previous")
    ),
    Case("huge-matrix", huge_matrix, 2, ["over the limit of 134,217,728"], ("diff", "previous")),
    Case(
        "matrix-wrong-types",
        matrix_wrong_owner,
        2,
        ["the matrix is not valid", "controls[", "owner: Input should be", "name: required key"],
        ("diff", "previous"),
    ),
    Case("matrix-edited", matrix_edited, 1, ["does not match the pack's manifest"], ("diff",)),
]
RUNS = [(case, command) for case in CASES for command in case.commands]


def run_command(command: str, pack: Path, good: Path, scratch: Path) -> tuple[list[str], Path]:
    """(argv, where its output would go) of one command against the crafted pack."""
    if command == "verify":
        return [*REPORTGEN, "verify", str(pack)], scratch / "nothing"
    if command == "bundle":
        return [*REPORTGEN, "bundle", str(pack), "-o", str(scratch / "b.zip")], scratch / "b.zip"
    if command == "attach":  # refused before the dry run's plan: nothing is sent, or shown
        return [*REPORTGEN, "attach", str(pack), "--jira", "GRC-1", "--dry-run"], scratch / "x"
    if command == "diff":
        return [*REPORTGEN, "diff", str(good), str(pack)], scratch / "nothing"
    project = scratch / "project"
    project.mkdir()
    write_csv(project / "inventory.csv", [["Service"], ["S3"]])
    write_config(project, MINIMAL_CONFIG)
    out = scratch / "new-pack"
    argv = [*REPORTGEN_WITHOUT_PDF, "build", "--config", str(project / "reportgen.yaml")]
    return [*argv, "--framework", "soc2", "--out", str(out), "--previous", str(pack)], out


@pytest.mark.parametrize(("case", "command"), RUNS, ids=[f"{c.name}-{m}" for c, m in RUNS])
def test_hostile_pack(case: Case, command: str, pack: Path, tmp_path: Path) -> None:
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    copy = Path(shutil.copytree(pack, tmp_path / "test-co"))
    case.make(copy, scratch)
    argv, output = run_command(command, copy, pack, scratch)
    result = measured(argv, tmp_path, env={"SOURCE_DATE_EPOCH": EPOCH}, timeout=120)
    report = f"exit {result.status} in {result.seconds:.1f} s\n{result.stderr}{result.stdout}"
    status = case.statuses.get(command, case.status)
    assert result.status == status, report
    assert "Traceback" not in result.stderr and "internal error" not in result.stderr, report
    for fragment in case.expect:
        assert fragment in result.text + " ".join(result.stdout.split()), report
    assert not output.exists(), "a refused pack gave an output"
    assert not list(scratch.glob(".reportgen-*")), "temporary files were left behind"
    assert result.seconds < SECONDS, report
    assert result.rss_mb < RSS_LIMIT_MB, f"peak RSS {result.rss_mb:.0f} MB"
    FIGURES[f"hostile pack {case.name} ({command})"] = (
        f"exit {result.status}, {result.seconds:.1f} s, {result.rss_mb:.0f} MB"
    )
    tally("hostile packs", f"exit {result.status}")
