"""How a build replaces a pack: what it does with files that appear while it runs, with the
old packs killed builds left beside the target, and with what it cannot delete; and the
targets it refuses up front (a mount point, a read-only file system, a pack holding more
than the survey reads). Adversarial report 3a, rows 2, 4, 6, 15, 16, 17, 18, 38 and 43.

Each case runs the command line, in its own process where it can, in-process (``main``,
with one function monkeypatched) where a moment cannot be reached from outside: the instant
between the last check and the swap, an undeletable file. Every case checks the exit status,
the message and which files are left where.
"""

from __future__ import annotations

import errno
import fcntl
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
from measured import measured
from packhelpers import EPOCH, REPORTGEN, REPORTGEN_WITHOUT_PDF, build, interruptible, tree_hashes
from test_atomic import _crash_between_renames
from test_environment_errors import tmpfs

import reportgen.pack.write as pack_write
from reportgen.cli import main
from reportgen.pack.target import snapshot as real_snapshot
from reportgen.pack.verify import verify_pack
from reportgen.pack.write import (
    DISCARD_PREFIX,
    RETIRED_PREFIX,
    STAGING_PREFIX,
    target_tag,
)

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="flock, /proc, SEEK_HOLE")

# One framework: rendered in-process, which the monkeypatched cases need; no PDF.
FAST = ("--framework", "soc2", "--format", "matrix", "--format", "xlsx", "--format", "summary")
WORKBOOK = "soc2/test-co-soc2-raci.xlsx"


def _pack(project: Path, out: Path) -> Path:
    return build(project, out, *FAST, pdf=False)


def _argv(project: Path, out: Path, *extra: str | Path) -> list[str]:
    config = project / "reportgen.yaml"
    return [str(a) for a in ("build", "--config", config, "--out", out, *FAST, *extra)]


def _run(project: Path, out: Path, *extra: str | Path, env: dict | None = None):
    """The build in its own process: (exit status, stderr)."""
    done = subprocess.run(
        [*REPORTGEN_WITHOUT_PDF, *_argv(project, out, *extra)],
        cwd=project,
        env={**os.environ, "SOURCE_DATE_EPOCH": EPOCH, "COLUMNS": "400", **(env or {})},
        capture_output=True,
        text=True,
        timeout=300,
        preexec_fn=interruptible,
    )
    assert "Traceback" not in done.stderr and "internal error" not in done.stderr, done.stderr
    return done.returncode, done.stderr


def _in_process(project: Path, out: Path, capsys, monkeypatch, *extra: str):
    """The build through reportgen.cli.main in this process: (exit status, stderr)."""
    from reportgen.cli import main

    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)
    monkeypatch.setenv("COLUMNS", "400")
    monkeypatch.chdir(project)
    capsys.readouterr()
    try:
        main(_argv(project, out, *extra))
        status = 0
    except SystemExit as exc:
        status = exc.code if isinstance(exc.code, int) else 1
    stderr = capsys.readouterr().err
    assert "Traceback" not in stderr and "internal error" not in stderr, stderr
    return status, stderr


def _text(stderr: str) -> str:
    return " ".join(stderr.split())


def _ours(folder: Path) -> list[str]:
    """The leftovers of builds in ``folder`` (anything named .reportgen-*)."""
    return sorted(p.name for p in folder.iterdir() if p.name.startswith(".reportgen-"))


# ---------------------------------------------------------------- refused up front


def _mounting() -> None:
    if shutil.which("mount") is None or os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root")


def test_a_mount_point_is_refused_before_the_render(project, tmp_path):
    """adversarial-3a #17: "the file or device is busy", after the whole render."""
    _mounting()
    pack = _pack(project, tmp_path / "pack")
    resume = tmp_path / "resume"
    resume.touch()  # the pause hook says so if the build gets as far as the render
    env = {"REPORTGEN_TEST_PAUSE_AFTER": "render", "REPORTGEN_TEST_RESUME_WHEN": str(resume)}
    with tmpfs("20m") as mount:
        shutil.copytree(pack, mount, dirs_exist_ok=True)
        before = tree_hashes(mount)
        status, stderr = _run(project, mount, "--overwrite", env=env)
        assert status == 2, stderr
        assert "the output directory is a mount point" in stderr
        assert "a mount point cannot be renamed" in _text(stderr)
        assert "paused after render" not in stderr
        assert tree_hashes(mount) == before
        assert not [p for p in mount.parent.iterdir() if target_tag(mount) in p.name]


