"""Atomic packs: a build killed with SIGKILL leaves the old pack or none, never half of one;
one build at a time writes a target; leftovers of killed runs are cleaned up safely.

The builds here are real command-line processes of all three frameworks, without the PDF
writer: what is under test is the staging directory, the swap and the lock, which treat a
framework's files alike whatever they are (and a build takes 2 s instead of 40).
"""

from __future__ import annotations

import errno
import json
import os
import queue
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from conftest import write_csv
from packhelpers import EPOCH, REPORTGEN, REPORTGEN_WITHOUT_PDF, interruptible, run, tree_hashes
from packhelpers import build as build_pack

from reportgen.core.errors import InputError
from reportgen.pack.verify import pack_is_intact, verify_pack
from reportgen.pack.write import (
    RETIRED_PREFIX,
    STAGING_PREFIX,
    clean_stale,
    pack_lock,
    put_back_before_reading,
    target_tag,
)

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals and flock")


class PausedBuild:
    """A build in a subprocess, stopped at a stage by the test-only pause hook."""

    def __init__(self, project: Path, out: Path, stage: str) -> None:
        env = {**os.environ, "SOURCE_DATE_EPOCH": EPOCH, "REPORTGEN_TEST_PAUSE_AFTER": stage}
        command = [*REPORTGEN_WITHOUT_PDF, "-q", "build", "--config", "reportgen.yaml"]
        self.process = subprocess.Popen(
            [*command, "--out", str(out)],
            cwd=project,
            env=env,
            stderr=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            text=True,
            preexec_fn=interruptible,
        )
        self.lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()
        self._wait_for(f"paused after {stage}")

    def _read(self) -> None:
        for line in self.process.stderr:
            self.lines.put(line)

    def _wait_for(self, text: str) -> None:
        seen = []
        while True:
            try:
                line = self.lines.get(timeout=120)
            except queue.Empty:
                self.kill()
                raise AssertionError(f"the build never paused; stderr: {''.join(seen)}") from None
            seen.append(line)
            if text in line:
                return

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=30)
        assert self.process.returncode == -signal.SIGKILL


def build(project: Path, out: Path) -> Path:
    return build_pack(project, out, pdf=False)


def leftovers(out: Path) -> list[str]:
    tag = target_tag(out)
    prefixes = (f"{STAGING_PREFIX}{tag}-", f"{RETIRED_PREFIX}{tag}-")
    return sorted(p.name for p in out.parent.iterdir() if p.name.startswith(prefixes))


def change_inventory(project: Path) -> None:
    write_csv(project / "inventory.csv", [["Service", "Resource ID"], ["Lambda", "fn-1"]])


@pytest.mark.parametrize("stage", ["render", "pack"])
def test_sigkill_mid_build_leaves_the_old_pack_intact(project, tmp_path, stage):
    out = build(project, tmp_path / "out" / "pack")
    before = tree_hashes(out)
    change_inventory(project)
    paused = PausedBuild(project, out, stage)
    assert len(leftovers(out)) == 1  # the killed run was writing its staging directory
    staged = out.parent / leftovers(out)[0]
    assert (staged / "manifest.json").is_file() == (stage == "pack")
    paused.kill()
    assert verify_pack(out).ok
    assert tree_hashes(out) == before
    assert leftovers(out)  # SIGKILL gives no chance to clean up ...
    build(project, out)  # ... the next build of the same target does
    assert leftovers(out) == []
    assert verify_pack(out).ok and tree_hashes(out) != before


