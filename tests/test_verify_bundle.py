"""verify catches altered, missing and extra files; bundle gives the same zip for a pack."""

from __future__ import annotations

import hashlib
import json
import shutil
import zipfile
from pathlib import Path

import pytest
from packhelpers import build, run

from reportgen.core.errors import InputError
from reportgen.pack.bundle import bundle_pack
from reportgen.pack.verify import verify_pack


@pytest.fixture(scope="module")
def pack(tmp_path_factory) -> Path:
    from conftest import MINIMAL_CONFIG, write_config, write_csv

    project = tmp_path_factory.mktemp("project")
    write_csv(
        project / "inventory.csv",
        [["Service", "Resource ID"], ["Amazon EC2", "i-1"], ["S3", "b-1"], ["SQS", "q-1"]],
    )
    write_config(project, MINIMAL_CONFIG)
    # Without the PDF writer: verify, bundle, attach and diff treat every file alike.
    return build(project, tmp_path_factory.mktemp("out") / "test-co", pdf=False)


@pytest.fixture
def copy(pack, tmp_path) -> Path:
    return Path(shutil.copytree(pack, tmp_path / "copy"))


def test_an_intact_pack_verifies(pack):
    result = run("verify", pack)
    manifest_hash = hashlib.sha256((pack / "manifest.json").read_bytes()).hexdigest()
    assert f"manifest.json sha256 {manifest_hash}" in result.stdout
    count = len(json.loads((pack / "manifest.json").read_text())["outputs"])
    assert f"OK: {count} file(s) match the manifest" in result.stdout


def test_verify_catches_an_altered_byte(copy):
    target = copy / "soc2" / "matrix.json"
    data = bytearray(target.read_bytes())
    data[len(data) // 2] ^= 0x01  # one bit, same size
    target.write_bytes(bytes(data))
    result = run("verify", copy, check=1)
    assert "ALTERED  soc2/matrix.json: SHA-256" in result.stdout
    assert verify_pack(copy).altered and not verify_pack(copy).missing


def test_verify_catches_missing_and_extra_files(copy):
    (copy / "summary.md").unlink()
    (copy / "pci-dss" / "notes.txt").write_text("added later\n")
    result = run("verify", copy, check=1)
    assert "MISSING  summary.md" in result.stdout
    assert "EXTRA    pci-dss/notes.txt (not in the manifest)" in result.stdout
    report = verify_pack(copy)
    assert report.missing == ["summary.md"] and report.extra == ["pci-dss/notes.txt"]


def test_verify_names_the_first_20_of_each_kind_and_counts_the_rest(copy):
    """adversarial-4a #51: 20,001 extra files printed 20,001 EXTRA lines. Like bundle (20
    problems) and build (5 files), verify names a few and counts the rest; its exit status
    and the FAILED line's total are unchanged."""
    (copy / "x").mkdir()
    for number in range(45):
        (copy / "x" / f"{number:02d}.txt").write_text("")
    result = run("verify", copy, check=1)
    extra = [line for line in result.stdout.splitlines() if line.startswith("EXTRA")]
    assert extra[:20] == [f"EXTRA    x/{n:02d}.txt (not in the manifest)" for n in range(20)]
    assert extra[20:] == ["EXTRA    ... and 25 more not in the manifest"]
    assert "FAILED: 45 problem(s)" in result.stdout
    assert len(verify_pack(copy).extra) == 45


def test_a_file_name_can_neither_hide_its_characters_nor_fake_the_verdict(copy):
    """Sixth adversarial pass: rich dropped CR, BS, VT, FF and BEL from a name before it
    was escaped (``a\rb`` printed ``ab``), and a newline printed a line of its own that
    could read "OK: 8 file(s) match the manifest"."""
    name = "a\rb\bc\vd\fe\x07f\nOK: 8 file(s) match the manifest\tx.txt"
    (copy / name).write_text("")
    result = run("verify", copy, check=1)
    lines = result.stdout.splitlines()
    shown = "a\\x0db\\x08c\\x0bd\\x0ce\\x07f\\nOK: 8 file(s) match the manifest\\tx.txt"
    assert f"EXTRA    {shown} (not in the manifest)" in lines, lines
    assert not any(line.startswith("OK") for line in lines)


def test_a_pack_path_with_a_newline_prints_on_one_line(copy, tmp_path):
    """Thirteenth adversarial pass (C02): the pack's own path was printed as given, so
    ``v<newline>2`` made verify print "pack: v" and a line "2", and bundle's error began a
    line of its own; a name bundle lists of a broken pack did the same."""
    pack = Path(shutil.move(copy, tmp_path / "v\n2\x1b[31m"))
    result = run("verify", pack)
    assert result.stdout.splitlines()[0] == "pack: " + str(tmp_path) + "/v\\n2\\x1b[31m"
    (pack / "summary.md").unlink()
    (pack / "FAILED: 0 problem(s)\nx.txt").write_text("")
    result = run("bundle", pack, "-o", tmp_path / "b.zip", check=1)
    lines = result.stderr.splitlines()
    assert lines[0].startswith("error: ") and lines[0].endswith(
        "/v\\n2\\x1b[31m: the pack does not match its manifest"
    ), lines
    assert "  - FAILED: 0 problem(s)\\nx.txt: not in the manifest" in lines, lines


def test_verify_treats_a_symlink_as_altered(copy, tmp_path):
    outside = tmp_path / "outside.json"
    shutil.copy(copy / "soc2" / "matrix.json", outside)
    (copy / "soc2" / "matrix.json").unlink()
    (copy / "soc2" / "matrix.json").symlink_to(outside)
    assert verify_pack(copy).altered == [
        "soc2/matrix.json: is a symbolic link, not the file that was written"
    ]


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda d: (d / "manifest.json").unlink(), "manifest.json is missing"),
        (lambda d: (d / "manifest.json").write_text("{"), "cannot read the manifest"),
        (
            lambda d: (d / "manifest.json").write_text(
                json.dumps(
                    {
                        "schema": "reportgen.manifest/1",
                        "outputs": [{"path": "../../etc/passwd", "sha256": "0" * 64, "size": 1}],
                    }
                )
            ),
            "is not a relative path inside the pack",
        ),
        (  # eleventh pass: was "not '\ufffd'"
            lambda d: (d / "manifest.json").write_text(
                (d / "manifest.json").read_text(), encoding="utf-16"
            ),
            "the text is UTF-16 (it starts with a UTF-16 byte order mark), not UTF-8",
        ),
        (  # tenth pass: a listed name with an escape sequence was accepted
            lambda d: _relisted(d, "soc2/matrix.json", "soc2/\x1b[2Jmatrix.json"),
            "holds a control character or a byte not UTF-8",
        ),
    ],
)
def test_verify_exits_2_for_what_is_not_a_pack(copy, mutate, message):
    mutate(copy)
    result = run("verify", copy, check=2)
    assert message in result.stderr