def test_a_pack_on_a_read_only_file_system_is_said_to_be_so(project, tmp_path):
    """adversarial-3a #6: it was "someone protected it ... chmod -R u+w"."""
    _mounting()
    with tmpfs("20m") as mount:
        pack = _pack(project, mount / "pack")
        before = tree_hashes(pack)
        subprocess.run(["mount", "-o", "remount,ro", str(mount)], check=True)
        status, stderr = _run(project, pack)
        assert status == 2, stderr
        assert f"error: {pack}: the pack in the output directory is on a read-only" in stderr
        assert "chmod" not in stderr and "protected" not in stderr
        assert tree_hashes(pack) == before


def test_a_pack_holding_more_than_the_survey_reads_is_refused_for_that(project, tmp_path):
    """adversarial-3a #15: refused as "no manifest.json written by reportgen", counting
    "more than 20,000" then "and 19993 more"."""
    from reportgen.pack.target import _MAX_ENTRIES

    pack = _pack(project, tmp_path / "pack")
    (pack / "extra").mkdir()
    for number in range(_MAX_ENTRIES):
        (pack / "extra" / str(number)).touch()
    status, stderr = _run(project, pack, "--overwrite")
    assert status == 2, stderr
    message = _text(stderr)
    assert "holds a reportgen pack, but also more than 20,000 files and folders" in message
    assert "no manifest.json" not in message
    assert "... and more (the survey stops after 20,000 entries)" in message
    assert not [line for line in stderr.splitlines() if line.strip().endswith(" more")]
    assert len(list((pack / "extra").iterdir())) == _MAX_ENTRIES


def test_a_pack_holding_a_deep_folder_is_refused_for_that(project, tmp_path):
    pack = _pack(project, tmp_path / "pack")
    deep = pack.joinpath(*["d"] * 20)
    deep.mkdir(parents=True)
    (deep / "kept.txt").write_text("keep me\n")
    status, stderr = _run(project, pack, "--overwrite")
    assert status == 2, stderr
    message = _text(stderr)
    assert "holds a reportgen pack, but also folders nested deeper than 16 levels" in message
    assert "- " + "d/" * 16 in stderr
    assert (deep / "kept.txt").read_text() == "keep me\n"


# ---------------------------------------------------------------- FAIL 2: files saved meanwhile


def test_a_file_saved_into_the_pack_while_the_build_runs_is_kept(project, tmp_path):
    """adversarial-3a #2: the check runs again under the lock just before the swap."""
    pack = _pack(project, tmp_path / "pack")
    resume = tmp_path / "resume"
    env = {**os.environ, "SOURCE_DATE_EPOCH": EPOCH, "REPORTGEN_TEST_PAUSE_AFTER": "pack",
           "REPORTGEN_TEST_RESUME_WHEN": str(resume)}  # fmt: skip
    process = subprocess.Popen([*REPORTGEN_WITHOUT_PDF, *_argv(project, pack)], cwd=project,
                               env=env, stderr=subprocess.PIPE, text=True)  # fmt: skip
    assert "paused after pack" in process.stderr.readline()
    (pack / "qsa-notes.txt").write_text("QSA private notes\n")
    before = tree_hashes(pack)
    resume.touch()
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == 2, stderr
    assert "1 file(s) that reportgen did not write" in stderr and "qsa-notes.txt" in stderr
    assert tree_hashes(pack) == before
    assert _ours(tmp_path) == []