def test_a_build_waiting_for_the_lock_says_so_once(project, tmp_path):
    """A build waiting for another's lock sat silent for up to ten minutes (fifth
    adversarial pass): after a second it says whose lock it waits for, once."""
    out = tmp_path / "out" / "pack"
    out.parent.mkdir()
    holder = subprocess.Popen(  # a session of its own: its sleep holds the lock too
        ["flock", "-x", str(out.parent), "-c", "echo held; sleep 600"],
        stdout=subprocess.PIPE,
        start_new_session=True,
    )
    command = [*REPORTGEN_WITHOUT_PDF, "build", "--config", "reportgen.yaml", "--out", str(out)]
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == b"held"
        # The lock is let go once the build says it waits, however long its start-up took
        # on a loaded machine (a fixed 3 s hold was over before a slow start reached it).
        building = subprocess.Popen(command, cwd=project, stderr=subprocess.PIPE, text=True,
                                    env={**os.environ, "SOURCE_DATE_EPOCH": EPOCH})  # fmt: skip
        seen: list[str] = []
        waiting = threading.Event()

        def read() -> None:
            for line in building.stderr or ():
                seen.append(line)
                if "waiting for it" in " ".join("".join(seen).split()):
                    waiting.set()

        reader = threading.Thread(target=read, daemon=True)
        reader.start()
        waiting.wait(timeout=120)
    finally:
        os.killpg(holder.pid, signal.SIGKILL)
        holder.wait()
    building.wait(timeout=300)
    reader.join(timeout=30)
    said = " ".join("".join(seen).split())
    assert building.returncode == 0, said
    assert said.count("waiting for it") == 1, said
    # The holder here is flock(1), not a build: named as what it is (sixth pass).
    assert f"another program, flock (pid {holder.pid}), holds the build lock in" in said
    assert f"{out.parent}; waiting for it" in said
    assert verify_pack(out).ok


_INHERITED_LOCK = """
import fcntl, os, subprocess, sys
fd = os.open(sys.argv[1], os.O_RDONLY)
fcntl.flock(fd, fcntl.LOCK_EX)
quiet = subprocess.DEVNULL  # else the caller waits for the sleep to close its output
subprocess.Popen(["sleep", "8"], pass_fds=[fd], start_new_session=True, stdout=quiet, stderr=quiet)
print(os.getpid(), flush=True)
"""


def test_a_lock_kept_by_a_process_whose_starter_ended_is_named_so(project, tmp_path):
    """/proc/locks names the process that took the lock: when that one has ended and a
    program it started keeps the lock, the wait named the dead pid as a build (pass 7)."""
    out = tmp_path / "out" / "pack"
    out.parent.mkdir()
    started = subprocess.run(
        [sys.executable, "-c", _INHERITED_LOCK, str(out.parent)], capture_output=True, text=True
    )
    taker = int(started.stdout)
    result = run("build", "--config", "reportgen.yaml", "--out", out, cwd=project, pdf=False)
    said = " ".join(result.stderr.split())
    assert f"a process left running by pid {taker}, which has ended, still holds" in said
    assert "another reportgen build" not in said
    assert verify_pack(out).ok


def test_sigkill_of_a_first_build_leaves_no_pack(project, tmp_path):
    out = tmp_path / "out" / "pack"
    PausedBuild(project, out, "pack").kill()
    assert not out.exists()


def test_one_build_at_a_time_per_folder(project, tmp_path):
    out = tmp_path / "out" / "pack"
    paused = PausedBuild(project, out, "render")
    try:
        holder = rf"build \(pid {paused.process.pid}\) is writing"
        # Builds into one folder take turns, whichever target they write ...
        for target in (out, tmp_path / "out" / "other"):
            with pytest.raises(InputError, match=holder), pack_lock(target, wait=0.3):
                pass
        # ... and a build elsewhere runs, leaving the paused build's staging directory
        # alone (it is in use).
        staged = leftovers(out)
        build(project, tmp_path / "elsewhere" / "pack")
        assert leftovers(out) == staged
    finally:
        paused.kill()
    with pack_lock(out, wait=0.3) as lock:  # the kernel released the killed holder's lock
        assert lock == out.parent
    assert sorted(p.name for p in out.parent.iterdir()) == sorted(staged)  # no lock file


def _crash_between_renames(pack: Path) -> Path:
    """What a SIGKILL between the swap's two renames leaves: the old pack moved aside."""
    retired = pack.parent / f"{RETIRED_PREFIX}{target_tag(pack)}-k1lled00"
    pack.rename(retired)
    return retired


