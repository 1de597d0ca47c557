"""`inventory pull` against a local endpoint that answers as a hostile proxy might: headers
trickled, a web page or plain text for a page, an STS answer huge or never ending, tag keys
without end, text no CSV can hold (eleventh adversarial pass). Each must end in exit 2 with
a message naming the call, within its bounds, or, for the STS courtesy call, in a pull
without the account; never a hang, a crash or a replaced snapshot."""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

pytest.importorskip("boto3")

from reportgen.inventory.pull import answers, snapshot

Answer = Callable[[socket.socket], None]


def _json(body: bytes, kind: str = "application/x-amz-json-1.1") -> Answer:
    def answer(conn: socket.socket) -> None:
        head = f"HTTP/1.1 200 OK\r\nContent-Type: {kind}\r\nContent-Length: {len(body)}\r\n\r\n"
        conn.sendall(head.encode() + body)

    return answer


def _trickled_headers(conn: socket.socket) -> None:
    conn.sendall(b"HTTP/1.1 200 OK\r\n")
    for number in range(600):
        conn.sendall(f"X-Slow-{number}: x\r\n".encode())
        time.sleep(0.1)


def _trickled_body(conn: socket.socket) -> None:
    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/xml\r\nContent-Length: 100000\r\n\r\n")
    for _ in range(100_000):
        conn.sendall(b" ")
        time.sleep(0.1)


def _huge_sts(conn: socket.socket) -> None:
    size = 300 << 20
    conn.sendall(f"HTTP/1.1 200 OK\r\nContent-Type: text/xml\r\n\r\n{'<a>'}".encode())
    block = b" " * (1 << 20)
    for _ in range(size >> 20):
        conn.sendall(block)


STS_OK = (
    b'<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">'
    b"<GetCallerIdentityResult><Arn>arn:aws:iam::111122223333:user/u</Arn>"
    b"<UserId>AIDA</UserId><Account>111122223333</Account></GetCallerIdentityResult>"
    b"</GetCallerIdentityResponse>"
)
ASSUMED = (
    b'<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleResult>'
    b"<Credentials><AccessKeyId>ASIAROLEKEY000000001</AccessKeyId>"
    b"<SecretAccessKey>RoleSecretKey0123456789abcdefghij</SecretAccessKey>"
    b"<SessionToken>RoleSessionToken0123456789abcdefghij</SessionToken>"
    b"<Expiration>2099-01-01T00:00:00Z</Expiration></Credentials><AssumedRoleUser>"
    b"<Arn>arn:aws:sts::123456789012:assumed-role/x/s</Arn><AssumedRoleId>AROAX:s"
    b"</AssumedRoleId></AssumedRoleUser></AssumeRoleResult></AssumeRoleResponse>"
)
TAGGED = json.dumps(
    {"ResourceTagMappingList": [{"ResourceARN": "arn:aws:s3:::b1", "Tags": []}]}
).encode()


@contextlib.contextmanager
def _endpoint(
    page: Answer, sts: Answer | None = None, assume: Answer | None = None
) -> Iterator[str]:
    """A local endpoint: STS's GetCallerIdentity gets ``sts`` (a good answer by default),
    AssumeRole ``assume`` (a role's keys by default), every other request ``page``."""
    sts = sts or _json(STS_OK, "text/xml")
    assume = assume or _json(ASSUMED, "text/xml")

    def route(head: bytes, body: bytes) -> Answer:
        if b"Action=AssumeRole" in body:
            return assume
        return sts if b"GetCallerIdentity" in body else page

    with serving(route) as url:
        yield url


@contextlib.contextmanager
def serving(route: Callable[[bytes, bytes], Answer]) -> Iterator[str]:
    """A local HTTP server: each request's head and body, read whole, pick its answer."""
    server = socket.create_server(("127.0.0.1", 0))
    server.settimeout(0.2)
    stop = threading.Event()

    def serve(conn: socket.socket) -> None:
        with conn, contextlib.suppress(OSError):
            request = conn.recv(65536)
            while b"\r\n\r\n" not in request:
                request += conn.recv(65536)
            head, _, body = request.partition(b"\r\n\r\n")
            length = next((int(line.split(b":")[1]) for line in head.split(b"\r\n")
                           if line.lower().startswith(b"content-length:")), 0)  # fmt: skip
            while len(body) < length:
                body += conn.recv(65536)
            route(head, body)(conn)

    def accept() -> None:
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except TimeoutError:
                continue
            except OSError:  # closed: the test is over
                return
            threading.Thread(target=serve, args=(conn,), daemon=True).start()

    threading.Thread(target=accept, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.getsockname()[1]}"
    finally:
        stop.set()
        server.close()


