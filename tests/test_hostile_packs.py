"""Hostile packs through the real command line: verify, diff, bundle, attach, build --previous.

Every case crafts a copy of a real pack (symbolic links in and out of it, FIFOs, sparse
files, duplicate or nested manifests, wrong types), runs one command in its own process and
checks its exit status (2 not a pack or a matrix that breaks its contract, 1 a pack that
does not match its manifest: the same status from every command), its message, that
nothing is written and nothing hangs, and its time and peak memory.
"""

from __future__ import annotations

import json
import os
import shutil
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import MINIMAL_CONFIG, write_config, write_csv
from hostile import FIGURES, tally
from measured import measured
from packhelpers import EPOCH, REPORTGEN, REPORTGEN_WITHOUT_PDF, build

from reportgen.core.errors import InputError

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


def listed_twice_by_case(pack: Path, scratch: Path) -> None:
    """Ninth pass: summary.md and Summary.md, one file once unzipped on macOS or Windows."""
    (pack / "Summary.md").write_bytes((pack / "summary.md").read_bytes())

    def change(manifest: dict) -> None:
        entry = next(e for e in manifest["outputs"] if e["path"] == "summary.md")
        manifest["outputs"].append({**entry, "path": "Summary.md"})

    edit_manifest(pack, change)


def also_listed(*names: str) -> Make:
    """Write and list files (hash and size right) beside the real ones: a pack that verifies
    on Linux, whose names are one file, or a file and a folder, on macOS or Windows."""

    def make(pack: Path, scratch: Path) -> None:
        for name in names:
            (pack / name).parent.mkdir(parents=True, exist_ok=True)
            (pack / name).write_text('{"schema": "evil"}')
        edit_manifest(pack, lambda m: m["outputs"].extend(listed(pack, name) for name in names))

    return make


def key_twice(pack: Path, scratch: Path) -> None:
    text = (pack / "manifest.json").read_text()
    write_manifest(pack, text.replace('"outputs": [', '"outputs": [], "outputs": [', 1))


def nested_manifest(pack: Path, scratch: Path) -> None:
    write_manifest(pack, '{"a": ' * 100_000 + "1" + "}" * 100_000)  # '[[[...' is refused sooner


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


def stamped(stamp: str) -> Make:
    """Adversarial 4a #32: a generated_at of the right shape naming no real moment."""

    def make(pack: Path, scratch: Path) -> None:
        edit_manifest(pack, lambda m: m.update(generated_at=stamp))

    return make


def matrix_stamped(pack: Path, scratch: Path) -> None:
    """The matrix's stamp, which build --previous copies into the new manifest."""
    path = pack / "soc2" / "matrix.json"
    matrix = json.loads(path.read_text())
    matrix["generated_at"] = "2026-13-45T99:99:99Z"
    path.write_text(json.dumps(matrix))
    relist(pack, "soc2/matrix.json")


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


def empty_folders_added(pack: Path, scratch: Path) -> None:
    # nineteenth pass (19b, W1): verify said OK and bundle left them out, where build
    # refused to replace the pack for them
    (pack / "emptydir").mkdir()
    (pack / "soc2" / "a" / "b").mkdir(parents=True)


def missing_matrix(pack: Path, scratch: Path) -> None:
    (pack / "soc2" / "matrix.json").unlink()


def dev_zero_matrix(pack: Path, scratch: Path) -> None:
    (pack / "soc2" / "matrix.json").unlink()
    (pack / "soc2" / "matrix.json").symlink_to("/dev/zero")


def nested_matrix(pack: Path, scratch: Path) -> None:
    (pack / "soc2" / "matrix.json").write_text('{"a": ' * 200_000 + "1" + "}" * 200_000)
    relist(pack, "soc2/matrix.json")


def huge_matrix(pack: Path, scratch: Path) -> None:
    sparse(pack / "soc2" / "matrix.json", 129 * 1024**2)
    edit_manifest(
        pack,
        lambda m: next(e for e in m["outputs"] if e["path"] == "soc2/matrix.json").update(
            size=129 * 1024**2
        ),
    )


