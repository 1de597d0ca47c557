"""The ticket-system and inventory-source registries, and third-party plugins through
entry points: the recipes of docs/contributing.md, each done for a toy one."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import textwrap
from importlib.metadata import EntryPoint
from pathlib import Path

import pytest
from conftest import ROOT, write_config
from packhelpers import EPOCH

from reportgen.config.model import AttachConfig
from reportgen.config.ticket_systems import TICKET_SYSTEMS
from reportgen.core import plugins
from reportgen.core.errors import InputError
from reportgen.inventory.limits import Limits
from reportgen.inventory.readers import RawTable, read_table
from reportgen.inventory.sources import INVENTORY_SOURCES, detect
from reportgen.inventory.sources.contract import Head
from reportgen.inventory.sources.table import ACCOUNT, RESOURCE_TYPE, SourceTable

# ---------------------------------------------------------------- ticket systems

TOY_TICKETS = '''
"""A toy ticket system: a recording client that writes each request to a JSON lines log."""

import json
import os
from pathlib import Path

from reportgen.core.errors import InputError
from reportgen.tickets.settings import Endpoint
from reportgen.config.ticket_systems import SystemSettings, TicketSystem


class ToySettings(SystemSettings):
    url_env: str = "TOY_URL"
    log_env: str = "TOY_LOG"


def check_target(target):
    if not target.startswith("TOY-"):
        raise InputError(f"'{target[:40]}' is not a toy ticket", hint="Like TOY-1.")
    return target


class Recorder:
    def __init__(self, log):
        self.log = log

    def write(self, **entry):
        with open(self.log, "a", encoding="utf-8") as handle:
            handle.write(json.dumps(entry) + "\\n")

    def close(self):
        self.write(call="close")


class ToyTicket:
    def __init__(self, http, target):
        self.http, self.label = http, f"toy ticket {target}"

    def attachments(self, names):
        return set()

    def upload(self, item):
        self.http.write(call="upload", name=item.name, size=item.size, sha256=item.sha256)
        return True

    def has_comment(self, marker):
        return False

    def comment(self, markdown, marker):
        self.http.write(call="comment", marker=marker, text=markdown)
        return True

    def describe_listing(self):
        return "LIST toy"

    def describe_upload(self, item):
        return f"UPLOAD {item.name}"

    def describe_comment(self, markdown):
        return "COMMENT"


def open_ticket(settings, target, environ, transport, dry_run):
    url = settings.url or environ.get(settings.url_env)
    endpoint = Endpoint("Toy", url, None, [] if url else ["no toy URL"])
    recorder = None if dry_run else Recorder(Path(environ[settings.log_env]))
    return endpoint, ToyTicket(recorder, target)


SYSTEM = TicketSystem("toy", "TOY-N", "Attach to this toy ticket.", ToySettings,
                      check_target, open_ticket)
'''


def fake_distribution(root: Path, module: str, source: str, group: str, attr: str) -> Path:
    """A module and an installed distribution whose entry point (``group``) names it."""
    root.mkdir(parents=True, exist_ok=True)
    (root / f"{module}.py").write_text(textwrap.dedent(source), encoding="utf-8")
    info = root / f"{module.replace('_', '-')}-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {module}\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text(f"[{group}]\n{module} = {module}:{attr}\n")
    return root


def run_reportgen(
    *args: str | Path, path: Path, env: dict[str, str]
) -> subprocess.CompletedProcess:
    environ = {"PATH": "/usr/bin:/bin", "SOURCE_DATE_EPOCH": EPOCH, "PYTHONPATH": str(path), **env}
    return subprocess.run(
        [sys.executable, "-m", "reportgen", *map(str, args)],
        cwd=ROOT, env=environ, capture_output=True, text=True, timeout=300,
    )  # fmt: skip


def test_the_builtin_ticket_systems_come_from_the_registry():
    assert [s.name for s in TICKET_SYSTEMS.all()][:2] == ["jira", "servicenow"]
    config = AttachConfig()
    assert config.jira.url_env == "REPORTGEN_JIRA_URL"
    assert config.servicenow.journal == "work_notes"
    with pytest.raises(InputError, match="not a Jira issue key"):
        TICKET_SYSTEMS.get("jira").check_target("abc-1")


def test_a_toy_ticket_system_from_a_plugin(project, tmp_path):
    """docs/contributing.md, 'Add a ticket system': one module, one registry
    entry (here an entry point); the config section, the option and attach follow."""
    site = fake_distribution(
        tmp_path / "site", "toy_tickets", TOY_TICKETS, plugins.TICKETS_GROUP, "SYSTEM"
    )
    log = tmp_path / "requests.jsonl"
    env = {"TOY_LOG": str(log), "TOY_URL": "https://toy.example"}
    out = project / "out"
    config = project / "reportgen.yaml"
    formats = ("--format", "matrix", "--format", "summary")
    built = run_reportgen("-q", "build", "--config", config, "--out", out, "--framework",
                          "soc2", *formats, path=site, env=env)  # fmt: skip
    assert built.returncode == 0, built.stderr

    helped = run_reportgen("attach", "--help", path=site, env=env)
    assert "--toy TOY-N" in helped.stdout and "--jira ISSUE-KEY" in helped.stdout

    attached = run_reportgen("attach", out, "--toy", "TOY-7", "--comment", path=site, env=env)
    assert attached.returncode == 0, attached.stderr
    calls = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]
    assert [c["call"] for c in calls] == ["upload", "comment", "close"]
    manifest = (out / "manifest.json").read_bytes()
    assert calls[1]["marker"] == hashlib.sha256(manifest).hexdigest()
    assert calls[1]["text"].startswith((out / "summary.md").read_text(encoding="utf-8")[:40])
    assert calls[0]["name"].endswith(".zip") and calls[0]["size"] > 0

    wrong = run_reportgen("attach", out, "--toy", "JIRA-1", path=site, env=env)
    assert wrong.returncode == 2 and "is not a toy ticket" in wrong.stderr
    both = run_reportgen("attach", out, "--toy", "TOY-1", "--jira", "A-1", path=site, env=env)
    assert both.returncode == 2 and "--toy TOY-N" in both.stderr

    # Its config section is validated like any other, with its line.
    write_config(project, config.read_text() + "attach:\n  toy:\n    log_env: not a name\n")
    checked = run_reportgen("attach", out, "--toy", "TOY-1", "--config", config, path=site,
                            env=env)  # fmt: skip
    assert checked.returncode == 2, checked.stderr
    assert "not an environment variable name: not a name" in checked.stderr
    assert "Traceback" not in checked.stderr


# ---------------------------------------------------------------- inventory sources


class ToyAssetList:
    """A toy export: a text file whose first line is '# toy-assets', then TYPE,ACCOUNT."""

    name = "toy-assets"
    label = "Toy asset list"

    def recognises(self, head: Head) -> bool:
        return head.first_line == "# toy-assets"

    def read(self, path: Path, limits: Limits) -> RawTable:
        table = SourceTable((RESOURCE_TYPE, ACCOUNT))
        for line in path.read_text(encoding="utf-8").splitlines()[1:]:
            kind, account = line.split(",")
            table.add([kind, account])
        return table.to_raw(path, self.name, [], limits)


@pytest.fixture
def toy_source():
    source = INVENTORY_SOURCES.register(ToyAssetList())
    yield source
    INVENTORY_SOURCES.unregister(source.name)


def test_a_toy_inventory_source_is_detected_by_content(toy_source, tmp_path):
    """docs/contributing.md, 'Add an inventory source'."""
    export = tmp_path / "assets.data"  # the name says nothing: the content decides
    export.write_text("# toy-assets\nAWS::S3::Bucket,111122223333\n", encoding="utf-8")
    assert detect(export) is toy_source
    table = read_table(export, Limits())
    rows = list(table.sheets[0].rows)
    assert table.kind == "toy-assets"
    assert rows == [(1, [RESOURCE_TYPE, ACCOUNT]), (2, ["AWS::S3::Bucket", "111122223333"])]
    other = tmp_path / "inventory.csv"
    other.write_text("Service\nAmazon S3\n", encoding="utf-8")
    assert detect(other) is None  # a plain CSV is still the table reader's


def test_a_toy_inventory_source_builds_a_pack(toy_source, tmp_path, capsys):
    from reportgen.cli import main

    export = tmp_path / "assets.txt"
    export.write_text(
        "# toy-assets\nAWS::S3::Bucket,111122223333\nAWS::EC2::Instance,111122223333\n",
        encoding="utf-8",
    )
    write_config(tmp_path, "customer:\n  name: Toy Co\ninventory:\n  path: assets.txt\n")
    main(["validate", "--config", str(tmp_path / "reportgen.yaml")])  # returns: no problem
    text = " ".join(capsys.readouterr().out.split())
    assert "columns: resource_type = A (Resource Type), account = B (Account)" in text
    assert "rows: 2 (2 resolved, 0 unresolved), 2 distinct services" in text


# ---------------------------------------------------------------- plugins


def test_a_broken_plugin_is_an_input_error(monkeypatch):
    point = EntryPoint("broken", "no_such_module_here:THING", plugins.FORMATS_GROUP)
    monkeypatch.setattr(plugins, "entry_points", lambda group: [point] if group else [])
    with pytest.raises(InputError, match=r"plugin 'broken'.*cannot be loaded"):
        plugins.load_plugins(plugins.FORMATS_GROUP, object)


def test_a_plugin_of_the_wrong_type_is_refused(monkeypatch):
    point = EntryPoint("wrong", "reportgen.core.plugins:FORMATS_GROUP", plugins.FORMATS_GROUP)
    monkeypatch.setattr(plugins, "entry_points", lambda group: [point])
    with pytest.raises(InputError, match=r"plugin 'wrong'.*is not a OutputFormat"):
        from reportgen.render.formats import OutputFormat

        plugins.load_plugins(plugins.FORMATS_GROUP, OutputFormat)


def test_an_output_format_plugin_joins_the_registry(monkeypatch):
    from reportgen.render.formats import FORMATS, OutputFormat

    point = EntryPoint("toyfmt", "toy_formats:FORMAT", plugins.FORMATS_GROUP)
    module = type(sys)("toy_formats")
    module.FORMAT = OutputFormat("toyfmt", "a toy", framework=lambda job: [])  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "toy_formats", module)
    monkeypatch.setattr(
        plugins, "entry_points", lambda group: [point] if group == plugins.FORMATS_GROUP else []
    )
    FORMATS.unregister("toyfmt")  # forget the plugins loaded before
    try:
        assert FORMATS.names()[-1] == "toyfmt"
        assert FORMATS.get("toyfmt") is module.FORMAT
    finally:
        monkeypatch.undo()
        FORMATS.unregister("toyfmt")
        assert "toyfmt" not in FORMATS.names()
