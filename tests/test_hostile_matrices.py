"""A pack's matrix.json is held to its contract before diff or build --previous reads it.

A crafted pack whose hashes were refreshed verifies, so only the matrix's own contract
(reportgen/matrix_schema.py, checked strictly by pack/matrix_check.py) stands between a
mistyped field and the code that reads it (adversarial 3a #34, #35: a list of ints for
evidence items, a number for a version, an empty object for an input each ended in
"internal error"). Through the command line: every variant, in both directions of diff and
as build --previous, is exit 2 naming the file and the JSON path of the field, with
nothing written and nothing left in TMPDIR; Hypothesis then puts random JSON at random
places of a real matrix (exit 0 or 2, never 1). Packs written by earlier reportgens
(tests/fixtures/old-packs) still diff and build on, but for one from before the contract.
"""

from __future__ import annotations

import copy
import hashlib
import json
import shutil
import tarfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import MINIMAL_CONFIG, ROOT, write_config, write_csv
from hostile import examples
from hypothesis import given, settings
from hypothesis import strategies as st
from measured import measured
from packhelpers import EPOCH, REPORTGEN, build, run

import reportgen.cli

OLD_PACKS = ROOT / "tests" / "fixtures" / "old-packs"
ROWS = [["Service", "Resource ID"], ["Amazon EC2", "i-1"], ["Amazon S3", "b-1"]]


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("project")
    write_csv(folder / "inventory.csv", ROWS)
    write_config(folder, MINIMAL_CONFIG)
    return folder


@pytest.fixture(scope="module")
def pack(project: Path, tmp_path_factory) -> Path:
    """A pack of today: matrix.json of each framework, and summary.md."""
    out = tmp_path_factory.mktemp("packs") / "test-co"
    return build(project, out, "--format", "matrix", "--format", "summary", pdf=False)


def craft(pack: Path, folder: Path, change: Callable[[dict], Any]) -> Path:
    """A copy of ``pack`` whose soc2/matrix.json ``change`` edited, its manifest's sizes and
    hashes refreshed: it verifies."""
    crafted = Path(shutil.copytree(pack, folder / "crafted"))
    path = crafted / "soc2" / "matrix.json"
    matrix = json.loads(path.read_text())
    change(matrix)
    path.write_text(json.dumps(matrix))
    refresh(crafted)
    return crafted


def refresh(pack: Path) -> None:
    manifest = json.loads((pack / "manifest.json").read_text())
    for entry in manifest["outputs"]:
        data = (pack / entry["path"]).read_bytes()
        entry.update(size=len(data), sha256=hashlib.sha256(data).hexdigest())
    (pack / "manifest.json").write_text(json.dumps(manifest, indent=2))


def first_control(matrix: dict) -> dict:
    return matrix["controls"][0]


def setter(where: Callable[[dict], dict], key: str, value: Any) -> Callable[[dict], None]:
    return lambda matrix: where(matrix).__setitem__(key, value)


def first_item(matrix: dict) -> dict:
    return first_control(matrix)["evidence_items"][0]


def document(matrix: dict) -> dict:
    return matrix["document"]


def first_revision(matrix: dict) -> dict:
    return matrix["document"]["revisions"][0]


def top(matrix: dict) -> dict:
    return matrix


