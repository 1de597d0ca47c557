"""The credential sources botocore fetches from without a client of its own: a profile's
credential_process and the container credentials endpoint. Each is held to bounds, and
whatever it answers that botocore cannot use is an error naming the source (exit 2), never
a hang, unbounded memory or a traceback (fifteenth session)."""

from __future__ import annotations

import contextlib
import json
import shlex
import socket
import sys
import time
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("boto3")

from hang_guard import within
from test_pull_bounds import TAGGED, _endpoint, _huge_sts, _json, serving

from reportgen.core.errors import InputError

GOOD = {"Version": 1, "AccessKeyId": "AKIAPROCESSKEY000001", "SecretAccessKey": "ProcSecret0123"}


# botocore gives the metadata service one second and one try by default: on a loaded test
# machine the local stand-in missed that, and the pull found no credentials at all.
_PATIENT_METADATA = {"AWS_METADATA_SERVICE_TIMEOUT": "10", "AWS_METADATA_SERVICE_NUM_ATTEMPTS": "3"}


def _run(
    tmp_path, monkeypatch, capsys, url: str, env: dict[str, str], profile: str | None, *first: str
):
    from reportgen.cli import main

    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    settings = {"AWS_ENDPOINT_URL": url, "AWS_DEFAULT_REGION": "eu-west-1",
                "AWS_CONFIG_FILE": str(tmp_path / "awsconfig"), "COLUMNS": "400",
                "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent", "AWS_EC2_METADATA_DISABLED": "true",
                **env}  # fmt: skip
    for name, value in settings.items():
        monkeypatch.setenv(name, value)
    capsys.readouterr()
    argv = ["inventory", "pull", "--source", "tagging", "-o", str(tmp_path / "out" / "e.csv")]
    try:
        main([*first, *argv, *(["--profile", profile] if profile else [])])
        status = 0
    except SystemExit as exc:
        status = exc.code if isinstance(exc.code, int) else 1
    return status, " ".join(capsys.readouterr().err.split())


def _process_pull(tmp_path, monkeypatch, capsys, script: str) -> tuple[int, str]:
    """A pull with profile 'proc', whose credential_process is ``script`` run by Python."""
    (tmp_path / "proc.py").write_text(script)
    command = f"{shlex.quote(sys.executable)} {shlex.quote(str(tmp_path / 'proc.py'))}"
    (tmp_path / "awsconfig").write_text(f"[profile proc]\ncredential_process = {command}\n")
    with _endpoint(_json(TAGGED)) as url:
        return _run(tmp_path, monkeypatch, capsys, url, {}, "proc")


def _prints(value: object) -> str:
    return f"import json, sys\nsys.stdout.write(json.dumps({value!r}))\n"


def test_a_credential_process_that_answers_signs_the_pull(tmp_path, monkeypatch, capsys):
    status, said = _process_pull(tmp_path, monkeypatch, capsys, _prints(GOOD))
    assert status == 0, said
    assert "arn:aws:s3:::b1" in (tmp_path / "out" / "e.csv").read_text()


def test_a_credential_process_that_never_ends_is_stopped(tmp_path, monkeypatch, capsys):
    from reportgen.inventory.pull import credential_process

    monkeypatch.setattr(credential_process, "PROCESS_SECONDS", 1.0)
    started = time.monotonic()
    status, said = _process_pull(tmp_path, monkeypatch, capsys, "import time\ntime.sleep(600)\n")
    assert status == 2, said
    assert "the profile's credential_process: fetching the credentials of profile 'proc'" in said
    assert "did not finish within 1 seconds" in said
    assert time.monotonic() - started < 30
    assert not (tmp_path / "out").exists()


def test_a_credential_process_that_prints_without_end_is_cut(tmp_path, monkeypatch, capsys):
    script = "import sys\nwhile True:\n    sys.stdout.write('x' * 65536)\n"
    status, said = _process_pull(tmp_path, monkeypatch, capsys, script)
    assert status == 2, said
    assert "the process printed more than 1,048,576 bytes" in said


@pytest.mark.parametrize(
    ("script", "why"),
    [
        (_prints([1, 2]), "printed JSON that is not an object"),
        ("import sys\nsys.stdout.buffer.write(b'{\\xff}')\n", "printed no JSON object"),
        (_prints({**GOOD, "AccessKeyId": 5}), "printed a AccessKeyId that is not a string"),
        (_prints({**GOOD, "Expiration": "soon"}), "an Expiration that is not a date and time"),
        # twenty-first pass: dateutil took 50 s of CPU over a 1 MB one
        (_prints({**GOOD, "Expiration": "2026-" + "1" * 500_000}), "longer than any date"),
        # twentieth pass: botocore's refusal quoted the Version it read
        (_prints({**GOOD, "Version": "SecretVersionText0123"}), 'no "Version": 1'),
        (_prints({k: v for k, v in GOOD.items() if k != "Version"}), 'no "Version": 1'),
        ("import sys\nsys.stderr.buffer.write(b'no \\xff')\nsys.exit(3)\n", "status 3"),
        ("import os, signal\nos.kill(os.getpid(), signal.SIGSEGV)\n", "was ended by SIGSEGV"),
        # twenty-third pass: "the AWS SDK could not go on: RuntimeError", no source named
        (_prints({**GOOD, "Expiration": "2001-01-01T00:00:00Z"}), "have already expired"),
        # twenty-sixth pass: "the answer is not one botocore can read (TypeError)"
        (_prints({**GOOD, "Expiration": "2030-01-01T00:00:00"}), "expiry time has no time zone"),
        (_prints({**GOOD, "Expiration": "2030-01-01T00:00:00+99:00"}), "time zone is not a real"),
        # thirty-first pass: "AWS could not be reached: ... Invalid header value b'***'"
        (
            _prints({**GOOD, "SessionToken": "TOKEN\ntokenTOKEN"}),
            "the profile's credential_process:"
            " the credentials hold a session token with a character no HTTP",
        ),
        (_prints({**GOOD, "AccessKeyId": "AKIAPROC\u00e9KEY"}), "hold an access key id with"),
    ],
)
def test_what_a_credential_process_prints_is_checked(tmp_path, monkeypatch, capsys, script, why):
    status, said = _process_pull(tmp_path, monkeypatch, capsys, script)
    assert status == 2, said
    assert why in said and "Traceback" not in said
    assert GOOD["SecretAccessKey"] not in said


def test_a_credential_process_that_cannot_run_is_named(tmp_path, monkeypatch, capsys):
    (tmp_path / "awsconfig").write_text("[profile proc]\ncredential_process = /nonexistent/x\n")
    with _endpoint(_json(TAGGED)) as url:
        status, said = _run(tmp_path, monkeypatch, capsys, url, {}, "proc")
    assert status == 2, said
    assert "cannot run '/nonexistent/x'" in said


def _container_pull(tmp_path, monkeypatch, capsys, answer) -> tuple[int, str]:
    (tmp_path / "awsconfig").write_text("")
    server = socket.create_server(("127.0.0.1", 0))
    import threading

    def serve() -> None:
        conn, _ = server.accept()
        with conn, contextlib.suppress(OSError):  # reset by a pull that stopped reading
            conn.recv(65536)
            answer(conn)

    threading.Thread(target=serve, daemon=True).start()
    env = {"AWS_CONTAINER_CREDENTIALS_FULL_URI": f"http://127.0.0.1:{server.getsockname()[1]}/c"}
    try:
        with _endpoint(_json(TAGGED)) as url:
            return _run(tmp_path, monkeypatch, capsys, url, env, None)
    finally:
        server.close()


def test_an_endless_container_credentials_answer_is_cut(tmp_path, monkeypatch, capsys):
    status, said = _container_pull(tmp_path, monkeypatch, capsys, _huge_sts)
    assert status == 2, said
    assert "the container credentials endpoint: an answer longer than the 1 MB" in said


@pytest.mark.parametrize(
    "body",
    [b"[1, 2]", b'{"AccessKeyId": "\xff"}', b"[" * 100_000],  # the last: pass 18
)
def test_a_container_answer_botocore_cannot_read_is_named(tmp_path, monkeypatch, capsys, body):
    status, said = _container_pull(tmp_path, monkeypatch, capsys, _json(body, "application/json"))
    assert status == 2, said
    assert "the container credentials endpoint: fetching the credentials failed" in said
    assert "Traceback" not in said


def test_a_container_answer_holding_many_secrets_is_refused_unquoted(tmp_path, monkeypatch, capsys):
    """Pass 58d D1: 200 values of 4,000 characters under secrets' names: learning each to
    mask it ran past the answer's 30 s, said as the server's slowness."""
    import random
    import string

    rng = random.Random(7)
    answer = {"AccessKeyId": "AKIAMANYSECRETS00001", "SecretAccessKey": "m" * 40,
              "Token": "t" * 60, "Expiration": "2099-01-01T00:00:00Z"}  # fmt: skip
    for index in range(200):
        answer[f"Key{index:04d}"] = "".join(rng.choices(string.ascii_letters, k=4000))
    body = _json(json.dumps(answer).encode(), "application/json")
    status, said = _container_pull(tmp_path, monkeypatch, capsys, body)
    assert status == 2, said
    assert "the answer is one with more values under secrets' names than AWS's hold" in said
    assert "the container credentials endpoint" in said and "30 seconds" not in said, said


@pytest.mark.parametrize(
    ("field", "label"),
    [
        ("Token", "a session token"),
        ("AccessKeyId", "an access key id"),
        ("SecretAccessKey", "a secret access key"),
    ],
)
def test_container_credentials_that_are_not_text_are_refused_by_source(
    tmp_path, monkeypatch, capsys, field, label
):
    """Pass 44c: a list as the token or key id was said as "tag:GetResources: the answer is
    not one AWS sends", a call never sent, with a hint to check a proxy; a list as the
    secret key was signed with, as its printed form, and never masked."""
    answer = {"AccessKeyId": "ASIAQX7EXAMPLE000001", "SecretAccessKey": "CtrSecret0123",
              "Token": "CtrToken0123456789", "Expiration": "2099-01-01T00:00:00Z"}  # fmt: skip
    answer[field] = ["Hx7Pq2Ws9Lk4Mn8Bv"]
    body = json.dumps(answer).encode()
    status, said = _container_pull(tmp_path, monkeypatch, capsys, _json(body, "application/json"))
    assert status == 2, said
    said = said.replace("the container credentials endpoint: the credentials hold", "held")
    assert f"held {label} that is not text (a list)" in said, said
    assert "GetResources" not in said and "proxy" not in said and "Hx7Pq2Ws9" not in said


def test_the_container_authorization_token_is_masked(tmp_path, monkeypatch, capsys):
    token = "ContainerAuthToken0123456789"
    monkeypatch.setenv("AWS_CONTAINER_AUTHORIZATION_TOKEN", token)
    body = json.dumps({"Message": f"bad token {token}"}).encode()

    def refuse(conn: socket.socket) -> None:
        head = f"HTTP/1.1 403 X\r\nContent-Type: application/json\r\nContent-Length: {len(body)}"
        conn.sendall(head.encode() + b"\r\n\r\n" + body)

    status, said = _container_pull(tmp_path, monkeypatch, capsys, refuse)
    assert status == 2, said
    assert token not in said and token[4:14] not in said


def _token_pull(tmp_path, monkeypatch, capsys, variable, value) -> tuple[int, str, list]:
    """A pull through the container endpoint, with its token in ``variable``; the requests
    the endpoint got."""
    monkeypatch.setenv(variable, value)
    got: list[bytes] = []

    def record(conn: socket.socket) -> None:
        got.append(conn.recv(65536))
        conn.sendall(b"HTTP/1.1 403 X\r\nContent-Length: 0\r\n\r\n")

    server = socket.create_server(("127.0.0.1", 0))
    import threading

    def serve() -> None:
        with contextlib.suppress(OSError):
            conn, _ = server.accept()
            with conn:
                record(conn)

    threading.Thread(target=serve, daemon=True).start()
    (tmp_path / "awsconfig").write_text("")
    env = {"AWS_CONTAINER_CREDENTIALS_FULL_URI": f"http://127.0.0.1:{server.getsockname()[1]}/c"}
    try:
        with _endpoint(_json(TAGGED)) as url:
            status, said = _run(tmp_path, monkeypatch, capsys, url, env, None)
    finally:
        server.close()
    return status, said, got


@pytest.mark.parametrize(
    ("in_file", "token"),
    [
        (True, "Ct9x4Qz7Lm2Vb8Rk0123\n"),  # echo's line break: "(ValueError)" before
        (False, "Ct9x4Qz7\u00e9Lm2Vb8Rk0123"),  # an accent was sent as it was
        (True, "Ct9x4Qz7\u00e9Lm2Vb8Rk0123"),
    ],
)
def test_a_container_token_no_header_may_hold_is_not_sent(
    tmp_path, monkeypatch, capsys, in_file, token
):
    variable = "AWS_CONTAINER_AUTHORIZATION_TOKEN"
    if in_file:
        (tmp_path / "token").write_text(token, encoding="utf-8")
        status, said, got = _token_pull(tmp_path, monkeypatch, capsys, f"{variable}_FILE",
                                        str(tmp_path / "token"))  # fmt: skip
    else:
        status, said, got = _token_pull(tmp_path, monkeypatch, capsys, variable, token)
    assert status == 2, said
    assert "the container authorization token holds a line break, a control or non-ASCII" in said
    assert "nothing was sent" in said and got == []
    assert token.strip() not in said and "ValueError" not in said
    # The hint on echo's line break only where the file ends in one (pass 38a).
    assert ("written with echo" in said) == (in_file and token.endswith("\n"))


def test_a_container_token_file_is_sent_as_it_is(tmp_path, monkeypatch, capsys):
    (tmp_path / "token").write_text("ContainerAuthToken0123456789")
    variable = "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"
    status, said, got = _token_pull(
        tmp_path, monkeypatch, capsys, variable, str(tmp_path / "token")
    )
    assert status == 2, said  # the endpoint refuses: 403
    assert len(got) == 1 and b"Authorization: ContainerAuthToken0123456789\r\n" in got[0]
    assert "ContainerAuthToken0123456789" not in said


def test_the_bounded_process_is_only_the_default_while_pulling():
    from botocore.credentials import ProcessProvider

    from reportgen.inventory.pull.credential_process import BoundedProcess, bounded_processes

    with bounded_processes():
        assert ProcessProvider("p", dict)._popen is BoundedProcess
    assert ProcessProvider("p", dict)._popen is not BoundedProcess
    assert Path(__file__).exists()


# ---------------------------------------------------------------- what an endpoint echoes


@contextlib.contextmanager
def _aws(handle):
    """A local AWS endpoint: ``handle(head, body)`` returns (status, content type, body)."""

    def route(head: bytes, body: bytes):
        status, kind, answer = handle(head.decode("latin-1"), body.decode("latin-1"))
        top = f"HTTP/1.1 {status} X\r\nContent-Type: {kind}\r\nContent-Length: {len(answer)}"
        return lambda conn: conn.sendall(top.encode() + b"\r\n\r\n" + answer)

    with serving(route) as url:
        yield url


def _header(head: str, name: str) -> str:
    found = [line.split(":", 1)[1].strip() for line in head.split("\r\n")
             if line.lower().startswith(name.lower() + ":")]  # fmt: skip
    return found[0] if found else ""


