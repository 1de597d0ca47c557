"""Two builds into one output directory at once: each either lands its complete pack or is
replaced whole by the other's; the directory never holds a mix, and nothing is left over.

The command-line builds render every framework without the PDF writer (see
reportgen_without_pdf.py): the race is between the two processes' locks, staging directories
and swaps, which do not depend on which files a framework folder holds.
"""

from __future__ import annotations

import json
import subprocess
import threading
from pathlib import Path

from conftest import write_csv
from hostile import check_pack, tally
from packhelpers import REPORTGEN_WITHOUT_PDF

from reportgen.pack.manifest import SCHEMA, output_entries, write_manifest
from reportgen.pack.verify import verify_pack
from reportgen.pack.write import atomic_pack

FRAMEWORKS = ["pci-dss", "iso-27001", "soc2"]


def test_concurrent_swaps_never_fail_or_mix(tmp_path):
    """Four writers swap 50 packs each into one target as fast as they can."""
    target = tmp_path / "pack"
    errors: list[BaseException] = []

    def writer(number: int) -> None:
        for attempt in range(50):
            stamp = {"writer": number, "attempt": attempt}
            try:
                with atomic_pack(target) as staging:
                    for fid in FRAMEWORKS:
                        (staging / fid).mkdir()
                        (staging / fid / "matrix.json").write_text(json.dumps(stamp))
                    write_manifest(staging, _manifest(staging))
            except BaseException as error:
                errors.append(error)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    stamps = {(target / fid / "matrix.json").read_text() for fid in FRAMEWORKS}
    assert len(stamps) == 1, "the pack mixes files of two builds"
    assert verify_pack(target).ok, "the manifest is not the one written with the files"
    left = [p.name for p in tmp_path.iterdir()]
    assert left == ["pack"], "staging, retired dirs or a lock file left"


def _manifest(staging: Path) -> dict:
    """The least manifest that makes a folder a pack a later build may replace: every field
    of the schema (reportgen/pack/manifest_schema.py), no framework, no input."""
    return {
        "schema": SCHEMA,
        "generator": {"name": "reportgen", "version": "test"},
        "generated_at": "2026-01-01T00:00:00Z",
        "customer": {"name": "Test Co", "slug": "test-co"},
        "classification": "Test",
        "catalogs": {"srm": "test", "frameworks": {}},
        "inputs": [],
        "frameworks": [],
        "outputs": output_entries(staging),
    }


def _build(folder: Path, inventory: str) -> subprocess.Popen:
    argv = ["-q", "build", "--config", "c.yaml", "--inventory", inventory, "--out", "out"]
    return subprocess.Popen(
        [*REPORTGEN_WITHOUT_PDF, *argv],
        cwd=folder,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_two_cli_builds_into_one_directory(tmp_path):
    (tmp_path / "c.yaml").write_text("customer: {name: Race Co}\n", encoding="utf-8")
    write_csv(tmp_path / "a.csv", [["Service"], ["Amazon S3"]])
    write_csv(tmp_path / "b.csv", [["Service"], ["Amazon EC2"]])
    for _ in range(3):
        first, second = _build(tmp_path, "a.csv"), _build(tmp_path, "b.csv")
        for process in (first, second):
            _, stderr = process.communicate(timeout=300)
            assert process.returncode == 0 and "Traceback" not in stderr, stderr
        matrices = check_pack(tmp_path / "out", FRAMEWORKS)
        services = {fid: [s["id"] for s in m["services"]] for fid, m in matrices.items()}
        assert list(services.values()) in ([["s3"]] * 3, [["ec2"]] * 3), services
        tally("concurrent builds", "one complete pack")
