"""A small stand-in for the Jira and ServiceNow REST APIs, served on 127.0.0.1 in a thread.

It checks what the real services check (credentials, Jira's XSRF header, multipart field
``file``), stores and lists attachments and comments, and can be told to misbehave: answer
429 with Retry-After, answer 503, or store an upload and then stall past the client's
timeout (the ambiguous failure that must not lead to a duplicate). Hostile faults answer a
listing (any GET) with a body that never ends, one trickled a byte at a time, headers
trickled, or any status and bytes; ``endless_pages`` makes every listing claim more pages.
"""

from __future__ import annotations

import base64
import email.parser
import email.policy
import json
import re
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

JIRA = re.compile(r"^/rest/api/(2|3)/issue/([A-Z][A-Z0-9_]*-\d+)(/attachments|/comment)?$")
SN_TABLE = re.compile(r"^/api/now/table/([a-z_]+)/([0-9a-f]{32})$")


@dataclass
class Seen:
    method: str
    path: str
    at: float
    status: int = 0


@dataclass
class Fault:
    kind: (
        str  # uploads: 429 | 503 | stall | body; listings: endless | trickle |
        # trickle-unsized | slow-headers | not-http | body
    )
    retry_after: str | None = None
    stall: float = 0.0  # seconds: a stall's length, or between trickled bytes
    status: int = 200  # of a "body" fault
    body: bytes = b""  # of a "body" or "trickle" fault
    headers: dict[str, str] = field(default_factory=dict)  # of a "body" fault (Content-Encoding)


@dataclass
class Credentials:
    email: str = "auditor@example.com"
    token: str = "jira-TOKEN-7f3a9c1e5d"
    pat: str = "jira-PAT-2b8e6d4f0a"
    sn_user: str = "integration.user"
    sn_password: str = "sn-PASSWORD-9c4e1a7b"
    sn_token: str = "sn-TOKEN-5d2f8b3e6c"

    def secrets(self) -> list[str]:
        basic = [f"{self.email}:{self.token}", f"{self.sn_user}:{self.sn_password}"]
        return [self.token, self.pat, self.sn_password, self.sn_token] + [
            base64.b64encode(b.encode()).decode() for b in basic
        ]


@dataclass
class State:
    creds: Credentials = field(default_factory=Credentials)
    attachments: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    comments: dict[str, list[Any]] = field(default_factory=dict)
    seen: list[Seen] = field(default_factory=list)
    faults: deque[Fault] = field(default_factory=deque)  # applied to uploads, in order
    listing_faults: deque[Fault] = field(default_factory=deque)  # applied to GETs, in order
    endless_pages: bool = False  # every listing is a full page and claims a billion more
    row_cap: int = 0  # ServiceNow: rows of a page at most, whatever sysparm_limit asks (0: none)
    hidden: int = 0  # the first N attachments or comments, counted but not shown (ACLs)
    shown_one_in: int = 1  # ServiceNow: ACLs let the user see one attachment in N
    # ServiceNow: a Link header naming the next page, as instances send: "quoted" as
    # instances write it, "rfc" in other forms RFC 8288 allows (a comma in the target, a
    # bare, upper-case rel), "unlinked-last" as "quoted" but none on the last page, "html"
    # with &amp; between the target's parameters, "gaps" on every other page only and no
    # X-Total-Count, "no-offset" with the next page's offset left empty ("late-no-offset":
    # after the first page, and no X-Total-Count), "" none.
    links: str = ""
    # ServiceNow: with no ORDERBY in the query, pages after the first come from the rows in
    # reverse order (an instance promises no order): a row can be on no page at all.
    unordered: bool = False
    lock: threading.Lock = field(default_factory=threading.Lock)

    def names(self, ticket: str) -> list[str]:
        return [a["filename"] for a in self.attachments.get(ticket, [])]


