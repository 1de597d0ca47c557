"""What the machine refuses is the user's to fix: exit 2 naming the file, never "internal
error". Real failures from the kernel, through the command line:

- a file size limit (RLIMIT_FSIZE, with SIGXFSZ ignored as Python does: writes fail with
  EFBIG, as on a full disk), anywhere: in the parent, in the forked renderers, inside lxml
  as openpyxl streams a workbook's sheets (tests/reportgen_xlsx_only.py makes the workbook
  the first file written);
- a full disk (ENOSPC) and a read-only file system (EROFS) on a small tmpfs, where this
  machine lets the test mount one (root with CAP_SYS_ADMIN), else skipped;
- each errno of the family (ENOSPC, EDQUOT, EFBIG, EROFS, EACCES, EIO), raised in-process
  by a write that fails (monkeypatched), and in the forked renderers, which inherit it;
- permission denied: as the test's own user when it is not root; as root, with the two
  capabilities that let root read and write past the mode bits dropped (setpriv), else
  skipped.
"""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import MINIMAL_CONFIG, write_config, write_csv
from measured import measured
from packhelpers import EPOCH, REPORTGEN, REPORTGEN_WITHOUT_PDF, tree_hashes

from reportgen.pack.verify import verify_pack

XLSX_ONLY = [sys.executable, str(Path(__file__).with_name("reportgen_xlsx_only.py"))]

ROWS = [["Service", "Resource ID"], ["Amazon EC2", "i-1"], ["Amazon S3", "b-1"]]


def make_project(folder: Path) -> Path:
    write_csv(folder / "inventory.csv", ROWS)
    write_config(folder, MINIMAL_CONFIG)
    return folder


def build_argv(
    project: Path, out: Path, *extra: str, command: list[str] | None = None
) -> list[str]:
    config = str(project / "reportgen.yaml")
    prefix = command or REPORTGEN_WITHOUT_PDF
    return [*prefix, "build", "--config", config, "--out", str(out), *extra]


def assert_clean_refusal(result, message: str) -> None:
    report = f"exit {result.status}\n{result.stderr}"
    assert result.status == 2, report
    assert result.stderr.startswith("error: "), report
    assert "Traceback" not in result.stderr and "internal error" not in result.stderr, report
    assert "Exception ignored" not in result.stderr, report  # printed by a renderer
    assert message in result.text, report


def assert_named(result, suffix: str, reason: str) -> None:
    """The first line names the file being written (ending in ``suffix``) and the reason."""
    first = result.stderr.splitlines()[0]
    assert first.startswith("error: /") and f"{suffix}: {reason}" in first, result.stderr


def assert_old_pack_kept(pack: Path, before: dict[str, str]) -> None:
    assert tree_hashes(pack) == before and verify_pack(pack).ok
    assert not list(pack.parent.glob(".reportgen-*")), "the staging directory was left behind"


# ---------------------------------------------------------------- a file size limit


def test_a_file_size_limit_is_a_clear_error(tmp_path):
    project = make_project(tmp_path)
    argv = build_argv(project, tmp_path / "out", "--framework", "soc2")  # written in-process
    result = measured(argv, tmp_path, max_file_bytes=64 * 1024)
    assert_clean_refusal(result, "the file is too large for the file system")
    assert_named(result, "/soc2/matrix.json", "the file is too large for the file system")
    assert "nothing was written" in result.text
    assert not (tmp_path / "out").exists()
    assert not list(tmp_path.glob(".reportgen-*")), "the staging directory was left behind"


def test_a_size_limit_names_the_file_and_keeps_the_old_pack(tmp_path):
    """adversarial #47: `ulimit -f` into an existing pack; matrix.json, written first, meets
    it in the forked renderers (three frameworks)."""
    project = make_project(tmp_path)
    pack = tmp_path / "pack"
    assert measured(build_argv(project, pack), tmp_path).status == 0
    before = tree_hashes(pack)
    result = measured(build_argv(project, pack), tmp_path, max_file_bytes=64 * 1024)
    assert_clean_refusal(result, "the file is too large for the file system")
    assert_named(result, "/matrix.json", "the file is too large for the file system")
    assert f"the pack at {pack} is unchanged" in result.text
    assert "ulimit -f" in result.text  # what to do about it
    assert_old_pack_kept(pack, before)


