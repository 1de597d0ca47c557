"""Gzip exports cost what they unpack to, not what their packing makes them cost (fifth
adversarial pass: 100 MB of empty gzip members took 42 s, a 100 MB file name in a header
19 s, whatever --max-export-mb said). The unpacking is reportgen's own (zlib parses each
member in C), bounded by members per unpacked byte and by packed bytes per limit."""

from __future__ import annotations

import gzip
import io
import struct
import time
import zlib
from pathlib import Path

import pytest

from reportgen.core.errors import InputError
from reportgen.inventory.sources import detect
from reportgen.inventory.sources.exportfile import open_export
from reportgen.inventory.sources.gunzip import (
    BYTES_PER_MEMBER,
    FREE_MEMBERS,
    HEADER_ALLOWANCE,
    GunzipReader,
)

BODY = b'{"ResourceTagMappingList": []}'
MB = 1024 * 1024


def _read(data: bytes, limit: int = 1 << 40) -> bytes:
    reader = GunzipReader(io.BytesIO(data), Path("x.json.gz"), limit, "--max-export-mb")
    return b"".join(iter(lambda: reader.read(7777), b""))


def _named(name_bytes: int, body: bytes = BODY) -> bytes:
    """One member whose header carries a file name of ``name_bytes`` bytes."""
    deflate = zlib.compressobj(9, zlib.DEFLATED, -15)
    packed = deflate.compress(body) + deflate.flush()
    head = b"\x1f\x8b\x08\x08\0\0\0\0\0\xff" + b"A" * name_bytes + b"\0"
    return head + packed + struct.pack("<II", zlib.crc32(body), len(body))


def test_what_gzip_writes_is_read_whole():
    text = b"".join(b'{"n": %d}\n' % i for i in range(200_000))
    assert _read(gzip.compress(text)) == text


def test_concatenated_members_and_zero_padding_are_read_as_gzip_reads_them():
    data = gzip.compress(b"one\n") + gzip.compress(b"two\n") + b"\0" * 5000
    assert _read(data) == b"one\ntwo\n"


def test_bgzip_style_blocks_of_64_kb_are_read():
    block = b"x" * 65_536
    data = b"".join(gzip.compress(block) for _ in range(3 * FREE_MEMBERS))
    assert len(_read(data)) == 3 * FREE_MEMBERS * len(block)


def test_empty_members_are_refused_after_the_free_allowance():
    empty = gzip.compress(b"")
    data = empty * (20 * MB // len(empty)) + gzip.compress(BODY)
    reader = GunzipReader(io.BytesIO(data), Path("x.gz"), 1 << 40, "--max-export-mb")
    with pytest.raises(InputError) as caught:
        reader.read(100)
    assert f"holds more than {FREE_MEMBERS:,} members for the 0 bytes" in caught.value.message
    assert reader.packed < 2 * MB  # stopped near the start, not at the end of 20 MB


def test_small_members_are_allowed_one_per_bytes_per_member_unpacked():
    member = gzip.compress(b"y" * BYTES_PER_MEMBER)
    assert len(_read(member * (FREE_MEMBERS * 2))) == FREE_MEMBERS * 2 * BYTES_PER_MEMBER
    tiny = gzip.compress(b"z")
    with pytest.raises(InputError, match="members for the"):
        _read(tiny * (FREE_MEMBERS + 2))


def test_a_huge_file_name_in_a_header_is_refused_past_the_packed_limit():
    data = _named(5 * MB)
    with pytest.raises(InputError) as caught:
        _read(data, limit=1 * MB)
    assert "the gzip file is larger than 1 MB" in caught.value.message
    assert _read(_named(HEADER_ALLOWANCE // 2), limit=1 * MB) == BODY  # within the allowance


@pytest.mark.parametrize(
    ("damage", "said"),
    [
        (lambda d: d[:-3], "is cut short"),
        (lambda d: d[:-8] + b"\0\0\0\0" + d[-4:], "is damaged"),
        (lambda d: d + b"garbage", "is damaged"),
    ],
)
def test_damaged_gzip_is_an_input_error(damage, said):
    with pytest.raises(InputError, match=said):
        _read(damage(gzip.compress(BODY * 100)))


def test_open_export_counts_unpacked_bytes_against_the_limit(tmp_path):
    path = tmp_path / "big.json.gz"
    path.write_bytes(gzip.compress(b" " * (3 * MB)))
    with open_export(path, 2 * MB) as stream, pytest.raises(InputError) as caught:
        while stream.read(MB):
            pass
    assert "more than 2 MB once unpacked" in caught.value.message


@pytest.mark.parametrize("after", [b"\0" * (2 * MB), _named(2 * MB)])
def test_the_head_of_a_gzip_is_sought_within_a_packed_bound(tmp_path, after):
    """Eighth pass: the file type was sniffed with no packed bound, so an empty member
    before 20 GB of zero padding was read to its end whatever --max-export-mb said."""
    path = tmp_path / "export.json.gz"
    path.write_bytes(gzip.compress(b"") + after + gzip.compress(BODY))
    with pytest.raises(InputError) as caught:
        detect(path)
    assert "first 64 KB of content are not in its first 1,088 KB" in caught.value.message


def test_a_sparse_gzip_of_gigabytes_is_refused_at_once(tmp_path):
    path = tmp_path / "export.json.gz"
    with path.open("wb") as out:
        out.write(gzip.compress(b""))
        out.truncate(20 << 30)  # sparse: 20 GB of zero padding, no disk used
    started = time.monotonic()
    with pytest.raises(InputError, match="not an export reportgen reads"):
        detect(path)
    assert time.monotonic() - started < 10  # it read all 20 GB: 173 s


def test_a_gzip_with_some_padding_is_still_sniffed(tmp_path):
    path = tmp_path / "export.json.gz"
    path.write_bytes(gzip.compress(BODY) + b"\0" * 4096)
    assert detect(path).name == "tagging"