@pytest.mark.parametrize("existing", [True, False], ids=["replacing", "new"])
def test_a_folder_moved_while_the_build_writes_keeps_no_staging_folder(project, tmp_path, existing):
    """Sixteenth pass, F1: the output's folder renamed while the build wrote left its
    half-written staging folder in the moved folder, and the message said it was removed;
    it is removed where the folder went, and the message says the folder moved."""
    share = tmp_path / "share"
    pack = _pack(project, share / "pack") if existing else share / "pack"
    share.mkdir(exist_ok=True)
    before = tree_hashes(pack) if existing else None
    resume = tmp_path / "resume"
    env = {**os.environ, "SOURCE_DATE_EPOCH": EPOCH, "REPORTGEN_TEST_PAUSE_AFTER": "render",
           "REPORTGEN_TEST_RESUME_WHEN": str(resume), "COLUMNS": "400"}  # fmt: skip
    process = subprocess.Popen([*REPORTGEN_WITHOUT_PDF, *_argv(project, pack)], cwd=project,
                               env=env, stderr=subprocess.PIPE, text=True)  # fmt: skip
    assert "paused after render" in process.stderr.readline()
    moved = share.rename(tmp_path / "moved")
    assert _ours(moved), "the build was writing its staging folder there"
    resume.touch()
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == 2, stderr
    assert "Traceback" not in stderr and "internal error" not in stderr
    assert _ours(moved) == [] and _ours(tmp_path) == []
    assert f"{share} was moved or removed while the build ran" in _text(stderr)
    assert "has been removed, and nothing was written" in _text(stderr)
    assert "typing mistakes" not in stderr
    assert not share.exists()
    if existing:
        assert tree_hashes(moved / "pack") == before


@pytest.mark.parametrize("flag", ["--overwrite", "--discard-edits"])
def test_a_flag_does_not_waive_what_is_saved_while_the_build_runs(project, tmp_path, flag):
    """adversarial-4a #24: --overwrite / --discard-edits waive what the check under the lock
    found before the build, never a file saved or a workbook edited during it."""
    pack = _pack(project, tmp_path / "pack")
    if flag == "--overwrite":
        (pack / "old.txt").write_text("known before the build\n")  # the flag waives this
    else:
        with (pack / "summary.md").open("a") as handle:  # ... or this
            handle.write("edited before the build\n")
    resume = tmp_path / "resume"
    env = {**os.environ, "SOURCE_DATE_EPOCH": EPOCH, "REPORTGEN_TEST_PAUSE_AFTER": "pack",
           "REPORTGEN_TEST_RESUME_WHEN": str(resume), "COLUMNS": "400"}  # fmt: skip
    process = subprocess.Popen([*REPORTGEN_WITHOUT_PDF, *_argv(project, pack, flag)],
                               cwd=project, env=env, stderr=subprocess.PIPE, text=True)  # fmt: skip
    assert "paused after pack" in process.stderr.readline()
    if flag == "--overwrite":
        (pack / "auditor-notes.txt").write_text("saved during the build\n")
        change = "added: auditor-notes.txt"
    else:
        with (pack / WORKBOOK).open("ab") as handle:  # the team's edit, saved meanwhile
            handle.write(b"edited during the build")
        change = f"changed: {WORKBOOK}"
    before = tree_hashes(pack)
    resume.touch()
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == 2, stderr
    assert "the output directory changed while this build ran" in _text(stderr)
    assert f"- {change}" in stderr
    assert "Traceback" not in stderr and "internal error" not in stderr
    assert tree_hashes(pack) == before  # the old pack, with what was saved, intact
    assert _ours(tmp_path) == []


def _retire_after(monkeypatch, meanwhile) -> None:
    """Run ``meanwhile(target)`` in the instant between the last check and the swap."""
    real = pack_write._retire

    def retire(target: Path):
        meanwhile(target)
        return real(target)

    monkeypatch.setattr(pack_write, "_retire", retire)


@pytest.mark.parametrize("what", ["added", "changed"])
def test_a_file_saved_after_the_last_check_is_kept(project, tmp_path, capsys, monkeypatch, what):
    """The old pack, moved aside, is compared with what was there at the last check; any
    difference puts it back and refuses the build."""
    pack = _pack(project, tmp_path / "pack")
    name = "qsa-notes.txt" if what == "added" else "summary.md"

    def save(target: Path) -> None:
        (target / name).write_text("saved in the last instant\n")

    _retire_after(monkeypatch, save)
    status, stderr = _in_process(project, pack, capsys, monkeypatch)
    assert status == 2, stderr
    message = _text(stderr)
    assert "changed after this build last checked it" in message
    assert f"- {what}: {name}" in stderr
    assert "it was put back as it was, and the new pack was not written" in message
    assert (pack / name).read_text() == "saved in the last instant\n"
    assert _ours(tmp_path) == []
    monkeypatch.undo()  # the next build sees the file, and refuses as usual
    status, stderr = _in_process(project, pack, capsys, monkeypatch)
    assert status == 2 and name in stderr