def test_a_pack_moved_aside_by_a_killed_swap_is_restored(project, tmp_path):
    out = build(project, tmp_path / "pack")
    before = tree_hashes(out)
    _crash_between_renames(out)
    assert not out.exists()
    with pack_lock(out):
        clean_stale(out)
    assert tree_hashes(out) == before and pack_is_intact(out)
    assert leftovers(out) == []


def test_a_rebuild_in_place_puts_back_the_pack_it_reads_before_reading_it(project, tmp_path):
    """Pass 60b B8: a rebuild in place (--previous and --evidence naming --out) killed
    between its two renames left the pack aside; the same command then read --previous
    before its lock settled the target, and stopped saying the next build would put it
    back: every next build was that same one."""
    out = build(project, tmp_path / "pack")
    retired = _crash_between_renames(out)
    result = run("build", "--config", "reportgen.yaml", "--out", out, "--previous", out,
                 "--evidence", out, cwd=project, pdf=False)  # fmt: skip
    said = " ".join(result.stderr.split())
    assert f"the pack at {out} was put back from beside it" in said, said
    assert "the next build there puts it back" not in said
    assert not retired.exists() and leftovers(out) == [] and pack_is_intact(out)
    matrix = json.loads((out / "soc2" / "matrix.json").read_text())
    assert matrix["document"]["previous_version"] == "1", matrix["document"]  # it was read


def test_a_pack_that_cannot_be_put_back_stops_the_build_that_reads_it(
    project, tmp_path, monkeypatch
):
    """Pass 61b W2: a put-back refused (an immutable folder) was followed by "the next build
    there puts it back", which every next build failed to do in the same way."""
    out = build(project, tmp_path / "pack")
    retired = _crash_between_renames(out)
    rename = Path.rename

    def refused(self: Path, target: Path) -> Path:
        if self == retired:
            raise PermissionError(errno.EPERM, "Operation not permitted")
        return rename(self, target)

    monkeypatch.setattr(Path, "rename", refused)
    with pytest.raises(InputError) as caught:
        put_back_before_reading([out / "soc2" / "x-raci.xlsx"], [])
    error = caught.value
    assert "could not be put back before it was read" in error.message, error.message
    assert "(Operation not permitted) and is kept there" in " ".join(error.details)
    assert "next build" not in error.hint and retired.is_dir() and not out.exists()


@pytest.mark.parametrize("made", ["a file", "a dangling link"])
def test_an_evidence_path_names_the_pack_moved_aside_from_it(project, tmp_path, made):
    """Pass 61b W1: with a file or a link made at the path since, --evidence said only "not
    an .xlsx workbook" or "not found", where verify and --previous name the folder."""
    out = build(project, tmp_path / "pack")
    retired = _crash_between_renames(out)
    if made == "a file":
        out.write_text("mine")
    else:
        out.symlink_to(tmp_path / "nowhere")
    result = run("build", "--config", "reportgen.yaml", "--out", tmp_path / "other",
                 "--evidence", out, cwd=project, check=2, pdf=False)  # fmt: skip
    said = " ".join(result.stderr.split())
    assert f"moved it aside to {retired.name} beside it; with something else" in said, said


@pytest.mark.parametrize("made", ["a file", "a link to another pack"])
def test_an_evidence_workbook_in_a_pack_moved_aside_names_it(project, tmp_path, made):
    """Pass 66b F2: --evidence PACK/soc2/WORKBOOK, with a link to another pack made at the
    pack's path since, read that pack's workbook as the team's (exit 0) and never named the
    pack moved aside; with a file there it said only "a part of the path is not a directory"
    (looking for the pack moved aside listed the file as a folder)."""
    out = build(project, tmp_path / "pack")
    workbook = next(out.glob("soc2/*-raci.xlsx")).relative_to(out)
    retired = _crash_between_renames(out)
    if made == "a file":
        out.write_text("mine")
    else:
        out.symlink_to(build(project, tmp_path / "another"))
    result = run("build", "--config", "reportgen.yaml", "--out", tmp_path / "other",
                 "--evidence", out / workbook, cwd=project, check=2, pdf=False)  # fmt: skip
    said = " ".join(result.stderr.split())
    assert f"the pack at {out} moved it aside to {retired.name} beside it" in said, said
    assert not (tmp_path / "other").exists() and retired.is_dir()


