"""A file the user names for output (`bundle -o`, `inventory pull -o`, `init`) replaces only
what the command itself wrote there: an earlier bundle or pull, or an empty file. Any other
regular file needs --force; a link, a FIFO, a device or a directory is never replaced
(reportgen/core/outfiles.py). `bundle -o /dev/full` as root had replaced the device node.

Each case runs the command line and checks the exit status, the message and that what was
at the path is still there, as it was. No test touches /dev: a FIFO is made with mkfifo and
a character device (1, 3, as /dev/null) with mknod, both in the test's own folder.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import shutil
import stat
import struct
import subprocess
import sys
import zipfile
from pathlib import Path

import boto3
import pytest
from botocore.stub import Stubber
from packhelpers import build, run
from packhelpers import interruptible as default_stop_signals

from reportgen.core.errors import InputError
from reportgen.inventory.pull.snapshot import SIDECAR_SUFFIX, PullRequest, pull
from reportgen.pack import bundle as bundle_module
from reportgen.pack.bundle import bundle_pack, is_bundle

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX FIFOs, devices, links")

FORCE = ("--force",)


@pytest.fixture(scope="module")
def pack(tmp_path_factory) -> Path:
    from conftest import MINIMAL_CONFIG, write_config, write_csv

    project = tmp_path_factory.mktemp("project")
    write_csv(project / "inventory.csv", [["Service", "Resource ID"], ["Amazon EC2", "i-1"]])
    write_config(project, MINIMAL_CONFIG)
    return build(project, tmp_path_factory.mktemp("out") / "test-co", pdf=False)


def _fifo(path: Path) -> Path:
    os.mkfifo(path)
    return path


def _device(path: Path) -> Path:
    if os.geteuid() != 0:
        pytest.skip("making a device node needs root")
    os.mknod(path, stat.S_IFCHR | 0o600, os.makedev(1, 3))  # /dev/null's numbers, not /dev
    return path


def _link(path: Path) -> Path:
    target = path.with_name("target.yaml")
    target.write_text("customer: {name: Keep Me}\n")
    path.symlink_to(target)
    return path


SPECIAL = {  # what stands at the path: (make it, what the refusal says it is)
    "fifo": (_fifo, "a FIFO (named pipe), not a regular file"),
    "device": (_device, "a character device, not a regular file"),
    "link": (_link, "a symbolic link"),
}


def _what(path: Path) -> tuple:
    """What is at ``path``, to compare before and after: its kind, and a link's target."""
    info = path.lstat()
    target = os.readlink(path) if stat.S_ISLNK(info.st_mode) else None
    return stat.S_IFMT(info.st_mode), info.st_ino, info.st_rdev, target


def _refused(result, *expected: str) -> None:
    assert result.returncode == 2 and "Traceback" not in result.stderr, result.stderr
    for text in expected:
        assert text in result.stderr, result.stderr


# ---------------------------------------------------------------- bundle -o


@pytest.mark.parametrize("flags", [(), FORCE], ids=["plain", "force"])
@pytest.mark.parametrize("kind", sorted(SPECIAL))
def test_bundle_never_replaces_a_link_a_fifo_or_a_device(pack, tmp_path, kind, flags):
    make, says = SPECIAL[kind]
    output = make(tmp_path / "out.zip")
    before = _what(output)
    result = run("bundle", pack, "-o", output, *flags, check=None, pdf=False)
    _refused(result, f"{output}: the output path is {says}" if kind != "link" else says)
    assert _what(output) == before
    if kind == "link":
        assert output.with_name("target.yaml").read_text() == "customer: {name: Keep Me}\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        ["out.zip", *(["target.yaml"] if kind == "link" else [])]
    )  # no temporary file left beside it


def test_bundle_never_replaces_a_directory(pack, tmp_path):
    (tmp_path / "out.zip").mkdir()
    (tmp_path / "out.zip" / "keep.txt").write_text("mine\n")
    result = run("bundle", pack, "-o", tmp_path / "out.zip", "--force", check=None, pdf=False)
    _refused(result, "is a directory")
    assert (tmp_path / "out.zip" / "keep.txt").read_text() == "mine\n"


@pytest.mark.parametrize(
    "content",
    [b"customer: {name: Harbourline}\n", "zip of something else"],
    ids=["config", "other-zip"],
)
def test_bundle_replaces_another_file_only_with_force(pack, tmp_path, content):
    output = tmp_path / "reportgen.yaml"
    if content == "zip of something else":
        with zipfile.ZipFile(output, "w") as other:
            other.writestr("notes/manifest.txt", "mine")
        content = output.read_bytes()
    else:
        output.write_bytes(content)
    result = run("bundle", pack, "-o", output, check=None, pdf=False)
    _refused(result, f"{output}: the output path holds a file that is not a bundle reportgen")
    assert "--force" in result.stderr and output.read_bytes() == content
    assert [p.name for p in tmp_path.iterdir()] == ["reportgen.yaml"]
    run("bundle", pack, "-o", output, "--force", pdf=False)
    assert is_bundle(output) and output.read_bytes() != content


def test_bundle_replaces_an_earlier_bundle_and_an_empty_file(pack, tmp_path):
    output = tmp_path / "pack.zip"
    output.touch()  # as mktemp leaves it
    run("bundle", pack, "-o", output, pdf=False)
    first = output.read_bytes()
    assert is_bundle(output)
    run("bundle", pack, "-o", output, pdf=False)  # the normal re-run
    assert output.read_bytes() == first