def matrix_key_twice(pack: Path, scratch: Path) -> None:
    """Fourteenth pass: a matrix holding a key twice was read (the last value won)."""
    path = pack / "soc2" / "matrix.json"
    text = path.read_text()
    path.write_text(text.replace('"generated_at":', '"generated_at": "2020-01-01T00:00:00Z", '
                                 '"generated_at":', 1))  # fmt: skip
    relist(pack, "soc2/matrix.json")


def matrix_wrong_owner(pack: Path, scratch: Path) -> None:
    path = pack / "soc2" / "matrix.json"
    matrix = json.loads(path.read_text())
    matrix["controls"][0]["owner"] = "nobody"
    del matrix["services"][0]["name"]
    path.write_text(json.dumps(matrix))
    relist(pack, "soc2/matrix.json")


CHAIN = 1100  # folders: past Python's recursion limit, as the tester made it


def deep_folders(pack: Path, scratch: Path) -> None:
    """Adversarial #58: a chain of 1,100 folders was a RecursionError (exit 1, internal)."""
    path = str(pack)
    for _ in range(CHAIN):  # no Path.mkdir(parents=True), os.makedirs: they recurse
        path += "/d"
        os.mkdir(path)
    Path(path, "f").write_text("x")


def remove_chain(pack: Path) -> None:
    """Remove the chain bottom up (shutil.rmtree recurses, so pytest's cleanup cannot)."""
    path = str(pack) + "/d" * CHAIN
    if not os.path.isdir(path):
        return
    os.unlink(path + "/f")
    for _ in range(CHAIN):
        os.rmdir(path)
        path = path[:-2]


def set_size(pack: Path, name: str, size: int) -> None:
    edit_manifest(
        pack, lambda m: next(e for e in m["outputs"] if e["path"] == name).update(size=size)
    )


def terabyte_matrix(pack: Path, scratch: Path) -> None:
    """Adversarial #59: sizes equal, so verify hashed a 1 TB sparse file for ~35 min."""
    sparse(pack / "soc2" / "matrix.json", 2**40)
    set_size(pack, "soc2/matrix.json", 2**40)


def terabyte_workbook(pack: Path, scratch: Path) -> None:
    workbook = next((pack / "soc2").glob("*-raci.xlsx"))
    sparse(workbook, 2**40)
    set_size(pack, f"soc2/{workbook.name}", 2**40)


def sparse_workbook_under_the_cap(pack: Path, scratch: Path) -> None:
    """512 MB, under the 1 GB cap for a workbook, but all hole: refused, never hashed."""
    workbook = next((pack / "soc2").glob("*-raci.xlsx"))
    sparse(workbook, 512 * 1024**2)
    set_size(pack, f"soc2/{workbook.name}", 512 * 1024**2)