def _pull(
    url: str, out: Path, monkeypatch, capsys, *flags: str, config: str = "/nonexistent"
) -> tuple[int, str]:
    from reportgen.cli import main

    for name, value in {"AWS_ENDPOINT_URL": url, "AWS_ACCESS_KEY_ID": "AKIDUMMY",
                        "AWS_SECRET_ACCESS_KEY": "dummy", "AWS_DEFAULT_REGION": "eu-west-1",
                        "AWS_CONFIG_FILE": config, "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent",
                        "AWS_EC2_METADATA_DISABLED": "true", "COLUMNS": "400"}.items():  # fmt: skip
        monkeypatch.setenv(name, value)
    capsys.readouterr()
    try:
        main(["inventory", "pull", "--source", "tagging", "-o", str(out), *flags])
        status = 0
    except SystemExit as exc:
        status = exc.code if isinstance(exc.code, int) else 1
    return status, " ".join(capsys.readouterr().err.split())


def test_headers_trickled_past_the_deadline_stop_the_request(tmp_path, monkeypatch, capsys):
    """The deadline began once the headers were in: a header line every 20 s ran on."""
    monkeypatch.setattr(answers, "ANSWER_SECONDS", 1.0)
    started = time.monotonic()
    with _endpoint(_trickled_headers) as url:
        status, said = _pull(url, tmp_path / "estate.csv", monkeypatch, capsys)
    assert status == 2, said
    assert "GetResources: no whole answer 1 seconds after the request was sent" in said
    assert time.monotonic() - started < 10
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("body", "kind", "said"),
    [
        (b"<html>hello</html>", "application/x-amz-json-1.1", "the answer is not a JSON object"),
        (b"Service unavailable", "text/plain", "the answer is not a JSON object"),
        (b"<html>sign in</html>", "text/html", "the answer is a web page (text/html)"),
    ],
)
def test_an_answer_that_is_not_aws_json_keeps_the_earlier_snapshot(
    tmp_path, monkeypatch, capsys, body, kind, said
):
    """A 200 answer that was not JSON was a page of no resources: an empty snapshot
    replaced the earlier one."""
    out = tmp_path / "estate.csv"
    with _endpoint(_json(TAGGED)) as url:
        assert _pull(url, out, monkeypatch, capsys)[0] == 0
    before = out.read_bytes()
    assert b"arn:aws:s3:::b1" in before
    with _endpoint(_json(body, kind)) as url:
        status, message = _pull(url, out, monkeypatch, capsys)
    assert status == 2, message
    assert f"tag:GetResources: {said}" in message
    assert out.read_bytes() == before


@pytest.mark.parametrize("sts", [_huge_sts, _trickled_body], ids=["300-MB", "trickled"])
def test_the_sts_courtesy_call_is_bounded_and_never_fatal(tmp_path, monkeypatch, capsys, sts):
    """GetCallerIdentity, made for the sidecar's account, had none of the pull's bounds: a
    600 MB answer took 3.16 GB, a trickled one hung the pull after its last page."""
    monkeypatch.setattr(snapshot, "STS_SECONDS", 1.0)
    out = tmp_path / "estate.csv"
    started = time.monotonic()
    with _endpoint(_json(TAGGED), sts) as url:
        status, said = _pull(url, out, monkeypatch, capsys)
    assert status == 0, said
    assert time.monotonic() - started < 20
    sidecar = json.loads((tmp_path / f"estate.csv{snapshot.SIDECAR_SUFFIX}").read_text())
    assert sidecar["account"] is None and sidecar["counts"]["items"] == 1


def test_the_account_is_taken_from_sts_when_it_answers(tmp_path, monkeypatch, capsys):
    with _endpoint(_json(TAGGED)) as url:
        assert _pull(url, tmp_path / "estate.csv", monkeypatch, capsys)[0] == 0
    sidecar = json.loads((tmp_path / f"estate.csv{snapshot.SIDECAR_SUFFIX}").read_text())
    assert sidecar["account"] == "111122223333"


