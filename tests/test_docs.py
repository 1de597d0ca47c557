"""Docs that cannot drift: the README names every command, config key and header alias."""

from __future__ import annotations

import re

import pytest
from conftest import ROOT
from pydantic import BaseModel

from reportgen.cli import cli
from reportgen.config.model import Config
from reportgen.inventory.fields import FIELDS

README = (ROOT / "README.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("command", sorted(cli.commands))
def test_every_command_is_documented(command):
    assert f"`reportgen {command}" in README


def _keys(model: type[BaseModel], prefix: str = "") -> list[str]:
    keys = []
    for name, field in model.model_fields.items():
        keys.append(prefix + name)
        annotation = field.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            keys += _keys(annotation, f"{prefix}{name}.")
    return keys


@pytest.mark.parametrize("key", _keys(Config))
def test_every_config_key_is_documented(key):
    name = key.rsplit(".", 1)[-1]
    assert re.search(rf"\b{name}:", README), key


@pytest.mark.parametrize("field", FIELDS)
def test_inventory_header_table_matches_the_code(field):
    row = next(line for line in README.splitlines() if line.startswith(f"| {field} |"))
    documented = {h.strip().casefold() for h in row.split("|")[2].split(",")}
    assert documented == {alias.casefold() for alias in FIELDS[field]}


MATRIX_DOC = (ROOT / "docs" / "matrix.md").read_text(encoding="utf-8")


def _schema_fields() -> list[str]:
    """Every field of matrix.json's contract, nested models included."""
    from reportgen.matrix_schema import Matrix

    seen: set[type[BaseModel]] = set()
    names: list[str] = []

    def walk(model: type[BaseModel]) -> None:
        if model in seen:
            return
        seen.add(model)
        for name, field in model.model_fields.items():
            names.append(field.alias or name)
            for kind in _models_in(field.annotation):
                walk(kind)

    walk(Matrix)
    return sorted(set(names))


def _models_in(annotation: object) -> list[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    return [m for arg in getattr(annotation, "__args__", ()) for m in _models_in(arg)]


@pytest.mark.parametrize("field", _schema_fields())
def test_every_matrix_field_is_documented(field):
    assert f"`{field}`" in MATRIX_DOC, f"docs/matrix.md does not describe `{field}`"


def _yaml_block_after(heading: str, starting: str = "") -> str:
    """The first ```yaml block after ``heading`` (whose text starts with ``starting``)."""
    text = README[README.index(heading) :]
    for block in re.findall(r"```yaml\n(.*?)```", text, flags=re.DOTALL):
        if block.startswith(starting):
            return block
    raise AssertionError(f"no yaml block after {heading!r}")


def test_the_readme_config_example_is_valid_and_builds(tmp_path):
    """The example under Configuration, with the sample inventory and the README's own
    service catalog example: `reportgen validate` accepts it and every key takes effect."""
    import shutil

    from conftest import SAMPLE_INVENTORY
    from packhelpers import run

    config = tmp_path / "reportgen.yaml"
    config.write_text(_yaml_block_after("## Configuration"), encoding="utf-8")
    (tmp_path / "my-services.yaml").write_text(
        _yaml_block_after("## Extending the catalogs", "services:"), encoding="utf-8"
    )
    (tmp_path / "report-templates").mkdir()
    shutil.copy(SAMPLE_INVENTORY, tmp_path / "inventory.xlsx")
    process = run("validate", "--config", config, cwd=tmp_path)
    assert "error" not in process.stderr.lower(), process.stderr
    assert "raci:" not in process.stderr + process.stdout  # nothing fell back to a default

    from reportgen.inputs import RunOptions
    from reportgen.pipeline import prepare

    _, matrices = prepare(RunOptions(config=config))
    pci, iso, soc2 = matrices["pci-dss"], matrices["iso-27001"], matrices["soc2"]
    assert pci["aws_attestation"]["relied_on"]["assessor"] == "Coalfire Systems Inc."
    assert "inspector2" in pci["aws_attestation"]["coverage"]["added"]
    assert pci["artefacts"]["responsibility_summary"]["segmentation"]["description"]
    soa = {row["id"]: row for row in iso["artefacts"]["statement_of_applicability"]["controls"]}
    assert soa["A.7.6"]["included"] is False and "secure areas" in soa["A.7.6"]["justification"]
    cuecs = soc2["artefacts"]["complementary_controls"]["user_entity_controls"]
    assert [c["criteria"] for c in cuecs] == [["CC6.2"]]
    assert pci["document"]["version"] == "2.0" and pci["document"]["next_review"] == "2026-12-31"
    assert pci["raci_rules"]["topics"]["governance"] == "Compliance"
    assert {p["name"] for p in pci["third_parties"]} == {"Snowflake", "Stackwise Managed Services"}
    assert pci["scope"]["third_party_rows"] == 1


RACI_DEFAULTS = README[README.index("### RACI defaults") :]


def test_the_readme_lists_the_raci_defaults():
    from reportgen.config.model import DEFAULT_RESPONSIBLE, DEFAULT_TOPIC_ROLES

    for key, role in [*DEFAULT_RESPONSIBLE.items(), *DEFAULT_TOPIC_ROLES.items()]:
        assert re.search(rf"\| {re.escape(key)} \| {re.escape(role)} \|", RACI_DEFAULTS), key


SECURITY = (ROOT / "SECURITY.md").read_text(encoding="utf-8")


def test_every_test_file_security_md_cites_exists():
    cited = set(re.findall(r"tests/(test_\w+\.py)", SECURITY))
    assert len(cited) >= 10
    missing = sorted(name for name in cited if not (ROOT / "tests" / name).is_file())
    assert missing == []


def _fixed_limits() -> list[tuple[str, str]]:
    from reportgen.config.model import AttachConfig
    from reportgen.core.validation import MAX_DETAILS
    from reportgen.inventory import xlsx_entries
    from reportgen.inventory.limits import Limits
    from reportgen.inventory.pull import fetch as pull_fetch
    from reportgen.pack import files as packfiles
    from reportgen.render import fetcher
    from reportgen.tickets import answers, transfer

    mb, kb = 1024 * 1024, 1024
    return [
        ("a pack's `manifest.json`", f"{packfiles.MAX_MANIFEST_BYTES // mb} MB"),
        (
            "a pack's `matrix.json` (`diff`, `build --previous`)",
            f"{packfiles.MAX_MATRIX_BYTES // mb} MB",
        ),
        ("a pack's `summary.md` (`attach --comment`)", f"{packfiles.MAX_SUMMARY_BYTES // mb} MB"),
        ("any other file a pack lists", f"{packfiles.MAX_FILE_BYTES // mb} MB"),
        (
            "JSON values and keys",
            f"{packfiles.MAX_MANIFEST_VALUES:,} in a manifest; {packfiles.MAX_MATRIX_VALUES:,} "
            f"in a matrix; {packfiles.MAX_RUN_MATRIX_VALUES:,} in all the matrices",
        ),
        (
            "memory a pack's matrices take (`diff`, `build --previous`)",
            f"{packfiles.MAX_MATRIX_MEMORY // mb} MB to parse one matrix; "
            f"{packfiles.MAX_RUN_MATRIX_BYTES // mb} MB of matrices read and "
            f"{packfiles.MAX_RUN_KEPT_BYTES // mb} MB kept by one command; "
            f"{packfiles.MAX_PACK_MATRICES} matrices in a manifest",
        ),
        ("folders a pack nests", f"{packfiles.MAX_DEPTH} levels"),
        (
            "JSON nesting",
            f"{packfiles.MANIFEST_DEPTH} levels in a manifest, {packfiles.MATRIX_DEPTH} in a "
            f"matrix, {transfer.JSON_DEPTH} in a server's answer",
        ),
        (
            "a ticket server's answer",
            f"{transfer.MAX_ANSWER_BYTES // mb} MB; an error answer is read to "
            f"{transfer.MAX_ERROR_BYTES // kb} KB",
        ),
        (
            "a ticket request",
            f"the `attach.timeout` ({AttachConfig().timeout:.0f} s) plus 1 s per "
            f"{transfer.UPLOAD_RATE // kb} KB it uploads",
        ),
        (
            "pages of a ticket listing",
            f"{answers.MAX_PAGES}, and {answers.LISTING_SECONDS:.0f} s",
        ),
        (
            "pages of an `inventory pull`",
            f"{pull_fetch.MAX_PAGES:,}, and {Limits().max_rows:,} resources",
        ),
        ("problems named in one config or catalog error", f"{MAX_DETAILS}, then a count"),
        (
            "a template asset (a font, CSS or image a template uses)",
            f"{fetcher.MAX_ASSET_BYTES // mb} MB",
        ),
        (
            "entries of one `.xlsx` part's lists",
            f"{xlsx_entries.WORKBOOK_ENTRIES:,} defined names, sheet entries or external "
            f"references; {xlsx_entries.STYLE_ENTRIES:,} of each style list",
        ),
    ]


@pytest.mark.parametrize(("what", "limit"), _fixed_limits())
def test_security_md_fixed_limits_match_the_code(what, limit):
    assert f"| {what} | {limit}" in SECURITY


def test_readme_states_the_attach_bounds_of_the_code():
    from reportgen.tickets import answers, transfer

    bounds = " ".join(README.split("- **Bounds**:", 1)[1].split("\n-", 1)[0].split())
    assert f"plus 1 s per {transfer.UPLOAD_RATE // 1024} KB it uploads" in bounds
    assert f"An answer over {transfer.MAX_ANSWER_BYTES // 2**20} MB" in bounds
    assert f"a listing of more than {answers.MAX_PAGES} pages" in bounds
    assert f"would ask for a page once {answers.LISTING_SECONDS:.0f} s have passed" in bounds


def test_readme_states_the_config_and_inventory_figures_of_the_code():
    from reportgen.core.validation import MAX_DETAILS
    from reportgen.inventory.limits import Limits

    text = " ".join(README.split())
    assert f"(the first {MAX_DETAILS}, and a count of the rest)" in text
    assert f"(in the first {Limits().header_search_rows} rows; further down, set" in text


def test_security_md_states_the_pull_answer_bounds_of_the_code():
    from reportgen.inventory.pull import answers, snapshot

    row = next(line for line in SECURITY.splitlines() if "| pages of an `inventory pull`" in line)
    assert f"read by reportgen in {answers.PIECE_BYTES >> 10} KB pieces" in row
    assert f"over {answers.MAX_ANSWER_BYTES >> 20} MB is refused unread" in row
    assert f"stopped {answers.ANSWER_SECONDS:.0f} seconds after it was sent" in row
    assert f"held to {snapshot.STS_BYTES >> 20} MB, {snapshot.STS_SECONDS:.0f} seconds" in row
