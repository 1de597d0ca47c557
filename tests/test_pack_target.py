"""A build replaces only a pack reportgen wrote: never a user's folder, file, link, working
directory, a pack someone added files to (without --overwrite), a pack whose listed files
were changed (without --evidence of the workbook, or --discard-edits) or a read-only pack.

Every case runs the real command line and checks the exit status, the message and that
every file that was there is still there, byte for byte.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT
from openpyxl import load_workbook
from packhelpers import EPOCH, REPORTGEN_WITHOUT_PDF, build, run, tree_hashes

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


def test_a_tree_of_empty_folders_is_a_users_and_never_replaced(project, tmp_path):
    """Fourteenth pass: a folder holding only empty sub-folders (a tree made for the audit)
    was taken for an empty one and replaced, its folders gone without a word."""
    folder = tmp_path / "audit-2026"
    (folder / "evidence" / "q3").mkdir(parents=True)
    (folder / "notes").mkdir()
    message = _refused(project, folder, "--overwrite")
    assert "not a reportgen pack" in message and "would delete 3 folder(s)" in message
    assert "evidence/q3 (a folder)" in message and "notes (a folder)" in message
    assert sorted(p.name for p in folder.rglob("*")) == ["evidence", "notes", "q3"]


def test_an_empty_folder_made_inside_a_pack_needs_overwrite(project, tmp_path):
    pack = build(project, tmp_path / "pack", pdf=False)
    (pack / "qsa-sampling").mkdir()
    (pack / "soc2" / "drafts").mkdir()
    message = _refused(project, pack)
    assert "2 folder(s) that reportgen did not make" in message
    assert "qsa-sampling (a folder)" in message and "soc2/drafts (a folder)" in message
    assert (pack / "qsa-sampling").is_dir() and (pack / "soc2" / "drafts").is_dir()
    build(project, pack, "--overwrite", pdf=False)
    assert not (pack / "qsa-sampling").exists() and verify_pack(pack).ok


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


def test_an_output_path_going_up_with_dots_is_the_folder_it_names(project, tmp_path):
    """adversarial-4a #9: `--out dd/empty/sub/..` ran the whole build, then refused, listing
    its own staging files (made in `sub`, "beside" a pack named '..') as the user's."""
    (tmp_path / "dd" / "empty" / "sub").mkdir(parents=True)
    # `empty` holds the user's folder `sub`, so it is refused as itself, naming only `sub`
    message = _refused(project, tmp_path / "dd/empty/sub/..", cwd=project)
    assert f"error: {tmp_path / 'dd' / 'empty'}: " in message
    assert "would delete 1 folder(s)" in message and "sub (a folder)" in message
    assert ".reportgen-" not in message and (tmp_path / "dd" / "empty" / "sub").is_dir()
    pack = build(project, tmp_path / "dd" / "pack", pdf=False)  # its own folders: replaced
    result = run("build", "--config", "reportgen.yaml", "--out", pack / "soc2" / "..",
                 cwd=project, pdf=False)  # fmt: skip
    assert f"pack written to {pack} (" in result.stderr
    assert verify_pack(pack).ok
    assert _leftovers(tmp_path / "dd") == [] and _leftovers(pack) == []


def test_dots_after_a_symbolic_link_are_refused_before_the_build(project, tmp_path):
    """`link/..` names the link's folder as written and the target's parent as the system
    follows it: neither is guessed, both are named, nothing is written in either."""
    (tmp_path / "elsewhere" / "deep").mkdir(parents=True)
    (tmp_path / "dd").mkdir()
    (tmp_path / "dd" / "link").symlink_to(tmp_path / "elsewhere" / "deep")
    stderr = _refused(project, tmp_path / "dd" / "link" / ".." / "pack", why="two folders")
    assert f"'{tmp_path / 'dd' / 'pack'}' as written" in stderr
    assert f"'{tmp_path / 'elsewhere' / 'pack'}' as the system follows the link" in stderr
    assert sorted(p.name for p in (tmp_path / "dd").iterdir()) == ["link"]
    assert sorted(p.name for p in (tmp_path / "elsewhere").iterdir()) == ["deep"]


def test_an_output_path_that_is_a_file_is_refused(project, tmp_path):
    target = tmp_path / "report.pdf"
    target.write_bytes(b"%PDF-1.7\n")
    assert "is a file" in _refused(project, target, why="--out")
    assert target.read_bytes() == b"%PDF-1.7\n"