def _sts_error(text: str) -> tuple[int, str, bytes]:
    body = (
        f"<ErrorResponse><Error><Type>Sender</Type><Code>AccessDenied</Code><Message>{text}"
        "</Message></Error><RequestId>1</RequestId></ErrorResponse>"
    )
    return 403, "text/xml", body.encode()


def _assumed(key: str, secret: str, token: str, expires: str) -> tuple[int, str, bytes]:
    body = (
        '<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">'
        f"<AssumeRoleResult><Credentials><AccessKeyId>{key}</AccessKeyId>"
        f"<SecretAccessKey>{secret}</SecretAccessKey><SessionToken>{token}</SessionToken>"
        f"<Expiration>{expires}</Expiration></Credentials><AssumedRoleUser>"
        "<Arn>arn:aws:sts::123456789012:assumed-role/x/s</Arn><AssumedRoleId>AROAX:s"
        "</AssumedRoleId></AssumedRoleUser></AssumeRoleResult></AssumeRoleResponse>"
    )
    return 200, "text/xml", body.encode()


def _echo_pull(tmp_path, monkeypatch, capsys, config: str, handle, profile=None, env=None):
    (tmp_path / "awsconfig").write_text(config)
    with _aws(handle) as url:
        return _run(tmp_path, monkeypatch, capsys, url, env or {}, profile)


def _pull_asking_none(tmp_path, monkeypatch, capsys, config: str, profile: str) -> str:
    """What a pull said that must fail (exit 2) before it asks the endpoint anything."""
    asked = []

    def handle(head: str, body: str):
        asked.append(head)
        return _sts_error("not here")

    status, said = _echo_pull(tmp_path, monkeypatch, capsys, config, handle, profile)
    assert status == 2 and not asked, said
    return said


def _hidden(secret: str, said: str) -> bool:
    return all(secret[i : i + 10] not in said for i in range(0, len(secret) - 9, 5))


_SSO_START = "https://example.awsapps.com/start"
_SSO_CONFIG = (
    f"[profile sso]\nsso_start_url = {_SSO_START}\nsso_region = us-east-1\n"
    "sso_account_id = 123456789012\nsso_role_name = Admin\nregion = eu-west-1\n"
)


def _sso_cache_file(tmp_path: Path) -> Path:
    """Where botocore keeps profile 'sso''s token (named by its start URL's SHA-1)."""
    import hashlib

    cache = tmp_path / "home" / ".aws" / "sso" / "cache"
    cache.mkdir(parents=True)
    return cache / f"{hashlib.sha1(_SSO_START.encode()).hexdigest()}.json"


def _sso_token(tmp_path: Path, monkeypatch, token: object) -> Path:
    """Profile 'sso''s cached token is ``token``; the cache file."""
    from botocore.credentials import SSOProvider

    cached = _sso_cache_file(tmp_path)
    cache = {"startUrl": _SSO_START, "region": "us-east-1", "accessToken": token,
             "expiresAt": "2099-01-01T00:00:00Z"}  # fmt: skip
    cached.write_text(json.dumps(cache))
    monkeypatch.setattr(SSOProvider, "_SSO_TOKEN_CACHE_DIR", str(cached.parent))  # read at import
    return cached


def test_an_echoed_sso_access_token_is_masked(tmp_path, monkeypatch, capsys):
    token = "ssoAccessTokenSECRETvalue9876543210abcdef"
    _sso_token(tmp_path, monkeypatch, token)

    def handle(head: str, body: str):
        said = f"No access for token {_header(head, 'x-amz-sso_bearer_token')}"
        return 403, "application/json", json.dumps({"message": said}).encode()

    status, said = _echo_pull(tmp_path, monkeypatch, capsys, _SSO_CONFIG, handle, "sso")
    assert status == 2 and "403: (the message is withheld" in said, said
    assert _hidden(token, said)


def test_an_echoed_web_identity_token_is_masked(tmp_path, monkeypatch, capsys):
    from urllib.parse import parse_qs

    token = "eyJhbGciOiJSUzI1NiJ9.WEBIDENTITYsecretPAYLOAD123.sig456"
    (tmp_path / "web.jwt").write_text(token + "\n")
    config = (
        "[profile web]\nrole_arn = arn:aws:iam::123456789012:role/r\n"
        f"web_identity_token_file = {tmp_path / 'web.jwt'}\nregion = eu-west-1\n"
    )

    def handle(head: str, body: str):
        sent = parse_qs(body).get("WebIdentityToken", [""])[0]
        return _sts_error(f"Not authorized, token {sent} is invalid")

    status, said = _echo_pull(tmp_path, monkeypatch, capsys, config, handle, "web")
    assert status == 2 and "(the message is withheld" in said, said
    assert _hidden(token, said)


@pytest.mark.parametrize("text", ["", "\n  \n"])
def test_an_empty_web_identity_token_file_is_said_empty_and_not_sent(
    text, tmp_path, monkeypatch, capsys
):
    """An emptied token file was sent to STS, and its refusal said as AWS's doing."""
    (tmp_path / "web.jwt").write_text(text)
    config = (
        "[profile web]\nrole_arn = arn:aws:iam::123456789012:role/r\n"
        f"web_identity_token_file = {tmp_path / 'web.jwt'}\nregion = eu-west-1\n"
    )
    said = _pull_asking_none(tmp_path, monkeypatch, capsys, config, "web")
    assert f"{tmp_path / 'web.jwt'}: the web identity token file is empty" in said


def test_keys_a_source_profile_gets_from_a_process_are_masked(tmp_path, monkeypatch, capsys):
    keys = {**GOOD, "SessionToken": "processtoken1234567890abc"}
    (tmp_path / "proc.py").write_text(_prints(keys))
    command = f"{shlex.quote(sys.executable)} {shlex.quote(str(tmp_path / 'proc.py'))}"
    config = (
        f"[profile src]\ncredential_process = {command}\n[profile role]\n"
        "role_arn = arn:aws:iam::123456789012:role/r\nsource_profile = src\n"
        "region = eu-west-1\n"
    )

    def handle(head: str, body: str):
        key_id = _header(head, "authorization").partition("Credential=")[2].partition("/")[0]
        return _sts_error(f"denied for {_header(head, 'x-amz-security-token')} {key_id}")

    status, said = _echo_pull(tmp_path, monkeypatch, capsys, config, handle, "role")
    assert status == 2 and "AWS denied sts:AssumeRole: (the message is withheld" in said, said
    assert _hidden(keys["SessionToken"], said) and keys["AccessKeyId"][4:14] not in said


_ROLE_CONFIG = (
    "[profile src]\naws_access_key_id = AKIASOURCE00000001\naws_secret_access_key = "
    "sourcesecretkey1234567890abcdef\n[profile role]\nrole_arn = "
    "arn:aws:iam::123456789012:role/r\nsource_profile = src\nregion = eu-west-1\n"
)


def _in_five_minutes(minutes: int = 5) -> str:
    """An expiry within botocore's mandatory refresh: each request renews the role's keys
    (from 10 to 15 minutes, its advisory refresh, which ignores a failed renewal)."""
    import datetime

    later = datetime.datetime.now(datetime.UTC) + datetime.timedelta(minutes=minutes)
    return later.strftime("%Y-%m-%dT%H:%M:%SZ")


def test_role_keys_refreshed_during_the_pull_are_masked(tmp_path, monkeypatch, capsys):
    """botocore re-assumes a role within 15 minutes of its expiry: each page may be signed
    with keys fetched after the pull began."""
    import itertools
    import secrets

    count, tokens = itertools.count(1), []
    config, soon = _ROLE_CONFIG, _in_five_minutes()

    def handle(head: str, body: str):
        if "Action=AssumeRole" in body:
            next(count)  # keys unlike each other: masking one must not mask the next
            key, secret, token = (secrets.token_hex(16) for _ in range(3))
            tokens.append(token)
            return _assumed(f"ASIA{key[:16].upper()}", secret, f"RoleToken{token}", soon)
        if "PaginationToken" not in body:
            page = {"ResourceTagMappingList": [{"ResourceARN": "arn:aws:s3:::b1", "Tags": []}],
                    "PaginationToken": "p2"}  # fmt: skip
            return 200, "application/x-amz-json-1.1", json.dumps(page).encode()
        error = {"__type": "InvalidParameterException",
                 "message": f"bad token {_header(head, 'x-amz-security-token')}"}  # fmt: skip
        return 400, "application/x-amz-json-1.1", json.dumps(error).encode()

    status, said = _echo_pull(tmp_path, monkeypatch, capsys, config, handle, "role")
    assert status == 2 and "bad token ***" in said, said
    assert next(count) > 2  # the role was assumed again after the first page
    assert not any(token[:12] in said for token in tokens), said


@pytest.mark.parametrize("passed", ["size", "time", "unusable"])
def test_a_renewal_that_passes_its_bound_is_not_sent_again(tmp_path, monkeypatch, capsys, passed):
    """79c C1: keys 12 minutes from their expiry are renewed before each request, and
    botocore ignores a renewal that fails then. One that passed its bound was sent again
    before every page, 60 s each time, or the pull ended exit 0 without a word, signing with
    the first keys. Now the pull stops at the first, and does not ask again."""
    from reportgen.inventory.pull import credentials

    monkeypatch.setattr(credentials, "CREDENTIAL_SECONDS", 1.0)
    assumed, pages = [], []
    first = _assumed("ASIAROLEKEY0000001", "rolesecret" * 3, "RoleToken1", _in_five_minutes(12))

    def handle(head: str, body: str):
        if "Action=AssumeRole" in body:
            assumed.append(body)
            if len(assumed) == 1:
                return first
            if passed == "time":
                time.sleep(3)
                return first
            if passed == "unusable":  # 83c: an answer botocore cannot use, ignored too
                return (
                    200,
                    "text/xml",
                    b"<AssumeRoleResponse><AssumeRoleResult/></AssumeRoleResponse>",
                )
            return 200, "text/xml", b"<a>" + b"x" * (2 << 20) + b"</a>"
        pages.append(body)
        page = {"ResourceTagMappingList": [{"ResourceARN": f"arn:aws:s3:::b{len(pages)}",
                "Tags": []}], "PaginationToken": f"p{len(pages)}"}  # fmt: skip
        if len(pages) == 3:
            del page["PaginationToken"]
        return 200, "application/x-amz-json-1.1", json.dumps(page).encode()

    status, said = _echo_pull(tmp_path, monkeypatch, capsys, _ROLE_CONFIG, handle, "role")
    assert status == 2, said
    bound = {"size": "over the 1 MB", "time": "no whole answer 1 seconds after",
             "unusable": "the answer is not one botocore can read (KeyError"}[passed]  # fmt: skip
    flat = " ".join(said.split())
    source = "sts:AssumeRole (renewing" if passed == "unusable" else "sts (fetching credentials): "
    assert source in flat and bound in flat, said
    assert len(assumed) == 2 and pages == [], (len(assumed), len(pages))
    assert not (tmp_path / "out" / "e.csv").exists()


_KEYS_CONFIG = (
    "[default]\naws_access_key_id = AKIASOURCE00000001\naws_secret_access_key = "
    "sourcesecretkey1234567890abcdef\nregion = eu-west-1\n"
)


@pytest.mark.parametrize(
    ("last", "said"),
    [({"ResourceTagMappingList": None}, "JSON holding ResourceTagMappingList as null, not a list"),
     ({"ResourceTagMappingList": [], "PaginationToken": "t" * 70_000},
      "a page token of 70,000 bytes, more than the 65,536"),
     ({"ResourceTagMappingList": [], "PaginationToken": "\U0001f600" * 20_000},
      "a page token of 80,000 bytes, more than the 65,536")],
)  # fmt: skip
def test_a_page_no_aws_service_sends_is_refused(tmp_path, monkeypatch, capsys, last, said):
    """Twenty-sixth pass: a null list was read as an empty page (the pull wrote 1 of 2
    resources over the estate, exit 0); a 10 MB page token was sent back on every request."""

    def handle(head: str, body: str):
        page = last if "PaginationToken" in body else {
            "ResourceTagMappingList": [{"ResourceARN": "arn:aws:s3:::b1", "Tags": []}],
            "PaginationToken": "p2"}  # fmt: skip
        return 200, "application/x-amz-json-1.1", json.dumps(page).encode()

    status, text = _echo_pull(tmp_path, monkeypatch, capsys, _KEYS_CONFIG, handle)
    assert status == 2 and said in text, text
    assert not (tmp_path / "out" / "e.csv").exists()


@pytest.mark.parametrize(
    ("renewal", "said"),
    [
        (_sts_error("the role's trust policy no longer allows this source"),
         "AWS denied sts:AssumeRole (renewing the credentials before tag:GetResources): "
         "(the message is withheld"),
        ((200, "text/xml", b"<AssumeRoleResponse><AssumeRoleResult/></AssumeRoleResponse>"),
         "sts:AssumeRole (renewing the credentials before tag:GetResources): fetching the "
         "credentials failed: the answer is not one botocore can read (KeyError: it has no "
         "Credentials)"),
    ],
    ids=["refused", "unreadable"],
)  # fmt: skip
def test_a_renewal_that_fails_mid_pull_is_named_as_the_renewal(
    tmp_path, monkeypatch, capsys, renewal, said
):
    """Twenty-sixth pass: the role's keys, renewed within 15 minutes of their expiry, were
    refused (trust changed, session revoked), and the pull said "AWS denied
    tag:GetResources", with a hint to allow that: AWS never refused it. Pass 63c: a renewal
    answer botocore could not use was said as "tag:GetResources: the answer is not one AWS
    sends" (the pages were AWS's); a renewal's other failures (a container endpoint's,
    SSO's) as "AWS could not be reached"."""
    config, soon = _ROLE_CONFIG, _in_five_minutes()
    assumed: list[str] = []

    def handle(head: str, body: str):
        if "Action=AssumeRole" in body:
            assumed.append(body)
            if len(assumed) == 1:
                return _assumed("ASIAROLEKEY0000001", "rolesecret" * 3, "RoleToken1", soon)
            return renewal
        page = {"ResourceTagMappingList": [{"ResourceARN": "arn:aws:s3:::b1", "Tags": []}],
                "PaginationToken": "p2"}  # fmt: skip
        return 200, "application/x-amz-json-1.1", json.dumps(page).encode()

    status, text = _echo_pull(tmp_path, monkeypatch, capsys, config, handle, "role")
    assert status == 2 and said in text, text
    assert "denied tag:GetResources" not in text and len(assumed) >= 2
    assert "not one AWS sends" not in text and "could not be reached" not in text
    if renewal[0] == 403:
        assert "Allow sts:AssumeRole for the identity in use" in text


def test_a_credential_call_throttled_at_the_start_says_no_count_of_its_own(
    tmp_path, monkeypatch, capsys
):
    """Pass 63c: "AWS kept throttling sts:AssumeRole after 8 attempts" was said of a call
    sent once (AWS_MAX_ATTEMPTS=1): reportgen does not send a credential call again."""
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    assumed: list[str] = []
    throttled = (
        b"<ErrorResponse><Error><Type>Sender</Type><Code>Throttling</Code><Message>slow"
        b"</Message></Error><RequestId>1</RequestId></ErrorResponse>"
    )

    def handle(head: str, body: str):
        assumed.append(body)
        return 400, "text/xml", throttled

    status, said = _echo_pull(tmp_path, monkeypatch, capsys, _ROLE_CONFIG, handle, "role")
    assert status == 2 and len(assumed) == 1, said
    assert "AWS throttled sts:AssumeRole, through all the attempts botocore makes" in said
    assert "after 8 attempts" not in said


