"""A run killed outright (SIGKILL) while it moves files into place: the next run puts the
earlier files back, or finishes tidying, and removes only what the killed run made.

Twenty-sixth pass: a pull killed between its two moves left the new snapshot beside the
earlier sidecar, init a new inventory without its config (which the next init refused to
replace), and the second names of the earlier files stayed for ever. Each test kills a real
process at a chosen move, so what it leaves is what a kill leaves."""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import subprocess
import sys
import textwrap
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path

import pytest

from reportgen.cli import main
from reportgen.core.movejournal import JOURNAL_MARK, Moving, identity_of, settle_killed
from reportgen.core.outfiles import settle_moves

# A child that writes ``files`` together (or one file, replacing) and kills itself with
# SIGKILL as it is about to make the call named by ``at`` for the ``nth`` time.
_CHILD = textwrap.dedent(
    """
    import os, signal, sys, json
    from pathlib import Path
    from reportgen.core import outfiles
    folder, at, nth, replace, files, links = json.loads(sys.argv[1])
    if not links:  # a file system without hard links (FAT, some network shares)
        def no_link(*args, **kwargs):
            raise OSError(1, "Operation not permitted")
        os.link = no_link
    calls = []
    original = getattr(outfiles, at)
    def dying(*args, **kwargs):
        calls.append(args)
        if len(calls) == nth:
            os.kill(os.getpid(), signal.SIGKILL)
        return original(*args, **kwargs)
    setattr(outfiles, at, dying)
    outputs = [(Path(folder) / name, lambda h, t=text: h.write(t)) for name, text in files]
    if len(outputs) == 1:
        outfiles.write_replacing(*outputs[0], lambda: None, text=True, replace=replace)
    else:
        outfiles.write_together(outputs, lambda: None, text=True, replace=replace)
    """
)


def _killed(
    folder: Path, at: str, nth: int, files: dict[str, str], replace: bool, links: bool = True
) -> None:
    """Run the child; it must die of SIGKILL (status -9), not finish. ``links`` False: the
    child's file system makes no hard links (second names are copies)."""
    argument = json.dumps([str(folder), at, nth, replace, list(files.items()), links])
    done = subprocess.run([sys.executable, "-c", _CHILD, argument], capture_output=True)
    assert done.returncode == -9, done.stderr.decode()


def _listing(folder: Path) -> dict[str, str]:
    return {p.name: p.read_text() for p in sorted(folder.iterdir())}


_OLD_SIDECAR = '{"source": "tagging", "reader": "t", "reportgen": "0", "items": 3}\n'
_NEW_SIDECAR = '{"source": "tagging", "reader": "t", "reportgen": "0", "items": 100000}\n'
NEW = {"snap.csv": "new rows\n", "snap.csv.source.json": _NEW_SIDECAR}
TEMPORARY = ".reportgen-bundle-"  # a temporary file's prefix, then 8 hex digits


def _pair(tmp_path: Path) -> Path:
    folder = tmp_path / "pulls"
    folder.mkdir()
    (folder / "snap.csv").write_text("old rows\n")
    (folder / "snap.csv.source.json").write_text(_OLD_SIDECAR)
    return folder


def test_a_pair_killed_between_its_moves_is_put_back_by_the_next_run(tmp_path, caplog):
    folder = _pair(tmp_path)
    _killed(folder, "_move_in", 2, NEW, replace=True)
    left = _listing(folder)
    assert left["snap.csv"] == "new rows\n" and left["snap.csv.source.json"] == _OLD_SIDECAR
    assert any(JOURNAL_MARK in name for name in left)  # the note the next run reads
    caplog.set_level(logging.WARNING, "reportgen.files")
    settle_moves(folder)
    assert _listing(folder) == {"snap.csv": "old rows\n", "snap.csv.source.json": _OLD_SIDECAR}
    said = f"had moved only some of them; the earlier {folder / 'snap.csv'} put back"
    assert said in caplog.text


@pytest.mark.parametrize("links", [True, False], ids=["links", "copies"])
def test_a_pair_killed_after_its_first_exchange_is_put_back_without_a_false_word(tmp_path, links):
    """Pass 50b F2: with no hard links (second names are copies), killed right after the
    first file's exchange: the next run put the copy back, then said the file "was changed
    or removed" and that its earlier version was kept under the swap name, left there."""
    folder = _pair(tmp_path)
    before = _listing(folder)
    _killed(folder, "_discard", 1, NEW, replace=True, links=links)
    assert any(".reportgen-swap-" in name for name in _listing(folder))
    assert settle_killed(folder) == [
        f"a run killed while moving {folder / 'snap.csv'}, {folder / 'snap.csv.source.json'} "
        f"into place had moved only some of them; the earlier {folder / 'snap.csv'} put back"
    ]
    assert _listing(folder) == before


@pytest.mark.parametrize("links", [True, False], ids=["links", "copies"])
@pytest.mark.parametrize(
    ("at", "nth"),
    [
        ("_keep_earlier", 2),
        ("_stop_if_asked", 1),
        ("_move_in", 1),
        ("_discard", 3),
        ("_discard", 4),
    ],
)
def test_a_pair_killed_before_or_after_its_moves_is_only_tidied(tmp_path, at, nth, links):
    """Before the first move, the earlier pair stands; after the last, the new one: either
    is whole, and only the killed run's second names, swaps and note are removed. Second
    names made before the note was written stayed for good (pass 27b)."""
    folder = _pair(tmp_path)
    before = _listing(folder)
    _killed(folder, at, nth, NEW, replace=True, links=links)
    assert len(_listing(folder)) > 2  # it left something
    pair = {name: _listing(folder)[name] for name in NEW}
    assert pair in (before, NEW)
    assert settle_killed(folder) == []
    assert _listing(folder) == pair


def test_a_replacing_write_killed_after_its_exchange_leaves_no_swap_name(tmp_path):
    """The exchange done, its swap name holding the earlier file: that was a leftover for
    good, never mentioned (pass 26b, C5)."""
    folder = tmp_path / "out"
    folder.mkdir()
    (folder / "pack.zip").write_text("earlier zip")
    _killed(folder, "_discard", 1, {"pack.zip": "new zip"}, replace=True)
    assert any(".reportgen-swap-" in name for name in _listing(folder))
    assert settle_killed(folder) == []
    assert _listing(folder) == {"pack.zip": "new zip"}


@pytest.mark.parametrize("change", ["edited", "removed"])
def test_an_earlier_file_under_a_swap_name_stays_when_the_new_one_changed(tmp_path, change):
    """Pass 48b: bundle --force over the user's file, killed after the exchange; the new
    file then edited or removed: the next run removed the swap name, the only copy of the
    user's earlier file, without a word."""
    folder = tmp_path / "out"
    folder.mkdir()
    (folder / "mine.zip").write_text("my precious notes")
    _killed(folder, "_discard", 1, {"mine.zip": "new zip"}, replace=True)
    if change == "edited":
        (folder / "mine.zip").write_text("my new notes")
    else:
        (folder / "mine.zip").unlink()
    said = settle_killed(folder)
    swaps = [n for n, text in _listing(folder).items() if text == "my precious notes"]
    assert len(swaps) == 1 and ".reportgen-swap-" in swaps[0], _listing(folder)
    assert any(f"its earlier version is kept as {folder / swaps[0]}" in s for s in said), said


