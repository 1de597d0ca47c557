"""`reportgen inventory pull`, offline: botocore's Stubber plays AWS (pages, throttling,
access denied) and moto stands in where it implements the call. The snapshot a pull writes
builds the same pack as the export it mirrors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import boto3
import pytest
from botocore.stub import ANY, Stubber
from conftest import ROOT, write_config
from packhelpers import run

from reportgen.core.errors import InputError
from reportgen.inventory.pull.snapshot import SIDECAR_SUFFIX, PullRequest, pull

EXPORTS = ROOT / "tests" / "fixtures" / "exports"
CONFIG_FIXTURE = json.loads((EXPORTS / "config-aggregator.json").read_text())
EXPLORER_FIXTURE = json.loads((EXPORTS / "resource-explorer-search.json").read_text())


def _client(service: str):
    return boto3.client(
        service, region_name="eu-west-1", aws_access_key_id="x", aws_secret_access_key="x"
    )


def _config_pages(stubber: Stubber, pages: list[list[str]], query: str | None = None) -> None:
    for number, results in enumerate(pages):
        expected = {"Expression": query or ANY, "ConfigurationAggregatorName": "org"}
        if number:
            expected["NextToken"] = f"page-{number}"
        response = {"Results": results, "QueryInfo": {"SelectFields": [{"Name": "resourceId"}]}}
        if number + 1 < len(pages):
            response["NextToken"] = f"page-{number + 1}"
        stubber.add_response("select_aggregate_resource_config", response, expected)


def _request(out: Path) -> PullRequest:
    return PullRequest("config-aggregator", out, options={"aggregator": "org"})


def _pull_config(tmp_path: Path, pages: list[list[str]], sleeps: list | None = None):
    client = _client("config")
    with Stubber(client) as stubber:
        _config_pages(stubber, pages)
        request = _request(tmp_path / "snap.csv")
        result = pull(request, client=client, sleep=sleeps.append if sleeps is not None else None)
        stubber.assert_no_pending_responses()
    return result


def test_a_paged_aggregator_query_becomes_one_snapshot_and_its_sidecar(tmp_path):
    results = CONFIG_FIXTURE["Results"]
    result = _pull_config(tmp_path, [results[:5], results[5:9], results[9:]])
    assert (result.items, result.pages) == (12, 3)
    lines = result.csv.read_text().splitlines()
    tags = "tag:Environment,tag:Name,tag:Owner,tag:pci"
    assert lines[0] == f"Resource Type,Resource,Account,Region,{tags}"
    assert len(lines) == 13
    sidecar = json.loads(result.sidecar.read_text())
    assert result.sidecar.name == "snap.csv" + SIDECAR_SUFFIX
    assert sidecar["source"] == "config-aggregator"
    assert sidecar["parameters"]["ConfigurationAggregatorName"] == "org"
    assert sidecar["parameters"]["Expression"].startswith("SELECT resourceId")
    assert sidecar["counts"] == {"pages": 3, "items": 12, "tag_columns": 4}


def test_throttling_is_retried_with_growing_waits(tmp_path):
    client = _client("config")
    sleeps: list[float] = []
    with Stubber(client) as stubber:
        for _ in range(3):
            stubber.add_client_error("select_aggregate_resource_config", "ThrottlingException",
                                     "Rate exceeded", 400)  # fmt: skip
        _config_pages(stubber, [CONFIG_FIXTURE["Results"]])
        request = _request(tmp_path / "s.csv")
        result = pull(request, client=client, sleep=sleeps.append)
    assert result.items == 12 and len(sleeps) == 3
    assert all(0 <= wait <= 0.5 * 2**attempt for attempt, wait in enumerate(sleeps))


def test_access_denied_names_the_iam_action_and_writes_nothing(tmp_path):
    client = _client("config")
    with Stubber(client) as stubber:
        first = {"Results": CONFIG_FIXTURE["Results"][:2], "NextToken": "page-1"}
        stubber.add_response("select_aggregate_resource_config", first)
        stubber.add_client_error(
            "select_aggregate_resource_config",
            "AccessDeniedException",
            "User: arn:aws:iam::111122223333:user/audit is not authorized",
            400,
        )
        request = _request(tmp_path / "s.csv")
        with pytest.raises(InputError) as caught:
            pull(request, client=client, sleep=lambda _s: None)
    assert caught.value.message.startswith("AWS denied config:SelectAggregateResourceConfig")
    assert "config:SelectAggregateResourceConfig" in caught.value.hint
    assert list(tmp_path.iterdir()) == []


def test_resource_explorer_pages_follow_next_token(tmp_path):
    client = _client("resource-explorer-2")
    resources = EXPLORER_FIXTURE["Resources"]
    with Stubber(client) as stubber:
        stubber.add_response("list_resources", {"Resources": resources[:4], "NextToken": "t2"}, {})
        stubber.add_response("list_resources", {"Resources": resources[4:]}, {"NextToken": "t2"})
        result = pull(PullRequest("resource-explorer", tmp_path / "re.csv"), client=client)
    assert result.items == len(resources) and result.pages == 2


def test_tagging_pull_against_moto(tmp_path, monkeypatch):
    moto = pytest.importorskip("moto")
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(name, "testing")
    with moto.mock_aws():
        s3 = boto3.client("s3", region_name="eu-west-1")
        where = {"LocationConstraint": "eu-west-1"}
        s3.create_bucket(Bucket="statements", CreateBucketConfiguration=where)
        tags = {"TagSet": [{"Key": "pci", "Value": "yes"}]}
        s3.put_bucket_tagging(Bucket="statements", Tagging=tags)
        ec2 = boto3.client("ec2", region_name="eu-west-1")
        image = ec2.describe_images()["Images"][0]["ImageId"]
        ec2.run_instances(
            ImageId=image,
            MinCount=1,
            MaxCount=1,
            TagSpecifications=[
                {"ResourceType": "instance", "Tags": [{"Key": "Environment", "Value": "prod"}]}
            ],
        )
        from reportgen.cli import main

        main(["-q", "inventory", "pull", "--source", "tagging", "--region", "eu-west-1",
              "-o", str(tmp_path / "tags.csv")])  # fmt: skip
    lines = (tmp_path / "tags.csv").read_text().splitlines()
    assert lines[0] == "Resource,tag:Environment,tag:pci"
    assert "arn:aws:s3:::statements,,yes" in lines
    instances = [line for line in lines if line.startswith("arn:aws:ec2:eu-west-1:")]
    assert len(instances) == 1 and instances[0].endswith(",prod,")
    sidecar = json.loads((tmp_path / ("tags.csv" + SIDECAR_SUFFIX)).read_text())
    assert sidecar["account"] == "123456789012" and sidecar["region"] == "eu-west-1"


CONFIG = """\
customer: {name: Harbourline Payments Ltd, short_name: harbourline}
frameworks: [pci-dss]
inventory:
  columns: {environment: "tag:Environment", owner: "tag:Owner"}