def _zip_of(output: Path, entries: list[tuple[str, bytes]]) -> bytes:
    with zipfile.ZipFile(output, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries:
            archive.writestr(name, data)
    return output.read_bytes()


def _as_bundled(pack: Path) -> list[tuple[str, bytes]]:
    """A bundle's entries: test-co/manifest.json, then each listed file in its order."""
    manifest = json.loads((pack / "manifest.json").read_text())
    names = ["manifest.json", *(entry["path"] for entry in manifest["outputs"])]
    return [(f"test-co/{name}", (pack / name).read_bytes()) for name in names]


@pytest.mark.parametrize(
    "entries",
    [
        lambda pack: [("proj/manifest.json", b"{}"), ("proj/important.txt", b"IMPORTANT\n")],
        lambda pack: [*_as_bundled(pack), ("test-co/qsa-notes.txt", b"sampled 3 of 12\n")],
        lambda pack: [*_as_bundled(pack)[:1], ("test-co/qsa-notes.txt", b"sampled\n")],
        lambda pack: _as_bundled(pack)[:-1],  # one listed file short: cut, or not ours
        lambda pack: [("test-co/manifest.json", b'{"schema": "reportgen.manifest/1"}')],
    ],
    ids=[
        "first-entry-named-manifest",
        "pack-plus-notes",
        "manifest-then-notes",
        "short",
        "manifest-not-valid",
    ],
)
def test_a_users_zip_starting_with_a_manifest_is_not_taken_for_a_bundle(pack, tmp_path, entries):
    """adversarial-4a #36: a zip whose first entry is `proj/manifest.json` was replaced
    without --force. Ours is now a zip whose first entry holds a reportgen manifest and
    whose entries are exactly the files it lists, nothing more."""
    output = tmp_path / "mine.zip"
    content = _zip_of(output, entries(pack))
    assert not is_bundle(output)
    result = run("bundle", pack, "-o", output, check=None, pdf=False)
    _refused(result, f"{output}: the output path holds a file that is not a bundle reportgen")
    assert output.read_bytes() == content
    run("bundle", pack, "-o", output, "--force", pdf=False)
    assert is_bundle(output)


def test_a_zip_with_the_packs_entries_is_taken_for_a_bundle(pack, tmp_path):
    """What bundle writes, written by another zip writer (another compression level):
    the same entries, so a re-run loses nothing by replacing it."""
    output = tmp_path / "pack.zip"
    _zip_of(output, _as_bundled(pack))
    assert is_bundle(output)
    run("bundle", pack, "-o", output, pdf=False)
    assert is_bundle(output)


def _edited(entries: list[tuple[str, bytes]], suffix: str, edit) -> list[tuple[str, bytes]]:
    """The entries with the one whose name ends with ``suffix`` edited (its name kept)."""
    assert sum(name.endswith(suffix) for name, _ in entries) == 1
    return [(name, edit(data) if name.endswith(suffix) else data) for name, data in entries]


def _flip_last_byte(data: bytes) -> bytes:
    return data[:-1] + bytes([data[-1] ^ 0xFF])


@pytest.mark.parametrize(
    ("suffix", "edit"),
    [
        ("pci-dss-raci.xlsx", lambda data: data + b"TEAM EDITS"),  # adversarial-7a F1 as reported
        ("pci-dss-raci.xlsx", _flip_last_byte),  # the same size: only the SHA-256 tells
        ("soc2/matrix.json", lambda data: data.replace(b'"', b"'", 1)),  # the same size too
        ("summary.md", lambda data: data[:-1]),
    ],
    ids=["workbook-longer", "workbook-same-size", "matrix-same-size", "summary-shorter"],
)
def test_a_bundle_edited_inside_the_zip_is_not_replaced(pack, tmp_path, suffix, edit):
    """adversarial-7a #16 (F1): an earlier bundle whose RACI workbook was edited inside the
    zip (same entry names and order, other bytes) was replaced without --force, the edits
    lost. Ours is a bundle whose every file still matches its manifest, size and SHA-256."""
    output = tmp_path / "pack.zip"
    entries = _edited(_as_bundled(pack), suffix, edit)
    assert [name for name, _ in entries] == [name for name, _ in _as_bundled(pack)]
    content = _zip_of(output, entries)
    assert not is_bundle(output)
    result = run("bundle", pack, "-o", output, check=None, pdf=False)
    _refused(result, f"{output}: the output path holds a file that is not a bundle reportgen")
    assert output.read_bytes() == content  # byte for byte: the edits are kept
    assert [p.name for p in tmp_path.iterdir()] == ["pack.zip"]  # no temporary zip left
    run("bundle", pack, "-o", output, "--force", pdf=False)
    assert is_bundle(output) and output.read_bytes() != content


@pytest.mark.parametrize("method", [zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED], ids=str)
def test_an_unchanged_bundle_is_replaced_whoever_zipped_it(pack, tmp_path, method):
    """Every listed file as its manifest gives it, stored or deflated at any level: a
    re-run loses nothing by replacing it, and needs no --force."""
    output = tmp_path / "pack.zip"
    with zipfile.ZipFile(output, "w", method, compresslevel=1 if method else None) as archive:
        for name, data in _as_bundled(pack):
            archive.writestr(name, data)
    assert is_bundle(output)
    run("bundle", pack, "-o", output, pdf=False)
    bundle_pack(pack, tmp_path / "fresh.zip")
    assert output.read_bytes() == (tmp_path / "fresh.zip").read_bytes()  # bundle's own now


def test_an_entry_inflating_past_its_size_is_read_no_further(tmp_path):
    """An entry whose header (and so the manifest) says 10 bytes but that inflates to
    512 KB: not the file listed, and no more than 11 bytes of it are inflated."""
    from reportgen.pack import zip_entries

    output = tmp_path / "bomb.zip"
    _zip_of(output, [("test-co/summary.md", b" " * (512 * 1024))])
    with output.open("r+b") as handle:  # the local header's uncompressed size, at 22
        handle.seek(22)
        handle.write((10).to_bytes(4, "little"))
    fd = os.open(output, os.O_RDONLY)
    try:
        entry = zip_entries.local_entry(fd, 0)
        assert entry is not None and entry.size == 10 and entry.compressed < 2048
        fed: list[bytes] = []
        assert not zip_entries._inflate(fd, entry, 10, fed.append)
        assert sum(map(len, fed)) <= 11
        assert zip_entries.entry_sha256(fd, entry, 10) is None
        assert zip_entries.entry_bytes(fd, entry, 10) is None
    finally:
        os.close(fd)


def test_recognising_a_bundle_reads_a_bounded_manifest(pack, tmp_path, monkeypatch):
    """A first entry inflating past the manifest's cap is not ours, and is read no further
    than the cap (a zip bomb named manifest.json)."""
    from reportgen.pack import zip_entries

    output = tmp_path / "bomb.zip"
    _zip_of(output, [("test-co/manifest.json", b" " * (64 * 1024 * 1024))])
    assert output.stat().st_size < 1024 * 1024
    read: list[int] = []
    pread = os.pread
    monkeypatch.setattr(
        zip_entries.os, "pread", lambda fd, n, at: read.append(n) or pread(fd, n, at)
    )
    assert not is_bundle(output)
    assert sum(read) < 4096  # the header said 64 MB: not one byte of its data was read


def test_a_fifo_swapped_in_while_the_zip_is_written_is_not_replaced(pack, tmp_path, monkeypatch):
    output = tmp_path / "pack.zip"
    write_zip = bundle_module._write_zip

    def swap_then_write(handle, opened, verified):
        _fifo(output)  # the path changes between the first check and the rename
        write_zip(handle, opened, verified)

    monkeypatch.setattr(bundle_module, "_write_zip", swap_then_write)
    with pytest.raises(InputError, match="FIFO"):
        bundle_pack(pack, output)
    assert stat.S_ISFIFO(output.lstat().st_mode)
    assert [p.name for p in tmp_path.iterdir()] == ["pack.zip"]


# ---------------------------------------------------------------- inventory pull -o


@pytest.mark.parametrize("kind", sorted(SPECIAL))
def test_pull_refuses_a_special_output_before_calling_aws(tmp_path, kind):
    make, says = SPECIAL[kind]
    output = make(tmp_path / "estate.csv")
    before = _what(output)
    argv = ("inventory", "pull", "--source", "tagging", "--region", "eu-west-1", "--force")
    env = {"AWS_ACCESS_KEY_ID": "x", "AWS_SECRET_ACCESS_KEY": "x", "AWS_EC2_METADATA_DISABLED": "1"}
    result = run(*argv, "-o", output, check=None, env=env)
    _refused(result, says)
    assert _what(output) == before


def _pull(out: Path, force: bool = False):
    client = boto3.client(
        "resourcegroupstaggingapi", region_name="eu-west-1", aws_access_key_id="x",
        aws_secret_access_key="x",
    )  # fmt: skip
    page = {"ResourceTagMappingList": [{"ResourceARN": "arn:aws:s3:::b", "Tags": []}]}
    with Stubber(client) as stubber:
        stubber.add_response("get_resources", page, {})
        return pull(PullRequest("tagging", out, force=force), client=client)


def test_pull_replaces_an_earlier_pull_and_another_file_only_with_force(tmp_path):
    out = tmp_path / "estate.csv"
    _pull(out)
    first = out.read_text()
    _pull(out)  # the normal re-run: its sidecar says an earlier pull wrote it
    assert out.read_text() == first
    sidecar = out.with_name(out.name + SIDECAR_SUFFIX)
    sidecar.unlink()
    out.write_text("Service,Resource ID\nAmazon EC2,i-1\n")  # a hand-made inventory
    with pytest.raises(InputError, match="not a snapshot an earlier pull wrote"):
        _pull(out)
    assert out.read_text().startswith("Service,Resource ID")
    sidecar.write_text(json.dumps({"notes": "mine"}))
    out.unlink()
    with pytest.raises(InputError, match="not the sidecar of an earlier pull"):
        _pull(out)
    assert json.loads(sidecar.read_text()) == {"notes": "mine"} and not out.exists()
    _pull(out, force=True)
    assert out.read_text() == first and "reportgen" in json.loads(sidecar.read_text())


# ---------------------------------------------------------------- init


@pytest.mark.parametrize("kind", sorted(SPECIAL))
def test_init_force_never_writes_through_a_link_a_fifo_or_a_device(tmp_path, kind):
    make, says = SPECIAL[kind]
    folder = tmp_path / "start"
    folder.mkdir()
    config = make(folder / "reportgen.yaml")
    before = _what(config)
    result = run("init", folder, "--force", check=None, pdf=False)
    _refused(result, says)
    assert _what(config) == before and not (folder / "inventory.xlsx").exists()
    if kind == "link":
        assert (folder / "target.yaml").read_text() == "customer: {name: Keep Me}\n"


def test_init_still_overwrites_regular_files_with_force(tmp_path):
    folder = tmp_path / "start"
    folder.mkdir()
    (folder / "reportgen.yaml").write_text("old\n")
    _refused(run("init", folder, check=None, pdf=False), "refusing to overwrite")
    run("init", folder, "--force", pdf=False)
    assert (folder / "reportgen.yaml").read_text() != "old\n"
    shutil.rmtree(folder)


def test_init_force_keeps_a_private_config_private(tmp_path):
    """Pass 55b B10: files written over private ones (0600) came out as the umask said,
    readable by all: a pull's snapshot and sidecar, init --force's config."""
    import stat

    folder = tmp_path / "start"
    folder.mkdir()
    run("init", folder, pdf=False)
    (folder / "reportgen.yaml").chmod(0o600)
    run("init", folder, "--force", pdf=False)
    for name in ("reportgen.yaml", "inventory.xlsx"):
        assert stat.S_IMODE((folder / name).stat().st_mode) == 0o600, name


@pytest.mark.parametrize("added", ["comment", "appended", "file-comment", "zip64-offset"])
def test_a_bundle_someone_added_to_is_not_replaced_without_force(pack, tmp_path, added):
    """Tenth pass: a comment put on an earlier bundle (an auditor's sign-off), or bytes
    appended to it, were lost when bundle replaced it without --force. 76b: so were a
    comment on one file of it, and bytes before an end record giving zip64's offset."""
    import struct

    output = tmp_path / "pack.zip"
    run("bundle", pack, "-o", output, pdf=False)
    assert is_bundle(output)
    if added == "comment":
        with zipfile.ZipFile(output, "a") as archive:
            archive.comment = b"Reviewed and accepted, QSA, 2026-12-01"
    elif added == "file-comment":
        with zipfile.ZipFile(output, "a") as archive:
            archive.infolist()[1].comment = b"QSA sign-off, ref QSA-8812"
            archive.comment = b""  # the directory is written again as the zip closes
    elif added == "zip64-offset":
        data = output.read_bytes()
        end = data[-22:]
        output.write_bytes(
            data[:-22] + b"signed-off" + end[:16] + struct.pack("<I", 0xFFFFFFFF) + end[20:]
        )
    else:
        with output.open("ab") as out:
            out.write(b"signed-off")
    kept = output.read_bytes()
    assert not is_bundle(output)
    result = run("bundle", pack, "-o", output, check=None, pdf=False)
    _refused(result, f"{output}: the output path holds a file that is not a bundle reportgen")
    assert output.read_bytes() == kept


# ---------------------------------------------------------------- folders made on the way

_TOO_LONG = "n" * 256  # one byte over what a file name may have


def _command_into(kind: str, pack: Path, project: Path, path: Path) -> tuple[str, ...]:
    return {
        "build": ("build", "--config", project / "reportgen.yaml", "--out", path),
        "bundle": ("bundle", pack, "-o", path.with_suffix(".zip")),
        "init": ("init", path),
    }[kind]


@pytest.mark.parametrize("kind", ["build", "bundle", "init"])
def test_folders_made_before_a_failed_mkdir_are_removed(pack, project, tmp_path, kind):
    """adversarial-15b C31: make_parents raised before it returned the folders it made, so
    those made before mkdir failed part-way (a name over 255 bytes further down) were left
    behind by build --out, bundle -o and init."""
    where = tmp_path / "out"
    where.mkdir()
    path = where / "newA" / "newB" / _TOO_LONG / "x"
    result = run(*_command_into(kind, pack, project, path), check=None, pdf=False)
    _refused(result, "cannot create the output directory: the file name is too long")
    assert list(where.iterdir()) == []  # newA and newB, made by this run, are gone


@pytest.mark.parametrize("kind", ["build", "bundle", "init"])
def test_a_link_to_a_folder_that_does_not_exist_is_named_as_one(pack, project, tmp_path, kind):
    """Nineteenth pass (19b, W2): `init lnk` said "a file of that name is in the way",
    naming lnk/inventory.xlsx, where lnk is a symbolic link to nothing."""
    link = tmp_path / "lnk"
    link.symlink_to(tmp_path / "gone" / "deeper")
    result = run(*_command_into(kind, pack, project, link / "x"), check=None, pdf=False)
    _refused(result, f"{link}: cannot create the output directory: this is a symbolic link")
    assert "which does not exist" in result.stderr and not (tmp_path / "gone").exists()


def test_a_full_disk_while_making_the_folders_says_so(pack, tmp_path, monkeypatch):
    """ENOSPC / EDQUOT met making -o's folders got the raw strerror, not the wording and
    hint every other full disk gets; the folders made before it are removed too."""
    made: list[str] = []
    real_mkdir = os.mkdir

    def mkdir(path, mode=0o777, **kwargs):
        if os.path.basename(path) == "c" and os.path.isdir(os.path.dirname(path)):
            # the disk fills as the third folder is made
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))
        real_mkdir(path, mode, **kwargs)
        made.append(os.path.basename(path))

    output = tmp_path / "a" / "b" / "c" / "pack.zip"
    monkeypatch.setattr(os, "mkdir", mkdir)
    with pytest.raises(InputError) as refused:
        bundle_pack(pack, output)
    monkeypatch.undo()
    assert refused.value.message == (
        "cannot create the output directory: no space left on the device (disk full)"
    )
    assert refused.value.hint and "Free some space" in refused.value.hint
    assert made == ["a", "b"] and not (tmp_path / "a").exists()