def write_matrix_text(pack: Path, parts: list[str], repeat: str, count: int) -> None:
    """soc2/matrix.json as ``parts[0] + repeat * count + parts[1]``, written in chunks,
    then re-sealed in the manifest (as anyone handing over a pack can)."""
    with (pack / "soc2" / "matrix.json").open("w") as handle:
        handle.write(parts[0])
        for _ in range(count // 100_000):
            handle.write(repeat * 100_000)
        handle.write(parts[1])
    relist(pack, "soc2/matrix.json")


def matrix_of_empty_objects(pack: Path, scratch: Path) -> None:
    """Adversarial #61: 126 MB of [{},{},...] took 3.93 GB in json.loads."""
    write_matrix_text(pack, ["[", "{}]"], "{},", 14_000_000)  # 42 MB, under the 48 MB cap


def matrix_of_many_values(pack: Path, scratch: Path) -> None:
    write_matrix_text(pack, ['{"junk": [', "{}]}"], "{},", 14_000_000)


def small_matrix(framework: str, pad: str = "") -> str:
    """The start of a matrix whose last field, ``pad``, the caller fills and closes: for
    the bounds checked before the matrix is parsed (its contract is checked after)."""
    matrix = {
        "schema": "reportgen.matrix/1",
        "generated_at": "2026-01-01T00:00:00Z",
        "framework": {"id": framework, "name": framework},
        "services": [],
        "controls": [],
    }
    return json.dumps(matrix)[:-1] + f', "pad": "{pad}'


def wide_string_matrix(pack: Path, scratch: Path) -> None:
    """Adversarial 2 #1: one emoji makes the whole 47 MB string 4 bytes a character (one
    JSON value: 686 MB for a diff). 26 MB of it is refused before it is decoded."""
    write_matrix_text(pack, [small_matrix("soc2", "\U0001f600"), '"}'], "a" * 26, 1_000_000)


def escaped_wide_matrix(pack: Path, scratch: Path) -> None:
    """The same width from ASCII text: each escaped surrogate pair parses to an emoji."""
    write_matrix_text(pack, [small_matrix("soc2"), '"}'], "\\ud83d\\ude00" * 4, 1_000_000)


def nine_matrices(pack: Path, scratch: Path) -> None:
    """Adversarial 2 #2: a manifest may list any number of matrices, and each was kept."""
    for index in range(9):
        folder = pack / f"fw{index}"
        folder.mkdir()
        (folder / "matrix.json").write_text(small_matrix(f"fw{index}") + '"}')
    edit_manifest(
        pack, lambda m: m["outputs"].extend(listed(pack, f"fw{i}/matrix.json") for i in range(9))
    )


def padded_matrix(pack: Path, framework: str) -> list[str]:
    """The pack's own matrix of ``framework``, split where a warning's text goes: a valid
    matrix once the text between is written."""
    matrix = json.loads((pack / framework / "matrix.json").read_text())
    matrix["warnings"] = ["PAD"]
    return json.dumps(matrix).split("PAD")


def six_linked_matrices(pack: Path, scratch: Path) -> None:
    """Adversarial 2 #2, by bytes: six 23 MB matrices (one file, hard-linked: 23 MB of disk),
    each valid and within every per-matrix limit; the sixth passes the bytes one command
    reads."""
    write_matrix_text(pack, padded_matrix(pack, "soc2"), "a" * 23, 1_048_576)
    for index in range(6):
        (pack / f"fw{index}").mkdir()
        os.link(pack / "soc2" / "matrix.json", pack / f"fw{index}" / "matrix.json")
    edit_manifest(
        pack, lambda m: m["outputs"].extend(listed(pack, f"fw{i}/matrix.json") for i in range(6))
    )


def listed(pack: Path, name: str) -> dict:
    import hashlib

    data = (pack / name).read_bytes()
    sha256 = hashlib.sha256(data).hexdigest()
    return {"path": name, "sha256": sha256, "size": len(data), "media_type": "application/json"}


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


NOT_VALID = "the manifest is not valid"
CASES = [
    Case("symlinked-pack", symlinked_pack, 2, ["the pack directory is a symbolic link"]),
    Case("manifest-links-out", manifest_links_out, 2, ["manifest.json: is a symbolic link"]),
    Case(
        "folder-links-out", folder_links_out, 1, ["soc2/matrix.json", "'soc2' is a symbolic link"]
    ),
    Case("file-links-out", file_links_out, 1, ["summary.md: is a symbolic link"], ("verify",)),
    Case("listed-twice", listed_twice, 2, [NOT_VALID, "listed more than once"]),
    Case("listed-twice-by-case", listed_twice_by_case, 2, [NOT_VALID, "listed more than once"]),
    Case("key-twice", key_twice, 2, ["the key 'outputs' appears twice"]),
    # Sixteenth pass: the manifest's own name in another case replaced it once unzipped on
    # macOS or Windows; NFC and NFD spellings of one name are one file on macOS.
    Case(
        "manifest-listed-by-case",
        also_listed("Manifest.json"),
        2,
        [NOT_VALID, "Manifest.json (as manifest.json, the manifest itself)"],
    ),
    Case("manifest-upper-case", also_listed("MANIFEST.JSON"), 2, [NOT_VALID, "the manifest"]),
    Case(
        "listed-twice-nfc-nfd",
        also_listed("caf\u00e9.json", "cafe\u0301.json"),
        2,
        [NOT_VALID, "one file listed more than once", "Unicode normalisation"],
    ),
    Case(
        "file-and-folder-by-case",
        also_listed("Soc2/matrix.json", "SOC2"),
        2,
        [NOT_VALID, "both a file and a folder", "SOC2"],
    ),
    Case(
        "manifest-as-a-folder-by-case",
        also_listed("Manifest.json/x.json"),
        2,
        [NOT_VALID, "both a file and a folder", "the manifest itself"],
    ),
    Case("nested-manifest", nested_manifest, 2, ["cannot read the manifest: nested more than"]),
    Case("5000-digit-size", long_size, 2, ["cannot read the manifest: not valid JSON", "digits"]),
    Case("no-generated-at", drop("generated_at"), 2, ["generated_at: required key is missing"]),
    Case("month-13", stamped("2026-13-45T99:99:99Z"), 2, [NOT_VALID, "not a real date"]),
    Case("year-0", stamped("0000-01-01T00:00:00Z"), 2, [NOT_VALID, "not a real date"]),
    Case(
        "fullwidth-digits",
        stamped("\uff12\uff10\uff12\uff16-\uff11\uff12-\uff10\uff11T00:00:00Z"),
        2,
        [NOT_VALID, "generated_at: String should match"],
    ),
    Case(
        "matrix-month-13",
        matrix_stamped,
        2,
        ["the matrix is not valid", "not a real date"],
        ("diff", "previous"),
    ),
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
    ),
    Case("fifo-not-listed", fifo_unlisted, 1, ["soc2/pipe"], ("verify", "bundle", "attach")),
    Case(
        "empty-folders-added",
        empty_folders_added,
        1,
        ["emptydir/", "soc2/a/", "not in the manifest"],
        ("verify", "bundle", "attach"),
    ),
    Case("dev-zero-matrix", dev_zero_matrix, 1, ["soc2/matrix.json", "is a symbolic link"]),
    Case(  # verify: "MISSING  soc2/matrix.json" (test_verify_bundle.py)
        "matrix-missing",
        missing_matrix,
        1,
        ["soc2/matrix.json", "missing"],
        ("bundle", "attach", "diff", "previous"),
    ),
    Case(
        "nested-matrix", nested_matrix, 2, ["cannot read the matrix: nested"], ("diff", "previous")
    ),
    Case("huge-matrix", huge_matrix, 1, ["soc2/matrix.json", "over the limit of 50,331,648"]),
    Case(
        "matrix-key-twice",
        matrix_key_twice,
        2,
        ["cannot read the matrix", "generated_at", "twice"],
        ("diff", "previous"),
    ),
    Case(
        "matrix-wrong-types",
        matrix_wrong_owner,
        2,
        ["the matrix is not valid", "controls[", "owner: Input should be", "name: required key"],
        ("diff", "previous"),
    ),
    Case(
        "26-mb-string-with-an-emoji",
        wide_string_matrix,
        2,
        ["soc2/matrix.json", "parsing it could take up to 208,002,", "more than the 201,326,592"],
        ("diff", "previous"),
    ),
    Case(
        "26-mb-of-escaped-emoji",
        escaped_wide_matrix,
        2,
        ["soc2/matrix.json", "parsing it could take up to", "more than the 201,326,592"],
        ("diff", "previous"),
    ),
    Case(
        "nine-matrices",
        nine_matrices,
        2,
        ["manifest.json", "lists 11 matrix.json files, more than the 8 a pack may hold"],
        ("diff", "previous"),
    ),
    Case(
        "six-23-mb-matrices",
        six_linked_matrices,
        2,
        ["matrix.json", "more than the 134,217,728 one command reads"],
        ("diff", "previous"),
    ),
    Case(
        "matrix-edited",
        matrix_edited,
        1,
        ["soc2/matrix.json", "does not match the pack's manifest"],
        ("diff", "previous"),
    ),
    Case(
        "1100-deep-folders",
        deep_folders,
        1,
        ["d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/", "not in the manifest"],
        ("verify", "bundle", "attach"),
    ),
    Case(
        "1-tb-sparse-matrix",
        terabyte_matrix,
        1,
        ["soc2/matrix.json", "1,099,511,627,776 bytes, over the limit of 50,331,648"],
    ),
    Case(
        "1-tb-sparse-workbook",
        terabyte_workbook,
        1,
        ["raci.xlsx: size 1,099,511,627,776 bytes, over the limit of 1,073,741,824"],
        ("verify", "bundle", "attach"),
    ),
    Case(
        "512-mb-sparse-workbook",
        sparse_workbook_under_the_cap,
        1,
        ["raci.xlsx: a sparse file (536,870,912 bytes, with holes)"],
        ("verify", "bundle", "attach"),
    ),
    Case(
        "matrix-of-empty-objects",
        matrix_of_empty_objects,
        2,
        ["soc2/matrix.json", "the top level must be a JSON object ('{'), not '['"],
        ("diff", "previous"),
    ),
    Case(
        "matrix-of-14m-values",
        matrix_of_many_values,
        2,
        ["soc2/matrix.json", "too many JSON values: up to 28,000,004", "1,200,000 allowed"],
        ("diff", "previous"),
    ),
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
    try:
        result = measured(argv, tmp_path, env={"SOURCE_DATE_EPOCH": EPOCH}, timeout=120)
    finally:
        remove_chain(copy)
    report = f"exit {result.status} in {result.seconds:.1f} s\n{result.stderr}{result.stdout}"
    assert result.status == case.status, report  # one status per problem, in every command
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


# ---------------------------------------------------------------- beyond the five commands


def test_build_out_refuses_a_1100_deep_pack(pack: Path, tmp_path: Path) -> None:
    """Adversarial #58, build --out: the survey of the old pack walked it recursively."""
    copy = Path(shutil.copytree(pack, tmp_path / "test-co"))
    deep_folders(copy, tmp_path)
    project = tmp_path / "project"
    project.mkdir()
    write_csv(project / "inventory.csv", [["Service"], ["S3"]])
    write_config(project, MINIMAL_CONFIG)
    argv = [*REPORTGEN_WITHOUT_PDF, "build", "--config", str(project / "reportgen.yaml")]
    result = measured([*argv, "--framework", "soc2", "--out", str(copy)], tmp_path)
    report = result.stderr + result.stdout
    assert result.status == 2, report
    assert "Traceback" not in result.stderr and "internal error" not in result.stderr, report
    assert "folders nested deeper than 16 levels" in result.text, report
    assert Path(str(copy) + "/d" * CHAIN, "f").read_text() == "x"  # nothing deleted
    assert result.rss_mb < RSS_LIMIT_MB
    remove_chain(copy)


def test_a_dense_file_is_streamed_not_loaded(pack: Path, tmp_path: Path) -> None:
    """Adversarial #60: bundle and attach read each file whole (2 GB took 4.25 GB). A real
    (not sparse) 300 MB workbook, re-sealed, must pass through in bounded memory: the runs
    below would need over 600 MB if the file were held, once as read and once as zipped."""
    copy = Path(shutil.copytree(pack, tmp_path / "test-co"))
    workbook = next((copy / "soc2").glob("*-raci.xlsx"))
    with workbook.open("wb") as handle:
        for _ in range(300):
            handle.write(bytes(1024**2))
    relist(copy, f"soc2/{workbook.name}")
    runs = {
        "bundle": [*REPORTGEN, "bundle", str(copy), "-o", str(tmp_path / "b.zip")],
        "attach": [*REPORTGEN, "attach", str(copy), "--jira", "GRC-1", "--dry-run", "--files"],
    }
    for command, argv in runs.items():
        folder = tmp_path / command
        folder.mkdir()
        result = measured(argv, folder, env={"SOURCE_DATE_EPOCH": EPOCH}, timeout=300)
        assert result.status == 0, result.stderr + result.stdout
        assert result.rss_mb < RSS_LIMIT_MB, f"{command}: peak RSS {result.rss_mb:.0f} MB"
        figure = f"{result.seconds:.1f} s, {result.rss_mb:.0f} MB"
        FIGURES[f"dense 300 MB file ({command})"] = figure
    assert "314,572,800 bytes" in (tmp_path / "attach" / "stdout").read_text()
    workbook.unlink()  # 300 MB: do not wait for pytest's cleanup


def test_bundle_refuses_an_alias_of_the_pack(pack: Path, tmp_path: Path) -> None:
    """Adversarial #66: -o through a link to the pack wrote the zip into it."""
    copy = Path(shutil.copytree(pack, tmp_path / "test-co"))
    (tmp_path / "alias").symlink_to(copy, target_is_directory=True)
    (tmp_path / "nested").mkdir()
    (tmp_path / "nested" / "up").symlink_to(copy / "soc2", target_is_directory=True)
    for output in (tmp_path / "alias" / "evidence.zip", tmp_path / "nested" / "up" / "x.zip"):
        result = measured([*REPORTGEN, "bundle", str(copy), "-o", str(output)], tmp_path)
        assert result.status == 2, result.stderr
        assert "the zip cannot be written inside the pack it bundles" in result.text
        assert str(output) in result.text
    assert not list(copy.rglob("*.zip")) and not list(copy.rglob(".reportgen-*"))
    assert measured([*REPORTGEN, "verify", str(copy)], tmp_path).status == 0


def test_evidence_pack_is_read_through_the_pack_reader(pack: Path, tmp_path: Path) -> None:
    """Adversarial #65: --evidence PACK opened the listed workbook path directly, so a
    link out of the pack (verify: ALTERED) was followed. The workbook is edited in the pack
    by design, so it is not hash-checked, but it is read only through the pack reader."""
    project = tmp_path / "project"
    project.mkdir()
    write_csv(project / "inventory.csv", [["Service"], ["S3"]])
    write_config(project, MINIMAL_CONFIG)
    config = str(project / "reportgen.yaml")
    outside = tmp_path / "outside"
    outside.mkdir()
    linked = Path(shutil.copytree(pack, tmp_path / "linked"))
    workbook = next((linked / "soc2").glob("*-raci.xlsx"))
    workbook.rename(outside / workbook.name)
    workbook.symlink_to(outside / workbook.name)
    folder = Path(shutil.copytree(pack, tmp_path / "folder-linked"))
    shutil.move(folder / "soc2", outside / "soc2")
    (folder / "soc2").symlink_to(outside / "soc2", target_is_directory=True)
    fifo = Path(shutil.copytree(pack, tmp_path / "fifo"))
    workbook_fifo = next((fifo / "soc2").glob("*-raci.xlsx"))
    workbook_fifo.unlink()
    os.mkfifo(workbook_fifo)
    cases = {
        linked: f"soc2/{workbook.name}: is a symbolic link",
        folder: "'soc2' is a symbolic link",
        fifo: "is a FIFO (named pipe), not a regular file",
    }
    for bad, why in cases.items():
        for command in ("validate", "build"):
            argv = [*REPORTGEN_WITHOUT_PDF, command, "--config", config, "--framework", "soc2"]
            argv += ["--evidence", str(bad)]
            if command == "build":
                argv += ["--out", str(tmp_path / "out")]
            result = measured(argv, tmp_path, env={"SOURCE_DATE_EPOCH": EPOCH}, timeout=120)
            report = result.stderr + result.stdout
            assert result.status == 2, report
            assert why in result.text and str(bad) in result.text, report
            assert "Traceback" not in result.stderr
    assert not (tmp_path / "out").exists()
    good = [*REPORTGEN_WITHOUT_PDF, "validate", "--config", config, "--framework", "soc2"]
    result = measured([*good, "--evidence", str(pack)], tmp_path, env={"SOURCE_DATE_EPOCH": EPOCH})
    assert result.status == 0, result.stderr


def test_a_wide_matrix_under_the_bound_is_read_in_bounded_memory(pack: Path, tmp_path: Path):
    """Adversarial 2 #1-#3: a 20 MB matrix of one emoji-wide string is within every limit
    (8 bytes a byte bounded: 160 MB); both diff and build --previous read it and keep only
    what they compare, so the peak stays near one parse, however many packs are read."""
    copy = Path(shutil.copytree(pack, tmp_path / "test-co"))
    head, tail = padded_matrix(copy, "soc2")
    write_matrix_text(copy, [head + "\U0001f600", tail], "a" * 20, 1_000_000)
    for command in ("diff", "previous"):
        folder = tmp_path / command
        folder.mkdir()
        argv, _ = run_command(command, copy, copy, folder)
        result = measured(argv, folder, env={"SOURCE_DATE_EPOCH": EPOCH}, timeout=300)
        assert result.status == 0, result.stderr + result.stdout
        assert result.rss_mb < 300, f"{command}: peak RSS {result.rss_mb:.0f} MB"
        FIGURES[f"20 MB emoji-wide matrix ({command})"] = (
            f"{result.seconds:.1f} s, {result.rss_mb:.0f} MB"
        )


@pytest.mark.parametrize("generated_at", ["2108-01-01T00:00:00Z", "9999-12-31T23:59:59Z"])
def test_a_pack_dated_past_what_a_zip_holds_is_bundled(pack, tmp_path, generated_at):
    """Eleventh pass: a manifest dated 2108 or later verified OK, but bundle and attach
    crashed writing the zip ('ushort format requires ...', exit 1)."""
    copy = Path(shutil.copytree(pack, tmp_path / "test-co"))
    edit_manifest(copy, lambda manifest: manifest.update(generated_at=generated_at))
    result = measured([*REPORTGEN, "bundle", str(copy), "-o", str(tmp_path / "b.zip")], tmp_path)
    assert result.status == 0, result.stderr
    with zipfile.ZipFile(tmp_path / "b.zip") as bundle:
        assert {info.date_time for info in bundle.infolist()} == {(2107, 12, 31, 23, 59, 58)}


@pytest.mark.parametrize(
    "epoch",
    ["4354819200", "253402300799", "-1", "0", "315532799", "+1767225600", "1_767_225_600",
     "\u0661\u0667\u0666\u0667\u0662\u0662\u0665\u0666\u0660\u0660",
     "1" * 4301],  # past the 4,300 digits Python converts: an internal error (pass 15)
)  # fmt: skip
def test_a_build_time_no_zip_can_hold_is_refused(tmp_path, epoch):
    """Eleventh pass: SOURCE_DATE_EPOCH in 2108..9999 crashed the workbook's renderer."""
    project = tmp_path / "project"
    project.mkdir()
    write_csv(project / "inventory.csv", [["Service"], ["S3"]])
    write_config(project, MINIMAL_CONFIG)
    argv = [*REPORTGEN, "build", "--config", str(project / "reportgen.yaml"), "--out",
            str(tmp_path / "out"), "--format", "xlsx"]  # fmt: skip
    (tmp_path / "refused").mkdir()
    (tmp_path / "last").mkdir()
    result = measured(argv, tmp_path / "refused", env={"SOURCE_DATE_EPOCH": epoch})
    assert result.status == 2, result.stderr
    assert "SOURCE_DATE_EPOCH must be whole seconds since 1970-01-01 from 315532800" in (
        result.text
    )
    assert not (tmp_path / "out").exists()
    last = measured(argv, tmp_path / "last", env={"SOURCE_DATE_EPOCH": "4354819199"})
    assert last.status == 0, last.stderr


def test_a_failed_bundle_leaves_no_folder_it_made(pack, tmp_path, monkeypatch):
    """Eleventh pass: `bundle -o small/nd3/nd4/x.zip` on a full disk left nd3/nd4."""
    import errno

    import reportgen.pack.bundle as bundle

    def full(*_args) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(bundle, "_write_zip", full)
    (tmp_path / "small").mkdir()
    with pytest.raises(InputError, match="no space left"):
        bundle.bundle_pack(pack, tmp_path / "small" / "nd3" / "nd4" / "x.zip")
    assert list((tmp_path / "small").iterdir()) == []


def test_a_folder_moved_while_bundle_writes_keeps_no_temporary_zip(
    pack, tmp_path, monkeypatch, capsys
):
    """Sixteenth pass, F1: the zip's folder renamed while bundle wrote kept the temporary
    zip (210 MB) in the moved folder, and the message hinted at a typing mistake."""
    import reportgen.pack.bundle as bundle
    from reportgen.cli import main

    real = bundle._write_zip
    share, moved = tmp_path / "share", tmp_path / "moved"
    share.mkdir()

    def then_moved(*args) -> None:
        real(*args)
        share.rename(moved)

    monkeypatch.setattr(bundle, "_write_zip", then_moved)
    with pytest.raises(SystemExit) as stopped:
        main(["bundle", str(pack), "-o", str(share / "x.zip")])
    stderr = " ".join(capsys.readouterr().err.split())
    assert stopped.value.code == 2, stderr
    assert list(moved.iterdir()) == [], "the temporary zip was left in the moved folder"
    assert f"{share} was moved or removed while the file was written" in stderr
    assert "nothing reportgen wrote was left in place" in stderr
    assert "typing mistakes" not in stderr and "Traceback" not in stderr


def test_an_output_file_named_with_a_trailing_slash_is_refused(pack, tmp_path):
    """Twelfth pass: `bundle -o p1.zip/` wrote a file named p1.zip."""
    result = measured([*REPORTGEN, "bundle", str(pack), "-o", f"{tmp_path}/p1.zip/"], tmp_path)
    assert result.status == 2, result.stderr
    assert "ends with '/', naming a folder; give a file" in result.text
    assert not (tmp_path / "p1.zip").exists()


def test_a_summary_only_pack_makes_no_empty_folder_and_verifies(tmp_path: Path) -> None:
    """Twentieth pass: `--format summary` made an empty folder for each framework, which
    verify (since it lists folders that hold no file) then called extra, and bundle refused.
    A pack from before, which has those folders, still verifies and is rebuilt in place."""
    project = tmp_path / "project"
    project.mkdir()
    write_csv(project / "inventory.csv", [["Service"], ["S3"]])
    write_config(project, MINIMAL_CONFIG)
    out = tmp_path / "summary-only"
    build(project, out, "--framework", "soc2", "--format", "summary", pdf=False)
    assert sorted(p.name for p in out.iterdir()) == ["manifest.json", "summary.md"]
    (out / "soc2").mkdir()  # as reportgen left it before
    for argv in (["verify", str(out)], ["bundle", str(out), "-o", str(tmp_path / "s.zip")]):
        result = measured([*REPORTGEN_WITHOUT_PDF, *argv], tmp_path)
        assert result.status == 0, result.stderr + result.stdout
    build(project, out, "--framework", "soc2", "--format", "summary", pdf=False)
    (out / "soc2").mkdir()
    (out / "soc2" / "mine").mkdir()  # a folder inside it is no longer reportgen's
    result = measured([*REPORTGEN_WITHOUT_PDF, "verify", str(out)], tmp_path)
    assert result.status == 1 and "soc2/mine/ (a folder holding no file" in result.stdout