def test_init_killed_between_its_two_files_is_undone_and_run_again(tmp_path, capsys):
    """The next init found inventory.xlsx without a config and refused (pass 26b, C11)."""
    folder = tmp_path / "project"
    folder.mkdir()
    files = {"inventory.xlsx": "sheet", "reportgen.yaml": "config"}
    _killed(folder, "_move_in", 2, files, replace=False)
    assert "inventory.xlsx" in _listing(folder) and "reportgen.yaml" not in _listing(folder)
    main(["init", str(folder)])
    assert sorted(p.name for p in folder.iterdir()) == ["inventory.xlsx", "reportgen.yaml"]
    said = capsys.readouterr().err  # what undoing did: put back was said of a removal (31a)
    assert f"{folder / 'inventory.xlsx'} removed (there was none before)" in said, said
    assert said.startswith("warning: a run killed while moving"), said  # as every warning


def _note(folder: Path, moving: list[Moving]) -> Path:
    note = folder / f".x{JOURNAL_MARK}0123"
    note.write_text(json.dumps({"reportgen-journal": 1, "files": [asdict(m) for m in moving]}))
    os.utime(note, (1, 1))  # old: not a run that has yet to lock it
    return note


def test_a_swap_name_holding_another_file_is_kept_and_said(tmp_path):
    """A user's file under the swap name (saved there as the run was killed) is no leftover."""
    folder = tmp_path / "out"
    folder.mkdir()
    (folder / "pack.zip").write_text("new zip")
    (folder / ".pack.zip.reportgen-swap-aaaa").write_text("the user's own file")
    new = identity_of(folder / "pack.zip")
    assert new is not None
    _note(folder, [Moving("pack.zip", f"{TEMPORARY}0a0b0c0d", new, (1, 2, 3, 4))])
    said = settle_killed(folder)
    assert len(said) == 1 and "is not a file reportgen wrote: look at it" in said[0]
    assert (folder / ".pack.zip.reportgen-swap-aaaa").read_text() == "the user's own file"


def test_a_note_held_by_a_live_run_is_left_alone(tmp_path):
    folder = _pair(tmp_path)
    old = identity_of(folder / "snap.csv")
    assert old is not None
    note = _note(
        folder,
        [
            Moving("snap.csv", ".snap.csv.0a0b0c0d", old, None),
            Moving("y", ".y.00000000", (1,) * 4, None),
        ],
    )
    with open(note) as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        settle = "from reportgen.core.movejournal import settle_killed as s; import sys;"
        settle += f"from pathlib import Path; sys.exit(len(s(Path({str(folder)!r}))))"
        child = [sys.executable, "-c", settle]
        assert subprocess.run(child).returncode == 0
        assert note.exists() and (folder / "snap.csv").exists()
    settle_killed(folder)  # its run gone: settled (the snapshot, moved, has no earlier file)
    assert not note.exists()


@pytest.mark.parametrize("name", ["../outside", "/etc/passwd", "a/b", ".."])
def test_a_note_naming_files_outside_its_folder_touches_nothing(tmp_path, name):
    folder = tmp_path / "out"
    folder.mkdir()
    outside = tmp_path / "outside"
    outside.write_text("keep me")
    found = identity_of(outside)
    assert found is not None
    _note(folder, [Moving(name, name, found, None), Moving("b", "c", (1, 1, 1, 1), None)])
    assert settle_killed(folder) == []
    assert outside.read_text() == "keep me"


def test_a_file_named_like_a_note_that_is_not_one_is_left_alone(tmp_path):
    """Pass 27b: any file of a note's name was removed once 10 seconds old, 5 GB too."""
    folder = tmp_path / "out"
    folder.mkdir()
    stranger = folder / f".data{JOURNAL_MARK}backup"
    stranger.write_text("not a note: somebody's data")
    os.utime(stranger, (1, 1))
    empty = folder / f".x{JOURNAL_MARK}0a0b"
    empty.touch()
    os.utime(empty, (1, 1))  # a run killed between making its note and writing it
    assert settle_killed(folder) == []
    assert stranger.read_text() == "not a note: somebody's data" and not empty.exists()


def test_a_pull_settles_a_killed_one_before_it_fails(tmp_path, monkeypatch, capsys):
    """Pass 27a: only a pull that got as far as writing settled the killed one's mix-up; one
    that failed on the network left the new CSV beside the earlier sidecar."""
    folder = _pair(tmp_path)
    _killed(folder, "_move_in", 2, NEW, replace=True)
    settings = {"AWS_ACCESS_KEY_ID": "AKIAEXAMPLEKEY12345", "AWS_SECRET_ACCESS_KEY": "s" * 30,
                "AWS_ENDPOINT_URL": "http://127.0.0.1:1", "AWS_MAX_ATTEMPTS": "1",
                "AWS_DEFAULT_REGION": "eu-west-1", "AWS_CONFIG_FILE": "/nonexistent",
                "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent",
                "AWS_EC2_METADATA_DISABLED": "true"}  # fmt: skip
    for name, value in settings.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(SystemExit) as ended:
        main(["inventory", "pull", "--source", "tagging", "-o", str(folder / "snap.csv")])
    said = capsys.readouterr().err
    assert ended.value.code == 2 and "put back" in said, said
    assert _listing(folder) == {"snap.csv": "old rows\n", "snap.csv.source.json": _OLD_SIDECAR}


@pytest.mark.parametrize(
    "text",
    ["[" * 60_000,
     '{"reportgen-journal": 1, "files": [{"name": "a", "temporary": "b", "new": [1e400, 1, 1, 1],'
     ' "earlier": null, "kept": null, "kept_as": null}]}',
     '{"reportgen-journal": 1, "files": [{"name": "\\ud800", "temporary": "b", "new": [1, 1, 1, 1],'
     ' "earlier": null, "kept": null, "kept_as": null}]}',
     '{"reportgen-journal": 1, "files": [{"name": ["a"], "temporary": "b", "new": [1, 1, 1, 1],'
     ' "earlier": null, "kept": null, "kept_as": null}]}'],
)  # fmt: skip
def test_a_note_written_by_hand_is_left_alone_without_an_error(tmp_path, text):
    """Pass 29b: nested 60,000 deep, 1e400 for an inode, a lone surrogate for a name: each
    was an internal error in every later command writing into the folder."""
    folder = tmp_path / "out"
    folder.mkdir()
    note = folder / f".a{JOURNAL_MARK}hand"
    note.write_text(text)
    os.utime(note, (1, 1))
    assert settle_killed(folder) == []
    assert note.read_text() == text


def test_a_note_naming_visible_files_as_leftovers_touches_none(tmp_path):
    """Pass 30b: a note written by hand named the user's notes.txt as a temporary file and
    inventory.xlsx as a second name, and the next init removed both."""
    folder = tmp_path / "project"
    folder.mkdir()
    for name in ("notes.txt", "inventory.xlsx", "reportgen.yaml"):
        (folder / name).write_text(name)
    notes, book = identity_of(folder / "notes.txt"), identity_of(folder / "inventory.xlsx")
    config = identity_of(folder / "reportgen.yaml")
    assert notes and book and config
    _note(folder, [Moving("reportgen.yaml", "notes.txt", notes, config, "inventory.xlsx", book),
                   Moving("x.csv", ".t", (1, 1, 1, 1), None)])  # fmt: skip
    assert settle_killed(folder) == []
    assert sorted(p.name for p in folder.iterdir() if JOURNAL_MARK not in p.name) == [
        "inventory.xlsx", "notes.txt", "reportgen.yaml"]  # fmt: skip


def _identity(path: Path) -> tuple[int, int, int, int]:
    found = identity_of(path)
    assert found is not None
    return found


@pytest.mark.parametrize("temporary", [".env", ".reportgen-bundle-env", ".out.zip.bak"])
def test_a_note_naming_a_hidden_file_as_its_temporary_touches_it_not(tmp_path, temporary):
    """Pass 31a: a note naming .env (and its identity, which stat shows anyone) as the run's
    temporary file had it removed by the next bundle, which said nothing."""
    folder = tmp_path / "out"
    folder.mkdir()
    (folder / temporary).write_text("SECRET=keep")
    _note(folder, [Moving("out.zip", temporary, _identity(folder / temporary), None)])
    assert settle_killed(folder) == []
    assert (folder / temporary).read_text() == "SECRET=keep"