def test_a_workbook_sheet_that_cannot_be_written_is_a_clear_error(tmp_path):
    """adversarial #48: a workbook's sheets stream through lxml, which reports a failed
    write as `SerialisationError: IO_EFBIG` (IO_ENOSPC on a full disk) and leaves the
    sheets' XML streams half-closed; each used to print an "Exception ignored" traceback,
    from the forked renderers too, and the build ended in "internal error". The largest
    sheet is over 100 KB, the workbooks' zips under it."""
    project = make_project(tmp_path)
    pack = tmp_path / "pack"
    assert measured(build_argv(project, pack, command=XLSX_ONLY), tmp_path).status == 0
    before = tree_hashes(pack)
    argv = build_argv(project, pack, command=XLSX_ONLY)  # in the forked renderers
    result = measured(argv, tmp_path, max_file_bytes=100 * 1024)
    assert_clean_refusal(result, "the file is too large for the file system")
    assert_named(result, "-raci.xlsx", "the file is too large for the file system")
    assert_old_pack_kept(pack, before)


def test_init_names_the_file_it_could_not_write(tmp_path):
    """The file being written is named (the workbook comes first, then the config: each
    whole or not at all), and what init made is removed (fourteenth pass)."""
    result = measured([*REPORTGEN, "init", "starter"], tmp_path, max_file_bytes=2000)
    assert_clean_refusal(result, "starter/inventory.xlsx: the file is too large")
    assert not (tmp_path / "starter").exists()


# ---------------------------------------------------------------- each errno, in-process


FAILURES = {
    errno.ENOSPC: "no space left on the device (disk full)",
    errno.EDQUOT: "disk quota exceeded",
    errno.EFBIG: "the file is too large for the file system",
    errno.EROFS: "the file system is read-only",
    errno.EACCES: "permission denied",
    errno.EIO: "input/output error",
}


def cli_build(project: Path, out: Path, *extra: str):
    from click.testing import CliRunner

    from reportgen.cli import cli

    argv = ["build", "--config", str(project / "reportgen.yaml"), "--out", str(out), *extra]
    return CliRunner().invoke(cli, argv, env={"SOURCE_DATE_EPOCH": EPOCH})


def assert_cli_refusal(result, suffix: str, reason: str, pack: Path, before: dict) -> None:
    from reportgen.core.errors import InputError

    assert isinstance(result.exception, InputError), result.exception  # exit 2, one message
    first = str(result.exception).splitlines()[0]
    assert first.startswith("/") and f"{suffix}: {reason}" in first, str(result.exception)
    assert_old_pack_kept(pack, before)


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> tuple[Path, Path, dict[str, str]]:
    """A project and a pack built from it, shared: every test here must leave it as it is."""
    folder = tmp_path_factory.mktemp("built")
    project = make_project(folder)
    pack = folder / "pack"
    with pytest.MonkeyPatch.context() as patch:  # no PDF: the failures come before it
        _without_pdf(patch)
        assert cli_build(project, pack).exit_code == 0
    return project, pack, tree_hashes(pack)


@pytest.fixture
def old_pack(built, monkeypatch) -> tuple[Path, Path, dict[str, str]]:
    _without_pdf(monkeypatch)
    return built


def _without_pdf(patch: pytest.MonkeyPatch) -> None:
    """The output-format registry without the PDF, for this test only."""
    from reportgen.render.formats import FORMATS

    kept = {name: fmt for name, fmt in FORMATS._entries.items() if name != "pdf"}
    patch.setattr(FORMATS, "_entries", kept)


# In-process (one framework) for each errno; in the forked renderers for one of them.
WHERE = [
    *(pytest.param(code, ("--framework", "soc2"), id=errno.errorcode[code]) for code in FAILURES),
    pytest.param(errno.ENOSPC, (), id="ENOSPC-forked"),
]


@pytest.mark.parametrize(("code", "frameworks"), WHERE)
def test_each_refusal_writing_matrix_json_names_it(old_pack, monkeypatch, code, frameworks):
    """An OSError from ``write`` carries no file name; the message must still name it. With
    three frameworks the write fails in the forked renderers, which inherit the patch."""
    project, pack, before = old_pack
    real = Path.write_bytes

    def fail(self: Path, *args, **kwargs):
        if self.name == "matrix.json":
            raise OSError(code, os.strerror(code))  # as write(2) gives it: no filename
        return real(self, *args, **kwargs)

    monkeypatch.setattr(Path, "write_bytes", fail)  # matrix.json is written as its bytes
    result = cli_build(project, pack, *frameworks)
    assert_cli_refusal(result, "/matrix.json", FAILURES[code], pack, before)


