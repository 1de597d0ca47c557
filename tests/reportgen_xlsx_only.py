"""``python -m reportgen`` writing only the Excel workbooks, for the full-disk tests.

A workbook's sheets stream through lxml into openpyxl's temporary files, and a failed write
there comes back as lxml's ``SerialisationError: IO_ENOSPC`` with half-closed XML streams,
not as an OSError. To make that happen for real (a file size limit, a full tmpfs) the
workbook must be the first file a build writes: matrix.json, written first by a normal
build, is larger than any sheet and would meet the limit before it. Otherwise this is the
real command line in its own process, forked renderers and all (see reportgen_without_pdf.py).
"""

from __future__ import annotations

from reportgen.cli import main
from reportgen.render.formats import FORMATS

for name in FORMATS.names():
    if name != "xlsx":
        FORMATS.unregister(name)

if __name__ == "__main__":
    main()