def test_the_sts_courtesy_call_is_sent_twice_at_most(tmp_path, monkeypatch, capsys):
    """Pass 63c: "one retry" was botocore's `max_attempts: 2`, which its legacy retry mode
    reads as two retries: an STS answering 500 was asked three times."""
    asked: list[bytes] = []
    body = b"<ErrorResponse><Error><Code>InternalError</Code></Error></ErrorResponse>"

    def sts(conn: socket.socket) -> None:
        asked.append(body)
        head = f"HTTP/1.1 500 Oops\r\nContent-Type: text/xml\r\nContent-Length: {len(body)}"
        conn.sendall(head.encode() + b"\r\n\r\n" + body)

    monkeypatch.setenv("AWS_RETRY_MODE", "legacy")
    with _endpoint(_json(TAGGED), sts) as url:
        status, said = _pull(url, tmp_path / "estate.csv", monkeypatch, capsys)
    assert status == 0, said
    assert len(asked) == 2, asked


def test_tag_keys_past_max_columns_stop_the_pull(tmp_path, monkeypatch, capsys):
    """Each distinct key was a column of every row: an 808 KB answer made a 100 MB CSV."""
    items = [{"ResourceARN": f"arn:aws:s3:::b{i}", "Tags": [{"Key": f"k{i}", "Value": "v"}]}
             for i in range(300)]  # fmt: skip
    page = json.dumps({"ResourceTagMappingList": items}).encode()
    with _endpoint(_json(page)) as url:
        status, said = _pull(
            url, tmp_path / "estate.csv", monkeypatch, capsys, "--max-columns", "201"
        )
        assert status == 2, said
        assert "$.ResourceTagMappingList[200]: more than 200 distinct tag keys" in said
        assert "(the first past it: 'k200')" in said and "--max-columns" in said
        wide = _pull(url, tmp_path / "estate.csv", monkeypatch, capsys)  # the default: 1,000
    assert wide[0] == 0, wide[1]
    header = (tmp_path / "estate.csv").read_text().splitlines()[0]
    assert header.count(",tag:") == 300


@pytest.mark.parametrize("text", ["pr\\u0000od", "pr\\ud800od", "b\\udc80"])
def test_text_no_csv_can_hold_is_refused_with_its_path(tmp_path, monkeypatch, capsys, text):
    """A NUL made a snapshot build refused; a lone surrogate was 'internal error' and left
    an empty folder."""
    page = ('{"ResourceTagMappingList":[{"ResourceARN":"arn:aws:s3:::b1","Tags":'
            '[{"Key":"Environment","Value":"' + text + '"}]}]}').encode()  # fmt: skip
    out = tmp_path / "new" / "estate.csv"
    with _endpoint(_json(page)) as url:
        status, said = _pull(url, out, monkeypatch, capsys)
    assert status == 2, said
    assert "$.ResourceTagMappingList[0]: tag 'Environment': a NUL character or a lone" in said
    assert not (tmp_path / "new").exists()


def test_a_page_token_of_another_type_is_named_in_a_short_message(tmp_path, monkeypatch, capsys):
    """A token that was a list of a million numbers made a 9 MB 'could not be reached'."""
    page = json.dumps({"ResourceTagMappingList": [], "PaginationToken": [1234567] * 100_000})
    with _endpoint(_json(page.encode())) as url:
        status, said = _pull(url, tmp_path / "estate.csv", monkeypatch, capsys)
    assert status == 2, said[:300]
    assert "tag:GetResources: AWS's answer cannot be sent back as the next request" in said
    assert len(said) < 600


@pytest.mark.parametrize(("umask", "mode"), [(0o022, 0o644), (0o077, 0o600)])
def test_the_snapshot_gets_the_mode_the_umask_gives(tmp_path, monkeypatch, capsys, umask, mode):
    """Eleventh pass: the snapshot and its sidecar were always 0600 (mkstemp's), and a
    pull again turned a snapshot shared as 0644 into 0600."""
    import os
    import stat

    out = tmp_path / "estate.csv"
    previous = os.umask(umask)
    try:
        with _endpoint(_json(TAGGED)) as url:
            assert _pull(url, out, monkeypatch, capsys)[0] == 0
    finally:
        os.umask(previous)
    sidecar = tmp_path / f"estate.csv{snapshot.SIDECAR_SUFFIX}"
    assert {stat.S_IMODE(p.stat().st_mode) for p in (out, sidecar)} == {mode}


TWO_TAGGED = json.dumps(
    {"ResourceTagMappingList": [{"ResourceARN": f"arn:aws:s3:::n{i}", "Tags": []} for i in (1, 2)]}
).encode()


def _chattr(flag: str, path: Path) -> bool:
    import shutil
    import subprocess

    if shutil.which("chattr") is None:
        return False
    return subprocess.run(["chattr", flag, str(path)], capture_output=True).returncode == 0