def test_an_empty_read_only_folder_is_not_called_a_pack(project, tmp_path):
    """Fourteenth pass: an empty read-only --out was reported as "the pack ... is read-only"."""
    folder = tmp_path / "locked"
    folder.mkdir(mode=0o555)
    try:
        message = " ".join(run("build", "--config", project / "reportgen.yaml", "--out", folder,
                               cwd=project, check=2, pdf=False).stderr.split())  # fmt: skip
        assert "the output directory is read-only (someone protected it)" in message
        assert "pack" not in message.split("error: ", 1)[1].split(";")[0]
    finally:
        folder.chmod(0o755)
    assert list(folder.iterdir()) == []


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
    assert "but also more than 20,000 files and folders" in message
    assert notes.read_text() == "keep me\n"


# ---------------------------------------------------------------- what the build reads


def test_a_config_and_inventory_inside_the_pack_are_refused_even_with_overwrite(project, tmp_path):
    """adversarial-4a #3: `build --config q/reportgen.yaml --out q --overwrite` exited 0 and
    deleted the config and the inventory it had just read from q."""
    pack = build(project, tmp_path / "q", pdf=False)
    for name in ("reportgen.yaml", "inventory.csv"):
        (pack / name).write_bytes((project / name).read_bytes())
    before = tree_hashes(pack)
    argv = ("build", "--config", pack / "reportgen.yaml", "--out", pack, "--overwrite")
    result = run(*argv, cwd=tmp_path, check=2, pdf=False)
    assert f"error: {pack / 'reportgen.yaml'}: the config file that this build reads is " in (
        result.stderr
    )
    assert "inside the output directory" in result.stderr
    assert "Move it out of the pack folder" in result.stderr
    assert tree_hashes(pack) == before and _leftovers(tmp_path) == []
    # The inventory alone, with the config outside.
    result = run(*argv[:2], project / "reportgen.yaml", "--inventory", pack / "inventory.csv",
                 *argv[3:], cwd=tmp_path, check=2, pdf=False)  # fmt: skip
    assert f"error: {pack / 'inventory.csv'}: the inventory that this build reads" in result.stderr
    assert tree_hashes(pack) == before


def test_a_templates_folder_inside_the_pack_is_refused(project, tmp_path):
    pack = build(project, tmp_path / "pack", pdf=False)
    (pack / "mine").mkdir()
    (pack / "mine" / "report.html").write_text("<p>mine</p>")
    before = tree_hashes(pack)
    message = _refused(project, pack, "--templates", pack / "mine", "--overwrite",
                       why="the templates folder that this build reads")  # fmt: skip
    assert "deleted with the old pack" in message
    assert tree_hashes(pack) == before


def test_a_previous_pack_saved_inside_the_pack_is_refused(project, tmp_path):
    pack = build(project, tmp_path / "pack", pdf=False)
    shutil.copytree(pack, tmp_path / "old")
    (tmp_path / "old").rename(pack / "old")
    before = tree_hashes(pack)
    _refused(project, pack, "--previous", pack / "old", "--overwrite",
             why="--previous that this build reads is inside")  # fmt: skip
    assert tree_hashes(pack) == before


def test_the_pack_itself_as_previous_and_evidence_is_a_normal_rebuild(project, tmp_path):
    pack = build(project, tmp_path / "pack", pdf=False)
    build(project, pack, "--previous", pack, "--evidence", pack, pdf=False)
    build(project, pack, "--previous", pack, "--evidence", pack / WORKBOOK, pdf=False)
    assert verify_pack(pack).ok


# ---------------------------------------------------------------- edits to listed files
# The README's workflow has the team fill in the RACI workbook inside the pack; a rebuild
# that replaced it silently lost their work (issue 20, adversarial review).

WORKBOOK = "soc2/test-co-soc2-raci.xlsx"


def _fill_in(workbook: Path, status: str = "Accepted") -> tuple[str, str]:
    """Set the first evidence item's Status as a user would; returns (control, item)."""
    book = load_workbook(workbook)
    sheet = book["Evidence"]
    header = [cell.value for cell in sheet[1]]
    control, item = sheet.cell(2, 1).value, sheet.cell(2, header.index("Evidence item") + 1).value
    sheet.cell(2, header.index("Status") + 1).value = status
    book.save(workbook)
    return control, item


def _status(workbook: Path, control: str, item: str) -> str | None:
    sheet = load_workbook(workbook, read_only=True)["Evidence"]
    rows = sheet.iter_rows(values_only=True)
    header = list(next(rows))
    found = [r for r in rows if r[0] == control and r[header.index("Evidence item")] == item]
    assert len(found) == 1
    return found[0][header.index("Status")]


def test_a_workbook_the_team_filled_in_is_never_replaced_without_being_asked(project, tmp_path):
    pack = build(project, tmp_path / "pack", pdf=False)
    _fill_in(pack / WORKBOOK)
    before = tree_hashes(pack)
    for flags in [(), ("--overwrite",)]:  # --overwrite is for added files, not edited ones
        message = _refused(project, pack, *flags)
        assert "1 of its listed file(s) changed since reportgen wrote them" in message
        assert f"changed: {WORKBOOK} (size " in message
        assert "--evidence" in message and "--discard-edits" in message
        assert tree_hashes(pack) == before
        assert _leftovers(tmp_path) == []