# (name, change, the JSON path the message names, what it says there)
VARIANTS = [
    ("evidence-items-ints", setter(first_control, "evidence_items", [1]),
     "controls[0].evidence_items[0]", "Input should be a valid dictionary"),
    ("evidence-items-text", setter(first_control, "evidence_items", "abc"),
     "controls[0].evidence_items", "Input should be a valid list"),
    ("evidence-item-without-item", setter(first_control, "evidence_items", [{"status": "x"}]),
     "controls[0].evidence_items[0].item", "required key is missing"),
    ("item-a-number", setter(first_item, "item", 5),
     "controls[0].evidence_items[0].item", "Input should be a valid string"),
    ("status-a-list", setter(first_item, "status", ["a"]),
     "controls[0].evidence_items[0].status", "Input should be 'not started'"),
    ("revisions-ints", setter(document, "revisions", [1]),
     "document.revisions[0]", "Input should be a valid dictionary"),
    ("revision-version-a-number", setter(document, "revisions", [{"version": 7}]),
     "document.revisions[0].version", "Input should be a valid string"),
    ("revision-of-a-5000-digit-version", setter(document, "revisions", [{"version": "9" * 5000}]),
     "document.revisions[0].date", "required key is missing"),
    ("5000-digit-version-in-a-whole-revision", setter(first_revision, "version", "9" * 5000),
     "document.revisions[0].version", "String should have at most 100 characters"),
    ("inputs-ints", setter(top, "inputs", [1]),
     "inputs[0]", "Input should be a valid dictionary"),
    ("inputs-empty-objects", setter(top, "inputs", [{}]),
     "inputs[0].role", "required key is missing"),
    ("split-flag-as-text", setter(first_control, "split_by_service", "false"),
     "controls[0].split_by_service", "Input should be a valid boolean"),
    ("owner-unknown", setter(first_control, "owner", "nobody"),
     "controls[0].owner", "Input should be 'aws'"),
    ("escape-in-a-key", setter(top, "\x1b[2Jspoof", 1),
     '"\\u001b[2Jspoof"', "unknown key"),
    # eighth pass: diff then showed an owner change as 'Customer -> Customer'
    ("owner-and-label-apart",
     lambda m: first_control(m).update(owner="aws", split_by_service=False, label="Customer"),
     "controls[0].label", '"Customer" does not match the control\'s owner (aws): it reads "AWS"'),
    # thirteenth pass: diff keys them by id, and one of the two was dropped without a word
    ("control-twice", lambda m: m["controls"].insert(1, copy.deepcopy(first_control(m))),
     "controls[1].id", '"CC1.1" is also the id of controls[0]'),
    ("service-twice", lambda m: m["services"].append(copy.deepcopy(m["services"][0])),
     "services[2].id", '"ec2" is also the id of services[0]'),
]  # fmt: skip
COMMANDS = ("diff-old-new", "diff-new-old", "previous")
RUNS = [(variant, command) for variant in VARIANTS for command in COMMANDS]


def argv_of(command: str, good: Path, crafted: Path, project: Path, out: Path) -> list[str]:
    if command == "diff-old-new":
        return ["diff", str(good), str(crafted)]
    if command == "diff-new-old":
        return ["diff", str(crafted), str(good)]
    config = str(project / "reportgen.yaml")
    return ["build", "--config", config, "--framework", "soc2", "--out", str(out),
            "--previous", str(crafted)]  # fmt: skip


@pytest.mark.parametrize(("variant", "command"), RUNS, ids=[f"{v[0]}-{c}" for v, c in RUNS])
def test_a_mistyped_field_is_exit_2_naming_file_and_field(
    variant, command, pack, project, tmp_path
):
    _, change, where, what = variant
    crafted = craft(pack, tmp_path, change)
    assert run("verify", crafted, pdf=False).returncode == 0  # the hashes do not help
    out, temp = tmp_path / "new-pack", tmp_path / "tmp"
    temp.mkdir()
    result = run(*argv_of(command, pack, crafted, project, out), check=2, pdf=False,
                 env={"TMPDIR": str(temp)})  # fmt: skip
    first = result.stderr.splitlines()[0]
    assert first.startswith(f"error: {crafted / 'soc2' / 'matrix.json'}: the matrix is not valid")
    assert f"{where}: {what}" in first, result.stderr
    assert "internal error" not in result.stderr and "\x1b" not in result.stderr
    assert not out.exists() and not list(tmp_path.glob(".reportgen-*"))
    assert not list(temp.iterdir()), "left in TMPDIR"


