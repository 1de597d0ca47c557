"""Output formats come from one registry: chosen with --format or output.formats, a toy
format added through the registry lands in the pack, the manifest and verify."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import openpyxl
import pytest
from conftest import MINIMAL_CONFIG, write_config

from reportgen.cli import main
from reportgen.core.errors import InputError
from reportgen.pack.bundle import bundle_pack
from reportgen.pack.verify import verify_pack
from reportgen.render import FrameworkJob
from reportgen.render.formats import FORMATS, OutputFormat, select_formats


def reportgen(capsys, *args: str | Path) -> tuple[int, str]:
    try:
        main([*map(str, args)])
        status = 0
    except SystemExit as exc:
        status = int(exc.code or 0)
    captured = capsys.readouterr()
    return status, captured.out + captured.err


def pack_files(root: Path) -> set[str]:
    return {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()}


def listed(root: Path) -> set[str]:
    manifest = json.loads((root / "manifest.json").read_text(encoding="utf-8"))
    return {entry["path"] for entry in manifest["outputs"]}


def test_every_builtin_output_is_a_registered_format():
    from reportgen.core.plugins import BUILTIN_FORMATS

    assert tuple(FORMATS.names()) == BUILTIN_FORMATS  # the config checks names against these
    names = [fmt.name for fmt in select_formats(None)]
    assert names[:5] == ["matrix", "xlsx", "oscal", "pdf", "summary"]
    with pytest.raises(InputError, match=r"unknown output format 'docx'.*valid: matrix, xlsx"):
        select_formats(["docx"])


def test_format_on_the_command_line_writes_only_those(project, capsys):
    out = project / "out"
    status, text = reportgen(
        capsys, "-q", "build", "--config", project / "reportgen.yaml", "--out", out,
        "--framework", "soc2", "--format", "summary", "--format", "matrix",
    )  # fmt: skip
    assert status == 0, text
    assert pack_files(out) == {"manifest.json", "summary.md", "soc2/matrix.json"}
    assert listed(out) == {"summary.md", "soc2/matrix.json"}
    assert verify_pack(out).ok
    with zipfile.ZipFile(bundle_pack(out, project / "pack.zip").path) as bundled:
        names = {Path(n).name for n in bundled.namelist()}
    assert names >= {"manifest.json", "summary.md", "matrix.json"}


def test_output_formats_in_the_config(project, capsys):
    write_config(project, MINIMAL_CONFIG + "output:\n  formats: [xlsx]\n")
    out = project / "out"
    status, text = reportgen(
        capsys, "-q", "build", "--config", project / "reportgen.yaml", "--out", out,
        "--framework", "soc2",
    )  # fmt: skip
    assert status == 0, text
    files = pack_files(out)
    assert [f for f in files if f != "manifest.json"] == ["soc2/test-co-soc2-raci.xlsx"]
    workbook = openpyxl.load_workbook(out / "soc2/test-co-soc2-raci.xlsx", read_only=True)
    assert "RACI" in workbook.sheetnames
    assert verify_pack(out).ok


def test_unknown_format_in_the_config_names_its_line(project, capsys):
    write_config(project, MINIMAL_CONFIG + "output:\n  formats:\n    - pdf\n    - docs\n")
    status, text = reportgen(capsys, "validate", "--config", project / "reportgen.yaml")
    assert status == 2
    assert "line 8: output.formats[1]" in text
    assert "unknown output format 'docs'" in text
    assert "valid: matrix, xlsx, oscal, pdf, summary" in text
    assert "Traceback" not in text


def test_unknown_format_on_the_command_line(project, capsys):
    out = project / "out"
    status, text = reportgen(
        capsys, "build", "--config", project / "reportgen.yaml", "--out", out, "--format", "pfd"
    )
    assert status == 2
    assert "--format: unknown output format 'pfd'; did you mean 'pdf'?" in text
    assert not out.exists()


def write_toy(job: FrameworkJob) -> list[Path]:
    """The recipe's toy format: one text file per framework, from the matrix."""
    path = job.folder / "controls.txt"
    ids = [control["id"] for control in job.matrix["controls"]]
    path.write_text("\n".join(ids) + "\n", encoding="utf-8")
    return [path]


@pytest.fixture
def toy_format():
    fmt = FORMATS.register(OutputFormat("toy", "control ids, one a line", framework=write_toy))
    yield fmt
    FORMATS.unregister("toy")


def test_a_toy_format_added_through_the_registry(project, capsys, toy_format):
    """docs/contributing.md, 'Add an output format'."""
    out = project / "out"
    status, text = reportgen(
        capsys, "-q", "build", "--config", project / "reportgen.yaml", "--out", out,
        "--framework", "soc2", "--format", "toy", "--format", "matrix",
    )  # fmt: skip
    assert status == 0, text
    assert listed(out) == {"soc2/controls.txt", "soc2/matrix.json"}
    matrix = json.loads((out / "soc2/matrix.json").read_text(encoding="utf-8"))
    written = (out / "soc2/controls.txt").read_text(encoding="utf-8").split()
    assert written == [control["id"] for control in matrix["controls"]]
    assert verify_pack(out).ok
    (out / "soc2/controls.txt").write_text("CC1.1\n", encoding="utf-8")
    tampered = verify_pack(out)
    assert [a.split(":")[0] for a in tampered.altered] == ["soc2/controls.txt"]