def _relisted(pack, old: str, new: str) -> None:
    """The pack with the file ``old`` renamed to ``new``, in the folder and the manifest."""
    (pack / old).rename(pack / new)
    manifest = json.loads((pack / "manifest.json").read_text())
    for output in manifest["outputs"]:
        if output["path"] == old:
            output["path"] = new
    (pack / "manifest.json").write_text(json.dumps(manifest))


def test_bundle_is_the_same_bytes_for_the_same_pack(pack, copy, tmp_path):
    first = bundle_pack(pack, tmp_path / "one.zip")
    renamed = copy.rename(tmp_path / "another-name")
    for path in renamed.rglob("*"):
        path.touch()  # new mtimes must not matter
    second = bundle_pack(renamed, tmp_path / "two.zip")
    assert first.path.read_bytes() == second.path.read_bytes()
    assert first.sha256 == second.sha256


def test_bundle_entries_order_times_and_modes(pack, tmp_path):
    result = run("bundle", pack, "-o", tmp_path / "pack.zip")
    assert "wrote" in result.stderr and "sha256" in result.stderr
    manifest = json.loads((pack / "manifest.json").read_text())
    with zipfile.ZipFile(tmp_path / "pack.zip") as archive:
        infos = archive.infolist()
        names = [info.filename for info in infos]
        expected = ["manifest.json", *(entry["path"] for entry in manifest["outputs"])]
        assert names == [f"test-co/{name}" for name in expected]
        for info in infos:
            assert info.date_time == (2026, 1, 1, 0, 0, 0)
            assert info.external_attr >> 16 == 0o100644
            assert info.extra == b""
        for entry in manifest["outputs"]:
            data = archive.read(f"test-co/{entry['path']}")
            assert hashlib.sha256(data).hexdigest() == entry["sha256"]


def test_an_unzipped_bundle_verifies(pack, tmp_path):
    bundle_pack(pack, tmp_path / "pack.zip")
    with zipfile.ZipFile(tmp_path / "pack.zip") as archive:
        archive.extractall(tmp_path / "unzipped")
    assert verify_pack(tmp_path / "unzipped" / "test-co").ok


def test_bundle_default_path_is_beside_the_pack(copy):
    result = bundle_pack(copy)
    assert result.path == copy.parent / "copy.zip" and result.path.is_file()


def test_bundle_refuses_an_altered_pack(copy, tmp_path):
    (copy / "summary.md").write_text("edited\n")
    result = run("bundle", copy, "-o", tmp_path / "x.zip", check=1)
    assert "does not match its manifest" in result.stderr
    assert "summary.md: size" in result.stderr
    assert not (tmp_path / "x.zip").exists()
    assert list(tmp_path.glob(".reportgen-bundle-*")) == []


def test_bundle_will_not_write_into_the_pack(copy):
    with pytest.raises(InputError, match="inside the pack"):
        bundle_pack(copy, copy / "pack.zip")


def test_a_name_too_long_for_the_files_beside_it_says_why(pack, tmp_path):
    """Pass 32b: a 224-byte name (a file system takes 255) was refused with "the file name
    is too long. Choose a shorter path.", no word of the files named after it."""
    out = tmp_path / ("z" * 226 + ".zip")
    with pytest.raises(InputError) as refused:
        bundle_pack(pack, out)
    assert "the file name is too long" in str(refused.value)
    assert "named after it, up to 32 bytes longer" in str(refused.value)
    assert not out.exists() and [p.name for p in tmp_path.iterdir()] == []


@pytest.mark.parametrize(
    ("number", "said"), [(5, "input/output error"), (116, "stale file handle")]
)  # EIO, ESTALE
def test_a_file_the_disk_cannot_read_is_named(copy, monkeypatch, number, said):
    """Pass 55b B19: an I/O error hashing a listed file said "input/output error" and no
    file (verify, bundle, build surveying the pack it replaces); 56b: a network file
    system's stale handle was an internal error."""
    from reportgen.pack import files

    def failing(fd: int, size: int):
        raise OSError(number, "failed")

    monkeypatch.setattr(files, "_hash_fd", failing)
    with pytest.raises(InputError) as refused:
        verify_pack(copy)
    assert refused.value.file is not None and str(copy) in str(refused.value.file)
    assert said in str(refused.value)
