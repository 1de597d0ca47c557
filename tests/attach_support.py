"""Running ``reportgen attach`` in-process against the fake ticket server (fake_tickets.py);
the server fixtures (``server``, ``jira_cloud``, ``servicenow``) are in conftest.py."""

from __future__ import annotations

import logging
from pathlib import Path

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