@pytest.mark.parametrize("way", ["fw/../fw", "from inside the link", "through another link"])
def test_an_evidence_workbook_reached_by_another_way_through_the_link_is_refused(
    project, tmp_path, way
):
    """Pass 67b F1: PACK/fw/../fw/WORKBOOK, or fw/WORKBOOK from inside the link made at
    PACK, read the link's pack as the team's (exit 0); so would a link to PACK/fw."""
    out = build(project, tmp_path / "pack")
    workbook = next(out.glob("soc2/*-raci.xlsx")).relative_to(out)
    retired = _crash_between_renames(out)
    out.symlink_to(build(project, tmp_path / "another"))
    cwd, env = project, None
    if way == "fw/../fw":
        given = out / "soc2" / ".." / workbook
    elif way == "from inside the link":
        given, cwd, env = workbook, out, {"PWD": str(out)}
    else:
        (tmp_path / "fw").symlink_to(out / "soc2")
        given = tmp_path / "fw" / workbook.name
    result = run("build", "--config", project / "reportgen.yaml", "--out",
                 tmp_path / "other", "--evidence", given, cwd=cwd, env=env, check=2,
                 pdf=False)  # fmt: skip
    said = " ".join(result.stderr.split())
    assert f"goes through a link at {out}, where a build killed" in said, said
    assert retired.name in said and not (tmp_path / "other").exists()


@pytest.mark.parametrize("command", ["verify", "bundle"])
def test_a_pack_moved_aside_is_pointed_at_by_the_commands_that_read_it(project, tmp_path, command):
    """Pass 37b: verify and bundle said only "no such directory", as if it were lost."""
    out = build(project, tmp_path / "pack")
    retired = _crash_between_renames(out)
    result = run(command, str(out), check=2)
    said = " ".join(result.stderr.split())
    assert f"{out}: no such directory" in said
    assert f"moved it aside to {retired.name} beside it; the next build there puts it back" in said


@pytest.mark.parametrize("made", ["an empty folder", "a dangling link", "a file"])
def test_a_pack_moved_aside_is_pointed_at_past_what_was_made_at_its_path(project, tmp_path, made):
    """Pass 46b W: with an empty folder or a dangling link made at the path since, verify
    said "manifest.json is missing" or "a symbolic link", not where the pack went."""
    out = build(project, tmp_path / "pack")
    retired = _crash_between_renames(out)
    if made == "an empty folder":
        out.mkdir()
    elif made == "a file":  # 48b: "not a directory: it is a file" alone
        out.write_text("mine")
    else:
        out.symlink_to(tmp_path / "nowhere")
    said = " ".join(run("verify", str(out), check=2).stderr.split())
    assert f"moved it aside to {retired.name} beside it; with something else" in said, said
    assert "the next build there puts it back" not in said  # it does not (47b)


THROUGH_THE_LINK = {  # pass 68b: each read the pack a link at PACK points to by PACK/fw/..
    "verify": ("verify", "{pack}"),
    "bundle": ("bundle", "{pack}", "-o", "{tmp}/b.zip"),
    "diff": ("diff", "{pack}", "{other}"),
    "build --previous": ("build", "--config", "reportgen.yaml", "-o", "{tmp}/o", "--previous",
                         "{pack}"),
    "build --evidence": ("build", "--config", "reportgen.yaml", "-o", "{tmp}/o", "--evidence",
                         "{pack}"),
}  # fmt: skip