@pytest.mark.parametrize(
    ("env", "flags"),
    [
        ({"AWS_MAX_ATTEMPTS": "abc"}, ()),
        ({"AWS_RETRY_MODE": "bogus"}, ()),
        ({"AWS_DEFAULTS_MODE": "bogus"}, ()),
        ({}, ("--region", "us east 1")),
    ],
)
def test_aws_settings_botocore_refuses_are_exit_2(tmp_path, monkeypatch, capsys, env, flags):
    from reportgen.cli import main

    settings = {"AWS_ACCESS_KEY_ID": "AKIAEXAMPLEKEY12345", "AWS_SECRET_ACCESS_KEY": "s" * 30,
                "AWS_CONFIG_FILE": "/nonexistent", "AWS_DEFAULT_REGION": "eu-west-1",
                "AWS_EC2_METADATA_DISABLED": "true", "COLUMNS": "400", **env}  # fmt: skip
    for name, value in settings.items():
        monkeypatch.setenv(name, value)
    capsys.readouterr()
    with _endpoint(_json(TAGGED)) as url:
        monkeypatch.setenv("AWS_ENDPOINT_URL", url)
        with pytest.raises(SystemExit) as exit_:
            main(["inventory", "pull", "--source", "tagging", "-o", str(tmp_path / "e.csv"),
                  *flags])  # fmt: skip
    said = " ".join(capsys.readouterr().err.split())
    assert exit_.value.code == 2, said
    assert "the AWS SDK (botocore) could not go on" in said and "internal error" not in said


def test_a_malformed_aws_config_file_is_exit_2(tmp_path, monkeypatch, capsys):
    status, said = _echo_pull(
        tmp_path, monkeypatch, capsys, "[default\nregion = eu-west-1\n", lambda h, b: _sts_error("")
    )
    assert status == 2 and "internal error" not in said, said
    assert "awsconfig" in said


def test_a_password_in_the_endpoint_url_is_masked(tmp_path, monkeypatch, capsys):
    (tmp_path / "awsconfig").write_text("")
    env = {"AWS_ACCESS_KEY_ID": "AKIAEXAMPLEKEY12345", "AWS_SECRET_ACCESS_KEY": "s" * 30,
           "AWS_MAX_ATTEMPTS": "1"}  # fmt: skip
    url = "http://user:EndpointPassw0rd@127.0.0.1:1"
    status, said = _run(tmp_path, monkeypatch, capsys, url, env, None)
    assert status in (2, 4), said
    assert "EndpointPassw0rd" not in said


def test_a_missing_profile_named_by_aws_profile_is_named(tmp_path, monkeypatch, capsys):
    (tmp_path / "awsconfig").write_text("[profile other]\nregion = eu-west-1\n")
    status, said = _run(tmp_path, monkeypatch, capsys, "http://127.0.0.1:1",
                        {"AWS_PROFILE": "nosuchprofile"}, None)  # fmt: skip
    assert status == 2 and "AWS profile 'nosuchprofile' not found" in said, said


@pytest.mark.parametrize(
    ("variable", "kind"),
    [("AWS_CA_BUNDLE", "fifo"), ("AWS_WEB_IDENTITY_TOKEN_FILE", "zero"),
     ("AWS_WEB_IDENTITY_TOKEN_FILE", "fifo"), ("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", "big")],
)  # fmt: skip
def test_a_file_botocore_would_hang_on_or_read_without_end_is_refused(
    tmp_path, monkeypatch, capsys, variable, kind
):
    """Fifteenth pass: a CA bundle that is a FIFO held the pull in open() for ever; a web
    identity token file that is /dev/zero took all the machine's memory."""
    import os

    path = tmp_path / "named"
    if kind == "fifo":
        os.mkfifo(path)
    elif kind == "big":
        path.write_bytes(b"t" * 70_000)
    else:
        path = Path("/dev/zero")
    env = {variable: str(path), "AWS_ROLE_ARN": "arn:aws:iam::123456789012:role/r"}
    (tmp_path / "awsconfig").write_text("")
    started = time.monotonic()
    status, said = _run(tmp_path, monkeypatch, capsys, "https://127.0.0.1:1", env, None)
    assert status == 2, said
    assert f"${variable} names" in said and str(path) in said
    assert time.monotonic() - started < 30


@pytest.mark.parametrize(
    "variable", ["AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_CA_BUNDLE", "AWS_CONFIG_FILE",
                 "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"],
)  # fmt: skip
def test_a_fifo_named_with_a_trailing_space_is_refused(tmp_path, monkeypatch, capsys, variable):
    """Twentieth pass: '/tok ' (a FIFO) beside '/tok' (a file): the stripped name was
    checked, botocore opened the one with the space, and the pull hung for ever."""
    import os

    (tmp_path / "tok").write_text("q7ZpX2mK9vLr4sNwY8")
    os.mkfifo(tmp_path / "tok ")
    env = {variable: f"{tmp_path / 'tok'} ", "AWS_ROLE_ARN": "arn:aws:iam::123456789012:role/r"}
    (tmp_path / "awsconfig").write_text("")
    if variable == "AWS_CONFIG_FILE":  # botocore skips a config that is no regular file
        env = {variable: f"{tmp_path / 'tok'} "}
    started = time.monotonic()
    status, said = _run(tmp_path, monkeypatch, capsys, "https://127.0.0.1:1", env, None)
    assert time.monotonic() - started < 30
    assert status == 2, said
    if variable != "AWS_CONFIG_FILE":
        assert f"${variable} names a FIFO" in said


def test_a_config_file_botocore_would_skip_is_named_but_dev_null_is_no_config(tmp_path):
    """Twenty-first pass: AWS_CONFIG_FILE naming a FIFO was skipped by botocore, and only
    "no AWS region given" was said. /dev/null is how people say "no config file"."""
    import os

    from reportgen.core.errors import InputError
    from reportgen.inventory.pull import sdkfiles

    os.mkfifo(tmp_path / "config.fifo")
    with pytest.raises(InputError, match=r"\$AWS_CONFIG_FILE names a FIFO .* botocore skips it"):
        sdkfiles.check_config_files({"AWS_CONFIG_FILE": str(tmp_path / "config.fifo")})
    sdkfiles.check_config_files({"AWS_CONFIG_FILE": "/dev/null"})  # no error


def test_a_profile_s_ca_bundle_that_is_a_fifo_is_named(tmp_path, monkeypatch, capsys):
    import os

    os.mkfifo(tmp_path / "ca.pem")
    (tmp_path / "awsconfig").write_text(f"[profile p]\nca_bundle = {tmp_path / 'ca.pem'}\n")
    env = {"AWS_ACCESS_KEY_ID": "AKIAEXAMPLEKEY12345", "AWS_SECRET_ACCESS_KEY": "s" * 30}
    status, said = _run(tmp_path, monkeypatch, capsys, "https://127.0.0.1:1", env, "p")
    assert status == 2 and "ca_bundle of profile 'p' names a FIFO" in said, said


def test_a_credential_process_that_closes_its_output_and_goes_on_is_stopped(
    tmp_path, monkeypatch, capsys
):
    """Sixteenth pass: a process that closed stdout and stderr and went on ended the pull
    with TimeoutExpired, an internal error quoting its command line (a token in it), and
    the process it had started was left running."""

    from reportgen.inventory.pull import credential_process

    monkeypatch.setattr(credential_process, "PROCESS_SECONDS", 1.0)
    pid_file = tmp_path / "child.pid"
    script = (
        "import os, subprocess, sys, time\n"
        "child = subprocess.Popen(['sleep', '60'], stdout=subprocess.DEVNULL,\n"
        "                         stderr=subprocess.DEVNULL)\n"
        f"open({str(pid_file)!r}, 'w').write(str(child.pid))\n"
        "os.close(1); os.close(2)\n"
        "time.sleep(60)  # --vault-token=SECRETTOKEN123 on a real command line\n"
    )
    status, said = _process_pull(tmp_path, monkeypatch, capsys, script)
    assert status == 2, said
    assert "did not finish within 1 seconds" in said and "internal error" not in said
    assert "proc.py" not in said  # the command line is not quoted
    status_file = Path(f"/proc/{int(pid_file.read_text())}/status")
    time.sleep(0.2)
    state = status_file.read_text() if status_file.exists() else "State: gone"
    assert "State:\tZ" in state or state == "State: gone", state  # dead, or not yet reaped


@pytest.mark.parametrize(
    ("variable", "path"),
    [("AWS_CONFIG_FILE", "/proc/self/pagemap"), ("AWS_CONFIG_FILE", "/proc/kmsg"),
     ("AWS_SHARED_CREDENTIALS_FILE", "/proc/kmsg")],
)  # fmt: skip
def test_a_file_of_proc_is_refused_unread(tmp_path, monkeypatch, capsys, variable, path):
    """Twenty-first pass: /proc/self/pagemap says 0 bytes; botocore read 5.8 GB of it.
    Twenty-fourth: /proc/kmsg, measured by reading it, held the pull for ever (and took the
    kernel's messages as root). No AWS file lives in /proc: refused before it is opened."""
    from reportgen.cli import main

    if not Path(path).exists():
        pytest.skip(f"no {path} here")
    settings = {"AWS_ACCESS_KEY_ID": "AKIAEXAMPLEKEY12345", "AWS_SECRET_ACCESS_KEY": "s" * 30,
                variable: path, "AWS_DEFAULT_REGION": "eu-west-1", "COLUMNS": "400"}  # fmt: skip
    for name, value in settings.items():
        monkeypatch.setenv(name, value)
    capsys.readouterr()
    with pytest.raises(SystemExit) as exit_:
        main(["inventory", "pull", "--source", "tagging", "-o", str(tmp_path / "e.csv")])
    said = " ".join(capsys.readouterr().err.split())
    assert exit_.value.code == 2 and "a file of the kernel's proc file system" in said, said
    assert f"${variable}" in said


def test_a_token_file_of_proc_is_not_taken_for_a_token(tmp_path):
    """Twenty-sixth pass: a token file linked to /proc/self/environ was read as the token to
    mask, and the message said "$*** names a file of the kernel's proc file system"."""
    import subprocess

    launcher = Path(sys.executable).with_name("reportgen")
    if not launcher.exists() or not Path("/proc/self/environ").exists():
        pytest.skip("needs the installed reportgen command and /proc")
    (tmp_path / "token").symlink_to("/proc/self/environ")
    token = str(tmp_path / "token")
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "COLUMNS": "400",
           "AWS_WEB_IDENTITY_TOKEN_FILE": token, "AWS_DEFAULT_REGION": "eu-west-1",
           "AWS_ROLE_ARN": "arn:aws:iam::123456789012:role/pull"}  # fmt: skip
    out = str(tmp_path / "e.csv")
    argv = [str(launcher), "inventory", "pull", "--source", "tagging", "-o", out]
    done = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=120)
    said = " ".join(done.stderr.split())
    assert done.returncode == 2, said
    assert "$AWS_WEB_IDENTITY_TOKEN_FILE names a file of the kernel's proc file system" in said


@pytest.mark.parametrize("size", [20 * 1024 * 1024, 5 * 1024 * 1024])
def test_an_aws_config_file_larger_than_any_real_one_is_refused_unparsed(
    tmp_path, monkeypatch, capsys, size
):
    """Sixteenth pass: botocore parsed a 300 MB config whole (2.8 GB). Nineteenth: one just
    under the 16 MB bound then still took 727 MB and 50 s; the bound is 4 MB."""
    config = tmp_path / "awsconfig"
    with config.open("wb") as handle:
        handle.truncate(size)  # sparse: no disk, and refused by its size
    env = {"AWS_ACCESS_KEY_ID": "AKIAEXAMPLEKEY12345", "AWS_SECRET_ACCESS_KEY": "s" * 30}
    from reportgen.cli import main

    for name, value in {**env, "AWS_CONFIG_FILE": str(config), "COLUMNS": "400",
                        "AWS_DEFAULT_REGION": "eu-west-1"}.items():  # fmt: skip
        monkeypatch.setenv(name, value)
    capsys.readouterr()
    with pytest.raises(SystemExit) as exit_:
        main(["inventory", "pull", "--source", "tagging", "-o", str(tmp_path / "e.csv")])
    said = " ".join(capsys.readouterr().err.split())
    assert exit_.value.code == 2 and f"$AWS_CONFIG_FILE names a file of {size:,} bytes" in said


def test_an_sso_token_cache_larger_than_any_real_one_is_refused(tmp_path, monkeypatch, capsys):
    """Sixteenth pass: a 1 GB sparse SSO token cache was read whole (2.2 GB)."""
    with _sso_cache_file(tmp_path).open("wb") as handle:
        handle.truncate(2 * 1024 * 1024)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    status, said = _echo_pull(tmp_path, monkeypatch, capsys, _SSO_CONFIG,
                              lambda h, b: _sts_error(""), "sso")  # fmt: skip
    assert status == 2, said
    assert "the SSO token cache of profile 'sso' names a file of 2,097,152 bytes" in said


def test_a_key_echoed_into_a_resource_s_tags_is_masked_in_the_snapshot(
    tmp_path, monkeypatch, capsys
):
    """Sixteenth pass: an endpoint that echoed the session token as a tag value had it
    written into the snapshot, and from there into a pack."""
    token = "SessionTokenEchoedIntoATag0123456789"

    def handle(head: str, body: str):
        tags = [{"Key": "note", "Value": f"seen {_header(head, 'x-amz-security-token')}"}]
        page = {"ResourceTagMappingList": [{"ResourceARN": "arn:aws:s3:::b1", "Tags": tags}]}
        return 200, "application/x-amz-json-1.1", json.dumps(page).encode()

    env = {"AWS_ACCESS_KEY_ID": "AKIAEXAMPLEKEY12345", "AWS_SECRET_ACCESS_KEY": "s" * 30,
           "AWS_SESSION_TOKEN": token}  # fmt: skip
    status, said = _echo_pull(tmp_path, monkeypatch, capsys, "", handle, env=env)
    assert status == 0, said
    snapshot = (tmp_path / "out" / "e.csv").read_text()
    assert "seen ***" in snapshot and token not in snapshot


def test_what_a_failing_credential_process_writes_to_stderr_is_not_quoted(
    tmp_path, monkeypatch, capsys
):
    """Seventeenth pass: botocore quotes a failed process's stderr, and one that wrote its
    keys there had them printed."""
    script = f"import json, sys\nsys.stderr.write(json.dumps({GOOD!r}))\nsys.exit(1)\n"
    status, said = _process_pull(tmp_path, monkeypatch, capsys, script)
    assert status == 2 and "exited with status 1" in said, said
    assert GOOD["SecretAccessKey"] not in said and GOOD["AccessKeyId"] not in said