def test_a_note_naming_no_file_or_too_many_is_not_ours(tmp_path):
    """Pass 31a: a note naming no file was taken as one of ours (reportgen writes none)."""
    folder = tmp_path / "out"
    folder.mkdir()
    empty = _note(folder, [])
    assert settle_killed(folder) == [] and empty.exists()
    many = [Moving(f"f{n}", f"{TEMPORARY}0000000{n}", (1,) * 4, None) for n in range(9)]
    assert settle_killed(folder) == [] and _note(folder, many).exists()


def test_settling_reads_a_large_folder_once(tmp_path, monkeypatch):
    """Pass 31a: each file a note named read the whole folder again (five notes in a folder
    of 20,000 files: 17 s). The folder is listed once, however many notes it holds."""
    folder = tmp_path / "out"
    folder.mkdir()
    for n in range(5):
        note = folder / f".f{n}{JOURNAL_MARK}0123"
        entries = [Moving(f"f{n}-{k}", f"{TEMPORARY}0000000{k}", (1,) * 4, None) for k in range(8)]
        note.write_text(json.dumps({"reportgen-journal": 1, "files": [asdict(m) for m in entries]}))
        os.utime(note, (1, 1))
    listed = []
    scandir = os.scandir
    monkeypatch.setattr(os, "scandir", lambda path: listed.append(path) or scandir(path))
    assert settle_killed(folder) == []
    assert len(listed) == 1 and not any(JOURNAL_MARK in p.name for p in folder.iterdir())


def test_a_leftovers_name_prints_no_line_of_its_own(tmp_path, capsys):
    """Pass 32a: a swap name holding a line break printed 'error: disk on fire' as a line of
    its own in the warning that names it."""
    folder = tmp_path / "project"
    folder.mkdir()
    (folder / "pack.zip").write_text("new zip")
    (folder / ".pack.zip.reportgen-swap-x\nerror: disk on fire").write_text("the user's")
    _note(folder, [Moving("pack.zip", f"{TEMPORARY}0a0b0c0d", _identity(folder / "pack.zip"),
                          (1, 2, 3, 4))])  # fmt: skip
    main(["init", str(folder)])
    lines = capsys.readouterr().err.splitlines()
    assert not [line for line in lines if line.startswith("error:")], lines
    assert any("reportgen-swap-x\\nerror: disk on fire" in line for line in lines), lines


def test_a_note_naming_a_link_removes_it_not(tmp_path):
    """Pass 33b: a note written by hand giving a link's own identity had the link removed,
    said as 'removed (there was none before)'; reportgen moves in regular files only."""
    folder = tmp_path / "h"
    folder.mkdir()
    (folder / "link").symlink_to("/etc/hostname")
    (folder / f"{TEMPORARY}0a0b0c0d").symlink_to("/etc/hostname")
    _note(folder, [Moving("link", f"{TEMPORARY}0a0b0c0d", _identity(folder / "link"), None),
                   Moving("b.zip", f"{TEMPORARY}00000000", (1,) * 4, None)])  # fmt: skip
    said = settle_killed(folder)
    assert (folder / "link").is_symlink() and (folder / f"{TEMPORARY}0a0b0c0d").is_symlink()
    assert not [s for s in said if "removed" in s], said


def _before_the_second(monkeypatch, name: str, act: Callable[[], None]) -> None:
    """outfiles' ``name`` runs ``act`` first when it is called the second time (the second
    of two moves), then does its work, unless ``act`` raised."""
    from reportgen.core import outfiles

    calls = []
    real = getattr(outfiles, name)

    def second_acts(*args, **kwargs):
        calls.append(args)
        if len(calls) == 2:
            act()
        return real(*args, **kwargs)

    monkeypatch.setattr(outfiles, name, second_acts)


def _two_new(folder: Path) -> list:
    """Outputs a.xlsx and b.yaml in ``folder``, each holding its own name."""
    return [(folder / name, lambda h, t=name: h.write(t)) for name in ("a.xlsx", "b.yaml")]


def test_a_folder_moved_between_two_moves_keeps_neither_new_file(tmp_path, monkeypatch):
    """Pass 33d: init's folder renamed between its two moves kept the first new file and the
    note (undone by path, where the folder no longer was), and the message said nothing was
    written."""
    from reportgen.core import outfiles
    from reportgen.core.errors import InputError

    folder, moved = tmp_path / "project", tmp_path / "renamed"
    folder.mkdir()
    (folder / "notes.txt").write_text("the user's")
    _before_the_second(monkeypatch, "_move_in", lambda: folder.rename(moved))
    with pytest.raises(InputError) as refused:
        outfiles.write_together(_two_new(folder), lambda: None, text=True, replace=False)
    left = _listing(moved)
    assert {n: t for n, t in left.items() if JOURNAL_MARK not in n} == {"notes.txt": "the user's"}
    assert "nothing reportgen wrote was left in place" in " ".join(refused.value.details)
    assert settle_killed(moved) == [] and _listing(moved) == {"notes.txt": "the user's"}


def test_an_earlier_file_saved_over_in_a_folder_moved_between_two_moves_is_named(
    tmp_path, monkeypatch, caplog
):
    """Pass 42b F2: init --force, the first file saved over by the user and the folder moved
    before the second move: the earlier file's only copy stayed in the moved folder under a
    hidden second name, unsaid, and the message said nothing was written."""
    from reportgen.core import outfiles
    from reportgen.core.errors import InputError

    folder, moved = tmp_path / "project", tmp_path / "renamed"
    folder.mkdir()
    (folder / "a.xlsx").write_text("earlier a")
    (folder / "b.yaml").write_text("earlier b")

    def saved_then_moved() -> None:
        (folder / "saved").write_text("the user's a")
        (folder / "saved").rename(folder / "a.xlsx")
        folder.rename(moved)

    _before_the_second(monkeypatch, "_move_in", saved_then_moved)
    caplog.set_level(logging.WARNING, "reportgen.files")
    with pytest.raises(InputError):
        outfiles.write_together(_two_new(folder), lambda: None, text=True, replace=True)
    left = _listing(moved)
    kept = [n for n in left if n.startswith(".a.xlsx.") and n.endswith(".kept")]
    assert left["a.xlsx"] == "the user's a" and [left[n] for n in kept] == ["earlier a"]
    assert f"the earlier file is kept as {moved / kept[0]}" in caplog.text, caplog.text


def test_a_file_that_cannot_be_put_back_in_a_moved_folder_is_named_where_it_is(
    tmp_path, monkeypatch, caplog
):
    """Pass 49b: the folder moved before the second move, and the first new file immutable
    (it cannot be taken back): the warning named the earlier file's second name by the
    folder's old path, where there was nothing, and the error said nothing reportgen wrote
    was left in place, with the new file left there beside the earlier other one."""
    from reportgen.core import outfiles
    from reportgen.core.errors import InputError
    from reportgen.core.heldfolder import HeldFolder

    folder, moved = tmp_path / "project", tmp_path / "renamed"
    folder.mkdir()
    (folder / "a.xlsx").write_text("earlier a")
    (folder / "b.yaml").write_text("earlier b")
    _before_the_second(monkeypatch, "_move_in", lambda: folder.rename(moved))

    def immutable(self, source: str, target: str) -> None:
        raise PermissionError(1, "Operation not permitted")

    monkeypatch.setattr(HeldFolder, "replace", immutable)
    caplog.set_level(logging.WARNING, "reportgen.files")
    with pytest.raises(InputError) as refused:
        outfiles.write_together(_two_new(folder), lambda: None, text=True, replace=True)
    left = _listing(moved)
    kept = [n for n in left if n.startswith(".a.xlsx.") and n.endswith(".kept")]
    assert left["a.xlsx"] == "a.xlsx" and [left[n] for n in kept] == ["earlier a"]
    assert f"{moved / 'a.xlsx'} could not be put back as it was" in caplog.text, caplog.text
    assert f"the earlier file is kept as {moved / kept[0]}" in caplog.text, caplog.text
    details = " ".join(refused.value.details)
    assert "the new a.xlsx could not be taken back and is in place there now" in details
    assert "nothing reportgen wrote was left in place" not in details


