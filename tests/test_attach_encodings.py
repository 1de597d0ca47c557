"""attach against a ticket server that compresses its answers, or sends one that is slow to
parse. reportgen asks for ``Accept-Encoding: identity``; httpx decoded whatever encoding the
server named anyway, before the 16 MB / 64 KB caps counted a byte: a 1.6 KB brotli body
became 2 GB (4.27 GB peak). Now an answer in any other encoding is refused before its body is
read, and the request's deadline covers parsing the answer too."""

from __future__ import annotations

import base64
import json
import struct
import sys
import zlib
from pathlib import Path

import pytest
from attach_support import attach, small_pack
from conftest import MINIMAL_CONFIG, write_config
from fake_tickets import FakeTickets, Fault
from hostile import FIGURES
from measured import measured

from reportgen.tickets import answerjson

MiB = 1 << 20
ZEROS = b"\0" * (16 * MiB)
BOMB_CHUNKS = 64  # 64 x 16 MiB: each bomb unpacks to 1 GiB


def _raw_deflate_of_zeros() -> bytes:
    """Raw deflate of BOMB_CHUNKS x 16 MiB of zeros, built from one chunk: after a full
    flush the compressor starts afresh, so every chunk's blocks are the same bytes."""
    packer = zlib.compressobj(9, zlib.DEFLATED, -15)
    first = packer.compress(ZEROS) + packer.flush(zlib.Z_FULL_FLUSH)
    assert packer.compress(ZEROS) + packer.flush(zlib.Z_FULL_FLUSH) == first
    return first * BOMB_CHUNKS + packer.flush()


def _checksums() -> tuple[int, int]:
    crc, adler = 0, 1
    for _ in range(BOMB_CHUNKS):
        crc, adler = zlib.crc32(ZEROS, crc), zlib.adler32(ZEROS, adler)
    return crc, adler


def _gzip(raw: bytes, crc: int, size: int) -> bytes:
    return b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff" + raw + struct.pack("<II", crc, size)


@pytest.fixture(scope="module")
def bombs() -> dict[str, bytes]:
    """Bodies of 2 KB (br, gzip of gzip) to 1 MB (gzip) that unpack to 1 GiB."""
    raw = _raw_deflate_of_zeros()
    crc, adler = _checksums()
    gzip = _gzip(raw, crc, (BOMB_CHUNKS * len(ZEROS)) & 0xFFFFFFFF)
    outer = zlib.compressobj(9, zlib.DEFLATED, 31)
    found = {
        "gzip": gzip,
        "gzip, gzip": outer.compress(gzip) + outer.flush(),
        "deflate": b"\x78\xda" + raw + struct.pack(">I", adler),
    }
    brotli = pytest.importorskip("brotli")  # installed with httpx[brotli]
    packer = brotli.Compressor(quality=5)
    found["br"] = b"".join(packer.process(ZEROS) for _ in range(BOMB_CHUNKS)) + packer.finish()
    # Genuine bombs: gzip's first 64 KB already unpack to 64 MiB; brotli's 2 KB to 1 GiB.
    assert len(zlib.decompressobj(31).decompress(gzip[: 64 * 1024], 64 * MiB)) == 64 * MiB
    assert len(brotli.decompress(found["br"])) == 1 << 30
    return found


@pytest.fixture(scope="module")
def pack(tmp_path_factory) -> Path:
    return small_pack(tmp_path_factory)


def _config(folder: Path, timeout: float) -> Path:
    fast = f"attach:\n  timeout: {timeout}\n  retries: 2\n  backoff: 0.01\n  max_wait: 1\n"
    return write_config(folder, MINIMAL_CONFIG + fast)


@pytest.fixture
def jira(jira_cloud) -> FakeTickets:
    return jira_cloud


def _attach(pack: Path, config: Path, folder: Path):
    argv = [sys.executable, "-m", "reportgen", "attach", str(pack), "--jira", "GRC-3"]
    return measured([*argv, "--config", str(config)], folder, timeout=120)


@pytest.mark.parametrize("encoding", ["br", "gzip, gzip", "gzip", "deflate"])
@pytest.mark.parametrize("status", [200, 400])
def test_a_compressed_answer_is_refused_before_it_is_unpacked(
    pack, jira, bombs, tmp_path, encoding, status
):
    """Rows 5-8 of the second adversarial pass: 4.27 GB for a 3 KB brotli answer (200 or
    400), 4.26 GB for gzip of gzip, 199 MB for plain gzip. The run is under RLIMIT_AS
    (3 GB) in its own process, and its peak RSS is checked."""
    body = bombs[encoding]
    assert len(body) * 1000 < 1 << 30  # 1 GiB unpacked: 1 MB (gzip) to 2 KB (br) sent
    jira.inject_listing(
        Fault("body", status=status, body=body, headers={"Content-Encoding": encoding})
    )
    result = _attach(pack, _config(tmp_path, 10), tmp_path)
    assert result.status == 4, result.stderr
    if status == 200:
        expected = f"list attachments: the answer came in Content-Encoding '{encoding}', which"
    else:
        expected = f"HTTP 400 - its body came in Content-Encoding '{encoding}'; not read"
    assert expected in result.text, result.stderr
    assert "Traceback" not in result.stderr and jira.uploads() == []
    get = [seen for seen in jira.state.seen if seen.method == "GET"]
    assert len(get) == 1  # refused, not retried
    assert result.rss_mb < 200, result.rss_mb
    FIGURES[f"attach: {status} answer, {encoding} bomb"] = (
        f"{len(body):,} B, {result.seconds:.1f} s, {result.rss_mb:.0f} MB"
    )