def test_a_credential_process_whose_child_holds_its_output_is_not_waited_for(
    tmp_path, monkeypatch, capsys
):
    """Seventeenth pass: a process that answered and exited, leaving a child with its
    output open, was waited on for the whole deadline, then called unfinished."""
    script = (
        "import json, subprocess, sys\n"
        "subprocess.Popen(['sleep', '30'])  # inherits stdout and stderr\n"
        f"sys.stdout.write(json.dumps({GOOD!r}))\n"
    )
    started = time.monotonic()
    status, said = _process_pull(tmp_path, monkeypatch, capsys, script)
    assert status == 0, said
    assert time.monotonic() - started < 20


def test_a_proxy_s_password_echoed_in_an_error_is_masked(tmp_path, monkeypatch, capsys):
    """Seventeenth pass: a proxy's user:password (and its base64) echoed in an AWS-shaped
    refusal was printed by the pull, which masked only AWS keys."""
    import base64

    pair = "puser:PROXYPASSword99"
    echoed = f"{pair} {base64.b64encode(pair.encode()).decode()}"
    body = json.dumps({"__type": "AccessDeniedException", "message": echoed}).encode()

    def handle(head: str, body_: str):
        return 403, "application/x-amz-json-1.1", body

    env = {"AWS_ACCESS_KEY_ID": "AKIAEXAMPLEKEY12345", "AWS_SECRET_ACCESS_KEY": "s" * 30,
           "HTTP_PROXY": "http://puser:PROXYPASSword99@127.0.0.1:9",
           "NO_PROXY": "127.0.0.1,localhost"}  # fmt: skip
    status, said = _echo_pull(tmp_path, monkeypatch, capsys, "", handle, env=env)
    assert status == 2, said
    assert "PROXYPASS" not in said and base64.b64encode(pair.encode()).decode()[:12] not in said


def test_a_proxy_s_password_written_percent_encoded_is_masked_as_sent(
    tmp_path, monkeypatch, capsys
):
    """Pass 65c: a proxy's password written percent-encoded in HTTP_PROXY was learnt only
    as written; botocore sends it decoded, and an echo of its Proxy-Authorization header
    showed 13 of its 16 characters in base64."""
    import base64

    pair = "puser:Zq/x?k#m@p/r=t&w"
    encoded = base64.b64encode(pair.encode()).decode()
    body = json.dumps({"__type": "AccessDeniedException", "message": f"Basic {encoded}"})

    def handle(head: str, body_: str):
        return 403, "application/x-amz-json-1.1", body.encode()

    env = {"AWS_ACCESS_KEY_ID": "AKIAEXAMPLEKEY12345", "AWS_SECRET_ACCESS_KEY": "s" * 30,
           "HTTP_PROXY": "http://puser:Zq%2Fx%3Fk%23m%40p%2Fr%3Dt%26w@127.0.0.1:9",
           "NO_PROXY": "127.0.0.1,localhost"}  # fmt: skip
    status, said = _echo_pull(tmp_path, monkeypatch, capsys, "", handle, env=env)
    assert status == 2, said
    assert encoded[:8] not in said and "Basic ***" in said, said


def test_the_region_lookup_s_metadata_token_is_masked(tmp_path, monkeypatch, capsys):
    """Pass 65c: the session token of the region lookup botocore makes under defaults_mode
    auto was never learnt: a refusal quoting it printed it whole."""
    from test_pull_bounds import serving

    token = "ImdsRegionTok3nFromTheLookup0123"

    def answer(body: bytes):
        def send(conn: socket.socket) -> None:
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\nConnection: close\r\n\r\n"
                         % len(body) + body)  # fmt: skip

        return send

    def imds(head: bytes, body: bytes):
        return answer(b"eu-west-1" if b"placement" in head else token.encode())

    def refused(conn: socket.socket) -> None:
        said = json.dumps({"__type": "InvalidParameterException",
                           "message": f"bad session {token}"}).encode()  # fmt: skip
        conn.sendall(b"HTTP/1.1 400 Bad\r\nContent-Type: application/x-amz-json-1.1\r\n"
                     b"Content-Length: %d\r\n\r\n" % len(said) + said)  # fmt: skip

    (tmp_path / "awsconfig").write_text("")
    keys = {"AWS_ACCESS_KEY_ID": "AKIAREGIONTEST000001", "AWS_SECRET_ACCESS_KEY": "RegionKey0123"}
    with serving(imds) as metadata, _endpoint(refused) as url:
        env = {**keys, "AWS_DEFAULTS_MODE": "auto", "AWS_EC2_METADATA_DISABLED": "false",
               "AWS_EC2_METADATA_SERVICE_ENDPOINT": metadata, **_PATIENT_METADATA}  # fmt: skip
        status, said = _run(tmp_path, monkeypatch, capsys, url, env, None)
    assert status == 2 and "bad session ***" in said, said
    assert token[:12] not in said


def test_the_region_lookup_of_defaults_mode_auto_is_bounded_and_made_once(
    tmp_path, monkeypatch, capsys
):
    """Nineteenth pass: with defaults_mode auto, botocore asks the instance metadata service
    for the region as each client is made, through a session of its own, reads the answer
    whole and swallows any error: an endless answer took 5.8 GB, a trickled one hung."""
    from test_pull_bounds import serving

    sent, asked = [0], [0]

    def endless(conn: socket.socket) -> None:
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\n")
        block = b"a" * (1 << 20)
        for _ in range(300):
            conn.sendall(block)
            sent[0] += len(block)

    def token(conn: socket.socket) -> None:  # closed: the test server answers one request
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\nConnection: close\r\n\r\n"
                     b"imds-token")  # fmt: skip

    def route(head: bytes, body: bytes):
        if b"placement" in head:
            asked[0] += 1
            return endless
        return token

    (tmp_path / "awsconfig").write_text("")
    keys = {"AWS_ACCESS_KEY_ID": "AKIAREGIONTEST000001", "AWS_SECRET_ACCESS_KEY": "RegionKey0123"}
    with serving(route) as imds, _endpoint(_json(TAGGED)) as url:
        env = {**keys, "AWS_DEFAULTS_MODE": "auto", "AWS_EC2_METADATA_DISABLED": "false",
               "AWS_EC2_METADATA_SERVICE_ENDPOINT": imds, **_PATIENT_METADATA}  # fmt: skip
        status, said = _run(tmp_path, monkeypatch, capsys, url, env, None)
    assert status == 0, said
    assert asked[0] == 1  # one lookup, not one for each client
    assert sent[0] < 64 << 20  # the answer was left unread after its first MB


def _token_swapped_mid_pull(
    tmp_path, monkeypatch, capsys, swap, minutes: int = 5
) -> tuple[int, str, list]:
    """A pull as role profile 'web' by web identity, whose token file ``swap(path)`` changes
    once the role's first keys (near their expiry: botocore will read it again) are sent;
    its status, its stderr, and the bodies of the requests the endpoint was sent."""
    import datetime

    token_file = tmp_path / "web.jwt"
    token_file.write_text("eyJhbGciOiJSUzI1NiJ9.q7ZpX2mK9vLr4sNwY8.sig\n")
    config = (
        "[profile web]\nrole_arn = arn:aws:iam::123456789012:role/r\n"
        f"web_identity_token_file = {token_file}\nregion = eu-west-1\n"
    )
    soon = (datetime.datetime.now(datetime.UTC) + datetime.timedelta(minutes=minutes)).strftime(
        "%Y-%m-%dT%H:%M:%SZ"
    )
    bodies: list[str] = []

    def handle(head: str, body: str):
        bodies.append(body)
        if "Action=AssumeRoleWithWebIdentity" in body:
            if sum("AssumeRoleWithWebIdentity" in b for b in bodies) == 1:
                token_file.unlink()
                swap(token_file)
            status, kind, answer = _assumed("ASIAROLEKEY000000009", "RoleSecret0123456789",
                                            "RoleSessionToken0123456789", soon)  # fmt: skip
            return status, kind, answer.replace(b"AssumeRoleRes", b"AssumeRoleWithWebIdentityRes")
        page = {"ResourceTagMappingList": [{"ResourceARN": "arn:aws:s3:::b1", "Tags": []}]}
        return 200, "application/x-amz-json-1.1", json.dumps(page).encode()

    status, said = _echo_pull(tmp_path, monkeypatch, capsys, config, handle, "web")
    return status, said, bodies


def test_a_web_identity_token_file_swapped_for_a_fifo_mid_pull_is_refused(
    tmp_path, monkeypatch, capsys
):
    """Twentieth pass: the token file was checked once, at the start; botocore reads it
    again each time it refreshes the role's keys, and a FIFO swapped in then hung the pull
    (a link to /dev/zero took 1.7 GB)."""
    import os

    started = time.monotonic()
    status, said, _ = _token_swapped_mid_pull(tmp_path, monkeypatch, capsys, os.mkfifo)
    assert time.monotonic() - started < 60
    assert status == 2, said
    assert "the web identity token file is a FIFO (named pipe)" in said


def test_a_token_file_emptied_before_an_advisory_renewal_stops_the_pull(
    tmp_path, monkeypatch, capsys
):
    """80c C2: keys 12 minutes from their expiry are renewed before each request, and
    botocore goes on with the old ones when that fails: the emptied token file, refused
    each time, was read again before every request, and the pull ended exit 0."""
    status, said, bodies = _token_swapped_mid_pull(
        tmp_path, monkeypatch, capsys, lambda path: path.write_text(""), minutes=12
    )
    assert status == 2, said
    assert "the web identity token file is empty" in said
    assert "while botocore renewed the credentials ahead of their expiry" in said
    assert sum("AssumeRoleWithWebIdentity" in body for body in bodies) == 1
    assert not any("GetResources" in body or "ResourceTagMapping" in body for body in bodies[1:])


@pytest.mark.parametrize(
    ("later", "why"),
    [
        ("sys.stdout.write('x' * (2 << 20))", "the process printed more than 1,048,576 bytes"),
        ("sys.stdout.write(json.dumps(keys)[:-1] + ', \"SecretAccessKey\": \"b\"}')",
         "the key 'SecretAccessKey' twice"),
    ],
    ids=["oversized", "key-twice"],
)  # fmt: skip
@pytest.mark.parametrize(("refused_run", "before"), [(2, "tag:GetResources"),
                                                    (4, "sts:GetCallerIdentity")])  # fmt: skip
def test_a_credential_process_refused_in_an_advisory_renewal_stops_the_pull(
    tmp_path, monkeypatch, capsys, later, why, refused_run, before
):
    """80c C1: a credential_process whose keys were 12 minutes from their expiry was run
    again before every request once its renewal was refused, and the pull ended exit 0
    signing with the first keys. It stops at the first refusal, the process not run again.
    81c: one refused before the sidecar's courtesy call for the account was dropped with
    that call's failures (runs: the keys, a renewal at the start, before the page, before
    sts:GetCallerIdentity)."""
    import datetime

    expiry = datetime.datetime.now(datetime.UTC) + datetime.timedelta(minutes=12)
    keys = {**GOOD, "SessionToken": "ProcToken0123456789", "Expiration": expiry.isoformat()}
    runs = tmp_path / "runs"
    script = (
        f"import json, pathlib, sys\nkeys = {keys!r}\nruns = pathlib.Path({str(runs)!r})\n"
        "runs.write_text(runs.read_text() + 'x' if runs.exists() else 'x')\n"
        f"if len(runs.read_text()) < {refused_run}:\n    sys.stdout.write(json.dumps(keys))\n"
        f"else:\n    {later}\n"
    )
    status, said = _process_pull(tmp_path, monkeypatch, capsys, script)
    assert status == 2, said
    assert f"the profile's credential_process (renewing the credentials before {before})" in said
    assert why in said and runs.read_text() == "x" * refused_run
    assert not (tmp_path / "out").exists()


def test_an_sso_token_cache_swapped_mid_pull_is_read_bounded(tmp_path, monkeypatch, capsys):
    """Twenty-first pass: the cache was checked once, at the start; botocore reads it again
    to fetch the role's keys anew near their expiry, and a link to a 1 GB file swapped in
    then was read whole (2.2 GB), reported as "the answer is not one AWS sends"."""
    cached = _sso_token(tmp_path, monkeypatch, "q7ZpX2mK9vLr4sNwY8ssoAccess")
    big = tmp_path / "big"
    with big.open("wb") as handle:
        handle.truncate(2 << 20)
    soon = int((time.time() + 300) * 1000)  # within botocore's refresh window
    fetched = []

    def handle(head: str, body: str):
        if "/federation/credentials" in head:
            fetched.append(1)
            if len(fetched) == 1:
                cached.unlink()
                cached.symlink_to(big)
            keys = {"accessKeyId": "ASIASSOROLE000000001", "secretAccessKey": "SsoRoleSecret01",
                    "sessionToken": "SsoRoleSession0123", "expiration": soon}  # fmt: skip
            return 200, "application/json", json.dumps({"roleCredentials": keys}).encode()
        page = {"ResourceTagMappingList": [{"ResourceARN": "arn:aws:s3:::b1", "Tags": []}]}
        return 200, "application/x-amz-json-1.1", json.dumps(page).encode()

    status, said = _echo_pull(tmp_path, monkeypatch, capsys, _SSO_CONFIG, handle, "sso")
    assert status == 2, said
    assert "botocore's cache file" in said and "2,097,152" in said


@pytest.mark.parametrize("value", [["ssoSECRETtoken123456789"], {"t": "ssoSECRETtoken123456789"}])
def test_an_sso_token_of_the_wrong_type_is_refused_unquoted(tmp_path, monkeypatch, capsys, value):
    """Twenty-first pass: botocore's refusal quoted it ("Invalid type for parameter
    accessToken, value: ['ssoSECRETtoken...']"), three times with --debug."""
    _sso_token(tmp_path, monkeypatch, value)
    status, said = _echo_pull(tmp_path, monkeypatch, capsys, _SSO_CONFIG,
                              lambda h, b: (500, "x", b""), "sso")  # fmt: skip
    assert status == 2, said
    assert "botocore's cache file: its accessToken is not a string" in said
    assert "ssoSECRETtoken" not in said


@pytest.mark.parametrize("data", [b"\xff\xfe{", b'{"accessToken": "ssoSECRETtok'])
def test_an_sso_token_cache_that_is_not_json_is_named(tmp_path, monkeypatch, capsys, data):
    """Pass 41c: a cache that is not UTF-8, or JSON cut short, was "the answer is not one
    botocore can read (KeyError)", naming no file and calling a file on disk an answer."""
    cached = _sso_token(tmp_path, monkeypatch, "ssoSECRETtoken123456789")
    cached.write_bytes(data)
    status, said = _echo_pull(tmp_path, monkeypatch, capsys, _SSO_CONFIG,
                              lambda h, b: (500, "x", b""), "sso")  # fmt: skip
    assert status == 2, said
    assert f"{cached}: botocore's cache file is not one botocore writes" in said, said
    assert "not valid JSON" in said or "not UTF-8" in said, said
    assert "KeyError" not in said and "ssoSECRETtok" not in said


_SSO_BASE = (
    f'"startUrl": "{_SSO_START}", "region": "us-east-1", '
    '"accessToken": "ssoACCESSvalue0001", "expiresAt": "2099-01-01T00:00:00Z"'
)


def _sso_cache_echoed(tmp_path, monkeypatch, capsys, text: str, echoed: str) -> tuple[int, str]:
    """Profile 'sso' whose cache file is ``text``; GetRoleCredentials refused, echoing
    ``echoed``."""
    cached = _sso_token(tmp_path, monkeypatch, "unused")
    cached.write_text(text)

    def handle(head: str, body: str):
        return 403, "application/json", json.dumps({"message": f"denied: {echoed}"}).encode()

    return _echo_pull(tmp_path, monkeypatch, capsys, _SSO_CONFIG, handle, "sso")