def test_a_copy_of_the_earlier_file_cut_short_by_a_full_disk_is_not_left(tmp_path, monkeypatch):
    """Pass 51b F1: no hard links, and the disk full as init --force copied the earlier
    inventory to its second name: exit 2, and the half-made copy was left for good, unnamed
    (its note removed, no later run would)."""
    import errno
    import shutil

    from reportgen.core import outfiles
    from reportgen.core.errors import InputError

    folder = tmp_path / "project"
    folder.mkdir()
    (folder / "a.xlsx").write_text("earlier a" * 1000)
    (folder / "b.yaml").write_text("earlier b")

    def no_link(*args, **kwargs):
        raise OSError(errno.EPERM, "Operation not permitted")

    def full(source, target, *args):
        target.write(b"earl")
        target.flush()
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "link", no_link)
    monkeypatch.setattr(shutil, "copyfileobj", full)
    with pytest.raises(InputError) as refused:
        outfiles.write_together(_two_new(folder), lambda: None, text=True, replace=True)
    assert "no space left" in str(refused.value).lower(), str(refused.value)
    assert _listing(folder) == {"a.xlsx": "earlier a" * 1000, "b.yaml": "earlier b"}


def test_an_earlier_file_swapped_for_a_fifo_before_its_copy_is_refused(tmp_path, monkeypatch):
    """Pass 52b F1: no hard links, and the earlier file swapped for a FIFO (or a socket)
    just before it was copied to its second name: "internal error: SpecialFileError"."""
    import errno

    from reportgen.core import outfiles
    from reportgen.core.errors import InputError

    folder = tmp_path / "project"
    folder.mkdir()
    (folder / "a.xlsx").write_text("earlier a")
    (folder / "b.yaml").write_text("earlier b")

    def no_link(*args, **kwargs):
        raise OSError(errno.EPERM, "Operation not permitted")

    def swapped() -> None:
        (folder / "b.yaml").unlink()
        os.mkfifo(folder / "b.yaml")

    monkeypatch.setattr(os, "link", no_link)
    _before_the_second(monkeypatch, "_keep_earlier", swapped)
    with pytest.raises(InputError) as refused:
        outfiles.write_together(_two_new(folder), lambda: None, text=True, replace=True)
    assert "FIFO" in str(refused.value), str(refused.value)
    assert _listing_without(folder, "b.yaml") == {"a.xlsx": "earlier a"}


def test_an_earlier_file_swapped_for_a_fifo_after_its_check_does_not_block(tmp_path, monkeypatch):
    """Pass 53b B7: no hard links, and the earlier file swapped for a FIFO after it was
    checked, before the copy opened it: init --force blocked in the open for good, SIGTERM
    held. The copy is now made from the file opened (without waiting) and checked."""
    import errno
    import threading
    import time

    from reportgen.core import outfiles
    from reportgen.core.errors import InputError

    folder = tmp_path / "project"
    folder.mkdir()
    (folder / "a.xlsx").write_text("earlier a")
    (folder / "b.yaml").write_text("earlier b")
    target, regular = folder / "b.yaml", os.stat(folder / "b.yaml")
    real_stat, real_lstat, swaps = os.stat, os.lstat, []

    def no_link(source, *args, **kwargs):
        if Path(source) == target:
            swaps.append(True)
        raise OSError(errno.EPERM, "Operation not permitted")

    def checked_then_swapped(real):
        def stat(path, *args, **kwargs):
            if not swaps or Path(os.fsdecode(path)) != target:
                return real(path, *args, **kwargs)
            if swaps[-1]:  # every check by path sees the file it checked; the swap follows
                target.unlink()
                os.mkfifo(target)
                swaps.append(False)
            return regular

        return stat

    blocked = []

    def unblock() -> None:  # a copy blocked in opening the FIFO: a writer lets it go on
        time.sleep(3)
        with contextlib.suppress(OSError):
            os.close(os.open(target, os.O_WRONLY | os.O_NONBLOCK))
            blocked.append(True)

    monkeypatch.setattr(os, "link", no_link)
    monkeypatch.setattr(os, "stat", checked_then_swapped(real_stat))
    monkeypatch.setattr(os, "lstat", checked_then_swapped(real_lstat))
    threading.Thread(target=unblock, daemon=True).start()
    with pytest.raises(InputError) as refused:
        outfiles.write_together(_two_new(folder), lambda: None, text=True, replace=True)
    monkeypatch.undo()
    assert "FIFO" in str(refused.value) and not blocked, str(refused.value)
    assert _listing_without(folder, "b.yaml") == {"a.xlsx": "earlier a"}


@pytest.mark.parametrize("mode", [0o600, 0o640, 0o444])
def test_a_copy_of_the_earlier_file_keeps_its_mode_and_is_put_back_so(tmp_path, monkeypatch, mode):
    """Pass 54b B1: no hard links, the second move failed: the earlier snapshot, private
    (0600), was put back from its copy readable by all (0644), and the copy was so while
    the run lasted."""
    import errno
    import stat

    from reportgen.core import outfiles
    from reportgen.core.errors import InputError

    folder = tmp_path / "project"
    folder.mkdir()
    for name in ("a.xlsx", "b.yaml"):
        (folder / name).write_text(f"earlier {name}")
        (folder / name).chmod(mode)
    modes = []

    def no_link(*args, **kwargs):
        raise OSError(errno.EPERM, "Operation not permitted")

    def failed() -> None:
        modes.extend(stat.S_IMODE(p.stat().st_mode) for p in folder.glob(".*.kept"))
        raise OSError(errno.EIO, "Input/output error")

    monkeypatch.setattr(os, "link", no_link)
    _before_the_second(monkeypatch, "_move_in", failed)
    with pytest.raises(InputError):
        outfiles.write_together(_two_new(folder), lambda: None, text=True, replace=True)
    assert modes and set(modes) == {mode}, [oct(m) for m in modes]
    for name in ("a.xlsx", "b.yaml"):
        assert stat.S_IMODE((folder / name).stat().st_mode) == mode, name
        assert (folder / name).read_text() == f"earlier {name}"


def _failed_without_links(monkeypatch, folder: Path) -> list[os.stat_result]:
    """write_together over a.xlsx and b.yaml in ``folder`` with no hard links, its second
    move failing (EIO); the stats of the second names as they were then."""
    import errno

    from reportgen.core import outfiles
    from reportgen.core.errors import InputError

    kept = []

    def no_link(*args, **kwargs):
        raise OSError(errno.EPERM, "Operation not permitted")

    def failed() -> None:
        kept.extend(p.stat() for p in folder.glob(".*.kept"))
        raise OSError(errno.EIO, "Input/output error")

    monkeypatch.setattr(os, "link", no_link)
    _before_the_second(monkeypatch, "_move_in", failed)
    with pytest.raises(InputError):
        outfiles.write_together(_two_new(folder), lambda: None, text=True, replace=True)
    monkeypatch.undo()
    return kept