def test_an_identity_encoding_named_is_read_as_usual(pack, jira, capsys, caplog, tmp_path):
    """'identity' (what reportgen asks for) is no encoding: the answer is read."""
    body = json.dumps({"fields": {"attachment": []}}).encode()
    jira.inject_listing(Fault("body", body=body, headers={"Content-Encoding": "Identity"}))
    config = _config(tmp_path, 10)
    status, output = attach(capsys, caplog, pack, "--jira", "GRC-3", "--config", config)
    assert status == 0, output
    assert len(jira.state.names("GRC-3")) == len(jira.uploads()) > 0


@pytest.mark.parametrize(
    "named",
    ["x-{token}\x1b[8m", "{token}", "{slashed}", "gzip, {slashed}", "{b64}"],
)
def test_a_content_encoding_the_server_chose_is_described_never_quoted(pack, jira, tmp_path, named):
    """The encoding's name comes from the server (third adversarial pass: a token with '/'
    was lowered, had '/' replaced and was cut before masking, so 21 of its 23 characters
    showed): only registered names are repeated; any other is 'an unknown encoding'."""
    token = jira.state.creds.token
    slashed = f"{token[:7]}/{token[7:14]}/{token[14:]}"
    b64 = base64.b64encode(token.encode()).decode()
    encoding = named.format(token=token, slashed=slashed, b64=b64)
    jira.inject_listing(Fault("body", body=b"{}", headers={"Content-Encoding": encoding}))
    result = _attach(pack, _config(tmp_path, 10), tmp_path)
    output = result.stdout + result.stderr
    assert result.status == 4, output
    shown = "gzip, an unknown encoding" if named.startswith("gzip") else "an unknown encoding"
    assert f"the answer came in Content-Encoding '{shown}'" in result.text
    pieces = {token.lower()[i : i + 5] for i in range(len(token) - 4)}
    assert not [piece for piece in pieces if piece in output.lower()], output
    assert "\x1b" not in output


def test_the_deadline_covers_parsing_the_answer(pack, jira, capsys, caplog, tmp_path, monkeypatch):
    """Row 9: the answer was parsed after the deadline's watchdog stopped, so a slow parse
    (24 s for a 16 MB answer) was outside every bound. A parse that takes the request past
    its deadline is now a timeout (the parse is slowed here, so this cannot depend on the
    machine's speed)."""
    loads = answerjson.loads

    def slow(content: bytes, depth: int):
        import time

        time.sleep(1.3)  # past the 1 s deadline
        return loads(content, depth)

    monkeypatch.setattr(answerjson, "loads", slow)
    config = _config(tmp_path, 1)
    status, output = attach(capsys, caplog, pack, "--jira", "GRC-3", "--config", config)
    assert status == 4, output
    assert "list attachments: no complete answer within 1 s (parsing included)" in output
    assert jira.uploads() == []


def test_an_answer_of_escaped_emoji_parses_within_the_deadline(pack, jira, tmp_path):
    """Row 9: 15.6 MB of one string of '\\ud83d\\ude00' escapes took 24 s to walk (yajl
    re-lexed a string spanning ijson's 64 KB buffers from its start: quadratic). With 1 MB
    buffers the walk takes about 1.5 s, so this listing is read inside a 10 s deadline that
    covers parsing; before, the walk alone took 11-24 s."""
    pad = "\\ud83d\\ude00" * 1_390_000
    body = b'{"fields": {"attachment": []}, "pad": "' + pad.encode() + b'"}'
    assert 15 * MiB < len(body) <= 16 * MiB
    jira.inject_listing(Fault("body", body=body))
    result = _attach(pack, _config(tmp_path, 10), tmp_path)
    assert result.status == 0, result.stderr
    assert len(jira.state.names("GRC-3")) == len(jira.uploads()) > 0
    assert result.rss_mb < 200, result.rss_mb
    FIGURES["attach: 15.6 MB answer of escaped emoji"] = (
        f"{result.seconds:.1f} s, {result.rss_mb:.0f} MB"
    )


@pytest.mark.parametrize(
    ("trick", "shown"),
    [
        ("\x1b[8m", "\\x1b[8m"),
        ("\x1b[2K\r", "\\x1b[2K hidden"),  # the server's line breaks are flattened first
        ("\u202e", "\\u202e"),
        ("\x9b8m", "\\x9b8m"),
        ("\x07", "\\x07"),
    ],
)
def test_a_server_text_cannot_restyle_or_rewrite_the_terminal(pack, jira, tmp_path, trick, shown):
    """Third adversarial pass: an error body's escape sequences reached the terminal as
    they were (ESC[8m hides the rest of the line). Every control or reordering character
    is printed as its escape."""
    body = f'{{"errorMessages": ["no such issue{trick}hidden text"]}}'.encode()
    jira.inject_listing(Fault("body", status=404, body=body))
    result = _attach(pack, _config(tmp_path, 10), tmp_path)
    output = result.stdout + result.stderr
    assert result.status == 4, output
    assert trick not in output and "hidden text" in output, output
    assert f"no such issue{shown}" in output, output
