"""Running ``reportgen attach`` in-process against the fake ticket server (fake_tickets.py);
the server fixtures (``server``, ``jira_cloud``, ``servicenow``) are in conftest.py."""

from __future__ import annotations

import logging
import shutil
import subprocess
from pathlib import Path

import pytest
from conftest import MINIMAL_CONFIG, write_config, write_csv
from packhelpers import build

from reportgen.cli import main

SYS_ID = "0123456789abcdef0123456789abcdef"
RECORD = f"incident:{SYS_ID}"


def attach(capsys, caplog, *args: str | Path) -> tuple[int, str]:
    """Run `reportgen attach` in-process; (exit status, everything printed and logged)."""
    caplog.set_level(logging.DEBUG)  # httpx and httpcore debug logs included
    try:
        main(["attach", *map(str, args)])
        status = 0
    except SystemExit as exc:
        status = int(exc.code or 0)
    captured = capsys.readouterr()
    logs = "\n".join(
        f"{r.name} {r.getMessage()} {r.args!r}" for r in caplog.records
    )  # args too: a secret passed as a log argument would show here
    return status, captured.out + captured.err + logs


def small_pack(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A pack of one resource, built without its PDF: what attach sends, quickly made."""
    project = tmp_path_factory.mktemp("project")
    write_csv(project / "inventory.csv", [["Service", "Resource ID"], ["EC2", "i-1"]])
    write_config(project, MINIMAL_CONFIG)
    return build(project, tmp_path_factory.mktemp("out") / "test-co", pdf=False)


def self_signed(folder: Path, name: str, alt_name: str) -> tuple[Path, Path]:
    """(certificate, key) of a self-signed certificate for ``name`` (subjectAltName
    ``alt_name``, like ``IP:127.0.0.1``), made by openssl; the test is skipped without it."""
    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed: cannot make a test certificate")
    key, cert = folder / "key.pem", folder / "cert.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
         "-subj", f"/CN={name}", "-addext", f"subjectAltName={alt_name}",
         "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )  # fmt: skip
    return cert, key