"""


def test_the_snapshot_builds_the_same_pack_as_the_export(tmp_path):
    results = CONFIG_FIXTURE["Results"]
    snapshot = _pull_config(tmp_path, [results[:7], results[7:]]).csv
    write_config(tmp_path, CONFIG)
    packs = {}
    export = EXPORTS / "config-aggregator.json"
    for name, inventory in (("export", export), ("snapshot", snapshot)):
        run("-q", "build", "--config", "reportgen.yaml", "--inventory", inventory, "--out", name,
            cwd=tmp_path, pdf=False)  # fmt: skip
        matrix = json.loads((tmp_path / name / "pci-dss" / "matrix.json").read_text())
        # The input files differ, and with them their hashes and the document id (which the
        # revision history records).
        skip = ("inputs", "document_id", "document")
        packs[name] = {k: v for k, v in matrix.items() if k not in skip}
    assert packs["export"] == packs["snapshot"]
    assert packs["export"]["scope"]["environments"] == ["production", "staging"]


def test_a_page_token_sent_again_stops_the_pull(tmp_path):
    """Eighth pass: an endpoint that repeated its token kept a pull running for ever."""
    client = _client("resource-explorer-2")
    resources = EXPLORER_FIXTURE["Resources"]
    with Stubber(client) as stubber:
        stubber.add_response("list_resources", {"Resources": resources[:2], "NextToken": "t2"}, {})
        for asked, token in (("t2", "t3"), ("t3", "t2")):  # t2 comes back
            page = {"Resources": resources[2:4], "NextToken": token}
            stubber.add_response("list_resources", page, {"NextToken": asked})
        with pytest.raises(InputError) as caught:
            pull(PullRequest("resource-explorer", tmp_path / "re.csv"), client=client)
    said = "resource-explorer-2:ListResources: AWS sent a page token it had sent before"
    assert said in caught.value.message
    assert list(tmp_path.iterdir()) == []


def test_pages_past_the_cap_stop_the_pull(tmp_path, monkeypatch):
    from reportgen.inventory.pull import fetch

    monkeypatch.setattr(fetch, "MAX_PAGES", 3)
    client = _client("resource-explorer-2")
    with Stubber(client) as stubber:
        for number in range(3):
            asked = {"NextToken": f"t{number - 1}"} if number else {}
            page = {"Resources": [], "NextToken": f"t{number}"}
            stubber.add_response("list_resources", page, asked)
        said = "resource-explorer-2:ListResources: more than 3 pages; reportgen stops"
        with pytest.raises(InputError, match=said):
            pull(PullRequest("resource-explorer", tmp_path / "re.csv"), client=client)


def test_empty_pages_in_a_row_stop_the_pull(tmp_path, monkeypatch):
    """Thirteenth pass: an endpoint sending a new token with every empty page ran 13,320
    pages in 600 s; a page with resources between them starts the count again."""
    from reportgen.inventory.pull import fetch

    monkeypatch.setattr(fetch, "MAX_EMPTY_PAGES", 3)
    resources = EXPLORER_FIXTURE["Resources"]
    client = _client("resource-explorer-2")
    with Stubber(client) as stubber:
        kinds = [[], [], resources[:1], [], [], []]  # two empty, one full, three empty
        for number, items in enumerate(kinds):
            asked = {"NextToken": f"t{number - 1}"} if number else {}
            stubber.add_response("list_resources", {"Resources": items, "NextToken": f"t{number}"},
                                 asked)  # fmt: skip
        said = "resource-explorer-2:ListResources: AWS sent 3 pages in a row with no resource"
        with pytest.raises(InputError, match=said):
            pull(PullRequest("resource-explorer", tmp_path / "re.csv"), client=client)
        stubber.assert_no_pending_responses()
    assert list(tmp_path.iterdir()) == []


def test_pages_each_repeating_an_earlier_one_stop_the_pull(tmp_path, monkeypatch):
    """Pass 31c: an endpoint sending, on each page, one resource of the page before and one
    new, was stopped by no rule but MAX_PAGES (12,744 pages in 600 s; 20,000 take 16 min).
    A page repeating nothing starts the count again."""
    from reportgen.inventory.pull import fetch

    monkeypatch.setattr(fetch, "MAX_EMPTY_PAGES", 3)
    first = EXPLORER_FIXTURE["Resources"][0]

    def resource(n: int) -> dict:
        return {**first, "Arn": f"arn:aws:s3:::bucket-{n}"}

    client = _client("resource-explorer-2")
    with Stubber(client) as stubber:
        news = [1, 2, 3, 5, 6, 7, 8]  # the page of 5 (and 4) repeats nothing: counted anew
        for number, new in enumerate(news):
            items = [resource(new)] + ([resource(new - 1)] if number else [])
            asked = {"NextToken": f"t{number - 1}"} if number else {}
            stubber.add_response("list_resources", {"Resources": items, "NextToken": f"t{number}"},
                                 asked)  # fmt: skip
        said = "AWS sent 3 pages in a row each repeating resources of an earlier page"
        with pytest.raises(InputError, match=said):
            pull(PullRequest("resource-explorer", tmp_path / "re.csv"), client=client)
        stubber.assert_no_pending_responses()
    assert list(tmp_path.iterdir()) == []


def test_items_past_max_rows_stop_the_pull(tmp_path, monkeypatch):
    from reportgen.inventory import limits

    monkeypatch.setattr(limits.Limits, "__init__", _few_rows(limits.Limits.__init__))
    client = _client("resource-explorer-2")
    resources = EXPLORER_FIXTURE["Resources"]
    with Stubber(client) as stubber:
        stubber.add_response("list_resources", {"Resources": resources}, {})
        with pytest.raises(InputError, match=r"\$\.Resources\[2\]: more than 2 resources"):
            pull(PullRequest("resource-explorer", tmp_path / "re.csv"), client=client)


def _few_rows(init):
    def patched(self, *args, **kwargs):
        init(self, *args, **{**kwargs, "max_rows": 2})

    return patched


def test_an_error_text_from_the_answer_is_cut_short(tmp_path):
    """Ninth pass: a 2 MB error message from the endpoint was printed whole."""
    client = _client("resource-explorer-2")
    with Stubber(client) as stubber:
        text = "\x1b[2J\u202e" + "x" * 2_000_000
        stubber.add_client_error("list_resources", "InternalServerException", text, 500)
        with pytest.raises(InputError) as caught:
            pull(PullRequest("resource-explorer", tmp_path / "re.csv"), client=client)
    assert caught.value.message.startswith(
        "AWS refused resource-explorer-2:ListResources: InternalServerException: "
    )
    assert len(caught.value.message) < 400


def _endpoint(
    body: bytes,
    *,
    length: bool = True,
    pause: float = 0.0,
    kind: str = "application/json",
    status: int = 200,
    then: bytes | None = None,
):
    """A local endpoint answering every request with ``body`` (status 200, JSON): with its
    Content-Length, or (``length`` False) to the connection's close; ``pause`` seconds
    between bytes trickles it; with ``then``, every request after the first gets that."""
    bodies = [body]
    import contextlib
    import threading
    import time
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length", 0)))
            answer = bodies[-1]
            if then is not None:
                bodies.append(then)
            self.send_response(status)
            self.send_header("Content-Type", kind)
            if length:
                self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            with contextlib.suppress(OSError):  # the client stopped reading: as expected
                self._send_body(answer)

        def _send_body(self, answer: bytes) -> None:
            if not pause:
                self.wfile.write(answer)
                return
            for byte in answer:
                self.wfile.write(bytes([byte]))
                self.wfile.flush()
                time.sleep(pause)

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    client = boto3.client(
        "resource-explorer-2",
        region_name="eu-west-1",
        endpoint_url=f"http://127.0.0.1:{server.server_address[1]}",
        aws_access_key_id="x",
        aws_secret_access_key="x",
    )
    return server, client


def test_an_answer_nested_too_deep_is_refused_not_a_crash(tmp_path):
    """Ninth pass: an answer nested 100,000 deep was 'internal error: RecursionError'."""
    server, client = _endpoint(b'{"Resources": ' + b"[" * 100_000 + b"]" * 100_000 + b"}")
    try:
        with pytest.raises(InputError, match="the answer is nested too deeply to read"):
            pull(PullRequest("resource-explorer", tmp_path / "re.csv"), client=client)
    finally:
        server.shutdown()


@pytest.mark.parametrize(
    ("length", "said"),
    [(True, "an answer of 22,"), (False, "an answer longer than the 1,000 bytes it may hold")],
)
def test_an_answer_over_the_size_cap_is_refused_as_it_comes(tmp_path, monkeypatch, length, said):
    """Ninth pass: one page of 1.5 million resources (130 MB) took 2.6 GB to parse; tenth:
    the cap was checked once botocore had read the answer whole (600 MB: 1.3 GB). The answer
    is now refused on its Content-Length, or, without one, once the cap is read."""
    from reportgen.inventory.pull import answers

    monkeypatch.setattr(answers, "MAX_ANSWER_BYTES", 1000)
    resources = EXPLORER_FIXTURE["Resources"] * 10
    body = json.dumps({"Resources": resources}).encode()
    assert 22_000 <= len(body) < 23_000
    server, client = _endpoint(body, length=length)
    try:
        with pytest.raises(InputError) as caught:
            pull(PullRequest("resource-explorer", tmp_path / "re.csv"), client=client)
    finally:
        server.shutdown()
    assert caught.value.message.startswith(f"resource-explorer-2:ListResources: {said}")
    assert list(tmp_path.iterdir()) == []


def test_an_answer_trickled_past_the_deadline_is_stopped(tmp_path, monkeypatch):
    """Tenth pass: botocore's timeout is per read, so an answer trickled slowly enough was
    waited for without end."""
    import time

    from reportgen.inventory.pull import answers

    monkeypatch.setattr(answers, "ANSWER_SECONDS", 1.0)
    server, client = _endpoint(b'{"Resources": []}' + b" " * 100, pause=0.1)
    started = time.monotonic()
    try:
        with pytest.raises(
            InputError, match="no whole answer 1 seconds after the request was sent"
        ):
            pull(PullRequest("resource-explorer", tmp_path / "re.csv"), client=client)
    finally:
        server.shutdown()
    assert time.monotonic() - started < 5
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    "body",
    [
        b'{"Resources": "not a list"}',
        b'{"Resources": ["\xff"]}',
        b'{"Resources": [7]}',
    ],
)
def test_an_answer_of_another_shape_is_exit_2_not_a_crash(tmp_path, body):
    """Tenth pass: a list given as a string, a number for an ARN, bytes that are not UTF-8
    each ended in 'internal error' (AttributeError, UnicodeDecodeError)."""
    server, client = _endpoint(body)
    try:
        with pytest.raises(InputError):
            pull(PullRequest("resource-explorer", tmp_path / "re.csv"), client=client)
    finally:
        server.shutdown()
    assert list(tmp_path.iterdir()) == []


def test_a_web_page_for_an_answer_is_refused_not_an_empty_snapshot(tmp_path):
    """Tenth pass: a proxy's HTML page, sent with 200, made a snapshot of no resources."""
    page = b"<html><body>Sign in to the corporate proxy</body></html>"
    server, client = _endpoint(page, kind="text/html; charset=utf-8")
    try:
        with pytest.raises(InputError) as caught:
            pull(PullRequest("resource-explorer", tmp_path / "re.csv"), client=client)
    finally:
        server.shutdown()
    said = "resource-explorer-2:ListResources: the answer is a web page (text/html; charset"
    assert caught.value.message.startswith(said)
    assert list(tmp_path.iterdir()) == []