# ---------------------------------------------------------------- modes of what is written


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.parametrize(("umask", "mode"), [(0o022, 0o644), (0o077, 0o600), (0o027, 0o640)])
def test_a_bundle_gets_the_mode_the_umask_gives(pack, tmp_path, umask, mode):
    """adversarial-15b C22: the zip was written 0644 whatever the umask: a private pack
    (umask 077) got a world-readable zip of it."""
    output = tmp_path / "pack.zip"
    previous = os.umask(umask)  # the command inherits it
    try:
        run("bundle", pack, "-o", output, pdf=False)
    finally:
        os.umask(previous)
    assert _mode(output) == mode


def test_a_rebundle_keeps_the_mode_of_the_zip_it_replaces(pack, tmp_path):
    """adversarial-15b C22: re-bundling over a zip the user made 0600 made it 0644 again."""
    output = tmp_path / "pack.zip"
    run("bundle", pack, "-o", output, pdf=False)
    output.chmod(0o600)
    run("bundle", pack, "-o", output, pdf=False)
    assert _mode(output) == 0o600 and is_bundle(output)
    output.chmod(0o640)
    run("bundle", pack, "-o", output, pdf=False)
    assert _mode(output) == 0o640


def test_init_keeps_a_file_saved_there_while_it_ran(tmp_path, monkeypatch):
    """Twenty-first pass: a reportgen.yaml saved after init's first check was replaced
    without --force (it was kept aside, then deleted)."""
    import reportgen.config.starter as starter

    made = starter.inventory_template

    def saved_meanwhile() -> bytes:
        (tmp_path / "reportgen.yaml").write_text("mine: true\n")
        return made()

    monkeypatch.setattr(starter, "inventory_template", saved_meanwhile)
    with pytest.raises(InputError, match="written there while init ran"):
        starter.write_starter(tmp_path)
    assert (tmp_path / "reportgen.yaml").read_text() == "mine: true\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["reportgen.yaml"]