@pytest.mark.parametrize("command", THROUGH_THE_LINK)
def test_a_pack_is_not_read_through_a_link_by_a_path_inside_it(project, tmp_path, command):
    """Pass 68b F1/F2: with a link to another pack made where a killed build moved the
    pack aside, PACK/soc2/.. was read (another customer's pack bundled, exit 0)."""
    out = build(project, tmp_path / "pack")
    other = build(project, tmp_path / "another")
    retired = _crash_between_renames(out)
    out.symlink_to(other)
    values = {"pack": out / "soc2" / "..", "other": other, "tmp": tmp_path}
    args = [part.format(**values) for part in THROUGH_THE_LINK[command]]
    said = " ".join(run(*args, cwd=project, check=2, pdf=False).stderr.split())
    assert f"goes through a link at {out}, where a build killed" in said, said
    assert retired.name in said and not (tmp_path / "b.zip").exists()


@pytest.mark.parametrize("command", ["verify", "bundle"])
def test_a_pack_moved_aside_is_named_by_a_path_inside_it(project, tmp_path, command):
    """Pass 69b: PACK/soc2/.. of a pack a killed build moved aside said only "no such
    directory", where PACK itself names the folder it went to."""
    out = build(project, tmp_path / "pack")
    retired = _crash_between_renames(out)
    args = [command, out / "soc2" / ".."] + (
        ["-o", tmp_path / "b.zip"] if command == "bundle" else []
    )
    said = " ".join(run(*args, check=2).stderr.split())
    assert f"moved it aside to {retired.name} beside it" in said, said


def test_a_pack_named_through_a_link_by_a_path_inside_it_is_a_link(project, tmp_path):
    """Pass 68b: PACK/soc2/.. of a PACK that is a link is the link, refused as PACK is."""
    other = build(project, tmp_path / "another")
    (tmp_path / "pack").symlink_to(other)
    said = " ".join(run("verify", tmp_path / "pack" / "soc2" / "..", check=2).stderr.split())
    assert "the pack directory is a symbolic link" in said, said


FILE_AT_THE_PATH = {  # the command, and what it says of the file before naming the pack
    "bundle": (("bundle", "{out}", "-o", "{zip}"), "not a directory: it is a file"),
    "attach": (
        ("attach", "--jira", "ABC-1", "--dry-run", "{out}"),
        "not a directory: it is a file",
    ),
    "build -o": (
        ("build", "--config", "reportgen.yaml", "-o", "{out}"),
        "the output path is a file",
    ),
    "build output.dir": (("build", "--config", "reportgen.yaml"), "the output path is a file"),
    "build --previous": (
        ("build", "--config", "reportgen.yaml", "-o", "{zip}.d", "--previous", "{out}"),
        "not a directory: it is a file",
    ),
}


@pytest.mark.parametrize("command", FILE_AT_THE_PATH)
def test_a_pack_moved_aside_is_named_past_a_file_at_its_path_by_every_command(
    project, tmp_path, command
):
    """Pass 48b F2: bundle, attach and build take the folder as click's directory, and with
    a file made at the path click stopped first ("Directory 'out' is a file."): the pack
    moved aside went unnamed. The build still refuses to replace the file."""
    out = build(project, tmp_path / "pack")
    retired = _crash_between_renames(out)
    before = tree_hashes(retired)
    out.write_text("mine")
    if command == "build output.dir":
        with (project / "reportgen.yaml").open("a") as config:
            config.write(f"output:\n  dir: {out}\n")
    args, first = FILE_AT_THE_PATH[command]
    args = [a.format(out=out, zip=tmp_path / "x.zip") for a in args]
    said = " ".join(run(*args, cwd=project, check=2, pdf=False).stderr.split())
    assert said.startswith(f"error: {out}: {first}"), said
    assert f"moved it aside to {retired.name} beside it; with something else" in said, said
    assert out.read_text() == "mine" and tree_hashes(retired) == before
    assert not (tmp_path / "x.zip").exists()


def test_a_file_at_a_pack_path_with_no_pack_moved_aside_is_refused_by_click_as_before(tmp_path):
    (tmp_path / "out").write_text("mine")
    said = run("bundle", tmp_path / "out", check=2).stderr
    assert f"Invalid value for 'DIRECTORY': Directory '{tmp_path / 'out'}' is a file." in said