def test_the_filled_in_workbook_given_as_evidence_carries_into_the_rebuilt_pack(project, tmp_path):
    pack = build(project, tmp_path / "pack", pdf=False)
    item = _fill_in(pack / WORKBOOK)
    # The workbook is read before the old pack is replaced: --evidence names the pack's own.
    build(project, pack, "--evidence", pack / WORKBOOK, pdf=False)
    assert verify_pack(pack).ok and _status(pack / WORKBOOK, *item) == "Accepted"
    item = _fill_in(pack / WORKBOOK, "Collected")  # the next round, the pack folder as evidence
    build(project, pack, "--evidence", pack, pdf=False)
    assert verify_pack(pack).ok and _status(pack / WORKBOOK, *item) == "Collected"


def test_a_workbook_given_as_evidence_does_not_cover_another_edited_file(project, tmp_path):
    pack = build(project, tmp_path / "pack", pdf=False)
    _fill_in(pack / WORKBOOK)
    (pack / "summary.md").write_text("# our own summary\n")
    before = tree_hashes(pack)
    message = _refused(project, pack, "--evidence", pack / WORKBOOK)
    assert "changed: summary.md (size " in message and WORKBOOK not in message
    assert tree_hashes(pack) == before


def test_discard_edits_replaces_a_pack_whose_files_were_changed(project, tmp_path):
    pack = build(project, tmp_path / "pack", pdf=False)
    written = tree_hashes(pack)
    item = _fill_in(pack / WORKBOOK)
    (pack / "soc2" / "matrix.json").write_bytes(b"{}")
    message = _refused(project, pack)
    assert "2 of its listed file(s) changed" in message and "soc2/matrix.json" in message
    build(project, pack, "--discard-edits", pdf=False)
    assert tree_hashes(pack) == written  # SOURCE_DATE_EPOCH: the same pack again
    assert _status(pack / WORKBOOK, *item) == "Not started"  # the team's "Accepted" is gone


def test_an_edit_made_while_the_build_runs_is_not_lost(project, tmp_path):
    """The pack is checked again just before the swap, under the lock."""
    pack = build(project, tmp_path / "pack", pdf=False)
    resume = tmp_path / "resume"
    env = {**os.environ, "SOURCE_DATE_EPOCH": EPOCH, "REPORTGEN_TEST_PAUSE_AFTER": "pack",
           "REPORTGEN_TEST_RESUME_WHEN": str(resume)}  # fmt: skip
    command = [*REPORTGEN_WITHOUT_PDF, "-q", "build", "--config", "reportgen.yaml"]
    process = subprocess.Popen([*command, "--out", str(pack)], cwd=project, env=env,
                               stderr=subprocess.PIPE, text=True)  # fmt: skip
    assert "paused after pack" in process.stderr.readline()
    _fill_in(pack / WORKBOOK)
    before = tree_hashes(pack)
    resume.touch()
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == 2, stderr
    assert f"changed: {WORKBOOK}" in stderr and "Traceback" not in stderr
    assert tree_hashes(pack) == before
    assert _leftovers(tmp_path) == []


@pytest.mark.parametrize("folder", ["caf\udce9", "a\x1bb", "bell\x07", "o\nFAKE: ok", "t\tb"])
def test_an_output_path_with_a_control_character_or_raw_byte_is_refused(tmp_path, folder):
    """Tenth pass: a byte that is not UTF-8 in --out's parent was 'internal error'
    (UnicodeEncodeError); an ESC made Fontconfig drop the shipped fonts, exit 0."""
    out = tmp_path / folder / "pack"
    config = ROOT / "inputs" / "reportgen.yaml"
    result = run("build", "--config", config, "--framework", "soc2", "--out", out,
                 check=2, pdf=False)  # fmt: skip
    assert "the output path holds" in result.stderr and "internal error" not in result.stderr
    assert not (tmp_path / folder).exists()
    # a tab or newline is shown as an escape, never printing a line of its own (pass 15)
    assert len(result.stderr.strip().splitlines()) == 2, result.stderr


def test_an_output_path_that_is_a_fifo_is_called_one(tmp_path):
    """Eleventh pass: a FIFO given as --out was called 'a file'."""
    fifo = tmp_path / "out"
    os.mkfifo(fifo)
    from reportgen.core.errors import InputError
    from reportgen.pack.target import check_replaceable

    with pytest.raises(InputError, match=r"the output path is a FIFO \(named pipe\), not a"):
        check_replaceable(fifo)
