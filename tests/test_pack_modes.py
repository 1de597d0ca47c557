"""The pack's folder keeps the mode and group the user gave it: a build replaced a folder at
``chmod 700`` (or a setgid group folder at 2770) with one at 0755 owned by the builder's
group, so a "Confidential" pack became readable by every local user (fourteenth adversarial
pass, P29). A new pack's folder follows the umask, as the files inside it do (W1).

Each build runs the command line in its own process, under the umask the case sets.
"""

from __future__ import annotations

import grp
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from packhelpers import EPOCH, REPORTGEN_WITHOUT_PDF

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="POSIX modes and groups")

FAST = ("--framework", "soc2", "--format", "matrix", "--format", "summary")


def _build(project: Path, out: Path, umask: int = 0o022, extra: tuple[str, ...] = ()) -> None:
    argv = ["-q", "build", "--config", project / "reportgen.yaml", "--out", out, *FAST, *extra]
    done = subprocess.run(
        [*REPORTGEN_WITHOUT_PDF, *map(str, argv)],
        cwd=project,
        env={**os.environ, "SOURCE_DATE_EPOCH": EPOCH},
        capture_output=True,
        text=True,
        timeout=300,
        preexec_fn=lambda: os.umask(umask),
    )
    assert done.returncode == 0, done.stderr + done.stdout


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.parametrize("existing", ["empty folder", "pack"])
def test_a_private_pack_folder_stays_private(project, tmp_path, existing):
    out = tmp_path / "test-co"
    if existing == "pack":
        _build(project, out)
    else:
        out.mkdir()
    out.chmod(0o700)
    _build(project, out)
    assert _mode(out) == 0o700
    _build(project, out)  # and a rebuild of the rebuilt pack
    assert _mode(out) == 0o700


def _other_group() -> int:
    """A group other than the builder's that this user may give a folder (root: any)."""
    mine, allowed = os.getegid(), set(os.getgroups())
    usable = [
        g.gr_gid
        for g in grp.getgrall()
        if g.gr_gid != mine and (os.geteuid() == 0 or g.gr_gid in allowed)
    ]
    if not usable:
        pytest.skip("no other group this user may give a folder")
    return usable[0]


def test_a_setgid_group_folder_keeps_its_group_and_mode(project, tmp_path):
    out = tmp_path / "test-co"
    _build(project, out)
    group = _other_group()
    os.chown(out, -1, group)
    out.chmod(0o2770)
    _build(project, out)
    assert _mode(out) == 0o2770
    assert out.stat().st_gid == group


@pytest.mark.parametrize(("umask", "mode"), [(0o022, 0o755), (0o027, 0o750), (0o077, 0o700)])
def test_a_new_pack_folder_follows_the_umask_as_its_files_do(project, tmp_path, umask, mode):
    out = tmp_path / "test-co"
    _build(project, out, umask)
    assert _mode(out) == mode
    assert _mode(out / "summary.md") == 0o666 & ~umask
    assert _mode(out / "soc2") == mode


def test_the_teams_edited_workbooks_are_kept_as_private_as_their_pack(project, tmp_path):
    """The folder the team's edited workbooks are moved to (build --evidence PACK into PACK)
    was chmod'ed 0755 too: it gets the mode of the pack they came from."""
    import openpyxl

    out = tmp_path / "test-co"
    argv = ("--format", "xlsx")
    _build(project, out, extra=argv)
    workbook = out / "soc2" / "test-co-soc2-raci.xlsx"
    book = openpyxl.load_workbook(workbook)
    book.create_sheet("My notes")["A1"] = "QSA interview notes"
    book.save(workbook)
    out.chmod(0o700)
    _build(project, out, extra=(*argv, "--evidence", str(out)))
    (kept,) = tmp_path.glob("test-co.team-edits-*")
    assert _mode(kept) == 0o700
    assert _mode(out) == 0o700


def test_a_pack_written_under_umask_0222_is_not_taken_for_a_protected_one(project, tmp_path):
    """Under umask 0222 the pack's files were written r--r--r--, which the next build took
    for a pack someone protected and refused (W2); its folders r-x, which a build by any
    user but root could not write into. The umask says who else may read the pack; its
    owner keeps write."""
    out = tmp_path / "test-co"
    _build(project, out, 0o222)
    assert _mode(out) == 0o755
    assert _mode(out / "soc2") == 0o755
    assert _mode(out / "summary.md") == 0o644
    assert _mode(out / "soc2" / "matrix.json") == 0o644
    _build(project, out, 0o222)  # exit 0: not "read-only (someone protected it)"