def test_a_sidecar_that_cannot_be_replaced_leaves_the_earlier_pair(tmp_path, monkeypatch, capsys):
    """Fourteenth pass: the CSV was moved into place before the sidecar was written, so an
    immutable sidecar left the new CSV beside the earlier pull's counts, exit 2."""
    out = tmp_path / "estate.csv"
    sidecar = tmp_path / f"estate.csv{snapshot.SIDECAR_SUFFIX}"
    with _endpoint(_json(TAGGED)) as url:
        assert _pull(url, out, monkeypatch, capsys)[0] == 0
    before = {path: path.read_bytes() for path in (out, sidecar)}
    if not _chattr("+i", sidecar):
        pytest.skip("no immutable files here (chattr +i needs root on ext4, xfs...)")
    try:
        with _endpoint(_json(TWO_TAGGED)) as url:
            status, said = _pull(url, out, monkeypatch, capsys)
    finally:
        _chattr("-i", sidecar)
    assert status == 2, said
    assert f"{sidecar}: operation not permitted" in said
    assert {path: path.read_bytes() for path in (out, sidecar)} == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["estate.csv", sidecar.name]


def test_a_sidecar_rename_that_fails_undoes_the_snapshot(tmp_path, monkeypatch, capsys):
    """A failure between the two renames (EIO, the folder's disk gone) put the earlier CSV
    back, or removed the new one when there was none: the pair stays whole."""
    import errno
    import os

    from reportgen.core import outfiles

    real = os.replace, os.link, outfiles.exchange

    def failing(move):
        def fail(source, target, **options):
            if str(target).endswith(snapshot.SIDECAR_SUFFIX):
                raise OSError(errno.EIO, "Input/output error")
            return move(source, target, **options)

        return fail

    def moves(replace, link, exchange):  # every way a file is moved into place
        monkeypatch.setattr(outfiles.os, "replace", replace)
        monkeypatch.setattr(outfiles.os, "link", link)
        monkeypatch.setattr(outfiles, "exchange", exchange)

    out = tmp_path / "estate.csv"
    with _endpoint(_json(TWO_TAGGED)) as url:
        moves(*map(failing, real))
        status, said = _pull(url, out, monkeypatch, capsys)
        assert status == 2 and "input/output error" in said.lower(), said
        assert list(tmp_path.iterdir()) == []
        moves(*real)
        assert _pull(url, out, monkeypatch, capsys)[0] == 0
        before = {path: path.read_bytes() for path in tmp_path.iterdir()}
    with _endpoint(_json(TAGGED)) as url:
        moves(*map(failing, real))
        status, said = _pull(url, out, monkeypatch, capsys)
    assert status == 2, said
    assert {path: path.read_bytes() for path in tmp_path.iterdir()} == before


SOURCE_KEY, SOURCE_SECRET = "AKIABASEKEY000000001", "BaseSecretKeyForSource0123456789"
ROLE_PROFILE = f"""[profile base]
aws_access_key_id = {SOURCE_KEY}
aws_secret_access_key = {SOURCE_SECRET}
region = eu-west-1
[profile role]
role_arn = arn:aws:iam::123456789012:role/x
source_profile = base
region = eu-west-1
"""
ECHOED = f"creds {SOURCE_KEY} / {SOURCE_SECRET} not allowed"


def _status(code: int, body: bytes, kind: str) -> Answer:
    def answer(conn: socket.socket) -> None:
        head = f"HTTP/1.1 {code} X\r\nContent-Type: {kind}\r\nContent-Length: {len(body)}\r\n\r\n"
        conn.sendall(head.encode() + body)

    return answer


def _counted(answer: Answer, calls: list[int]) -> Answer:
    def counting(conn: socket.socket) -> None:
        calls.append(1)
        answer(conn)

    return counting


def _role_pull(tmp_path, monkeypatch, capsys, **answers_: Answer) -> tuple[int, str]:
    config = tmp_path / "awsconfig"
    config.write_text(ROLE_PROFILE)
    out = tmp_path / "out" / "estate.csv"
    with _endpoint(answers_.pop("page", _json(TAGGED)), **answers_) as url:
        return _pull(url, out, monkeypatch, capsys, "--profile", "role", config=str(config))


