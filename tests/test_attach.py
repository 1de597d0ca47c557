"""reportgen attach against a fake Jira / ServiceNow on 127.0.0.1: the pack's zip (and with
--files each file) attached exactly once through 429s, 503s and timeouts, verifiable as
downloaded; credentials never shown; dry run sends nothing."""

from __future__ import annotations

import hashlib
import json
import tempfile
import zipfile
from io import BytesIO
from pathlib import Path

import httpx
import pytest
from attach_support import RECORD, attach
from conftest import MINIMAL_CONFIG, write_config, write_csv
from fake_tickets import Credentials, FakeTickets, Fault
from packhelpers import build, run

from reportgen.pack.bundle import bundle_pack
from reportgen.tickets.upload import upload_name

FAST = """
attach:
  timeout: 0.5
  retries: 4
  backoff: 0.01
  max_wait: 3
"""


@pytest.fixture(scope="module")
def pack(tmp_path_factory) -> Path:
    project = tmp_path_factory.mktemp("project")
    write_csv(project / "inventory.csv", [["Service", "Resource ID"], ["EC2", "i-1"], ["S3", "b"]])
    write_config(project, MINIMAL_CONFIG)
    # Without the PDF writer: verify, bundle, attach and diff treat every file alike.
    return build(project, tmp_path_factory.mktemp("out") / "test-co", pdf=False)


@pytest.fixture
def config(tmp_path) -> Path:
    return write_config(tmp_path, MINIMAL_CONFIG + FAST)


def expected_files(pack: Path, files: bool = False) -> dict[str, bytes]:
    """What attach uploads: the pack's zip, bundle's bytes; with --files each file first."""
    manifest = json.loads((pack / "manifest.json").read_text())
    slug = manifest["customer"]["slug"]
    found = {}
    for path in [e["path"] for e in manifest["outputs"]] + ["manifest.json"] if files else []:
        data = (pack / path).read_bytes()
        found[upload_name(slug, path, hashlib.sha256(data).hexdigest())] = data
    with tempfile.TemporaryDirectory() as work:
        zipped = bundle_pack(pack, Path(work) / "pack.zip").path.read_bytes()
    found[upload_name(slug, "pack.zip", hashlib.sha256(zipped).hexdigest())] = zipped
    return found


def assert_no_secret(text: str, creds: Credentials) -> None:
    for secret in creds.secrets():
        assert secret not in text


def attached(server: FakeTickets, ticket: str) -> dict[str, bytes]:
    return {a["filename"]: a["data"] for a in server.state.attachments.get(ticket, [])}


def test_jira_cloud_attaches_every_file_once_and_comments(pack, config, jira_cloud, capsys, caplog):
    status, output = attach(
        capsys, caplog, pack, "--jira", "GRC-42", "--comment", "--files", "--config", config
    )
    assert status == 0, output
    assert attached(jira_cloud, "GRC-42") == expected_files(pack, files=True)
    names = jira_cloud.state.names("GRC-42")
    assert names[-2].startswith("test-co-manifest.")  # seals the files before it
    assert names[-1].startswith("test-co-pack.") and names[-1].endswith(".zip")  # then the zip
    (comment,) = jira_cloud.state.comments["GRC-42"]
    assert comment["type"] == "doc"
    texts = json.dumps(comment)
    manifest_hash = hashlib.sha256((pack / "manifest.json").read_bytes()).hexdigest()
    assert manifest_hash in texts and '"type": "table"' in texts
    assert "reportgen verify test-co" in texts and names[-1] in texts
    assert_no_secret(output, jira_cloud.state.creds)


def test_what_an_auditor_downloads_verifies(pack, config, jira_cloud, capsys, caplog, tmp_path):
    """The default upload is the zip; downloaded and unzipped, `reportgen verify` passes
    (exit 0), and the comment says how, with the zip's SHA-256 (issue 15, item 5)."""
    status, output = attach(
        capsys, caplog, pack, "--jira", "GRC-15", "--comment", "--config", config
    )
    assert status == 0, output
    ((name, data),) = attached(jira_cloud, "GRC-15").items()
    downloaded = tmp_path / name
    downloaded.write_bytes(data)
    with zipfile.ZipFile(downloaded) as archive:
        archive.extractall(tmp_path / "auditor")
    checked = run("verify", tmp_path / "auditor" / "test-co")
    assert "OK: " in checked.stdout
    (comment,) = jira_cloud.state.comments["GRC-15"]
    text = json.dumps(comment)
    assert name in text and hashlib.sha256(data).hexdigest() in text
    assert "unzip it and run" in text and "reportgen verify test-co" in text