def test_an_old_pack_that_cannot_be_put_back_is_kept_and_named(
    project, tmp_path, capsys, monkeypatch
):
    """Something made at the target in that instant too: nothing is replaced or deleted."""
    pack = _pack(project, tmp_path / "pack")
    before = tree_hashes(pack)
    real = pack_write._retire

    def retire(target: Path):
        (target / "qsa-notes.txt").write_text("notes\n")
        retired = real(target)
        (target / "new").mkdir(parents=True)  # an application saving into the folder anew
        (target / "new" / "draft.txt").write_text("draft\n")
        return retired

    monkeypatch.setattr(pack_write, "_retire", retire)
    status, stderr = _in_process(project, pack, capsys, monkeypatch)
    assert status == 2, stderr
    (kept,) = [p for p in tmp_path.iterdir() if p.name.startswith(RETIRED_PREFIX)]
    assert f"it is kept at {kept}" in _text(stderr)
    assert tree_hashes(kept) == {**before, "qsa-notes.txt": tree_hashes(kept)["qsa-notes.txt"]}
    assert tree_hashes(pack) == {"new/draft.txt": tree_hashes(pack)["new/draft.txt"]}


def test_an_interrupt_between_the_renames_puts_the_old_pack_back(
    project, tmp_path, capsys, monkeypatch
):
    pack = _pack(project, tmp_path / "pack")
    before = tree_hashes(pack)

    def snapshot(path: Path):
        if path.name.startswith(RETIRED_PREFIX):
            raise KeyboardInterrupt  # Ctrl-C while the old pack is out of the way
        return real_snapshot(path)

    monkeypatch.setattr(pack_write, "snapshot", snapshot)
    status, stderr = _in_process(project, pack, capsys, monkeypatch)
    assert status == 130, stderr
    assert tree_hashes(pack) == before and _ours(tmp_path) == []


# ---------------------------------------------------------------- FAIL 4: retired packs


def test_an_edited_old_pack_a_killed_build_moved_aside_is_put_back(project, tmp_path):
    """adversarial-3a #4: it was deleted because it no longer verified."""
    pack = _pack(project, tmp_path / "pack")
    with (pack / WORKBOOK).open("ab") as workbook:
        workbook.write(b"team edit")
    edited = tree_hashes(pack)
    _crash_between_renames(pack)
    status, stderr = _run(project, pack)
    assert status == 2, stderr  # the pack is back, and it was edited: refused as usual
    assert f"changed: {WORKBOOK}" in stderr and "was put back from .reportgen-retired-" in stderr
    assert tree_hashes(pack) == edited
    assert _ours(tmp_path) == []
    _run(project, pack, "--discard-edits")  # asked by name: replaced
    assert verify_pack(pack).ok and _ours(tmp_path) == []


def test_an_old_pack_holding_the_users_files_is_kept_beside_a_new_one(project, tmp_path):
    pack = _pack(project, tmp_path / "pack")
    edited = shutil.copytree(pack, tmp_path / f"{RETIRED_PREFIX}{target_tag(pack)}-edited")
    (edited / "qsa-notes.txt").write_text("notes\n")
    intact = shutil.copytree(pack, tmp_path / f"{RETIRED_PREFIX}{target_tag(pack)}-intact")
    kept = tree_hashes(edited)
    status, stderr = _run(project, pack)
    assert status == 0, stderr
    assert f"warning: {edited}: a previous pack of 'pack'" in stderr
    assert "kept, since it holds 1 file(s) it does not list (qsa-notes.txt)" in _text(stderr)
    assert tree_hashes(edited) == kept and not intact.exists()
    assert _ours(tmp_path) == [edited.name]


