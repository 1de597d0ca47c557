"""ServiceNow: files go to the Attachment API
(``POST /api/now/attachment/file?table_name=...&table_sys_id=...&file_name=...``, the raw
bytes as body with their content type); the summary goes to a journal field of the record
(``work_notes`` by default, ``comments`` if configured) with a Table API PATCH."""

from __future__ import annotations

import html
import os
import urllib.parse
from collections.abc import Collection, Mapping
from typing import Any

from reportgen.config.ticket_systems import ServiceNowAttachConfig, parse_record
from reportgen.tickets.answers import (
    ServiceNowAttachments,
    ServiceNowRecords,
    ServiceNowUploaded,
    confirm_upload,
    pages,
    parse,
    read_upload,
)
from reportgen.tickets.client import Http, Remote, Transport
from reportgen.tickets.links import next_link
from reportgen.tickets.settings import CredentialVars, Endpoint, base_url, connect, credential
from reportgen.tickets.upload import Upload, sizes_by_name

PAGE = 1000


class ServiceNowRecord(Remote):
    def __init__(self, http: Http | None, record: str, journal: str, base_url: str | None):
        self.http = http
        self.table, self.sys_id = parse_record(record)
        self.journal = journal
        self.base_url = base_url or "<base URL>"
        self.label = f"ServiceNow {self.table} record {self.sys_id}"
        self.record_path = f"/api/now/table/{self.table}/{self.sys_id}"

    def attachments(self, names: Collection[str]) -> dict[str, set[int | None]]:
        """Which of ``names`` the record already has, with their sizes, paging through at
        most MAX_PAGES pages until one is empty; only those are kept (100 pages of 16 MB of
        other names took 1.7 GB). A page shorter than asked for is not the last: an
        instance's cap on the rows of a REST answer, or rows its ACLs removed, shorten pages
        before the end, and stopping there missed the pack's zip, uploaded again on each run
        (fourteenth pass). The query sorts by creation, then sys_id (unique): without an
        order, an instance may order each page's rows differently, and a row can then fall
        on no page (fifteenth pass)."""
        rows: list[tuple[str, int | None]] = []
        offset, what, linked_before = 0, "list attachments", False
        where = f"table_name={self.table}^table_sys_id={self.sys_id}"
        for _ in pages(self.api.name, what):
            params = {
                "sysparm_query": f"{where}^ORDERBYsys_created_on^ORDERBYsys_id",
                "sysparm_fields": "file_name,size_bytes",
                "sysparm_limit": PAGE,
                "sysparm_offset": offset,
            }
            answer = self.api.call("GET", "/api/now/attachment", what, params=params)
            data = self.api.decode(answer, what) if answer is not None else None
            found = parse(ServiceNowAttachments, data, self.api.name, what).result
            rows.extend((item.file_name, item.size) for item in found if item.file_name in names)
            linked = _linked_next(answer, offset)
            if linked == UNREADABLE:  # a next page, but not where: by the rows shown (28a)
                offset += len(found) or PAGE
                continue
            if linked is not None:  # the instance's own next page, when it says one
                if linked <= offset:
                    return sizes_by_name(rows, names)  # its last page (or a loop): the end
                offset, linked_before = linked, True
                continue
            if not found or linked_before:
                # A page its ACLs emptied is not the end while X-Total-Count says more rows
                # follow: stopping there missed the zip past it (sixteenth pass). Nor is
                # the page without a Link header of an instance that sent one before: that
                # is its last page, and moving on by the rows shown ran into MAX_PAGES (24c).
                total = _total_count(answer)
                full = linked_before and len(found) >= PAGE  # a full page is no last page
                if (total is None and not full) or (total is not None and offset + PAGE >= total):
                    return sizes_by_name(rows, names)
                offset += PAGE
                continue
            offset += len(found)  # what came, not PAGE: a capped page would skip rows
        return sizes_by_name(rows, names)  # pages() raises first

    def upload(self, item: Upload) -> bool:
        """True when sent and the answer is the attachment record it made; False when a
        retry found it already attached; TicketError for any other answer."""
        response = self.api.call(
            "POST",
            "/api/now/attachment/file",
            f"upload {item.name}",
            before_retry=lambda: item.whole_in(self.attachments([item.name])),
            upload_bytes=item.size,
            params=self._file_params(item),
            headers={"Content-Type": item.media_type},
            content=item.content,  # re-read from byte 0 on a retry
        )
        if response is None:
            return False
        made = read_upload(self.api, response, ServiceNowUploaded, item).result
        confirm_upload(item, [(made.file_name, made.size)], self.api.name)
        return True

    def _file_params(self, item: Upload) -> dict[str, str]:
        return {"table_name": self.table, "table_sys_id": self.sys_id, "file_name": item.name}

    def has_comment(self, marker: str) -> bool:
        query = f"element_id={self.sys_id}^element={self.journal}^valueLIKE{marker}"
        params = {"sysparm_query": query, "sysparm_fields": "sys_id", "sysparm_limit": 1}
        path = "/api/now/table/sys_journal_field"
        what = "list journal entries"
        data = self.api.json("GET", path, what, params=params)
        return bool(parse(ServiceNowRecords, data, self.api.name, what).result)

    def comment(self, markdown: str, marker: str) -> bool:
        response = self.api.call(
            "PATCH",
            self.record_path,
            f"add the summary to {self.journal}",
            before_retry=lambda: self.has_comment(marker),
            json={self.journal: markdown},
        )
        return response is not None

    def describe_upload(self, item: Upload) -> str:
        query = "&".join(f"{k}={v}" for k, v in self._file_params(item).items())
        return (
            f"POST {self.base_url}/api/now/attachment/file?{query}  "
            f"raw body ({item.size:,} bytes, Content-Type: {item.media_type})"
        )

    def describe_listing(self) -> str:
        return f"GET {self.base_url}/api/now/attachment?sysparm_query=table_sys_id={self.sys_id}"

    def describe_comment(self, markdown: str) -> str:
        return f"PATCH {self.base_url}{self.record_path}  summary.md as {self.journal} (plain text)"


