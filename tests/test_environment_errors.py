"""What the machine refuses is the user's to fix: exit 2 naming the file, never "internal
error". Real failures from the kernel, through the command line:

- a file size limit (RLIMIT_FSIZE: writes fail with EFBIG, as on a full disk), anywhere;
- a full disk (ENOSPC) and a read-only file system (EROFS) on a small tmpfs, where this
  machine lets the test mount one (root with CAP_SYS_ADMIN), else skipped;
- permission denied: as the test's own user when it is not root; as root, with the two
  capabilities that let root read and write past the mode bits dropped (setpriv), else
  skipped.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import MINIMAL_CONFIG, write_config, write_csv
from measured import measured
from packhelpers import EPOCH, REPORTGEN, REPORTGEN_WITHOUT_PDF

ROWS = [["Service", "Resource ID"], ["Amazon EC2", "i-1"], ["Amazon S3", "b-1"]]


def make_project(folder: Path) -> Path:
    write_csv(folder / "inventory.csv", ROWS)
    write_config(folder, MINIMAL_CONFIG)
    return folder


def build_argv(project: Path, out: Path, *extra: str) -> list[str]:
    config = str(project / "reportgen.yaml")
    return [*REPORTGEN_WITHOUT_PDF, "build", "--config", config, "--out", str(out), *extra]


def assert_clean_refusal(result, message: str) -> None:
    report = f"exit {result.status}\n{result.stderr}"
    assert result.status == 2, report
    assert result.stderr.startswith("error: "), report
    assert "Traceback" not in result.stderr and "internal error" not in result.stderr, report
    assert message in result.text, report


# ---------------------------------------------------------------- a file size limit


def test_a_file_size_limit_is_a_clear_error(tmp_path):
    project = make_project(tmp_path)
    result = measured(build_argv(project, tmp_path / "out"), tmp_path, max_file_bytes=64 * 1024)
    assert_clean_refusal(result, "the file is too large for the file system")
    assert not (tmp_path / "out").exists()
    assert not list(tmp_path.glob(".reportgen-*")), "the staging directory was left behind"


# ---------------------------------------------------------------- full and read-only disks


@contextlib.contextmanager
def tmpfs(size: str, *options: str) -> Iterator[Path]:
    mount = Path(tempfile.mkdtemp(prefix="reportgen-tmpfs-"))
    try:
        spec = ",".join([f"size={size}", *options])
        done = subprocess.run(
            ["mount", "-t", "tmpfs", "-o", spec, "tmpfs", str(mount)], capture_output=True
        )
        if done.returncode != 0:
            pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode().strip()}")
        try:
            yield mount
        finally:
            subprocess.run(["umount", str(mount)], check=True)
    finally:
        mount.rmdir()


@pytest.fixture
def full_disk() -> Iterator[Path]:
    if shutil.which("mount") is None or os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs needs root")
    with tmpfs("256k") as mount:
        yield mount


def test_a_full_disk_is_a_clear_error_and_leaves_nothing(tmp_path, full_disk):
    project = make_project(tmp_path)
    result = measured(build_argv(project, full_disk / "pack"), tmp_path)
    assert_clean_refusal(result, "no space left on the device (disk full)")
    assert list(full_disk.iterdir()) == [], "the build left files on the full disk"


def test_bundle_onto_a_full_disk_is_a_clear_error(tmp_path, full_disk):
    project = make_project(tmp_path)
    pack = tmp_path / "pack"
    assert measured(build_argv(project, pack), tmp_path).status == 0
    (full_disk / "filler").write_bytes(b"x" * (250 * 1024))
    result = measured([*REPORTGEN, "bundle", str(pack), "-o", str(full_disk / "p.zip")], tmp_path)
    assert_clean_refusal(result, "no space left on the device (disk full)")
    assert [p.name for p in full_disk.iterdir()] == ["filler"]


def test_a_read_only_file_system_is_a_clear_error(tmp_path):
    if shutil.which("mount") is None or os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root")
    project = make_project(tmp_path)
    with tmpfs("1m", "ro") as mount:
        result = measured(build_argv(project, mount / "pack"), tmp_path)
        assert_clean_refusal(result, "Read-only file system")
        bundle = [*REPORTGEN, "bundle", str(project), "-o", str(mount / "p.zip")]
        assert measured(bundle, tmp_path).status == 2  # not a pack: refused before writing


# ---------------------------------------------------------------- permission denied


@pytest.fixture
def unprivileged() -> list[str]:
    """The command prefix that makes the mode bits count: none for a user, and for root
    ``setpriv`` without CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH."""
    if os.geteuid() != 0:
        return []
    prefix = ["setpriv", "--bounding-set=-dac_override,-dac_read_search", "--"]
    if shutil.which("setpriv") is None or subprocess.run([*prefix, "true"]).returncode != 0:
        pytest.skip("root, and setpriv cannot drop the capabilities that bypass mode bits")
    return prefix


def run_as(prefix: list[str], argv: list[str], cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "SOURCE_DATE_EPOCH": EPOCH, "COLUMNS": "200"}
    return subprocess.run(
        [*prefix, *argv], cwd=cwd, env=env, capture_output=True, text=True, timeout=300
    )


def refused(process: subprocess.CompletedProcess, message: str) -> None:
    text = " ".join(process.stderr.split())
    assert process.returncode == 2, process.stderr
    assert "Traceback" not in process.stderr and "internal error" not in process.stderr
    assert message in text, process.stderr


@pytest.mark.parametrize(
    ("what", "message"),
    [
        ("inventory.csv", "inventory.csv: permission denied"),  # named by the config
        ("reportgen.yaml", "'--config': Path"),  # named on the command line: click says so
    ],
)
def test_an_unreadable_input_is_a_clear_error(tmp_path, unprivileged, what, message):
    project = make_project(tmp_path)
    (project / what).chmod(0o000)
    process = run_as(unprivileged, build_argv(project, tmp_path / "out"), project)
    refused(process, message)
    assert not (tmp_path / "out").exists()


def test_an_unreadable_file_a_config_names_is_a_clear_error(tmp_path, unprivileged):
    """Config and catalog files a config names are read by reportgen, not checked by click."""
    project = make_project(tmp_path)
    (project / "extra.yaml").write_text("services: []\n")
    (project / "extra.yaml").chmod(0o000)
    config = project / "reportgen.yaml"
    config.write_text(config.read_text() + "catalogs:\n  services: [extra.yaml]\n")
    process = run_as(unprivileged, build_argv(project, tmp_path / "out"), project)
    refused(process, "extra.yaml: permission denied")


def test_an_output_folder_that_cannot_be_written_is_a_clear_error(tmp_path, unprivileged):
    project = make_project(tmp_path)
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o555)
    process = run_as(unprivileged, build_argv(project, locked / "pack"), project)
    refused(process, "Permission denied")
    assert list(locked.iterdir()) == []


def test_a_zip_that_cannot_be_written_is_a_clear_error(tmp_path, unprivileged):
    project = make_project(tmp_path)
    pack = tmp_path / "pack"
    built = run_as(unprivileged, build_argv(project, pack), project)
    assert built.returncode == 0, built.stderr
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o555)
    bundle = [*REPORTGEN, "bundle", str(pack), "-o", str(locked / "p.zip")]
    refused(run_as(unprivileged, bundle, tmp_path), f"{locked / 'p.zip'}: permission denied")
    assert list(locked.iterdir()) == []