def test_links_named_like_leftovers_are_never_followed_or_removed(project, tmp_path):
    """adversarial-3a #18: a dangling one stopped every build of the target."""
    pack = tmp_path / "pack"
    tag = target_tag(pack)
    elsewhere = _pack(project, tmp_path / "user" / "pack")  # a pack a link leads to
    before = tree_hashes(elsewhere)
    links = {
        f"{RETIRED_PREFIX}{tag}-zz": Path("/nonexistent"),
        f"{STAGING_PREFIX}{tag}-zz": Path("/nonexistent"),
        f"{DISCARD_PREFIX}{tag}-zz": elsewhere,
        f"{RETIRED_PREFIX}{tag}-yy": elsewhere,  # newest, target missing: never "restored"
    }
    for name, to in links.items():
        (tmp_path / name).symlink_to(to)
    status, stderr = _run(project, pack)
    assert status == 0, stderr
    assert verify_pack(pack).ok and not pack.is_symlink()
    assert all(os.readlink(tmp_path / name) == str(to) for name, to in links.items())
    assert tree_hashes(elsewhere) == before


# ---------------------------------------------------------------- WEAK 16: what cannot be deleted


def test_an_old_pack_file_that_cannot_be_deleted_is_reported(
    project, tmp_path, capsys, monkeypatch
):
    """adversarial-3a #16 (`chattr +i summary.md`): the build succeeds and says which folder
    holds what is left and why; the next build tries again."""
    pack = _pack(project, tmp_path / "pack")
    real = os.unlink

    def unlink(path, *args, dir_fd=None, **kwargs):
        if os.fsdecode(path) == "summary.md" and dir_fd is not None:
            raise PermissionError(errno.EPERM, os.strerror(errno.EPERM), path)
        return real(path, *args, dir_fd=dir_fd, **kwargs)

    monkeypatch.setattr(os, "unlink", unlink)
    status, stderr = _in_process(project, pack, capsys, monkeypatch)
    assert status == 0, stderr
    (left,) = _ours(tmp_path)
    assert left.startswith(f"{DISCARD_PREFIX}{target_tag(pack)}-")
    message = _text(stderr)
    assert f"warning: {tmp_path / left}: the previous pack of 'pack'" in message
    assert "summary.md: operation not permitted (an immutable or append-only file?" in message
    assert sorted(p.name for p in (tmp_path / left).iterdir()) == ["summary.md"]
    assert verify_pack(pack).ok
    monkeypatch.undo()
    status, stderr = _in_process(project, pack, capsys, monkeypatch)
    assert status == 0 and _ours(tmp_path) == [], stderr


# ---------------------------------------------------------------- WEAK 38: a sparse workbook


def test_a_sparse_workbook_given_with_evidence_is_refused_before_it_is_copied(project, tmp_path):
    """adversarial-3a #38: a 1000 MB sparse workbook was copied densely into TMPDIR. Under
    a 16 MB file size limit a copy would fail with EFBIG; it is refused unread instead."""
    pack = _pack(project, tmp_path / "pack")
    workbook = pack / WORKBOOK
    workbook.unlink()
    with workbook.open("wb") as sparse:
        sparse.truncate(1000 * 1024 * 1024)
    temp = tmp_path / "tmp"
    temp.mkdir()
    argv = [*REPORTGEN_WITHOUT_PDF, *_argv(project, tmp_path / "new", "--evidence", pack)]
    result = measured(
        argv, tmp_path, env={"TMPDIR": str(temp), "SOURCE_DATE_EPOCH": EPOCH},
        max_file_bytes=16 * 1024 * 1024,
    )  # fmt: skip
    assert result.status == 2, result.stderr
    assert f"{WORKBOOK}: a sparse file (1,048,576,000 bytes, with holes)" in result.text
    assert "too large" not in result.text
    assert list(temp.iterdir()) == [] and not (tmp_path / "new").exists()


# ---------------------------------------------------------------- WEAK 43: bundle's temp file