def test_init_keeps_a_file_saved_between_its_last_check_and_the_move(tmp_path, monkeypatch):
    """Twenty-second pass: strace held init's rename; a reportgen.yaml saved after the last
    check was replaced by rename() (the move now never replaces without --force)."""
    import reportgen.config.starter as starter

    checked = starter._refuse_special

    def check_then_save(files, force):
        checked(files, force)
        (tmp_path / "reportgen.yaml").write_text("mine: true\n")

    monkeypatch.setattr(starter, "_refuse_special", check_then_save)
    with pytest.raises(InputError, match="written at this path while reportgen ran"):
        starter.write_starter(tmp_path)
    assert (tmp_path / "reportgen.yaml").read_text() == "mine: true\n"
    assert not (tmp_path / "inventory.xlsx").exists()  # both or neither
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


def test_bundle_keeps_a_file_saved_between_its_last_check_and_the_move(pack, tmp_path, monkeypatch):
    """Twenty-second pass: a file saved at -o after bundle's last check was replaced."""
    import reportgen.pack.bundle as bundle

    output = tmp_path / "out.zip"
    checks = []
    checked = bundle.check_bundle_output

    def check_then_save(path, force):
        checked(path, force)
        checks.append(path)
        if len(checks) == 2:  # the check just before the move
            output.write_text("mine\n")

    monkeypatch.setattr(bundle, "check_bundle_output", check_then_save)
    with pytest.raises(InputError, match="written at this path while reportgen ran"):
        bundle.bundle_pack(pack, output)
    assert output.read_text() == "mine\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.zip"]


