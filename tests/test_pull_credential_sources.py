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

import pytest

pytest.importorskip("boto3")

from test_pull_bounds import TAGGED, _endpoint, _huge_sts, _json

GOOD = {"Version": 1, "AccessKeyId": "AKIAPROCESSKEY000001", "SecretAccessKey": "ProcSecret0123"}


def _run(tmp_path, monkeypatch, capsys, url: str, env: dict[str, str], profile: str | None):
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
        main([*argv, *(["--profile", profile] if profile else [])])
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
        ("import sys\nsys.stderr.buffer.write(b'no \\xff')\nsys.exit(3)\n", "no \ufffd"),
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


@pytest.mark.parametrize("body", [b"[1, 2]", b'{"AccessKeyId": "\xff"}'])
def test_a_container_answer_botocore_cannot_read_is_named(tmp_path, monkeypatch, capsys, body):
    status, said = _container_pull(tmp_path, monkeypatch, capsys, _json(body, "application/json"))
    assert status == 2, said
    assert "the container credentials endpoint: fetching the credentials failed" in said
    assert "Traceback" not in said


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


def test_the_bounded_process_is_only_the_default_while_pulling():
    from botocore.credentials import ProcessProvider

    from reportgen.inventory.pull.credential_process import BoundedProcess, bounded_processes

    with bounded_processes():
        assert ProcessProvider("p", dict)._popen is BoundedProcess
    assert ProcessProvider("p", dict)._popen is not BoundedProcess
    assert Path(__file__).exists()