def test_a_copy_of_the_earlier_file_keeps_its_extended_attributes(tmp_path, monkeypatch):
    """Pass 55b B2: the copy put back lost the earlier file's ACL (an extended attribute),
    and a user it denied could read the file again."""
    folder = tmp_path / "project"
    folder.mkdir()
    for name in ("a.xlsx", "b.yaml"):
        (folder / name).write_text(f"earlier {name}")
        try:
            os.setxattr(folder / name, "user.reportgen-test", b"kept")
        except OSError:
            pytest.skip("this file system takes no user extended attributes")
    _failed_without_links(monkeypatch, folder)
    for name in ("a.xlsx", "b.yaml"):
        assert os.getxattr(folder / name, "user.reportgen-test") == b"kept", name


def _earlier_pair(tmp_path: Path, uid: int, gid: int, mode: int) -> Path:
    """A folder holding a.xlsx and b.yaml, each of ``uid``:``gid`` and ``mode``."""
    folder = tmp_path / "project"
    folder.mkdir()
    for name in ("a.xlsx", "b.yaml"):
        (folder / name).write_text(f"earlier {name}")
        os.chown(folder / name, uid, gid)
        (folder / name).chmod(mode)
    return folder


@pytest.mark.skipif(os.geteuid() != 0, reason="gives a file to another user")
def test_a_copy_that_cannot_keep_its_owner_loses_its_set_id_bits(tmp_path, monkeypatch, caplog):
    """Pass 55b B8: a 4755 file of uid 1000 was put back by a runner that may not chown as
    a setuid file of the runner's, nothing said."""
    import stat

    folder = _earlier_pair(tmp_path, 1000, 1000, 0o4755)

    def refused(fd, uid, gid):
        raise PermissionError(1, "Operation not permitted")

    monkeypatch.setattr(os, "fchown", refused)
    caplog.set_level(logging.WARNING)
    kept = _failed_without_links(monkeypatch, folder)
    assert kept and all(stat.S_IMODE(k.st_mode) == 0o755 for k in kept), kept
    assert "owned by you, not by its owner (uid 1000)" in caplog.text


@pytest.mark.skipif(os.geteuid() != 0, reason="gives a file to another group")
def test_a_copy_that_cannot_keep_its_group_loses_its_setgid_bit(tmp_path, monkeypatch):
    """Pass 56b: a 2755 file of a group the runner is not in came back setgid to the
    runner's group, nothing said."""
    import stat

    folder = _earlier_pair(tmp_path, 0, 1000, 0o2755)
    real = os.fchown

    def no_group(fd, uid, gid):
        if gid != -1:
            raise PermissionError(1, "Operation not permitted")
        real(fd, uid, gid)

    monkeypatch.setattr(os, "fchown", no_group)
    kept = _failed_without_links(monkeypatch, folder)
    assert kept and all(stat.S_IMODE(k.st_mode) == 0o755 for k in kept), kept


def _listing_without(folder: Path, name: str) -> dict[str, str]:
    return {p.name: p.read_text() for p in sorted(folder.iterdir()) if p.name != name}


@pytest.mark.parametrize("moved_too", [True, False], ids=["moved", "in-place"])
def test_a_folder_made_immutable_between_two_moves_says_what_is_in_place(
    tmp_path, monkeypatch, caplog, moved_too
):
    """Pass 50b F1: init --force held at its second move, its folder (moved, or not) then
    made immutable: removing the temporary files failed too, and that "operation not
    permitted", naming a temporary file, replaced the move's own error and the words saying
    the new file was left in place. Now the move's error is the one said, and each
    temporary file left is named in a warning."""
    from reportgen.core import outfiles
    from reportgen.core.errors import InputError

    folder = tmp_path / "project"
    where = tmp_path / "renamed" if moved_too else folder
    folder.mkdir()
    (folder / "a.xlsx").write_text("earlier a")
    (folder / "b.yaml").write_text("earlier b")

    def made_immutable() -> None:
        if moved_too:
            folder.rename(where)
        if subprocess.run(["chattr", "+i", str(where)], capture_output=True).returncode:
            pytest.skip("chattr +i is not available here")

    _before_the_second(monkeypatch, "_move_in", made_immutable)
    caplog.set_level(logging.WARNING, "reportgen.files")
    try:
        with pytest.raises(InputError) as refused:
            outfiles.write_together(_two_new(folder), lambda: None, text=True, replace=True)
    finally:
        subprocess.run(["chattr", "-i", str(where)], capture_output=True, check=False)
    said = str(refused.value) + " ".join(refused.value.details)
    assert said.startswith(f"{folder / 'b.yaml'}: "), said  # the move's error, not a removal's
    reason = "no such file or directory" if moved_too else "operation not permitted"
    assert reason in said.lower(), said
    left = [n for n in _listing(where) if n.startswith(".b.yaml.") and "." not in n[8:]]
    assert left and f"{where / left[0]}: this temporary file could not be removed" in caplog.text
    for kept in (n for n in _listing(where) if n.endswith(".kept")):
        assert str(where / kept) in caplog.text, caplog.text  # every file left is named
    if moved_too:
        assert "the new a.xlsx could not be taken back and is in place there now" in said, said
    assert _listing(where)["b.yaml"] == "earlier b"


def test_a_failed_exchange_in_a_folder_moved_meanwhile_says_its_own_error(tmp_path, monkeypatch):
    """Pass 43b A2m: the second exchange failing (EIO) as the folder was moved, putting the
    new file back under its temporary name, by path, failed: its ENOENT hid the EIO, and the
    message said the temporary file was removed, which it was not."""
    from reportgen.core import outfiles
    from reportgen.core.errors import InputError

    folder, moved = tmp_path / "project", tmp_path / "renamed"
    folder.mkdir()
    (folder / "a.xlsx").write_text("earlier a")
    (folder / "b.yaml").write_text("earlier b")

    def moved_then_failing() -> None:
        folder.rename(moved)
        raise OSError(5, "Input/output error")

    _before_the_second(monkeypatch, "exchange", moved_then_failing)
    with pytest.raises(InputError) as refused:
        outfiles.write_together(_two_new(folder), lambda: None, text=True, replace=True)
    said = str(refused.value)
    assert "input/output error" in said.lower() and "no such file" not in said, said
    assert "the temporary file was removed" not in said
    assert _listing(moved)["a.xlsx"] == "earlier a" and _listing(moved)["b.yaml"] == "earlier b"


def test_a_note_made_before_its_second_names_names_none_of_them(tmp_path):
    """Pass 42b F1: killed after writing its note, before making the second names, then the
    file at a name edited: the next run said its earlier version was kept as a second name
    that was never made."""
    folder = _pair(tmp_path)
    _killed(folder, "_keep_earlier", 1, NEW, replace=True)
    with (folder / "snap.csv").open("a") as edited:
        edited.write("a row the user added\n")
    said = settle_killed(folder)
    assert not [s for s in said if "kept as" in s], said
    assert _listing(folder)["snap.csv"] == "old rows\na row the user added\n"


def test_a_new_file_edited_after_its_pair_was_killed_half_moved_is_said(tmp_path):
    """Pass 46b: init killed between its two files, the new inventory then edited: the next
    run settled the note without a word, though the pair was half there (the config never
    written) and the file changed since."""
    folder = tmp_path / "project"
    folder.mkdir()
    _killed(folder, "_move_in", 2, {"inventory.xlsx": "sheet", "reportgen.yaml": "config"},
            replace=False)  # fmt: skip
    with (folder / "inventory.xlsx").open("a") as edited:
        edited.write(" and a row of mine")
    said = settle_killed(folder)
    assert _listing(folder) == {"inventory.xlsx": "sheet and a row of mine"}
    assert any(
        f"{folder / 'inventory.xlsx'} is neither what it wrote nor what was there before "
        f"(edited or made since); {folder / 'reportgen.yaml'} was not moved in: check that "
        "the files agree" in s
        for s in said
    ), said