def _renamed_over_at_the_move(monkeypatch, path: Path, mine: Path) -> None:
    """``mine`` renamed over ``path`` just as the written file is moved in: strace held
    the rename that long (twenty-second pass), and rename() replaced the user's file."""
    from reportgen.core import outfiles

    move_in = outfiles._move_in

    def swap_then_move(temporary, target, *args):
        if target == path and mine.exists():
            os.replace(mine, path)
        return move_in(temporary, target, *args)

    monkeypatch.setattr(outfiles, "_move_in", swap_then_move)


def test_bundle_over_an_earlier_bundle_keeps_a_file_renamed_there_at_the_move(
    pack, tmp_path, monkeypatch
):
    output = tmp_path / "out.zip"
    bundle_pack(pack, output)  # the earlier bundle: what -o may replace
    mine = tmp_path / "mine.zip"
    mine.write_text("mine\n")
    _renamed_over_at_the_move(monkeypatch, output, mine)
    with pytest.raises(InputError, match="written at this path while reportgen ran"):
        bundle_pack(pack, output)
    assert output.read_text() == "mine\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.zip"]


def test_bundle_over_an_earlier_bundle_keeps_a_file_renamed_there_during_the_check(
    pack, tmp_path, monkeypatch
):
    import reportgen.pack.bundle as bundle

    output = tmp_path / "out.zip"
    bundle_pack(pack, output)
    checks = []
    checked = bundle.check_bundle_output

    def check_then_swap(path, force):
        checked(path, force)
        checks.append(path)
        if len(checks) == 2:  # the check just before the move found the earlier bundle
            (tmp_path / "mine.zip").write_text("mine\n")
            os.replace(tmp_path / "mine.zip", output)

    monkeypatch.setattr(bundle, "check_bundle_output", check_then_swap)
    with pytest.raises(InputError, match="written at this path while reportgen ran"):
        bundle.bundle_pack(pack, output)
    assert output.read_text() == "mine\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.zip"]


def test_pull_over_an_earlier_pull_keeps_a_file_renamed_there_at_the_move(tmp_path, monkeypatch):
    out = tmp_path / "estate.csv"
    _pull(out)
    sidecar = out.with_name(out.name + SIDECAR_SUFFIX)
    earlier = sidecar.read_bytes()
    mine = tmp_path / "mine.csv"
    mine.write_text("Service,Resource ID\nAmazon EC2,i-1\n")
    _renamed_over_at_the_move(monkeypatch, out, mine)
    with pytest.raises(InputError, match="written at this path while reportgen ran"):
        _pull(out)
    assert out.read_text() == "Service,Resource ID\nAmazon EC2,i-1\n"
    assert sidecar.read_bytes() == earlier  # both or neither
    assert sorted(p.name for p in tmp_path.iterdir()) == ["estate.csv", sidecar.name]


# ---------------------------------------------------------------- a stop signal at the move
# Once files are being moved in, a stop signal waits until all are in (or put back) and is
# then said as a warning; the command finishes (twenty-third and twenty-fourth passes).


@pytest.fixture
def interruptible():
    """SIGINT handled by Python's own handler for the test: an xdist worker ignores it, and
    an ignored signal stays ignored (the held section then has nothing to hold)."""
    import signal

    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, previous)


def _interrupted_after_each(monkeypatch, name: str) -> None:
    """Ctrl-C (a real SIGINT to this process) just after each call of outfiles' ``name``:
    the moment a strace-held rename let the twenty-third pass's signal in."""
    import signal

    from reportgen.core import outfiles

    real = getattr(outfiles, name)

    def then_interrupt(*args, **options):
        done = real(*args, **options)
        signal.raise_signal(signal.SIGINT)
        return done

    monkeypatch.setattr(outfiles, name, then_interrupt)


def _pull_of(out: Path, count: int):
    client = boto3.client(
        "resourcegroupstaggingapi", region_name="eu-west-1", aws_access_key_id="x",
        aws_secret_access_key="x",
    )  # fmt: skip
    mappings = [{"ResourceARN": f"arn:aws:s3:::b{n}", "Tags": []} for n in range(count)]
    with Stubber(client) as stubber:
        stubber.add_response("get_resources", {"ResourceTagMappingList": mappings}, {})
        return pull(PullRequest("tagging", out, force=True), client=client)


def test_a_pull_interrupted_between_its_renames_leaves_one_pulls_pair(
    tmp_path, monkeypatch, caplog, interruptible
):
    out = tmp_path / "estate.csv"
    sidecar = out.with_name(out.name + SIDECAR_SUFFIX)
    _pull_of(out, 1)
    _interrupted_after_each(monkeypatch, "_move_in")
    _pull_of(out, 3)  # the signal waits for both, then is said (twenty-fourth pass)
    assert "SIGINT came as" in caplog.text and "finished rather than broken off" in caplog.text
    rows = len(out.read_text().splitlines()) - 1
    assert json.loads(sidecar.read_text())["counts"]["items"] == rows == 3  # both moved in
    assert sorted(p.name for p in tmp_path.iterdir()) == ["estate.csv", sidecar.name]


def test_init_force_interrupted_between_its_renames_writes_both(
    tmp_path, monkeypatch, caplog, interruptible
):
    import reportgen.config.starter as starter

    (tmp_path / "reportgen.yaml").write_text("mine: true\n")
    (tmp_path / "inventory.xlsx").write_bytes(b"mine")
    _interrupted_after_each(monkeypatch, "_move_in")
    starter.write_starter(tmp_path, force=True)
    assert "SIGINT came as" in caplog.text
    assert (tmp_path / "reportgen.yaml").read_text() != "mine: true\n"
    assert (tmp_path / "inventory.xlsx").read_bytes() != b"mine"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["inventory.xlsx", "reportgen.yaml"]


