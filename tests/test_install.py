"""reportgen works as an installed wheel, not only from the source tree."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest
from conftest import ROOT, SAMPLE_CONFIG, SAMPLE_INVENTORY


def _run(*args: str | Path, cwd: Path) -> subprocess.CompletedProcess:
    process = subprocess.run(
        [str(a) for a in args], cwd=cwd, capture_output=True, text=True, timeout=600
    )
    assert process.returncode == 0, process.stdout + process.stderr
    return process


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    dist = tmp_path_factory.mktemp("dist")
    _run(sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", dist, ROOT, cwd=ROOT)
    (found,) = dist.glob("reportgen-*.whl")
    return found


def test_wheel_carries_catalogs_and_templates(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    assert "reportgen/catalogs/srm.yaml" in names
    assert "reportgen/catalogs/services.yaml" in names
    for fid in ("pci-dss", "iso-27001", "soc2"):
        assert f"reportgen/catalogs/frameworks/{fid}.yaml" in names
    assert "reportgen/config/starter/reportgen.yaml" in names
    assert "reportgen/templates/report.html" in names
    assert "reportgen/templates/assets/report.css" in names
    assert "reportgen/templates/assets/fonts/DejaVuSansCondensed.ttf" in names
    assert "reportgen/templates/assets/fonts/LICENSE" in names
    assert "reportgen/docs/methodology.md" in names  # the PDF's method appendix


def test_installed_wheel_builds_from_another_directory(wheel, sample_pack, tmp_path):
    venv = tmp_path / "venv"
    _run(sys.executable, "-m", "venv", "--without-pip", venv, cwd=tmp_path)
    site = Path(sysconfig.get_path("purelib", vars={"base": str(venv), "platbase": str(venv)}))
    # Dependencies come from the test environment (no network); reportgen itself from the
    # wheel, which sits earlier on sys.path than this directory.
    (site / "deps.pth").write_text(sysconfig.get_path("purelib") + "\n")
    python = venv / "bin" / "python"
    _run(sys.executable, "-m", "pip", "--python", python, "install", "--no-deps", "-q", wheel,
         cwd=tmp_path)  # fmt: skip
    work = tmp_path / "elsewhere"
    work.mkdir()
    shutil.copy(SAMPLE_CONFIG, work / "reportgen.yaml")
    shutil.copy(SAMPLE_INVENTORY, work / "inventory.xlsx")
    where = _run(python, "-c", "import reportgen; print(reportgen.__file__)", cwd=work).stdout
    assert str(site) in where, where
    # One framework keeps this fast; it proves the templates and fonts ship in the wheel.
    _run(venv / "bin" / "reportgen", "-q", "build", "--framework", "soc2", cwd=work)
    pack = tmp_path / "output" / "harbourline" / "soc2"  # output.dir: ../output/harbourline
    matrix = json.loads((pack / "matrix.json").read_text())
    from_source = json.loads((sample_pack / "soc2" / "matrix.json").read_text())
    assert matrix["controls"] == from_source["controls"]
    assert (pack / "harbourline-soc2-responsibility-matrix.pdf").stat().st_size > 10_000