@pytest.mark.parametrize(
    ("extra", "echoed"),
    [
        ('"extra": {"idToken": "DEEPidTOKENvalue9876"}', "DEEPidTOKENvalue9876"),
        ('"idToken": [[[[[[["DEEPidTOKENvalue9876"]]]]]]]', "DEEPidTOKENvalue9876"),
        ('"idToken": 9876543210987654321', "9876543210987654321"),
        ('"meta": {"refreshTokens": [{"value": 1.25e-7}]}', "1.25e-7"),
        # 46a: the client id, a password, a session key
        ('"clientId": "CLIENTidVALUE445566"', "CLIENTidVALUE445566"),
        ('"extra": {"password": "PASSwordVALUE7788"}', "PASSwordVALUE7788"),
        ('"extra": {"sessionKey": "SESSIONkeyVALUE99"}', "SESSIONkeyVALUE99"),
        # 47c: spelt otherwise
        ('"client_id": "CLIENTidVALUE445566"', "CLIENTidVALUE445566"),
        ('"extra": {"passwd": "PASSwdVALUE7788"}', "PASSwdVALUE7788"),
        ('"extra": {"pwd": "PWDvalue77889900"}', "PWDvalue77889900"),
        ('"\uff54\uff4f\uff4b\uff45\uff4e": "FULLwidthTOKEN1234"', "FULLwidthTOKEN1234"),  # 48c
        # 46c: a lone surrogate (valid JSON) made masking fail, "(UnicodeEncodeError)"
        ('"idToken": "\\ud800IDTOKENsekret99"', "IDTOKENsekret99"),
    ],
)
def test_a_token_anywhere_in_the_sso_cache_is_masked(tmp_path, monkeypatch, capsys, extra, echoed):
    """Pass 45c: only the top level's token keys were masked, strings alone, 8 levels down
    at most: an id token under another key, or a number, was printed as echoed."""
    status, said = _sso_cache_echoed(
        tmp_path, monkeypatch, capsys, f"{{{_SSO_BASE}, {extra}}}", echoed
    )
    assert status == 2 and "sso:GetRoleCredentials: 403: (the message is withheld" in said, said
    assert echoed not in said, said


@pytest.mark.parametrize(
    ("extra", "reason"),
    [
        ('"idToken": "FIRSTdupTOKEN1111", "idToken": "second"', "'idToken' appears twice"),
        ('"idToken": ' + "[" * 9 + '"FIRSTdupTOKEN1111"' + "]" * 9, "nested 10 levels deep"),
    ],
)
def test_an_sso_cache_botocore_would_not_write_is_refused(
    tmp_path, monkeypatch, capsys, extra, reason
):
    """Pass 45c: botocore keeps the last of a key given twice, and the first, never
    masked, was printed and written to a snapshot's cells; nesting deeper than any cache
    botocore writes is refused rather than searched."""
    text = f"{{{_SSO_BASE}, {extra}}}"
    status, said = _sso_cache_echoed(tmp_path, monkeypatch, capsys, text, "FIRSTdupTOKEN1111")
    assert status == 2 and "botocore's cache file is not one botocore writes" in said, said
    assert reason in said and "Sign in again (aws sso login)" in said, said
    assert "FIRSTdupTOKEN" not in said and "ForbiddenException" not in said, said


def test_a_damaged_sso_token_cache_says_how_to_mend_it(tmp_path, monkeypatch, capsys):
    """Twenty-sixth pass: a cache whose expiresAt is no date said "(TypeError)" alone."""
    cached = _sso_token(tmp_path, monkeypatch, "ssoSECRETtoken123456789")
    cached.write_text(json.dumps({**json.loads(cached.read_text()), "expiresAt": 5}))
    status, said = _echo_pull(tmp_path, monkeypatch, capsys, _SSO_CONFIG,
                              lambda h, b: (500, "x", b""), "sso")  # fmt: skip
    assert status == 2, said
    assert "Sign in again (aws sso login)" in said and "ssoSECRETtoken" not in said


def test_a_page_repeating_an_earlier_one_under_a_new_token_is_refused(
    tmp_path, monkeypatch, capsys
):
    """Twenty-sixth pass: one resource on every page, each with a new token, was written as
    a row again and again, and an endless endpoint ran to the 20,000-page cap (933 s)."""
    asked: list[str] = []

    def handle(head: str, body: str):
        asked.append(body)
        page = {"ResourceTagMappingList": [{"ResourceARN": "arn:aws:s3:::b1", "Tags": []}],
                "PaginationToken": f"t{len(asked)}"}  # fmt: skip
        return 200, "application/x-amz-json-1.1", json.dumps(page).encode()

    status, said = _echo_pull(tmp_path, monkeypatch, capsys, _KEYS_CONFIG, handle)
    assert status == 2 and "a page holding the same resources as an earlier page" in said, said
    assert len(asked) == 2 and not (tmp_path / "out" / "e.csv").exists()


def test_a_redirect_from_the_endpoint_is_said_as_one(tmp_path, monkeypatch, capsys):
    """Pass 27c: "AWS refused tag:GetResources: 307: An error occurred (307)...", empty."""

    def handle(head: str, body: str):
        return 307, "text/plain", b""

    status, said = _echo_pull(tmp_path, monkeypatch, capsys, _KEYS_CONFIG, handle)
    assert status == 2 and "the endpoint answered with a redirect (HTTP 307)" in said, said


def test_pages_that_overlap_write_each_resource_once(tmp_path, monkeypatch, capsys):
    """Pass 28c: pages each repeating one earlier resource and adding one wrote 10 rows for
    6 resources, exit 0; a page listing one ARN twice, 2 rows."""

    def item(n: int) -> dict:
        return {"ResourceARN": f"arn:aws:s3:::b{n}", "Tags": []}

    def handle(head: str, body: str):
        if not body.startswith("{"):  # STS GetCallerIdentity, for the sidecar's account
            return _sts_error("not here")
        page = int(json.loads(body).get("PaginationToken", "p0")[1:])
        items = [item(page), item(page + 1)] + ([item(page + 1)] if page == 0 else [])
        answer = {"ResourceTagMappingList": items}
        if page < 4:
            answer["PaginationToken"] = f"p{page + 1}"
        return 200, "application/x-amz-json-1.1", json.dumps(answer).encode()

    status, said = _echo_pull(tmp_path, monkeypatch, capsys, _KEYS_CONFIG, handle)
    assert status == 0, said
    rows = (tmp_path / "out" / "e.csv").read_text().splitlines()[1:]
    assert len(rows) == 6 and len(set(rows)) == 6, rows
    assert "AWS sent 5 resource(s) a second time; each is written once" in said


def test_a_resource_sent_again_with_its_tags_otherwise_is_written_once(
    tmp_path, monkeypatch, capsys
):
    """Pass 29a: the same resource with its tags in another order (or a tag changed) was
    compared by its whole text and written twice, with no warning."""
    tags = [{"Key": "env", "Value": "prod"}, {"Key": "team", "Value": "grc"}]

    def handle(head: str, body: str):
        if not body.startswith("{"):
            return _sts_error("not here")
        again = "PaginationToken" in body
        item = {"ResourceARN": "arn:aws:s3:::b1", "Tags": tags[::-1] if again else tags}
        answer = {"ResourceTagMappingList": [item] + ([] if again else [{
            "ResourceARN": "arn:aws:s3:::b2", "Tags": []}])}  # fmt: skip
        if not again:
            answer["PaginationToken"] = "p1"
        return 200, "application/x-amz-json-1.1", json.dumps(answer).encode()

    status, said = _echo_pull(tmp_path, monkeypatch, capsys, _KEYS_CONFIG, handle)
    assert status == 0, said
    rows = (tmp_path / "out" / "e.csv").read_text().splitlines()[1:]
    assert len(rows) == 2, rows
    assert "AWS sent 1 resource(s) a second time; each is written once, as first sent" in said


def test_config_results_naming_no_resource_are_not_taken_for_one(tmp_path, monkeypatch, capsys):
    """Pass 31a: AWS Config results with a type but neither ARN nor id were named by type,
    account and region alone: two buckets became one row, 'sent a second time'."""
    from reportgen.inventory.pull.apis import APIS
    from reportgen.inventory.pull.fetch import _drop_repeated
    from reportgen.inventory.sources.repeats import SeenResources

    bucket = {"resourceType": "AWS::S3::Bucket", "accountId": "1", "awsRegion": "eu-west-1"}
    instance = {**bucket, "resourceType": "AWS::EC2::Instance", "resourceId": "i-1"}
    results = [bucket, {**bucket, "tags": []}, instance, instance]
    page = {"Results": [json.dumps(result) for result in results]}
    assert _drop_repeated(page, APIS["config"], SeenResources()) == 1  # the instance, twice
    assert [json.loads(r) for r in page["Results"]] == results[:3]
    again = {"Results": [json.dumps(dict(reversed(bucket.items())), indent=1)]}
    seen = SeenResources()  # pass 35c: the same bucket, keys in another order, was new
    assert _drop_repeated({"Results": [json.dumps(bucket)]}, APIS["config"], seen) == 0
    assert _drop_repeated(again, APIS["config"], seen) == 1


def test_keys_no_header_may_hold_are_refused_naming_their_source(tmp_path, monkeypatch, capsys):
    """Pass 31d: a line break in a key was 'AWS could not be reached: Invalid header value',
    naming no source; nothing had been sent."""
    (tmp_path / "awsconfig").write_text("")
    env = {"AWS_ACCESS_KEY_ID": "AKIAENVKEY\n0000001", "AWS_SECRET_ACCESS_KEY": "EnvSecret0123"}
    with _endpoint(_json(TAGGED)) as url:
        status, said = _run(tmp_path, monkeypatch, capsys, url, env, None)
    assert status == 2, said
    assert "the AWS_* variables: the credentials hold an access key id with a character" in said
    assert "AKIAENVKEY" not in said and not (tmp_path / "out").exists()


def test_a_field_botocore_found_missing_is_named():
    """Pass 31d: a web identity answer without its credentials was '(KeyError)' alone."""
    from reportgen.inventory.pull.credentials import _unreadable_part

    assert _unreadable_part(KeyError("Credentials")) == ": it has no Credentials"
    assert _unreadable_part(KeyError("a key\nof the answer's")) == ""


def test_a_role_profiles_source_keys_no_header_may_hold_are_never_sent(
    tmp_path, monkeypatch, capsys
):
    """Pass 32c: a source profile's key holding a space or an accent was checked nowhere and
    sent to STS, which signed the pull's requests as if nothing were amiss."""
    config = (
        "[profile role]\nrole_arn = arn:aws:iam::123456789012:role/r\nsource_profile = src\n"
        "region = eu-west-1\n[profile src]\naws_access_key_id = AKIASRC 000000001\n"
        "aws_secret_access_key = SourceSecret0123456789\n"
    )
    said = _pull_asking_none(tmp_path, monkeypatch, capsys, config, "role")
    assert "the AWS config file: the credentials hold an access key id" in said
    assert "AKIASRC" not in said


def test_role_keys_renewed_with_a_line_break_are_never_sent(tmp_path, monkeypatch, capsys):
    """Pass 32c: keys renewed mid-pull were not checked: a line break was "AWS could not be
    reached: Invalid header value", a space was sent."""
    import datetime

    soon = (datetime.datetime.now(datetime.UTC) + datetime.timedelta(minutes=5)).strftime(
        "%Y-%m-%dT%H:%M:%SZ"
    )
    assumed, heads = [], []

    def handle(head: str, body: str):
        heads.append(head)
        if "Action=AssumeRole" in body:
            assumed.append(1)
            key = "ASIAROLEKEY000000009" if len(assumed) == 1 else "ASIAROLE\nKEY00000009"
            return _assumed(key, "RoleSecret0123456789", "RoleSessionToken0123456789", soon)
        page = {"ResourceTagMappingList": [{"ResourceARN": "arn:aws:s3:::b1", "Tags": []}]}
        return 200, "application/x-amz-json-1.1", json.dumps(page).encode()

    config = _KEYS_CONFIG + (
        "[profile role]\nrole_arn = arn:aws:iam::123456789012:role/r\n"
        "source_profile = default\nregion = eu-west-1\n"
    )
    status, said = _echo_pull(tmp_path, monkeypatch, capsys, config, handle, "role")
    assert status == 2 and len(assumed) == 2, said
    assert "sts:AssumeRole: the credentials hold an access key id with a character" in said
    assert "could not be reached" not in said and not any("ASIAROLE\n" in h for h in heads)


@pytest.mark.parametrize("token", ["ssoSECRETtoken\n123456789", "ssoSECRETtokenü123456789"])
def test_an_sso_access_token_no_header_may_hold_is_never_sent(token, tmp_path, monkeypatch, capsys):
    """Pass 32d: a line break was botocore's "Invalid header value b'***'", naming no cache
    file; an accent was sent as raw UTF-8."""
    _sso_token(tmp_path, monkeypatch, token)
    asked = []

    def handle(head: str, body: str):
        asked.append(head)
        return 500, "x", b""

    status, said = _echo_pull(tmp_path, monkeypatch, capsys, _SSO_CONFIG, handle, "sso")
    assert status == 2 and not asked, said
    assert "its accessToken holds a character no HTTP header may hold" in said
    assert "Sign in again (aws sso login)" in said and "ssoSECRETtoken" not in said


def _sso_session_near_expiry(tmp_path: Path, monkeypatch) -> str:
    """Profile 'sso' of sso-session 's', whose cached token expires within botocore's
    refresh window (so it calls sso-oidc CreateToken first); the AWS config."""
    import datetime
    import hashlib

    from botocore.tokens import SSOTokenProvider

    cache = tmp_path / "home" / ".aws" / "sso" / "cache"
    cache.mkdir(parents=True)
    monkeypatch.setattr(SSOTokenProvider, "_SSO_TOKEN_CACHE_DIR", str(cache))
    soon = datetime.datetime.now(datetime.UTC) + datetime.timedelta(minutes=5)
    (cache / f"{hashlib.sha1(b's').hexdigest()}.json").write_text(json.dumps({
        "startUrl": _SSO_START, "region": "us-east-1", "accessToken": _SSO_OLD,
        "expiresAt": soon.strftime("%Y-%m-%dT%H:%M:%SZ"), "refreshToken": _SSO_REFRESH,
        "clientId": "client", "clientSecret": "ssoCLIENTsecret1234", "idToken": [_SSO_ID],
        "registrationExpiresAt": "2099-01-01T00:00:00Z"}))  # fmt: skip
    return (
        "[profile sso]\nsso_session = s\nsso_account_id = 123456789012\n"
        "sso_role_name = Admin\nregion = eu-west-1\n"
        f"[sso-session s]\nsso_start_url = {_SSO_START}\nsso_region = us-east-1\n"
    )


_SSO_REFRESH = "ssoREFRESHtokenCACHED1234567"
_SSO_OLD = "ssoOLDtoken123456789"
_SSO_ID = "ssoCACHEDidToken987654321"


