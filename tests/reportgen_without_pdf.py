"""``python -m reportgen`` without the PDF writer, for the pack tests' builds.

Atomic swaps, the build lock, verify, diff, bundle and attach treat every file of a pack the
same way, whatever it holds; the PDF is most of a build's time (about 35 s of 38 for the three
frameworks of a five-service inventory on a 2-core machine, against 2 s for matrix.json and
the workbooks). This runs the real command line in its own process (exit codes, signals,
locks and the forked render stage all as usual) with the PDF format left out of the
output format registry, the selection ``RenderOptions(writers=("matrix", "xlsx"))`` makes
in-process. The PDF itself is tested by tests/test_pdf*.py and the sample pack.
"""

from __future__ import annotations

from reportgen.cli import main
from reportgen.render.formats import FORMATS

FORMATS.unregister("pdf")

if __name__ == "__main__":
    main()