def test_a_file_exchanged_out_then_interrupted_is_put_back(
    pack, tmp_path, monkeypatch, interruptible
):
    """Twenty-third pass: the user's file, renamed over the earlier bundle at the move, was
    exchanged out under the temporary name, which the interrupt's clean-up removed."""
    output = tmp_path / "out.zip"
    bundle_pack(pack, output)
    mine = tmp_path / "mine.zip"
    mine.write_text("mine\n")
    _renamed_over_at_the_move(monkeypatch, output, mine)
    _interrupted_after_each(monkeypatch, "exchange")
    with pytest.raises((InputError, KeyboardInterrupt)):
        bundle_pack(pack, output)
    assert output.read_text() == "mine\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.zip"]


_KILLED_AT_THE_PUT_BACK = """
import os, sys
from pathlib import Path
from reportgen.core import outfiles
from reportgen.pack.bundle import bundle_pack
pack, output, mine = map(Path, sys.argv[1:4])
move_in = outfiles._move_in
def swap_then_move(temporary, target, *args):
    if target == output and mine.exists():
        os.replace(mine, output)
    return move_in(temporary, target, *args)
outfiles._move_in = swap_then_move
outfiles._put_back_exchanged = lambda *args: os._exit(9)  # SIGKILL: no clean-up runs
bundle_pack(pack, output)
"""


def test_a_user_file_exchanged_out_by_a_killed_bundle_is_never_swept(pack, tmp_path):
    """Twenty-fourth pass: killed between the exchange and the exchange back, a bundle left
    the user's file under its temporary name, and the next bundle's sweep deleted it."""
    output = tmp_path / "out.zip"
    bundle_pack(pack, output)
    mine = tmp_path / "mine.zip"
    mine.write_text("mine\n")
    argv = [sys.executable, "-c", _KILLED_AT_THE_PUT_BACK, str(pack), str(output), str(mine)]
    assert subprocess.run(argv, check=False, timeout=120).returncode == 9
    for left in tmp_path.iterdir():  # as if the sweep came long after
        os.utime(left, (1_000_000_000, 1_000_000_000), follow_symlinks=False)
    bundle_pack(pack, tmp_path / "later.zip")  # sweeps what killed bundles left here
    kept = [p for p in tmp_path.iterdir() if p.read_bytes() == b"mine\n"]
    assert len(kept) == 1 and kept[0].name.startswith(".out.zip.reportgen-swap-"), kept


def test_bundle_reports_the_zip_it_wrote_not_a_file_renamed_over_it(pack, tmp_path, monkeypatch):
    """Twenty-fourth pass: a file renamed over -o just after the move was reported as the
    bundle, its size and SHA-256 read back by name."""
    from reportgen.core import outfiles

    output = tmp_path / "out.zip"
    move_in = outfiles._move_in

    def move_then_swap(temporary, target, *args):
        done = move_in(temporary, target, *args)
        os.replace(output, tmp_path / "ours.zip")
        (tmp_path / "other.zip").write_text("other\n")
        os.replace(tmp_path / "other.zip", output)
        return done

    monkeypatch.setattr(outfiles, "_move_in", move_then_swap)
    made = bundle_pack(pack, output)
    ours = (tmp_path / "ours.zip").read_bytes()
    assert (made.sha256, made.size) == (hashlib.sha256(ours).hexdigest(), len(ours))


def _acl(named_reader: int) -> bytes:
    """An access ACL: the owner reads and writes, the owning group nothing, one named user
    reads (the mask lets it), others nothing; ``ls`` shows it as 0640."""
    entries = [(0x01, 6, 0xFFFFFFFF), (0x02, 4, named_reader), (0x04, 0, 0xFFFFFFFF),
               (0x10, 4, 0xFFFFFFFF), (0x20, 0, 0xFFFFFFFF)]  # fmt: skip
    return struct.pack("<I", 2) + b"".join(struct.pack("<HHI", *entry) for entry in entries)


def _give_acl(path: Path, *names: str) -> bytes:
    acl = _acl(1003)
    try:
        for name in names or ("system.posix_acl_access",):
            os.setxattr(path, name, acl)
    except OSError:
        pytest.skip("this file system holds no POSIX ACL")
    return acl


def test_a_rebundle_keeps_the_acl_of_the_zip_it_replaces(pack, tmp_path):
    """Pass 57b F1: a zip kept private by an ACL (0600, one named reader; its group bits
    show the ACL's mask, 0640) was replaced by a plain 0640 zip: its group, denied
    before, read it."""
    output = tmp_path / "pack.zip"
    run("bundle", pack, "-o", output, pdf=False)
    output.chmod(0o600)
    acl = _give_acl(output)
    run("bundle", pack, "-o", output, pdf=False)
    assert os.getxattr(output, "system.posix_acl_access") == acl and is_bundle(output)


def test_a_pack_folder_takes_the_acls_of_the_one_it_replaces(tmp_path):
    """Pass 57b F2: the same of a pack folder kept private by an ACL (0700, one named
    reader), which build --out replaced by a plain 0750 folder."""
    from reportgen.pack.write import _give_mode

    model, made = tmp_path / "pack", tmp_path / "new"
    model.mkdir(mode=0o700)
    made.mkdir(mode=0o700)
    acl = _give_acl(model, "system.posix_acl_access", "system.posix_acl_default")
    _give_mode(made, model)
    for name in ("system.posix_acl_access", "system.posix_acl_default"):
        assert os.getxattr(made, name) == acl, name


def test_a_pack_folder_that_cannot_be_listed_is_named(pack, monkeypatch):
    """Pass 57b F4: a listing that failed on a network file system (ESTALE) named the
    folder's descriptor, a number, and was an internal error (TypeError)."""
    from reportgen.pack.files import PackDir

    real = os.scandir

    class Failing:
        def __iter__(self):
            return self

        def __next__(self):
            raise OSError(errno.ESTALE, "Stale file handle", 7)

        def close(self) -> None:
            pass

    listed: list[int] = []

    def scandir(path=".", *args):
        if isinstance(path, int):
            listed.append(path)
        return Failing() if len(listed) == 2 else real(path, *args)  # the first subfolder

    with PackDir(pack) as opened:
        monkeypatch.setattr(os, "scandir", scandir)
        with pytest.raises(InputError) as raised:
            opened.files()
    folder = Path(raised.value.file)
    assert folder.parent == pack and folder.is_dir(), raised.value.file
    assert "stale file handle" in raised.value.message