def test_an_earlier_file_kept_by_a_killed_run_stays_when_the_new_one_was_edited(tmp_path):
    """Pass 34b: killed with one file of two moved, the new inventory then edited in place:
    the next run removed the second name, the only copy of the earlier inventory, unsaid."""
    folder = _pair(tmp_path)
    _killed(folder, "_move_in", 2, NEW, replace=True)
    with (folder / "snap.csv").open("a") as edited:
        edited.write("a row the user added\n")
    said = settle_killed(folder)
    kept = [n for n in _listing(folder) if n.endswith(".kept") and "snap.csv." in n]
    assert len(kept) == 1 and _listing(folder)[kept[0]] == "old rows\n"
    assert any(f"its earlier version is kept as {folder / kept[0]}" in s for s in said), said


def test_a_second_name_that_is_a_link_is_not_put_back(tmp_path):
    """Pass 34a: a note naming a link as the second name had it put back over the user's
    file (its identity copied into the note)."""
    folder = tmp_path / "out"
    folder.mkdir()
    (folder / "s.csv").write_text("the user's rows")
    kept = folder / ".s.csv.0123456789ab.kept"
    kept.symlink_to("/etc/hostname")
    _note(folder, [Moving("s.csv", f"{TEMPORARY}0a0b0c0d", _identity(folder / "s.csv"),
                          (1,) * 4, kept.name, _identity(kept)),
                   Moving("b.zip", f"{TEMPORARY}00000000", (1,) * 4, None)])  # fmt: skip
    settle_killed(folder)
    assert (folder / "s.csv").read_text() == "the user's rows" and kept.is_symlink()


@pytest.mark.parametrize("nth", [3, 4])
def test_a_pair_moved_whole_then_one_edited_is_not_rolled_back(tmp_path, nth):
    """Pass 36a F3: killed after both moves, one file then edited: the other was rolled back
    to the earlier version, with a false "had moved only some of them"."""
    folder = _pair(tmp_path)
    _killed(folder, "_discard", nth, NEW, replace=True)
    assert {n: t for n, t in _listing(folder).items() if n[0] != "."} == NEW
    with (folder / "snap.csv").open("a") as edited:
        edited.write("a row the user added\n")
    said = settle_killed(folder)
    left = _listing(folder)
    assert left["snap.csv"] == "new rows\na row the user added\n"
    assert left["snap.csv.source.json"] == _NEW_SIDECAR
    assert not any("moved only some" in s for s in said), said
    assert any(f"{folder / 'snap.csv'} changed since, so nothing was put back" in s for s in said)


def _pair_failing(monkeypatch, folder: Path, first: Callable[[], object] = lambda: None) -> list:
    """a.yaml and b.csv to write together in ``folder``, the move of b.csv failing as a
    full disk does, after ``first`` (what a user does in that instant)."""
    from reportgen.core import outfiles
    from reportgen.core.errors import environment_errors

    move_in = outfiles._move_in

    def failing(temporary, path, replace, checked):
        if path.name == "b.csv":
            first()
            with environment_errors(path):
                raise OSError(28, "No space left on device")
        return move_in(temporary, path, replace, checked)

    monkeypatch.setattr(outfiles, "_move_in", failing)
    return [(folder / "a.yaml", lambda h: h.write("new a")),
            (folder / "b.csv", lambda h: h.write("new b"))]  # fmt: skip


@pytest.mark.parametrize("earlier", [False, True])
def test_a_file_saved_between_two_moves_stays_when_they_are_undone(
    tmp_path, monkeypatch, caplog, earlier
):
    """Pass 36b C15/C16: the second move failing, undoing the first removed the file the
    user had saved at its name since (init), or put the earlier file back over it (--force).
    Pass 41b: then the earlier file's second name, its only copy, was removed unsaid."""
    from reportgen.core import outfiles
    from reportgen.core.errors import InputError

    caplog.set_level(logging.WARNING, "reportgen.files")
    folder = tmp_path / "out"
    folder.mkdir()
    if earlier:
        (folder / "a.yaml").write_text("earlier a")
        (folder / "b.csv").write_text("earlier b")
    outputs = _pair_failing(monkeypatch, folder, lambda: (folder / "a.yaml").write_text(
        "the user's own a, saved just now"))  # fmt: skip
    with pytest.raises(InputError):
        outfiles.write_together(outputs, lambda: None, text=True)
    left = {n: t for n, t in _listing(folder).items() if not n.startswith(".")}
    assert left["a.yaml"] == "the user's own a, saved just now"
    assert left.get("b.csv") == ("earlier b" if earlier else None)
    kept = [n for n in _listing(folder) if n.endswith(".kept")]
    assert [_listing(folder)[n] for n in kept] == (["earlier a"] if earlier else [])
    if earlier:
        assert f"the earlier file is kept as {folder / kept[0]}" in caplog.text


def test_a_second_name_stays_when_nothing_is_put_back(tmp_path):
    """Pass 37a J2: init --force killed between its moves, the user's own inventory (not yet
    moved) then edited: nothing was put back, but the second name keeping the earlier config,
    its only copy, was removed."""
    folder = tmp_path / "project"
    folder.mkdir()
    (folder / "reportgen.yaml").write_text("new config")
    kept = folder / ".reportgen.yaml.0123456789ab.kept"
    kept.write_text("the user's earlier config")
    (folder / "inventory.xlsx").write_text("the user's inventory")
    (folder / ".inventory.xlsx.abcdef12").write_text("new inventory")
    _note(folder, [Moving("reportgen.yaml", ".reportgen.yaml.11111111",
                          _identity(folder / "reportgen.yaml"), _identity(kept), kept.name,
                          _identity(kept)),
                   Moving("inventory.xlsx", ".inventory.xlsx.abcdef12",
                          _identity(folder / ".inventory.xlsx.abcdef12"),
                          _identity(folder / "inventory.xlsx"))])  # fmt: skip
    with (folder / "inventory.xlsx").open("a") as edited:
        edited.write(", edited since")
    said = settle_killed(folder)
    assert kept.read_text() == "the user's earlier config"
    assert (folder / "inventory.xlsx").read_text() == "the user's inventory, edited since"
    assert any(f"the earlier {folder / 'reportgen.yaml'} is kept as {kept}" in s for s in said)


def test_a_file_not_yet_moved_edited_in_place_is_not_called_its_earlier_version(tmp_path):
    """Pass 41b W2: killed between the moves, the file not yet moved then edited in place:
    its second name, a hard link to it, was said to keep "its earlier version"."""
    folder = _pair(tmp_path)
    _killed(folder, "_move_in", 2, NEW, replace=True)
    with (folder / "snap.csv.source.json").open("a") as edited:
        edited.write("edited in place\n")
    said = settle_killed(folder)
    assert not [s for s in said if f"kept as {folder / '.snap.csv.source.json.'}" in s], said
    left = _listing(folder)
    assert left["snap.csv.source.json"] == _OLD_SIDECAR + "edited in place\n"
    assert not [name for name in left if name.startswith(".snap.csv.source.json.")], left


def test_a_note_naming_no_file_that_is_there_says_nothing(tmp_path):
    """Pass 37b: a note written by hand with made-up identities had the next run warn that
    the user's secret.txt "was changed", its earlier version kept as a file planted there."""
    folder = tmp_path / "out"
    folder.mkdir()
    (folder / "secret.txt").write_text("precious")
    (folder / ".secret.txt.0123456789ab.kept").write_text("planted")
    (folder / ".secret.txt.0123abcd").write_text("planted too")
    _note(folder, [Moving("secret.txt", ".secret.txt.0123abcd", (1, 2, 3, 4), None,
                          ".secret.txt.0123456789ab.kept", (5, 6, 7, 8))])  # fmt: skip
    assert settle_killed(folder) == []
    left = _listing(folder)
    assert left[".secret.txt.0123456789ab.kept"] == "planted" and left["secret.txt"] == "precious"
    assert left[".secret.txt.0123abcd"] == "planted too"