def _is_create_token(head: str) -> bool:
    return "/token" in head.split("\r\n")[0]  # sso-oidc CreateToken: the refresh


@pytest.mark.parametrize("fresh", ["ssoNEWtoken\n123456789", "ssoNEWtoken é123456789"])
def test_an_sso_token_refreshed_with_what_no_header_may_hold_is_never_sent(
    fresh, tmp_path, monkeypatch, capsys
):
    """Pass 33c: an sso-session's token refreshed (sso-oidc CreateToken) holding a space and
    an accent was sent as it was; one holding a line break was 'Invalid header value'."""
    config = _sso_session_near_expiry(tmp_path, monkeypatch)
    heads = []

    def handle(head: str, body: str):
        heads.append(head)
        if _is_create_token(head):
            answer = {"accessToken": fresh, "expiresIn": 3600, "tokenType": "Bearer"}
            return 200, "application/json", json.dumps(answer).encode()
        return 500, "x", b""

    status, said = _echo_pull(tmp_path, monkeypatch, capsys, config, handle, "sso")
    assert status == 2, said
    assert "sso:GetRoleCredentials: the SSO access token holds a character no HTTP" in said
    assert "ssoNEWtoken" not in said and len(heads) == 1, heads


@pytest.mark.parametrize("token", [["Zq9vLm3Rt7Wx2Kp5Hy"], {"t": "Zq9vLm3Rt7Wx2Kp5Hy"}])
def test_a_refreshed_token_that_is_no_string_is_masked(tmp_path, monkeypatch, capsys, token):
    """Pass 44c: CreateToken answering its access token as a list or an object: botocore's
    refusal of it as a parameter ("Invalid type ..., value: [...]") quoted it whole."""
    config = _sso_session_near_expiry(tmp_path, monkeypatch)

    def handle(head: str, body: str):
        if _is_create_token(head):
            answer = {"accessToken": token, "expiresIn": 3600, "tokenType": "Bearer"}
            return 200, "application/json", json.dumps(answer).encode()
        return 500, "x", b""

    status, said = _echo_pull(tmp_path, monkeypatch, capsys, config, handle, "sso")
    assert status == 2 and "Invalid type" in said and _hidden("Zq9vLm3Rt7Wx2Kp5Hy", said), said


def test_the_refresh_tokens_of_an_sso_session_refresh_are_masked(tmp_path, monkeypatch, capsys):
    """Pass 41c: the refresh token botocore sends to CreateToken, and the new refresh and
    id tokens it gets back, were printed when a later answer echoed them; 42c: the cached
    access token the refresh replaced, never sent, was written in a snapshot's cells; 43c:
    the cache's id token too, a list of one (44c)."""
    config = _sso_session_near_expiry(tmp_path, monkeypatch)
    issued = {"accessToken": "ssoNEWaccess123456789", "refreshToken": "ssoNEWrefresh98765",
              "idToken": "ssoNEWidtoken55555555", "expiresIn": 3600}  # fmt: skip
    sent = []

    def handle(head: str, body: str):
        if _is_create_token(head):
            sent.append(json.loads(body).get("refreshToken"))
            return 200, "application/json", json.dumps(issued).encode()
        said = f"bad {_SSO_REFRESH} {issued['refreshToken']} {issued['idToken']} {_SSO_OLD}"
        said += f" {_SSO_ID}"
        return 403, "application/json", json.dumps({"message": said}).encode()

    status, said = _echo_pull(tmp_path, monkeypatch, capsys, config, handle, "sso")
    assert status == 2 and sent == [_SSO_REFRESH] and "403: (the message is withheld" in said, said
    tokens = [_SSO_REFRESH, issued["refreshToken"], issued["idToken"], _SSO_OLD, _SSO_ID]
    assert all(_hidden(token, said) for token in tokens)


@pytest.mark.parametrize("expires", ["soon", None])
def test_an_sso_session_refresh_botocore_cannot_read_is_named_as_the_refresh(
    tmp_path, monkeypatch, capsys, expires
):
    """Pass 62c: a CreateToken answer whose expiresIn is no number was said as an answer of
    sso:GetRoleCredentials, a call never sent (botocore's token provider is "sso" too)."""
    config = _sso_session_near_expiry(tmp_path, monkeypatch)
    calls = []

    def handle(head: str, body: str):
        calls.append(head.split("\r\n")[0])
        issued = {"accessToken": "ssoNEWaccess123456789", "expiresIn": expires}
        return 200, "application/json", json.dumps(issued).encode()

    status, said = _echo_pull(tmp_path, monkeypatch, capsys, config, handle, "sso")
    assert status == 2 and len(calls) == 1 and _is_create_token(calls[0]), calls
    assert "sso-oidc:CreateToken (refreshing the sso-session's token)" in said, said
    assert "GetRoleCredentials" not in said


def test_a_web_identity_token_file_swapped_for_a_proc_file_mid_pull_is_refused(
    tmp_path, monkeypatch, capsys
):
    """Pass 33d: a token file swapped mid-pull for a link to /proc/self/environ had the whole
    environment sent to STS as the web identity token, secrets and all, and exit 0."""
    import os

    monkeypatch.setenv("REPORTGEN_TEST_MARK", "LEAKMEMARK")
    status, said, bodies = _token_swapped_mid_pull(
        tmp_path, monkeypatch, capsys, lambda path: os.symlink("/proc/self/environ", path)
    )
    assert status == 2, said
    assert "the web identity token file is a file of the kernel's proc file system" in said
    assert not any("LEAKMEMARK" in body for body in bodies)


# Pass 48c C2-C4: botocore keeps the last of a key given twice; the first, never masked,
# was printed in an error or written to the snapshot when the endpoint echoed it.
_FIRST = "DupFirstValue0123"


def test_a_credential_process_giving_a_key_twice_is_refused_unquoted(tmp_path, monkeypatch, capsys):
    first = json.dumps({**GOOD, "SecretAccessKey": _FIRST})[:-1]
    printed = first + f', "SecretAccessKey": "{GOOD["SecretAccessKey"]}"}}'
    script = f"import sys\nsys.stdout.write({printed!r})\n"
    status, said = _process_pull(tmp_path, monkeypatch, capsys, script)
    assert status == 2, said
    assert "printed the key 'SecretAccessKey' twice in one object" in said, said
    assert _FIRST not in said and GOOD["SecretAccessKey"] not in said


def test_a_container_answer_giving_a_key_twice_is_refused(tmp_path, monkeypatch, capsys):
    body = (
        '{"AccessKeyId": "ASIAQX7EXAMPLE000001", "SecretAccessKey": "CtrSecret0123", '
        f'"Token": "{_FIRST}", "Token": "CtrToken0123456789", '
        '"Expiration": "2099-01-01T00:00:00Z"}'
    ).encode()
    status, said = _container_pull(tmp_path, monkeypatch, capsys, _json(body, "application/json"))
    assert status == 2, said
    assert (
        "the container credentials endpoint: the answer is JSON holding the key 'Token' twice"
        in said
    )
    assert _FIRST not in said and "GetResources" not in said


def test_an_sso_role_answer_giving_a_key_twice_is_refused(tmp_path, monkeypatch, capsys):
    _sso_token(tmp_path, monkeypatch, "ssoAccessTokenSECRETvalue98765")
    tagged = []

    def handle(head: str, body: str):
        if "/federation/credentials" in head:
            keys = (
                '{"roleCredentials": {"accessKeyId": "ASIASSOROLE000000001", '
                f'"secretAccessKey": "{_FIRST}", "secretAccessKey": "SsoRoleSecret01", '
                '"sessionToken": "SsoRoleSession0123", "expiration": 4102444800000}}'
            )
            return 200, "application/json", keys.encode()
        tagged.append(1)  # the endpoint echoes the first value as a tag's value
        tags = [{"Key": "echo", "Value": _FIRST}]
        page = {"ResourceTagMappingList": [{"ResourceARN": "arn:aws:s3:::b1", "Tags": tags}]}
        return 200, "application/x-amz-json-1.1", json.dumps(page).encode()

    status, said = _echo_pull(tmp_path, monkeypatch, capsys, _SSO_CONFIG, handle, "sso")
    assert status == 2, said
    assert "JSON holding the key 'secretAccessKey' twice" in said, said
    assert not tagged and not (tmp_path / "out").exists()


_ROLE_SECRET = "SecondRoleSecret0123456789"


@pytest.mark.parametrize(
    "encode",
    [
        lambda xml: xml,
        lambda xml: b"\xef\xbb\xbf" + xml,
        lambda xml: xml.decode().encode("utf-16"),
        lambda xml: ("\ufeff" + xml.decode()).encode("utf-16-be"),
    ],
    ids=["utf-8", "utf-8-bom", "utf-16", "utf-16-be"],
)
def test_an_sts_answer_giving_its_credentials_twice_is_refused(
    tmp_path, monkeypatch, capsys, encode
):
    """Pass 49c C2: an AssumeRole answer holding two <Credentials>: botocore signed with the
    first, and the second's secret key, never masked, was printed when echoed. Pass 50c C1:
    the same answer after a byte-order mark, or in UTF-16, which botocore's parser reads
    too, was not checked."""

    def handle(head: str, body: str):
        if "Action=AssumeRole" in body:
            keys = ("ASIAROLEKEY000000001", "FirstRoleSecret0123", "RoleToken01234567")
            status, kind, answer = _assumed(*keys, "2099-01-01T00:00:00Z")
            block = answer[answer.index(b"<Credentials>") : answer.index(b"</Credentials>") + 14]
            second = block.replace(b"FirstRoleSecret0123", _ROLE_SECRET.encode())
            return status, kind, encode(answer.replace(block, block + second))
        return 400, "application/json", json.dumps({"message": f"x {_ROLE_SECRET}"}).encode()

    status, said = _echo_pull(tmp_path, monkeypatch, capsys, _ROLE_CONFIG, handle, "role")
    assert status == 2, said
    assert (
        "sts (fetching credentials): the answer is XML holding the element 'Credentials' twice"
        in said
    ), said
    assert _ROLE_SECRET not in said and "GetResources" not in said


_BOMB = (
    '<?xml version="1.0"?><!DOCTYPE a [<!ENTITY e0 "'
    + "x" * 1000
    + '">'
    + "".join(f'<!ENTITY e{n} "{f"&e{n - 1};" * 16}">' for n in range(1, 9))
    + "]><AssumeRoleResponse><AssumeRoleResult><Credentials><SecretAccessKey>&e8;"
    + "</SecretAccessKey></Credentials></AssumeRoleResult></AssumeRoleResponse>"
)


@pytest.mark.parametrize(
    "answer",
    [
        f"<AssumeRoleResponse><Credentials><SecretAccessKey>{_ROLE_SECRET}</SecretAccessKey><Se",
        f'\ufeff  {{"Credentials": {{"SecretAccessKey": "{_ROLE_SECRET}", "Ses',
        _BOMB,
    ],
    ids=["xml-cut-short", "json-cut-short", "entity-bomb"],
)
def test_an_sts_answer_that_does_not_parse_is_refused_unquoted(
    tmp_path, monkeypatch, capsys, answer
):
    """Pass 51c C1: an AssumeRole answer cut short: botocore's refusal quoted its start,
    the new secret key (never signed with, so never masked) printed, and the message named
    no source (C5: an entity bomb's neither)."""

    def handle(head: str, body: str):
        if "Action=AssumeRole" in body:
            return 200, "text/xml", answer.encode()
        return 400, "application/json", b'{"message": "not asked"}'

    status, said = _echo_pull(tmp_path, monkeypatch, capsys, _ROLE_CONFIG, handle, "role")
    assert status == 2, said
    assert "sts (fetching credentials): the answer is XML or JSON that does not parse" in said
    assert _ROLE_SECRET[:8] not in said and "ResponseParserError" not in said, said


@pytest.mark.parametrize(
    "encode",
    [
        lambda xml: "\u00a0".encode() + xml,
        lambda xml: b"x" + xml,
        lambda xml: xml.decode().encode("utf-16-le"),
    ],
    ids=["no-break-space-first", "a-letter-first", "utf-16-without-bom"],
)
def test_an_sts_answer_parsing_as_neither_xml_nor_json_is_refused_unquoted(
    tmp_path, monkeypatch, capsys, encode
):
    """Pass 52c C1: an accepted AssumeRole answer starting with neither '<' nor '{' was let
    through to botocore, whose refusal quoted it: the new secret key printed."""
    secret = "NewRoleSecretParsingAsNeither01"

    def handle(head: str, body: str):
        if "Action=AssumeRole" in body:
            status, kind, answer = _assumed("ASIAROLEKEY000000001", secret, "Tok01234", "2099Z")
            short = answer[: answer.index(b"<SessionToken>")]
            return status, kind, encode(short)
        return 400, "application/json", b'{"message": "not asked"}'

    status, said = _echo_pull(tmp_path, monkeypatch, capsys, _ROLE_CONFIG, handle, "role")
    assert status == 2, said
    assert "sts (fetching credentials): the answer is XML or JSON that does not parse" in said
    assert secret[:10] not in said, said


def test_secrets_in_an_sts_error_answer_are_masked(tmp_path, monkeypatch, capsys):
    """Pass 52c C3: a 400 AccessDenied whose <Message> held <Credentials>: botocore read it
    as a dict, and the refusal printed its secret key and token, never signed with."""
    secret, token = "ErrorAnswerSecret0123456", "ErrorAnswerToken0123456789"

    def handle(head: str, body: str):
        if "Action=AssumeRole" in body:
            error = (
                '<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error>'
                "<Type>Sender</Type><Code>AccessDenied</Code><Message><Credentials>"
                f"<SecretAccessKey>{secret}</SecretAccessKey><SessionToken>{token}"
                "</SessionToken></Credentials></Message></Error></ErrorResponse>"
            )
            return 400, "text/xml", error.encode()
        return 400, "application/json", b'{"message": "not asked"}'

    status, said = _echo_pull(tmp_path, monkeypatch, capsys, _ROLE_CONFIG, handle, "role")
    assert status == 2, said
    assert secret not in said and token not in said, said
    # 53c W5: it read "{'Credential***ccessKey': '***'}}"; a message holding markup is withheld
    assert "AWS denied sts:AssumeRole: (the message is withheld" in said, said


_SECRET_53 = "Zq7EchoXv0123456789abcdefKpW"
_REFUSALS_53 = {  # a refusal's message holding credentials, written as 53c wrote them
    "escaped-xml": "Denied &lt;Credentials&gt;&lt;SecretAccessKey&gt;{s}&lt;/SecretAccessKey"
    "&gt;&lt;/Credentials&gt;",
    "cdata": "Denied <![CDATA[<SecretAccessKey>{s}</SecretAccessKey>]]>",
    "escaped-json-key": 'Denied {{"\\u0053ecretAccessKey": "{s}"}}',
    "name-then-value": "Denied, SecretAccessKey: {s}",
}