def test_a_matrix_with_only_what_diff_once_typed_is_refused(pack, tmp_path):
    """The fields diff compares were typed before (pack/manifest_schema.py): a matrix with
    those and nothing else passed, and every other field went unread, unchecked."""
    keep = ("schema", "generated_at", "framework", "services", "controls")
    crafted = craft(pack, tmp_path, lambda m: [m.pop(k) for k in list(m) if k not in keep])
    result = run("diff", pack, crafted, check=2, pdf=False)
    assert "the matrix is not valid: generator: required key is missing" in result.stderr


# ---------------------------------------------------------------- random JSON, anywhere

JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**30), max_value=10**30)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20)
    | st.sampled_from(["9" * 5000, "soc2", "aws", "customer", "not started", "1.0", ""]),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=6,
)


@st.composite
def mutation(draw: st.DrawFn, matrix: dict) -> tuple[dict, list]:
    """``matrix`` with one value somewhere (any depth) replaced, a key dropped or one
    added; and the path of the change."""
    changed = copy.deepcopy(matrix)
    node: Any = changed
    path: list = []
    while True:
        keys = list(node) if isinstance(node, dict) else list(range(len(node)))
        if not keys:
            break
        key = draw(st.sampled_from(keys))
        child = node[key]
        if not isinstance(child, dict | list) or not child or draw(st.booleans()):
            break
        node, path = child, [*path, key]
    action = draw(st.sampled_from(["replace", "drop", "add"]) if keys else st.just("add"))
    if action == "add" or not keys:
        if isinstance(node, dict):
            node[draw(st.text(max_size=8))] = draw(JSON)
        else:
            node.append(draw(JSON))
    elif action == "drop":
        del node[key]
    else:
        node[key] = draw(JSON)
    return changed, [*path, action]


def in_process(argv: list[str], capsys) -> tuple[int, str]:
    """The command line in this process (fast enough for Hypothesis); exit status, stderr."""
    try:
        reportgen.cli.main(argv)
        status = 0
    except SystemExit as exc:
        status = exc.code if isinstance(exc.code, int) else 1
    return status, capsys.readouterr().err


@pytest.fixture(scope="module")
def soc2_matrix(pack: Path) -> dict:
    return json.loads((pack / "soc2" / "matrix.json").read_text())


def write_crafted(pack: Path, folder: Path, matrix: dict) -> Path:
    crafted = folder / "crafted"
    shutil.rmtree(crafted, ignore_errors=True)
    shutil.copytree(pack, crafted)
    (crafted / "soc2" / "matrix.json").write_text(json.dumps(matrix))
    refresh(crafted)
    return crafted


@settings(max_examples=examples(60))
@given(data=st.data())
def test_random_json_anywhere_in_a_matrix_is_exit_0_or_2_in_diff(
    data, pack, soc2_matrix, tmp_path_factory, capsys
):
    changed, where = data.draw(mutation(soc2_matrix))
    crafted = write_crafted(pack, tmp_path_factory.mktemp("random"), changed)
    for argv in (["diff", str(pack), str(crafted)], ["diff", str(crafted), str(pack)]):
        status, stderr = in_process(argv, capsys)
        report = f"{where}: exit {status}\n{stderr[:2000]}"
        assert status in (0, 2) and not stderr.startswith("internal error"), report
        if status == 2:
            assert "soc2/matrix.json: the matrix is not valid: " in stderr, report


@settings(max_examples=examples(15))
@given(data=st.data())
def test_random_json_anywhere_in_a_matrix_is_exit_0_or_2_in_previous(
    data, pack, soc2_matrix, project, tmp_path_factory, capsys, monkeypatch
):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)
    changed, where = data.draw(mutation(soc2_matrix))
    folder = tmp_path_factory.mktemp("random")
    crafted = write_crafted(pack, folder, changed)
    out = folder / "new-pack"
    argv = ["-q", "build", "--config", str(project / "reportgen.yaml"), "--framework", "soc2",
            "--format", "matrix", "--out", str(out), "--previous", str(crafted)]  # fmt: skip
    status, stderr = in_process(argv, capsys)
    report = f"{where}: exit {status}\n{stderr[:2000]}"
    assert status in (0, 2) and not stderr.startswith("internal error"), report
    assert out.exists() == (status == 0), report