@pytest.mark.parametrize("debug", [False, True])
def test_a_refused_assume_role_is_named_and_the_source_keys_masked(
    tmp_path, monkeypatch, capsys, debug
):
    """Fourteenth pass: a role profile's AssumeRole refusal, echoing the source profile's
    keys it was signed with, was printed whole as 'AWS denied tag:GetResources' (and twice
    more in --debug's traceback)."""
    import traceback

    from reportgen import cli
    from reportgen.core.errors import InputError

    monkeypatch.setitem(cli._state, "debug", debug)  # --debug: the error is raised, not printed
    error = (
        f"<ErrorResponse><Error><Type>Sender</Type><Code>AccessDenied</Code><Message>{ECHOED}"
        "</Message></Error><RequestId>1</RequestId></ErrorResponse>"
    ).encode()
    try:
        status, said = _role_pull(
            tmp_path, monkeypatch, capsys, assume=_status(403, error, "text/xml")
        )
    except InputError as exc:
        assert debug
        status, said = 2, "".join(traceback.format_exception(exc))
    assert status == 2, said
    assert "AWS denied sts:AssumeRole: (the message is withheld" in said
    assert "GetResources" not in said
    assert SOURCE_KEY[4:12] not in said and SOURCE_SECRET[8:16] not in said, said


def test_the_source_keys_are_masked_after_the_role_is_assumed(tmp_path, monkeypatch, capsys):
    """Only the role's temporary keys were masked: an echo of the source keys, which
    signed the AssumeRole, was printed."""
    body = json.dumps({"__type": "AccessDeniedException", "message": ECHOED}).encode()
    page = _status(400, body, "application/x-amz-json-1.1")
    status, said = _role_pull(tmp_path, monkeypatch, capsys, page=page)
    assert status == 2, said
    assert "AWS denied tag:GetResources: creds *** / *** not allowed" in said
    assert SOURCE_KEY[4:12] not in said and SOURCE_SECRET[8:16] not in said, said


def test_an_endless_assume_role_answer_is_cut_at_its_cap(tmp_path, monkeypatch, capsys):
    """Fourteenth pass: botocore's own AssumeRole client read a never-ending answer whole
    (1.4 GB, then 'could not be reached'), six times."""
    calls: list[int] = []
    status, said = _role_pull(tmp_path, monkeypatch, capsys, assume=_counted(_huge_sts, calls))
    assert status == 2, said
    assert "sts (fetching credentials): an answer longer than the 1 MB" in said
    assert len(calls) == 1
    assert not (tmp_path / "out").exists()


def test_a_trickled_assume_role_answer_is_stopped_at_its_deadline(tmp_path, monkeypatch, capsys):
    """Fourteenth pass: an AssumeRole answer trickled a byte every 20 s held the pull for
    as long as it lasted (23 days)."""
    from reportgen.inventory.pull import credentials

    monkeypatch.setattr(credentials, "CREDENTIAL_SECONDS", 1.0)
    started = time.monotonic()
    status, said = _role_pull(tmp_path, monkeypatch, capsys, assume=_trickled_body)
    assert status == 2, said
    assert "sts (fetching credentials): no whole answer 1 seconds after the request" in said
    assert time.monotonic() - started < 15


def test_a_killed_pulls_temporary_files_are_swept_by_the_next(tmp_path, monkeypatch, capsys):
    """adversarial-15d F11: a pull SIGKILLed while writing left its temporary snapshot
    (60 MB) beside -o for ever. Its temporary files now hold a lock while it lives, and the
    next pull into that folder removes those whose run is dead; a live one's it leaves."""
    import fcntl
    import os

    out = tmp_path / "estate.csv"
    old = time.time() - 3600
    dead = tmp_path / f"{snapshot.TEMPORARY_PREFIX}dead"  # nobody holds its lock
    alive = tmp_path / f"{snapshot.TEMPORARY_PREFIX}alive"  # another pull still writing
    for path in (dead, alive):
        path.write_text("ARN,Tags\n")
        os.utime(path, (old, old))
    held_while_written: list[bool] = []
    write_rows = snapshot._write_rows

    def writing(handle, raw, *masked) -> None:  # the temporary file, as another run sees it
        (written,) = set(tmp_path.glob(f"{snapshot.TEMPORARY_PREFIX}*")) - {dead, alive}
        with written.open("rb") as other:
            try:
                fcntl.flock(other, fcntl.LOCK_EX | fcntl.LOCK_NB)
                held_while_written.append(False)
            except BlockingIOError:
                held_while_written.append(True)
        write_rows(handle, raw, *masked)

    monkeypatch.setattr(snapshot, "_write_rows", writing)
    with alive.open("rb") as live:
        fcntl.flock(live, fcntl.LOCK_EX)
        with _endpoint(_json(TAGGED)) as url:
            status, said = _pull(url, out, monkeypatch, capsys)
    assert status == 0, said
    assert held_while_written == [True]
    left = sorted(p.name for p in tmp_path.iterdir())
    assert left == sorted([out.name, f"{out.name}{snapshot.SIDECAR_SUFFIX}", alive.name])