@pytest.mark.parametrize(
    ("name", "reason", "frameworks"),
    [
        ("IO_ENOSPC", FAILURES[errno.ENOSPC], ("--framework", "soc2")),
        ("IO_EIO", FAILURES[errno.EIO], ("--framework", "soc2")),
        # libxml2 has no code of its own for EDQUOT, among others
        ("IO_UNKNOWN", "the system refused the write (IO_UNKNOWN", ("--framework", "soc2")),
        ("IO_ENOSPC", FAILURES[errno.ENOSPC], ()),  # in the forked renderers
    ],
)
def test_each_refusal_lxml_reports_names_the_workbook(
    old_pack, monkeypatch, name, reason, frameworks
):
    """lxml's SerialisationError, met with the sheets' streams still open."""
    from lxml import etree

    from reportgen.render import xlsx

    def fail(*_args, **_kwargs):
        raise etree.SerialisationError(name)

    monkeypatch.setattr(xlsx, "save_workbook", fail)
    project, pack, before = old_pack
    result = cli_build(project, pack, *frameworks)
    assert_cli_refusal(result, "-raci.xlsx", reason, pack, before)


def test_a_full_device_under_the_workbook_is_a_clear_error(old_pack, monkeypatch, capfd):
    """A real ENOSPC inside lxml, in-process: openpyxl's sheet files are links to /dev/full
    (the link is what openpyxl removes afterwards, never the device). Nothing is printed
    but the message: no "Exception ignored" from the sheets' half-closed streams."""
    if not Path("/dev/full").exists():
        pytest.skip("no /dev/full")
    import openpyxl.worksheet._writer as sheet_writer

    def device_full(suffix: str = "") -> str:
        link = Path(tempfile.mkdtemp()) / f"openpyxl{suffix}"
        link.symlink_to("/dev/full")
        return str(link)

    monkeypatch.setattr(sheet_writer, "create_temporary_file", device_full)
    project, pack, before = old_pack
    capfd.readouterr()
    result = cli_build(project, pack, "--framework", "soc2")
    assert_cli_refusal(result, "-raci.xlsx", FAILURES[errno.ENOSPC], pack, before)
    captured = capfd.readouterr()
    assert "Exception ignored" not in captured.err + result.output + (result.stderr or "")


@pytest.mark.parametrize("code", list(FAILURES), ids=errno.errorcode.get)
def test_lxml_names_each_refusal_after_its_errno(code):
    from lxml import etree

    from reportgen.core.errors import machine_refusal

    name = f"IO_{errno.errorcode[code]}"
    if not hasattr(etree.ErrorTypes, name):  # libxml2 reports it as IO_UNKNOWN
        name = "IO_UNKNOWN"
    error = machine_refusal(etree.SerialisationError(name), "book.xlsx")
    assert error is not None and error.file == "book.xlsx"
    expected = FAILURES[code] if name != "IO_UNKNOWN" else "the system refused the write"
    assert error.message.startswith(expected)


def test_an_error_that_is_not_the_machines_stays_a_bug():
    from lxml import etree

    from reportgen.core.errors import InputError, environment_errors, machine_refusal

    assert machine_refusal(etree.SerialisationError("IO_ENCODER")) is None
    assert machine_refusal(OSError(errno.EINVAL, "Invalid argument")) is None
    assert machine_refusal(ValueError("IO_ENOSPC")) is None
    with pytest.raises(OSError), environment_errors("f"):
        raise OSError(errno.EINVAL, "Invalid argument")
    with (
        pytest.raises(InputError, match="folder: disk quota"),
        environment_errors(fallback="folder"),
    ):
        raise OSError(errno.EDQUOT, "Disk quota exceeded")


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


def test_a_disk_that_fills_under_the_workbooks_keeps_the_old_pack(tmp_path):
    """adversarial #48 for real: the old pack on a small tmpfs, the rest of it filled but
    for 40 KB, less than any sheet; the renderers (forked) meet ENOSPC inside lxml."""
    if shutil.which("mount") is None or os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs needs root")
    project = make_project(tmp_path)
    with tmpfs("2m") as mount:
        pack = mount / "pack"
        assert measured(build_argv(project, pack, command=XLSX_ONLY), tmp_path).status == 0
        before = tree_hashes(pack)
        free = shutil.disk_usage(mount).free
        (mount / "filler").write_bytes(b"x" * (free - 40 * 1024))
        result = measured(build_argv(project, pack, command=XLSX_ONLY), tmp_path)
        assert_clean_refusal(result, "no space left on the device (disk full)")
        assert_named(result, "-raci.xlsx", "no space left on the device (disk full)")
        assert_old_pack_kept(pack, before)
        assert sorted(p.name for p in mount.iterdir()) == ["filler", "pack"]


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