# ---------------------------------------------------------------- packs of earlier versions


def old_pack(commit: str, folder: Path) -> Path:
    with tarfile.open(OLD_PACKS / f"{commit}.tar.gz") as archive:
        archive.extractall(folder, filter="data")
    return folder / commit


@pytest.mark.parametrize("commit", ["191cc8c", "253260e"])
def test_a_pack_of_an_earlier_version_still_diffs(commit, pack, tmp_path):
    """Packs built since the contract lack the fields it gained later (traits, evidence,
    artefacts, document control): diff reads them, in both directions."""
    old = old_pack(commit, tmp_path)
    diff = json.loads(run("diff", old, pack, "--format", "json", pdf=False).stdout)
    soc2 = next(f for f in diff["frameworks"] if f["id"] == "soc2")
    assert soc2["status"] == "compared"
    before = {
        c["id"]: c for c in json.loads((old / "soc2" / "matrix.json").read_text())["controls"]
    }
    now = {c["id"]: c for c in json.loads((pack / "soc2" / "matrix.json").read_text())["controls"]}
    changed = {cid for cid in now if cid in before and before[cid]["owner"] != now[cid]["owner"]}
    assert changed <= {c["control"] for c in soc2["owner_changes"]}
    assert soc2["evidence_changes"] == []  # all 'not started' then and now, or no tracker
    back = json.loads(run("diff", pack, old, "--format", "json", pdf=False).stdout)
    assert next(f for f in back["frameworks"] if f["id"] == "soc2")["status"] == "compared"


@pytest.mark.parametrize("commit", ["191cc8c", "253260e"])
def test_a_pack_of_an_earlier_version_is_built_on(commit, project, tmp_path):
    """A pack from before document control counts as version 1: the new one is version 2."""
    old = old_pack(commit, tmp_path)
    out = build(project, tmp_path / "new", "--framework", "soc2", "--format", "matrix",
                "--previous", old, pdf=False)  # fmt: skip
    matrix = json.loads((out / "soc2" / "matrix.json").read_text())
    revisions = matrix["document"]["revisions"]
    assert [r["version"] for r in revisions] == ["1", "2"]
    assert revisions[0]["summary"] == "Built before reportgen recorded document control."
    assert revisions[0]["date"] == "2025-12-01"
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["previous"]["generated_at"] == "2025-12-01T00:00:00Z"


@pytest.mark.parametrize("command", ["diff", "previous"])
def test_a_pack_from_before_the_contract_is_refused_as_older(command, pack, project, tmp_path):
    old = old_pack("be5172c", tmp_path)
    out = tmp_path / "new"
    if command == "diff":
        result = run("diff", pack, old, check=2, pdf=False)
    else:
        argv = ("build", "--config", project / "reportgen.yaml", "--framework", "soc2",
                "--out", out, "--previous", old)  # fmt: skip
        result = run(*argv, check=2, pdf=False)
    text = " ".join(result.stderr.split())
    assert text.startswith(f"error: {old / 'soc2' / 'matrix.json'}: written by an older reportgen")
    assert "before matrix.json had its typed contract (its controls have no duties)" in text
    assert "rebuild the old pack from its inputs" in text
    assert not out.exists() and "internal error" not in text


def last_revision(matrix: dict) -> dict:
    return matrix["document"]["revisions"][-1]