_RESOURCE = json.dumps(EXPLORER_FIXTURE["Resources"][0])


@pytest.mark.parametrize(
    ("body", "then", "said"),
    [
        (b'{"Resources": [', None, "not whole JSON (cut short or damaged at character 15)"),
        (b"{ this is not json", None, "not whole JSON (cut short or damaged"),
        (b'{"Resources": ["\xff"]}', None, "not UTF-8 text (byte 16)"),
        # fourteenth pass: a key twice was read as its last value (an export file is refused)
        (b'{"Resources": [], "Resources": []}', None, "JSON holding the key 'Resources' twice"),
        # nineteenth pass: a whole answer with a 5,000-digit number was "cut short"
        (b'{"Resources": [], "X": ' + b"9" * 5000 + b"}", None,
         "JSON holding a number of more than 4,300 digits"),
        # a later page cut off mid-item: 3 of 6 resources were written, exit 0
        (f'{{"Resources": [{_RESOURCE}], "NextToken": "p2"}}'.encode(),
         f'{{"Resources": [{_RESOURCE}, {_RESOURCE[:40]}'.encode(), "not whole JSON"),
    ],
)  # fmt: skip
def test_an_answer_that_is_not_whole_json_is_refused_and_the_snapshot_kept(
    tmp_path, body, then, said
):
    """Thirteenth pass: only the first byte was checked, so an answer cut short (or any
    body starting with '{') was read as a page of no resources, exit 0, over the earlier
    snapshot."""
    snapshot = tmp_path / "re.csv"
    snapshot.write_text("kept\n")
    server, client = _endpoint(body, then=then)
    try:
        with pytest.raises(InputError) as caught:
            pull(PullRequest("resource-explorer", snapshot, force=True), client=client)
    finally:
        server.shutdown()
    assert caught.value.message.startswith("resource-explorer-2:ListResources: the answer is ")
    assert said in caught.value.message
    assert snapshot.read_text() == "kept\n" and sorted(p.name for p in tmp_path.iterdir()) == [
        "re.csv"
    ]