def test_a_second_run_uploads_nothing(pack, config, jira_cloud, capsys, caplog):
    for _ in range(2):
        status, output = attach(
            capsys, caplog, pack, "--jira", "GRC-42", "--comment", "--config", config
        )
        assert status == 0, output
    assert sorted(jira_cloud.state.names("GRC-42")) == sorted(expected_files(pack))
    assert len(jira_cloud.state.comments["GRC-42"]) == 1
    assert "0 attached, 1 already there" in output


def test_429_503_and_a_timeout_after_storing_still_attach_each_file_once(
    pack, config, jira_cloud, capsys, caplog
):
    jira_cloud.inject(Fault("429", retry_after="1"), Fault("503"), Fault("stall", stall=1.5))
    status, output = attach(capsys, caplog, pack, "--jira", "GRC-7", "--files", "--config", config)
    assert status == 0, output
    names = jira_cloud.state.names("GRC-7")
    assert len(names) == len(set(names)) == len(expected_files(pack, files=True))
    assert attached(jira_cloud, "GRC-7") == expected_files(pack, files=True)
    uploads = jira_cloud.uploads()
    assert [u.status for u in uploads[:3]] == [429, 503, 0]  # 0: the stalled answer never went
    assert len(uploads) == len(names) + 2  # the stored-but-timed-out file was not sent again
    assert uploads[1].at - uploads[0].at >= 1.0  # Retry-After: 1 was honoured
    assert "HTTP 429; retrying" in output and "timed out; retrying" in output
    assert "already attached" in output  # found by the re-list after the timeout
    assert_no_secret(output, jira_cloud.state.creds)


@pytest.mark.parametrize("value", ["²", "¹", "Fri, 31 Dec 99999999999999999999 23:59:59 GMT"])
def test_a_retry_after_that_is_no_number_or_date_is_ignored(
    pack, config, jira_cloud, capsys, caplog, value
):
    """Third adversarial pass: these ended in exit 1 'internal error' (ValueError,
    OverflowError); a Retry-After reportgen cannot read is ignored and the backoff used."""
    jira_cloud.inject(Fault("503", retry_after=value))
    status, output = attach(capsys, caplog, pack, "--jira", "GRC-8", "--config", config)
    assert status == 0, output
    assert "HTTP 503; retrying" in output and "internal error" not in output
    assert attached(jira_cloud, "GRC-8") == expected_files(pack)


def test_jira_data_center_uses_a_bearer_token_and_wiki_text(
    pack, config, server, monkeypatch, capsys, caplog
):
    monkeypatch.setenv("REPORTGEN_JIRA_URL", server.url + "/")
    monkeypatch.setenv("REPORTGEN_JIRA_PAT", server.state.creds.pat)
    for name in ("REPORTGEN_JIRA_EMAIL", "REPORTGEN_JIRA_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    status, output = attach(
        capsys, caplog, pack, "--jira", "OPS-1", "--comment", "--config", config
    )
    assert status == 0, output
    assert all("/rest/api/2/" in s.path for s in server.state.seen)
    (comment,) = server.state.comments["OPS-1"]
    assert comment.startswith("h1. Audit pack: Test Co")
    assert "||File||Bytes||SHA\\-256||" in comment
    assert_no_secret(output, server.state.creds)


