"""Where a writer's temporary files go: a folder of its own inside the staging directory.

WeasyPrint puts each document's fonts in a ``weasyprint-*`` folder of the system temp
directory and removes it only when the font configuration is garbage-collected, which a
forked renderer (it ends with ``os._exit``) never does: every build left one or more 2 MB
folders behind, a test run hundreds. openpyxl's write-only sheets go through ``openpyxl.*``
temp files it removes only at a normal exit. :func:`scratch` points Python's temp directory
at a new folder inside the writer's own output folder while the writer runs and removes it
after, on success and on failure; a renderer killed in between (the build kills them on
Ctrl-C or SIGTERM) leaves it inside the staging directory, which the build removes with
everything else.
"""

from __future__ import annotations

import contextlib
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

SCRATCH_PREFIX = ".reportgen-tmp-"


@contextlib.contextmanager
def scratch(folder: Path) -> Iterator[Path]:
    """A temporary folder inside ``folder`` that every ``tempfile`` call in the block uses."""
    path = Path(tempfile.mkdtemp(prefix=SCRATCH_PREFIX, dir=folder))
    previous = tempfile.tempdir
    tempfile.tempdir = str(path)
    try:
        yield path
    finally:
        tempfile.tempdir = previous
        shutil.rmtree(path, ignore_errors=True)