def test_a_second_name_that_cannot_be_removed_hides_not_the_error(tmp_path, monkeypatch, caplog):
    """Pass 37b: reportgen.yaml made immutable between init --force's two moves: the second
    name of it could not be removed, and that error replaced the real one, naming the
    other file; the second name stayed, unsaid."""
    from reportgen.core import outfiles
    from reportgen.core.errors import InputError

    folder = tmp_path / "out"
    folder.mkdir()
    (folder / "a.yaml").write_text("earlier a")
    (folder / "b.csv").write_text("earlier b")
    unlink = Path.unlink

    def immutable(self, missing_ok=False):
        if self.name.endswith(".kept"):
            raise PermissionError(1, "Operation not permitted")
        return unlink(self, missing_ok=missing_ok)

    outputs = _pair_failing(monkeypatch, folder)
    monkeypatch.setattr(Path, "unlink", immutable)
    caplog.set_level(logging.WARNING, "reportgen.files")
    with pytest.raises(InputError) as refused:
        outfiles.write_together(outputs, lambda: None, text=True)
    assert refused.value.file == str(folder / "b.csv"), str(refused.value)
    assert "could not be removed (Operation not permitted)" in caplog.text


def test_a_second_name_not_put_back_is_kept_and_named(tmp_path, monkeypatch):
    """Pass 38b A: init --force killed between its moves, the new file then made immutable:
    putting the earlier one back failed, and its second name, the only copy, was removed
    with the leftovers; the warning said only "could not be put back"."""
    from reportgen.core import movejournal

    folder = _pair(tmp_path)
    _killed(folder, "_move_in", 2, NEW, replace=True)
    replace = os.replace

    def immutable(source, target, *args, **kwargs):
        if str(target).endswith("snap.csv"):
            raise PermissionError(1, "Operation not permitted")
        return replace(source, target, *args, **kwargs)

    monkeypatch.setattr(movejournal.os, "replace", immutable)
    said = settle_killed(folder)
    kept = [n for n in _listing(folder) if n.endswith(".kept") and n.startswith(".snap.csv.")]
    assert len(kept) == 1 and _listing(folder)[kept[0]] == "old rows\n"
    assert any(f"is kept as {folder / kept[0]}" in s for s in said), said


def test_an_earlier_file_not_put_back_by_a_failed_run_keeps_its_second_name(
    tmp_path, monkeypatch, caplog
):
    """Pass 38b B: the second move failing, putting the first file's earlier version back
    failed too (the new file made immutable): its second name, the only copy, was removed
    as the run failed, unsaid."""
    from reportgen.core import outfiles
    from reportgen.core.errors import InputError

    folder = tmp_path / "out"
    folder.mkdir()
    (folder / "a.yaml").write_text("earlier a")
    (folder / "b.csv").write_text("earlier b")
    replace = os.replace

    def immutable(source, target, *args, **kwargs):
        if str(target).endswith("a.yaml") and str(source).endswith(".kept"):
            raise PermissionError(1, "Operation not permitted")
        return replace(source, target, *args, **kwargs)

    outputs = _pair_failing(monkeypatch, folder)
    monkeypatch.setattr(outfiles.os, "replace", immutable)
    caplog.set_level(logging.WARNING, "reportgen.files")
    with pytest.raises(InputError):
        outfiles.write_together(outputs, lambda: None, text=True)
    kept = [n for n in _listing(folder) if n.endswith(".kept")]
    assert len(kept) == 1 and _listing(folder)[kept[0]] == "earlier a"
    assert f"the earlier file is kept as {folder / kept[0]}" in caplog.text


def test_a_leftover_that_cannot_be_removed_silences_nothing(tmp_path, monkeypatch):
    """Pass 39b: a second name made immutable, the next run put the earlier file back and
    said nothing (the error of its removal ended settling, and every sentence with it)."""
    from reportgen.core import movejournal

    folder = _pair(tmp_path)
    _killed(folder, "_move_in", 2, NEW, replace=True)
    unlink = os.unlink

    def immutable(path, *args, **kwargs):
        if str(path).endswith(".kept"):
            raise PermissionError(1, "Operation not permitted")
        return unlink(path, *args, **kwargs)

    monkeypatch.setattr(movejournal.os, "unlink", immutable)
    said = settle_killed(folder)
    assert _listing(folder)["snap.csv"] == "old rows\n"
    assert any("had moved only some of them; the earlier" in s for s in said), said
    assert any("could not be removed (Operation not permitted)" in s for s in said), said


@pytest.mark.skipif(os.geteuid() != 0, reason="sets a file capability")
def test_a_copy_of_the_earlier_file_keeps_its_capability(tmp_path, monkeypatch):
    """Pass 57b F3: the copy's access was set before its bytes, still buffered, were
    written, and the write dropped the file capability (and, but for root, set-id bits):
    the file put back after a failed move had lost them, nothing said."""
    import struct

    folder = tmp_path / "project"
    folder.mkdir()
    capability = struct.pack("<5I", 0x02000001, 1 << 10, 0, 0, 0)  # cap_net_bind_service+ep
    for name in ("a.xlsx", "b.yaml"):
        (folder / name).write_text(f"earlier {name}")
        try:
            os.setxattr(folder / name, "security.capability", capability)
        except OSError:
            pytest.skip("this file system takes no file capability")
    _failed_without_links(monkeypatch, folder)
    for name in ("a.xlsx", "b.yaml"):
        assert os.getxattr(folder / name, "security.capability") == capability, name


def test_a_note_written_again_shorter_is_whole_json_at_every_moment(tmp_path, monkeypatch):
    """Pass 62b: a note written again with less text was cut to length after the write; a
    kill between the two left the end of its earlier text after the new one, no JSON, and
    later runs left it as not theirs, with the second names of the user's files it listed."""
    from reportgen.core import movejournal

    new, old = (1, 2, 3, 4), (1, 2, 3, 5)
    longer = [Moving("a.csv", ".a.csv.0a0b0c0d", new, old, ".a.csv.0123456789ab.kept", old)]
    shorter = [Moving("a.csv", ".a.csv.0a0b0c0d", new, old)]

    def killed(fd: int, length: int) -> None:
        raise KeyboardInterrupt  # where a SIGKILL would stop it

    with movejournal.noted(tmp_path, longer) as note:
        monkeypatch.setattr(movejournal.os, "ftruncate", killed)
        with contextlib.suppress(KeyboardInterrupt):
            note.say(shorter)
        [path] = [p for p in tmp_path.iterdir() if JOURNAL_MARK in p.name]
        written = json.loads(path.read_bytes())
    assert written["files"][0]["kept"] is None, written


def _nfs_flock(module, monkeypatch) -> None:
    """Give ``module`` a flock that refuses an exclusive lock on a descriptor open for
    reading only (EBADF), as a Linux NFS client does (man 2 flock)."""
    import errno
    import types

    def flock(fd: int, operation: int) -> None:
        if operation & fcntl.LOCK_EX and fcntl.fcntl(fd, fcntl.F_GETFL) & os.O_ACCMODE == 0:
            raise OSError(errno.EBADF, os.strerror(errno.EBADF))
        fcntl.flock(fd, operation)

    monkeypatch.setattr(module, "fcntl", types.SimpleNamespace(**{**vars(fcntl), "flock": flock}))