@pytest.mark.parametrize(
    "code", [errno.ESTALE, errno.ENOLCK, errno.EOPNOTSUPP, errno.ENOSYS, errno.EBADF]
)
def test_a_lock_refused_on_the_temporary_zip_is_named_and_leaves_nothing(
    pack, tmp_path, monkeypatch, code
):
    """Pass 57b F5: flock failing on the new temporary zip (ESTALE) named no file, and
    left the empty temporary behind; 58b F2: one a file system does not take (ENOLCK on
    NFS without a lock manager) was an internal error."""
    from reportgen.core import outfiles

    def refused(fd: int) -> int:
        raise OSError(code, os.strerror(code))

    monkeypatch.setattr(outfiles, "_hold", refused)
    output = tmp_path / "out" / "pack.zip"
    output.parent.mkdir()
    with pytest.raises(InputError) as raised:
        bundle_pack(pack, output)
    assert raised.value.file == str(output), raised.value
    assert list(output.parent.iterdir()) == []


@pytest.mark.parametrize("code", [errno.ESTALE, errno.ETIMEDOUT])
def test_a_pack_file_whose_size_or_bytes_cannot_be_read_is_named(pack, monkeypatch, code):
    """Pass 58b F1: fstat failing (ESTALE) named no file; F3: a read timed out on a
    soft-mounted network file system (ETIMEDOUT) was an internal error."""
    import types

    from reportgen.core import safefiles
    from reportgen.pack.files import PackDir

    def failing(*args, **kwargs):
        raise OSError(code, os.strerror(code))

    from reportgen.pack import files

    size = (pack / "manifest.json").stat().st_size
    with PackDir(pack) as opened:  # only the reader's calls fail, not the opening's
        if code == errno.ESTALE:
            fake = types.SimpleNamespace(**{**vars(os), "fstat": failing})
            monkeypatch.setattr(safefiles, "os", fake)
            with pytest.raises(InputError) as raised:
                opened.read("manifest.json", 1 << 20, "the manifest")
        else:  # hashing a listed file, as verify does
            monkeypatch.setattr(files, "os", types.SimpleNamespace(**{**vars(os), "read": failing}))
            with pytest.raises(InputError) as raised:
                opened.check("manifest.json", size, "0" * 64)
    assert raised.value.file == str(pack / "manifest.json"), raised.value


@pytest.mark.parametrize(("code", "failing_call"), [(errno.ENOLCK, 1), (errno.ESTALE, 2)])
def test_a_pack_file_whose_fstat_fails_while_checked_is_named(
    pack, monkeypatch, code, failing_call
):
    """Pass 59b B4: the fstat after the open (ENOLCK, which the refusals left out) and the
    one before hashing (any errno) named no file."""
    import types

    from reportgen.pack import files
    from reportgen.pack.files import PackDir

    calls: list[int] = []

    def fstat(fd, *args, **kwargs):
        calls.append(fd)
        if len(calls) == failing_call:
            raise OSError(code, os.strerror(code))
        return os.fstat(fd, *args, **kwargs)

    size = (pack / "manifest.json").stat().st_size
    with PackDir(pack) as opened:
        monkeypatch.setattr(files, "os", types.SimpleNamespace(**{**vars(os), "fstat": fstat}))
        with pytest.raises(InputError) as raised:
            opened.check("manifest.json", size, "0" * 64)
    assert raised.value.file == str(pack / "manifest.json"), raised.value


def _flock_refused(code: int):
    import fcntl
    import types

    def flock(fd: int, operation: int) -> None:
        raise OSError(code, os.strerror(code))

    return types.SimpleNamespace(**{**vars(fcntl), "flock": flock})


@pytest.mark.parametrize(
    ("code", "said"),
    [(errno.ENOLCK, "no locks available"), (errno.EBADF, "only on what is open for writing")],
)
def test_a_pack_lock_a_file_system_refuses_names_the_folder(tmp_path, monkeypatch, code, said):
    """Pass 66b F1: flock refused on the build lock (ENOLCK: NFS without its lock
    manager) said 'no locks available' naming no file; 67b W3: refused as a Linux NFS
    client refuses it on a folder (EBADF), it said "Bad file descriptor", with no hint."""
    from reportgen.pack import write

    monkeypatch.setattr(write, "fcntl", _flock_refused(code))
    with pytest.raises(InputError) as raised, write.pack_lock(tmp_path / "pack"):
        pass
    assert raised.value.file == str(tmp_path), raised.value
    assert said in raised.value.message and "lock manager" in (raised.value.hint or "")


def test_a_temporary_folder_lock_refused_names_it_and_tmpdir(tmp_path, monkeypatch):
    """Pass 66b F1: the same on the --evidence temporary folder named no file, and its
    hint (write on a local disk) pointed at the output, not at the temporary folder."""
    from reportgen.core import tempdirs

    monkeypatch.setattr(tempdirs, "fcntl", _flock_refused(errno.ENOLCK))
    with (
        pytest.raises(InputError) as raised,
        tempdirs.run_temp_dir("reportgen-evidence-", tmp_path),
    ):
        pass
    assert Path(raised.value.file).parent == tmp_path, raised.value
    assert f"made in {tmp_path}: set TMPDIR" in (raised.value.hint or "")
    assert list(tmp_path.iterdir()) == []


def test_a_file_written_for_a_user_is_on_disk_before_it_takes_its_name(tmp_path, monkeypatch):
    """Pass 71b W21: bundle -o, inventory pull -o and init wrote their file and renamed it
    over the earlier one without an fsync: after a power loss the name could hold an empty
    or short file where the earlier one had been whole."""
    from reportgen.core import outfiles

    events: list[str] = []
    fsync, rename = os.fsync, os.rename
    monkeypatch.setattr(outfiles.os, "fsync", lambda fd: (events.append("fsync"), fsync(fd))[1])
    monkeypatch.setattr(
        outfiles.os, "rename", lambda a, b: (events.append("rename"), rename(a, b))[1]
    )
    target = tmp_path / "b.zip"
    target.write_text("earlier")
    outfiles.write_replacing(target, lambda out: out.write("new"), lambda: None, text=True)
    assert target.read_text() == "new"
    assert events and events[0] == "fsync", events