def _bundle(pack: Path, zipped: Path) -> subprocess.CompletedProcess:
    done = subprocess.run(
        [*REPORTGEN, "bundle", str(pack), "-o", str(zipped)],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return done


def _killed_with_its_file(path: Path) -> None:
    """A process that made ``path`` and held its lock, as a bundle does, then SIGKILLed."""
    holder = subprocess.Popen(
        [sys.executable, "-c", "import fcntl, os, sys, time\n"
         "fd = os.open(sys.argv[1], os.O_CREAT | os.O_WRONLY, 0o600)\n"
         "fcntl.flock(fd, fcntl.LOCK_EX); os.write(fd, b'PK' * 1000); print(flush=True)\n"
         "time.sleep(600)", str(path)],
        stdout=subprocess.PIPE,
    )  # fmt: skip
    holder.stdout.readline()
    holder.kill()
    holder.wait(timeout=30)


def test_a_killed_bundles_temporary_zip_is_swept_by_the_next(project, tmp_path):
    pack = _pack(project, tmp_path / "pack")
    out = tmp_path / "out"
    out.mkdir()
    old = time.time() - 3600
    dead = out / ".reportgen-bundle-dead"
    _killed_with_its_file(dead)
    alive = out / ".reportgen-bundle-alive"  # a bundle still writing: its lock is held
    young = out / ".reportgen-bundle-young"  # just made, not locked yet: left alone
    link = out / ".reportgen-bundle-link"  # never followed, never removed
    mine = tmp_path / "mine.txt"
    mine.write_text("mine\n")
    for path in (alive, young):
        path.write_bytes(b"PK")
    link.symlink_to(mine)
    for path in (dead, alive):
        os.utime(path, (old, old))
    with alive.open("rb") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        _bundle(pack, out / "pack.zip")
    left = sorted(p.name for p in out.iterdir())
    assert left == sorted(["pack.zip", alive.name, young.name, link.name])
    assert link.is_symlink() and mine.read_text() == "mine\n"


# ---------------------------------------------------------------- sixth pass: team edits kept


def _pack_with_team_notes(project: Path, out: Path, note: str = "QSA interview notes") -> Path:
    """A pack whose RACI workbook the team edited: a sheet of notes added to it."""
    import openpyxl

    pack = _pack(project, out)
    book = openpyxl.load_workbook(pack / WORKBOOK)
    book.create_sheet("My notes")["A1"] = note
    book.save(pack / WORKBOOK)
    return pack


def test_a_rebuild_with_evidence_keeps_the_teams_edited_workbook(project, tmp_path):
    """Sixth adversarial pass: `build --evidence PACK` into PACK carried the Evidence sheet's
    team columns and deleted the rest of the team's workbook with the old pack, a sheet of
    QSA notes among it, exit 0 and not a word. The edited workbook is now kept beside the
    new pack, and the build says where and what was carried."""
    import openpyxl

    pack = _pack_with_team_notes(project, tmp_path / "test-co", "QSA interview notes, 3 pages")
    edited = (pack / WORKBOOK).read_bytes()
    status, stderr = _run(project, pack, "--evidence", pack)
    assert status == 0, stderr
    (kept,) = [p for p in tmp_path.iterdir() if p.name.startswith("test-co.team-edits-")]
    assert (kept / WORKBOOK).read_bytes() == edited
    assert openpyxl.load_workbook(kept / WORKBOOK)["My notes"]["A1"].value.startswith("QSA")
    said = _text(stderr)
    assert f"({WORKBOOK}) are kept in {kept}" in said and "was not" in said
    assert verify_pack(pack).ok
    # An unedited pack rebuilt the same way keeps nothing more.
    status, stderr = _run(project, pack, "--evidence", pack)
    assert status == 0, stderr
    assert len([p for p in tmp_path.iterdir() if ".team-edits-" in p.name]) == 1


@pytest.mark.parametrize("signum", ["INT", "TERM", "HUP"])
def test_a_stop_signal_after_the_swap_lets_the_build_say_what_it_did(project, tmp_path, signum):
    """79b B1: a stop signal as the older leftover packs were removed, just after the swap,
    exited 130 "aborted" with the new pack in place, and the folder the team's edited
    workbook was moved to was never named. The build ends as it would have, exit 0, and
    says the signal came after the pack was written."""
    pack = _pack_with_team_notes(project, tmp_path / "test-co")
    edited = (pack / WORKBOOK).read_bytes()
    at = {"REPORTGEN_TEST_SIGNAL_AT_SWAP": f"{signum}:cleanup"}
    status, stderr = _run(project, pack, "--evidence", pack, env=at)
    assert status == 0, stderr
    said = _text(stderr)
    assert f"SIG{signum} came after the pack was written; it is complete" in said
    (kept,) = [p for p in tmp_path.iterdir() if p.name.startswith("test-co.team-edits-")]
    assert (kept / WORKBOOK).read_bytes() == edited
    assert f"({WORKBOOK}) are kept in {kept}" in said
    assert verify_pack(pack).ok and (pack / WORKBOOK).read_bytes() != edited


def test_team_edits_of_a_pack_with_a_long_name_are_kept_too(project, tmp_path):
    """Ninth pass: the folder for the edits was made after the swap, and a pack name of
    over 218 bytes made its name too long: exit 2 with the new pack in place and the old
    one, the team's workbook in it, hidden away. Now the folder is made first, its name
    cut to fit."""
    pack = _pack_with_team_notes(project, tmp_path / ("p" * 240))
    edited = (pack / WORKBOOK).read_bytes()
    status, stderr = _run(project, pack, "--evidence", pack)
    assert status == 0, stderr
    (kept,) = [p for p in tmp_path.iterdir() if ".team-edits-" in p.name]
    assert len(os.fsencode(kept.name)) <= 255 and kept.name.startswith("p" * 200)
    assert (kept / WORKBOOK).read_bytes() == edited
    assert verify_pack(pack).ok
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".reportgen-")]