def test_a_pull_that_finds_nothing_keeps_the_earlier_snapshot_without_force(tmp_path):
    """Thirteenth pass: an empty answer ('{}' from a proxy) replaced a whole estate's
    snapshot with its header alone, exit 0."""
    first = _pull_config(tmp_path, [CONFIG_FIXTURE["Results"][:3]])
    before = first.csv.read_bytes()
    with pytest.raises(InputError) as caught:
        _pull_config(tmp_path, [[]])
    assert str(caught.value).startswith(
        f"{first.csv}: the pull found no resources, where the earlier snapshot holds 3; it is kept"
    )
    assert first.csv.read_bytes() == before
    client = _client("config")
    with Stubber(client) as stubber:
        _config_pages(stubber, [[]])
        request = PullRequest("config-aggregator", first.csv, options={"aggregator": "org"},
                              force=True)  # fmt: skip
        assert pull(request, client=client).items == 0


def test_credentials_an_error_echoes_are_masked(tmp_path):
    """Thirteenth pass: an endpoint (or a proxy) echoing the session token in an error had
    it printed whole, and twice more with --debug."""
    token = "SessTok" + "Value9876543210" * 4
    secret = "SecretKey" + "abcdefgh12345678" * 2
    body = json.dumps({"__type": "ExpiredTokenException",
                       "message": f"The security token {token} is expired ({secret})"})  # fmt: skip
    server, _ = _endpoint(body.encode(), status=400, kind="application/x-amz-json-1.1")
    environ = {
        "AWS_ENDPOINT_URL": f"http://127.0.0.1:{server.server_address[1]}",
        "AWS_ACCESS_KEY_ID": "AKIAEXAMPLEKEY123456",
        "AWS_SECRET_ACCESS_KEY": secret,
        "AWS_SESSION_TOKEN": token,
        "AWS_DEFAULT_REGION": "eu-west-1",
        "AWS_CONFIG_FILE": str(tmp_path / "none"),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "none"),
    }
    command = [sys.executable, "-m", "reportgen", "inventory", "pull", "--source",
               "resource-explorer", "-o", str(tmp_path / "re.csv")]  # fmt: skip
    try:
        for debug in ({}, {"REPORTGEN_DEBUG": "1"}):  # --debug prints the traceback too
            result = subprocess.run(command, env={**os.environ, **environ, **debug},
                                    capture_output=True, text=True, timeout=120)  # fmt: skip
            said = result.stdout + result.stderr
            assert result.returncode in (1, 2) and "ExpiredTokenException" in said, said
            assert "Value9876543210" not in said and "abcdefgh12345678" not in said, said
            assert "***" in said
    finally:
        server.shutdown()


