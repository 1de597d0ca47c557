"""How far the PDF report is from WeasyPrint's floor, and how long the sample build takes.

    .venv/bin/python bench/pdf_floor.py

For each framework of the sample pack: the report's pages and render time (ms per page),
against a plain document made of one bare <table> with as many rows as the report's
tables, carrying the controls' text (id, title, owner, provenance, evidence), rendered in
the same run. WeasyPrint's cost follows the number
of boxes, so the ratio shows what the report's layout adds over the bare minimum. Then the
wall time of the whole three-framework build (frameworks render in parallel processes)
and of a one-framework build, for the parallel speed-up.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("SOURCE_DATE_EPOCH", "1764547200")

from floors import cpu_and_wall, plain_document, render_plain  # noqa: E402

from reportgen.inputs import RunOptions  # noqa: E402
from reportgen.pipeline import BuildOptions, build, prepare  # noqa: E402
from reportgen.render import FrameworkJob, RenderOptions  # noqa: E402
from reportgen.render.pdf import pdf_bytes, render_document, report_html  # noqa: E402
from reportgen.render.scratch import scratch  # noqa: E402

CONFIG = ROOT / "inputs" / "reportgen.yaml"


def plain_rows(matrix: dict, rows: int) -> list[tuple[str, ...]]:
    """`rows` rows carrying the controls' text, as many as the report's tables hold."""
    controls = matrix["controls"]
    picked = (controls[i % len(controls)] for i in range(rows))
    return [
        (c["id"], c["title"], c["owner"], c["provenance"], "; ".join(c["evidence"])) for c in picked
    ]


def render_all_pages(job: FrameworkJob) -> int:
    with scratch(job.folder):  # WeasyPrint's font folders, removed after
        document = render_document(job, report_html(job))
        pdf_bytes(job, document)
    return len(document.pages)


def timed(func):
    """Result, wall seconds and CPU seconds of one run of ``func``."""
    cpu, wall, result = cpu_and_wall(func)
    return result, wall, cpu


def main() -> None:
    _, matrices = prepare(RunOptions(config=CONFIG))
    print("per framework, rendered in this process; ms/page from CPU time")
    print(
        f"{'framework':<10} {'pages':>5} {'rows':>5} {'wall s':>6} {'cpu s':>6} {'ms/page':>7}"
        f" | {'plain pages':>11} {'wall s':>6} {'cpu s':>6} {'ms/page':>7} | {'cpu ratio':>9}"
    )
    for fid, matrix in matrices.items():
        with tempfile.TemporaryDirectory() as tmp:
            job = FrameworkJob(fid, matrix, Path(tmp), "bench", None, RenderOptions(), {})
            ours, wall, cpu = timed(lambda job=job: render_all_pages(job))
            rows = report_html(job).count("<tr")
            floor, plain_wall, plain_cpu = timed(
                lambda m=matrix, r=rows: render_plain(plain_document(plain_rows(m, r)))
            )
        print(
            f"{fid:<10} {ours:>5} {rows:>5} {wall:>6.1f} {cpu:>6.1f} {1000 * cpu / ours:>7.0f}"
            f" | {floor:>11} {plain_wall:>6.1f} {plain_cpu:>6.1f} {1000 * plain_cpu / floor:>7.0f}"
            f" | {cpu / plain_cpu:>9.2f}"
        )
    with tempfile.TemporaryDirectory() as tmp:
        for frameworks in ((), ("soc2",)):
            options = BuildOptions(
                run=RunOptions(config=CONFIG, frameworks=frameworks), out=Path(tmp) / "pack"
            )
            _, wall, _ = timed(lambda options=options: build(options))
            label = ", ".join(frameworks) or "all three frameworks"
            print(f"build of the sample, {label}: {wall:.1f} s wall on {os.cpu_count()} CPUs")
    print(f"load average now: {', '.join(f'{x:.1f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