class Handler(BaseHTTPRequestHandler):
    state: State  # set on the subclass the server makes

    def log_message(self, *args: Any) -> None:  # keep the test output clean
        pass

    # ------------------------------------------------------------------ plumbing

    def _body(self) -> bytes:
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def _send(self, status: int, payload: Any = None, headers: dict | None = None) -> None:
        data = b"" if payload is None else json.dumps(payload).encode()
        self.state.seen[-1].status = status
        try:
            self.send_response(status)
            for key, value in (headers or {}).items():
                self.send_header(key, value)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):  # the client gave up (timeout)
            pass

    def _handle(self) -> None:
        url = urlsplit(self.path)
        with self.state.lock:
            self.state.seen.append(Seen(self.command, url.path, time.monotonic()))
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        fault = self._fault(self.state.listing_faults) if self.command == "GET" else None
        if fault is not None:
            self._body()
            return self._misbehave(fault)
        if url.path.startswith("/rest/api/"):
            self._jira(url.path, query)
        elif url.path.startswith("/api/now/"):
            self._servicenow(url.path, query)
        else:
            self._send(404, {"error": "no such API"})

    do_GET = do_POST = do_PATCH = _handle

    def _unauthorised(self) -> None:
        # Like a misbehaving proxy, echo the credentials back: the client must mask them.
        echo = self.headers.get("Authorization", "")
        self._send(401, {"errorMessages": [f"Bad credentials: {echo}"]})

    def _fault(self, queue: deque[Fault] | None = None) -> Fault | None:
        queue = self.state.faults if queue is None else queue
        with self.state.lock:
            return queue.popleft() if queue else None

    def _refused(self, fault: Fault | None) -> bool:
        """Answer a 429, 503 or body fault (nothing stored); False for no fault or a stall."""
        if fault is None or fault.kind == "stall":
            return False
        if fault.kind == "body":
            self._misbehave(fault)
            return True
        headers = {"Retry-After": fault.retry_after} if fault.retry_after else {}
        self._send(int(fault.kind), {"error": "try later"}, headers)
        return True

    def _misbehave(self, fault: Fault) -> None:
        """Answer with a hostile fault; ends when it is done or the client hangs up."""
        self.state.seen[-1].status = fault.status
        try:
            if fault.kind == "not-http":  # a status line no HTTP client can read
                self.wfile.write(b"HELLO FROM A TELNET DAEMON\r\n\r\n")
                self.close_connection = True
                return
            if fault.kind == "slow-headers":
                self.wfile.write(b"HTTP/1.0 200 OK\r\n")
                for _ in range(100_000):
                    self.wfile.write(b"X")
                    self.wfile.flush()
                    time.sleep(fault.stall)
                return
            self.send_response(fault.status)
            self.send_header("Content-Type", "application/json")
            for key, value in fault.headers.items():
                self.send_header(key, value)
            if fault.kind == "trickle-unsized":  # the body ends when the connection does
                self.send_header("Connection", "close")
            elif fault.kind != "endless":
                self.send_header("Content-Length", str(len(fault.body)))
            self.end_headers()
            if fault.kind == "endless":  # no length, no end: read until memory runs out
                block = b"[" * 65536
                while True:
                    self.wfile.write(block)
            elif fault.kind in ("trickle", "trickle-unsized"):
                for byte in fault.body:
                    self.wfile.write(bytes([byte]))
                    self.wfile.flush()
                    time.sleep(fault.stall)
            else:
                self.wfile.write(fault.body)
        except (BrokenPipeError, ConnectionResetError):  # the client gave up, as it must
            pass

    def _store(self, ticket: str, name: str, data: bytes, kind: str, fault: Fault | None) -> None:
        with self.state.lock:
            found = self.state.attachments.setdefault(ticket, [])
            found.append({"filename": name, "data": data, "content_type": kind, "id": len(found)})
        if fault is not None and fault.kind == "stall":
            time.sleep(fault.stall)  # stored, but the answer comes after the client timed out

    # ---------------------------------------------------------------------- Jira

    def _jira_auth(self, version: str) -> bool:
        creds = self.state.creds
        if version == "3":
            token = base64.b64encode(f"{creds.email}:{creds.token}".encode()).decode()
            expected = f"Basic {token}"
        else:
            expected = f"Bearer {creds.pat}"
        return self.headers.get("Authorization") == expected

    def _jira(self, path: str, query: dict[str, str]) -> None:
        match = JIRA.match(path)
        if not match:
            return self._send(404, {"errorMessages": ["not found"]})
        version, key, tail = match.groups()
        body = self._body()
        if not self._jira_auth(version):
            return self._unauthorised()
        if tail == "/attachments" and self.command == "POST":
            return self._jira_upload(key, body)
        if tail == "/comment":
            return self._jira_comment(key, version, body, query)
        if tail is None and self.command == "GET":
            files = [
                {"id": str(a["id"]), "filename": a["filename"], "size": len(a["data"])}
                for a in self.state.attachments.get(key, [])
            ]
            return self._send(200, {"key": key, "fields": {"attachment": files}})
        return self._send(405, {"errorMessages": ["method not allowed"]})

    def _jira_upload(self, key: str, body: bytes) -> None:
        if self.headers.get("X-Atlassian-Token") != "no-check":
            return self._send(403, {"errorMessages": ["XSRF check failed"]})
        parts = _multipart(self.headers.get("Content-Type", ""), body)
        if "file" not in parts:
            return self._send(400, {"errorMessages": ["no multipart field 'file'"]})
        fault = self._fault()
        if self._refused(fault):
            return None
        name, data, kind = parts["file"]
        self._store(key, name, data, kind, fault)
        return self._send(200, [{"filename": name, "size": len(data)}])

    def _jira_comment(self, key: str, version: str, body: bytes, query: dict[str, str]) -> None:
        comments = self.state.comments.setdefault(key, [])
        if self.command == "GET":
            start, size = int(query.get("startAt", 0)), int(query.get("maxResults", 50))
            if self.state.endless_pages:
                page = [{"id": str(start + i), "body": "x"} for i in range(size)]
                payload = {"startAt": start, "maxResults": size, "total": 10**9}
                return self._send(200, {**payload, "comments": page})
            page = [{"id": str(i), "body": b} for i, b in enumerate(comments)][start : start + size]
            page = [c for c in page if int(c["id"]) >= self.state.hidden]  # restricted ones
            payload = {"startAt": start, "maxResults": size, "total": len(comments)}
            return self._send(200, {**payload, "comments": page})
        comment = json.loads(body)["body"]
        valid = isinstance(comment, str) if version == "2" else _is_adf(comment)
        if not valid:
            return self._send(400, {"errorMessages": ["comment body is not valid for v" + version]})
        comments.append(comment)
        return self._send(201, {"id": str(len(comments))})

    # ---------------------------------------------------------------- ServiceNow

    def _sn_auth(self) -> bool:
        creds = self.state.creds
        basic = base64.b64encode(f"{creds.sn_user}:{creds.sn_password}".encode()).decode()
        return self.headers.get("Authorization") in (f"Basic {basic}", f"Bearer {creds.sn_token}")

    def _servicenow(self, path: str, query: dict[str, str]) -> None:
        body = self._body()
        if not self._sn_auth():
            return self._unauthorised()
        if path == "/api/now/attachment/file" and self.command == "POST":
            return self._sn_upload(query, body)
        if path == "/api/now/attachment" and self.command == "GET":
            return self._sn_list(query)
        if path == "/api/now/table/sys_journal_field" and self.command == "GET":
            return self._sn_journal(query)
        table = SN_TABLE.match(path)
        if table and self.command == "PATCH":
            ticket = f"{table.group(1)}:{table.group(2)}"
            for field_name, value in json.loads(body).items():
                self.state.comments.setdefault(ticket, []).append((field_name, value))
            return self._send(200, {"result": {"sys_id": table.group(2)}})
        return self._send(404, {"error": {"message": "not found"}})

    def _sn_upload(self, query: dict[str, str], body: bytes) -> None:
        ticket = f"{query['table_name']}:{query['table_sys_id']}"
        fault = self._fault()
        if self._refused(fault):
            return None
        self._store(ticket, query["file_name"], body, self.headers["Content-Type"], fault)
        record = {key: query[key] for key in ("file_name", "table_name", "table_sys_id")}
        record["size_bytes"] = str(len(body))  # the Table API sends every field as a string
        return self._send(201, {"result": record})

    def _sn_list(self, query: dict[str, str]) -> None:
        parts = query["sysparm_query"].split("^")
        order = [p.removeprefix("ORDERBY") for p in parts if p.startswith("ORDERBY")]
        terms = dict(term.split("=", 1) for term in parts if not term.startswith("ORDERBY"))
        ticket = f"{terms['table_name']}:{terms['table_sys_id']}"
        offset, limit = int(query.get("sysparm_offset", 0)), int(query["sysparm_limit"])
        limit = min(limit, self.state.row_cap or limit)  # an instance-wide REST row cap
        rows = self.state.attachments.get(ticket, [])  # in creation order, as stored
        if self.state.unordered and offset and order[:1] != ["sys_created_on"]:
            rows = rows[::-1]
        total = len(rows)
        found = [a for i, a in enumerate(rows[offset : offset + limit], offset)
                 if i >= self.state.hidden and i % self.state.shown_one_in == 0]  # fmt: skip
        rows = [{"file_name": a["filename"], "size_bytes": str(len(a["data"]))} for a in found]
        if self.state.endless_pages:
            rows = [{"file_name": f"file-{offset + i}", "size_bytes": "0"} for i in range(limit)]
        fields = query.get("sysparm_fields", "").split(",")
        result = {"result": [{k: row[k] for k in fields} for row in rows]}
        headers = {"X-Total-Count": str(total)}
        if self.state.links:  # next: over every row, hidden ones too; none on the last page
            path = self.path.split("?")[0]
            mode = self.state.links
            extra = "&sysparm_fields=file_name,size_bytes" if mode == "rfc" else ""
            rel = " ; REL=Next" if mode == "rfc" else ';rel="next"'
            page = f"{path}?sysparm_limit={limit}{extra}"
            amp = "&amp;" if mode == "html" else "&"
            links = [f'<{page}{amp}sysparm_offset=0>;rel="first"']
            if offset + limit < total:
                unreadable = mode == "no-offset" or (mode == "late-no-offset" and offset > 0)
                after = "" if unreadable else offset + limit
                links.append(f"<{page}{amp}sysparm_offset={after}>{rel}")
            if mode in ("gaps", "late-no-offset"):  # and no count
                del headers["X-Total-Count"]
            if (mode != "unlinked-last" or len(links) > 1) and (
                mode != "gaps" or offset // limit % 2 == 0
            ):
                headers["Link"] = ", ".join(links)
        return self._send(200, result, headers)

    def _sn_journal(self, query: dict[str, str]) -> None:
        element_id, element, like = query["sysparm_query"].split("^")
        sys_id, journal = element_id.split("=")[1], element.split("=")[1]
        marker = like.removeprefix("valueLIKE")
        found = [
            value
            for ticket, entries in self.state.comments.items()
            if ticket.endswith(sys_id)
            for name, value in entries
            if name == journal and marker in value
        ]
        return self._send(200, {"result": [{"sys_id": "x"} for _ in found]})


def _multipart(content_type: str, body: bytes) -> dict[str, tuple[str, bytes, str]]:
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
        f"Content-Type: {content_type}\r\n\r\n".encode() + body
    )
    parts = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        filename = part.get_filename()
        parts[name] = (filename, part.get_payload(decode=True), part.get_content_type())
    return parts


def _is_adf(doc: Any) -> bool:
    return (
        isinstance(doc, dict)
        and doc.get("type") == "doc"
        and doc.get("version") == 1
        and isinstance(doc.get("content"), list)
        and all(isinstance(node, dict) and "type" in node for node in doc["content"])
    )


class FakeTickets:
    """Start with ``with FakeTickets() as server:``; ``server.url`` is its base URL."""

    def __init__(self) -> None:
        self.state = State()
        handler = type("BoundHandler", (Handler,), {"state": self.state})
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> FakeTickets:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    def inject(self, *faults: Fault) -> None:
        self.state.faults.extend(faults)

    def inject_listing(self, *faults: Fault) -> None:
        self.state.listing_faults.extend(faults)

    def uploads(self) -> list[Seen]:
        return [s for s in self.state.seen if s.method == "POST" and "attach" in s.path]