def test_servicenow_raw_uploads_work_notes_and_faults(pack, config, servicenow, capsys, caplog):
    servicenow.inject(Fault("503"), Fault("stall", stall=1.5), Fault("429", retry_after="0"))
    args = (pack, "--servicenow", RECORD, "--comment", "--files", "--config", config)
    status, output = attach(capsys, caplog, *args)
    assert status == 0, output
    assert attached(servicenow, RECORD) == expected_files(pack, files=True)
    kinds = {a["filename"]: a["content_type"] for a in servicenow.state.attachments[RECORD]}
    assert kinds[next(n for n in kinds if n.endswith(".md"))] == "text/markdown; charset=utf-8"
    ((journal, text),) = servicenow.state.comments[RECORD]
    assert journal == "work_notes" and text.startswith("# Audit pack: Test Co")
    status, output = attach(capsys, caplog, *args)  # idempotent, comment included
    assert status == 0 and len(servicenow.state.comments[RECORD]) == 1
    assert len(servicenow.state.names(RECORD)) == len(expected_files(pack, files=True))
    assert_no_secret(output, servicenow.state.creds)


def test_the_default_attaches_one_zip_of_the_pack(pack, config, servicenow, capsys, caplog):
    status, output = attach(capsys, caplog, pack, "--servicenow", RECORD, "--config", config)
    assert status == 0, output
    ((name, data),) = attached(servicenow, RECORD).items()
    assert name == f"test-co-pack.{hashlib.sha256(data).hexdigest()[:8]}.zip"
    with zipfile.ZipFile(BytesIO(data)) as archive:
        assert archive.read("test-co/manifest.json") == (pack / "manifest.json").read_bytes()


def test_a_servicenow_listing_pages_past_a_short_page(pack, config, servicenow, capsys, caplog):
    """Fourteenth pass: a page shorter than sysparm_limit (an instance's REST row cap, rows
    its ACLs removed) ended the listing, so the pack's zip, on a later page, was not seen and
    each re-run uploaded it again."""
    others = [{"filename": f"other-{i}.txt", "data": b"", "content_type": "text/plain",
               "id": i} for i in range(700)]  # fmt: skip
    servicenow.state.attachments[RECORD] = others
    servicenow.state.row_cap = 500  # under reportgen's page of 1,000
    for _ in range(2):
        status, output = attach(capsys, caplog, pack, "--servicenow", RECORD, "--config", config)
        assert status == 0, output
    assert "0 attached, 1 already there" in output
    names = servicenow.state.names(RECORD)
    assert len(names) == 701 and names[-1].endswith(".zip")


@pytest.mark.parametrize("links", ["quoted", "rfc", "unlinked-last", "html"])
def test_a_servicenow_listing_follows_the_instances_next_page(
    pack, config, servicenow, capsys, caplog, links
):
    """Twenty-second pass: ACLs that let the user see one attachment in 100, on a record of
    2,000: moving on by the 10 rows shown took 200 pages, and the listing was refused at
    100 on every run. The instance's Link header names the next page's offset. Twenty-third
    pass: a comma in the link's target, or ``rel=next`` unquoted, ended the listing at its
    first page, and the zip was uploaded again on every run; a last page without a Link
    header went on by the rows shown, into the page cap (exit 4)."""
    others = [{"filename": f"other-{i}.txt", "data": b"", "content_type": "text/plain",
               "id": i} for i in range(2000)]  # fmt: skip
    servicenow.state.attachments[RECORD] = others
    servicenow.state.shown_one_in, servicenow.state.links = 100, links
    for _ in range(2):
        status, output = attach(capsys, caplog, pack, "--servicenow", RECORD, "--config", config)
        assert status == 0, output
    assert "0 attached, 1 already there" in output
    assert len(servicenow.state.names(RECORD)) == 2001


@pytest.mark.parametrize("links", ["gaps", "no-offset"])
def test_a_full_servicenow_page_without_a_link_is_not_the_last(
    pack, config, servicenow, capsys, caplog, links
):
    """Twenty-fifth pass: an instance that sent a Link header on some pages only; a full
    page without one, after one that had it, was taken for the last, and the zip past it
    was uploaded again on every run. Twenty-seventh: so was one whose next link's offset
    was empty."""
    others = [{"filename": f"other-{i}.txt", "data": b"", "content_type": "text/plain",
               "id": i} for i in range(2500)]  # fmt: skip
    servicenow.state.attachments[RECORD] = others
    servicenow.state.links = links
    for _ in range(2):
        status, output = attach(capsys, caplog, pack, "--servicenow", RECORD, "--config", config)
        assert status == 0, output
    assert "0 attached, 1 already there" in output
    assert len(servicenow.state.names(RECORD)) == 2501