def test_a_team_workbook_that_cannot_be_moved_keeps_the_previous_pack_whole(project, tmp_path):
    """Eleventh pass: an immutable edited workbook (chattr +i) failed its move after the
    swap: exit 2 "operation not permitted" with the new pack already in place, the old
    one in a .reportgen-retired-* folder no message named, and an empty team-edits
    folder. Now the build succeeds and the whole previous pack is kept, and named."""
    pack = _pack_with_team_notes(project, tmp_path / "test-co")
    edited = (pack / WORKBOOK).read_bytes()
    if subprocess.run(["chattr", "+i", str(pack / WORKBOOK)], capture_output=True).returncode:
        pytest.skip("chattr +i is not available here")
    try:
        status, stderr = _run(project, pack, "--evidence", pack)
    finally:
        for path in tmp_path.rglob(WORKBOOK.split("/")[-1]):
            subprocess.run(["chattr", "-i", str(path)], capture_output=True, check=False)
    assert status == 0, stderr
    (kept,) = [p for p in tmp_path.iterdir() if p.name.startswith("test-co.team-edits-")]
    assert (kept / "previous-pack" / WORKBOOK).read_bytes() == edited
    assert sorted(p.name for p in kept.iterdir()) == ["previous-pack"]
    said = _text(stderr)
    assert "could not be moved out of it (operation not permitted)" in said
    assert f"kept whole, with them, in {kept / 'previous-pack'}" in said
    assert verify_pack(pack).ok
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".reportgen-")]


def test_a_pack_folder_that_is_a_link_is_not_the_teams_to_move(project, tmp_path):
    """Eleventh pass: with soc2/ a link to the user's own folder, `--evidence` of the
    workbook there and `--overwrite` moved the user's workbook, outside the pack, into
    the team-edits folder (the link was followed to hash it and move it)."""
    import openpyxl

    pack = _pack(project, tmp_path / "test-co")
    work = tmp_path / "work"
    work.mkdir()
    (pack / "soc2").rename(work / "soc2")
    (pack / "soc2").symlink_to(work / "soc2", target_is_directory=True)
    theirs = work / WORKBOOK
    book = openpyxl.load_workbook(theirs)
    book.create_sheet("Mine")["A1"] = "the user's"
    book.save(theirs)
    before = theirs.read_bytes()
    status, stderr = _run(project, pack, "--evidence", theirs, "--overwrite")
    assert status == 0, stderr
    assert theirs.read_bytes() == before
    assert not [p for p in tmp_path.iterdir() if ".team-edits-" in p.name]
    assert verify_pack(pack).ok