@pytest.mark.parametrize("form", _REFUSALS_53)
def test_an_sts_refusal_quoting_credentials_is_withheld(tmp_path, monkeypatch, capsys, form):
    """Pass 53c S1: an AccessDenied whose message held the credentials escaped, in CDATA
    or as JSON printed the secret whole: only values under a secret's name written as
    such were masked. A credential call's refusal is now rewritten to its code and a
    message that is plain prose before botocore quotes it."""

    def handle(head: str, body: str):
        if "Action=AssumeRole" in body:
            return _sts_error(_REFUSALS_53[form].format(s=_SECRET_53))
        return 400, "application/json", b'{"message": "not asked"}'

    status, said = _echo_pull(tmp_path, monkeypatch, capsys, _ROLE_CONFIG, handle, "role")
    assert status == 2, said
    assert _SECRET_53[:12] not in said and "ecretAccessKey" not in said, said
    assert "AWS denied sts:AssumeRole: (the message is withheld: a refusal of a credential " in said


def test_an_sts_refusal_is_said_by_its_code_alone(tmp_path, monkeypatch, capsys):
    """Pass 56c C1: a message was shown when a word list called it prose, and a passphrase
    or a PIN in one was printed; now no message of a credential call is."""
    words = "denied: the break-glass passphrase is correct horse battery staple"

    def handle(head: str, body: str):
        if "Action=AssumeRole" in body:
            return _sts_error(words)
        return 400, "application/json", b'{"message": "not asked"}'

    status, said = _echo_pull(tmp_path, monkeypatch, capsys, _ROLE_CONFIG, handle, "role")
    assert status == 2 and "AWS denied sts:AssumeRole: (the message is withheld" in said, said
    assert "horse" not in said


def test_an_accepted_sts_answer_in_json_is_refused_unquoted(tmp_path, monkeypatch, capsys):
    """Pass 54c P10: AssumeRole answered 200 with JSON: it parsed (as JSON), so it went on
    to botocore, whose XML parser's refusal quoted it, the key in it printed whole."""

    def handle(head: str, body: str):
        if "Action=AssumeRole" in body:
            return 200, "application/json", json.dumps({"Issued": _SECRET_53}).encode()
        return 400, "application/json", b'{"message": "not asked"}'

    status, said = _echo_pull(tmp_path, monkeypatch, capsys, _ROLE_CONFIG, handle, "role")
    assert status == 2 and "the answer is JSON, where XML is read" in said, said
    assert _SECRET_53[:8] not in said, said


@pytest.mark.parametrize(
    "answer",
    [
        (403, "text/html", b"<html><body><h1>403 Forbidden</h1>Blocked by proxy</body></html>"),
        (
            403,
            "text/xml",
            b"<ErrorResponse><Error><Message>denied</Message></Error></ErrorResponse>",
        ),
        (
            403,
            "text/xml",
            b"<ErrorResponse><Error><Code>Access Denied</Code></Error></ErrorResponse>",
        ),
    ],
    ids=["a-proxy-s-page", "no-code", "a-code-with-a-space"],
)
def test_an_sts_refusal_without_a_code_is_said_by_its_status(tmp_path, monkeypatch, capsys, answer):
    """Pass 54c P6: botocore read no code from these, and the pull stopped on 'internal
    error: TypeError'."""

    def handle(head: str, body: str):
        if "Action=AssumeRole" in body:
            return answer
        return 400, "application/json", b'{"message": "not asked"}'

    status, said = _echo_pull(tmp_path, monkeypatch, capsys, _ROLE_CONFIG, handle, "role")
    assert status == 2 and "AWS refused sts:AssumeRole: 403: " in said, said
    assert "internal error" not in said


def test_an_sso_refusal_quoting_credentials_is_withheld(tmp_path, monkeypatch, capsys):
    """Pass 53c O1: a GetRoleCredentials 403 whose JSON message held a JSON object with the
    secret key printed it whole."""
    _sso_token(tmp_path, monkeypatch, "ssoAccessTokenUnused0123456789")
    echoed = json.dumps({"SecretAccessKey": _SECRET_53})

    def handle(head: str, body: str):
        return 403, "application/json", json.dumps({"message": f"denied {echoed}"}).encode()

    status, said = _echo_pull(tmp_path, monkeypatch, capsys, _SSO_CONFIG, handle, "sso")
    assert status == 2, said
    assert _SECRET_53[:12] not in said and "(the message is withheld" in said, said


@pytest.mark.parametrize(
    "answer",
    [
        '{{"Code": "InternalError", "\\u0053ecret\\u0041ccess\\u004bey": "{s}"}}',
        '{{"Code": "InternalError", "\\u0054oken": "{s}"}}',
        '{{"Code": "x", "SecretAccessKey": ["{s}"]}}',
        "<Error><Code>x</Code><SecretAccessKey><![CDATA[{s}]]></SecretAccessKey></Error>",
        "<Error><SecretAccessKey><!-- c -->{s}</SecretAccessKey></Error>",
        '<Error Code="x" SecretAccessKey="{s}"/>',
        "{{'SecretAccessKey': '{s}'}}",
        '{{"SecretAccessKey": "{s}"}}',
        '{{"code": "{s}", "message": "failed"}}',
        "<Error><Code>{s}</Code></Error>",
    ],
    ids=[
        "escaped-key",
        "escaped-token",
        "list",
        "cdata",
        "comment",
        "attribute",
        "python",
        "plain",
        "as-the-code",
        "as-the-xml-code",
    ],
)
def test_a_container_refusal_quoting_credentials_is_withheld(tmp_path, monkeypatch, capsys, answer):
    """Pass 53c C1-C3 (W1, W3): the container endpoint's 500, a secret in it written any
    way but '"SecretAccessKey": "..."' (52c C2: that way too, before it was masked):
    botocore quoted the answer, and the secret printed; 54c P1: as the error's code."""
    error = answer.format(s=_SECRET_53).encode()

    def failing(conn) -> None:
        head = f"HTTP/1.1 500 X\r\nContent-Type: application/json\r\nContent-Length: {len(error)}"
        conn.sendall(head.encode() + b"\r\n\r\n" + error)

    (tmp_path / "awsconfig").write_text("")
    with serving(lambda head, body: failing) as endpoint, _endpoint(_json(TAGGED)) as url:
        env = {"AWS_CONTAINER_CREDENTIALS_FULL_URI": f"{endpoint}/c"}
        status, said = _run(tmp_path, monkeypatch, capsys, url, env, None)
    assert status == 2, said
    assert _SECRET_53[:8] not in said, said


@pytest.mark.parametrize(
    "secret", ["<b>RoleSecretInside012</b>", "RoleSecret<b/>Inside012"], ids=["inside", "mixed"]
)
def test_an_sts_answer_holding_markup_in_its_secret_is_refused(
    tmp_path, monkeypatch, capsys, secret
):
    """Pass 50a W15: an element inside <SecretAccessKey> gave botocore an empty (or cut)
    secret, and the refusals that followed were blamed on the IAM policy."""
    asked = []

    def handle(head: str, body: str):
        if "Action=AssumeRole" in body:
            return _assumed("ASIAROLEKEY000000001", secret, "RoleToken01234567", "2099-01-01Z")
        asked.append(head)
        return 403, "application/json", json.dumps({"message": "denied"}).encode()

    status, said = _echo_pull(tmp_path, monkeypatch, capsys, _ROLE_CONFIG, handle, "role")
    assert status == 2, said
    assert "the answer is XML holding markup inside the value 'SecretAccessKey'" in said, said
    assert not asked and "IAM policy" not in said


@pytest.mark.parametrize(
    ("charset", "encode"),
    [
        ("utf-7", lambda text: text.replace('"Secret', '"+AFM-ecret', 1).encode()),
        ("utf-16", lambda text: text.encode("utf-16")),
    ],
)
def test_a_metadata_answer_giving_a_key_twice_in_its_own_charset_is_refused(
    tmp_path, monkeypatch, capsys, charset, encode
):
    """Pass 49c C1: botocore's metadata fetcher decodes by the Content-Type's charset: a
    UTF-7 answer spelt SecretAccessKey two ways, a UTF-16 one was not checked at all, and
    the first value, which botocore drops, was printed when the endpoint echoed it."""
    keys = (
        '{"Code": "Success", "AccessKeyId": "ASIAQX7ZK00000000001", '
        f'"SecretAccessKey": "{_FIRST}", "SecretAccessKey": "Qx7ZkSecretVal0123", '
        '"Token": "Qx7ZkTokenValue0123456789", "Expiration": "2099-01-01T00:00:00Z"}'
    )
    found = encode(keys)

    def metadata(head: bytes, body: bytes):
        if b"/api/token" in head:
            return _json(b"imds-token", "text/plain")
        if head.split(b" ")[1].endswith(b"security-credentials/"):
            return _json(b"role1", "text/plain")
        return _json(found, f"text/plain; charset={charset}")

    def handle(head: str, body: str):
        return 400, "application/json", json.dumps({"message": f"echo {_FIRST}"}).encode()

    (tmp_path / "awsconfig").write_text("")
    with serving(metadata) as imds, _aws(handle) as url:
        env = {"AWS_EC2_METADATA_DISABLED": "false", "AWS_EC2_METADATA_SERVICE_ENDPOINT": imds,
               **_PATIENT_METADATA}  # fmt: skip
        status, said = _run(tmp_path, monkeypatch, capsys, url, env, None)
    assert status == 2, said
    assert "the instance metadata service: the answer is JSON holding the key" in said, said
    assert _FIRST not in said


@pytest.mark.parametrize(
    ("token", "after"),
    [
        ("AQAEAImdsSessionTok3nFAKEvalue0123456789=", "\n"),
        ("AQAEAImdsSessionTok3nFAKEvalue0123456789=", "\nSecondHalfOfIt7788\n"),
        ("AQAEAImdsSessionTok3nFAKEvalue0123456789=", " SecondHalfOfIt7788"),
        # 57c F1: a short first word, a quote, five words
        ("abc", "\nSecondHalfOfIt7788"),
        ('AQAEAImdsSessionTok3n"FAKE', "\nSecondHalfOfIt7788"),
        ("AQAEAImdsSessionTok3n a b c", "\nSecondHalfOfIt7788"),
    ],
)
def test_a_metadata_token_with_a_line_break_is_not_printed(
    tmp_path, monkeypatch, capsys, token, after
):
    """Pass 55c I01: the metadata service's session token, answered with a line break
    after it, was quoted whole in "Invalid header value b'...\\n'"; 56c C2: with a line
    break or a space inside it; 57c F1: whatever its words are."""

    def metadata(head: bytes, body: bytes):
        if b"/api/token" in head:
            return _json((token + after).encode(), "text/plain")
        return _json(b"role1", "text/plain")

    (tmp_path / "awsconfig").write_text("")
    with serving(metadata) as imds, _aws(lambda h, b: (400, "text/plain", b"x")) as url:
        env = {"AWS_EC2_METADATA_DISABLED": "false", "AWS_EC2_METADATA_SERVICE_ENDPOINT": imds,
               **_PATIENT_METADATA}  # fmt: skip
        status, said = _run(tmp_path, monkeypatch, capsys, url, env, None)
    assert status == 2, said
    assert "ImdsSession" not in said and "SecondHalf" not in said, said


@pytest.mark.parametrize(
    ("user", "password", "shown"),
    [
        ("svc", "Uri0PassWordFake77", "Uri0Pa"),
        ("", "Kq7Zx9Lm", "Kq7Zx9"),
        ("u", "CntPssw0rdXY99", "CntP"),
    ],
    ids=["whole", "at-the-cut", "at-the-cut-with-a-user"],
)
def test_the_password_in_the_container_endpoint_s_url_is_masked(
    tmp_path, monkeypatch, capsys, user, password, shown
):
    """Pass 55c C16: AWS_CONTAINER_CREDENTIALS_FULL_URI's password was printed when the
    endpoint could not be reached (three times with --debug). 56c C4: one that the cut of
    the message to 200 characters split had its first characters shown."""
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    port = closed.getsockname()[1]
    closed.close()
    (tmp_path / "awsconfig").write_text("")
    env = {"AWS_CONTAINER_CREDENTIALS_FULL_URI": f"http://{user}:{password}@127.0.0.1:{port}/c"}
    from reportgen import cli

    monkeypatch.setitem(cli._state, "debug", False)  # --debug holds for the process: undone
    with _endpoint(_json(TAGGED)) as url:
        status, said = _run(tmp_path, monkeypatch, capsys, url, env, None, "--debug")
    assert status == 2, said
    assert shown not in said, said


def test_an_empty_sts_answer_is_named(tmp_path, monkeypatch, capsys):
    """Pass 55c C07: AssumeRole answered 200 with nothing: botocore's parser error named
    no source and its hint blamed the settings."""

    def handle(head: str, body: str):
        if "Action=AssumeRole" in body:
            return 200, "text/xml", b"  \n"
        return 400, "application/json", b'{"message": "not asked"}'

    status, said = _echo_pull(tmp_path, monkeypatch, capsys, _ROLE_CONFIG, handle, "role")
    assert status == 2 and "sts (fetching credentials): the answer is empty" in said, said


def test_the_password_of_an_endpoint_url_in_the_config_file_is_masked(tmp_path, monkeypatch):
    """Pass 56c C3: an endpoint_url with a password in a profile or a [services] section
    was printed whole when the endpoint could not be reached."""
    import boto3

    from reportgen.inventory.pull.credentials import configured_secrets

    (tmp_path / "config").write_text(
        "[profile p]\nregion = eu-west-1\nendpoint_url = http://admin:CfgPassw0rdXY@127.0.0.1:9\n"
        "services = s1\n[services s1]\nresource_groups_tagging_api =\n"
        "  endpoint_url = http://admin:SvcPassw0rdXY@127.0.0.1:9\n"
    )
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "config"))
    found = configured_secrets(boto3.Session(profile_name="p"), "p")
    assert {"CfgPassw0rdXY", "SvcPassw0rdXY"} <= set(found), found


@pytest.mark.parametrize(
    ("where", "url", "named"),
    [
        ("AWS_ENDPOINT_URL", "http://127.0.0.1:99999", "AWS_ENDPOINT_URL:"),
        ("AWS_ENDPOINT_URL", "http://u:Pw0rdPortFake@127.0.0.1:12ab", "AWS_ENDPOINT_URL:"),
        ("endpoint_url", "http://127.0.0.1:70000", "endpoint_url of the AWS config file"),
        # twentieth pass: urllib.parse's ValueError, under botocore, was an internal error
        ("AWS_ENDPOINT_URL", "http://[::1", "AWS_ENDPOINT_URL:"),
        # 57c F1, F2: a password in the metadata endpoint of the config file; one holding
        # a '#', which the URL parser took for the URL's end (its first part as the port)
        ("ec2_metadata_service_endpoint", "http://u:Pw0rdPortFake@127.0.0.1:99999/",
         "ec2_metadata_service_endpoint of the AWS config file"),
        ("AWS_ENDPOINT_URL", "http://svc:Pw0rd#PortFake@127.0.0.1:8443/", "AWS_ENDPOINT_URL:"),
        # 59c F1: a blank after the port, which the check stripped and botocore did not
        ("AWS_ENDPOINT_URL", "http://u:Pw0rdPortFake@127.0.0.1:1 ", "AWS_ENDPOINT_URL:"),
        ("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", ":Pw0rdPortFake@127.0.0.1:99999/c",
         "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI:"),
    ],
)  # fmt: skip
def test_an_endpoint_url_with_a_bad_port_is_named(tmp_path, monkeypatch, capsys, where, url, named):
    """Pass 56c C10: a port past 65535 or not a number was said as 'the answer is not one
    AWS sends (its parser failed: ValueError)', with a hint to check a proxy: nothing had
    been sent."""
    in_file = where.islower()
    (tmp_path / "awsconfig").write_text(f"[default]\n{where} = {url}\n" if in_file else "")
    env = {"AWS_ACCESS_KEY_ID": "AKIAPORTTEST0000000", "AWS_SECRET_ACCESS_KEY": "s" * 40}
    if not in_file and where != "AWS_ENDPOINT_URL":
        env[where] = url
    endpoint = url if where == "AWS_ENDPOINT_URL" else ""
    status, said = _run(tmp_path, monkeypatch, capsys, endpoint, env, None)
    assert status == 2 and named in said and "cannot be connected to" in said, said
    assert "parser" not in said and "Pw0rd" not in said and "Port" not in said, said


