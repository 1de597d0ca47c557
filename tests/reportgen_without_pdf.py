"""``python -m reportgen`` without the PDF writer, for the pack tests' builds.

Atomic swaps, the build lock, verify, diff, bundle and attach treat every file of a pack the
same way, whatever it holds; the PDF is most of a build's time (about 35 s of 38 for the three
frameworks of a five-service inventory on a 2-core machine, against 2 s for matrix.json and
the workbooks). This runs the real command line in its own process (exit codes, signals,
locks and the forked render stage all as usual) with the PDF format left out of the
output format registry, the selection ``RenderOptions(writers=("matrix", "xlsx"))`` makes
in-process. The PDF itself is tested by tests/test_pdf*.py and the sample pack.

REPORTGEN_TEST_PAUSE_AFTER=<stage> (render | pack) stops the build there, through the
pipeline's stage hook, so the atomicity tests can SIGKILL it at a known point; with
REPORTGEN_TEST_RESUME_WHEN=<file> as well, it goes on once that file exists (a test changes
the old pack meanwhile).

REPORTGEN_TEST_SIGNAL_AT_SWAP=<signal>:<rename> (e.g. ``TERM:retire``, ``INT:rename-in``)
sends the build that signal the moment the swap's first rename (the old pack moved aside)
or its second (the new pack moved in) has returned: an interrupt arriving during the system
call, as it does on a slow file system; ``<signal>:cleanup`` sends it once the swap is over,
as older leftover packs are removed.
"""

from __future__ import annotations

import os
import signal
import sys
import time
from pathlib import Path

import reportgen.pipeline
from reportgen.cli import main
from reportgen.pack import write
from reportgen.pack.write import RETIRED_PREFIX, STAGING_PREFIX
from reportgen.render.formats import FORMATS


def _pause(stage: str) -> None:
    if os.environ.get("REPORTGEN_TEST_PAUSE_AFTER") == stage:
        print(f"reportgen: paused after {stage}", file=sys.stderr, flush=True)
        resume = os.environ.get("REPORTGEN_TEST_RESUME_WHEN")
        deadline = time.monotonic() + 600  # until the test kills the process, or resumes it
        while time.monotonic() < deadline and not (resume and os.path.exists(resume)):
            time.sleep(0.05)


reportgen.pipeline.STAGE_HOOKS.append(_pause)


def _signal_at_swap() -> None:
    name, _, step = os.environ.get("REPORTGEN_TEST_SIGNAL_AT_SWAP", "").partition(":")
    if not name:
        return
    rename = Path.rename

    def signalling(self: Path, target: Path) -> Path:
        renamed = rename(self, target)
        retiring = Path(target).name.startswith(RETIRED_PREFIX)
        moving_in = self.name.startswith(STAGING_PREFIX)
        if (step == "retire" and retiring) or (step == "rename-in" and moving_in):
            os.kill(os.getpid(), signal.Signals[f"SIG{name}"])
        return renamed

    Path.rename = signalling  # type: ignore[method-assign]
    if step == "cleanup":
        remove = write.remove_retired

        def signalled(*args: object, **kwargs: object) -> None:
            os.kill(os.getpid(), signal.Signals[f"SIG{name}"])
            remove(*args, **kwargs)  # type: ignore[arg-type]

        write.remove_retired = signalled  # type: ignore[assignment]


_signal_at_swap()

FORMATS.unregister("pdf")

if __name__ == "__main__":
    main()