def test_an_altered_retired_pack_is_restored_not_deleted(project, tmp_path):
    """It is the user's pack, edited or not (adversarial-3a #4: it was deleted); the build
    then checks it at its target like any pack, and refuses to replace the edit."""
    out = build(project, tmp_path / "pack")
    retired = _crash_between_renames(out)
    (retired / "summary.md").write_text("tampered\n")
    notes: list[str] = []
    with pack_lock(out):
        removed = clean_stale(out, notes)
    assert removed == [] and not retired.exists()
    assert (out / "summary.md").read_text() == "tampered\n"
    assert len(notes) == 1 and "was put back from" in notes[0] and "summary.md" in notes[0]


@pytest.mark.parametrize("manifest", ["none", "the user's", "copied alone", "listing none"])
def test_a_retired_pack_stays_while_its_target_holds_no_whole_pack(project, tmp_path, manifest):
    """Pass 42b W1: killed between the renames, then a folder of the user's made at --out:
    the next build deleted the retired pack, the only copy of the previous one, as it
    verified, then refused the target, without a word of the pack. Pass 43b: so it did
    when the user's folder held a manifest.json of its own; 44b: the pack's own, alone."""
    out = build(project, tmp_path / "pack")
    before = tree_hashes(out)
    retired = _crash_between_renames(out)
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    if manifest == "the user's":
        (out / "manifest.json").write_text('{"name": "my web app"}')
    elif manifest == "copied alone":
        shutil.copy(retired / "manifest.json", out / "manifest.json")
    elif manifest == "listing none":  # 45b: it verified, "0 file(s) match the manifest"
        (out / "notes.txt").unlink()
        listing = json.loads((retired / "manifest.json").read_text())
        (out / "manifest.json").write_text(json.dumps({**listing, "outputs": []}))
    notes: list[str] = []
    with pack_lock(out):
        assert clean_stale(out, notes) == []
    assert tree_hashes(retired) == before
    assert len(notes) == 1 and notes[0].startswith(f"{retired}: a previous pack"), notes
    assert f"kept, since {out} holds no whole pack" in notes[0]


def test_a_retired_pack_goes_only_once_the_build_that_finds_it_succeeds(project, tmp_path):
    """Pass 46b: a verifying pack the user put at --out, one file read-only: the build
    deleted the retired pack (it verified, and the target held a whole pack), then refused
    the read-only file; the only copy of the previous pack was gone, without a word."""
    out = build(project, tmp_path / "pack")
    before = tree_hashes(out)
    retired = _crash_between_renames(out)
    shutil.copytree(build(project, tmp_path / "other"), out)  # another pack, put there
    summary = next(p for p in out.rglob("*") if p.is_file() and p.name != "manifest.json")
    summary.chmod(0o444)
    refused = run("-q", "build", "--config", "reportgen.yaml", "--out", out, cwd=project,
                  check=2, pdf=False)  # fmt: skip
    assert "read-only" in refused.stderr
    assert tree_hashes(retired) == before
    summary.chmod(0o644)
    build(project, out)  # the new pack in place: the old one goes now
    assert not retired.exists() and leftovers(out) == []


def test_an_empty_team_edits_folder_a_killed_build_left_is_removed(tmp_path):
    """Pass 63b: a build with --evidence killed while swapping its pack left an empty
    team-edits folder beside it, which no later run removed or named."""
    out = tmp_path / "pack"
    empty = tmp_path / "pack.team-edits-20261204T101010Z-a1b2c3d4"
    held = tmp_path / "pack.team-edits-20261204T101011Z-e5f6g7h8"
    mine = tmp_path / "pack.team-edits-mine"
    for folder in (empty, held, mine):
        folder.mkdir()
    (empty / "soc2" / "deeper").mkdir(parents=True)  # 65b: killed as it moved the workbooks
    (held / "soc2").mkdir()
    (held / "soc2" / "x-raci.xlsx").write_bytes(b"the team's")
    with pack_lock(out):
        assert clean_stale(out) == [empty]
    assert not empty.exists() and (held / "soc2" / "x-raci.xlsx").is_file() and mine.is_dir()