def test_a_killed_pair_is_put_back_where_locks_need_writing(tmp_path, monkeypatch, caplog):
    """Pass 67b F2: the next run opened a killed run's note for reading only, so on NFS
    its lock was refused (EBADF), taken for a live run's, and nothing was ever settled."""
    from reportgen.core import movejournal

    folder = _pair(tmp_path)
    _killed(folder, "_move_in", 2, NEW, replace=True)
    _nfs_flock(movejournal, monkeypatch)
    caplog.set_level(logging.WARNING, "reportgen.files")
    settle_moves(folder)
    assert _listing(folder) == {"snap.csv": "old rows\n", "snap.csv.source.json": _OLD_SIDECAR}


def test_an_abandoned_temporary_is_swept_where_locks_need_writing(tmp_path, monkeypatch):
    """Pass 67b F2: the sweep opened a dead run's temporary file for reading only too."""
    from reportgen.core import sweeping

    left = tmp_path / f"{TEMPORARY}0a1b2c3d"
    left.write_text("half a zip")
    os.utime(left, (1, 1))
    _nfs_flock(sweeping, monkeypatch)
    assert sweeping.sweep_abandoned(tmp_path, TEMPORARY) == [left]
    assert not left.exists()


def test_a_note_whose_lock_is_refused_is_named(tmp_path, monkeypatch):
    """Pass 68b F3: EBADF on the note's lock was an internal error (exit 1)."""
    import errno
    import types

    from reportgen.core import movejournal
    from reportgen.core.errors import InputError

    def flock(fd: int, operation: int) -> None:
        raise OSError(errno.EBADF, os.strerror(errno.EBADF))

    fake = types.SimpleNamespace(**{**vars(fcntl), "flock": flock})
    monkeypatch.setattr(movejournal, "fcntl", fake)
    moving = [Moving("a.csv", ".a.tmp", (0, 0, 0, 0), None)]
    with pytest.raises(InputError) as raised, movejournal.noted(tmp_path, moving):
        pass
    assert raised.value.file == str(tmp_path / "a.csv"), raised.value
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("exchanging", [False, True], ids=["no-exchange", "exchange-fails"])
def test_a_new_file_that_cannot_be_named_back_is_said(tmp_path, monkeypatch, caplog, exchanging):
    """Pass 71b F1: bundle -o over an earlier zip, the folder made immutable just after the
    new zip took its swap name: the exchange refused (EPERM), the new zip could not be given
    back its temporary name either, and it was left under the swap name, with the move's
    note, and neither was named."""
    from reportgen.core import movejournal, outfiles
    from reportgen.core.errors import InputError

    caplog.set_level(logging.WARNING, "reportgen.files")
    target = tmp_path / "b.zip"
    target.write_text("earlier zip")
    rename, unlink = os.rename, os.unlink

    def immutable_rename(source, destination):
        if movejournal.SWAP_MARK in os.fspath(source):
            raise PermissionError(1, "Operation not permitted")
        rename(source, destination)

    def immutable_unlink(path, *args, **kwargs):
        if JOURNAL_MARK in os.fspath(path):
            raise PermissionError(1, "Operation not permitted")
        unlink(path, *args, **kwargs)

    def refused(first: str, second: str) -> bool:
        if exchanging:
            raise OSError(5, "Input/output error", second)
        return False  # EPERM, read as a file system that cannot exchange

    monkeypatch.setattr(outfiles, "exchange", refused)
    monkeypatch.setattr(outfiles.os, "rename", immutable_rename)
    monkeypatch.setattr(movejournal.os, "unlink", immutable_unlink)
    with pytest.raises(InputError):
        outfiles.write_replacing(target, lambda out: out.write("new zip"), lambda: None, text=True)
    monkeypatch.undo()
    left = {p.name: p.read_text() for p in tmp_path.iterdir() if p.name != "b.zip"}
    swaps = [name for name in left if movejournal.SWAP_MARK in name]
    notes = [name for name in left if JOURNAL_MARK in name]
    assert [left[name] for name in swaps] == ["new zip"] and len(notes) == 1, left
    assert f"{tmp_path / swaps[0]}: the new file, not put in place" in caplog.text, caplog.text
    assert f"{tmp_path / notes[0]}: this note of the files being moved could not be" in (
        caplog.text
    )
    assert target.read_text() == "earlier zip"


def test_a_stop_signal_while_settling_waits_until_what_was_put_back_is_said(
    tmp_path, monkeypatch, caplog
):
    """Pass 73b F1: init given SIGTERM (or Ctrl-C) while it settled a killed run's note put
    the earlier file back and said only "terminated": the sentence saying so was dropped,
    and no later run said it."""
    import signal

    from reportgen.core import outfiles

    def interrupted(folder):
        os.kill(os.getpid(), signal.SIGINT)  # as the file is put back
        return [f"{folder / 'inventory.xlsx'}: the earlier file put back"]

    caplog.set_level(logging.WARNING, "reportgen.files")
    monkeypatch.setattr(outfiles, "settle_killed", interrupted)
    with _interruptible(), pytest.raises(KeyboardInterrupt):
        outfiles.settle_moves(tmp_path)
    assert f"{tmp_path / 'inventory.xlsx'}: the earlier file put back" in caplog.text


@pytest.mark.parametrize(("name", "raised"), [("system.posix_acl_access", True), ("user.x", False)])
def test_an_acl_a_kept_copy_cannot_take_is_raised(monkeypatch, name, raised):
    """Pass 74b F1: on a file system without hard links the earlier file is kept as a copy;
    its ACL failing to be set (EIO) was passed over, and the copy put back after a failed
    run let its group in. Other attributes stay best effort."""
    import errno

    from reportgen.core import outfiles

    def failing(*args):
        raise OSError(errno.EIO, "Input/output error")

    monkeypatch.setattr(outfiles.os, "listxattr", lambda fd: [name])
    monkeypatch.setattr(outfiles.os, "getxattr", lambda fd, attribute: b"\x02\x00\x00\x00")
    monkeypatch.setattr(outfiles.os, "setxattr", failing)
    monkeypatch.setattr(outfiles.os, "removexattr", lambda *args: None)
    if raised:
        with pytest.raises(OSError):
            outfiles._same_attributes(3, 4)
    else:
        outfiles._same_attributes(3, 4)


def test_a_stop_signal_while_a_pack_is_put_back_waits_until_it_is_said(
    tmp_path, monkeypatch, caplog
):
    """Pass 74b F2: build --previous PACK, where a killed build moved the pack aside, given
    SIGTERM as it put the pack back: it said only "terminated", the note saying the pack was
    moved and put back being printed as a build ends."""
    import signal

    from reportgen.pack import write

    pack = tmp_path / "pack"

    def put_back(missing, notes, retired_too):
        pack.mkdir()
        os.kill(os.getpid(), signal.SIGINT)  # as it is renamed back

    caplog.set_level(logging.WARNING, "reportgen.pack")
    monkeypatch.setattr(write, "retired_beside", lambda path: tmp_path / ".retired")
    monkeypatch.setattr(write, "pack_lock", lambda path: contextlib.nullcontext())
    monkeypatch.setattr(write, "clean_stale", put_back)
    notes: list[str] = []
    with _interruptible(), pytest.raises(KeyboardInterrupt):
        write.put_back_before_reading([pack / "soc2" / "matrix.json"], notes)
    assert f"the pack at {pack} was put back from beside it" in caplog.text, caplog.text


@contextlib.contextmanager
def _interruptible():
    """Ctrl-C raising KeyboardInterrupt here, as in a terminal: a shell's background job
    (CI's, a detached run's) starts with SIGINT ignored, and the signal was then lost."""
    import signal

    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
