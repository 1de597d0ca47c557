"""A file system mounted inside a pack is never emptied through (adversarial-4a #22): a
build refuses to replace a pack holding a mount point, and the removal of discarded,
retired and staging folders stops at a file system boundary, leaving a mount in place with
a warning naming it. The mount is made for real where the test may (root, mount --bind);
otherwise the mount table is monkeypatched, which the code reads the same way.
"""

from __future__ import annotations

import errno
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from packhelpers import REPORTGEN_WITHOUT_PDF, tree_hashes
from test_pack_replace import _in_process, _ours, _pack, _run, _text

import reportgen.core.mounts as mounts
import reportgen.core.removal as removal
import reportgen.pack.target as pack_target
import reportgen.pack.write as pack_write
from reportgen.pack.write import DISCARD_PREFIX, target_tag


def _mount_table_with(monkeypatch, *folders: Path) -> None:
    points = {os.fsencode(os.path.realpath(f)) for f in folders}
    real = pack_target.mount_points

    def mount_points() -> set[bytes]:
        return real() | points

    monkeypatch.setattr(pack_target, "mount_points", mount_points)
    monkeypatch.setattr(removal, "mount_points", mount_points)


def test_removal_stops_at_a_mount_point(tmp_path, monkeypatch):
    top = tmp_path / "doomed"
    (top / "a").mkdir(parents=True)
    (top / "a" / "file.txt").write_text("ours\n")
    (top / "mnt").mkdir()
    (top / "mnt" / "precious.txt").write_text("not ours\n")
    _mount_table_with(monkeypatch, top / "mnt")
    failures = removal.remove_tree(top)
    assert (top / "mnt" / "precious.txt").read_text() == "not ours\n"
    assert not (top / "a").exists()
    busy = [name for name, error in failures if error.errno == errno.EBUSY]
    assert busy == [str(top / "mnt")]
    message = pack_write.not_removed(top, "a previous pack", failures)
    assert "mnt: " in message and "a file system mounted inside it?" in message


def test_a_pack_holding_a_mount_point_is_refused_whatever_the_flags(
    project, tmp_path, capsys, monkeypatch
):
    pack = _pack(project, tmp_path / "pack")
    (pack / "mnt").mkdir()
    (pack / "mnt" / "precious.txt").write_text("not ours\n")
    before = tree_hashes(pack)
    _mount_table_with(monkeypatch, pack / "mnt")
    status, stderr = _in_process(project, pack, capsys, monkeypatch, "--overwrite")
    assert status == 2, stderr
    assert "a file system is mounted on 'mnt' inside the pack" in _text(stderr)
    assert tree_hashes(pack) == before and _ours(tmp_path) == []


def _bind(source: Path, mount: Path) -> None:
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("a bind mount needs root and mount(8)")
    done = subprocess.run(["mount", "--bind", str(source), str(mount)], capture_output=True)
    if done.returncode != 0:
        pytest.skip(f"mount --bind is not allowed here: {done.stderr.decode().strip()}")


def _unmount(mount: Path, test_folder: Path) -> None:
    """Unmount ``mount``, and any mount under ``test_folder`` (a build that failed this test
    may have moved it aside): no mount outlives the test."""
    subprocess.run(["umount", str(mount)], capture_output=True, check=False)
    folder = os.fsencode(os.path.realpath(test_folder))
    for point in sorted(pack_target.mount_points(), reverse=True):
        if point.startswith(folder + b"/"):
            subprocess.run(["umount", os.fsdecode(point)], capture_output=True, check=False)


def test_a_real_bind_mount_in_the_pack_is_refused(project, tmp_path):
    pack = _pack(project, tmp_path / "pack")
    userdata = tmp_path / "userdata"
    userdata.mkdir()
    (userdata / "precious.txt").write_text("not ours\n")
    (pack / "mnt").mkdir()
    _bind(userdata, pack / "mnt")
    try:
        status, stderr = _run(project, pack, "--overwrite")
    finally:
        _unmount(pack / "mnt", tmp_path)
    assert status == 2, stderr
    assert "a file system is mounted on 'mnt' inside the pack" in _text(stderr)
    assert (userdata / "precious.txt").read_text() == "not ours\n"


def test_a_mount_left_in_a_discarded_pack_is_not_emptied_by_later_builds(project, tmp_path):
    """What 4a found: a mount kept in .reportgen-discarded-* was rmtree'd on each build."""
    pack = _pack(project, tmp_path / "pack")
    userdata = tmp_path / "userdata"
    userdata.mkdir()
    (userdata / "new-report.docx").write_text("written later\n")
    discarded = tmp_path / f"{DISCARD_PREFIX}{target_tag(pack)}-left"
    (discarded / "mnt").mkdir(parents=True)
    (discarded / "summary.md").write_text("old\n")
    _bind(userdata, discarded / "mnt")
    try:
        status, stderr = _run(project, pack)
        again, stderr_again = _run(project, pack)
    finally:
        _unmount(discarded / "mnt", tmp_path)
    assert status == 0 and again == 0, stderr + stderr_again
    assert (userdata / "new-report.docx").read_text() == "written later\n"
    assert not (discarded / "summary.md").exists()
    assert f"{discarded}: " in _text(stderr) and "mnt: " in _text(stderr)