def test_a_next_link_without_its_offset_after_readable_ones_is_followed(
    pack, config, servicenow, capsys, caplog
):
    """Pass 28a: once a page had a readable next link, a later one whose offset could not
    be read, on a page its ACLs shortened, was taken for the last: the zip uploaded again."""
    others = [{"filename": f"other-{i}.txt", "data": b"", "content_type": "text/plain",
               "id": i} for i in range(2500)]  # fmt: skip
    servicenow.state.attachments[RECORD] = others
    servicenow.state.shown_one_in, servicenow.state.links = 2, "late-no-offset"
    for _ in range(2):
        status, output = attach(capsys, caplog, pack, "--servicenow", RECORD, "--config", config)
        assert status == 0, output
    assert "0 attached, 1 already there" in output
    assert len(servicenow.state.names(RECORD)) == 2501


def test_a_servicenow_listing_asks_for_a_stable_order(pack, config, servicenow, capsys, caplog):
    """Fifteenth pass: pages were read by offset with no ORDERBY, so an instance free to
    order each page differently could hide the pack's zip: a second copy was uploaded."""
    others = [{"filename": f"other-{i}.txt", "data": b"", "content_type": "text/plain",
               "id": i} for i in range(1000)]  # fmt: skip
    servicenow.state.attachments[RECORD] = others
    status, output = attach(capsys, caplog, pack, "--servicenow", RECORD, "--config", config)
    assert status == 0, output
    servicenow.state.unordered = True  # from here on, pages come in different orders
    status, output = attach(capsys, caplog, pack, "--servicenow", RECORD, "--config", config)
    assert status == 0 and "0 attached, 1 already there" in output, output
    assert len(servicenow.state.names(RECORD)) == 1001


@pytest.mark.parametrize("system", ["jira", "servicenow"])
def test_a_same_named_attachment_cut_short_is_sent_again(
    pack, config, jira_cloud, servicenow, capsys, caplog, system
):
    """Fifteenth session: attach matched the ticket's attachments by name alone, so a zip
    whose earlier upload a proxy had cut short was skipped as already attached, and the
    ticket kept a zip that does not unzip."""
    server, target = (jira_cloud, "GRC-5") if system == "jira" else (servicenow, RECORD)
    ((name, data),) = expected_files(pack).items()
    cut = {"filename": name, "data": data[:1000], "content_type": "application/zip", "id": 0}
    server.state.attachments[target] = [cut]
    status, output = attach(capsys, caplog, pack, f"--{system}", target, "--config", config)
    assert status == 0, output
    assert f"cut short on the ticket: {name} (1,000 bytes, not {len(data):,} bytes)" in output
    assert [a["data"] for a in server.state.attachments[target]] == [data[:1000], data]
    status, output = attach(capsys, caplog, pack, f"--{system}", target, "--config", config)
    assert status == 0 and "0 attached, 1 already there" in output
    assert "cut short" not in output


SIGN_IN = b"<html><body>Please sign in</body></html>"


