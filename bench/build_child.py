"""One measured build, in a fresh process: ``bench/run.py`` starts this and reads its JSON.

    python bench/build_child.py CONFIG OUT

Builds the full pack (every framework the config names: PDF, workbook, matrix.json,
manifest) exactly as ``reportgen build`` does and prints the stage timings, the CPU time of
each writer, the PDF pages and control rows per framework, and the peak RSS of this process
and of the largest renderer it forked (``RUSAGE_CHILDREN``), read as the build ends (before
the PDFs are read back for their page counts).
"""

from __future__ import annotations

import json
import os
import resource
import sys
import time
from pathlib import Path

from pypdf import PdfReader

from reportgen.inputs import RunOptions
from reportgen.pipeline import BuildOptions, build


def main() -> None:
    config, out = Path(sys.argv[1]), Path(sys.argv[2])
    os.environ.setdefault("SOURCE_DATE_EPOCH", "1764547200")
    started = time.perf_counter()
    result = build(BuildOptions(run=RunOptions(config=config), out=out))
    wall = time.perf_counter() - started
    finished_at = time.time()  # the parent's wall time ends here (start, imports, build)
    # Taken now: reading the PDFs back below (pypdf, for the page counts) is not the build.
    me = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    frameworks = {}
    for fid, runs in result.runs.items():
        pdf = next(out.glob(f"{fid}/*.pdf"), None)
        frameworks[fid] = {
            "controls": len(result.matrices[fid]["controls"]),
            "services": len(result.matrices[fid]["services"]),
            "pages": len(PdfReader(pdf).pages) if pdf else 0,
            "wall": {run.writer: run.seconds for run in runs},
            "cpu": {run.writer: run.cpu for run in runs},
            "bytes": {p.name: p.stat().st_size for p in out.glob(f"{fid}/*")},
        }
    report = {
        "wall": wall,
        "finished_at": finished_at,
        "timings": result.timings,
        "frameworks": frameworks,
        "rows": result.inputs.inventory.total_rows,
        "unresolved": len(result.inputs.inventory.unresolved),
        "maxrss_mb": {"main": me.ru_maxrss / 1024, "renderers": children.ru_maxrss / 1024},
        "cpu": {
            "main": me.ru_utime + me.ru_stime,
            "renderers": children.ru_utime + children.ru_stime,
        },
    }
    print(json.dumps(report))


if __name__ == "__main__":
    main()