def test_a_pulled_config_result_is_held_to_what_an_export_s_may_be(tmp_path):
    """Fifteenth pass: an export's result strings are held to 4 MB as they are read, a
    pull's were not: one result of 63 MB in a 64 MB answer took 1.27 GB to parse."""
    huge = (
        '{"resourceType": "AWS::S3::Bucket", "arn": "arn:aws:s3:::b", "x": ['
        + "{}," * (1_500_000)
        + "{}]}"
    )
    with pytest.raises(InputError) as caught:
        _pull_config(tmp_path, [[CONFIG_FIXTURE["Results"][0], huge]])
    assert "$.Results[1]: the result is 4,500," in str(caught.value)
    assert "more than the 4,194,304 one resource's JSON may be" in str(caught.value)
    assert not (tmp_path / "snap.csv").exists()


def test_a_deeply_nested_file_where_the_sidecar_goes_is_refused_not_a_crash(tmp_path):
    """Seventeenth pass: '[' nested 5,000 deep in the sidecar's place was a RecursionError,
    an internal error, before any request."""
    (tmp_path / "snap.csv").write_text("Resource Type,Resource\n")
    (tmp_path / ("snap.csv" + SIDECAR_SUFFIX)).write_text("[" * 5000 + "]" * 5000)
    with pytest.raises(InputError) as caught:
        _pull_config(tmp_path, [CONFIG_FIXTURE["Results"][:3]])
    assert "--force" in str(caught.value.hint or "") + str(caught.value)