@pytest.mark.parametrize(
    ("system", "body", "message"),
    [
        ("jira", SIGN_IN, "upload {name}: the answer is not JSON"),
        ("jira", b"[]", "upload {name}: the answer names no attachment"),
        ("jira", b'{"id": "10001"}', "the answer is not what Jira Cloud sends"),
        ("jira", b'[{"filename": "other.zip", "size": 5}]', "names 'other.zip' (5 bytes)"),
        ("jira", b'[{"filename": "{name}", "size": 1000}]', "says it stored 1,000 bytes of"),
        ("servicenow", SIGN_IN, "upload {name}: the answer is not JSON"),
        ("servicenow", b'{"result": []}', "the answer is not what ServiceNow sends (result:"),
        ("servicenow", b'{"result": {"file_name": "x\\u202e.zip"}}', "names 'x\\u202e.zip'"),
        # Seventeenth pass: the right name with no size was taken as the whole file.
        ("jira", b'[{"filename": "{name}"}]', "names the file but gives no size"),
        (
            "servicenow",
            b'{"result": {"file_name": "{name}", "size_bytes": ""}}',
            "names the file but gives no size",
        ),
        # Thirty-second pass: "the server says it stored -1 bytes of 562,301"
        (
            "servicenow",
            b'{"result": {"file_name": "{name}", "size_bytes": "562301.5"}}',
            "names the file with a size that cannot be read, so nothing shows it arrived whole",
        ),
        (
            "servicenow",
            b'{"result": {"file_name": "other.zip", "size_bytes": "abc"}}',
            "names 'other.zip', not this file",
        ),
    ],
)
def test_an_upload_answer_that_is_not_the_file_attached_is_a_server_failure(
    pack, config, jira_cloud, servicenow, capsys, caplog, system, body, message
):
    """Fifteenth pass: an upload answered 200 with a sign-in page (or any answer) counted as
    attached, exit 0, and the comment then gave the SHA-256 of a file the ticket lacked."""
    server, target = (jira_cloud, "GRC-8") if system == "jira" else (servicenow, RECORD)
    ((name, _),) = expected_files(pack).items()
    server.inject(Fault("body", status=200, body=body.replace(b"{name}", name.encode())))
    args = (pack, f"--{system}", target, "--comment", "--config", config)
    status, output = attach(capsys, caplog, *args)
    assert status == 4, output
    assert message.format(name=name) in " ".join(output.split())
    assert "Nothing shows the file reached the ticket whole" in " ".join(output.split())
    assert "attached: " not in output and "posted" not in output
    assert server.state.comments.get(target) is None


@pytest.mark.parametrize("system", ["jira", "servicenow"])
def test_pages_emptied_by_permissions_do_not_end_a_listing(
    pack, config, jira_cloud, servicenow, capsys, caplog, system
):
    """Sixteenth pass: a page of comments emptied by restrictions (Jira), or of attachments
    emptied by ACLs (ServiceNow, X-Total-Count still counting them), ended the listing, so
    the summary comment and the zip past it were posted again on each run."""
    if system == "jira":
        server, target, flags = jira_cloud, "GRC-8", ("--comment",)
        server.state.comments[target] = [{"body": f"restricted {n}"} for n in range(150)]
        server.state.hidden = 150  # pages 0 and 1 come back empty; the total says 150+
    else:
        server, target, flags = servicenow, RECORD, ()
        server.state.attachments[target] = [
            {"filename": f"other-{i}.txt", "data": b"", "content_type": "text/plain", "id": i}
            for i in range(1200)
        ]
        server.state.hidden = 1000  # the first page comes back empty
    for _ in range(2):
        status, output = attach(
            capsys, caplog, pack, f"--{system}", target, *flags, "--config", config
        )
        assert status == 0, output
    if system == "jira":
        assert len(server.state.comments[target]) == 151
        assert "summary comment: already on the ticket" in output
    else:
        assert len(server.state.names(target)) == 1201
        assert "0 attached, 1 already there" in output


def test_dry_run_sends_nothing(pack, config, jira_cloud, capsys, caplog):
    args = (pack, "--jira", "GRC-9", "--comment", "--files", "--dry-run", "--config", config)
    status, output = attach(capsys, caplog, *args)
    assert status == 0, output
    assert jira_cloud.state.seen == []
    for name in expected_files(pack, files=True):
        assert f"multipart field 'file' = {name}" in output
    assert "credentials: Basic auth, email from $REPORTGEN_JIRA_EMAIL" in output
    assert_no_secret(output, jira_cloud.state.creds)


def test_rejected_credentials_are_masked_even_when_echoed(
    pack, config, jira_cloud, monkeypatch, capsys, caplog
):
    wrong = "jira-WRONG-token-31337"
    monkeypatch.setenv("REPORTGEN_JIRA_TOKEN", wrong)
    status, output = attach(capsys, caplog, pack, "--jira", "GRC-1", "--config", config)
    assert status == 4
    assert "HTTP 401: authentication failed" in output
    assert "Bad credentials: Basic ***" in output  # the server echoed the header: masked
    assert wrong not in output
    assert_no_secret(output, jira_cloud.state.creds)