def servicenow_endpoint(
    config: ServiceNowAttachConfig, environ: Mapping[str, str] = os.environ
) -> Endpoint:
    url, problems = base_url(config.url, config.url_env, environ, "attach.servicenow.url")
    names = CredentialVars(
        "ServiceNow",
        (config.user_env, "user"),
        (config.password_env, "password"),
        (config.token_env, "OAuth token"),
    )
    found, more = credential(names, environ)
    return Endpoint("ServiceNow", url, found, problems + more)


def open_ticket(
    config: ServiceNowAttachConfig, record: str, environ: Mapping[str, str],
    transport: Transport, dry_run: bool,
) -> tuple[Endpoint, ServiceNowRecord]:  # fmt: skip
    """The registry's client (config/ticket_systems.py): the endpoint and the record."""
    endpoint = servicenow_endpoint(config, environ)
    return endpoint, open_record(endpoint, record, config.journal, transport, dry_run)


def open_record(
    endpoint: Endpoint, record: str, journal: str, transport: Transport, dry_run: bool
) -> ServiceNowRecord:
    parse_record(record)
    if dry_run:
        return ServiceNowRecord(None, record, journal, endpoint.url)
    http, url = connect(endpoint, transport)
    return ServiceNowRecord(http, record, journal, url)


UNREADABLE = -1  # a next page the Link header names, at an offset that cannot be read


def _linked_next(answer: Any, offset: int) -> int | None:
    """The offset of the next page in the Link header ServiceNow sends with a paged
    listing; ``offset`` (no more pages) when the header names none; None without the header;
    :data:`UNREADABLE` when it names a next page whose offset cannot be read.
    The instance counts its offset over every row, those its ACLs hide from this user too:
    moving on by the rows shown, a record whose ACLs hid 99 rows in 100 took 200 pages to
    list and was refused at 100 (twenty-second adversarial pass)."""
    header = answer.headers.get("Link", "") if answer is not None else ""
    if not header:
        return None
    target = next_link(header)
    if target is None:
        return offset
    # a target written as HTML (&amp; between its parameters) hid its offset (pass 25c)
    query = urllib.parse.urlsplit(html.unescape(target.strip())).query
    value = urllib.parse.parse_qs(query).get("sysparm_offset", [""])[0]
    # a next page whose offset cannot be read is paged by the rows shown: read as the last
    # page, the zip on a later one was sent again (passes 27c, 28a)
    return int(value) if value.isascii() and value.isdigit() and len(value) < 19 else UNREADABLE


def _total_count(answer: Any) -> int | None:
    """The rows a listing holds in all, as ServiceNow's X-Total-Count header says."""
    text = answer.headers.get("X-Total-Count", "") if answer is not None else ""
    return int(text) if text.isascii() and text.isdigit() and len(text) < 19 else None
