"""A pack file or folder the user may not read is the machine's refusal, not tampering:
``verify`` and ``bundle`` exit 2 naming it with "permission denied", never "ALTERED", a
false "EXTRA" or "not a reportgen pack" (adversarial-4a #20).

The tests run as root, which ignores mode bits, so the refusal is made in-process: os.open
of one name of the pack raises EACCES, as it does for another user after chmod 600/700.
"""

from __future__ import annotations

import errno
import os
import shutil
from pathlib import Path

import pytest
from conftest import MINIMAL_CONFIG, write_config, write_csv
from packhelpers import EPOCH, build

FAST = ("--framework", "soc2", "--format", "matrix", "--format", "xlsx", "--format", "summary")


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("project")
    write_csv(folder / "inventory.csv", [["Service", "Resource ID"], ["S3", "b"]])
    write_config(folder, MINIMAL_CONFIG)
    return folder


@pytest.fixture(scope="module")
def built(project, tmp_path_factory) -> Path:
    return build(project, tmp_path_factory.mktemp("packs") / "test-co", *FAST, pdf=False)


def _unreadable(monkeypatch, name: str) -> None:
    """os.open of the pack entry ``name`` (opened relative to its folder) is refused."""
    real = os.open

    def refusing(path, flags, mode=0o777, *, dir_fd=None):
        if dir_fd is not None and os.fsdecode(path) == name:
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), path)
        return real(path, flags, mode, dir_fd=dir_fd)

    monkeypatch.setattr(os, "open", refusing)


def _main(capsys, monkeypatch, *argv: str) -> tuple[int, str]:
    from reportgen.cli import main

    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)
    monkeypatch.setenv("COLUMNS", "400")
    capsys.readouterr()
    try:
        main(list(argv))
        status = 0
    except SystemExit as exc:
        status = exc.code if isinstance(exc.code, int) else 1
    captured = capsys.readouterr()
    text = " ".join((captured.err + captured.out).split())
    assert "Traceback" not in text and "internal error" not in text, text
    return status, text


@pytest.mark.parametrize(
    ("entry", "named"),
    [("summary.md", "summary.md"), ("soc2", "soc2"), ("manifest.json", "manifest.json")],
)
@pytest.mark.parametrize("command", ["verify", "bundle"])
def test_an_unreadable_entry_is_permission_denied(
    built, tmp_path, capsys, monkeypatch, entry, named, command
):
    pack = Path(shutil.copytree(built, tmp_path / "test-co"))
    zipped = tmp_path / "out.zip"
    _unreadable(monkeypatch, entry)
    argv = (
        ["verify", str(pack)] if command == "verify" else ["bundle", str(pack), "-o", str(zipped)]
    )
    status, text = _main(capsys, monkeypatch, *argv)
    assert status == 2, text
    assert "permission denied" in text.lower(), text
    assert str(pack / named) in text, text
    for wrong in ("ALTERED", "EXTRA", "not a reportgen pack", "does not match"):
        assert wrong not in text, text
    assert not zipped.exists()


def test_a_readable_pack_still_verifies(built, capsys, monkeypatch):
    """The control: the same pack, nothing refused, verifies (exit 0)."""
    status, text = _main(capsys, monkeypatch, "verify", str(built))
    assert status == 0, text


def test_an_unreadable_folder_no_file_is_listed_under_is_not_extra(
    built, tmp_path, capsys, monkeypatch
):
    """Only the listing reaches it: a folder it cannot enter was taken for an extra file."""
    pack = Path(shutil.copytree(built, tmp_path / "test-co"))
    (pack / "soc2" / "drafts").mkdir()
    _unreadable(monkeypatch, "drafts")
    status, text = _main(capsys, monkeypatch, "verify", str(pack))
    assert status == 2, text
    assert f"{pack / 'soc2' / 'drafts'}: permission denied" in text, text
    assert "EXTRA" not in text, text


@pytest.mark.parametrize(
    ("code", "said"),
    [(errno.EMFILE, "too many open files"), (errno.EIO, "input/output error")],
)
@pytest.mark.parametrize("entry", ["summary.md", "soc2"])
@pytest.mark.parametrize("command", ["verify", "bundle"])
def test_the_machine_running_out_of_descriptors_is_not_tampering(
    built, tmp_path, capsys, monkeypatch, code, said, entry, command
):
    """Under `prlimit --nofile=6` an intact pack was reported ALTERED and a folder EXTRA,
    exit 1 (fifth adversarial pass): the open-file limit is the machine's, exit 2."""
    pack = Path(shutil.copytree(built, tmp_path / "test-co"))
    zipped = tmp_path / "out.zip"
    real = os.open

    def refusing(path, flags, mode=0o777, *, dir_fd=None):
        if dir_fd is not None and os.fsdecode(path) == entry:
            raise OSError(code, os.strerror(code), path)
        return real(path, flags, mode, dir_fd=dir_fd)

    monkeypatch.setattr(os, "open", refusing)
    argv = (
        ["verify", str(pack)] if command == "verify" else ["bundle", str(pack), "-o", str(zipped)]
    )
    status, text = _main(capsys, monkeypatch, *argv)
    assert status == 2, text
    assert f"{pack / entry}: {said}" in text, text
    for wrong in ("ALTERED", "EXTRA", "not a reportgen pack", "does not match"):
        assert wrong not in text, text
    assert not zipped.exists()


@pytest.mark.parametrize("entry", ["manifest.json", "soc2"])
def test_a_build_over_a_pack_it_may_not_read_says_permission_denied(
    built, project, tmp_path, capsys, monkeypatch, entry
):
    """`build --out` over a pack whose manifest.json was chmod 000 said the folder was "not a
    reportgen pack" and sent the user to choose another folder (fourteenth adversarial pass,
    P28), where verify and diff said "permission denied": the machine's refusal, exit 2
    naming the file, and the pack left as it was."""
    pack = Path(shutil.copytree(built, tmp_path / "test-co"))
    before = sorted(p.relative_to(pack).as_posix() for p in pack.rglob("*"))
    _unreadable(monkeypatch, entry)
    config = str(project / "reportgen.yaml")
    status, text = _main(
        capsys, monkeypatch, "-q", "build", "--config", config, "--out", str(pack), *FAST
    )
    assert status == 2, text
    assert f"{pack / entry}: permission denied" in text, text
    for wrong in ("not a reportgen pack", "new or empty directory", "would delete"):
        assert wrong not in text, text
    assert sorted(p.relative_to(pack).as_posix() for p in pack.rglob("*")) == before