def test_a_bind_mount_of_a_packs_folder_is_the_pack(project, tmp_path):
    """Tenth adversarial pass: `bundle PACK -o M/x.zip` and `build --out M/new`, where M is
    a bind mount of one of the pack's folders, wrote into the pack (a link to that folder,
    or a bind mount of the pack itself, was already refused)."""
    pack = _pack(project, tmp_path / "pack")
    before = tree_hashes(pack)
    mount = tmp_path / "M"
    mount.mkdir()
    _bind(pack / "soc2", mount)
    try:
        built, built_err = _run(project, mount / "new")
        bundled = subprocess.run(
            [*REPORTGEN_WITHOUT_PDF, "bundle", str(pack), "-o", str(mount / "x.zip")],
            capture_output=True,
            text=True,
            timeout=300,
        )
    finally:
        _unmount(mount, tmp_path)
    assert built == 2, built_err
    assert f"inside the reportgen pack '{pack}'" in _text(built_err)
    assert bundled.returncode == 2, bundled.stderr
    assert "the zip cannot be written inside the pack it bundles" in _text(bundled.stderr)
    assert tree_hashes(pack) == before


def test_aliases_follow_a_bind_mount_back_to_where_it_was_bound_from(tmp_path, monkeypatch):
    """The mount table as Linux writes it: / of /dev/vda, a tmpfs on /tmp, and the folder
    /srv/packs/acme co/soc2 of /dev/vda bound on /mnt/M (a space comes as \\040)."""
    table = tmp_path / "mountinfo"
    table.write_bytes(
        b"27 1 254:0 / / rw,relatime - ext4 /dev/vda rw\n"
        b"30 27 0:44 / /tmp rw,relatime - tmpfs tmpfs rw\n"
        b"36 27 254:0 /srv/packs/acme\\040co/soc2 /mnt/M rw,relatime - ext4 /dev/vda rw\n"
    )
    monkeypatch.setattr(mounts, "MOUNT_TABLE", table)
    assert mounts.aliases(Path("/mnt/M/new")) == [Path("/srv/packs/acme co/soc2/new")]
    assert mounts.aliases(Path("/srv/packs/acme co/soc2")) == [Path("/mnt/M")]
    assert mounts.aliases(Path("/srv/packs/acme co/iso")) == []
    assert mounts.aliases(Path("/tmp/x")) == []


def test_inputs_read_through_a_bind_mount_of_the_pack_are_refused(project, tmp_path):
    """Eleventh pass: a config and an inventory inside the pack, read through a bind mount
    of it, were deleted by `--overwrite` (the check compared paths, not what they reach)."""
    pack = _pack(project, tmp_path / "pack")
    for name in ("reportgen.yaml", "inventory.csv"):
        shutil.copy(project / name, pack / name)
    mount = tmp_path / "M"
    mount.mkdir()
    _bind(pack, mount)
    try:
        done = subprocess.run(
            [*REPORTGEN_WITHOUT_PDF, "build", "--config", str(mount / "reportgen.yaml"),
             "--out", str(pack), "--format", "matrix", "--overwrite"],
            capture_output=True, text=True, timeout=300,
        )  # fmt: skip
    finally:
        _unmount(mount, tmp_path)
    assert done.returncode == 2, done.stderr
    assert "the config file that this build reads is inside the output directory" in _text(
        done.stderr
    )
    assert (pack / "reportgen.yaml").exists() and (pack / "inventory.csv").exists()


def test_a_kernel_file_is_known_without_the_mount_table(monkeypatch, tmp_path):
    """Twenty-sixth pass: where /proc is not mounted the table cannot be read, and an AWS
    config file of /sys was read as one; statfs names the file system then."""
    from reportgen.core import mounts

    monkeypatch.setattr(mounts, "mount_table", lambda: [])
    status = Path("/proc/self/status")
    if not status.exists():
        pytest.skip("no /proc on this machine")
    assert mounts.kernel_file_system(status.stat().st_dev, status) == "proc"
    if Path("/sys/kernel").is_dir():
        assert mounts.kernel_file_system(0, "/sys/kernel") == "sysfs"
    ordinary = tmp_path / "config"
    ordinary.write_text("[default]\n")
    assert mounts.kernel_file_system(ordinary.stat().st_dev, ordinary) is None
    assert mounts.kernel_file_system(status.stat().st_dev) is None  # no path: no answer


def test_a_kernel_file_the_mount_table_does_not_list_is_known(monkeypatch, tmp_path):
    """Pass 35a: a /proc of another mount namespace (/proc/<pid>/root/proc) is in no table
    of this one, and its environ was sent to STS as a web identity token; statfs (fstatfs
    on an open file) is asked whenever the table does not list the device."""
    import os

    from reportgen.core import mounts

    status = Path("/proc/self/status")
    if not status.exists():
        pytest.skip("no /proc on this machine")
    table = [m for m in mounts.mount_table() if m.kind not in mounts.KERNEL_FILE_SYSTEMS]
    monkeypatch.setattr(mounts, "mount_table", lambda: table)
    assert mounts.kernel_file_system(status.stat().st_dev, status) == "proc"
    fd = os.open(status, os.O_RDONLY)
    try:
        assert mounts.kernel_file_system(os.fstat(fd).st_dev, fd=fd) == "proc"
    finally:
        os.close(fd)
    ordinary = tmp_path / "token"
    ordinary.write_text("eyJ")
    assert mounts.kernel_file_system(ordinary.stat().st_dev, ordinary) is None
