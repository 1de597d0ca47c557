"""A workbook whose zip layout two readers could read differently is refused before any
part is measured (fifth adversarial pass: a 3 KB file holding two directories was read by
the guard, through Python's zipfile, as a harmless workbook, and by calamine's zip crate
as a hidden one with cells at A1 and XFD1048576, which aborted the process)."""

from __future__ import annotations

import io
import struct
import warnings
import zipfile
from collections.abc import Callable
from pathlib import Path

import hostile_files as hf
import pytest
from packhelpers import run

EOCD = struct.Struct("<IHHHHIIH")


def _end(data: bytes) -> tuple[int, tuple]:
    at = data.rfind(b"PK\x05\x06")
    return at, EOCD.unpack_from(data, at)


def _two_directories(tmp_path: Path, end: Callable[[int, int, int], bytes]) -> bytes:
    """The far-apart-cells workbook, then a harmless one whose directory is read last."""
    evil = hf.far_apart_cells(tmp_path / "evil.xlsx").read_bytes()
    good = hf.write_rows(tmp_path / "good.xlsx", hf.BASE_ROWS).read_bytes()
    _, (_, _, _, _, count, size, offset, _) = _end(good)
    entries, directory = good[:offset], bytearray(good[offset : offset + size])
    i = 0
    while i < len(directory):  # the harmless parts now start after the hidden workbook
        names = struct.unpack_from("<HHH", directory, i + 28)
        (local,) = struct.unpack_from("<I", directory, i + 42)
        struct.pack_into("<I", directory, i + 42, local + len(evil))
        i += 46 + sum(names)
    return evil + entries + bytes(directory) + end(count, len(directory), len(evil) + offset)


def _entries_on_disk_zero(count: int, size: int, offset: int) -> bytes:
    return EOCD.pack(0x06054B50, 0, 0, 0, count, size, offset, 0)


def _comment_past_the_end(count: int, size: int, offset: int) -> bytes:
    return EOCD.pack(0x06054B50, 0, 0, count, count, size, offset, 7)


def _valid_end(count: int, size: int, offset: int) -> bytes:
    return EOCD.pack(0x06054B50, 0, 0, count, count, size, offset, 0)


def _comment_holding_an_end(tmp_path: Path) -> bytes:
    data = hf.write_rows(tmp_path / "c.xlsx", hf.BASE_ROWS).read_bytes()
    at, fields = _end(data)
    inner = EOCD.pack(0x06054B50, 0, 0, 0, 0, 0, 0, 0)
    return data[:at] + EOCD.pack(*fields[:-1], len(inner)) + inner


def _gap_between_parts(tmp_path: Path) -> bytes:
    """Bytes no part owns between the last part and the directory (offsets kept true)."""
    data = hf.write_rows(tmp_path / "g.xlsx", hf.BASE_ROWS).read_bytes()
    at, (sig, d, cd, here, total, size, offset, _) = _end(data)
    gap = b"\0" * 64
    return (
        data[:offset]
        + gap
        + data[offset:at]
        + EOCD.pack(sig, d, cd, here, total, size, offset + len(gap), 0)
    )


def _prefixed(tmp_path: Path) -> bytes:
    """A self-extractor style prefix: zipfile reads through it, other readers may not."""
    return b"MZ" + b"\0" * 510 + hf.write_rows(tmp_path / "p.xlsx", hf.BASE_ROWS).read_bytes()


def _two_parts_of_one_name(tmp_path: Path, other: str) -> bytes:
    """A second sheet1 after the first (pass 7): which one a reader takes is its choice."""
    path = hf.write_rows(tmp_path / "d.xlsx", hf.BASE_ROWS)
    with warnings.catch_warnings(), zipfile.ZipFile(path, "a") as archive:
        warnings.simplefilter("ignore")  # zipfile warns of the duplicate it writes
        archive.writestr(other, "<worksheet/>")
    return path.read_bytes()


CASES: dict[str, Callable[[Path], bytes]] = {
    "two-parts-of-one-name": lambda t: _two_parts_of_one_name(t, "xl/worksheets/sheet1.xml"),
    "two-parts-named-apart-by-case": lambda t: _two_parts_of_one_name(t, "XL/Workbook.xml"),
    "two-directories-entries-on-disk-zero": lambda t: _two_directories(t, _entries_on_disk_zero),
    "two-directories-comment-past-the-end": lambda t: _two_directories(t, _comment_past_the_end),
    "two-directories-both-valid": lambda t: _two_directories(t, _valid_end),
    "comment-holding-an-end-record": _comment_holding_an_end,
    "gap-between-parts-and-directory": _gap_between_parts,
    "prefixed": _prefixed,
}


@pytest.fixture
def config(project: Path) -> Path:
    return project / "reportgen.yaml"


@pytest.mark.parametrize("name", list(CASES))
def test_an_ambiguous_archive_is_refused_before_any_reader_sees_it(name, config, tmp_path):
    workbook = tmp_path / f"{name}.xlsx"
    workbook.write_bytes(CASES[name](tmp_path))
    result = run("validate", "--config", config, "--inventory", workbook, check=2, pdf=False)
    text = " ".join(result.stderr.split())
    assert f"{workbook}: this workbook's zip structure can be read in more than one way" in text
    assert "save it again as .xlsx" in text and "Traceback" not in text


def test_a_workbook_with_data_descriptors_is_read(config, tmp_path):
    """Streaming writers put each part's sizes after its data: a layout Excel reads."""
    buffer = io.BytesIO()

    class Unseekable(io.RawIOBase):
        def writable(self) -> bool:
            return True

        def write(self, data) -> int:
            return buffer.write(data)

    with zipfile.ZipFile(Unseekable(), "w", zipfile.ZIP_DEFLATED) as archive:
        source = zipfile.ZipFile(hf.write_rows(tmp_path / "s.xlsx", hf.BASE_ROWS))
        for info in source.infolist():
            archive.writestr(info.filename, source.read(info))
    workbook = tmp_path / "streamed.xlsx"
    workbook.write_bytes(buffer.getvalue())
    assert all(i.flag_bits & 0x8 for i in zipfile.ZipFile(workbook).infolist())
    result = run("validate", "--config", config, "--inventory", workbook, pdf=False)
    assert "rows: 2 (2 resolved" in " ".join(result.stdout.split())