def test_persistent_503_gives_up_with_a_clear_message(pack, config, jira_cloud, capsys, caplog):
    jira_cloud.inject(*[Fault("503")] * 4)
    status, output = attach(capsys, caplog, pack, "--jira", "GRC-2", "--config", config)
    assert status == 4
    assert "HTTP 503 (gave up after 4 attempts)" in output
    assert jira_cloud.state.names("GRC-2") == []


def test_an_altered_pack_is_not_attached(pack, config, jira_cloud, tmp_path, capsys, caplog):
    import shutil

    copy = Path(shutil.copytree(pack, tmp_path / "copy"))
    (copy / "summary.md").write_text("edited\n")
    status, output = attach(capsys, caplog, copy, "--jira", "GRC-3", "--config", config)
    assert status == 1 and "does not match its manifest" in output
    assert jira_cloud.state.seen == []


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"REPORTGEN_JIRA_URL": "http://jira.example.com"}, "use https://"),
        ({"REPORTGEN_JIRA_URL": "https://u:p@jira.example.com"}, "do not belong in the URL"),
        ({"REPORTGEN_JIRA_PAT": "x-pat-123"}, "not both"),
        ({"REPORTGEN_JIRA_TOKEN": ""}, "no Jira credentials"),
    ],
)
def test_configuration_problems_exit_2(
    pack, config, jira_cloud, monkeypatch, capsys, caplog, env, message
):
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    status, output = attach(capsys, caplog, pack, "--jira", "GRC-4", "--config", config)
    assert status == 2 and message in output
    assert jira_cloud.state.seen == []


@pytest.mark.parametrize(
    ("literal", "environ", "named"),
    [
        ("https://u:p@jira.example.com", {}, "attach.jira.url:"),
        (None, {"REPORTGEN_JIRA_URL": "https://u:p@jira.example.com"}, "$REPORTGEN_JIRA_URL:"),
        ("http://jira.example.com", {"REPORTGEN_JIRA_URL": "x"}, "attach.jira.url:"),
    ],
)
def test_a_bad_base_url_names_where_it_came_from(literal, environ, named):
    from reportgen.tickets.settings import base_url

    url, problems = base_url(literal, "REPORTGEN_JIRA_URL", environ, "attach.jira.url")
    assert url is None and problems and all(p.startswith(named) for p in problems)
    assert not any("u:p" in p for p in problems)


@pytest.mark.parametrize(
    "args",
    [
        ("--jira", "not-a-key"),
        ("--servicenow", "incident:short"),
        ("--jira", "A-1", "--servicenow", RECORD),
        (),
    ],
)
def test_ticket_arguments_are_checked(pack, config, jira_cloud, capsys, caplog, args):
    status, _ = attach(capsys, caplog, pack, *args, "--config", config)
    assert status == 2
    assert jira_cloud.state.seen == []


def test_the_fake_jira_enforces_the_xsrf_header(jira_cloud):
    creds = jira_cloud.state.creds
    response = httpx.post(
        f"{jira_cloud.url}/rest/api/3/issue/GRC-5/attachments",
        auth=(creds.email, creds.token),
        files={"file": ("a.txt", b"x", "text/plain")},
    )
    assert response.status_code == 403 and "XSRF" in response.text


def test_comment_on_a_pack_without_a_summary_says_why(tmp_path, config, capsys, caplog):
    """Twentieth pass: `attach --comment` on a pack built without the summary format said
    only "summary.md: missing"."""
    project = tmp_path / "project"
    project.mkdir()
    write_csv(project / "inventory.csv", [["Service"], ["S3"]])
    write_config(project, MINIMAL_CONFIG)
    pack = build(project, tmp_path / "matrix-only", "--format", "matrix", pdf=False)
    status, output = attach(capsys, caplog, pack, "--jira", "GRC-1", "--comment", "--dry-run",
                            "--config", config)  # fmt: skip
    assert status == 2, output
    assert "--comment posts the pack's summary.md, and this pack has none" in output