def test_a_pack_replaced_while_it_is_read_is_said_so(project, tmp_path):
    """Pass 64b: verify, bundle and diff reading a pack that a build replaced called every
    file MISSING, the pack tampered with (exit 1), though it was whole before and after."""
    from reportgen.pack.files import PackDir

    out = build(project, tmp_path / "pack")
    with PackDir(out) as pack:  # read whole, nothing replaced: no word
        assert pack.manifest().manifest.outputs
    with pytest.raises(InputError) as caught, PackDir(out) as pack:
        out.rename(tmp_path / "old")  # the build's swap, between two reads
        shutil.copytree(tmp_path / "old", out)
        shutil.rmtree(tmp_path / "old")
        pack.manifest()
    assert "the pack was replaced while it was read" in caught.value.message
    assert caught.value.file == str(out)


def test_cleanup_touches_only_its_own_target(project, tmp_path):
    mine, theirs = tmp_path / "mine", tmp_path / "theirs"
    stale_theirs = tmp_path / f"{STAGING_PREFIX}{target_tag(theirs)}-abcdefgh"
    stale_mine = tmp_path / f"{STAGING_PREFIX}{target_tag(mine)}-abcdefgh"
    unrelated = tmp_path / ".reportgen-staging-handmade"
    for path in (stale_theirs, stale_mine, unrelated):
        path.mkdir()
    with pack_lock(mine):
        assert clean_stale(mine) == [stale_mine]
    assert stale_theirs.is_dir() and unrelated.is_dir()


def _folders(root: Path) -> list[str]:
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*"))


def test_a_failed_build_removes_the_folders_it_made(project, tmp_path):
    """adversarial-4a #8: a template error with --out nx1/ny1/nz1/pk left nx1/ny1/nz1. The
    folders the build made go again; one that was there before stays."""
    (project / "t1").mkdir()
    (project / "t1" / "report.html").write_text("<html><body>{{ 1/0 }}</body></html>")
    (tmp_path / "existing").mkdir()
    before = _folders(tmp_path)
    out = tmp_path / "existing" / "nx1" / "ny1" / "nz1" / "pk"
    result = subprocess.run(
        [*REPORTGEN, "build", "--config", "reportgen.yaml", "--framework", "soc2",
         "--format", "pdf", "--templates", "t1", "--out", str(out)],
        cwd=project, env={**os.environ, "SOURCE_DATE_EPOCH": EPOCH}, capture_output=True,
        text=True, timeout=300,
    )  # fmt: skip
    assert result.returncode == 2 and "template error: ZeroDivisionError" in result.stderr
    assert _folders(tmp_path) == before  # "existing" stays, nothing under it


def test_an_interrupted_build_removes_the_folders_it_made(project, tmp_path):
    out = tmp_path / "new" / "deeper" / "pack"
    paused = PausedBuild(project, out, "render")
    assert (tmp_path / "new" / "deeper").is_dir()  # made, and the staging folder in it
    paused.process.send_signal(signal.SIGINT)
    assert paused.process.wait(timeout=60) == 130
    assert not (tmp_path / "new").exists()


def test_a_folder_a_failed_build_removed_is_made_again_by_the_one_waiting(tmp_path):
    """A build waiting for the lock of a folder that a failed build then removes (it made
    it) locks the folder made anew, not the removed one, and writes there."""
    import fcntl

    parent = tmp_path / "new"
    parent.mkdir()
    holder = os.open(parent, os.O_RDONLY | os.O_DIRECTORY)
    fcntl.flock(holder, fcntl.LOCK_EX)
    seen: list[bool] = []

    def wait_then_build() -> None:
        with pack_lock(parent / "pack", wait=30) as locked:
            seen.append(locked.is_dir())

    waiting = threading.Thread(target=wait_then_build)
    waiting.start()
    time.sleep(0.5)  # it opened the folder and waits for the lock
    os.rmdir(parent)  # the failed build removes the empty folder it made ...
    os.close(holder)  # ... and its lock goes with its descriptor
    waiting.join(timeout=30)
    assert seen == [True] and parent.is_dir()