@pytest.mark.parametrize(
    ("code", "refused"), [(errno.EIO, True), (errno.ENOSPC, True), (errno.EOPNOTSUPP, False)]
)
def test_an_acl_that_cannot_be_kept_refuses_the_file(tmp_path, monkeypatch, code, refused):
    """Pass 73b F2: setting the ACL of a zip kept private by one (0600 and a named reader)
    failed with EIO, ENOSPC or EDQUOT and was passed over: the new zip, given the ACL's mask
    as its group's bits, was readable by its group, exit 0. Only a file system without ACLs
    is passed over now."""
    from reportgen.core import outfiles
    from reportgen.core.errors import InputError

    def failing(*args, **kwargs):
        raise OSError(code, os.strerror(code))

    monkeypatch.setattr(outfiles.os, "getxattr", lambda *args, **kwargs: b"\x02\x00\x00\x00")
    monkeypatch.setattr(outfiles.os, "setxattr", failing)
    target = tmp_path / "b.zip"
    target.write_text("earlier")
    write = lambda: outfiles.write_replacing(  # noqa: E731
        target, lambda out: out.write("new"), lambda: None, text=True, mode=0o640
    )
    if not refused:
        write()
        assert target.read_text() == "new"
        return
    with pytest.raises(InputError) as caught:
        write()
    assert str(target) in str(caught.value)
    assert target.read_text() == "earlier" and [p.name for p in tmp_path.iterdir()] == ["b.zip"]


# A command run with a stop signal sent the moment its output file(s) are in place.
_SIGNALLED_ONCE_WRITTEN = """
import os, signal, sys
from reportgen.config import starter
from reportgen.pack import bundle
from reportgen.cli import main

def signalled(write):
    def written(*args, **kwargs):
        write(*args, **kwargs)
        os.kill(os.getpid(), signal.Signals[sys.argv[1]])
    return written

bundle.write_replacing = signalled(bundle.write_replacing)
starter.write_together = signalled(starter.write_together)
if sys.argv[2] == "closed":
    os.close(2)
elif sys.argv[2] == "full":
    os.dup2(os.open("/dev/full", os.O_WRONLY), 2)
main(sys.argv[3:])
"""


@pytest.mark.parametrize("signum", ["SIGTERM", "SIGHUP"])
@pytest.mark.parametrize("command", ["bundle", "init"])
def test_a_stop_signal_once_the_output_is_in_place_ends_nothing(pack, tmp_path, command, signum):
    """Pass 80b B1: a stop signal just after bundle's zip, or init's two files, were in
    place exited 130/143/129 "aborted" with the new files there (an earlier bundle
    replaced; init refused when run again). The command ends as it would have, exit 0, and
    says the signal came after the files were written."""
    out = tmp_path / "b.zip" if command == "bundle" else tmp_path / "start"
    argv = ["bundle", str(pack), "-o", str(out)] if command == "bundle" else ["init", str(out)]
    result = _signalled_once_written(signum, "open", argv)
    assert result.returncode == 0, result.stderr
    said = " ".join(result.stderr.split())
    assert f"warning: {signum} came after {out}" in said and "it is complete" in said, said
    assert "aborted" not in said and "terminated" not in said and "hung up" not in said
    if command == "bundle":
        assert is_bundle(out)
    else:
        assert (out / "reportgen.yaml").is_file() and (out / "inventory.xlsx").is_file()


def _signalled_once_written(signum: str, stderr: str, argv: list[str]):
    return subprocess.run(
        [sys.executable, "-c", _SIGNALLED_ONCE_WRITTEN, signum, stderr, *argv],
        capture_output=True,
        text=True,
        timeout=300,
        preexec_fn=default_stop_signals,  # a suite under nohup starts it with SIGHUP ignored
    )


def test_the_warning_of_a_signal_once_written_is_one_line_and_never_changes_the_status(
    pack, tmp_path
):
    """Pass 81b: the warning printed a path's line break raw (a forged `error:` line), and
    with stderr closed or full its failed write made the status 1 or 2, the zip written."""
    out = tmp_path / "b\nerror: disk on fire.zip"
    result = _signalled_once_written("SIGTERM", "open", ["bundle", str(pack), "-o", str(out)])
    assert result.returncode == 0, result.stderr
    lines = result.stderr.splitlines()
    assert not any(line.startswith("error:") for line in lines), result.stderr
    assert any("came after" in line and "b\\nerror: disk on fire.zip" in line for line in lines)
    for stderr in ("closed", "full"):
        out.unlink()
        result = _signalled_once_written("SIGTERM", stderr, ["bundle", str(pack), "-o", str(out)])
        assert result.returncode == 0 and is_bundle(out), (stderr, result.returncode)


def test_a_zip_that_is_a_step_of_the_command_leaves_stop_signals_stopping(pack, tmp_path):
    """Pass 83b B1: attach writes its temporary zip as bundle writes its output, and that
    marked the command finished: Ctrl-C and SIGTERM were then ignored for every upload after.
    Only the command's own output marks it so."""
    from reportgen.core import stopping

    stopping.forget_finished()
    bundle_pack(pack, tmp_path / "step.zip", final=False)
    assert stopping.finished() == ""
    bundle_pack(pack, tmp_path / "out.zip")
    assert stopping.finished() == f"{tmp_path / 'out.zip'} was written"
    stopping.forget_finished()


def test_the_command_over_the_stop_signals_are_ignored_as_the_interpreter_exits():
    """Pass 83b B2: the CLI puts the default handlers back as it returns, and a SIGTERM or
    SIGHUP in the moment after the output was written and said killed the process (143,
    129). The launcher ignores all three once the command is over."""
    code = (
        "import signal, sys\nfrom reportgen.launch import main\nsys.argv = ['reportgen', "
        "'--version']\ntry:\n    main()\nexcept SystemExit:\n    pass\nprint([signal.getsignal"
        "(s) == signal.SIG_IGN for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)])\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.stdout.strip().splitlines()[-1] == "[True, True, True]", done.stdout + done.stderr