def test_no_room_for_the_team_edits_changes_nothing(project, tmp_path, monkeypatch, capfd):
    """The folder for the edits cannot be made (a full disk): refused before the swap,
    the previous pack and its edited workbook as they were."""
    pack = _pack_with_team_notes(project, tmp_path / "test-co")
    before = {p.relative_to(pack): p.read_bytes() for p in pack.rglob("*") if p.is_file()}
    real = tempfile.mkdtemp

    def full(*args, **kwargs):
        if ".team-edits-" in kwargs.get("prefix", ""):
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(*args, **kwargs)

    monkeypatch.setattr(tempfile, "mkdtemp", full)
    monkeypatch.chdir(project)
    with pytest.raises(SystemExit) as exited:
        main(_argv(project, pack, "--evidence", pack))
    stderr = capfd.readouterr().err
    assert exited.value.code == 2, stderr
    assert "nothing was changed: the previous pack is as it was" in _text(stderr)
    after = {p.relative_to(pack): p.read_bytes() for p in pack.rglob("*") if p.is_file()}
    assert after == before
    assert not [p for p in pack.parent.iterdir() if p.name.startswith((".reportgen-", "test-co."))]


def test_a_file_name_holding_a_newline_is_named_on_one_line(project, tmp_path):
    """adversarial-15b C34: a file added to the pack named "\\x1b[2J\\nOK: 4 file(s) match"
    was listed by the build's refusal with the newline raw, printing a forged line of its
    own; verify and bundle escaped it. Now the refusal escapes it as they do."""
    pack = _pack(project, tmp_path / "pack")
    (pack / "\x1b[2J\nOK: 4 file(s) match\u202e").write_text("x\n")
    status, stderr = _run(project, pack)
    assert status == 2, stderr
    assert "\\x1b[2J\\nOK: 4 file(s) match\\u202e" in stderr
    assert not any(line.startswith("OK") for line in stderr.splitlines())


def test_a_pack_is_moved_aside_to_a_name_no_folder_was_made_for(
    project, tmp_path, capsys, monkeypatch
):
    """Pass 75b: the retired name was made as a folder (mkdtemp) and removed before the
    pack was renamed to it; a build killed between the two left that folder empty."""
    pack = _pack(project, tmp_path / "test-co")
    existed = []
    real = Path.rename

    def rename(self, target):
        if Path(target).name.startswith(RETIRED_PREFIX):
            existed.append(os.path.lexists(target))
        return real(self, target)

    monkeypatch.setattr(Path, "rename", rename)
    status, stderr = _in_process(project, pack, capsys, monkeypatch)
    assert status == 0 and existed == [False], stderr
    assert verify_pack(pack).ok and _ours(tmp_path) == []


@pytest.mark.parametrize("target_left", [True, False], ids=["pack-there", "pack-deleted"])
def test_an_empty_retired_folder_is_no_pack_moved_aside(project, tmp_path, target_left):
    """Pass 75b: an empty .reportgen-retired-* folder (what a build killed between making
    the name and the rename left) was kept by every later build as "a previous pack ...
    moved aside" and, once the pack was deleted, "put back" as it. It is removed unsaid."""
    pack = _pack(project, tmp_path / "test-co")
    empty = tmp_path / f"{RETIRED_PREFIX}{target_tag(pack)}-abcd1234"
    empty.mkdir()
    if not target_left:
        shutil.rmtree(pack)
    status, stderr = _run(project, pack)
    assert status == 0, stderr
    assert "moved aside" not in stderr and "put back" not in stderr, stderr
    assert not empty.exists() and _ours(tmp_path) == [] and verify_pack(pack).ok


def test_edited_workbooks_moved_before_one_that_cannot_be_go_back_into_the_kept_pack(
    tmp_path, monkeypatch
):
    """Pass 78b: of two edited workbooks, the second immutable, the first was moved out and
    left outside the previous pack, which the warning said was kept whole with them: a pack
    restored from it lacked that workbook."""
    retired, kept = tmp_path / ".reportgen-retired-x", tmp_path / "kept"
    edited = ["iso-27001/a-raci.xlsx", "soc2/b-raci.xlsx"]
    for name in edited:
        (retired / name).parent.mkdir(parents=True)
        (retired / name).write_bytes(name.encode())
    kept.mkdir()
    real = Path.rename

    def rename(self, target):
        if self.name == "b-raci.xlsx":
            raise OSError(errno.EPERM, "Operation not permitted", str(self))
        return real(self, target)

    monkeypatch.setattr(Path, "rename", rename)
    notes: list[str] = []
    assert pack_write._move_team_edits(retired, (kept, edited), notes) is False
    for name in edited:
        assert (kept / "previous-pack" / name).read_bytes() == name.encode()
    assert "kept whole, with them, in" in notes[0] and not (kept / "iso-27001").exists()
