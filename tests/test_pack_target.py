"""A build replaces only a pack reportgen wrote: never a user's folder, file, link, working
directory, a pack someone added files to (without --overwrite) or a read-only pack.

Every case runs the real command line and checks the exit status, the message and that
every file that was there is still there, byte for byte.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from packhelpers import build, run, tree_hashes

from reportgen.pack.verify import verify_pack

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX permissions and links")


def _refused(project, out, *extra, cwd=None, why="refusing to replace"):
    argv = ("build", "--config", project / "reportgen.yaml", "--out", out, *extra)
    result = run(*argv, cwd=cwd or project, check=2, pdf=False)
    assert why in result.stderr
    return result.stderr


def _leftovers(folder):
    return [p.name for p in folder.iterdir() if p.name.startswith(".reportgen-")]


def test_a_node_project_with_its_own_manifest_is_never_replaced(project, tmp_path):
    node = tmp_path / "webapp"
    (node / "src").mkdir(parents=True)
    (node / "manifest.json").write_text(json.dumps({"name": "webapp", "version": "1.0.0"}))
    (node / "src" / "index.js").write_text("console.log('hi')\n")
    before = tree_hashes(node)
    message = _refused(project, node)
    assert "not a reportgen pack" in message
    assert "src/index.js" in message and "manifest.json" in message  # what would be lost
    assert tree_hashes(node) == before
    assert _leftovers(tmp_path) == []


def test_a_folder_with_a_copied_matrix_is_never_replaced(project, tmp_path):
    folder = tmp_path / "audit-2026"
    (folder / "old").mkdir(parents=True)
    for name in ("reportgen.yaml", "inventory.csv"):
        (folder / name).write_bytes((project / name).read_bytes())
    (folder / "old" / "matrix.json").write_text('{"controls": []}')
    before = tree_hashes(folder)
    message = _refused(project, folder)
    assert "3 file(s)" in message and "inventory.csv" in message
    assert tree_hashes(folder) == before


def test_a_manifest_of_another_schema_or_generator_is_not_a_pack(project, tmp_path):
    pack = build(project, tmp_path / "pack", pdf=False)
    manifest = json.loads((pack / "manifest.json").read_text())
    manifest["generator"]["name"] = "othertool"
    (pack / "manifest.json").write_text(json.dumps(manifest))
    before = tree_hashes(pack)
    assert "not a reportgen pack" in _refused(project, pack)
    assert tree_hashes(pack) == before


def test_files_added_to_a_pack_are_kept_unless_overwrite_is_asked(project, tmp_path):
    pack = build(project, tmp_path / "pack", pdf=False)
    (pack / "qsa-notes.txt").write_text("sampled 3 of 12 access reviews\n")
    (pack / "soc2" / "draft.docx").write_bytes(b"PK\x03\x04")
    before = tree_hashes(pack)
    message = _refused(project, pack)
    assert "2 file(s) that reportgen did not write" in message
    assert "qsa-notes.txt" in message and "soc2/draft.docx" in message
    assert "--overwrite" in message
    assert tree_hashes(pack) == before
    build(project, pack, "--overwrite", pdf=False)
    assert not (pack / "qsa-notes.txt").exists()
    assert verify_pack(pack).ok


def test_a_pack_missing_a_listed_file_needs_overwrite(project, tmp_path):
    pack = build(project, tmp_path / "pack", pdf=False)
    (pack / "summary.md").unlink()
    message = _refused(project, pack)
    assert "missing: summary.md" in message
    build(project, pack, "--overwrite", pdf=False)
    assert verify_pack(pack).ok


def test_overwrite_never_replaces_a_folder_that_is_not_a_pack(project, tmp_path):
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "notes.txt").write_text("keep me\n")
    assert "not a reportgen pack" in _refused(project, folder, "--overwrite")
    assert (folder / "notes.txt").read_text() == "keep me\n"


def test_a_symlinked_output_directory_is_refused(project, tmp_path):
    real = build(project, tmp_path / "real", pdf=False)
    link = tmp_path / "link"
    link.symlink_to(real, target_is_directory=True)
    before = tree_hashes(real)
    assert "symbolic link" in _refused(project, link)
    assert link.is_symlink() and tree_hashes(real) == before
    assert _leftovers(tmp_path) == []


@pytest.mark.parametrize("where", [".", ".."])
def test_the_working_directory_and_its_parents_are_refused(project, tmp_path, where):
    work = tmp_path / "work" / "here"
    work.mkdir(parents=True)
    message = _refused(project, where, cwd=work)
    assert "current directory" in message
    assert work.is_dir()


def test_an_output_path_that_is_a_file_is_refused(project, tmp_path):
    target = tmp_path / "report.pdf"
    target.write_bytes(b"%PDF-1.7\n")
    assert "is a file" in _refused(project, target, why="--out")
    assert target.read_bytes() == b"%PDF-1.7\n"


def test_a_read_only_pack_is_refused_and_left_whole(project, tmp_path):
    pack = build(project, tmp_path / "pack", pdf=False)
    before = tree_hashes(pack)
    folders = [pack, *(p for p in pack.rglob("*") if p.is_dir())]
    for folder in folders:
        folder.chmod(0o555)
    try:
        assert "read-only" in _refused(project, pack)
        assert tree_hashes(pack) == before
        assert _leftovers(tmp_path) == []
    finally:
        for folder in folders:
            folder.chmod(0o755)


@pytest.mark.parametrize("which", ["every file", "one file"])
def test_a_pack_whose_files_are_read_only_is_refused_even_with_overwrite(project, tmp_path, which):
    """adversarial #45: `find pack -type f -exec chmod a-w {} +`, the folders left writable
    (which is all that deleting the files needs): the mode bits still say someone protected
    the pack. --overwrite is for files added to a pack, not for protected ones."""
    pack = build(project, tmp_path / "pack", pdf=False)
    files = [p for p in pack.rglob("*") if p.is_file()]
    protected = files if which == "every file" else [pack / "soc2" / "matrix.json"]
    for file in protected:
        file.chmod(0o444)
    before = tree_hashes(pack)
    try:
        for extra in ((), ("--overwrite",)):
            stderr = _refused(project, pack, *extra)
            assert "read-only" in stderr and "error: " + str(pack) in stderr
            named = stderr.split("error: ", 1)[1].split(":", 1)[0]
            assert Path(named) in protected, stderr  # names a protected file
            assert tree_hashes(pack) == before and _leftovers(tmp_path) == []
        assert all(p.stat().st_mode & 0o777 == 0o444 for p in protected)
    finally:
        for file in protected:
            file.chmod(0o644)
    build(project, pack, pdf=False)  # writable again: replaced as usual
    assert verify_pack(pack).ok


def test_an_empty_directory_and_a_reportgen_pack_are_replaced(project, tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    build(project, empty, pdf=False)
    first = tree_hashes(empty)
    (project / "inventory.csv").write_text(
        (project / "inventory.csv").read_text() + "AWS Lambda,fn-1,111122223333,eu-west-1,all\n"
    )
    build(project, empty, pdf=False)
    assert verify_pack(empty).ok and tree_hashes(empty) != first
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_a_manifest_listing_more_files_than_the_survey_reads_is_no_licence(project, tmp_path):
    """A crafted manifest that lists past the survey's cap must not hide a user's file."""
    from reportgen.pack import target as pack_target

    pack = build(project, tmp_path / "pack", pdf=False)
    notes = pack / "my-notes" / "qsa-interview.txt"
    notes.parent.mkdir()
    notes.write_text("keep me\n")
    manifest = json.loads((pack / "manifest.json").read_text())
    entry = dict(manifest["outputs"][0])
    filler = []
    for number in range(pack_target._MAX_ENTRIES + 1):
        name = f"f{number:05d}.txt"
        (pack / name).write_text("")
        filler.append({**entry, "path": name, "size": 0})
    manifest["outputs"] = sorted(manifest["outputs"] + filler, key=lambda e: e["path"])
    (pack / "manifest.json").write_text(json.dumps(manifest))
    message = _refused(project, pack, "--overwrite")
    assert "not a reportgen pack" in message
    assert notes.read_text() == "keep me\n"
