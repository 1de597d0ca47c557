"""The ``reportgen`` command: imports the CLI, then runs it.

Importing reportgen.cli loads WeasyPrint, pydantic and rich, which takes about a second;
Ctrl-C in that second came before the CLI's own handlers were in place and printed a
traceback (tenth adversarial pass). Here only the standard library is loaded first.
"""

from __future__ import annotations

import signal
import sys


def main() -> None:
    try:
        from reportgen.cli import main as run_cli
    except KeyboardInterrupt:
        sys.stderr.write("aborted\n")  # as the CLI says it once it runs
        raise SystemExit(130) from None
    try:
        run_cli()
    finally:
        # The command is over, its status decided: a Ctrl-C now, as the interpreter shuts
        # down, would end it with a traceback or killed by the signal (status -2).
        signal.signal(signal.SIGINT, signal.SIG_IGN)