def test_previous_never_writes_a_document_version_its_readers_refuse(pack, project, tmp_path):
    """adversarial-4a #35: a previous version of 100 nines became "1" and 100 zeros, which
    the new pack's own diff and --previous then refused (at most 100 characters). Refused
    before anything is written; 99 nines still go on to a 100-character version."""
    config = str(project / "reportgen.yaml")
    for nines, status in ((100, 2), (99, 0)):
        crafted = craft(pack, tmp_path / str(nines), setter(last_revision, "version", "9" * nines))
        assert run("diff", pack, crafted, pdf=False).returncode == 0  # a valid pack
        out = tmp_path / f"next-{nines}"
        result = run("build", "--config", config, "--framework", "soc2", "--format", "matrix",
                     "--out", out, "--previous", crafted, check=status, pdf=False)  # fmt: skip
        if status == 2:
            assert "soc2: the document version of the pack given with --previous plus one" in (
                result.stderr
            )
            assert "101 characters: more than the 100 a pack may carry" in result.stderr
            assert "document_control.version" in result.stderr
            assert not out.exists() and not list(tmp_path.glob(".reportgen-*"))
            continue
        written = json.loads((out / "soc2" / "matrix.json").read_text())
        assert written["document"]["version"] == "1" + "0" * 99
        run("diff", crafted, out, pdf=False)  # its own readers accept it
        run("-q", "build", "--config", config, "--framework", "soc2", "--format", "matrix",
            "--out", tmp_path / "after", "--previous", out, pdf=False)  # fmt: skip


def test_the_build_writes_what_the_strict_check_accepts(pack):
    """The build checks its own matrix leniently (matrix_schema.check_matrix); what it
    writes must pass the strict check a later diff makes, for every framework."""
    from reportgen.pack.matrix_check import check_pack_matrix

    for fid in ("soc2", "pci-dss", "iso-27001"):
        path = pack / fid / "matrix.json"
        check_pack_matrix(json.loads(path.read_text()), path)


def test_two_matrices_of_one_framework_are_refused_not_one_kept(pack, tmp_path):
    """Keeping the last would diff (or build --previous) against whichever came second."""
    other = next(p.parent.name for p in pack.glob("*/matrix.json") if p.parent.name != "soc2")

    def claim_other(matrix: dict) -> None:
        matrix["framework"]["id"] = other

    crafted = craft(pack, tmp_path, claim_other)
    for args in (("diff", pack, crafted), ("diff", crafted, pack)):
        result = run(*args, check=2, pdf=False)
        assert "two matrices in this pack are of one framework" in result.stderr
        assert f"{other}/matrix.json" in result.stderr or "soc2/matrix.json" in result.stderr
        assert "manifest.json" in result.stderr


@pytest.mark.parametrize(
    ("name", "change", "said"),
    [
        ("empty-controls", lambda m: m.update(controls=[{}] * 300_000), "first difference"),
        ("number-controls", lambda m: m.update(controls=[1] * 300_000), "should be an object"),
        ("empty-services", lambda m: m.update(services=[{}] * 300_000), "required key"),
    ],
)
def test_a_matrix_of_many_wrong_items_is_refused_without_gathering_every_error(
    pack, tmp_path, name, change, said
):
    """Seventh adversarial pass: pydantic gathered every error before one was shown: a
    2.4 MB matrix of 590,000 empty controls took 2.7 GB and aborted the process (SIGABRT,
    a Rust backtrace), 100,000 took 1.9 GB. The cheap walk stops past 20 problems."""
    crafted = craft(pack, tmp_path, change)
    result = measured([*REPORTGEN, "diff", str(pack), str(crafted)], tmp_path, timeout=120)
    assert result.status == 2, result.stderr[-2000:]
    assert said in result.text and "Traceback" not in result.stderr
    assert result.rss_mb < 300, f"{result.rss_mb:.0f} MB"


def test_a_manifest_of_many_empty_outputs_is_refused_without_gathering_every_error(pack, tmp_path):
    crafted = Path(shutil.copytree(pack, tmp_path / "crafted"))
    manifest = json.loads((crafted / "manifest.json").read_text())
    manifest["outputs"] = [{}] * 99_000
    (crafted / "manifest.json").write_text(json.dumps(manifest))
    result = measured([*REPORTGEN, "verify", str(crafted)], tmp_path, timeout=120)
    assert result.status == 2, result.stderr[-2000:]
    assert "the manifest is not valid" in result.text and "required key is missing" in result.text
    assert result.rss_mb < 300, f"{result.rss_mb:.0f} MB"