def test_renewed_credentials_are_held_in_a_window_each_masked_once_made():
    """Pass 59d D1: each renewal remade the masking of every secret so far: with
    credentials renewed before each request, the time between pages grew from 2 s to 18 s
    and memory by 11 MB a renewal. The lasting secrets stay; the latest renewals are masked
    in every form, older ones as written."""
    import secrets as random_secrets

    from reportgen.inventory.pull.secrets import RENEWALS_KEPT, Secrets

    known = Secrets(["LastingSourceKey0001"])
    tokens = [random_secrets.token_hex(24) for _ in range(RENEWALS_KEPT + 20)]
    for token in tokens:
        known.add(f"RoleToken{token}", renewed=True)
    assert len(known._renewed) == RENEWALS_KEPT and len(known.values()) == 1 + len(tokens)
    said = known(f"bad token RoleToken{tokens[-1]} from LastingSourceKey0001")
    assert said == "bad token *** from ***", said
    # 60c C1: the first, past the latest batches, was printed; it is masked as written
    assert known(f"old RoleToken{tokens[0]}.") == "old ***.", tokens[0]


def test_a_metadata_token_longer_than_4096_characters_is_learnt_whole():
    """Pass 60c C3: only a plain answer's first 4,096 characters were learnt, and an echo
    of the metadata token's characters 4,500 to 4,640 was printed."""
    import secrets as random_secrets

    from reportgen.inventory.pull.credentials import _learner
    from reportgen.inventory.pull.secrets import Secrets

    token = random_secrets.token_hex(3000)  # 6,000 characters
    known = Secrets()
    assert _learner(known, plain=True)([token], True)
    said = known(f"tail of the token: {token[4500:4640]}")
    assert token[4500:4520] not in said, said


def test_an_answer_of_escaped_quotes_is_read_for_secrets_in_one_pass():
    """Pass 60d D2: a name-value pattern searched from each quote of a run of escaped quotes
    took time in the square of the run (64 KB: 28 s), said as "no whole answer in 30 s"."""
    from reportgen.inventory.pull.credentials import _learner
    from reportgen.inventory.pull.secrets import Secrets

    known = Secrets()
    answer = '{"Code": "' + '\\"' * 150_000
    with within(10):
        assert _learner(known, plain=True)([answer], True)
    secret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCY"
    assert _learner(known)([f'{{"SecretAccessKey" : "{secret}\\/x", "Token": "t0k"}}'], True)
    assert known(f"echo {secret}/x") == "echo ***", known(f"echo {secret}/x")


@pytest.mark.parametrize(
    "answer",
    [
        '{"Pass\\u0077ord": "%s"}',  # 61c C1: a secret's name in escapes
        '{"Client\\u0053ecret": "%s", "Token": "t"}',
        '{"Password": ["%s"]}',  # 61c C2: in a list, an object, nested
        '{"ClientSecret": {"v": {"w": "%s"}}}',
        '{"ApiKey": %s}',  # a number, as written
        "<R><Password><![CDATA[%s]]></Password></R>",  # 61c C3: CDATA, a comment
        "<R><SecretAccessKey><!-- c -->%s</SecretAccessKey></R>",
        '<?xml version="1.0"?><R><a:Token xmlns:a="urn:x"> %s </a:Token></R>',
        '<R><Entry password="%s"/></R>',
        '\ufeff{"Pass\\u0077ord": "%s"}',  # after a byte-order mark, which json.loads refuses
    ],
)
def test_a_secret_an_accepted_answer_holds_in_any_spelling_is_learnt(answer):
    """Pass 61c C1-C3: the values under a secret's name were found by patterns only, which
    missed a name in escapes, a value in a list or an object, CDATA and a comment: each,
    echoed in a later refusal, was printed."""
    from reportgen.inventory.pull.credentials import _learner
    from reportgen.inventory.pull.secrets import Secrets

    secret = "48151623420815"
    known = Secrets()
    assert _learner(known)([answer % secret], True)
    said = known(f"denied; echo {secret}")
    assert secret not in said and said.startswith("denied; echo ***"), said


def test_tokens_of_sso_session_refreshes_are_held_in_the_renewal_window():
    """Pass 63d D1: each refresh's tokens were added as lasting secrets, each with masking
    of its own in every encoding, for the whole pull: 800 refreshes took 11.7 GB and 7.7 s
    to mask one message."""
    from reportgen.inventory.pull.secrets import RENEWALS_KEPT, Secrets, record_token_parameters

    handlers = {}

    class Events:
        def register(self, name, handler):
            handlers[name] = handler

    client = type("Client", (), {"meta": type("Meta", (), {"events": Events()})()})()
    known = Secrets()
    record_token_parameters(client, known)
    tokens = [f"RefreshTok{n:04d}" + "x" * 1_000 for n in range(3 * RENEWALS_KEPT)]
    for token in tokens:
        handlers["before-parameter-build.*.*"](params={"refreshToken": token})
        handlers["after-call.*.*"](parsed={"accessToken": token.replace("Refresh", "Access")})
    assert not known._lasting and len(known._renewed) == RENEWALS_KEPT
    said = known(f"echo {tokens[0]} and {tokens[-1]}")
    assert said == "echo *** and ***", said[:200]


def test_tokens_read_again_from_the_sso_cache_are_held_in_the_renewal_window(tmp_path):
    """Pass 70d D1: each read of botocore's SSO token cache added its tokens as lasting
    secrets: a token renewed every page took 8 MB a page, 1.45 GB in 160 pages."""
    from botocore.utils import JSONFileCache

    from reportgen.inventory.pull.credentials import bounded_cache_files
    from reportgen.inventory.pull.secrets import RENEWALS_KEPT, Secrets

    cache = JSONFileCache(working_dir=str(tmp_path))
    known = Secrets()
    tokens = [f"AccessTok{n:04d}" + "x" * 1_000 for n in range(3 * RENEWALS_KEPT)]
    with bounded_cache_files(known):
        for token in tokens:
            cache["entry"] = {"accessToken": token, "refreshToken": "RefreshTokLasting0000"}
            assert cache["entry"]["accessToken"] == token
    assert len(known._lasting) == 1 and len(known._renewed) == RENEWALS_KEPT
    said = known(f"echo {tokens[0]} and {tokens[-1]} and RefreshTokLasting0000")
    assert said == "echo *** and *** and ***", said[:200]


def _sso_role_keys_expiring(expiration: object):
    def handle(head: str, body: str):
        if "/federation/credentials" in head:
            keys = {"accessKeyId": "ASIASSOROLE000000001", "secretAccessKey": "SsoRoleSecret01",
                    "sessionToken": "SsoRoleSession0123", "expiration": expiration}  # fmt: skip
            return 200, "application/json", json.dumps({"roleCredentials": keys}).encode()
        page = {"ResourceTagMappingList": [{"ResourceARN": "arn:aws:s3:::b1", "Tags": []}]}
        return 200, "application/x-amz-json-1.1", json.dumps(page).encode()

    return handle


@pytest.mark.parametrize("expiration", [10**20, -(10**20), 10**300])
def test_an_sso_role_expiry_botocore_cannot_convert_names_the_call(
    tmp_path, monkeypatch, capsys, expiration
):
    """Pass 74c: a GetRoleCredentials expiration of 1e20 ms (past any date Python holds)
    was said as "botocore could not go on: OverflowError", naming no call."""
    _sso_token(tmp_path, monkeypatch, "q7ZpX2mK9vLr4sNwY8ssoAccess")
    handle = _sso_role_keys_expiring(expiration)
    status, said = _echo_pull(tmp_path, monkeypatch, capsys, _SSO_CONFIG, handle, "sso")
    assert status == 2 and "sso:GetRoleCredentials" in said, said
    assert "could not go on" not in said and "SsoRoleSecret01" not in said


@pytest.mark.parametrize("expires", [10**12, 1e300, -(10**12)])
def test_an_sso_session_refresh_expiry_botocore_cannot_convert_names_the_refresh(
    tmp_path, monkeypatch, capsys, expires
):
    """Pass 74c: a CreateToken expiresIn of 1e12 seconds was said as "botocore could not go
    on: OverflowError"."""
    config = _sso_session_near_expiry(tmp_path, monkeypatch)

    def handle(head: str, body: str):
        issued = {"accessToken": "ssoNEWaccess123456789", "expiresIn": expires}
        return 200, "application/json", json.dumps(issued).encode()

    status, said = _echo_pull(tmp_path, monkeypatch, capsys, config, handle, "sso")
    assert status == 2 and "sso-oidc:CreateToken (refreshing" in said, said
    assert "could not go on" not in said and "ssoNEWaccess" not in said


@pytest.mark.parametrize(
    ("expires", "why"),
    [
        ("1e300", "further from today than any date can"),
        ("99999999999999999999", "further from today than any date can"),
        ("+99999-01-01T00:00:00Z", "its expiry time"),  # 75c: "(ValueError)" alone
        ("nan", "its expiry time is not a date and time"),  # 75c: "(ValueError)" alone
    ],
)
@pytest.mark.parametrize("mid_pull", [False, True], ids=["at-start", "mid-pull"])
def test_a_role_expiry_botocore_cannot_convert_names_assume_role(
    tmp_path, monkeypatch, capsys, expires, why, mid_pull
):
    """Pass 74c: an AssumeRole <Expiration> of 1e300 was said as "botocore could not go on:
    RuntimeError: Unable to calculate correct timezone offset", naming no call."""
    soon = _in_five_minutes()
    assumed: list[str] = []

    def handle(head: str, body: str):
        if "Action=AssumeRole" in body:
            assumed.append(body)
            when = soon if mid_pull and len(assumed) == 1 else expires
            return _assumed("ASIAROLEKEY0000001", "rolesecret" * 3, "RoleToken1", when)
        page = {"ResourceTagMappingList": [{"ResourceARN": "arn:aws:s3:::b1", "Tags": []}],
                "PaginationToken": "p2"}  # fmt: skip
        return 200, "application/x-amz-json-1.1", json.dumps(page).encode()

    status, said = _echo_pull(tmp_path, monkeypatch, capsys, _ROLE_CONFIG, handle, "role")
    assert status == 2 and "sts:AssumeRole" in said and why in said, said
    assert "could not go on" not in said and "rolesecret" not in said
    assert ("renewing the credentials before" in said) == mid_pull


@pytest.mark.parametrize(
    ("key", "value", "why"),
    [
        ("registrationExpiresAt", "99999999999999999999", "is not a date and time botocore can"),
        ("registrationExpiresAt", 5, "is not a date and time written as text"),
        ("expiresAt", "2030-01-01T00:00:00", "has no time zone"),
        ("expiresAt", "99999999999999999999", "is not a date and time botocore can"),
    ],
)
def test_a_date_in_the_sso_cache_botocore_cannot_read_names_the_cache(
    tmp_path, monkeypatch, capsys, key, value, why
):
    """Pass 75c: a registrationExpiresAt or expiresAt past any date was said as the answer of
    sso-oidc:CreateToken or sso:GetRoleCredentials, calls never sent, not as the cache."""
    config = _sso_session_near_expiry(tmp_path, monkeypatch)
    (cached,) = (tmp_path / "home" / ".aws" / "sso" / "cache").iterdir()
    cached.write_text(json.dumps({**json.loads(cached.read_text()), key: value}))
    asked = []

    def handle(head: str, body: str):
        asked.append(head)
        return 500, "application/json", b"{}"

    status, said = _echo_pull(tmp_path, monkeypatch, capsys, config, handle, "sso")
    assert status == 2 and not asked, said
    assert f"botocore's cache file: its {key} {why}" in said and cached.name in said, said
    assert "CreateToken" not in said and "GetRoleCredentials" not in said


def _login_cache(tmp_path, monkeypatch, access_token) -> tuple[Any, Path]:
    """botocore's `aws login` cache in ``tmp_path``, holding one entry, 'alice'."""
    from botocore.utils import JSONFileCache

    folder = tmp_path / "login"
    folder.mkdir()
    monkeypatch.setenv("AWS_LOGIN_CACHE_DIRECTORY", str(folder))
    entry = {"accessToken": access_token, "tokenType": "aws_sigv4", "clientId": "arn:client",
             "refreshToken": "LoginRefreshTOKENqqq999", "dpopKey": "-----BEGIN EC PRIVATE "
             "KEY-----\nMHcCAQEEIDpopKeyPRIVATEpart\n-----END EC PRIVATE KEY-----\n"}  # fmt: skip
    (folder / "alice.json").write_text(json.dumps(entry))
    return JSONFileCache(str(folder)), folder / "alice.json"


def test_an_aws_login_cache_is_read_as_botocore_writes_it(tmp_path, monkeypatch):
    """Pass 76c: a login_session profile's cache, whose accessToken is an object of keys,
    was refused as an SSO cache, 'its accessToken is not a string', with a hint to run
    aws sso login, which does not write it."""
    from reportgen.inventory.pull import credentials
    from reportgen.inventory.pull.secrets import Secrets

    keys = {"accessKeyId": "ASIALOGINKEY0000001", "secretAccessKey": "LoginSecretKEYxyz0123",
            "sessionToken": "LoginSessionTOKENabc123XYZ",
            "expiresAt": "2099-01-01T00:00:00Z"}  # fmt: skip
    cache, _ = _login_cache(tmp_path, monkeypatch, keys)
    known = Secrets()
    with credentials.bounded_cache_files(known):
        assert cache["alice"]["accessToken"]["secretAccessKey"] == "LoginSecretKEYxyz0123"
    said = known(f"echo {keys['secretAccessKey']} {keys['sessionToken']} LoginRefreshTOKENqqq999")
    assert said == "echo *** *** ***" and "DpopKeyPRIVATE" not in known(
        "MHcCAQEEIDpopKeyPRIVATEpart"
    )


@pytest.mark.parametrize(
    ("access_token", "why"),
    [
        ("ASIALOGINKEY0000001", "its accessToken is not an object"),
        ({"accessKeyId": "ASIAX", "expiresAt": "99999999999999999999"}, "its accessToken's "
         "expiresAt is not a date and time botocore can read"),
    ],
)  # fmt: skip
def test_an_aws_login_cache_botocore_cannot_read_names_the_file(
    tmp_path, monkeypatch, access_token, why
):
    from reportgen.inventory.pull import credentials
    from reportgen.inventory.pull.secrets import Secrets

    cache, path = _login_cache(tmp_path, monkeypatch, access_token)
    with credentials.bounded_cache_files(Secrets()), pytest.raises(InputError) as caught:
        cache["alice"]
    assert caught.value.file == str(path) and why in caught.value.message, caught.value.message
    assert "aws login" in caught.value.hint