def test_tags_are_fixed_length_for_any_name(tmp_path):
    long_name = tmp_path / ("é" * 120)
    assert len(target_tag(long_name)) == 12
    assert target_tag(tmp_path / "a") != target_tag(tmp_path / "b")
    with pack_lock(long_name):
        assert list(tmp_path.iterdir()) == []  # the lock leaves no file behind


def _interrupted_swap(project: Path, out: Path, at: str) -> subprocess.CompletedProcess:
    """A rebuild of ``out`` (its inventory changed) signalled as the swap's rename ``at``
    returns (reportgen_without_pdf.py)."""
    change_inventory(project)
    return subprocess.run(
        [*REPORTGEN_WITHOUT_PDF, "build", "--config", "reportgen.yaml", "--out", str(out)],
        cwd=project,
        env={**os.environ, "SOURCE_DATE_EPOCH": EPOCH, "REPORTGEN_TEST_SIGNAL_AT_SWAP": at},
        capture_output=True,
        text=True,
        timeout=300,
        preexec_fn=interruptible,
    )


@pytest.mark.parametrize(
    ("signum", "status", "word"),
    [("INT", 130, "aborted"), ("TERM", 143, "terminated"), ("HUP", 129, "hung up")],
)
def test_a_signal_as_the_old_pack_is_moved_aside_puts_it_back(
    project, tmp_path, signum, status, word
):
    """adversarial-15b C42: Ctrl-C or SIGTERM arriving during the rename that moves the old
    pack aside exited 130/143 with the pack left as .reportgen-retired-*, nothing at --out.
    Now the swap goes back: the old pack is in place, as it was, and the build says so."""
    out = build(project, tmp_path / "pack")
    before = tree_hashes(out)
    result = _interrupted_swap(project, out, f"{signum}:retire")
    assert result.returncode == status, result.stderr
    assert word in result.stderr and "Traceback" not in result.stderr
    assert f"{out} is as it was" in result.stderr
    assert tree_hashes(out) == before and verify_pack(out).ok
    assert leftovers(out) == []


@pytest.mark.parametrize("signum", ["INT", "TERM"])
def test_a_signal_as_the_new_pack_moves_in_lets_the_swap_finish(project, tmp_path, signum):
    """adversarial-15b C43: SIGTERM arriving during the rename that moves the new pack in
    said "terminated" (exit 143) with the new pack in place and the old one left unnamed
    as .reportgen-retired-*. Now the swap finishes (old pack deleted) and the build says
    what happened."""
    out = build(project, tmp_path / "pack")
    before = tree_hashes(out)
    result = _interrupted_swap(project, out, f"{signum}:rename-in")
    assert result.returncode == 0, result.stderr
    assert f"SIG{signum} came as the new pack was being put in place" in result.stderr
    assert verify_pack(out).ok and tree_hashes(out) != before
    assert leftovers(out) == []
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".reportgen-")]


def test_a_link_in_a_folder_that_cannot_be_listed_is_read_through(tmp_path, monkeypatch):
    """Pass 68b W1: a link in a folder that may be entered but not listed (0711) made the
    look for a pack moved aside beside it fail the read with "permission denied"."""
    from reportgen.pack import files, write

    (tmp_path / "real").mkdir()
    (tmp_path / "real" / "x.xlsx").write_text("x")
    (tmp_path / "via").symlink_to(tmp_path / "real")

    def unlisted(target: Path) -> Path | None:
        raise PermissionError(errno.EACCES, "Permission denied", str(target.parent))

    monkeypatch.setattr(write, "retired_beside", unlisted)
    assert files.link_where_a_pack_was(tmp_path / "via" / "x.xlsx") is None
